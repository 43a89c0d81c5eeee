"""The legal framework: Rome Statute provisions (art. 6, 7, 8(2)(a), (b), (c), (e)) and their
elements of crimes (data/qualifications.json), the conflict classification a war-crime
provision needs, the standards of proof the team's policy allows (data/standards.json),
and the wording of findings. Data, extendable without code; docs/legal.md explains it."""

import json
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from casefiles.domain.taxonomy import DATA_DIR

MET = "met"
NOT_MET = "not_met"
INSUFFICIENT = "insufficient"
FINDINGS = (MET, NOT_MET, INSUFFICIENT)
FINDING_WORDS = {
    MET: "met",
    NOT_MET: "not met",
    INSUFFICIENT: "insufficient information",
    None: "not assessed",
}

# What an element is, as the Elements of Crimes structure them: the conduct,
# consequences and circumstances (material), the intent and knowledge (mental), and the
# context the conduct took place in, with the perpetrator's awareness of it (contextual).
MATERIAL, MENTAL, CONTEXTUAL = "material", "mental", "contextual"
KINDS = (MATERIAL, MENTAL, CONTEXTUAL)
KIND_MARKS = {MATERIAL: "", MENTAL: "[K]", CONTEXTUAL: "[C]"}

# The conflict a case's war crimes took place in (ConflictClassified).
INTERNATIONAL = "international"
NON_INTERNATIONAL = "non_international"
BOTH = "both"
UNDETERMINED = "undetermined"
CLASSIFICATIONS = (INTERNATIONAL, NON_INTERNATIONAL, BOTH, UNDETERMINED)
CLASSIFICATION_WORDS = {
    INTERNATIONAL: "an international armed conflict",
    NON_INTERNATIONAL: "a non-international armed conflict",
    BOTH: "international and non-international armed conflicts",
    UNDETERMINED: "undetermined",
    None: "not classified",
}


@cache
def provisions() -> dict[str, dict[str, Any]]:
    with open(DATA_DIR / "qualifications.json", encoding="utf-8") as handle:
        return {entry["code"]: entry for entry in json.load(handle)}


def title(code: str) -> str:
    entry = provisions().get(code)
    return f"art. {entry['provision']} {entry['label']}" if entry else code


def element_of(code: str, element_id: str) -> dict[str, Any] | None:
    entry = provisions().get(code)
    if entry is None:
        return None
    return next((e for e in entry["elements"] if e["id"] == element_id), None)


def element_words(code: str | None, element_id: str) -> str:
    """The element's own words. Without the provision (ElementAssessed schema 1 names
    only the element), the words every provision having that element id agrees on, else
    the id."""
    if code is not None:
        found = element_of(code, element_id)
        return found["text"] if found else element_id
    texts = {
        e["text"]
        for entry in provisions().values()
        for e in entry["elements"]
        if e["id"] == element_id
    }
    return texts.pop() if len(texts) == 1 else element_id


def missing_elements(qualification: Mapping[str, Any]) -> list[str]:
    """Each element of the provision not marked met, with its current finding."""
    entry = provisions()[qualification["code"]]
    findings = {eid: a["finding"] for eid, a in qualification["elements"].items()}
    return [
        f"element “{element['text']}” is {FINDING_WORDS[findings.get(element['id'])]}"
        for element in entry["elements"]
        if findings.get(element["id"]) != MET
    ]


# --- conflict classification -----------------------------------------------------------


def conflict_needed(code: str) -> str | None:
    """The classification a provision's contextual element names: international for
    art. 8(2)(a) and (b), non-international for 8(2)(c) and (e); None for genocide and
    crimes against humanity, which need no armed conflict."""
    entry = provisions().get(code)
    return entry.get("conflict") if entry else None


def classification_of(conflict: Mapping[str, Any] | None) -> str | None:
    return conflict["classification"] if conflict else None


def conflict_contradiction(code: str, conflict: Mapping[str, Any] | None) -> str | None:
    """Why the case's classification rules the provision out, or None. Only a settled
    classification of the other kind contradicts: "both" fits every provision, and an
    unclassified or undetermined conflict is a warning (conflict_warning), not a bar,
    because the provision's own contextual element is still assessed on the facts."""
    needed = conflict_needed(code)
    classification = classification_of(conflict)
    if needed is None or classification in (None, BOTH, UNDETERMINED, needed):
        return None
    assert conflict is not None
    return (
        f"{title(code)} is a war crime in {CLASSIFICATION_WORDS[needed]}, but this case's "
        f"conflict is classified as {CLASSIFICATION_WORDS[classification]} "
        f"(reason: {conflict['reason']})"
    )


def conflict_warning(code: str, conflict: Mapping[str, Any] | None) -> str | None:
    """A war-crime provision on a case whose conflict is not classified (or is
    undetermined): allowed, but said."""
    needed = conflict_needed(code)
    classification = classification_of(conflict)
    if needed is None or classification not in (None, UNDETERMINED):
        return None
    return (
        f"{title(code)} needs {CLASSIFICATION_WORDS[needed]}; this case's conflict is "
        f"{CLASSIFICATION_WORDS[classification]}"
    )


def unsupported(
    qualifications: Iterable[Mapping[str, Any]], conflict: Mapping[str, Any] | None
) -> list[str]:
    """The recorded qualifications a (new) classification contradicts, in words."""
    return [
        problem
        for q in qualifications
        if (problem := conflict_contradiction(q["code"], conflict)) is not None
    ]


# --- standards of proof -----------------------------------------------------------------


@cache
def _policy() -> dict[str, Any]:
    with open(DATA_DIR / "standards.json", encoding="utf-8") as handle:
        policy: dict[str, Any] = json.load(handle)
    if policy["default"] not in {s["code"] for s in policy["standards"]}:
        raise ValueError("standards.json: the default is not one of the standards")
    return policy


def standards() -> dict[str, dict[str, Any]]:
    return {s["code"]: s for s in _policy()["standards"]}


def default_standard() -> str:
    default: str = _policy()["default"]
    return default


def standard_words(code: str | None) -> str:
    if code is None:
        return "standard of proof not stated"
    entry = standards().get(code)
    return entry["label"] if entry else code


# --- assessments (crime elements and liability elements share the shape) ------------------

FACTS_MAX = 200  # facts one assessment may cite


def fact_words(texts: Iterable[str]) -> str:
    quoted = [f"“{_short(t)}”" for t in texts]
    if not quoted:
        return "citing no fact"
    return f"citing {'the fact' if len(quoted) == 1 else 'the facts'} " + "; ".join(quoted)


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def finding_sentence(words: str, payload: Mapping[str, Any]) -> str:
    """“<element words>” — met, on reasonable grounds to believe, citing the fact “…”."""
    finding = FINDING_WORDS.get(payload["finding"], payload["finding"])
    sentence = f"“{words}” — {finding}, on {standard_words(payload['standard'])}, " + fact_words(
        payload.get("fact_texts", ())
    )
    note = (payload.get("note") or "").strip()
    return sentence + (f". Note: {_short(note)}" if note else "")
