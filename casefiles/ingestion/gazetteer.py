"""Place names from casefiles/data/gazetteer.json found in text.

Ukrainian and Russian decline place names ("в Ізюмі", "у Бучі", "в Купянске",
"з Гостомеля"): a Cyrillic name is matched on its stem (the name less a final vowel,
soft sign or й) followed by at most three letters of case ending, and the match is
mapped back to the name whose stem is the longest prefix of it. Names whose stem
changes under declension (Київ -> Києві) need the declined form as an alias.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from .model import Place, Span
from .resources import load

_LOCATIVE = re.compile(
    r"\b(?:in|into|inside|across|throughout|в|у|на|по|во)\s+(?:the\s+)?$", re.IGNORECASE
)
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_FINAL = re.compile(r"[аяоеєіиуюьйыї]$")
_APOSTROPHES = "'’ʼ`"
_ENDING = r"[\u0400-\u04ff]{0,3}"

# Lower rank = more specific; titles name the most specific place.
KIND_RANK = {"village": 0, "town": 1, "city": 2, "region": 3, "country": 4}


def _plain(name: str) -> str:
    return "".join(ch for ch in name if ch not in _APOSTROPHES)


def _stem(name: str) -> str:
    """The declinable stem of a one-word Cyrillic name; a longer name keeps its form."""
    if " " in name or not _CYRILLIC.search(name):
        return name
    stem = _FINAL.sub("", name)
    return stem if len(_plain(stem)) >= 3 else name


def _piece(name: str) -> str:
    """The regex for one name: apostrophes optional and interchangeable; Cyrillic
    one-word names with a case ending."""
    stem = _stem(name)
    out = "".join(f"[{_APOSTROPHES}]?" if ch in _APOSTROPHES else re.escape(ch) for ch in stem)
    return out + _ENDING if stem != name or (_CYRILLIC.search(name) and " " not in name) else out


@cache
def _index() -> tuple[re.Pattern[str], dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    by_name: dict[str, dict[str, Any]] = {}
    by_stem: dict[str, dict[str, Any]] = {}
    for entry in load("gazetteer.json")["places"]:
        for name in (entry["name"], *entry.get("aliases", ())):
            by_name[_plain(name)] = entry
            if _CYRILLIC.search(name) and " " not in name:
                by_stem[_plain(_stem(name))] = entry
    names = {
        n for e in load("gazetteer.json")["places"] for n in (e["name"], *e.get("aliases", ()))
    }
    # Longest first so "Kursk region" wins over a shorter overlapping name.
    ordered = sorted(names, key=len, reverse=True)
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(_piece(n) for n in ordered) + r")(?!\w)")
    return pattern, by_name, by_stem


def _entry(found: str) -> dict[str, Any] | None:
    _, by_name, by_stem = _index()
    plain = _plain(found)
    if plain in by_name:
        return by_name[plain]
    for k in range(len(plain), 2, -1):
        if plain[:k] in by_stem:
            return by_stem[plain[:k]]
    return None


def find_places(
    text: str, start: int, end: int, blocked: tuple[tuple[int, int], ...] = ()
) -> list[Place]:
    """Places named in text[start:end], in reading order; ``blocked`` spans (e.g. the
    "in Ukraine" of an organisation's name) are skipped."""
    pattern = _index()[0]
    out = []
    for m in pattern.finditer(text, start, end):
        if any(b0 < m.end() and m.start() < b1 for b0, b1 in blocked):
            continue
        entry = _entry(m.group(0))
        if entry is None:
            continue
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
