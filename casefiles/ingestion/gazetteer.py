"""Place names from casefiles/data/gazetteer.json found in text."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from .model import Place, Span
from .resources import load

_LOCATIVE = re.compile(r"\b(?:in|into|inside|across|throughout)\s+(?:the\s+)?$", re.IGNORECASE)

# Lower rank = more specific; titles name the most specific place.
KIND_RANK = {"village": 0, "town": 1, "city": 2, "region": 3, "country": 4}


@cache
def _index() -> tuple[re.Pattern[str], dict[str, dict[str, Any]]]:
    by_name: dict[str, dict[str, Any]] = {}
    for entry in load("gazetteer.json")["places"]:
        for name in (entry["name"], *entry.get("aliases", ())):
            by_name[name] = entry
    # Longest first so "Kursk region" wins over a shorter overlapping name.
    names = sorted(by_name, key=len, reverse=True)
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(n) for n in names) + r")(?!\w)")
    return pattern, by_name


def find_places(
    text: str, start: int, end: int, blocked: tuple[tuple[int, int], ...] = ()
) -> list[Place]:
    """Places named in text[start:end], in reading order; ``blocked`` spans (e.g. the
    "in Ukraine" of an organisation's name) are skipped."""
    pattern, by_name = _index()
    out = []
    for m in pattern.finditer(text, start, end):
        if any(b0 < m.end() and m.start() < b1 for b0, b1 in blocked):
            continue
        entry = by_name[m.group(0)]
        if entry.get("locative_only") and not _LOCATIVE.search(
            text, max(0, m.start() - 12), m.start()
        ):
            continue
        out.append(
            Place(
                name=entry["name"],
                country=entry["country"],
                lat=entry["lat"],
                lon=entry["lon"],
                span=Span(m.start(), m.end(), m.group(0)),
                kind=entry["kind"],
                region=entry["region"],
            )
        )
    return out
