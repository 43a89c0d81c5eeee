"""Persons in a case. A protected person's identity never enters the chain: the event
carries a pseudonym and a salted SHA-256 commitment; the identity itself is kept in the
protected-identity store, and every look at it is recorded."""

from casefiles.domain.effects import Append, Effect, Remove
from casefiles.domain.eventtype import NO_STATE, EventType, Payload, register

PERSON_FIELDS = ("person_id", "role", "pseudonym", "protected", "name")


@register
class PersonAdded(EventType):
    schema = 1
    required = ("person_id", "role", "pseudonym", "protected", "name", "identity_commitment")

    def effect(self, p: Payload, e: Payload) -> Effect:
        return {"persons": Append({k: p[k] for k in PERSON_FIELDS})}

    def describe(self, p: Payload) -> str:
        shown = p["pseudonym"] if p["protected"] else p["name"]
        return f"Added {p['role'].replace('_', ' ')} {shown}" + (
            " (protected: shown under a pseudonym)" if p["protected"] else ""
        )


@register
class PersonRemoved(EventType):
    """A person no longer linked to the case (added by mistake, or to the wrong case).
    The PersonAdded event, with a protected person's commitment, stays in the history;
    this event names a protected person by pseudonym only, like PersonAdded."""

    schema = 1
    required = (*PERSON_FIELDS, "reason")

    def effect(self, p: Payload, e: Payload) -> Effect:
        return {"persons": Remove("person_id", p["person_id"])}

    def describe(self, p: Payload) -> str:
        shown = p["pseudonym"] if p["protected"] else p["name"]
        return (
            f"Removed {p['role'].replace('_', ' ')} {shown}"
            + (" (protected: shown under a pseudonym)" if p["protected"] else "")
            + f": {p['reason']}"
        )


@register
class IdentityRevealed(EventType):
    schema = 1
    required = ("person_id", "reason")
    effect = NO_STATE  # who looked is recorded; what the case holds does not change

    def describe(self, p: Payload) -> str:
        return f"Viewed the real identity of a protected person: {p['reason']}"
