"""The evidence matrix: per qualification, per element of its provision, the facts the
element's assessment cites, and per fact the spans of the exhibits that support it.

Element → facts → exhibits with quoted spans and origins: what a prosecutor reads to see
what the case proves, on what, and where it has nothing. Every element of a provision is
a row, assessed or not; an element with no assessment, or whose assessment cites no fact,
or cites facts no checked span supports, is marked as a gap. The matrix is derived from
the case's events alone (docs/export.md, "matrix.json"): the export writes it, the admin
and the report show it, and the verifier checks it against the chain.

Pure functions over the case's facts and qualifications as CaseState folds them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from casefiles.domain import facts as fact_rules
from casefiles.domain import qualifications
from casefiles.domain.casestate import CaseState

FORMAT = "casefile-matrix/1"

# A span of a source detached from the case: listed, never counted.
DETACHED = "source_detached"
STANDING_WORDS = {
    **fact_rules.STANDING_WORDS,
    DETACHED: "source detached from the case: not counted",
}

# Why an element row is a gap (None: it is not).
NOT_ASSESSED = "not_assessed"
NO_FACT = "no_fact_cited"
SOURCES_ONLY = "sources_cited_not_facts"  # ElementAssessed schema 1
NO_SPAN = "no_checked_span"
NOTHING_COUNTS = "no_span_counts"
GAP_WORDS = {
    NOT_ASSESSED: "not assessed: no evidence cited",
    NO_FACT: "no evidence cited: the assessment cites no fact",
    SOURCES_ONLY: "no evidence cited: assessed before assessments cited facts (whole sources)",
    NO_SPAN: "no evidence cited: the facts cited have no checked span",
    NOTHING_COUNTS: "no cited span counts (withdrawn, unlinked aggregate or no first-hand origin)",
}


def evidence_matrix(
    facts: Sequence[Mapping[str, Any]],
    qualifications_: Sequence[Mapping[str, Any]],
    titles: Mapping[str, str],
    attached: Collection[str] | None = None,
) -> list[dict[str, Any]]:
    """One entry per qualification: {qualification_id, code, provision, title, elements},
    each element {element, text, kind, finding, finding_label, standard, standard_label,
    note, assessed_by, assessed_at, gap, gap_label, facts}; each fact {fact_id, text,
    recorded, corroboration, unchecked_excerpts, spans}; each span {support_id,
    source_id, source, content_sha256, source_text_sha256, start, end, quote,
    text_sha256, chain, origin, aggregate, aggregate_linked, withdrawn, counts,
    standing, standing_label}. `titles` maps source ids to exhibit titles; `attached` is
    the ids of the sources still attached (None: all): a detached source's spans stay
    listed, with counts false and standing `source_detached`, and count for nothing
    (facts.attached_support)."""
    by_id = {str(f["fact_id"]): f for f in facts}
    rows = []
    for q in qualifications_:
        entry = qualifications.provisions().get(str(q["code"]))
        elements: list[Mapping[str, Any]] = list(entry["elements"]) if entry else []
        known = {str(e["id"]) for e in elements}
        # An assessment of an element the data no longer lists is still shown.
        elements += [
            {"id": element_id, "text": element_id, "kind": None}
            for element_id in q["elements"]
            if element_id not in known
        ]
        rows.append(
            {
                "qualification_id": q["qualification_id"],
                "code": q["code"],
                "provision": entry["provision"] if entry else None,
                "title": qualifications.title(str(q["code"])),
                "elements": [
                    _element_row(element, q["elements"].get(element["id"]), by_id, titles, attached)
                    for element in elements
                ],
            }
        )
    return rows


def case_matrix(case: CaseState) -> list[dict[str, Any]]:
    return evidence_matrix(
        case.facts,
        case.qualifications,
        {s.source_id: s.title for s in case.sources},
        {s.source_id for s in case.sources},
    )


def _element_row(
    element: Mapping[str, Any],
    assessment: Mapping[str, Any] | None,
    by_id: Mapping[str, Mapping[str, Any]],
    titles: Mapping[str, str],
    attached: Collection[str] | None,
) -> dict[str, Any]:
    assessment = assessment or {}
    fact_ids = [str(f) for f in assessment.get("fact_ids") or ()]
    cited = [_fact_row(fact_id, by_id.get(fact_id), titles, attached) for fact_id in fact_ids]
    finding = assessment.get("finding")
    standard = assessment.get("standard")
    gap = _gap(assessment, cited)
    return {
        "element": element["id"],
        "text": element["text"],
        "kind": element.get("kind"),
        "finding": finding,
        "finding_label": qualifications.FINDING_WORDS.get(finding, str(finding)),
        "standard": standard,
        "standard_label": qualifications.standard_words(standard) if assessment else "",
        "note": assessment.get("note", ""),
        "assessed_by": assessment.get("assessed_by"),
        "assessed_at": assessment.get("assessed_at"),
        "gap": gap,
        "gap_label": GAP_WORDS[gap] if gap else "",
        "facts": cited,
    }


def _gap(assessment: Mapping[str, Any], cited: Sequence[Mapping[str, Any]]) -> str | None:
    if not assessment:
        return NOT_ASSESSED
    if "fact_ids" not in assessment:
        return SOURCES_ONLY
    if not cited:
        return NO_FACT
    spans = [span for fact in cited for span in fact["spans"]]
    if not spans:
        return NO_SPAN
    if not any(span["counts"] for span in spans):
        return NOTHING_COUNTS
    return None


def _fact_row(
    fact_id: str,
    fact: Mapping[str, Any] | None,
    titles: Mapping[str, str],
    attached: Collection[str] | None,
) -> dict[str, Any]:
    supports: Sequence[Mapping[str, Any]] = fact["support"] if fact else ()
    current = [s for s in supports if attached is None or s["source_id"] in attached]
    result = fact_rules.corroborate(current)
    spans = [
        _span_row(standing, titles)
        for standing in result.standings
        if fact_rules.is_checked(standing.support)
    ]
    spans += [
        _span_row(fact_rules.Standing(s, DETACHED, None), titles)
        for s in supports
        if fact_rules.is_checked(s) and attached is not None and s["source_id"] not in attached
    ]
    return {
        "fact_id": fact_id,
        "text": fact["text"] if fact else "",
        "recorded": fact is not None,
        "corroboration": {
            "independent_origins": result.count,
            "status": result.status,
            "label": result.label,
        },
        "unchecked_excerpts": sum(1 for s in supports if not fact_rules.is_checked(s)),
        "spans": spans,
    }


def _span_row(standing: fact_rules.Standing, titles: Mapping[str, str]) -> dict[str, Any]:
    support = standing.support
    span = support["span"]
    withdrawn = support.get("withdrawn")
    return {
        "support_id": support["support_id"],
        "source_id": support["source_id"],
        "source": titles.get(support["source_id"], support["source_id"]),
        "content_sha256": span["content_sha256"],
        "source_text_sha256": span["source_text_sha256"],
        "start": span["start"],
        "end": span["end"],
        "quote": support["excerpt"],
        "text_sha256": span["text_sha256"],
        "chain": [dict(link) for link in support.get("chain") or ()],
        "origin": standing.origin,
        "aggregate": support.get("aggregate"),
        "aggregate_linked": bool(support.get("aggregate_link")),
        "withdrawn": bool(withdrawn),
        "counts": standing.standing == fact_rules.COUNTED,
        "standing": standing.standing,
        "standing_label": STANDING_WORDS[standing.standing],
    }


def document(rows: Sequence[Mapping[str, Any]], *, case_id: str, version: int) -> dict[str, Any]:
    """matrix.json: the matrix of the case at `version` (docs/export.md)."""
    return {
        "format": FORMAT,
        "case_id": case_id,
        "version": version,
        "qualifications": list(rows),
    }


def flat_rows(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One line per (qualification, element, fact, span) for a table: an element with
    no fact, or a fact with no span, still has its line (span None)."""
    out: list[dict[str, Any]] = []
    for q in rows:
        for element in q["elements"]:
            if not element["facts"]:
                out.append({"qualification": q, "element": element, "fact": None, "span": None})
            for fact in element["facts"]:
                for span in fact["spans"] or [None]:
                    out.append({"qualification": q, "element": element, "fact": fact, "span": span})
    return out
