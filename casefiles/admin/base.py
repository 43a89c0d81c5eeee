"""The base every case-file ModelAdmin derives from: visible to role holders, and no
generic write path at all (no add, change, delete, bulk delete or admin log entry).
Writes happen only in the views that call commands."""

from dataclasses import dataclass

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.utils.translation import gettext as _

from casefiles.admin.access import holds_role
from casefiles.compartments import hidden_case_ids


@dataclass(frozen=True)
class ShownOnce:
    """A result shown on the page that answered the POST and nowhere else: never in a
    message (messages travel through the session or a cookie), never cached."""

    heading: str
    lines: list[str]


class RecordAdmin(admin.ModelAdmin):
    show_full_result_count = False  # a second COUNT(*) per page is wasted at 10,000 rows
    list_per_page = 50
    # The field naming the case a row belongs to: rows of restricted cases the viewer
    # may not see are left out of every list, search and page (casefiles/compartments.py).
    case_field: str | None = None

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if self.case_field is None:
            return queryset
        return queryset.exclude(**{f"{self.case_field}__in": hidden_case_ids(request.user)})

    def has_module_permission(self, request):
        return holds_role(request)

    def has_view_permission(self, request, obj=None):
        return holds_role(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        # A NUL reaches PostgreSQL as a DataError (a 500) from any filter, lookup or
        # search: such parameters are dropped, and the list says so.
        bad = [
            key
            for key, values in request.GET.lists()
            if "\x00" in key or any("\x00" in value for value in values)
        ]
        if bad:
            kept = request.GET.copy()
            for key in bad:
                del kept[key]
            names = ", ".join(repr(key.replace("\x00", "\\0")) for key in bad)
            messages.warning(
                request,
                _("Filter ignored: %(names)s contained a NUL character.") % {"names": names},
            )
            query = kept.urlencode()
            return HttpResponseRedirect(request.path + (f"?{query}" if query else ""))
        return super().changelist_view(request, extra_context)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request, obj, form, change):
        raise PermissionDenied("records change only through the case workflow")

    def delete_model(self, request, obj):
        raise PermissionDenied("records are never deleted")

    def delete_queryset(self, request, queryset):
        raise PermissionDenied("records are never deleted")

    # The event log is the record of who changed what; a second, unverifiable log in
    # django_admin_log would only compete with it.
    def log_addition(self, request, obj, message):
        return None

    def log_change(self, request, obj, message):
        return None
