"""Place names found in text: the curated gazetteer and GeoNames' settlements of Ukraine
and Russia.

Two sources, loaded once per process:

* casefiles/data/gazetteer.json: curated entries (canonical English name, aliases,
  region name, kind); they win over GeoNames for every name they list;
* casefiles/data/geonames_ua_ru.json.gz: every populated place of Ukraine and Russia
  with at least 500 inhabitants, with its Latin and Cyrillic names (GeoNames, CC BY 4.0;
  see casefiles/data/GEONAMES-LICENSE.md; rebuilt by bench/build_gazetteer.py). Where
  several places share a name, the most populous is taken.

Matching is by lookup, not by one regular expression over ~60,000 names: every word
that starts with a capital letter is tried with the words after it (up to the longest
name), longest first, against the names (case-sensitive: proper nouns; apostrophes
interchangeable). Ukrainian and Russian decline place names ("в Ізюмі", "у Бучі",
"В Купянске", "з Гостомеля"): a one-word Cyrillic name is also found as its stem (the
name less a final vowel, soft sign or й) followed by up to three Cyrillic letters of
case ending, and -ів/-їв names also with the vowel that alternates under declension
(Харків -> у Харкові, Київ -> до Києва). Other stem changes need the declined form as an
alias.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from .model import Place, Span
from .resources import DATA_DIR, load

_LOCATIVE = re.compile(
    r"\b(?:in|into|inside|across|throughout|в|у|на|по|во)\s+(?:the\s+)?$", re.IGNORECASE
)
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_FINAL = re.compile(r"[аяоеєіиуюьйыї]$")
_ENDING = re.compile(r"[\u0400-\u04ff]{1,3}$")
_APOSTROPHES = str.maketrans("", "", "'’ʼ`")
_WORD = re.compile(r"[^\W\d_][\w'’ʼ`]*[^\W_]|[^\W\d_]")
_JOIN = re.compile(r"[ \t-]+|-")  # what may separate the words of one name
# Before a GeoNames-only name: a word that introduces a place. Thousands of settlements
# share their name with a person (Vladimir, Anna), a unit (Azov) or a word (Human, an
# old spelling of Uman): without such a word before it, a GeoNames name is not taken.
_PLACE_BEFORE = re.compile(
    r"(?:\b(?:in|near|at|from|outside|around|into|to|of|village|town|city|settlement"
    r"|в|у|на|під|біля|поблизу|поблизу|з|із|до|від|под|около|возле|из|от|село|селі|селе"
    r"|селище|селищі|місто|місті|город|городе|посёлок|посёлке|поселок|поселке)\s+)$",
    re.IGNORECASE,
)
_MIN_STEM = 4  # a shorter stem (Сум-) matches too many words; curated names may be shorter

# Lower rank = more specific; titles name the most specific place.
KIND_RANK = {"village": 0, "town": 1, "city": 2, "region": 3, "country": 4}


@dataclass(frozen=True)
class _Index:
    by_name: dict[str, dict[str, Any]]
    by_stem: dict[str, dict[str, Any]]
    longest: int  # words in the longest name


def _key(name: str) -> str:
    return " ".join(name.translate(_APOSTROPHES).replace("-", " ").split())


def _stem(name: str) -> str:
    return _FINAL.sub("", name)


def _kind(population: int) -> str:
    return "city" if population >= 100_000 else "town" if population >= 10_000 else "village"


def _geonames() -> list[dict[str, Any]]:
    raw = gzip.decompress((DATA_DIR / "geonames_ua_ru.json.gz").read_bytes())
    data = json.loads(raw)
    out = []
    # Most populous first, so it keeps a name shared with smaller places.
    for gid, name, lat, lon, country, admin1, population, aliases in sorted(
        data["places"], key=lambda r: -r[6]
    ):
        out.append(
            {
                "name": name,
                "aliases": aliases,
                "kind": _kind(population),
                "region": f"{country}-{admin1}",
                "country": country,
                "lat": lat,
                "lon": lon,
                "geonameid": gid,
                "needs_context": True,
            }
        )
    return out


@cache
def _index() -> _Index:
    by_name: dict[str, dict[str, Any]] = {}
    by_stem: dict[str, dict[str, Any]] = {}
    longest = 1
    curated = load("gazetteer.json")["places"]
    for source, entries in (("curated", curated), ("geonames", _geonames())):
        for entry in entries:
            for name in (entry["name"], *entry.get("aliases", ())):
                key = _key(name)
                if not key or key in by_name:
                    continue
                by_name[key] = entry
                longest = max(longest, len(key.split()))
                if _CYRILLIC.search(key) and " " not in key:
                    stem = _stem(key)
                    if len(stem) >= _MIN_STEM or (source == "curated" and len(stem) >= 3):
                        by_stem.setdefault(stem, entry)
                        # Ukrainian -ів/-їв names: і -> о, ї -> є when an ending is added
                        # (Харків -> у Харкові, Київ -> до Києва).
                        if key.endswith(("ів", "їв")):
                            by_stem.setdefault(key[:-2] + ("ов" if key[-2] == "і" else "єв"), entry)
    return _Index(by_name, by_stem, min(longest, 5))


# Ukrainian locative and dative of nouns in -ка, -га, -ха: к/г/х become ц/з/с before -і
# ("Лукашівка" -> "у Лукашівці", "Прага" -> "у Празі").
_ALTERNATION = {"ці": "к", "зі": "г", "сі": "х"}


def _declined(word: str, index: _Index) -> dict[str, Any] | None:
    key = _key(word)
    if not _CYRILLIC.search(key):
        return None
    if key[-2:] in _ALTERNATION and key[:-2] + _ALTERNATION[key[-2:]] in index.by_stem:
        return index.by_stem[key[:-2] + _ALTERNATION[key[-2:]]]
    for cut in range(0, 4):
        stem = key[: len(key) - cut] if cut else key
        if cut and not _ENDING.fullmatch(key[len(key) - cut :]):
            break
        if stem in index.by_stem:
            return index.by_stem[stem]
    return None


def _in_place_context(text: str, s: int, e: int, words: list[tuple[int, int]], last: int) -> bool:
    """A GeoNames-only name counts after a word that introduces a place ("in", "near",
    "village of", "біля", "в") and not as the first word of a longer proper name
    ("New York Times", "Vladimir Putin": the next word capitalised)."""
    if not _PLACE_BEFORE.search(text, max(0, s - 12), s):
        return False
    if last + 1 < len(words):
        n0, _ = words[last + 1]
        if text[e:n0] == " " and text[n0].isupper():
            return False
    return True


def find_places(
    text: str, start: int, end: int, blocked: tuple[tuple[int, int], ...] = ()
) -> list[Place]:
    """Places named in text[start:end], in reading order; ``blocked`` spans (e.g. the
    "in Ukraine" of an organisation's name) are skipped."""
    index = _index()
    words = [(m.start(), m.end()) for m in _WORD.finditer(text, start, end)]
    out = []
    i = 0
    while i < len(words):
        s = words[i][0]
        if not text[s].isupper():
            i += 1
            continue
        found: tuple[dict[str, Any], int] | None = None
        for n in range(min(index.longest, len(words) - i), 0, -1):
            last = i + n - 1
            if any(
                not _JOIN.fullmatch(text[words[k][1] : words[k + 1][0]]) for k in range(i, last)
            ):
                continue
            entry = index.by_name.get(_key(text[s : words[last][1]]))
            if entry is None and n == 1:
                entry = _declined(text[s : words[i][1]], index)
            if entry is not None:
                found = (entry, last)
                break
        if found is None:
            i += 1
            continue
        entry, last = found
        e = words[last][1]
        i = last + 1
        if any(b0 < e and s < b1 for b0, b1 in blocked):
            continue
        if entry.get("locative_only") and not _LOCATIVE.search(text, max(0, s - 12), s):
            continue
        if entry.get("needs_context") and not _in_place_context(text, s, e, words, last):
            continue
        out.append(
            Place(
                name=entry["name"],
                country=entry["country"],
                lat=entry["lat"],
                lon=entry["lon"],
                span=Span(s, e, text[s:e]),
                kind=entry["kind"],
                region=entry["region"],
            )
        )
    return out
