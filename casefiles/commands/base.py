"""What every command shares: the transaction, the append-then-project step, checks."""

import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar, cast

from django.db import transaction

from casefiles import eventstore, projections
from casefiles.domain import workflow
from casefiles.domain.actors import Actor
from casefiles.domain.state import CaseState, SourceRef
from casefiles.errors import InvalidCommand, NotFound, StaleVersion
from casefiles.eventstore import NewEvent
from casefiles.models import Event
from casefiles.selectors import CaseHead, case_state

# A case's, source's or job's id as callers hold it: the UUID or its text.
Id = str | uuid.UUID


@dataclass(frozen=True)
class Outcome:
    case_id: str
    version: int
    events: list[Event] = field(default_factory=list)
    replayed: bool = False


class _Replayed(Exception):  # noqa: N818 - not an error: the answer to a retry
    """Raised by begin() when the idempotency key was seen before: the command ends with
    the first outcome (its @command returns it) without deciding anything again."""

    def __init__(self, outcome: Outcome):
        super().__init__(outcome)
        self.outcome = outcome


P = ParamSpec("P")
R = TypeVar("R")


def command(func: Callable[P, R]) -> Callable[P, R]:
    """One command, one transaction: events and read models commit together or not at all."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            with transaction.atomic():
                return func(*args, **kwargs)
        except _Replayed as replay:
            # Only commands that return an Outcome call begin() with an idempotency key.
            return cast(R, replay.outcome)

    return wrapper


@dataclass(frozen=True)
class Change:
    """A command under way: the actor and the role it acts under, the case as read under
    its row lock (None for a case being opened), and the idempotency key with the
    request it stands for."""

    actor: Actor
    role: str
    case_id: str
    case: CaseState | CaseHead | None
    idempotency_key: str | None = None
    request: tuple[Any, ...] = ()

    @property
    def state(self) -> CaseState:
        """The case as begin() read it with the default `read=case_state`."""
        if not isinstance(self.case, CaseState):
            raise TypeError(f"this command read {self.case!r}, not the whole CaseState")
        return self.case

    @property
    def head(self) -> CaseState | CaseHead:
        """The case as begin() read it, whole or only its head (`read=case_head`)."""
        if self.case is None:
            raise TypeError("this command opens a case: there was none to read")
        return self.case

    def write(self, *events: NewEvent) -> Outcome:
        """Append `events` at the version read (nothing in between: the row is locked)."""
        return write(
            self.case_id,
            actor=self.actor,
            role=self.role,
            expected_version=self.case.version if self.case else 0,
            events=list(events),
            idempotency_key=self.idempotency_key,
            request=self.request,
        )


def begin(
    actor: Actor,
    action: str | None,
    case_id: Id,
    *,
    expected_version: int | None = None,
    idempotency_key: str | None = None,
    request: tuple[Any, ...] = (),
    read: Callable[..., CaseState | CaseHead] | None = case_state,
    writable: bool = True,
    role: str | None = None,
    precheck: Callable[[CaseState | CaseHead], None] | None = None,
) -> Change:
    """The opening every command shares, in its order: the role (`action` in the roles
    table, or the `role` a caller already settled, e.g. a system process's), the replay
    of an earlier request with the same idempotency key (looked up before deciding, so a
    retry gets its first answer even when the case has moved on since), the case read
    under its row lock (`read`: the whole CaseState, the cheaper CaseHead, or None for a
    case being opened), the expected version, and, when `writable`, that the case is
    neither merged nor closed. `precheck(case)` runs before the version check: a conflict
    it reports (e.g. a request already decided) says more than "the case changed"."""
    if role is None:
        if action is None:
            raise ValueError("begin() needs the action (roles table) or the role")
        role = actor.authorize(action)
    if earlier := replayed(idempotency_key, str(case_id), actor, request):
        raise _Replayed(earlier)
    if read is None:
        return Change(actor, role, str(case_id), None, idempotency_key, request)
    # Row lock: concurrent commands on this case run one after the other, each deciding
    # on what the one before it wrote.
    case = read(case_id, lock=True)
    if precheck is not None:
        precheck(case)
    check_expected(case, expected_version)
    if writable:
        check_writable(case)
    return Change(actor, role, case.case_id, case, idempotency_key, request)


def write(
    case_id: str,
    *,
    actor: Actor,
    role: str,
    expected_version: int,
    events: list[NewEvent],
    idempotency_key: str | None = None,
    request: tuple[Any, ...] = (),
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
    idempotency_key: str | None, case_id: str, actor: Actor, request: tuple[Any, ...]
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


def check_expected(case: CaseState | CaseHead, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != case.version:
        raise StaleVersion.of(case.reference, expected=expected_version, actual=case.version)


def check_writable(case: CaseState | CaseHead) -> None:
    if case.merged_into:
        raise InvalidCommand(
            f"{case.reference} was merged into another case; work on that case instead"
        )
    if case.state == workflow.CLOSED:
        raise InvalidCommand(f"{case.reference} is closed; its record can no longer change")
    if case.state == workflow.DISCARDED:
        raise InvalidCommand(
            f"{case.reference} was discarded at intake; a supervisor must restore it before "
            "its record can change"
        )


def source_of(case: CaseState, source_id: object) -> SourceRef:
    source = next((s for s in case.sources if s.source_id == str(source_id)), None)
    if source is None:
        raise NotFound(f"{case.reference} has no source {source_id}")
    return source


def require_text(value: object, name: str, *, max_length: int | None = None) -> str:
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


@dataclass(frozen=True)
class Correction:
    """A command that takes one item (a source, a person) out of what a case holds now,
    with a reason, the history keeping it. The API's endpoint
    (`POST /api/cases/{id}/{items}/{item id}/{verb}/`, body `{"reason"}`, If-Match) and
    the admin's action (a reason form, a button per item) are derived from this
    declaration, so adding one touches neither."""

    name: str  # the command, and its entry in the roles table (domain/actors.py)
    run: Callable[..., Outcome]  # run(actor=, case_id=, <key>=, reason=, expected_version=)
    items: str  # the CaseState field holding the items, and the URL segment
    key: str  # the item's id field
    verb: str  # the URL segment and the admin action's name
    title: str  # for people; marked with gettext_noop, translated by the admin
    done: str  # the admin's message: %(item)s and %(ref)s; marked like `title`
    label: Callable[[Any], str]  # an item as people see it (a protected person's pseudonym)


CORRECTIONS: dict[str, Correction] = {}


def correction(
    *, items: str, key: str, verb: str, title: str, done: str, label: Callable[[Any], str]
) -> Callable[[Callable[..., Outcome]], Callable[..., Outcome]]:
    """Declare a command as a correction (see `Correction`); registered when its module
    is imported (the API and the admin import every command module they serve)."""

    def register(func: Callable[..., Outcome]) -> Callable[..., Outcome]:
        if verb in CORRECTIONS:
            raise ValueError(f"correction {verb!r} declared twice")
        CORRECTIONS[verb] = Correction(func.__name__, func, items, key, verb, title, done, label)
        return func

    return register


def corrections() -> tuple[Correction, ...]:
    """Every declared correction, for the entry points that derive from them."""
    return tuple(CORRECTIONS.values())


def item_of(case: CaseState, items: str, key: str, value: object) -> Any:
    """The item of `case.<items>` whose `key` is `value`, or NotFound."""
    for item in getattr(case, items):
        found = item[key] if isinstance(item, dict) else getattr(item, key)
        if found == str(value):
            return item
    raise NotFound(f"{case.reference} has no {items.removesuffix('s')} {value}")
