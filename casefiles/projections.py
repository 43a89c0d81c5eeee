"""Read models as pure consequences of events.

A case event's projection is derived from its declared effect on CaseState
(casefiles/domain/eventtypes/): the read models are an image of CaseState (`Image`),
so the effect's changes become column updates and child rows. Handlers registered with
`@handles` add only what is specific to a table (the decision on a transition request,
the Source table of the ingestion streams).

`project(events)` runs inside the command's transaction, right after the append, so
a read model never shows a change whose event is not stored (and vice versa).
`rebuild()` replays every event from scratch; `snapshot()` makes two states comparable.
"""

import contextvars
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, is_dataclass
from dataclasses import fields as dataclass_fields
from datetime import date, datetime
from typing import Any, NamedTuple

from django.db import models, transaction

from casefiles import blobs, statements
from casefiles.domain import workflow
from casefiles.domain.effects import Amend, Append, Change, Remove
from casefiles.domain.events import REGISTRY
from casefiles.domain.eventtype import CASE, NO_STATE
from casefiles.domain.state import (
    CaseState,
    LinkRef,
    NoteRef,
    PendingRequest,
    SourceRef,
    Waiver,
    evolve,
)
from casefiles.eventstore import format_time, parse_time
from casefiles.models import (
    CaseFile,
    CaseLink,
    CaseNote,
    CaseSource,
    Event,
    Source,
    TransitionRequest,
    check_writable,
    projecting,
)

Record = dict[str, Any]
# Table-specific projections, beside (case events) or instead of (other streams) the
# projection derived from each event type's effect.
HANDLERS: dict[str, list[Callable[[Record], None]]] = {}
READ_MODELS = (Source, CaseFile, CaseSource, CaseNote, TransitionRequest, CaseLink)


def handles(type_name: str):
    def register(func):
        HANDLERS.setdefault(type_name, []).append(func)
        return func

    return register


def project(records: Iterable[Record]) -> None:
    with projecting():
        for record in records:
            steps = PROJECTORS.get(record["type"])
            if steps is None:
                raise LookupError(f"no projection handles {record['type']}")
            for step in steps:
                step(record)


class LiveStore:
    """Writes each change as it comes: the command path, in plain SQL built from the
    models' fields (casefiles/statements.py says why)."""

    def create(self, model, **fields) -> None:
        check_writable(model)
        statements.insert([model(**fields)])

    def update(self, model, key: dict, **fields) -> None:
        check_writable(model)
        statements.update(model, key, fields)

    def delete(self, model, key: dict) -> None:
        check_writable(model)
        model.objects.filter(**key).delete()

    def value(self, model, key: dict, field: str):
        return model.objects.values_list(field, flat=True).get(**key)

    def rows(self, model, fields: tuple[str, ...], **key) -> list[dict]:
        return list(model.objects.filter(**key).values(*fields))


# Each read model's identity as the events define it (not its surrogate id).
NATURAL_KEYS = {
    "Source": ("id",),
    "CaseFile": ("id",),
    "CaseSource": ("case_id", "source_id"),
    "CaseNote": ("note_id",),
    "TransitionRequest": ("request_id",),
    "CaseLink": ("case_id", "link_id"),
}


