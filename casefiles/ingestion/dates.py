"""Dates and periods as stated in English, Ukrainian or Russian text, resolved to ISO dates.

A stated month or day without a year ("in March", "Oct. 29 last year", "у березні") is
resolved against a reference date: the publication date, or failing that the latest
full date the text states. Without a reference it is left unresolved rather than guessed.

Ukrainian and Russian month names (in every case: "березня", "березні", "марте") come
from dateparser's CLDR-based locale data, not from a hand-written list: a month is
matched on the longest common prefix of the locale's full forms, plus a case ending.
Numeric dates in these languages are day first (the locale's date order).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from functools import cache

from .model import Span, TimeRef

_MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11,
    "nov": 11, "december": 12, "dec": 12,
}  # fmt: skip
_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November"
    r"|December|Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept?\.?|Oct\.?|Nov\.?|Dec\.?)"
)
_WEEKDAY = (
    r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
)
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip

FULL_DATE = re.compile(
    rf"\b(?P<iy>\d{{4}})-(?P<im>\d{{2}})-(?P<id>\d{{2}})\b"
    rf"|(?:{_WEEKDAY},?\s+)?(?P<m1>{_MONTH})\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y1>\d{{4}})\b"
    rf"|\b(?P<d2>\d{{1,2}})\s+(?P<m2>{_MONTH}),?\s+(?P<y2>\d{{4}})\b"
)
_PART_OF_MONTH = re.compile(
    rf"\b(?P<part>early|mid|late)[- ](?:in )?(?P<m>{_MONTH})(?:,?\s+(?P<y>\d{{4}}))?\b"
)
_MONTH_YEAR = re.compile(rf"\b(?P<m>{_MONTH})\s+(?P<y>(?:19|20)\d{{2}})\b")
_MONTH_DAY = re.compile(
    rf"\b(?P<m>{_MONTH})\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\b(?!,?\s*\d{{4}})"
    r"(?P<last>\s+last year)?"
)
_BARE_MONTH = re.compile(
    rf"\b(?:in|In|of|by|until|during|through|throughout|from|since|last)\s+(?P<m>{_MONTH})\b"
    r"(?!\s+\d)"
)
_YEAR = re.compile(r"\b(?:in|In|of|by|until|during|from|since|Since)\s+(?P<y>(?:19|20)\d{2})\b")
_PAST_PERIOD = re.compile(
    r"\b(?:during|in|over|for|within) the (?:past|last) (?P<n>\d+|one|two|three|four|five|six|"
    r"seven|eight|nine|ten|eleven|twelve) (?P<unit>days|weeks|months|years)\b",
    re.IGNORECASE,
)
_SINCE_BEFORE = re.compile(r"\b[Ss]ince\s+$")


@dataclass(frozen=True)
class _Found:
    start: int
    end: int
    kind: str
    first: date
    last: date
    note: str = ""


def _month(name: str) -> int:
    return _MONTHS[name.rstrip(".").lower()]


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def full_date(match: re.Match[str]) -> date | None:
    if match.group("iy"):
        return _safe_date(int(match["iy"]), int(match["im"]), int(match["id"]))
    if match.group("m1"):
        return _safe_date(int(match["y1"]), _month(match["m1"]), int(match["d1"]))
    return _safe_date(int(match["y2"]), _month(match["m2"]), int(match["d2"]))


def latest_full_date(text: str) -> tuple[date, str] | None:
    found = [(d, m.group(0)) for m in FULL_DATE.finditer(text) if (d := full_date(m))]
    return max(found) if found else None


def _year_for(month: int, day: int, reference: date) -> int:
    # The most recent such day not after the reference: texts speak of the past.
    year = reference.year
    candidate = _safe_date(year, month, day) or _month_end(year, month)
    return year - 1 if candidate > reference else year


def _shift_back(reference: date, n: int, unit: str) -> date:
    if unit == "days":
        return date.fromordinal(reference.toordinal() - n)
    if unit == "weeks":
        return date.fromordinal(reference.toordinal() - 7 * n)
    months = n * (12 if unit == "years" else 1)
    index = reference.year * 12 + reference.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return _safe_date(year, month, reference.day) or _month_end(year, month)


def _candidates(text: str, start: int, end: int, reference: date | None, ref_label: str):
    inferred = f"year inferred from {ref_label}"
    for m in FULL_DATE.finditer(text, start, end):
        if d := full_date(m):
            yield _Found(m.start(), m.end(), "date", d, d)
    for m in _PART_OF_MONTH.finditer(text, start, end):
        month = _month(m["m"])
        part = m["part"].lower()
        if m["y"]:
            year, note = int(m["y"]), ""
        elif reference:
            year, note = _year_for(month, 1, reference), inferred
        else:
            continue
        first_day, last_day = {"early": (1, 10), "mid": (11, 20)}.get(
            part, (21, _month_end(year, month).day)
        )
        yield _Found(
            m.start(), m.end(), "range", date(year, month, first_day),
            date(year, month, last_day), note,
        )  # fmt: skip
    for m in _MONTH_YEAR.finditer(text, start, end):
        year, month = int(m["y"]), _month(m["m"])
        yield _Found(m.start(), m.end(), "month", date(year, month, 1), _month_end(year, month))
    for m in _MONTH_DAY.finditer(text, start, end):
        if not reference:
            continue
        month, day = _month(m["m"]), int(m["d"])
        if m["last"]:
            year, note = reference.year - 1, f"'last year' read against {ref_label}"
        else:
            year, note = _year_for(month, day, reference), inferred
        if d := _safe_date(year, month, day):
            yield _Found(m.start(), m.end(), "date", d, d, note)
    for m in _BARE_MONTH.finditer(text, start, end):
        if not reference:
            continue
        month = _month(m["m"])
        year = _year_for(month, 1, reference)
        yield _Found(
            m.start("m"), m.end(), "month", date(year, month, 1), _month_end(year, month), inferred
        )
    for m in _YEAR.finditer(text, start, end):
        year = int(m["y"])
        yield _Found(m.start("y"), m.end(), "year", date(year, 1, 1), date(year, 12, 31))
    for m in _PAST_PERIOD.finditer(text, start, end):
        if not reference:
            continue
        n = m["n"].lower()
        count = int(n) if n.isdigit() else _NUMBER_WORDS[n]
        yield _Found(
            m.start(), m.end(), "range", _shift_back(reference, count, m["unit"].lower()),
            reference, f"counted back from {ref_label}",
        )  # fmt: skip


_MONTH_KEYS = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)  # fmt: skip
CYRILLIC_LANGUAGES = ("uk", "ru")
_YEAR_WORD = r"(?:\s*(?:року|р\.|рік|году|года|г\.|год))?"


@dataclass(frozen=True)
class _Locale:
    month: re.Pattern[str]  # group 'm': a month name in any case
    prefixes: tuple[tuple[str, int], ...]  # (lower-case prefix, month), longest first
    full: re.Pattern[str]
    month_year: re.Pattern[str]
    day_month: re.Pattern[str]
    bare_month: re.Pattern[str]
    numeric: re.Pattern[str]
    year: re.Pattern[str]


def _common_prefix(words: list[str]) -> str:
    prefix = words[0]
    for w in words[1:]:
        while not w.startswith(prefix):
            prefix = prefix[:-1]
    return prefix


@cache
def _locale(lang: str) -> _Locale:
    from dateparser.languages import default_loader  # CLDR month names, loaded once

    info = default_loader.get_locale(lang).info
    alternatives: list[tuple[str, int]] = []
    for number, key in enumerate(_MONTH_KEYS, start=1):
        forms = [f.lower() for f in info[key] if len(f) >= 4 and not f.endswith(".")]
        prefix = _common_prefix(forms) if forms else ""
        if len(prefix) >= 3:
            alternatives.append((prefix, number))
        else:  # e.g. Russian "май", "мая": the forms as listed
            alternatives += [(f.lower(), number) for f in info[key] if len(f) >= 3]
    alternatives.sort(key=lambda a: -len(a[0]))
    words = "|".join(re.escape(p) for p, _ in alternatives)
    month = rf"(?P<m>(?:{words})[\u0400-\u04ff]{{0,4}})"
    flags = re.IGNORECASE
    return _Locale(
        month=re.compile(rf"\b{month}\b", flags),
        prefixes=tuple(alternatives),
        full=re.compile(
            rf"\b(?P<d>\d{{1,2}})\s+{month}\s+(?P<y>(?:19|20)\d{{2}})\b{_YEAR_WORD}", flags
        ),
        month_year=re.compile(rf"\b{month}\s+(?P<y>(?:19|20)\d{{2}})\b{_YEAR_WORD}", flags),
        day_month=re.compile(rf"\b(?P<d>\d{{1,2}})\s+{month}\b(?!\s+\d)", flags),
        bare_month=re.compile(
            rf"\b(?:у|в|во|від|з|із|до|с|со|по|протягом|течение)\s+{month}\b(?!\s+\d)", flags
        ),
        numeric=re.compile(r"\b(?P<d>\d{1,2})\.(?P<mo>\d{1,2})\.(?P<y>(?:19|20)\d{2})\b"),
        year=re.compile(
            r"\b(?:у|в|во|з|із|с|до)\s+(?P<y>(?:19|20)\d{2})\s*"
            r"(?:році|роках|року|году|годах|г\.)",
            flags,
        ),
    )


def _month_number(loc: _Locale, word: str) -> int | None:
    lower = word.lower()
    for prefix, number in loc.prefixes:
        if lower.startswith(prefix):
            return number
    return None


def _cyrillic_candidates(
    text: str, start: int, end: int, reference: date | None, ref_label: str, lang: str
):
    loc = _locale(lang)
    inferred = f"year inferred from {ref_label}"
    for m in FULL_DATE.finditer(text, start, end):  # ISO dates
        if m.group("iy") and (d := full_date(m)):
            yield _Found(m.start(), m.end(), "date", d, d)
    for m in loc.numeric.finditer(text, start, end):
        if d := _safe_date(int(m["y"]), int(m["mo"]), int(m["d"])):
            yield _Found(m.start(), m.end(), "date", d, d)
    for m in loc.full.finditer(text, start, end):
        month = _month_number(loc, m["m"])
        if month and (d := _safe_date(int(m["y"]), month, int(m["d"]))):
            yield _Found(m.start(), m.end(), "date", d, d)
    for m in loc.month_year.finditer(text, start, end):
        if month := _month_number(loc, m["m"]):
            year = int(m["y"])
            yield _Found(m.start(), m.end(), "month", date(year, month, 1), _month_end(year, month))
    for m in loc.day_month.finditer(text, start, end):
        month = _month_number(loc, m["m"])
        if not (month and reference):
            continue
        if d := _safe_date(_year_for(month, int(m["d"]), reference), month, int(m["d"])):
            yield _Found(m.start(), m.end(), "date", d, d, inferred)
    for m in loc.bare_month.finditer(text, start, end):
        month = _month_number(loc, m["m"])
        if not (month and reference):
            continue
        year = _year_for(month, 1, reference)
        yield _Found(
            m.start("m"), m.end(), "month", date(year, month, 1), _month_end(year, month), inferred
        )
    for m in loc.year.finditer(text, start, end):
        year = int(m["y"])
        yield _Found(m.start("y"), m.end(), "year", date(year, 1, 1), date(year, 12, 31))


def latest_full_date_any(text: str, lang: str | None) -> tuple[date, str] | None:
    """The latest full date the text states, in its language's forms too."""
    found = [(d, m.group(0)) for m in FULL_DATE.finditer(text) if (d := full_date(m))]
    if lang in CYRILLIC_LANGUAGES:
        found += [
            (f.first, text[f.start : f.end])
            for f in _cyrillic_candidates(text, 0, len(text), None, "", lang)
            if f.kind == "date"
        ]
    return max(found) if found else None


def find_times(
    text: str,
    start: int,
    end: int,
    reference: date | None,
    ref_label: str = "",
    lang: str | None = None,
) -> list[TimeRef]:
    """Time expressions in text[start:end], in reading order, overlaps resolved longest-first."""
    found = sorted(
        _cyrillic_candidates(text, start, end, reference, ref_label, lang)
        if lang in CYRILLIC_LANGUAGES
        else _candidates(text, start, end, reference, ref_label),
        key=lambda f: (f.start, -(f.end - f.start)),
    )
    chosen: list[_Found] = []
    for f in found:
        if chosen and f.start < chosen[-1].end:
            continue
        chosen.append(f)
    out = []
    for f in chosen:
        s, kind, first, last, note = f.start, f.kind, f.first, f.last, f.note
        since = _SINCE_BEFORE.search(text, max(start, s - 8), s)
        if since:
            s, kind = since.start(), "range"
            if reference and reference >= first:
                last = reference
                note = "; ".join(filter(None, [note, f"open end taken as {ref_label}"]))
        out.append(
            TimeRef(
                kind=kind,
                start=first.isoformat(),
                end=last.isoformat(),
                text=text[s : f.end],
                span=Span(s, f.end, text[s : f.end]),
                note=note,
            )
        )
    return out
