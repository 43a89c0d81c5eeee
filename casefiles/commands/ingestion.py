"""Ingestion: receive a document, keep the original, extract, open candidate cases.

`ingestion_submit` stores the bytes (content-addressed) and queues the job;
`document_ingest` (run by the Celery task) does the rest in one transaction through the
same commands a person uses, as the system actor `ingest`.
"""

import uuid
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from casefiles import blobs, eventstore
from casefiles.commands import ports
from casefiles.commands.base import begin, command, write
from casefiles.commands.cases import case_open
from casefiles.commands.sources import provenance_record, source_attach
from casefiles.domain import workflow
from casefiles.domain.actors import SYSTEM, Actor
from casefiles.domain.events import (
    ALLEGATION_EXTRACTED,
    LINK_SUGGESTED,
    SOURCE_INGESTED,
    SOURCE_NEAR_DUPLICATE_RECEIVED,
    SOURCE_VARIANT_RECEIVED,
)
from casefiles.domain.sources import origin_names, provenance_chain
from casefiles.errors import NotFound
from casefiles.eventstore import NewEvent
from casefiles.ingestion import neardup
from casefiles.ingestion.allegations import RELATIONS, rules
from casefiles.ingestion.decode import MAX_BYTES, UnreadableDocument, normalized_fingerprint
from casefiles.ingestion.extract import (
    EXTRACTOR_VERSION,
    extract_document,
    link_relation,
)
from casefiles.ingestion.model import Allegation, Document, Place, Span, TimeRef
from casefiles.models import CaseFile, CaseSource, Ingestion, Source
from casefiles.selectors import case_head

SOURCE_STREAM_NAMESPACE = uuid.UUID("6f1c2b1e-2f7a-4c7e-9a55-3c0de5f1ca5e")
INGEST = Actor.system("ingest")
MAX_SUGGESTIONS = 3  # links suggested per new candidate case


def source_stream_id(content_sha256: str) -> str:
    return str(uuid.uuid5(SOURCE_STREAM_NAMESPACE, content_sha256))


def candidate_case_id(content_sha256: str, key: str) -> str:
    """Deterministic, so a document can never open the same allegation twice."""
    return str(uuid.uuid5(SOURCE_STREAM_NAMESPACE, f"{content_sha256}:{key}"))


def _now() -> datetime:
    return datetime.now(UTC)


@command
def ingestion_submit(
    *, actor: Actor, data: bytes | None, filename: str, size: int | None = None
) -> Ingestion:
    """Keep the original and queue its ingestion; the task runs after commit.

    Oversized files are refused before reading them (`data=None, size=...`)."""
    actor.authorize("ingestion_submit")
    submitted_by = actor.username
    size = len(data) if data is not None else size
    job = Ingestion(
        id=uuid.uuid4(),
        filename=filename[:500],
        bytes=size or 0,
        status=Ingestion.QUEUED,
        submitted_by=submitted_by,
        submitted_at=_now(),
    )
    if data is None or size is None or size > MAX_BYTES:
        job.status = Ingestion.FAILED
        job.reason = (
            f"file is {size:,} bytes; the limit is {MAX_BYTES // 1_048_576} MB "
            f"({MAX_BYTES:,} bytes)"
        )
        job.finished_at = job.submitted_at
        job.save()
        return job
    # Chain of custody: the original is stored before anything else happens to it.
    job.content_sha256 = blobs.put(data)
    existing = Source.objects.filter(content_sha256=job.content_sha256).first()
    if existing is not None:
        job.status = Ingestion.DUPLICATE
        job.reason = f"the same bytes were ingested before as “{existing.title}”"
        job.source_id = existing.pk
        job.finished_at = job.submitted_at
        job.save()
        return job
    job.save()
    ports.enqueue_on_commit(ports.INGEST_DOCUMENT, str(job.id))
    return job


def _finish(job: Ingestion, status: str, reason: str = "", **fields: object) -> Ingestion:
    job.status = status
    job.reason = reason
    job.finished_at = _now()
    for name, value in fields.items():
        setattr(job, name, value)
    job.save()
    return job


@command
def ingestion_fail(*, ingestion_id: str, reason: str) -> Ingestion:
    """Record a failure the task could not recover from (e.g. retries exhausted)."""
    job = Ingestion.objects.select_for_update().get(pk=ingestion_id)
    if job.status in Ingestion.FINISHED:
        return job
    return _finish(job, Ingestion.FAILED, reason)


