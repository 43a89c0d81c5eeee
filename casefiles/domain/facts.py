"""Facts (claims) and their corroboration.

A fact cites quoted spans of the case's exhibits. A span is a range of characters
(Unicode code points, end exclusive) of the source's stored text, the text the
extractor made of the original and stored under `text_sha256` (docs/evidence.md); it
carries the SHA-256 of the quoted characters, so a span that moved or whose text
changed no longer matches. Each cited span has its own origin chain (who captured,
obtained or documented what it says, who verified it, who relayed it), taken from the
source's provenance unless the analyst states it for that span.

Corroboration of a fact counts independent first-hand origins: the earliest link of a
span's chain that captured, obtained or documented the material. Two spans with the
same first-hand origin count once (both may trace to HRMMU although one is a newspaper
article). A span marked as an aggregate figure (79 executions across 24 incidents)
corroborates nothing until an analyst links it to the fact with a reason. Withdrawn
support and excerpts recorded before spans were checked (FactSupported schema 1) are
shown but never counted.

Pure functions: the commands, the admin, the API and the report all read these.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from casefiles.domain import workflow
from casefiles.domain.casestate import CaseState, SourceRef

# The links of an origin chain, in the order the material travelled.
FIRST_HAND_ROLES = ("captured", "obtained", "documented")
CHAIN_ROLES = (*FIRST_HAND_ROLES, "verified", "relayed", "published")

# How a supporting span stands in the count.
COUNTED = "counted"
SAME_ORIGIN = "same_origin"
AGGREGATE = "aggregate_unlinked"
NO_ORIGIN = "no_first_hand_origin"
UNCHECKED = "unchecked_excerpt"
WITHDRAWN = "withdrawn"

STANDING_WORDS = {
    COUNTED: "counted",
    SAME_ORIGIN: "same origin as another span: counted once",
    AGGREGATE: "aggregate figure not linked to this fact: not counted",
    NO_ORIGIN: "no first-hand origin stated: not counted",
    UNCHECKED: "unchecked excerpt (recorded before quotes were checked): not counted",
    WITHDRAWN: "support withdrawn: not counted",
}

# What the nearest-match search looks at: passages of the stored text, at most this
# many (a long document is cut into sentences; beyond this the rest is not compared).
_MAX_PASSAGES = 20_000
_PASSAGE = re.compile(r"[^\n.!?…]*(?:[.!?…]+|\n|$)")


def quote_sha256(text: str) -> str:
    """SHA-256 of the quoted characters, UTF-8 encoded."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Passage:
    start: int
    end: int
    text: str

    def as_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text}


class QuoteMismatch(ValueError):
    """The quote is not in the stored text where it is said to be; `nearest` is the
    stored passage most like it (None when the text has nothing alike)."""

    def __init__(self, message: str, nearest: Passage | None):
        super().__init__(message)
        self.nearest = nearest


def locate_quote(
    stored: str,
    quote: str,
    start: int | None = None,
    end: int | None = None,
    text_sha256: str | None = None,
) -> Passage:
    """Where `quote` is in `stored`: at [start, end) when given (it must be exactly
    there), otherwise its one occurrence. `text_sha256`, when given, must be the SHA-256
    of the quote. Raises QuoteMismatch naming the nearest passage."""
    if not quote:
        raise QuoteMismatch("the quote is empty", None)
    if text_sha256 is not None and text_sha256 != quote_sha256(quote):
        raise QuoteMismatch(
            "text_sha256 is not the SHA-256 of the quoted text (UTF-8)",
            nearest_passage(stored, quote),
        )
    if start is not None or end is not None:
        if start is None or end is None:
            raise QuoteMismatch("give both start and end, or neither", None)
        if not 0 <= start < end <= len(stored):
            raise QuoteMismatch(
                f"the span {start}–{end} is outside the source's text ({len(stored)} characters)",
                nearest_passage(stored, quote),
            )
        if stored[start:end] != quote:
            found = stored.find(quote)
            where = f" (it is at {found}–{found + len(quote)})" if found >= 0 else ""
            raise QuoteMismatch(
                f"the source's text at {start}–{end} is not the quoted text{where}",
                Passage(found, found + len(quote), quote)
                if found >= 0
                else nearest_passage(stored, quote),
            )
        return Passage(start, end, quote)
    found = stored.find(quote)
    if found < 0:
        raise QuoteMismatch(
            "the quoted text is not in the source's stored text", nearest_passage(stored, quote)
        )
    if stored.find(quote, found + 1) >= 0:
        raise QuoteMismatch(
            "the quoted text occurs more than once in the source; give start and end",
            Passage(found, found + len(quote), quote),
        )
    return Passage(found, found + len(quote), quote)


