"""Who acts: a person with roles (Django groups) or a named system process."""

from dataclasses import dataclass

from casefiles.errors import PermissionDenied

DOCUMENTER = "documenter"
SUPERVISOR = "supervisor"
LEGAL_REVIEWER = "legal_reviewer"
AUDITOR = "auditor"
ROLES = (DOCUMENTER, SUPERVISOR, LEGAL_REVIEWER, AUDITOR)

SYSTEM = "system"
# System processes that may act through commands, and nothing else.
SYSTEM_ACTORS = ("ingest", "log")


CLEARANCE = ("casefiles", "reveal_identity")


def holds_clearance(user) -> bool:
    """Clearance for protected identities is an explicit grant only: the permission
    given to the user, or to a group the user belongs to. Not `user.has_perm`, which
    answers True for every superuser: administering accounts is no clearance."""
    from django.contrib.auth.models import Permission
    from django.db.models import Q

    app_label, codename = CLEARANCE
    return Permission.objects.filter(
        Q(user=user) | Q(group__user=user),
        content_type__app_label=app_label, codename=codename,
    ).exists()


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    username: str
    roles: frozenset[str]
    is_system: bool = False
    # May see protected persons' real identities (a permission granted per person, not a
    # role: clearance is individual). Every look is still recorded as an event.
    cleared: bool = False

    @classmethod
    def for_user(cls, user) -> "Actor":
        """The user's roles as they are now; the event records the role that was used."""
        if user is None or not user.is_authenticated:
            raise PermissionDenied("you must be signed in")
        if not user.is_active:
            raise PermissionDenied(f"user {user.get_username()} is deactivated")
        roles = frozenset(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
        return cls(user_id=user.pk, username=user.get_username(), roles=roles,
                   cleared=holds_clearance(user))

    @classmethod
    def system(cls, name: str) -> "Actor":
        if name not in SYSTEM_ACTORS:
            raise ValueError(f"unknown system actor {name!r}")
        return cls(user_id=None, username=name, roles=frozenset({SYSTEM}), is_system=True)

    def role_for(self, action: str, allowed: tuple[str, ...]) -> str:
        """The first allowed role this actor holds, or PermissionDenied naming what is needed.

        `allowed` is ordered by preference so the recorded role is deterministic.
        """
        if AUDITOR in self.roles:
            # Auditors must stay independent of what they audit, whatever else they hold.
            raise PermissionDenied(
                f"{self.username} is an auditor: auditors read and export, they change nothing"
            )
        for role in allowed:
            if role in self.roles:
                return role
        people = [role.replace("_", " ") for role in allowed if role != SYSTEM]
        held = ", ".join(sorted(self.roles)) or "no role"
        raise PermissionDenied(
            f"{self.username} ({held}) may not {action}: needs the role "
            + " or ".join(people)
        )

    def as_event_actor(self, role: str) -> dict:
        if self.is_system:
            return {"id": None, "username": self.username, "role": SYSTEM}
        return {"id": self.user_id, "username": self.username, "role": role}
