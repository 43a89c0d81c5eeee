"""Facts established in a case and the source excerpts supporting them."""

from casefiles.domain.effects import Append, Effect, Update
from casefiles.domain.eventtype import EventType, Payload, register
from casefiles.domain.wording import value


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
    schema = 1
    required = ("fact_id", "source_id", "excerpt")

    def effect(self, p: Payload, e: Payload) -> Effect:
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
        return f"Linked a source excerpt to a fact: {value('text', p['excerpt'])}"
