"""Read models as pure consequences of events: one handler per event type.

`project(events)` runs inside the command's transaction, right after the append, so
a read model never shows a change whose event is not stored (and vice versa).
`rebuild()` replays every event from scratch; `snapshot()` makes two states comparable.
"""

import uuid
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

from django.db import transaction

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


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _touch(record: Record, **fields) -> None:
    """Every event moves the case's version, head hash and last-change time."""
    CaseFile.objects.filter(pk=record["case_id"]).update(
        version=record["version"],
        head_hash=record["hash"],
        updated_at=parse_time(record["occurred_at"]),
        **fields,
    )


@handles("CaseOpened")
def _opened(record: Record) -> None:
    payload = record["payload"]
    at = parse_time(record["occurred_at"])
    CaseFile.objects.create(
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
    CaseSource.objects.create(
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


def _refresh_corroboration(record: Record) -> None:
    from casefiles.domain.state import SourceRef

    sources = [
        SourceRef("", "", "", tuple(origins), "", None, None, "", "",
                  provenance=tuple(provenance))
        for origins, provenance in CaseSource.objects.filter(
            case_id=record["case_id"]).values_list("origins", "provenance")
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
    CaseNote.objects.create(
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
    TransitionRequest.objects.create(
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
    TransitionRequest.objects.filter(pk=record["payload"]["request_id"]).update(
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
    waivers = CaseFile.objects.values_list("waivers", flat=True).get(pk=record["case_id"])
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
    Source.objects.create(
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
    variants = Source.objects.values_list("variants", flat=True).get(pk=record["case_id"])
    variant = {k: payload[k] for k in ("content_sha256", "bytes", "filename", "submitted_by")}
    Source.objects.filter(pk=record["case_id"]).update(
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
    CaseLink.objects.create(
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
    CaseLink.objects.filter(
        case_id=record["case_id"], link_id=record["payload"]["link_id"]
    ).update(status=status)
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
    CaseSource.objects.filter(
        case_id=record["case_id"], source_id=record["payload"]["source_id"]
    ).update(**fields)


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
    steps = CaseSource.objects.values_list("verifications", flat=True).get(
        case_id=record["case_id"], source_id=payload["source_id"])
    step = {"verification_id": payload["verification_id"], "method": payload["method"],
            "result": payload["result"], "notes": payload["notes"],
            "by": record["actor"]["username"], "at": record["occurred_at"]}
    _source_json(record, verifications=[*steps, step])
    _touch(record)


def _case_json(record: Record, field: str, change) -> None:
    current = CaseFile.objects.values_list(field, flat=True).get(pk=record["case_id"])
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


def rebuild() -> int:
    """Throw the read models away and replay every event; returns the event count."""
    with transaction.atomic(), projecting():
        for model in reversed(READ_MODELS):
            model.objects.all().delete()
        count = 0
        events = Event.objects.order_by("case_id", "version")
        batch: list[Record] = []
        for event in events.iterator(chunk_size=5000):
            batch.append(event.as_record())
            if len(batch) == 5000:
                project(batch)
                count += len(batch)
                batch = []
        project(batch)
        return count + len(batch)


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
