"""Sources: attached to a case and evaluated there; ingested into their own custody
stream, whose id is uuid5(SOURCE_STREAM_NAMESPACE, content_sha256) (docs/event-format.md)."""

from casefiles.domain import taxonomy
from casefiles.domain.casestate import SourceRef
from casefiles.domain.effects import Amend, Append, Effect, Remove
from casefiles.domain.eventtype import NO_STATE, SOURCE, EventType, Payload, register, who
from casefiles.domain.wording import value


@register
class SourceAttached(EventType):
    # Schema 2 adds `metadata` (what ingestion recorded of an ingested source, or null
    # for a reference without an original); schema 1 events replay unchanged.
    schema = 2
    required = (
        "source_id",
        "title",
        "url",
        "origins",
        "excerpt",
        "content_sha256",
        "published_on",
        "metadata",
    )

    def effect(self, p: Payload, e: Payload) -> Effect:
        return {
            "sources": Append(
                SourceRef(
                    source_id=p["source_id"],
                    title=p["title"],
                    url=p["url"],
                    origins=tuple(p["origins"]),
                    excerpt=p["excerpt"],
                    content_sha256=p["content_sha256"],
                    published_on=p["published_on"],
                    attached_at=e["occurred_at"],
                    attached_by=who(e),
                )
            )
        }

    def describe(self, p: Payload) -> str:
        origins = ", ".join(p["origins"]) or "origin not stated"
        original = (
            f"; original SHA-256 {p['content_sha256'][:12]}…"
            if p.get("content_sha256")
            else "; no stored original"
        )
        return f"Attached source {value('title', p['title'])} ({origins}{original})"


@register
class ExhibitCompleted(EventType):
    """An attachment recorded without its original, bound to the ingested source it
    named by id: the hash and metadata it lacked, and origins, URL and publication date
    where it had none."""

    schema = 1
    required = ("source_id", "content_sha256", "metadata", "origins", "url", "published_on")

    def effect(self, p: Payload, e: Payload) -> Effect:
        changes = {
            "content_sha256": p["content_sha256"],
            "origins": tuple(p["origins"]),
            "url": p["url"],
            "published_on": p["published_on"],
        }
        return {"sources": Amend("source_id", p["source_id"], changes)}

    def describe(self, p: Payload) -> str:
        origins = ", ".join(p["origins"]) or "origin not stated"
        return (
            f"Completed an attached source with its ingested original "
            f"(SHA-256 {p['content_sha256'][:12]}…; {origins})"
        )


@register
class SourceDetached(EventType):
    """A source no longer part of the case's evidence: out of its current sources (so
    out of the independence count and of every fact's corroboration), while its
    attachment, grades and original stay in the history and in every export."""

    schema = 1
    required = ("source_id", "title", "content_sha256", "reason")

    def effect(self, p: Payload, e: Payload) -> Effect:
        return {"sources": Remove("source_id", p["source_id"])}

    def describe(self, p: Payload) -> str:
        return f"Detached source {value('title', p['title'])}: {p['reason']}"


@register
class SourceGraded(EventType):
    schema = 1
    required = ("source_id", "reliability", "credibility", "reason")

    def effect(self, p: Payload, e: Payload) -> Effect:
        grade = {
            "reliability": p["reliability"],
            "credibility": p["credibility"],
            "reason": p["reason"],
            "graded_by": who(e),
            "graded_at": e["occurred_at"],
        }
        return {"sources": Amend("source_id", p["source_id"], {"grade": grade})}

    def describe(self, p: Payload) -> str:
        return f"Graded source {p['reliability']}{p['credibility']}: {p['reason']}"


@register
class ProvenanceRecorded(EventType):
    schema = 1
    required = ("source_id", "chain")

    def effect(self, p: Payload, e: Payload) -> Effect:
        chain = tuple(dict(link) for link in p["chain"])
        return {"sources": Amend("source_id", p["source_id"], {"provenance": chain})}

    def describe(self, p: Payload) -> str:
        chain = ", ".join(f"{link['role']} by {link['organisation']}" for link in p["chain"])
        return f"Recorded the source's provenance: {chain}"


@register
class VerificationRecorded(EventType):
    schema = 1
    required = ("verification_id", "source_id", "method", "result", "notes")

    def effect(self, p: Payload, e: Payload) -> Effect:
        step = {
            "verification_id": p["verification_id"],
            "method": p["method"],
            "result": p["result"],
            "notes": p["notes"],
            "by": who(e),
            "at": e["occurred_at"],
        }
        return {"sources": Amend("source_id", p["source_id"], {"verifications": Append(step)})}

    def describe(self, p: Payload) -> str:
        return f"Verification by {p['method'].replace('_', ' ')}: {p['result']}" + (
            f" ({p['notes']})" if p.get("notes") else ""
        )


@register
class AllegationExtracted(EventType):
    schema = 1
    required = ("source_id", "content_sha256", "text_sha256", "extractor_version", "allegation")

    def effect(self, p: Payload, e: Payload) -> Effect:
        return {"extraction": dict(p)}

    def describe(self, p: Payload) -> str:
        return (
            f"Extracted candidate allegation "
            f"({taxonomy.label(p['allegation']['category'])}) "
            f"with extractor {p['extractor_version']}"
        )


@register
class SourceIngested(EventType):
    schema = 1
    required = (
        "content_sha256",
        "bytes",
        "filename",
        "media_type",
        "encoding",
        "text_sha256",
        "normalized_sha256",
        "extractor_version",
        "submitted_by",
        "received_at",
        "metadata",
    )
    stream = SOURCE
    effect = NO_STATE

    def describe(self, p: Payload) -> str:
        return (
            f"Ingested {p['filename']} ({p['bytes']} bytes, SHA-256 "
            f"{p['content_sha256'][:12]}…): {value('title', p['metadata']['title'])}"
        )


@register
class SourceVariantReceived(EventType):
    schema = 1
    required = (
        "content_sha256",
        "bytes",
        "filename",
        "normalized_sha256",
        "submitted_by",
        "received_at",
    )
    stream = SOURCE
    effect = NO_STATE

    def describe(self, p: Payload) -> str:
        return (
            f"Received {p['filename']}, a variant differing only in line endings or "
            f"trailing white space (SHA-256 {p['content_sha256'][:12]}…)"
        )


@register
class SourceNearDuplicateReceived(EventType):
    """A reprint or close paraphrase of this source (a new headline, a few sentences
    edited): kept as a variant of it, not ingested as a new, independent source."""

    schema = 1
    required = (
        "content_sha256",
        "bytes",
        "filename",
        "text_sha256",
        "similarity",
        "method",
        "submitted_by",
        "received_at",
    )
    stream = SOURCE
    effect = NO_STATE

    def describe(self, p: Payload) -> str:
        return (
            f"Received {p['filename']}, a near-duplicate of this source (estimated "
            f"{p['similarity']}% of word shingles shared; SHA-256 {p['content_sha256'][:12]}…)"
        )