@command
def document_ingest(*, ingestion_id: str) -> Ingestion:
    """Extract a queued document; idempotent: a finished job is returned as it is."""
    try:
        # Lock the job: a redelivered task waits for the first run and then sees it done.
        job = Ingestion.objects.select_for_update().get(pk=ingestion_id)
    except (Ingestion.DoesNotExist, ValueError):
        raise NotFound(f"no ingestion {ingestion_id}") from None
    if job.status in Ingestion.FINISHED:
        return job
    job.attempts += 1
    sha = job.content_sha256
    existing = Source.objects.filter(content_sha256=sha).first()
    if existing is not None:
        return _finish(
            job,
            Ingestion.DUPLICATE,
            f"the same bytes were ingested before as “{existing.title}”",
            source_id=existing.pk,
        )
    try:
        data = blobs.read(sha)
        document = extract_document(data, job.filename)
    except UnreadableDocument as exc:
        return _finish(job, Ingestion.FAILED, exc.reason)
    except blobs.BlobError as exc:
        return _finish(job, Ingestion.FAILED, str(exc))

    normalized = normalized_fingerprint(document.text)
    near = Source.objects.filter(normalized_sha256=normalized).first()
    if near is not None:
        _record_variant(near, job, normalized)
        return _finish(
            job,
            Ingestion.NEAR_DUPLICATE,
            f"differs from “{near.title}” only in line endings or trailing white space; "
            "recorded as a variant of that source",
            source_id=near.pk,
        )
    reprint = _near_duplicate_of(document.text)
    if reprint is not None:
        source, estimate = reprint
        percent = round(estimate * 100)
        _record_near_duplicate(source, job, document.text, percent)
        return _finish(
            job,
            Ingestion.NEAR_DUPLICATE,
            f"a reprint or close paraphrase of “{source.title}”: an estimated {percent}% of "
            f"its 5-word shingles are shared (threshold {round(neardup.THRESHOLD * 100)}%); "
            "recorded as a variant of that source, not as a new, independent source",
            source_id=source.pk,
        )

    text_sha = blobs.put(document.text.encode("utf-8"))
    source_id = source_stream_id(sha)
    metadata = {
        "title": document.title,
        "title_derived": document.title_derived,
        "outlet": document.outlet,
        "byline": document.byline,
        "published": document.published,
        "published_reason": document.published_reason,
        "url": document.url,
        "language": document.language,
        "origins": [asdict(origin) for origin in document.origins],
        "spans": {
            name: asdict(span)
            for name, span in (
                ("title", document.title_span),
                ("outlet", document.outlet_span),
                ("byline", document.byline_span),
                ("published", document.published_span),
                ("url", document.url_span),
            )
            if span is not None
        },
        "boilerplate": [asdict(span) for span in document.boilerplate],
    }
    write(
        source_id,
        actor=INGEST,
        role=SYSTEM,
        expected_version=0,
        events=[
            NewEvent(
                SOURCE_INGESTED.name,
                {
                    "content_sha256": sha,
                    "bytes": len(data),
                    "filename": job.filename,
                    "media_type": document.media_type,
                    "encoding": document.encoding,
                    "text_sha256": text_sha,
                    "normalized_sha256": normalized,
                    "extractor_version": EXTRACTOR_VERSION,
                    "submitted_by": job.submitted_by,
                    "received_at": eventstore.format_time(job.submitted_at),
                    "metadata": metadata,
                },
            )
        ],
    )
    chain = provenance_chain([asdict(origin) for origin in document.origins])
    origins = origin_names(chain)
    references = []
    for allegation in document.allegations:
        case_id = _open_candidate(document, allegation, sha, text_sha, source_id, origins, chain)
        references.append(case_head(case_id).reference)
    # The document is stored and its custody recorded either way; "not analysed:
    # language X" tells the reader that no candidates were looked for.
    return _finish(
        job,
        Ingestion.INGESTED,
        reason=document.not_analysed or "",
        source_id=source_id,
        case_references=references,
    )


def _record_variant(source: Source, job: Ingestion, normalized: str) -> None:
    if any(v["content_sha256"] == job.content_sha256 for v in source.variants):
        return
    write(
        str(source.pk),
        actor=INGEST,
        role=SYSTEM,
        expected_version=source.version,
        events=[
            NewEvent(
                SOURCE_VARIANT_RECEIVED.name,
                {
                    "content_sha256": job.content_sha256,
                    "bytes": job.bytes,
                    "filename": job.filename,
                    "normalized_sha256": normalized,
                    "submitted_by": job.submitted_by,
                    "received_at": eventstore.format_time(job.submitted_at),
                },
            )
        ],
    )


# MinHash signatures of stored sources' texts, by source id, kept by each process (a
# source's text is written once, by SourceIngested, and never changes). Bounded; when
# full it starts again. Every new document is compared with every stored source:
# linear in the corpus (an LSH index is the next step past tens of thousands).
_SIGNATURES: dict[str, tuple[int, ...]] = {}
_SIGNATURES_MAX = 50_000


