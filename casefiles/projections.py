"""Read models as pure consequences of events: one handler per event type.

`project(events)` runs inside the command's transaction, right after the append, so
a read model never shows a change whose event is not stored (and vice versa).
`rebuild()` replays every event from scratch; `snapshot()` makes two states comparable.
"""

import contextvars
import uuid
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any, NamedTuple

from django.db import transaction

from casefiles import statements
from casefiles.domain import workflow
from casefiles.eventstore import parse_time
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
HANDLERS: dict[str, Callable[[Record], None]] = {}
READ_MODELS = (Source, CaseFile, CaseSource, CaseNote, TransitionRequest, CaseLink)


def handles(type_name: str):
    def register(func):
        HANDLERS[type_name] = func
        return func

    return register


def project(records: Iterable[Record]) -> None:
    with projecting():
        for record in records:
            handler = HANDLERS.get(record["type"])
            if handler is None:
                raise LookupError(f"no projection handles {record['type']}")
            handler(record)


class LiveStore:
    """Writes each change as it comes: the command path, in plain SQL built from the
    models' fields (casefiles/statements.py says why)."""

    def create(self, model, **fields) -> None:
        check_writable(model)
        statements.insert([model(**fields)])

    def update(self, model, key: dict, **fields) -> None:
        check_writable(model)
        statements.update(model, key, fields)

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
        row = {field.attname: field.get_default() for field in model._meta.concrete_fields
               if not field.auto_created}
        row.update(fields)
        self.buffer[model.__name__][self._key(model, fields)] = row

    def update(self, model, key: dict, **fields) -> None:
        row = self.buffer[model.__name__].get(self._key(model, key))
        if row is not None:
            row.update(fields)

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
            model.objects.bulk_create([model(**fields) for fields in rows.values()],
                                      batch_size=1000)
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


@handles("CaseOpened")
def _opened(record: Record) -> None:
    payload = record["payload"]
    at = parse_time(record["occurred_at"])
    store().create(
        CaseFile,
        id=record["case_id"],
        reference=payload["reference"],
        title=payload["title"],
        summary=payload["summary"],
        categories=payload["categories"],
        places=payload["places"],
        incident_from=_date(payload["incident_from"]),
        incident_to=_date(payload["incident_to"]),
        state=workflow.INTAKE,
        opened_at=at,
        opened_by=record["actor"]["username"],
        updated_at=at,
        version=record["version"],
        head_hash=record["hash"],
        corroboration=workflow.UNCORROBORATED,
    )


@handles("CaseEdited")
def _edited(record: Record) -> None:
    fields = {}
    for name, change in record["payload"]["changes"].items():
        value = change["new"]
        fields[name] = _date(value) if name in ("incident_from", "incident_to") else value
    if "legal_qualification" in fields and fields["legal_qualification"] is None:
        fields["legal_qualification"] = ""
    _touch(record, **fields)


@handles("CaseAssigned")
def _assigned(record: Record) -> None:
    assignee = record["payload"]["assignee"]
    _touch(
        record,
        assignee_id=assignee["id"] if assignee else None,
        assignee_name=assignee["username"] if assignee else "",
    )


@handles("SourceAttached")
def _source_attached(record: Record) -> None:
    payload = record["payload"]
    store().create(
        CaseSource,
        case_id=record["case_id"],
        source_id=payload["source_id"],
        title=payload["title"],
        url=payload["url"],
        origins=payload["origins"],
        excerpt=payload["excerpt"],
        content_sha256=payload["content_sha256"],
        published_on=_date(payload["published_on"]),
        attached_at=parse_time(record["occurred_at"]),
        attached_by=record["actor"]["username"],
        attached_version=record["version"],
    )
    _refresh_corroboration(record)


class _SourceOrigins(NamedTuple):
    """The two fields workflow.origin_names reads from a source."""

    origins: tuple[str, ...]
    provenance: tuple[dict, ...]


