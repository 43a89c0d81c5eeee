"""A case's sources: attaching exhibits, and judging them (Admiralty grades, provenance
chains, verification steps).

An attached source is an exhibit: the content_sha256 its event names is an original
in the blob store (casefiles/blobs.py), and attaching an ingested source by its id
copies what ingestion recorded of it (docs/event-format.md, SourceAttached schema 2).
"""

import re
import uuid
from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext_noop

from casefiles import blobs
from casefiles.commands.base import (
    Change,
    Id,
    Outcome,
    begin,
    command,
    correction,
    new_id,
    require_text,
    source_of,
)
from casefiles.commands.cases import TITLE_MAX, _date
from casefiles.domain import workflow
from casefiles.domain.actors import Actor
from casefiles.domain.events import (
    EXHIBIT_COMPLETED,
    PROVENANCE_RECORDED,
    SOURCE_ATTACHED,
    SOURCE_GRADED,
    VERIFICATION_RECORDED,
)
from casefiles.domain.eventtypes.sources import SourceDetached
from casefiles.domain.sources import (
    CREDIBILITY,
    RELIABILITY,
    VERIFICATION_METHODS,
    VERIFICATION_RESULTS,
    origin_names,
    provenance_chain,
)
from casefiles.domain.state import SourceRef
from casefiles.errors import InvalidCommand, NotFound
from casefiles.eventstore import NewEvent
from casefiles.models import Event, Source

TEXT_MAX = 20_000
EXCERPT_MAX = 100_000
SHA256 = re.compile(r"^[0-9a-f]{64}$")
NOT_STORED = (
    "no original with SHA-256 {sha} is stored: a document is uploaded through ingestion "
    "first (POST /api/ingestions/), then attached by its source id"
)


def _original(source_id: object, content_sha256: object) -> tuple[str | None, Source | None]:
    """The original an attachment names (by an ingested source's id, or by its hash)
    and the ingested source it is, if any: (None, None) for a reference without an
    original. Refuses an unknown id and a hash that names no stored original."""
    source = None
    if source_id is not None:
        try:
            key = uuid.UUID(str(source_id))
        except ValueError:
            raise InvalidCommand(f"source_id {source_id!r} is not a UUID") from None
        source = Source.objects.filter(pk=key).first()
        if source is None:
            raise InvalidCommand(
                f"no ingested source has id {source_id}: attach an ingested source by its "
                "id (GET /api/sources/), or upload the document through ingestion first"
            )
        if content_sha256 is not None and content_sha256 != source.content_sha256:
            raise InvalidCommand(
                f"content_sha256 {content_sha256} is not the original of source {source_id} "
                f"({source.content_sha256}); leave it out to copy the source's own"
            )
        content_sha256 = source.content_sha256
    if content_sha256 is None:
        return None, None
    sha = str(content_sha256)
    if not SHA256.match(sha):
        raise InvalidCommand("content_sha256 must be 64 lowercase hexadecimal characters")
    if not blobs.stored(sha):
        raise InvalidCommand(NOT_STORED.format(sha=sha))
    if source is None:
        source = Source.objects.filter(content_sha256=sha).first()
    return sha, source


def ingested_metadata(source: Source) -> dict[str, Any]:
    """What ingestion recorded of the document (its SourceIngested event's metadata)."""
    payload = Event.objects.values_list("payload", flat=True).get(case_id=source.pk, version=1)
    return dict(payload["metadata"])


def _origins(values: Iterable[object]) -> list[str]:
    return list(
        dict.fromkeys(
            require_text(o, "an originating organisation", max_length=200) for o in values
        )
    )


def _attach(
    change: Change, payload: dict[str, Any], chain: list[dict[str, str]] | None = None
) -> Outcome:
    case = change.state
    sha = payload["content_sha256"]
    if sha and any(s.content_sha256 == sha for s in case.sources):
        raise InvalidCommand(f"this document is already attached to {case.reference}")
    if any(s.source_id == payload["source_id"] for s in case.sources):
        raise InvalidCommand(
            f"source {payload['source_id']} is already attached to {case.reference}"
        )
    if len(payload["excerpt"]) > EXCERPT_MAX:
        raise InvalidCommand(f"the excerpt is longer than {EXCERPT_MAX} characters")
    events = [NewEvent(SOURCE_ATTACHED.name, payload)]
    if chain:
        events.append(
            NewEvent(PROVENANCE_RECORDED.name, {"source_id": payload["source_id"], "chain": chain})
        )
    return change.write(*events)


