"""Rome Statute article 8 provisions and their elements of crimes (data/qualifications.json,
extendable without code)."""

import json
from collections.abc import Mapping
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


@cache
def provisions() -> dict[str, dict[str, Any]]:
    with open(DATA_DIR / "qualifications.json", encoding="utf-8") as handle:
        return {entry["code"]: entry for entry in json.load(handle)}


def title(code: str) -> str:
    entry = provisions().get(code)
    return f"art. {entry['provision']} {entry['label']}" if entry else code


def missing_elements(qualification: Mapping[str, Any]) -> list[str]:
    """Each element of the provision not marked met, with its current finding."""
    entry = provisions()[qualification["code"]]
    findings = {eid: a["finding"] for eid, a in qualification["elements"].items()}
    return [
        f"element “{element['text']}” is {FINDING_WORDS[findings.get(element['id'])]}"
        for element in entry["elements"]
        if findings.get(element["id"]) != MET
    ]
