"""Legal qualifications and the assessment of their elements; the conflict
classification; the modes of liability alleged against perpetrators and their elements.
docs/legal.md explains the framework, docs/event-format.md the payloads."""

from typing import Any

from casefiles.domain.effects import Append, Effect, Update
from casefiles.domain.eventtype import EventType, Payload, register, who
from casefiles.domain.liability import element_of as mode_element
from casefiles.domain.liability import mode_title
from casefiles.domain.qualifications import (
    CLASSIFICATION_WORDS,
    FINDING_WORDS,
    element_words,
    finding_sentence,
    title,
)


def _assessment(p: Payload, e: Payload) -> dict[str, Any]:
    """What a schema-2 assessment (of a crime's or a mode's element) holds in CaseState.
    Schema-1 assessments keep their own shape (ElementAssessed.effect)."""
    return {
        "finding": p["finding"],
        "standard": p["standard"],
        "fact_ids": list(p["fact_ids"]),
        "note": p["note"],
        "assessed_by": who(e),
        "assessed_at": e["occurred_at"],
    }


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
    """Schema 1 (still replayed): `qualification_id, element, finding, source_ids, note`,
    citing whole sources, no standard of proof. Schema 2 (written now): `qualification_id,
    code, element, finding, standard, fact_ids, fact_texts, note`, citing the case's
    facts; `fact_texts` is each cited fact's wording when it was cited."""

    schema = 2
    required = (
        "qualification_id",
        "code",
        "element",
        "finding",
        "standard",
        "fact_ids",
        "fact_texts",
        "note",
    )

    def effect(self, p: Payload, e: Payload) -> Effect:
        if "standard" in p:
            assessment = _assessment(p, e)
        else:  # schema 1, exactly as it was folded then
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
        if "standard" not in p:  # schema 1
            finding = FINDING_WORDS.get(p["finding"], p["finding"])
            sources = len(p.get("source_ids") or ())
            return (
                f"Assessed the element “{element_words(None, p['element'])}”: {finding} "
                f"(standard of proof not stated; citing {sources} source(s), no facts)"
            )
        return f"Assessed an element of {title(p['code'])}: " + finding_sentence(
            element_words(p["code"], p["element"]), p
        )


@register
class ConflictClassified(EventType):
    schema = 1
    required = ("classification", "reason")

    def effect(self, p: Payload, e: Payload) -> Effect:
        return {
            "conflict": {
                "classification": p["classification"],
                "reason": p["reason"],
                "classified_by": who(e),
                "classified_at": e["occurred_at"],
            }
        }

    def describe(self, p: Payload) -> str:
        words = CLASSIFICATION_WORDS.get(p["classification"], p["classification"])
        if p["classification"] == "undetermined":
            return f"Recorded the armed conflict's classification as undetermined: {p['reason']}"
        return f"Classified the armed conflict as {words}: {p['reason']}"


@register
class LiabilityAlleged(EventType):
    schema = 1
    required = ("liability_id", "person_id", "person", "mode", "qualification_id", "code")

    def effect(self, p: Payload, e: Payload) -> Effect:
        return {
            "liabilities": Append(
                {
                    "liability_id": p["liability_id"],
                    "person_id": p["person_id"],
                    "person": p["person"],
                    "mode": p["mode"],
                    "qualification_id": p["qualification_id"],
                    "code": p["code"],
                    "elements": {},
                }
            )
        }

    def describe(self, p: Payload) -> str:
        return (
            f"Alleged that {p['person']} is liable for {title(p['code'])} by "
            f"{mode_title(p['mode'])}"
        )


@register
class LiabilityElementAssessed(EventType):
    schema = 1
    required = (
        "liability_id",
        "mode",
        "element",
        "finding",
        "standard",
        "fact_ids",
        "fact_texts",
        "note",
    )

    def effect(self, p: Payload, e: Payload) -> Effect:
        assessment = _assessment(p, e)
        return {
            "liabilities": Update(
                lambda items: tuple(
                    {**item, "elements": {**item["elements"], p["element"]: assessment}}
                    if item["liability_id"] == p["liability_id"]
                    else item
                    for item in items
                )
            )
        }

    def describe(self, p: Payload) -> str:
        element = mode_element(p["mode"], p["element"])
        words = element["text"] if element else p["element"]
        return f"Assessed an element of {mode_title(p['mode'])}: " + finding_sentence(words, p)
