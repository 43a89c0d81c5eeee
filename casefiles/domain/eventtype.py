"""The declaration every event type makes, and the registry holding one per type.

An event type is one class in a concept module of casefiles/domain/eventtypes/: its
name (the class name), schema version, required payload keys, its effect on CaseState
(`effect`, or `effect = NO_STATE` said explicitly) and its description for people
(`describe`). `register` refuses a declaration missing any of these, so a type cannot
be half-added. Projections are declared in casefiles/projections.py, derived from
`effect` for case events (tests/test_event_registry.py checks every type has one).

Types are past tense. Changing a payload's meaning or shape means a new schema version
of that type (docs/event-format.md), never an edit to an existing one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from casefiles.domain.effects import Effect
from casefiles.domain.hashing import NotCanonical

# Which stream a type's events belong to: a case's chain (folded into a CaseState), a
# source's custody stream, or the transparency log's own stream.
CASE, SOURCE, LOG = "case", "source", "log"


class _NoState:
    def __repr__(self) -> str:
        return "NO_STATE"


# Said by types recorded in a case's chain that change nothing CaseState holds (who
# looked, what was exported): the event still moves the version and head hash.
NO_STATE: Any = _NoState()

# An event's payload, or the event itself as `effect` sees it (type, actor, occurred_at…).
Payload = Mapping[str, Any]


class EventType:
    name: str
    schema: int = 1
    required: tuple[str, ...] = ()
    stream: str = CASE
    opens: bool = False  # the type that starts a stream: effect gives every field

    def validate(self, payload: Any) -> None:
        """Raise NotCanonical with a reason a person can act on."""
        if not isinstance(payload, dict):
            raise NotCanonical(f"{self.name} payload must be an object")
        missing = [key for key in self.required if key not in payload]
        if missing:
            raise NotCanonical(f"{self.name} payload is missing {', '.join(missing)}")

    def effect(self, payload: Mapping[str, Any], event: Mapping[str, Any]) -> Effect:
        raise NotImplementedError

    def describe(self, payload: Mapping[str, Any]) -> str:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<event type {self.name}/{self.schema}>"


REGISTRY: dict[str, EventType] = {}


def missing_parts(cls: type[EventType]) -> list[str]:
    """The parts a declaration leaves out (empty when complete)."""
    missing = []
    schema = cls.__dict__.get("schema")
    if not isinstance(schema, int) or schema < 1:
        missing.append("schema version")
    required = cls.__dict__.get("required")
    if not isinstance(required, tuple) or not required:
        missing.append("required payload keys")
    if "effect" not in cls.__dict__:
        missing.append("effect (or effect = NO_STATE)")
    if cls.stream != CASE and cls.__dict__.get("effect") is not NO_STATE:
        missing.append("effect = NO_STATE (not a case event)")
    if "describe" not in cls.__dict__:
        missing.append("describe")
    if cls.stream not in (CASE, SOURCE, LOG):
        missing.append("stream")
    return missing


def register(cls: type[EventType]) -> EventType:
    """Class decorator: the module-level name becomes the registered instance."""
    missing = missing_parts(cls)
    if missing:
        raise TypeError(f"event type {cls.__name__} lacks {', '.join(missing)}")
    if cls.__name__ in REGISTRY:
        raise ValueError(f"event type {cls.__name__} registered twice")
    event_type = cls()
    event_type.name = cls.__name__
    REGISTRY[event_type.name] = event_type
    return event_type


def who(event: Mapping[str, Any]) -> str:
    return str(event["actor"]["username"])
