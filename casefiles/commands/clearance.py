"""Clearance for protected identities: granted and revoked here only, each change
written to the append-only security log in the same transaction.

Clearance is the permission `casefiles.reveal_identity` given explicitly to a person
(Actor.for_user never counts superuser status). Granting it is account administration:
an administrator (a superuser) grants it to someone else, or an operator on the server
(`manage.py clearance`, recorded as `by`). Nobody grants clearance to themselves.
"""

from django.contrib.auth.models import AnonymousUser, Permission, User
from django.db import transaction
from django.utils import timezone

from casefiles.domain.actors import CLEARANCE, holds_clearance
from casefiles.errors import InvalidCommand, PermissionDenied
from casefiles.models import SecurityLogEntry
from casefiles.security_log import silenced

PERMISSION = ".".join(CLEARANCE)
REASON_MAX = 2000


def _permission() -> Permission:
    app_label, codename = CLEARANCE
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def _who(by: User | AnonymousUser | None, operator: str | None) -> tuple[int | None, str]:
    if (by is None) == (operator is None):
        raise InvalidCommand(
            "a clearance change names exactly one of: the administrator "
            "(by) or the operator on the server (operator)"
        )
    if operator is not None or by is None:
        operator = (operator or "").strip()
        if not operator:
            raise InvalidCommand("operator must name the person running the command")
        return None, f"operator {operator}"[:200]
    if not (by.is_authenticated and by.is_active and by.is_superuser):
        raise PermissionDenied(
            f"{by.get_username()} may not change clearances: that is for administrators"
        )
    return by.pk, by.get_username()


def _change(
    action: str, *, user: User, by: User | AnonymousUser | None, operator: str | None, reason: str
) -> SecurityLogEntry:
    by_id, by_name = _who(by, operator)
    if by_id is not None and by_id == user.pk:
        raise PermissionDenied("nobody changes their own clearance: ask another administrator")
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise InvalidCommand(f"reason is longer than {REASON_MAX} characters")
    # One entry, with the reason, instead of security_log's "permission granted".
    with transaction.atomic(), silenced():
        # Lock the account: two administrators granting at once log one grant, not two.
        type(user).objects.select_for_update().filter(pk=user.pk).first()
        held = holds_clearance(user)
        if action == SecurityLogEntry.CLEARANCE_GRANTED:
            if held:
                raise InvalidCommand(f"{user.get_username()} already holds the clearance")
            user.user_permissions.add(_permission())
        else:
            if not user.user_permissions.filter(pk=_permission().pk).exists():
                raise InvalidCommand(
                    f"{user.get_username()} holds no clearance granted to them"
                    + (" (it comes from a group: remove them from the group)" if held else "")
                )
            user.user_permissions.remove(_permission())
        return SecurityLogEntry.objects.create(
            occurred_at=timezone.now(),
            action=action,
            permission=PERMISSION,
            subject_id=user.pk,
            subject=user.get_username(),
            by_id=by_id,
            by=by_name,
            reason=reason,
        )


def clearance_grant(
    *,
    user: User,
    by: User | AnonymousUser | None = None,
    operator: str | None = None,
    reason: str = "",
) -> SecurityLogEntry:
    """Give `user` clearance for protected identities, and log it."""
    return _change(
        SecurityLogEntry.CLEARANCE_GRANTED, user=user, by=by, operator=operator, reason=reason
    )


def clearance_revoke(
    *,
    user: User,
    by: User | AnonymousUser | None = None,
    operator: str | None = None,
    reason: str = "",
) -> SecurityLogEntry:
    """Take `user`'s clearance for protected identities away, and log it."""
    return _change(
        SecurityLogEntry.CLEARANCE_REVOKED, user=user, by=by, operator=operator, reason=reason
    )