@command
def source_attach(
    *,
    actor: Actor,
    case_id: str | uuid.UUID,
    title: str = "",
    url: str = "",
    origins: Iterable[str] = (),
    excerpt: str = "",
    content_sha256: str | None = None,
    published_on: object = None,
    source_id: str | uuid.UUID | None = None,
    expected_version: int | None = None,
    idempotency_key: str | None = None,
) -> Outcome:
    """Attach an exhibit: an ingested source by `source_id` (or by the `content_sha256`
    of its original), whose title, URL, publication date and origins are copied unless
    given; or a reference without an original (title required, no hash). A hash that
    names no stored original is refused."""
    change = begin(
        actor,
        "source_attach",
        case_id,
        expected_version=expected_version,
        idempotency_key=idempotency_key,
        request=(
            "source_attach",
            str(case_id),
            title,
            url,
            list(origins),
            excerpt,
            content_sha256,
            str(published_on),
            str(source_id),
        ),
    )
    sha, source = _original(source_id, content_sha256)
    chain = None
    if source is None:
        # A reference without an original, or an original stored outside ingestion.
        payload: dict[str, Any] = {
            "source_id": new_id(),
            "title": require_text(title, "source title", max_length=TITLE_MAX),
            "url": (url or "").strip(),
            "origins": _origins(origins),
            "excerpt": (excerpt or "").strip(),
            "content_sha256": sha,
            "published_on": _date(published_on, "publication date"),
            "metadata": None,
        }
    else:
        # Unless the attachment states its own origins, ingestion's provenance comes
        # with it, as when ingestion itself attaches the source to a candidate case.
        chain = None if origins else provenance_chain(source.origins)
        stated_title = (title or "").strip() or source.title
        payload = {
            "source_id": str(source.pk),
            "title": require_text(
                stated_title if len(stated_title) <= TITLE_MAX else stated_title[:499] + "…",
                "source title",
                max_length=TITLE_MAX,
            ),
            "url": (url or "").strip() or source.url,
            "origins": _origins(origins) if origins else origin_names(chain or []),
            "excerpt": (excerpt or "").strip(),
            "content_sha256": source.content_sha256,
            "published_on": _date(published_on or source.published_on, "publication date"),
            "metadata": ingested_metadata(source),
        }
    if chain is not None and not any(link["role"] in workflow.ORIGIN_ROLES for link in chain):
        chain = None
    return _attach(change, payload, chain)


@command
def source_copy(*, actor: Actor, case_id: Id, source: SourceRef) -> Outcome:
    """Attach `source` (a SourceRef of another case) as it stands there, for merge and
    split: the other case already holds it, so its hash is not judged again."""
    change = begin(actor, "source_attach", case_id)
    stored = Source.objects.filter(pk=source.source_id).first()
    return _attach(
        change,
        {
            "source_id": source.source_id,
            "title": source.title,
            "url": source.url,
            "origins": list(source.origins),
            "excerpt": source.excerpt,
            "content_sha256": source.content_sha256,
            "published_on": source.published_on,
            "metadata": ingested_metadata(stored)
            if stored is not None and stored.content_sha256 == source.content_sha256
            else None,
        },
    )


@command
def exhibit_complete(
    *, actor: Actor, case_id: Id, source_id: Id, expected_version: int | None = None
) -> Outcome:
    """Bind an attachment recorded without its original (attached by an ingested
    source's id before attachments copied it) to that source's original: a new
    ExhibitCompleted event, the SourceAttached event stays as it was. Fills the
    original's hash and the ingested metadata, and the origins, URL and publication
    date only where the attachment left them empty."""
    change = begin(actor, "exhibit_complete", case_id, expected_version=expected_version)
    case = change.state
    attached = source_of(case, source_id)
    if attached.content_sha256:
        raise InvalidCommand(
            f"source {attached.source_id} of {case.reference} already names its original "
            f"({attached.content_sha256})"
        )
    source = Source.objects.filter(pk=attached.source_id).first()
    if source is None:
        raise NotFound(
            f"source {attached.source_id} of {case.reference} is not an ingested source: "
            "there is no original to complete it with"
        )
    if not blobs.stored(source.content_sha256):
        raise InvalidCommand(NOT_STORED.format(sha=source.content_sha256))
    if any(s.content_sha256 == source.content_sha256 for s in case.sources):
        raise InvalidCommand(
            f"the original of source {attached.source_id} is already attached to "
            f"{case.reference} as another source"
        )
    return change.write(
        NewEvent(
            EXHIBIT_COMPLETED.name,
            {
                "source_id": attached.source_id,
                "content_sha256": source.content_sha256,
                "metadata": ingested_metadata(source),
                "origins": list(attached.origins) or origin_names(provenance_chain(source.origins)),
                "url": attached.url or source.url,
                "published_on": attached.published_on
                or _date(source.published_on, "publication date"),
            },
        )
    )