def _near_duplicate_of(text: str) -> tuple[Source, float] | None:
    """The stored source this text is a reprint of (the most similar one at or above
    neardup.THRESHOLD), with the estimated similarity; None for a new text."""
    mine = neardup.signature(text)
    if not mine:
        return None
    ids = [
        str(pk) for pk in Source.objects.order_by("ingested_at", "id").values_list("id", flat=True)
    ]
    missing = [pk for pk in ids if pk not in _SIGNATURES]
    if len(_SIGNATURES) + len(missing) > _SIGNATURES_MAX:
        _SIGNATURES.clear()
        missing = ids
    for start in range(0, len(missing), 200):
        for pk, stored in Source.objects.filter(pk__in=missing[start : start + 200]).values_list(
            "id", "text"
        ):
            _SIGNATURES[str(pk)] = neardup.signature(stored)
    best: tuple[float, str] | None = None
    for pk in ids:
        estimate = neardup.similarity(mine, _SIGNATURES.get(pk, ()))
        if estimate >= neardup.THRESHOLD and (best is None or estimate > best[0]):
            best = (estimate, pk)
    if best is None:
        return None
    return Source.objects.get(pk=best[1]), best[0]


def _record_near_duplicate(source: Source, job: Ingestion, text: str, percent: int) -> None:
    if any(v["content_sha256"] == job.content_sha256 for v in source.variants):
        return
    write(
        str(source.pk),
        actor=INGEST,
        role=SYSTEM,
        expected_version=source.version,
        events=[
            NewEvent(
                SOURCE_NEAR_DUPLICATE_RECEIVED.name,
                {
                    "content_sha256": job.content_sha256,
                    "bytes": job.bytes,
                    "filename": job.filename,
                    "text_sha256": blobs.put(text.encode("utf-8")),
                    "similarity": percent,
                    "method": neardup.METHOD,
                    "submitted_by": job.submitted_by,
                    "received_at": eventstore.format_time(job.submitted_at),
                },
            )
        ],
    )


def _open_candidate(
    document: Document,
    allegation: Allegation,
    sha: str,
    text_sha: str,
    source_id: str,
    origins: list[str],
    chain: list[dict[str, str]],
) -> str:
    case_id = candidate_case_id(sha, allegation.key)
    where = ", ".join(place.name for place in allegation.places)
    summary = (
        f"Candidate allegation extracted from “{document.title}”"
        + (f" ({document.outlet})" if document.outlet else "")
        + f": {allegation.excerpt.text}"
    )
    case_open(
        actor=INGEST,
        case_id=case_id,
        title=allegation.title + (f" ({where})" if where and where not in allegation.title else ""),
        summary=summary,
        categories=list(allegation.categories),
        places=[place.name for place in allegation.places],
        incident_from=allegation.time.start if allegation.time else None,
        incident_to=allegation.time.end if allegation.time else None,
    )
    source_attach(
        actor=INGEST,
        case_id=case_id,
        source_id=source_id,
        # The attachment's display title; the full title stays in SourceIngested.
        title=document.title if len(document.title) <= 500 else document.title[:499] + "…",
        url=document.url or "",
        origins=origins,
        excerpt=allegation.excerpt.text,
        content_sha256=sha,
        published_on=document.published,
    )
    if any(link["role"] in workflow.ORIGIN_ROLES for link in chain):
        provenance_record(actor=INGEST, case_id=case_id, source_id=source_id, chain=chain)
    change = begin(INGEST, None, case_id, role=SYSTEM, read=case_head, writable=False)
    change.write(
        NewEvent(
            ALLEGATION_EXTRACTED.name,
            {
                "source_id": source_id,
                "content_sha256": sha,
                "text_sha256": text_sha,
                "extractor_version": EXTRACTOR_VERSION,
                "allegation": asdict(allegation),
            },
        )
    )
    _suggest_links(case_id, allegation, sha, origins)
    return case_id


def allegation_from_dict(data: dict[str, Any]) -> Allegation:
    def span(value: dict[str, Any] | None) -> Span | None:
        return Span(**value) if value else None

    time = data.get("time")
    return Allegation(
        **{
            **data,
            "places": tuple(Place(**{**p, "span": span(p["span"])}) for p in data["places"]),
            "time": TimeRef(**{**time, "span": span(time["span"])}) if time else None,
            "victim_span": span(data.get("victim_span")),
            "perpetrator_span": span(data.get("perpetrator_span")),
            "excerpt": span(data["excerpt"]),
            "cue": span(data["cue"]),
            "count_span": span(data.get("count_span")),
        }
    )


