"""Legal qualifications and the assessment of their elements."""

from casefiles.domain.effects import Append, Effect, Update
from casefiles.domain.eventtype import EventType, Payload, register, who
from casefiles.domain.qualifications import FINDING_WORDS, title


@register
class QualificationAdded(EventType):
    schema = 1
    required = ("qualification_id", "code")

    def effect(self, p: Payload, e: Payload) -> Effect:
        return {
            "qualifications": Append(
                {"qualification_id": p["qualification_id"], "code": p["code"], "elements": {}}
            )
        }

    def describe(self, p: Payload) -> str:
        return f"Added legal qualification {title(p['code'])}"


@register
class ElementAssessed(EventType):
    schema = 1
    required = ("qualification_id", "element", "finding", "source_ids", "note")

    def effect(self, p: Payload, e: Payload) -> Effect:
        assessment = {
            "finding": p["finding"],
            "source_ids": list(p["source_ids"]),
            "note": p["note"],
            "assessed_by": who(e),
            "assessed_at": e["occurred_at"],
        }
        return {
            "qualifications": Update(
                lambda items: tuple(
                    {**q, "elements": {**q["elements"], p["element"]: assessment}}
                    if q["qualification_id"] == p["qualification_id"]
                    else q
                    for q in items
                )
            )
        }

    def describe(self, p: Payload) -> str:
        return f"Assessed element “{p['element']}”: {FINDING_WORDS.get(p['finding'], p['finding'])}"
