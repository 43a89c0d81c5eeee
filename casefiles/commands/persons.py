"""Persons linked to a case, and the audited look at a protected person's identity."""

import secrets

from django.utils.translation import gettext_noop

from casefiles.commands.base import (
    Id,
    Outcome,
    begin,
    command,
    correction,
    item_of,
    new_id,
    require_text,
)
from casefiles.domain.actors import AUDITOR, Actor
from casefiles.domain.events import IDENTITY_REVEALED, PERSON_ADDED
from casefiles.domain.eventtypes.persons import PERSON_FIELDS, PersonRemoved
from casefiles.domain.hashing import identity_commitment
from casefiles.domain.persons import PERSON_ROLES, default_pseudonym, person_label
from casefiles.errors import InvalidCommand, NotFound, PermissionDenied
from casefiles.eventstore import NewEvent
from casefiles.models import ProtectedIdentity

TEXT_MAX = 20_000


@command
def person_add(
    *,
    actor: Actor,
    case_id: Id,
    role: str,
    name: str,
    pseudonym: str = "",
    protected: bool = False,
    expected_version: int | None = None,
) -> Outcome:
    """A person linked to the case. A protected person's name goes to the protected
    store; the event records a pseudonym and a salted commitment only."""
    change = begin(actor, "person_add", case_id, expected_version=expected_version)
    case = change.state
    if role not in PERSON_ROLES:
        raise InvalidCommand(f"role must be one of {', '.join(PERSON_ROLES)}")
    name = require_text(name, "name", max_length=300)
    person_id = new_id()
    pseudonym = (pseudonym or "").strip() or default_pseudonym(role, case.persons)
    commitment = None
    if protected:
        salt = secrets.token_hex(16)
        commitment = identity_commitment(salt, name)
        ProtectedIdentity.objects.create(
            person_id=person_id, case_id=case.case_id, name=name, salt=salt
        )
    return change.write(
        NewEvent(
            PERSON_ADDED.name,
            {
                "person_id": person_id,
                "role": role,
                "pseudonym": pseudonym,
                "protected": bool(protected),
                "name": None if protected else name,
                "identity_commitment": commitment,
            },
        )
    )


@correction(
    items="persons",
    key="person_id",
    verb="remove",
    title=gettext_noop("Remove the person"),
    done=gettext_noop("%(item)s was removed from %(ref)s; the history keeps the record."),
    label=person_label,
)
@command
def person_remove(
    *, actor: Actor, case_id: Id, person_id: Id, reason: str, expected_version: int | None = None
) -> Outcome:
    """Unlink a person from the case, with a reason. The event carries what PersonAdded
    showed (a protected person's pseudonym, never the name); the protected identity
    stays in its store, behind the commitment the history keeps."""
    change = begin(actor, "person_remove", case_id, expected_version=expected_version)
    person = item_of(change.state, "persons", "person_id", person_id)
    payload = {
        **{key: person[key] for key in PERSON_FIELDS},
        "reason": require_text(reason, "reason", max_length=TEXT_MAX),
    }
    return change.write(NewEvent(PersonRemoved.name, payload))


@command
def identity_reveal(*, actor: Actor, case_id: Id, person_id: Id, reason: str) -> str:
    """Return a protected person's real name to a cleared user, recording that they
    looked and why."""
    # Looking is not changing: a cleared auditor may look too, and the look is recorded.
    role = AUDITOR if AUDITOR in actor.roles else actor.authorize("identity_reveal")
    if not actor.cleared:
        raise PermissionDenied(f"{actor.username} has no clearance for protected identities")
    # Looking is possible on any case, closed or merged too.
    change = begin(actor, "identity_reveal", case_id, role=role, writable=False)
    case = change.state
    person = next((p for p in case.persons if p["person_id"] == str(person_id)), None)
    if person is None:
        raise NotFound(f"{case.reference} has no person {person_id}")
    if not person["protected"]:
        return str(person["name"])
    identity = ProtectedIdentity.objects.get(person_id=person["person_id"])
    change.write(
        NewEvent(
            IDENTITY_REVEALED.name,
            {
                "person_id": person["person_id"],
                "reason": require_text(reason, "reason", max_length=TEXT_MAX),
            },
        )
    )
    return identity.name