def _refresh_corroboration(record: Record) -> None:
    sources = [
        _SourceOrigins(tuple(row["origins"]), tuple(row["provenance"]))
        for row in store().rows(CaseSource, ("origins", "provenance"),
                                case_id=record["case_id"])
    ]
    count = workflow.independent_origins(sources)
    _touch(
        record,
        source_count=len(sources),
        independent_origins=count,
        corroboration=workflow.corroboration_status(count),
    )


@handles("NoteAdded")
def _note_added(record: Record) -> None:
    store().create(
        CaseNote,
        note_id=record["payload"]["note_id"],
        case_id=record["case_id"],
        text=record["payload"]["text"],
        author=record["actor"]["username"],
        added_at=parse_time(record["occurred_at"]),
        added_version=record["version"],
    )
    _touch(record)


@handles("TransitionRequested")
def _requested(record: Record) -> None:
    payload = record["payload"]
    store().create(
        TransitionRequest,
        request_id=payload["request_id"],
        case_id=record["case_id"],
        from_state=payload["from_state"],
        to_state=payload["to_state"],
        reason=payload["reason"],
        requested_by_id=record["actor"]["id"],
        requested_by=record["actor"]["username"],
        requested_at=parse_time(record["occurred_at"]),
        status=TransitionRequest.PENDING,
    )
    _touch(record)


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
    _touch(record, state=record["payload"]["to_state"])


@handles("TransitionRejected")
def _rejected(record: Record) -> None:
    _decide(record, TransitionRequest.REJECTED)
    _touch(record)


@handles("TransitionWithdrawn")
def _withdrawn(record: Record) -> None:
    _decide(record, TransitionRequest.WITHDRAWN)
    _touch(record)


@handles("CriteriaWaived")
def _waived(record: Record) -> None:
    payload = record["payload"]
    waivers = store().value(CaseFile, {"pk": record["case_id"]}, "waivers")
    waivers = [w for w in waivers if w["to_state"] != payload["to_state"]]
    waivers.append(
        {
            "to_state": payload["to_state"],
            "reason": payload["reason"],
            "waived_by": record["actor"]["username"],
            "waived_at": record["occurred_at"],
        }
    )
    _touch(record, waivers=waivers)


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


@handles("AllegationExtracted")
def _allegation(record: Record) -> None:
    payload = record["payload"]
    _touch(record, extraction=payload, extraction_category=payload["allegation"]["category"])


@handles("LinkSuggested")
def _link_suggested(record: Record) -> None:
    payload = record["payload"]
    store().create(
        CaseLink,
        case_id=record["case_id"],
        link_id=payload["link_id"],
        other_case_id=payload["other_case_id"],
        other_reference=payload["other_reference"],
        reasons=payload["reasons"],
        status=CaseLink.SUGGESTED,
        suggested_version=record["version"],
    )
    _touch(record)


def _link_status(record: Record, status: str, **case_fields) -> None:
    store().update(
        CaseLink,
        {"case_id": record["case_id"], "link_id": record["payload"]["link_id"]},
        status=status,
    )
    _touch(record, **case_fields)


@handles("LinkDismissed")
def _link_dismissed(record: Record) -> None:
    _link_status(record, CaseLink.DISMISSED)


@handles("CaseMergedInto")
def _merged_into(record: Record) -> None:
    _link_status(record, CaseLink.MERGED, merged_into=record["payload"]["into_case_id"])


@handles("CaseAbsorbed")
def _absorbed(record: Record) -> None:
    _link_status(record, CaseLink.MERGED)


def _source_json(record: Record, **fields) -> None:
    store().update(
        CaseSource,
        {"case_id": record["case_id"], "source_id": record["payload"]["source_id"]},
        **fields,
    )


@handles("SourceGraded")
def _graded(record: Record) -> None:
    payload = record["payload"]
    _source_json(record, grade={
        "reliability": payload["reliability"], "credibility": payload["credibility"],
        "reason": payload["reason"], "graded_by": record["actor"]["username"],
        "graded_at": record["occurred_at"],
    })
    _touch(record)


@handles("ProvenanceRecorded")
def _provenance(record: Record) -> None:
    _source_json(record, provenance=record["payload"]["chain"])
    _refresh_corroboration(record)


