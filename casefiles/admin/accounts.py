"""Accounts: who holds clearance for protected identities and the security log of every
change of roles, teams, grants and administrators; each user's API tokens, which an
administrator can revoke.

Clearance changes only through casefiles.commands.clearance (the actions below, or
`manage.py clearance`), so each change is logged: the user and group forms do not offer
the clearance permission, and saving them keeps whatever clearance was held."""

from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, Permission, User
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casefiles.admin.base import RecordAdmin
from casefiles.commands.clearance import clearance_grant, clearance_revoke
from casefiles.commands.tokens import idle_expires_at, token_revoke
from casefiles.domain.actors import AUDITOR, CLEARANCE
from casefiles.errors import CaseFileError
from casefiles.models import ApiToken, SecurityLogEntry


def _clearance() -> Q:
    app_label, codename = CLEARANCE
    return Q(content_type__app_label=app_label, codename=codename)


def _without_clearance(formfield):
    if formfield is not None:
        formfield.queryset = formfield.queryset.exclude(_clearance())
    return formfield


def _is_account_admin(request) -> bool:
    return request.user.is_active and request.user.is_superuser


def _is_auditor(request) -> bool:
    return request.user.is_active and request.user.groups.filter(name=AUDITOR).exists()


@admin.register(SecurityLogEntry)
class SecurityLogAdmin(RecordAdmin):
    list_display = [
        "occurred_at",
        "action",
        "subject_kind",
        "subject",
        "permission",
        "by",
        "reason",
    ]
    list_filter = ["action", "subject_kind"]
    search_fields = ["subject", "by"]

    def has_module_permission(self, request):
        # Listed on the index for auditors. Administrators open it at its address
        # (/admin/casefiles/securitylogentry/, docs/operations.md), so the index of a
        # superuser without a role still shows no case-file section.
        return _is_auditor(request)

    def has_view_permission(self, request, obj=None):
        return _is_account_admin(request) or _is_auditor(request)


class ApiTokenInline(admin.TabularInline):
    """A user's tokens that are not revoked (the key itself is never stored)."""

    model = ApiToken
    fields = readonly_fields = [
        "name",
        "prefix",
        "scope",
        "issued_with",
        "created_at",
        "last_used_at",
        "ends",
    ]
    extra = 0
    can_delete = False
    verbose_name_plural = gettext_lazy(
        "API tokens (not revoked; expired ones are refused when used)"
    )

    def get_queryset(self, request):
        return super().get_queryset(request).filter(revoked_at__isnull=True)

    @admin.display(description=gettext_lazy("ends"))
    def ends(self, token) -> str:
        return _("%(when)s UTC if unused") % {"when": f"{idle_expires_at(token):%Y-%m-%d %H:%M}"}

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ClearanceUserAdmin(UserAdmin):
    list_display = [*UserAdmin.list_display, "identity_clearance"]
    actions = ["grant_clearance", "revoke_clearance", "revoke_tokens"]
    inlines = [*UserAdmin.inlines, ApiTokenInline]

    def get_queryset(self, request):
        granted = Permission.objects.filter(_clearance(), user=OuterRef("pk"))
        by_group = Permission.objects.filter(_clearance(), group__user=OuterRef("pk"))
        return (
            super()
            .get_queryset(request)
            .annotate(clearance_granted=Exists(granted), clearance_by_group=Exists(by_group))
        )

    @admin.display(description=gettext_lazy("identity clearance"))
    def identity_clearance(self, user) -> str:
        if user.clearance_granted:
            return _("granted")
        if user.clearance_by_group:
            return _("through a group")
        return "—"

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        return _without_clearance(field) if db_field.name == "user_permissions" else field

    def save_related(self, request, form, formsets, change):
        # The form does not show the clearance, so saving it would drop it unlogged.
        kept = list(form.instance.user_permissions.filter(_clearance())) if change else []
        super().save_related(request, form, formsets, change)
        form.instance.user_permissions.add(*kept)

    def _change(self, request, queryset, change, done):
        for user in queryset:
            try:
                change(user=user, by=request.user)
            except CaseFileError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(request, done % {"user": user.get_username()}, messages.SUCCESS)

    @admin.action(description=gettext_lazy("Grant clearance for protected identities (logged)"))
    def grant_clearance(self, request, queryset):
        self._change(request, queryset, clearance_grant, _("%(user)s: clearance granted"))

    @admin.action(description=gettext_lazy("Revoke clearance for protected identities (logged)"))
    def revoke_clearance(self, request, queryset):
        self._change(request, queryset, clearance_revoke, _("%(user)s: clearance revoked"))

    @admin.action(description=gettext_lazy("Revoke every API token of the selected users"))
    def revoke_tokens(self, request, queryset):
        tokens = ApiToken.objects.filter(user__in=queryset, revoked_at__isnull=True)
        revoked = [token_revoke(token_id=token.pk, by=request.user) for token in tokens]
        self.message_user(
            request, _("%(n)d token(s) revoked") % {"n": len(revoked)}, messages.SUCCESS
        )


class ClearanceGroupAdmin(GroupAdmin):
    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        return _without_clearance(field) if db_field.name == "permissions" else field

    def save_related(self, request, form, formsets, change):
        kept = list(form.instance.permissions.filter(_clearance())) if change else []
        super().save_related(request, form, formsets, change)
        form.instance.permissions.add(*kept)


for model, model_admin in ((User, ClearanceUserAdmin), (Group, ClearanceGroupAdmin)):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