class BufferStore:
    """Keeps rows in memory and inserts them in bulk: the rebuild path. The same handlers
    run against it, so a rebuild and the live projection cannot drift apart in logic."""

    def __init__(self):
        self.buffer: dict[str, dict[tuple, dict]] = {m.__name__: {} for m in READ_MODELS}

    def _key(self, model, key: dict) -> tuple:
        names = NATURAL_KEYS[model.__name__]
        if "pk" in key:
            key = {names[0]: key["pk"]}
        return tuple(str(key[name]) for name in names)

    def create(self, model, **fields) -> None:
        # The row as the database would hold it, model defaults included.
        row = {
            field.attname: field.get_default()
            for field in model._meta.concrete_fields
            if not field.auto_created
        }
        row.update(fields)
        self.buffer[model.__name__][self._key(model, fields)] = row

    def update(self, model, key: dict, **fields) -> None:
        row = self.buffer[model.__name__].get(self._key(model, key))
        if row is not None:
            row.update(fields)

    def delete(self, model, key: dict) -> None:
        self.buffer[model.__name__].pop(self._key(model, key), None)

    def value(self, model, key: dict, field: str):
        return self.buffer[model.__name__][self._key(model, key)][field]

    def rows(self, model, fields: tuple[str, ...], **key) -> list[dict]:
        return [
            {name: row[name] for name in fields}
            for row in self.buffer[model.__name__].values()
            if all(str(row[k]) == str(v) for k, v in key.items())
        ]

    def size(self) -> int:
        return sum(len(rows) for rows in self.buffer.values())

    def flush(self) -> None:
        for model in READ_MODELS:
            rows = self.buffer[model.__name__]
            model.objects.bulk_create(
                [model(**fields) for fields in rows.values()], batch_size=1000
            )
            rows.clear()


LIVE = LiveStore()
_store: contextvars.ContextVar = contextvars.ContextVar("projection_store", default=None)


def store() -> LiveStore | BufferStore:
    return _store.get() or LIVE


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _touch(record: Record, **fields) -> None:
    """Every event moves the case's version, head hash and last-change time."""
    store().update(
        CaseFile,
        {"pk": record["case_id"]},
        version=record["version"],
        head_hash=record["hash"],
        updated_at=parse_time(record["occurred_at"]),
        **fields,
    )


# --- Images: how CaseState and its parts are stored --------------------------------
#
# A read-model row is an image of a domain dataclass: one column per field, of the same
# name unless renamed, its value converted by the column's type (dates and times as the
# events write them, UUIDs as strings, JSON lists as tuples, "" for "none" in text
# columns that cannot be NULL). The projections write through `row()` and
# `selectors.case_state` reads through `item()`, so the two cannot disagree.


def _identity(value: Any) -> Any:
    return value