@handles("VerificationRecorded")
def _verification(record: Record) -> None:
    payload = record["payload"]
    steps = store().value(
        CaseSource, {"case_id": record["case_id"], "source_id": payload["source_id"]},
        "verifications")
    step = {"verification_id": payload["verification_id"], "method": payload["method"],
            "result": payload["result"], "notes": payload["notes"],
            "by": record["actor"]["username"], "at": record["occurred_at"]}
    _source_json(record, verifications=[*steps, step])
    _touch(record)


def _case_json(record: Record, field: str, change) -> None:
    current = store().value(CaseFile, {"pk": record["case_id"]}, field)
    _touch(record, **{field: change(current)})


@handles("FactRecorded")
def _fact(record: Record) -> None:
    payload = record["payload"]
    _case_json(record, "facts", lambda facts: [
        *facts, {"fact_id": payload["fact_id"], "text": payload["text"], "support": []}])


@handles("FactSupported")
def _fact_supported(record: Record) -> None:
    payload = record["payload"]
    support = {"source_id": payload["source_id"], "excerpt": payload["excerpt"]}
    _case_json(record, "facts", lambda facts: [
        {**f, "support": [*f["support"], support]} if f["fact_id"] == payload["fact_id"]
        else f for f in facts])


@handles("QualificationAdded")
def _qualification(record: Record) -> None:
    payload = record["payload"]
    _case_json(record, "qualifications", lambda items: [*items, {
        "qualification_id": payload["qualification_id"], "code": payload["code"],
        "elements": {}}])


@handles("ElementAssessed")
def _element(record: Record) -> None:
    payload = record["payload"]
    assessment = {"finding": payload["finding"], "source_ids": payload["source_ids"],
                  "note": payload["note"], "assessed_by": record["actor"]["username"],
                  "assessed_at": record["occurred_at"]}
    _case_json(record, "qualifications", lambda items: [
        {**q, "elements": {**q["elements"], payload["element"]: assessment}}
        if q["qualification_id"] == payload["qualification_id"] else q for q in items])


@handles("PersonAdded")
def _person(record: Record) -> None:
    payload = record["payload"]
    person = {k: payload[k] for k in ("person_id", "role", "pseudonym", "protected", "name")}
    _case_json(record, "persons", lambda persons: [*persons, person])


@handles("IdentityRevealed")
@handles("CaseExported")
def _audit_record(record: Record) -> None:
    # Who looked (a protected identity, an export): recorded, changes nothing else.
    _touch(record)


@handles("SigningKeyRotated")
def _key_rotated(record: Record) -> None:
    # The log's own stream: no read model; the log's keys are read from the events.
    return None


@handles("CaseSplitOff")
def _split_off(record: Record) -> None:
    payload = record["payload"]
    _case_json(record, "related", lambda related: [*related, {
        "relation": "split_off", "case_id": payload["new_case_id"],
        "reference": payload["new_reference"]}])


@handles("CaseSplitFrom")
def _split_from(record: Record) -> None:
    payload = record["payload"]
    _case_json(record, "related", lambda related: [*related, {
        "relation": "split_from", "case_id": payload["from_case_id"],
        "reference": payload["from_reference"]}])


@handles("RestrictionRequested")
@handles("RestrictionLiftRequested")
def _restriction_requested(record: Record) -> None:
    payload = record["payload"]
    _touch(record, restriction_pending={
        "request_id": payload["request_id"], "team": payload["team"],
        "lift": record["type"] == "RestrictionLiftRequested", "reason": payload["reason"],
        "requested_by_id": record["actor"]["id"], "requested_by": record["actor"]["username"],
        "requested_at": record["occurred_at"]})


@handles("CaseRestricted")
def _restricted(record: Record) -> None:
    _touch(record, restricted_to=record["payload"]["team"], restriction_pending=None)


@handles("RestrictionLifted")
def _restriction_lifted(record: Record) -> None:
    _touch(record, restricted_to="", restriction_pending=None)


@handles("RestrictionRejected")
def _restriction_rejected(record: Record) -> None:
    _touch(record, restriction_pending=None)


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
                HANDLERS[record["type"]](record)
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
