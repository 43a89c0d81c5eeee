"""The append-only, hash-chained event store. Only commands call append()."""

import hashlib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import IntegrityError, connection, transaction

from casefiles import statements
from casefiles.domain.chain import ChainReport, check_chain
from casefiles.domain.events import validate_payload
from casefiles.domain.hashing import GENESIS_HASH, NotCanonical, canonical_json, event_hash
from casefiles.errors import (
    ConcurrencyError,
    IdempotencyKeyReused,
    InvalidCommand,
    StaleVersion,
)
from casefiles.models import Event, IdempotencyRecord

TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
# PostgreSQL advisory lock held shared by every transaction that appends, from before
# its events get positions until it ends; the log's sequencer takes it exclusively for
# an instant (casefiles/transparency.py).
WRITERS_LOCK = 0x6361_7365_6C6F_6701
# First half of the two-key advisory lock that one idempotency key's requests queue on
# (the second is the key's hash; two-key locks never meet the one-key WRITERS_LOCK).
IDEMPOTENCY_LOCKS = 0x6964_6B79


def format_time(moment: datetime) -> str:
    """RFC 3339 UTC with microseconds: fixed width, so strings sort as times do."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: event times are UTC")
    return moment.astimezone(UTC).strftime(TIME_FORMAT)


def parse_time(value: str) -> datetime:
    return datetime.strptime(value, TIME_FORMAT).replace(tzinfo=UTC)


def now() -> str:
    return format_time(datetime.now(UTC))


@dataclass(frozen=True)
class NewEvent:
    type: str
    payload: dict[str, Any]


def fingerprint(*parts: Any) -> str:
    return hashlib.sha256(canonical_json(parts).encode()).hexdigest()


def append(
    case_id: uuid.UUID | str,
    *,
    expected_version: int,
    actor: dict[str, Any],
    events: list[NewEvent],
    idempotency_key: str | None = None,
    request_fingerprint: str | None = None,
) -> tuple[list[Event], bool]:
    """Append `events` after `expected_version` of the case's chain, in the caller's
    transaction. Returns (events, replayed): replayed is True when the idempotency key
    was seen before and the first result is returned instead of writing again.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("append() runs inside a command's transaction")
    if not events:
        raise ValueError("nothing to append")
    case_id = str(case_id)
    if idempotency_key is not None:
        earlier = replay(idempotency_key, case_id, request_fingerprint)
        if earlier is not None:
            return earlier, True

    current_version, prev_hash = head(case_id)
    if current_version != expected_version:
        raise StaleVersion.of("the case", expected=expected_version, actual=current_version)
    occurred_at = now()
    rows = []
    for offset, new in enumerate(events, start=1):
        try:
            event_type = validate_payload(new.type, new.payload)
        except NotCanonical as exc:
            raise InvalidCommand(str(exc)) from exc
        fields = {
            "case_id": case_id,
            "version": expected_version + offset,
            "type": new.type,
            "schema": event_type.schema,
            "payload": new.payload,
            "actor": actor,
            "occurred_at": occurred_at,
            "prev_hash": prev_hash,
        }
        fields["hash"] = prev_hash = event_hash(fields)
        rows.append(Event(**fields))
    try:
        # No savepoint of its own: a lost race ends the command, whose transaction (or,
        # nested, its savepoint) is rolled back as the error leaves it.
        statements.insert(rows)
        if idempotency_key is not None:
            IdempotencyRecord.objects.create(
                key=idempotency_key,
                case_id=case_id,
                fingerprint=request_fingerprint or "",
                first_version=rows[0].version,
                last_version=rows[-1].version,
            )
    except IntegrityError as exc:
        # Another transaction appended the same version (or used the same key) after
        # we read the head: the unique constraint decided, nothing of ours is written.
        raise ConcurrencyError(
            "another change to this case was recorded at the same moment; reload and try again"
        ) from exc
    return rows, False


@contextmanager
def snapshot() -> Iterator[None]:
    """Reads that see one state of the store, so that no commit lands between them
    (PostgreSQL: a repeatable-read, read-only transaction; SQLite: one transaction).
    Inside a transaction already (e.g. a test) that transaction is the snapshot."""
    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


def head(case_id: uuid.UUID | str) -> tuple[int, str]:
    """The chain's last (version, hash), read from the events themselves (not from a read
    model), so a new event always links to what is stored. Plain SQL, as every command
    runs it (casefiles/statements.py says why)."""
    field = Event._meta.get_field("case_id")
    sql = (
        f"SELECT version, hash FROM {Event._meta.db_table} WHERE case_id = %s "  # noqa: S608
        "ORDER BY version DESC LIMIT 1"
    )
    if connection.vendor == "postgresql":
        # In the same round trip, the lock that tells the log's sequencer this
        # transaction may still add events (casefiles/transparency.py): taken before
        # the events get their positions, held until commit.
        sql = (
            "SELECT head.version, head.hash FROM "  # noqa: S608
            f"(SELECT pg_advisory_xact_lock_shared({WRITERS_LOCK})) AS lock "
            f"LEFT JOIN LATERAL ({sql}) AS head ON TRUE"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, [field.get_db_prep_value(case_id, connection)])
        row = cursor.fetchone()
    return (row[0], row[1]) if row and row[0] is not None else (0, GENESIS_HASH)


def replay(
    idempotency_key: str, case_id: str, request_fingerprint: str | None
) -> list[Event] | None:
    """The events first appended under `idempotency_key`, or None if it is new.

    On PostgreSQL the key is locked until this transaction ends. Two identical retries
    sent at once would otherwise both find no record, both lock the case, and the second
    would see the case moved on by the first: 412 instead of the first answer. Now the
    second waits here until the first commits (and then finds its record) or rolls back
    (and then runs itself). SQLite needs nothing: its writers already run one at a time.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, hashtext(%s))",
                [IDEMPOTENCY_LOCKS, idempotency_key],
            )
    record = IdempotencyRecord.objects.filter(key=idempotency_key).first()
    if record is None:
        return None
    if record.fingerprint != (request_fingerprint or "") or str(record.case_id) != str(case_id):
        raise IdempotencyKeyReused(
            f"idempotency key {idempotency_key!r} was already used for a different "
            "request; use a new key for a new request"
        )
    return list(
        Event.objects.filter(
            case_id=record.case_id,
            version__range=(record.first_version, record.last_version),
        ).order_by("version")
    )


def stream(
    case_id: uuid.UUID | str, *, upto_version: int | None = None, upto_time: str | None = None
) -> Iterator[dict[str, Any]]:
    """A case's events in version order, as records (the exported form)."""
    events = Event.objects.filter(case_id=case_id).order_by("version")
    if upto_version is not None:
        events = events.filter(version__lte=upto_version)
    if upto_time is not None:
        events = events.filter(occurred_at__lte=upto_time)
    for event in events.iterator(chunk_size=2000):
        yield event.as_record()


def verify_case(case_id: uuid.UUID | str) -> ChainReport:
    """Recompute one case's chain in stored order, so reordered rows are caught too."""
    events = Event.objects.filter(case_id=case_id).order_by("position")
    records = (event.as_record() for event in events.iterator(chunk_size=2000))
    return check_chain(records, str(case_id))


def case_ids() -> Iterator[uuid.UUID]:
    return Event.objects.values_list("case_id", flat=True).distinct().order_by("case_id").iterator()