def nearest_passage(stored: str, quote: str) -> Passage | None:
    """The sentence (or line) of `stored` most like `quote` (difflib's ratio), or None
    when nothing in it shares a word-sized run of characters with the quote."""
    best: tuple[float, int, int] | None = None
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(quote)
    for count, match in enumerate(_PASSAGE.finditer(stored)):
        if count >= _MAX_PASSAGES:
            break
        start, end = _trimmed(stored, match.start(), match.end())
        if start >= end:
            continue
        matcher.set_seq1(stored[start:end])
        if best is not None and matcher.real_quick_ratio() <= best[0]:
            continue
        if best is not None and matcher.quick_ratio() <= best[0]:
            continue
        ratio = matcher.ratio()
        if best is None or ratio > best[0]:
            best = (ratio, start, end)
    if best is None or best[0] < 0.3:
        return None
    return Passage(best[1], best[2], stored[best[1] : best[2]])


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


# --- origin chains ---------------------------------------------------------------------------


def chain_of_source(source: SourceRef) -> list[dict[str, Any]]:
    """The origin chain a span inherits from its source: the source's recorded
    provenance, otherwise its stated origins as first-hand (`obtained`)."""
    if source.provenance:
        return [
            {"role": link["role"], "organisation": link["organisation"]}
            for link in source.provenance
        ]
    return [{"role": "obtained", "organisation": name} for name in source.origins]


def first_hand_origin(chain: Sequence[Mapping[str, Any]]) -> str | None:
    """The organisation of the earliest link that captured, obtained or documented the
    material; None when the chain names none."""
    for link in chain:
        if link.get("role") in FIRST_HAND_ROLES and str(link.get("organisation", "")).strip():
            return str(link["organisation"]).strip()
    return None


def chain_words(chain: Sequence[Mapping[str, Any]]) -> str:
    return ", ".join(f"{link['role']} by {link['organisation']}" for link in chain) or "—"


# --- corroboration ---------------------------------------------------------------------------


def is_checked(support: Mapping[str, Any]) -> bool:
    """Recorded with a span checked against the stored text (FactSupported schema 2)."""
    return "span" in support


def active(support: Mapping[str, Any]) -> bool:
    return not support.get("withdrawn")


def _standing_alone(support: Mapping[str, Any]) -> str | None:
    """Why a span cannot count whatever the others are, or None."""
    if support.get("withdrawn"):
        return WITHDRAWN
    if not is_checked(support):
        return UNCHECKED
    if support.get("aggregate") and not support.get("aggregate_link"):
        return AGGREGATE
    if first_hand_origin(support.get("chain") or ()) is None:
        return NO_ORIGIN
    return None


@dataclass(frozen=True)
class Standing:
    support: Mapping[str, Any]
    standing: str
    origin: str | None  # the first-hand origin as written in the chain
    shared_with: tuple[int, ...] = ()  # indexes of the other spans of the same origin


@dataclass(frozen=True)
class Corroboration:
    count: int
    status: str
    label: str
    standings: tuple[Standing, ...]
    origins: tuple[tuple[str, tuple[int, ...]], ...]  # (origin, indexes of its spans)
    reasons: tuple[str, ...]


def corroborate(supports: Sequence[Mapping[str, Any]]) -> Corroboration:
    """How the supporting spans of one fact corroborate it (module docstring)."""
    by_origin: dict[str, list[int]] = {}
    names: dict[str, str] = {}
    alone: list[str | None] = []
    for index, support in enumerate(supports):
        reason = _standing_alone(support)
        alone.append(reason)
        if reason is None:
            first = first_hand_origin(support["chain"]) or ""
            key = workflow.normalise_origin(first)
            by_origin.setdefault(key, []).append(index)
            names.setdefault(key, first)
    standings = []
    for index, support in enumerate(supports):
        reason = alone[index]
        origin = first_hand_origin(support.get("chain") or ()) if is_checked(support) else None
        if reason is not None:
            standings.append(Standing(support, reason, origin))
            continue
        group = by_origin[workflow.normalise_origin(origin or "")]
        standing = COUNTED if group[0] == index else SAME_ORIGIN
        standings.append(Standing(support, standing, origin, tuple(i for i in group if i != index)))
    count = len(by_origin)
    status = workflow.corroboration_status(count)
    reasons = [
        f"{_both(len(group))} trace to {names[key]}: counted once"
        for key, group in by_origin.items()
        if len(group) > 1
    ]
    reasons.extend(
        f"span {index + 1}: {STANDING_WORDS[reason]}"
        for index, reason in enumerate(alone)
        if reason is not None
    )
    return Corroboration(
        count=count,
        status=status,
        label=status_label(status, count),
        standings=tuple(standings),
        origins=tuple((names[key], tuple(group)) for key, group in by_origin.items()),
        reasons=tuple(reasons),
    )


