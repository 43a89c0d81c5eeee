"""A case's state as a pure fold of its events: `evolve(state, event) -> state`.

Used for time travel (`case_at`) and compared against the live projections by the
tests; the commands decide on the same CaseState type, loaded from the projections.
What each event does to the state is its declaration's `effect`
(casefiles/domain/eventtypes/); `evolve` only applies it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from casefiles.domain.casestate import (
    EDITABLE_FIELDS,
    LIST_FIELDS,
    CaseState,
    LinkRef,
    NoteRef,
    PendingRequest,
    SourceRef,
    Waiver,
)
from casefiles.domain.effects import resolve
from casefiles.domain.events import REGISTRY
from casefiles.domain.eventtype import CASE, NO_STATE

__all__ = [
    "EDITABLE_FIELDS",
    "EVENTS_WITHOUT_STATE",
    "LIST_FIELDS",
    "CaseState",
    "LinkRef",
    "NoteRef",
    "PendingRequest",
    "SourceRef",
    "Waiver",
    "evolve",
    "fold",
]

# Registered case event types that change nothing the CaseState holds.
EVENTS_WITHOUT_STATE: frozenset[str] = frozenset(
    name
    for name, event_type in REGISTRY.items()
    if event_type.stream == CASE and event_type.effect is NO_STATE
)


def evolve(case: CaseState | None, event: Mapping[str, Any]) -> CaseState:
    kind = event["type"]
    event_type = REGISTRY.get(kind)
    if event_type is None or event_type.stream != CASE:
        raise ValueError(f"evolve() does not know event type {kind!r}")
    if event_type.opens:
        if case is not None:
            raise ValueError(f"{kind} on an existing case")
        case = CaseState(
            case_id=event["case_id"],
            version=0,
            head_hash="",
            updated_at=event["occurred_at"],
            **event_type.effect(event["payload"], event),
        )
    elif case is None:
        raise ValueError(f"{kind} before CaseOpened")
    elif event_type.effect is not NO_STATE:
        changes = event_type.effect(event["payload"], event)
        case = replace(
            case, **{name: resolve(getattr(case, name), change) for name, change in changes.items()}
        )
    return replace(
        case, version=event["version"], head_hash=event["hash"], updated_at=event["occurred_at"]
    )


def fold(events: Iterable[Mapping[str, Any]]) -> CaseState | None:
    case = None
    for event in events:
        case = evolve(case, event)
    return case
