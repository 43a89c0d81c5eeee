"""What every command shares: the transaction, the append-then-project step, checks."""

import functools
import uuid
from dataclasses import dataclass, field

from django.db import transaction

from casefiles import eventstore, projections
from casefiles.domain import workflow
from casefiles.domain.actors import Actor
from casefiles.domain.state import CaseState, SourceRef
from casefiles.errors import InvalidCommand, NotFound, StaleVersion
from casefiles.eventstore import NewEvent
from casefiles.models import Event
from casefiles.selectors import CaseHead, case_state


@dataclass(frozen=True)
class Outcome:
    case_id: str
    version: int
    events: list[Event] = field(default_factory=list)
    replayed: bool = False


def command(func):
    """One command, one transaction: events and read models commit together or not at all."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with transaction.atomic():
            return func(*args, **kwargs)

    return wrapper


def write(
    case_id: str,
    *,
    actor: Actor,
    role: str,
    expected_version: int,
    events: list[NewEvent],
    idempotency_key: str | None = None,
    request: tuple = (),
) -> Outcome:
    stored, replayed = eventstore.append(
        case_id,
        expected_version=expected_version,
        actor=actor.as_event_actor(role),
        events=events,
        idempotency_key=idempotency_key,
        request_fingerprint=eventstore.fingerprint(actor.username, *request)
        if idempotency_key
        else None,
    )
    if not replayed:
        projections.project(event.as_record() for event in stored)
    return Outcome(str(case_id), stored[-1].version, stored, replayed)


def replayed(
    idempotency_key: str | None, case_id: str, actor: Actor, request: tuple
) -> Outcome | None:
    """The outcome of an earlier command with this key, looked up before deciding, so a
    retry gets its first answer even when the case has moved on since."""
    if idempotency_key is None:
        return None
    stored = eventstore.replay(
        idempotency_key, case_id, eventstore.fingerprint(actor.username, *request)
    )
    if stored is None:
        return None
    return Outcome(str(case_id), stored[-1].version, stored, True)


def check_expected(case: CaseState, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != case.version:
        raise StaleVersion(
            f"{case.reference} changed since you read it (you had version "
            f"{expected_version}, it is now at version {case.version}); reload and try again",
            expected=expected_version,
            actual=case.version,
        )


def check_writable(case: CaseState | CaseHead) -> None:
    if case.merged_into:
        raise InvalidCommand(
            f"{case.reference} was merged into another case; work on that case instead"
        )
    if case.state == workflow.CLOSED:
        raise InvalidCommand(f"{case.reference} is closed; its record can no longer change")


def writable_case(case_id, expected_version: int | None) -> CaseState:
    """The case, locked, at the version the caller read, and open for changes."""
    case = case_state(case_id, lock=True)
    check_expected(case, expected_version)
    check_writable(case)
    return case


def source_of(case: CaseState, source_id) -> SourceRef:
    source = next((s for s in case.sources if s.source_id == str(source_id)), None)
    if source is None:
        raise NotFound(f"{case.reference} has no source {source_id}")
    return source


def write_one(case: CaseState, actor: Actor, role: str, event: NewEvent) -> Outcome:
    """Append one event to a case read (and locked) by this command."""
    return write(case.case_id, actor=actor, role=role, expected_version=case.version,
                 events=[event])


def require_text(value, name: str, *, max_length: int | None = None) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidCommand(f"{name} is required")
    value = value.strip()
    if max_length and len(value) > max_length:
        raise InvalidCommand(f"{name} is {len(value)} characters; the limit is {max_length}")
    if "\x00" in value:
        raise InvalidCommand(f"{name} contains a NUL character")
    return value


def new_id() -> str:
    return str(uuid.uuid4())
