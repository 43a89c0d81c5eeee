"""The security log: every change of who may do what, whichever way it is made.

Roles and teams are Django groups, grants are permissions, and an account administrator
is a superuser: the admin's user and group pages, `manage.py shell`, a script or a data
migration can each change them. Instead of trusting every path to log, the changes are
caught where Django makes them (the many-to-many signals of `User.groups`,
`User.user_permissions` and `Group.permissions`, and the saving and deleting of users)
and written to the append-only `SecurityLogEntry` table in the same transaction.

Who made the change is the signed-in user of the request in progress, or "the server"
for anything outside a request (a shell, a script, a migration); casefiles.commands.
clearance writes its own, richer entries (with a reason) and silences these meanwhile.
"""

import contextlib
import contextvars

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db.models.signals import m2m_changed, post_save, pre_delete, pre_save
from django.utils import timezone

from casefiles.models import SecurityLogEntry

OUTSIDE_A_REQUEST = "the server (no signed-in user: shell, script or migration)"

request_var: contextvars.ContextVar = contextvars.ContextVar("security_request", default=None)
_silenced = contextvars.ContextVar("security_log_silenced", default=False)


@contextlib.contextmanager
def silenced():
    """For a caller that writes its own entry for the change it makes."""
    token = _silenced.set(True)
    try:
        yield
    finally:
        _silenced.reset(token)


def _actor() -> tuple[int | None, str]:
    request = request_var.get()
    user = getattr(request, "user", None) if request is not None else None
    if user is not None and user.is_authenticated:
        return user.pk, user.get_username()
    if request is not None:
        return None, "an anonymous request"
    return None, OUTSIDE_A_REQUEST


def record(
    action: str, *, what: str, subject, kind: str = SecurityLogEntry.USER, reason: str = ""
) -> None:
    if _silenced.get():
        return
    by_id, by = _actor()
    name = subject.get_username() if kind == SecurityLogEntry.USER else subject.name
    SecurityLogEntry.objects.create(
        occurred_at=timezone.now(),
        action=action,
        permission=what[:200],
        subject_kind=kind,
        subject_id=subject.pk,
        subject=name[:150],
        by_id=by_id,
        by=by[:200],
        reason=reason,
    )


def _foreign_key(through, model):
    return next(
        field
        for field in through._meta.get_fields()
        if field.many_to_one and field.related_model is model
    )


def _what(thing) -> str:
    if isinstance(thing, Permission):
        return f"{thing.content_type.app_label}.{thing.codename}"
    return f"group {thing.name}"


def _many_to_many(entries: tuple[str, str], kind: str):
    """A receiver for one many-to-many relation: `entries` = (entry when added, when
    removed); the owner (user or group) is the subject, whichever side the change came
    from (`user.groups.add(group)` or `group.user_set.add(user)`)."""
    added, removed = entries

    def receiver(sender, instance, action, reverse, model, pk_set, **kwargs):
        if action == "pre_clear":
            # A clear() reports no keys afterwards: note what is about to go.
            own, other = _foreign_key(sender, type(instance)), _foreign_key(sender, model)
            instance._security_cleared = set(
                sender.objects.filter(**{own.name: instance.pk}).values_list(
                    other.attname, flat=True
                )
            )
            return
        if action == "post_clear":
            pk_set, action = getattr(instance, "_security_cleared", set()), "post_remove"
        if action not in ("post_add", "post_remove") or not pk_set:
            return
        for other in model.objects.filter(pk__in=pk_set).order_by("pk"):
            owner, thing = (other, instance) if reverse else (instance, other)
            record(
                added if action == "post_add" else removed,
                what=_what(thing),
                subject=owner,
                kind=kind,
            )

    return receiver


# Account flags that change what a person may do: (field, entry when set, when cleared).
FLAGS = (
    ("is_superuser", SecurityLogEntry.ADMINISTRATOR_MADE, SecurityLogEntry.ADMINISTRATOR_UNMADE),
    ("is_active", SecurityLogEntry.ACCOUNT_REACTIVATED, SecurityLogEntry.ACCOUNT_DEACTIVATED),
)


def _user_before_save(sender, instance, raw=False, **kwargs):
    if raw or instance.pk is None:
        instance._security_flags = None
        return
    instance._security_flags = (
        sender.objects.filter(pk=instance.pk).values(*(f for f, _, _ in FLAGS)).first()
    )


def _user_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    before = None if created else getattr(instance, "_security_flags", None)
    if created:
        record(SecurityLogEntry.ACCOUNT_CREATED, what="account", subject=instance)
    for field, when_set, when_cleared in FLAGS:
        now = getattr(instance, field)
        was = before[field] if before else (field == "is_active")  # a new account: active
        if now != was:
            record(when_set if now else when_cleared, what=field, subject=instance)


def _user_deleted(sender, instance, **kwargs):
    # Deleting an account removes its memberships without many-to-many signals.
    groups = ", ".join(instance.groups.order_by("name").values_list("name", flat=True))
    record(SecurityLogEntry.ACCOUNT_DELETED, what=f"groups: {groups or 'none'}", subject=instance)


def _group_deleted(sender, instance, **kwargs):
    members = instance.user_set.order_by("username").values_list("username", flat=True)
    record(
        SecurityLogEntry.GROUP_DELETED,
        what=f"members: {', '.join(members) or 'none'}",
        subject=instance,
        kind=SecurityLogEntry.GROUP,
    )


def connect() -> None:
    user_model = get_user_model()
    uid = "casefiles.security_log"
    relations = (
        (
            user_model.groups.through,
            SecurityLogEntry.USER,
            (SecurityLogEntry.GROUP_JOINED, SecurityLogEntry.GROUP_LEFT),
        ),
        (
            user_model.user_permissions.through,
            SecurityLogEntry.USER,
            (SecurityLogEntry.PERMISSION_GRANTED, SecurityLogEntry.PERMISSION_REVOKED),
        ),
        (
            Group.permissions.through,
            SecurityLogEntry.GROUP,
            (SecurityLogEntry.PERMISSION_GRANTED, SecurityLogEntry.PERMISSION_REVOKED),
        ),
    )
    for through, kind, entries in relations:
        m2m_changed.connect(
            _many_to_many(entries, kind),
            sender=through,
            weak=False,
            dispatch_uid=f"{uid}.{through._meta.model_name}",
        )
    pre_save.connect(_user_before_save, sender=user_model, dispatch_uid=f"{uid}.pre_save")
    post_save.connect(_user_saved, sender=user_model, dispatch_uid=f"{uid}.post_save")
    pre_delete.connect(_user_deleted, sender=user_model, dispatch_uid=f"{uid}.user_deleted")
    pre_delete.connect(_group_deleted, sender=Group, dispatch_uid=f"{uid}.group_deleted")


class RequestMiddleware:
    """Makes the request in progress known to the receivers above (after authentication,
    which sets request.user lazily; read only when a change is recorded)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = request_var.set(request)
        try:
            return self.get_response(request)
        finally:
            request_var.reset(token)