def _both(n: int) -> str:
    return "both spans" if n == 2 else f"all {n} spans"


def status_label(status: str, count: int) -> str:
    return {
        workflow.UNCORROBORATED: "uncorroborated",
        workflow.SINGLE_ORIGIN: "single origin",
    }.get(status, f"corroborated by {count} independent origins")


def corroboration_panel(case: CaseState) -> list[dict[str, Any]]:
    """Per fact: its cited spans, the independent first-hand origins they reach, the
    resulting status and why. Without recorded facts, one row per source excerpt,
    which corroborates nothing (an excerpt is not a cited span)."""
    titles = {s.source_id: s.title for s in case.sources}
    rows = []
    for fact in case.facts:
        result = corroborate(attached_support(case, fact))
        rows.append(
            {
                "fact_id": fact["fact_id"],
                "text": fact["text"],
                "sources": list(
                    dict.fromkeys(
                        titles.get(s["source_id"], s["source_id"])
                        for s in attached_support(case, fact)
                        if active(s)
                    )
                ),
                "origins": [[origin] for origin, _ in result.origins],
                "status": result.status,
                "label": result.label,
                "reasons": list(result.reasons),
                "spans": [_span_row(standing, titles) for standing in result.standings],
            }
        )
    if not rows:
        rows = [
            {
                "fact_id": None,
                "text": s.excerpt or s.title,
                "sources": [s.title],
                "origins": [],
                "status": workflow.UNCORROBORATED,
                "label": "no fact recorded",
                "reasons": ["record a fact and cite the spans that support it"],
                "spans": [],
            }
            for s in case.sources
        ]
    return rows


def _span_row(standing: Standing, titles: Mapping[str, str]) -> dict[str, Any]:
    support = standing.support
    span = support.get("span") or {}
    return {
        "support_id": support.get("support_id"),
        "source_id": support["source_id"],
        "source": titles.get(support["source_id"], support["source_id"]),
        "quote": support.get("excerpt", ""),
        "start": span.get("start"),
        "end": span.get("end"),
        "text_sha256": span.get("text_sha256"),
        "chain": list(support.get("chain") or []),
        "origin": standing.origin,
        "aggregate": support.get("aggregate"),
        "aggregate_link": support.get("aggregate_link"),
        "withdrawn": support.get("withdrawn"),
        "standing": standing.standing,
        "standing_label": STANDING_WORDS[standing.standing],
    }


def attached_support(case: CaseState, fact: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The fact's support from sources still attached: a detached source's spans stay
    in the history but no longer count (nor show in the panel)."""
    attached = {s.source_id for s in case.sources}
    return [s for s in fact["support"] if s["source_id"] in attached]


def case_corroboration(case: CaseState) -> dict[str, Any]:
    """The case's corroboration from its facts, not its documents: the weakest fact
    decides (each recorded fact is a claim the case makes). No fact: uncorroborated."""
    counts = [corroborate(attached_support(case, fact)).count for fact in case.facts]
    count = min(counts) if counts else 0
    status = workflow.corroboration_status(count)
    return {
        "facts": len(counts),
        "independent_origins": count,
        "status": status,
        "label": status_label(status, count) if counts else "no fact recorded",
    }


def find_support(case: CaseState, fact_id: str, support_id: str) -> Mapping[str, Any] | None:
    fact = next((f for f in case.facts if f["fact_id"] == fact_id), None)
    if fact is None:
        return None
    return next((s for s in fact["support"] if s.get("support_id") == support_id), None)


def spans_cited(case: CaseState, source_id: str) -> list[dict[str, Any]]:
    """The checked spans of one source cited by the case's facts, with the citing fact:
    what a source viewer highlights. Withdrawn ones are included, marked."""
    out = []
    for fact in case.facts:
        for support in fact["support"]:
            if support["source_id"] == source_id and is_checked(support):
                out.append(
                    {
                        "fact_id": fact["fact_id"],
                        "fact": fact["text"],
                        "support_id": support["support_id"],
                        "start": support["span"]["start"],
                        "end": support["span"]["end"],
                        "withdrawn": bool(support.get("withdrawn")),
                    }
                )
    return sorted(out, key=lambda s: (s["start"], s["end"]))


def cited_spans(facts: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every checked span the facts cite (for the export's spans file)."""
    out = []
    for fact in facts:
        for support in fact["support"]:
            if is_checked(support):
                out.append({"fact_id": fact["fact_id"], **support})
    return out