@correction(
    items="sources",
    key="source_id",
    verb="detach",
    title=gettext_noop("Detach the source"),
    done=gettext_noop("%(item)s was detached from %(ref)s; its history and original are kept."),
    label=lambda source: source.title,
)
@command
def source_detach(
    *, actor: Actor, case_id: Id, source_id: Id, reason: str, expected_version: int | None = None
) -> Outcome:
    """Take a source out of the case's evidence, with a reason. Its attachment, grades
    and original stay in the history (and in every export); supports citing it no
    longer count toward any fact's corroboration."""
    change = begin(actor, "source_detach", case_id, expected_version=expected_version)
    source = source_of(change.state, source_id)
    payload = {
        "source_id": source.source_id,
        "title": source.title,
        "content_sha256": source.content_sha256,
        "reason": require_text(reason, "reason", max_length=TEXT_MAX),
    }
    return change.write(NewEvent(SourceDetached.name, payload))


@command
def source_grade(
    *,
    actor: Actor,
    case_id: Id,
    source_id: Id,
    reliability: str,
    credibility: object,
    reason: str,
    expected_version: int | None = None,
) -> Outcome:
    """Grade a source (A–F) and its information (1–6); regrading keeps the history."""
    change = begin(actor, "source_grade", case_id, expected_version=expected_version)
    case = change.state
    source = source_of(case, source_id)
    reliability, credibility = str(reliability).upper(), str(credibility)
    if reliability not in RELIABILITY:
        raise InvalidCommand(f"reliability must be one of {', '.join(RELIABILITY)}")
    if credibility not in CREDIBILITY:
        raise InvalidCommand(f"credibility must be one of {', '.join(CREDIBILITY)}")
    return change.write(
        NewEvent(
            SOURCE_GRADED.name,
            {
                "source_id": source.source_id,
                "reliability": reliability,
                "credibility": credibility,
                "reason": require_text(reason, "reason", max_length=TEXT_MAX),
            },
        )
    )


@command
def provenance_record(
    *,
    actor: Actor,
    case_id: Id,
    source_id: Id,
    chain: Iterable[Any] | None,
    expected_version: int | None = None,
) -> Outcome:
    """Record who captured, obtained, verified, documented, relayed or published it."""
    change = begin(actor, "provenance_record", case_id, expected_version=expected_version)
    case = change.state
    source = source_of(case, source_id)
    links = []
    for link in chain or []:
        if not isinstance(link, dict) or link.get("role") not in workflow.PROVENANCE_ROLES:
            raise InvalidCommand(
                "each provenance link needs a role (one of "
                f"{', '.join(workflow.PROVENANCE_ROLES)}) and an organisation"
            )
        links.append(
            {
                "role": link["role"],
                "organisation": require_text(
                    link.get("organisation"), "organisation", max_length=300
                ),
            }
        )
    if not any(link["role"] in workflow.ORIGIN_ROLES for link in links):
        raise InvalidCommand(
            "the chain names no origin: add who captured, obtained, "
            "verified or documented the material"
        )
    return change.write(
        NewEvent(PROVENANCE_RECORDED.name, {"source_id": source.source_id, "chain": links})
    )


@command
def verification_record(
    *,
    actor: Actor,
    case_id: Id,
    source_id: Id,
    method: str,
    result: str,
    notes: str = "",
    expected_version: int | None = None,
) -> Outcome:
    change = begin(actor, "verification_record", case_id, expected_version=expected_version)
    case = change.state
    source = source_of(case, source_id)
    if method not in VERIFICATION_METHODS:
        raise InvalidCommand(f"method must be one of {', '.join(VERIFICATION_METHODS)}")
    if result not in VERIFICATION_RESULTS:
        raise InvalidCommand(f"result must be one of {', '.join(VERIFICATION_RESULTS)}")
    return change.write(
        NewEvent(
            VERIFICATION_RECORDED.name,
            {
                "verification_id": new_id(),
                "source_id": source.source_id,
                "method": method,
                "result": result,
                "notes": (notes or "").strip()[:TEXT_MAX],
            },
        )
    )
