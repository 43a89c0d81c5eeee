"""Facts established in a case and the quoted spans of exhibits that support them
(casefiles/domain/facts.py for the corroboration rule; docs/event-format.md)."""

from collections.abc import Callable
from typing import Any

from casefiles.domain.effects import Append, Effect, Update
from casefiles.domain.eventtype import EventType, Payload, register, who
from casefiles.domain.wording import value


def _on_support(p: Payload, change: Callable[[dict[str, Any]], dict[str, Any]]) -> Update:
    """Change the one support `p["support_id"]` of fact `p["fact_id"]`."""

    def apply(facts: tuple[dict[str, Any], ...]) -> tuple[dict[str, Any], ...]:
        return tuple(
            {
                **f,
                "support": [
                    change(s) if s.get("support_id") == p["support_id"] else s for s in f["support"]
                ],
            }
            if f["fact_id"] == p["fact_id"]
            else f
            for f in facts
        )

    return Update(apply)


def _stamp(p: Payload, e: Payload, **extra: Any) -> dict[str, Any]:
    return {**extra, "reason": p["reason"], "by": who(e), "at": e["occurred_at"]}


@register
class FactRecorded(EventType):
    schema = 1
    required = ("fact_id", "text")

    def effect(self, p: Payload, e: Payload) -> Effect:
        return {"facts": Append({"fact_id": p["fact_id"], "text": p["text"], "support": []})}

    def describe(self, p: Payload) -> str:
        return f"Recorded a fact: {value('text', p['text'])}"


@register
class FactSupported(EventType):
    """Schema 2: a quoted span of an exhibit's stored text, checked when recorded, with
    its origin chain and, for an aggregate figure, the number of incidents it covers.
    Schema 1 (`fact_id, source_id, excerpt`: a free excerpt, never checked) replays
    unchanged: such support shows as an unchecked excerpt and counts for nothing."""

    schema = 2
    # What a new event must hold (schema 2); schema 1 events are never validated again.
    required = (
        "fact_id",
        "support_id",
        "source_id",
        "content_sha256",
        "source_text_sha256",
        "start",
        "end",
        "quote",
        "text_sha256",
        "chain",
        "aggregate",
    )

    def effect(self, p: Payload, e: Payload) -> Effect:
        if "support_id" in p:
            support = {
                "support_id": p["support_id"],
                "source_id": p["source_id"],
                "excerpt": p["quote"],
                "span": {
                    "content_sha256": p["content_sha256"],
                    "source_text_sha256": p["source_text_sha256"],
                    "start": p["start"],
                    "end": p["end"],
                    "text_sha256": p["text_sha256"],
                },
                "chain": list(p["chain"]),
                "aggregate": p["aggregate"],
                "aggregate_link": None,
                "withdrawn": None,
                "by": who(e),
                "at": e["occurred_at"],
            }
        else:  # schema 1
            support = {"source_id": p["source_id"], "excerpt": p["excerpt"]}
        return {
            "facts": Update(
                lambda facts: tuple(
                    {**f, "support": [*f["support"], support]}
                    if f["fact_id"] == p["fact_id"]
                    else f
                    for f in facts
                )
            )
        }

    def describe(self, p: Payload) -> str:
        if "support_id" in p:
            return (
                f"Cited characters {p['start']}–{p['end']} of a source for a fact: "
                f"{value('text', p['quote'])}"
            )
        return f"Linked a source excerpt to a fact: {value('text', p['excerpt'])}"


@register
class SupportOriginRecorded(EventType):
    """The analyst's statement of a cited span's origin chain (replaces the one it had)."""

    schema = 1
    required = ("fact_id", "support_id", "chain")

    def effect(self, p: Payload, e: Payload) -> Effect:
        return {"facts": _on_support(p, lambda s: {**s, "chain": list(p["chain"])})}

    def describe(self, p: Payload) -> str:
        chain = ", ".join(f"{link['role']} by {link['organisation']}" for link in p["chain"])
        return f"Recorded the origin of a cited span: {chain}"


@register
class SupportAggregateMarked(EventType):
    """A cited span is an aggregate figure covering `incidents` incidents."""

    schema = 1
    required = ("fact_id", "support_id", "incidents", "reason")

    def effect(self, p: Payload, e: Payload) -> Effect:
        aggregate = {"incidents": p["incidents"], "reason": p["reason"]}
        return {"facts": _on_support(p, lambda s: {**s, "aggregate": aggregate})}

    def describe(self, p: Payload) -> str:
        return f"Marked a cited span as an aggregate of {p['incidents']} incidents: {p['reason']}"


@register
class AggregateSupportLinked(EventType):
    """An analyst links an aggregate span to the fact, with the reason it bears on it."""

    schema = 1
    required = ("fact_id", "support_id", "reason")

    def effect(self, p: Payload, e: Payload) -> Effect:
        return {"facts": _on_support(p, lambda s: {**s, "aggregate_link": _stamp(p, e)})}

    def describe(self, p: Payload) -> str:
        return f"Linked an aggregate figure to a fact: {p['reason']}"


@register
class SupportWithdrawn(EventType):
    """A cited span no longer supports the fact; it stays in the record, marked."""

    schema = 1
    required = ("fact_id", "support_id", "reason")

    def effect(self, p: Payload, e: Payload) -> Effect:
        return {"facts": _on_support(p, lambda s: {**s, "withdrawn": _stamp(p, e)})}

    def describe(self, p: Payload) -> str:
        return f"Withdrew a span's support of a fact: {p['reason']}"