def _suggest_links(case_id: str, allegation: Allegation, sha: str, origins: list[str]) -> None:
    """Suggest links to candidate cases from *other* sources, each with its relation
    (same_incident, shared_origin, same_context; link_relation says when) and the
    reasons in words. Suggestions only: nothing is merged without a person. Candidates
    of one document are never linked to each other: extraction already keeps one
    candidate per incident in a document, and triage groups them by their document."""
    related = {allegation.category}.union(
        *(members for members in rules().families.values() if allegation.category in members)
    )
    # Every unmerged case of a related category, oldest first (ties by id, so the
    # choice below is deterministic); their allegations come from _earlier_allegations.
    others = [
        str(other)
        for other in (
            CaseFile.objects.filter(extraction_category__in=related, merged_into__isnull=True)
            # Never a restricted case: the suggestion would name it in an outsider's case
            # (a new candidate case is never restricted).
            .filter(restricted_to="")
            .exclude(pk=case_id)
            .order_by("opened_at", "id")
            .values_list("id", flat=True)
        )
    ]
    mine = frozenset(workflow.normalise_origin(name) for name in origins)
    scored = []
    earlier = [
        (age, other_id, their_sha, theirs)
        for age, (other_id, (their_sha, theirs)) in enumerate(_earlier_allegations(others))
        if their_sha != sha
    ]
    theirs_origins = _case_origins([other_id for _, other_id, _, _ in earlier])
    for age, other_id, _, theirs in earlier:
        found = link_relation(allegation, theirs, mine, theirs_origins.get(other_id, frozenset()))
        if found is not None:
            relation, reasons = found
            scored.append((RELATIONS.index(relation), -len(reasons), age, other_id, found))
    # The strongest few only: every candidate of a busy pattern would otherwise link to
    # every other (quadratic events); the rest stay reachable through those links.
    scored.sort(key=lambda item: item[:3])
    for *_, other_id, (relation, reasons) in scored[:MAX_SUGGESTIONS]:
        link_id = str(uuid.uuid4())
        this = begin(INGEST, None, case_id, role=SYSTEM, read=case_head, writable=False)
        other = begin(INGEST, None, other_id, role=SYSTEM, read=case_head, writable=False)
        for change, counterpart in ((this, other), (other, this)):
            change.write(
                NewEvent(
                    LINK_SUGGESTED.name,
                    {
                        "link_id": link_id,
                        "other_case_id": counterpart.case_id,
                        "other_reference": counterpart.head.reference,
                        "relation": relation,
                        "reasons": reasons,
                    },
                )
            )


def _case_origins(case_ids: list[str]) -> dict[str, frozenset[str]]:
    """Each case's origins (normalised names, from its sources' provenance or stated
    origins; read afresh: a person may record provenance after ingestion)."""
    found: dict[str, set[str]] = {}
    for start in range(0, len(case_ids), 1000):
        rows = CaseSource.objects.filter(case_id__in=case_ids[start : start + 1000])
        for row in rows.only("case_id", "origins", "provenance"):
            found.setdefault(str(row.case_id), set()).update(workflow.origin_names(row))
    return {case_id: frozenset(names) for case_id, names in found.items()}


# The parsed allegations of earlier candidate cases, by case id, kept by each process.
# Every new candidate is compared with every case of a related category; reading and
# parsing their extractions each time made ingestion slow down as the corpus grew
# (1.7 documents/s over the first 100 documents, 0.4 after 500; docs/benchmarks.md).
# An entry cannot go stale: a case's extraction is written once, by the
# AllegationExtracted event ingestion appends when it opens the case, and events never
# change. Entries for cases that were not committed are never looked up (only ids
# read from the database are). Bounded; when full it starts again.
_ALLEGATIONS: dict[str, tuple[str, Allegation]] = {}
_ALLEGATIONS_MAX = 20_000


def _earlier_allegations(case_ids: list[str]) -> list[tuple[str, tuple[str, Allegation]]]:
    missing = [case_id for case_id in case_ids if case_id not in _ALLEGATIONS]
    if len(_ALLEGATIONS) + len(missing) > _ALLEGATIONS_MAX:
        _ALLEGATIONS.clear()
        missing = case_ids
    for start in range(0, len(missing), 1000):
        rows = CaseFile.objects.filter(pk__in=missing[start : start + 1000]).values_list(
            "id", "extraction"
        )
        for case_id, extraction in rows:
            _ALLEGATIONS[str(case_id)] = (
                extraction["content_sha256"],
                allegation_from_dict(extraction["allegation"]),
            )
    return [(case_id, _ALLEGATIONS[case_id]) for case_id in case_ids if case_id in _ALLEGATIONS]