def _json_plain(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [asdict(item) if is_dataclass(item) else item for item in value]
    return value


def _converters(field: models.Field, optional: bool) -> tuple[Callable, Callable]:
    """(to the column, from the column) for one dataclass field stored in `field`."""
    if isinstance(field, models.DateTimeField):
        return parse_time, format_time
    if isinstance(field, models.DateField):
        return _date, lambda value: value.isoformat() if value else None
    if isinstance(field, models.UUIDField):
        return _identity, lambda value: None if value is None else str(value)
    if isinstance(field, models.JSONField):
        return _json_plain, lambda value: tuple(value) if isinstance(value, list) else value
    if isinstance(field, models.CharField | models.TextField) and not field.null:
        return (
            (lambda value: "" if value is None else value),
            (lambda value: value or None) if optional else _identity,
        )
    return _identity, _identity


class Image:
    def __init__(self, model, cls, *, renamed=None, elsewhere=(), read=None):
        self.model, self.cls = model, cls
        self.columns: dict[str, str] = {}
        self.to_db: dict[str, Callable] = {}
        self.from_db: dict[str, Callable] = {}
        for item in dataclass_fields(cls):
            if item.name in elsewhere:
                continue
            column = (renamed or {}).get(item.name, item.name)
            to_db, from_db = _converters(model._meta.get_field(column), "None" in item.type)
            self.columns[item.name] = column
            self.to_db[item.name] = to_db
            self.from_db[item.name] = (read or {}).get(item.name, from_db)

    def row(self, obj) -> dict:
        return {
            column: self.to_db[name](getattr(obj, name)) for name, column in self.columns.items()
        }

    def values(self, row) -> dict:
        return {
            name: self.from_db[name](getattr(row, column)) for name, column in self.columns.items()
        }

    def item(self, row):
        return self.cls(**self.values(row))


class Children:
    """A tuple field of CaseState stored as rows of its own table, keyed by case and
    the item's id; `order` records the version that added the row (the tuple's order)."""

    def __init__(self, image: Image, key: str, order: str):
        self.image, self.key, self.order = image, key, order

    def change(self, record: Record, change: Any) -> set[str]:
        """Apply one change; returns the names of the item fields it changed."""
        model = self.image.model
        if isinstance(change, Append):
            store().create(
                model,
                case_id=record["case_id"],
                **self.image.row(change.item),
                **{self.order: record["version"]},
            )
            return set(self.image.columns)
        if isinstance(change, Amend) and change.key == self.key:
            key = {"case_id": record["case_id"], self.key: change.value}
            row = {}
            for name, value in change.changes.items():
                column = self.image.columns[name]
                if isinstance(value, Change):
                    current = store().value(model, key, column)
                    value = value.apply(self.image.from_db[name](current))
                row[column] = self.image.to_db[name](value)
            store().update(model, key, **row)
            return set(change.changes)
        if isinstance(change, Remove) and change.key == self.key:
            store().delete(model, {"case_id": record["case_id"], self.key: change.value})
            return set(self.image.columns)
        raise TypeError(f"{record['type']}: no projection of {change!r} on {model.__name__}")


class Pending:
    """CaseState.pending: the pending row of TransitionRequest. Its end (None) is a
    decision whose details (by whom, approved or not) CaseState does not hold: the
    event type's own handler records it."""

    def __init__(self, image: Image):
        self.image = image

    def change(self, record: Record, change: Any) -> set[str]:
        if isinstance(change, PendingRequest):
            store().create(
                TransitionRequest,
                case_id=record["case_id"],
                status=TransitionRequest.PENDING,
                **self.image.row(change),
            )
        elif change is not None or record["type"] not in HANDLERS:
            raise TypeError(
                f"{record['type']}: no projection records the end of the pending request"
            )
        return set()


SOURCE_IMAGE = Image(CaseSource, SourceRef)
NOTE_IMAGE = Image(CaseNote, NoteRef)
LINK_IMAGE = Image(CaseLink, LinkRef)
PENDING_IMAGE = Image(TransitionRequest, PendingRequest)
CHILDREN = {
    "sources": Children(SOURCE_IMAGE, "source_id", "attached_version"),
    "notes": Children(NOTE_IMAGE, "note_id", "added_version"),
    "links": Children(LINK_IMAGE, "link_id", "suggested_version"),
    "pending": Pending(PENDING_IMAGE),
}
CASE_IMAGE = Image(
    CaseFile,
    CaseState,
    renamed={"case_id": "id", "assignee": "assignee_name"},
    elsewhere=CHILDREN,
    read={"waivers": lambda waivers: tuple(Waiver(**w) for w in waivers)},
)
# What the independence count reads from a source: a change to these recounts it.
CORROBORATION_INPUTS = {"origins", "provenance"}


def case_state_from_rows(row: CaseFile, *, sources, notes, links, pending) -> CaseState:
    """The CaseState the projected rows hold (selectors.case_state)."""
    return CaseState(
        **CASE_IMAGE.values(row),
        sources=tuple(SOURCE_IMAGE.item(s) for s in sources),
        notes=tuple(NOTE_IMAGE.item(n) for n in notes),
        links=tuple(LINK_IMAGE.item(link) for link in links),
        pending=PENDING_IMAGE.item(pending) if pending is not None else None,
    )


def _extraction_category(extraction: dict | None) -> dict:
    return {"extraction_category": extraction["allegation"]["category"] if extraction else ""}


# Columns kept beside the image for filtering and lists, recomputed when their field changes.
DERIVED_COLUMNS: dict[str, Callable[[Any], dict]] = {"extraction": _extraction_category}


def _case_event(record: Record) -> None:
    """The projection every case event gets, derived from its declared effect: CaseFile
    columns for the fields it changes, rows of the child tables for its items."""
    event_type = REGISTRY[record["type"]]
    if event_type.opens:
        case = evolve(None, record)
        store().create(
            CaseFile,
            **CASE_IMAGE.row(case),
            source_count=len(case.sources),
            independent_origins=case.independent_origins,
            corroboration=case.corroboration,
        )
        return
    changes = {} if event_type.effect is NO_STATE else event_type.effect(record["payload"], record)
    row: dict[str, Any] = {}
    recount = False
    for name, change in changes.items():
        child = CHILDREN.get(name)
        if child is not None:
            changed = child.change(record, change)
            recount = recount or (name == "sources" and bool(changed & CORROBORATION_INPUTS))
            continue
        if isinstance(change, Change):
            current = store().value(CaseFile, {"pk": record["case_id"]}, CASE_IMAGE.columns[name])
            change = change.apply(CASE_IMAGE.from_db[name](current))
        row[CASE_IMAGE.columns[name]] = CASE_IMAGE.to_db[name](change)
        if name in DERIVED_COLUMNS:
            row.update(DERIVED_COLUMNS[name](change))
    if recount:
        row.update(_corroboration(record))
    _touch(record, **row)


class _SourceOrigins(NamedTuple):
    """The two fields workflow.origin_names reads from a source."""

    origins: tuple[str, ...]
    provenance: tuple[dict, ...]


def _corroboration(record: Record) -> dict:
    sources = [
        _SourceOrigins(tuple(row["origins"]), tuple(row["provenance"]))
        for row in store().rows(CaseSource, ("origins", "provenance"), case_id=record["case_id"])
    ]
    count = workflow.independent_origins(sources)
    return {
        "source_count": len(sources),
        "independent_origins": count,
        "corroboration": workflow.corroboration_status(count),
    }


# --- Table-specific projections -----------------------------------------------------


def _decide(record: Record, status: str) -> None:
    store().update(
        TransitionRequest,
        {"pk": record["payload"]["request_id"]},
        status=status,
        decided_by_id=record["actor"]["id"],
        decided_by=record["actor"]["username"],
        decided_at=parse_time(record["occurred_at"]),
        decision_reason=record["payload"]["reason"],
    )


@handles("TransitionApproved")
def _approved(record: Record) -> None:
    _decide(record, TransitionRequest.APPROVED)


@handles("CaseReopened")
def _reopened(record: Record) -> None:
    _decide(record, TransitionRequest.APPROVED)


@handles("TransitionRejected")
def _rejected(record: Record) -> None:
    _decide(record, TransitionRequest.REJECTED)


@handles("TransitionWithdrawn")
def _withdrawn(record: Record) -> None:
    _decide(record, TransitionRequest.WITHDRAWN)


@handles("SourceIngested")
def _source_ingested(record: Record) -> None:
    payload = record["payload"]
    meta = payload["metadata"]
    store().create(
        Source,
        id=record["case_id"],
        content_sha256=payload["content_sha256"],
        normalized_sha256=payload["normalized_sha256"],
        text_sha256=payload["text_sha256"],
        bytes=payload["bytes"],
        filename=payload["filename"],
        media_type=payload["media_type"],
        encoding=payload["encoding"],
        title=meta["title"],
        title_derived=meta["title_derived"],
        outlet=meta["outlet"] or "",
        byline=meta["byline"] or "",
        published_on=_date(meta["published"]),
        published_reason=meta["published_reason"],
        url=meta["url"] or "",
        language=meta["language"] or "",
        origins=meta["origins"],
        text=blobs.read(payload["text_sha256"]).decode("utf-8"),
        extractor_version=payload["extractor_version"],
        ingested_at=parse_time(record["occurred_at"]),
        submitted_by=payload["submitted_by"],
        version=record["version"],
    )


@handles("SourceVariantReceived")
def _variant(record: Record) -> None:
    payload = record["payload"]
    variants = store().value(Source, {"pk": record["case_id"]}, "variants")
    variant = {k: payload[k] for k in ("content_sha256", "bytes", "filename", "submitted_by")}
    store().update(
        Source,
        {"pk": record["case_id"]},
        variants=[*variants, {**variant, "received_at": record["occurred_at"]}],
        version=record["version"],
    )


@handles("SourceNearDuplicateReceived")
def _near_duplicate(record: Record) -> None:
    payload = record["payload"]
    variants = store().value(Source, {"pk": record["case_id"]}, "variants")
    keys = ("content_sha256", "bytes", "filename", "submitted_by", "similarity")
    variant = {k: payload[k] for k in keys}
    store().update(
        Source,
        {"pk": record["case_id"]},
        variants=[
            *variants,
            {**variant, "kind": "near_duplicate", "received_at": record["occurred_at"]},
        ],
        version=record["version"],
    )


# The log's own stream: no read model; the log's keys are read from the events.
NO_PROJECTION = frozenset({"SigningKeyRotated"})


def _plan() -> dict[str, tuple[Callable[[Record], None], ...]]:
    """Per event type, what projects it: the derived case projection for case events,
    then the table-specific handlers; a type with neither is left out (and refused)."""
    plan = {}
    for name, event_type in REGISTRY.items():
        steps = ([_case_event] if event_type.stream == CASE else []) + HANDLERS.get(name, [])
        if steps or name in NO_PROJECTION:
            plan[name] = tuple(steps)
    return plan


PROJECTORS = _plan()


def rebuild() -> int:
    """Throw the read models away and replay every event; returns the event count.

    Streams are replayed one after another (events ordered by stream and version) into
    a BufferStore, flushed in bulk between streams: a stream's rows depend on its own
    events only, so memory stays bounded by the largest case."""
    with transaction.atomic(), projecting():
        for model in reversed(READ_MODELS):
            model.objects.all().delete()
        buffer = BufferStore()
        token = _store.set(buffer)
        try:
            count = 0
            current = None
            events = Event.objects.order_by("case_id", "version")
            for event in events.iterator(chunk_size=5000):
                if event.case_id != current:
                    if buffer.size() >= 5000:
                        buffer.flush()
                    current = event.case_id
                record = event.as_record()
                for step in PROJECTORS[record["type"]]:
                    step(record)
                count += 1
            buffer.flush()
        finally:
            _store.reset(token)
        return count


SURROGATE_FIELDS = {"id"}  # CaseSource's auto id; every other pk comes from an event


def _natural_key(obj) -> str:
    # CaseSource's surrogate id is not derived from events; its identity is (case, source).
    if isinstance(obj, CaseSource):
        return f"{obj.case_id}/{obj.source_id}"
    if isinstance(obj, CaseLink):
        return f"{obj.case_id}/{obj.link_id}"
    return str(obj.pk)


def snapshot() -> dict[str, dict[str, dict]]:
    """Every read-model row as plain data keyed by its natural key, for comparison."""
    result = {}
    for model in READ_MODELS:
        rows = {}
        for obj in model.objects.all().iterator(chunk_size=2000):
            row = {
                field.attname: _plain(getattr(obj, field.attname))
                for field in model._meta.concrete_fields
                if field.attname not in SURROGATE_FIELDS
            }
            rows[_natural_key(obj)] = row
        result[model.__name__] = rows
    return result


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def diff(live: dict[str, dict[str, dict]], rebuilt: dict[str, dict[str, dict]]) -> list[str]:
    """Plain-language differences between two snapshots (empty when equal)."""
    problems = []
    for name, before in live.items():
        after = rebuilt[name]
        for key in sorted(set(before) | set(after)):
            if key not in after:
                problems.append(f"{name} {key}: in the live read model, not in the rebuild")
            elif key not in before:
                problems.append(f"{name} {key}: in the rebuild, missing from the live read model")
            elif before[key] != after[key]:
                fields = sorted(f for f in before[key] if before[key][f] != after[key].get(f))
                problems.append(f"{name} {key}: differs in {', '.join(fields)}")
    return problems
