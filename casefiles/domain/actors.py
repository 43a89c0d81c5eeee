"""Who acts: a person with roles (Django groups) or a named system process."""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from casefiles.errors import PermissionDenied

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

DOCUMENTER = "documenter"
SUPERVISOR = "supervisor"
LEGAL_REVIEWER = "legal_reviewer"
AUDITOR = "auditor"
ROLES = (DOCUMENTER, SUPERVISOR, LEGAL_REVIEWER, AUDITOR)

SYSTEM = "system"
# System processes that may act through commands, and nothing else.
SYSTEM_ACTORS = ("ingest", "log", "manage.py ingest")

# The people who work cases, and the smaller groups the table below reuses. Order is
# preference: the first role an actor holds is the one its event records.
CASE_WRITERS = (DOCUMENTER, LEGAL_REVIEWER, SUPERVISOR)
REQUESTERS = (DOCUMENTER, LEGAL_REVIEWER)
LINK_DECIDERS = (DOCUMENTER, SUPERVISOR)
LEGAL_DECIDERS = (LEGAL_REVIEWER, SUPERVISOR)
# Exporting reads: auditors, whom role_for refuses for every change, may export.
EXPORTERS = (AUDITOR, SUPERVISOR)


@dataclass(frozen=True)
class Permission:
    does: str  # what the actor would do, in words, for the refusal
    roles: tuple[str, ...]  # who may, by preference


# Who may do what: the one roles table. Commands enforce it (Actor.authorize); the admin
# and the API read it to offer only what the command would accept.
PERMISSIONS: dict[str, Permission] = {
    "case_open": Permission("open a case", (*CASE_WRITERS, SYSTEM)),
    "case_edit": Permission("edit a case", CASE_WRITERS),
    "case_edit_legal": Permission("record an outcome or legal qualification", LEGAL_DECIDERS),
    "source_attach": Permission("attach a source", (*CASE_WRITERS, SYSTEM)),
    # Who may attach may detach (with a reason; the history keeps the source).
    "source_detach": Permission("detach a source", (*CASE_WRITERS, SYSTEM)),
    "exhibit_complete": Permission(
        "complete an attached source with its original", (*CASE_WRITERS, SYSTEM)
    ),
    "note_add": Permission("add a note", CASE_WRITERS),
    "case_assign": Permission("assign a case", (SUPERVISOR, DOCUMENTER)),
    "criteria_waive": Permission("waive entry criteria", (SUPERVISOR,)),
    "transition_request": Permission("request a state change", REQUESTERS),
    "transition_approve": Permission("approve a state change", (SUPERVISOR,)),
    "transition_reject": Permission("reject a state change", (SUPERVISOR,)),
    "transition_withdraw": Permission("withdraw a request", REQUESTERS),
    "source_grade": Permission("grade a source", CASE_WRITERS),
    "provenance_record": Permission("record provenance", (*CASE_WRITERS, SYSTEM)),
    "verification_record": Permission("record a verification step", CASE_WRITERS),
    "fact_record": Permission("record a fact", CASE_WRITERS),
    "fact_support": Permission("cite a source's span for a fact", CASE_WRITERS),
    "support_origin_record": Permission("record a cited span's origin", CASE_WRITERS),
    "support_aggregate_mark": Permission("mark a cited span as an aggregate", CASE_WRITERS),
    "aggregate_link": Permission("link an aggregate figure to a fact", CASE_WRITERS),
    "support_withdraw": Permission("withdraw a span's support", CASE_WRITERS),
    "qualification_add": Permission("add a legal qualification", (LEGAL_REVIEWER,)),
    "element_assess": Permission("assess an element of crime", (LEGAL_REVIEWER,)),
    "conflict_classify": Permission("classify the armed conflict", (LEGAL_REVIEWER,)),
    "liability_allege": Permission("allege a mode of liability", (LEGAL_REVIEWER,)),
    "liability_element_assess": Permission(
        "assess an element of a mode of liability", (LEGAL_REVIEWER,)
    ),
    "person_add": Permission("add a person", CASE_WRITERS),
    # Who may add may remove (with a reason; the history keeps the person).
    "person_remove": Permission("remove a person", CASE_WRITERS),
    # Looking is not changing: a cleared auditor may look too (identity_reveal), and
    # clearance is checked besides the role.
    "identity_reveal": Permission("see a protected identity", CASE_WRITERS),
    "case_split": Permission("split a case", CASE_WRITERS),
    "link_dismiss": Permission("dismiss a suggested link", LINK_DECIDERS),
    "cases_merge": Permission("merge cases", LINK_DECIDERS),
    "merge_approve": Permission("approve a merge", (SUPERVISOR,)),
    "merge_reject": Permission("reject a merge", (SUPERVISOR,)),
    # At intake only; the record is kept and a supervisor other than the documenter
    # may put the candidate back.
    "candidate_discard": Permission("discard a candidate", (DOCUMENTER,)),
    "candidate_restore": Permission("restore a discarded candidate", (SUPERVISOR,)),
    "restriction_request": Permission("ask to restrict a case", CASE_WRITERS),
    "restriction_approve": Permission("approve a restriction", (SUPERVISOR,)),
    "restriction_reject": Permission("reject a restriction", (SUPERVISOR,)),
    "ingestion_submit": Permission("submit a document for ingestion", (*CASE_WRITERS, SYSTEM)),
    "case_export": Permission("export a case", EXPORTERS),
}


CLEARANCE = ("casefiles", "reveal_identity")
# What an API token may be used for: reading only, or reading and writing.
TOKEN_SCOPES = ("read", "write")


def holds_clearance(user: "User") -> bool:
    """Clearance for protected identities is an explicit grant only: the permission
    given to the user, or to a group the user belongs to. Not `user.has_perm`, which
    answers True for every superuser: administering accounts is no clearance."""
    from django.contrib.auth.models import Permission
    from django.db.models import Q

    app_label, codename = CLEARANCE
    return Permission.objects.filter(
        Q(user=user) | Q(group__user=user),
        content_type__app_label=app_label,
        codename=codename,
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
    def for_user(cls, user: "User | AnonymousUser | None") -> "Actor":
        """The user's roles as they are now; the event records the role that was used."""
        if user is None or not user.is_authenticated:
            raise PermissionDenied("you must be signed in")
        if not user.is_active:
            raise PermissionDenied(f"user {user.get_username()} is deactivated")
        roles = frozenset(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
        return cls(
            user_id=user.pk,
            username=user.get_username(),
            roles=roles,
            cleared=holds_clearance(user),
        )

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
            f"{self.username} ({held}) may not {action}: needs the role " + " or ".join(people)
        )

    def authorize(self, name: str) -> str:
        """The role under which this actor may do `name` (a key of PERMISSIONS)."""
        permission = PERMISSIONS[name]
        return self.role_for(permission.does, permission.roles)

    def as_event_actor(self, role: str) -> dict[str, Any]:
        if self.is_system:
            return {"id": None, "username": self.username, "role": SYSTEM}
        return {"id": self.user_id, "username": self.username, "role": role}
