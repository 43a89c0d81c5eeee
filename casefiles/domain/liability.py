"""Modes of liability (Rome Statute art. 25(3)(a)–(f), art. 28) and their elements
(data/liability.json, extendable without code): how an alleged perpetrator is said to be
responsible for a qualified crime. docs/legal.md explains the choices."""

import json
from collections.abc import Mapping
from functools import cache
from typing import Any

from casefiles.domain.qualifications import FINDING_WORDS, MET, provisions
from casefiles.domain.taxonomy import DATA_DIR

# Who may be alleged liable: a natural person (art. 25(1)); a unit is not one.
PERPETRATOR_ROLES = ("alleged_perpetrator",)


@cache
def modes() -> dict[str, dict[str, Any]]:
    with open(DATA_DIR / "liability.json", encoding="utf-8") as handle:
        return {entry["code"]: entry for entry in json.load(handle)}


def mode_title(code: str) -> str:
    entry = modes().get(code)
    return f"{entry['label']} (art. {entry['article']})" if entry else code


def element_of(mode: str, element_id: str) -> dict[str, Any] | None:
    entry = modes().get(mode)
    if entry is None:
        return None
    return next((e for e in entry["elements"] if e["id"] == element_id), None)


def mode_mismatch(mode: str, code: str) -> str | None:
    """Why a mode cannot apply to a provision (incitement is for genocide only), or None."""
    applies_to = modes()[mode].get("applies_to")
    article = provisions()[code]["part"]
    if applies_to and article not in applies_to:
        return f"{mode_title(mode)} applies only to art. {', '.join(applies_to)} crimes"
    return None


def missing_elements(liability: Mapping[str, Any]) -> list[str]:
    findings = {eid: a["finding"] for eid, a in liability["elements"].items()}
    return [
        f"element “{element['text']}” is {FINDING_WORDS[findings.get(element['id'])]}"
        for element in modes()[liability["mode"]]["elements"]
        if findings.get(element["id"]) != MET
    ]
