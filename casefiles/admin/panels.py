"""The case page's sections for sourcing, corroboration and legal review in depth: source
grades, provenance and verification, the corroboration panel, the elements of crimes,
persons and related cases. Built from the CaseState alone, so they add no query."""

from dataclasses import dataclass, replace

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casefiles.admin.access import may, may_see_identities
from casefiles.admin.labels import chain_label, grade_label
from casefiles.commands.base import corrections
from casefiles.domain import liability, matrix, qualifications, workflow
from casefiles.domain.actors import CASE_WRITERS, LEGAL_REVIEWER, PERMISSIONS
from casefiles.domain.facts import chain_words, corroboration_panel
from casefiles.domain.persons import person_label
from casefiles.domain.state import CaseState, SourceRef


@dataclass(frozen=True)
class SourceRow:
    source: SourceRef
    grade: str
    chain: str
    verifications: list[dict]
    corrections: tuple[tuple[str, str], ...] = ()  # (label, admin URL)


@dataclass(frozen=True)
class ElementRow:
    element_id: str
    text: str
    finding: str  # a qualifications.FINDINGS code, or "" when not assessed
    finding_label: str
    sources: list[str]  # assessments recorded before facts were cited (schema 1)
    note: str
    assessed_by: str
    assessed_at: str
    kind: str = ""  # "", "[K]" (mental) or "[C]" (contextual)
    standard: str = ""  # in words; "standard of proof not stated" for schema 1
    facts: tuple[str, ...] = ()  # the texts of the facts cited


@dataclass(frozen=True)
class QualificationRow:
    qualification_id: str
    title: str
    elements: list[ElementRow]
    complete: bool
    # The case's conflict classification rules the provision out (it does not count), or
    # leaves it unconfirmed.
    contradiction: str | None = None
    warning: str | None = None


@dataclass(frozen=True)
class LiabilityRow:
    liability_id: str
    person: str
    mode: str
    crime: str
    elements: list[ElementRow]
    complete: bool


@dataclass(frozen=True)
class PersonRow:
    person_id: str
    role: str
    label: str  # the pseudonym of a protected person: never the name
    protected: bool
    corrections: tuple[tuple[str, str], ...] = ()  # (label, admin URL)


def _words(code: str) -> str:
    return code.replace("_", " ")


def source_rows(case: CaseState) -> list[SourceRow]:
    return [
        SourceRow(
            source=source,
            grade=grade_label(source.grade),
            chain=chain_label(source.provenance),
            verifications=[
                {**step, "method": _words(step["method"])} for step in source.verifications
            ],
        )
        for source in case.sources
    ]


def corroboration_rows(case: CaseState) -> list[dict]:
    return [
        {
            **row,
            "origins": ["; ".join(group) for group in row["origins"]],
            "spans": [
                {**span, "chain_label": chain_words(span["chain"]) if span["chain"] else ""}
                for span in row["spans"]
            ],
        }
        for row in corroboration_panel(case)
    ]


def _element_rows(case: CaseState, elements: list[dict], assessments: dict) -> list[ElementRow]:
    titles = {s.source_id: s.title for s in case.sources}
    facts = {f["fact_id"]: f["text"] for f in case.facts}
    rows = []
    for element in elements:
        assessment = assessments.get(element["id"], {})
        finding = assessment.get("finding")
        rows.append(
            ElementRow(
                element_id=element["id"],
                text=element["text"],
                finding=finding or "",
                finding_label=qualifications.FINDING_WORDS[finding],
                sources=[titles.get(s, s) for s in assessment.get("source_ids", [])],
                note=assessment.get("note", ""),
                assessed_by=assessment.get("assessed_by", ""),
                assessed_at=assessment.get("assessed_at", ""),
                kind=qualifications.KIND_MARKS.get(element.get("kind", ""), ""),
                standard=(
                    qualifications.standard_words(assessment.get("standard")) if assessment else ""
                ),
                facts=tuple(facts.get(f, f) for f in assessment.get("fact_ids", [])),
            )
        )
    return rows


MATRIX_KINDS = {
    qualifications.MATERIAL: gettext_lazy("material"),
    qualifications.MENTAL: gettext_lazy("mental"),
    qualifications.CONTEXTUAL: gettext_lazy("contextual"),
}
MATRIX_GAPS = {
    matrix.NOT_ASSESSED: gettext_lazy("not assessed: no evidence cited"),
    matrix.NO_FACT: gettext_lazy("no evidence cited: the assessment cites no fact"),
    matrix.SOURCES_ONLY: gettext_lazy(
        "no evidence cited: assessed citing whole sources, not facts"
    ),
    matrix.NO_SPAN: gettext_lazy("no evidence cited: the facts cited have no checked span"),
    matrix.NOTHING_COUNTS: gettext_lazy("no cited span counts"),
}


def matrix_rows(case: CaseState) -> list[dict]:
    """The evidence matrix as table lines: per qualification, one line per element ×
    cited fact × cited span (casefiles/domain/matrix.py); the element and its finding
    only on its first line; an element with nothing behind it is a line saying so."""
    out = []
    for q in matrix.case_matrix(case):
        lines = []
        seen: set[str] = set()
        for line in matrix.flat_rows([q]):
            element = line["element"]
            lines.append(
                {
                    "first": element["element"] not in seen,
                    "element": element,
                    "kind": MATRIX_KINDS.get(element["kind"], ""),
                    "gap": MATRIX_GAPS.get(element["gap"], ""),
                    "fact": line["fact"],
                    "span": line["span"],
                    "chain": chain_words(line["span"]["chain"]) if line["span"] else "",
                }
            )
            seen.add(element["element"])
        out.append({"title": q["title"], "lines": lines})
    return out


def qualification_rows(case: CaseState) -> list[QualificationRow]:
    rows = []
    for qualification in case.qualifications:
        code = qualification["code"]
        entry = qualifications.provisions()[code]
        rows.append(
            QualificationRow(
                qualification_id=qualification["qualification_id"],
                title=qualifications.title(code),
                elements=_element_rows(case, entry["elements"], qualification["elements"]),
                complete=not qualifications.missing_elements(qualification),
                contradiction=qualifications.conflict_contradiction(code, case.conflict),
                warning=qualifications.conflict_warning(code, case.conflict),
            )
        )
    return rows


def liability_rows(case: CaseState) -> list[LiabilityRow]:
    return [
        LiabilityRow(
            liability_id=item["liability_id"],
            person=item["person"],
            mode=liability.mode_title(item["mode"]),
            crime=qualifications.title(item["code"]),
            elements=_element_rows(
                case, liability.modes()[item["mode"]]["elements"], item["elements"]
            ),
            complete=not liability.missing_elements(item),
        )
        for item in case.liabilities
    ]


def conflict_line(case: CaseState) -> str:
    words = qualifications.CLASSIFICATION_WORDS[qualifications.classification_of(case.conflict)]
    if not case.conflict:
        return words
    return f"{words} — {case.conflict['reason']} ({case.conflict['classified_by']})"


def person_rows(case: CaseState) -> list[PersonRow]:
    return [
        PersonRow(
            person_id=p["person_id"],
            role=_words(p["role"]),
            label=person_label(p),
            protected=p["protected"],
        )
        for p in case.persons
    ]


def correction_links(
    request: HttpRequest, case: CaseState, items: str, key: str, open_for_work: bool
) -> dict[str, tuple[tuple[str, str], ...]]:
    """Per item of `case.<items>`, the corrections this user is offered on it."""
    offered = [
        c
        for c in corrections()
        if c.items == items and open_for_work and may(request, PERMISSIONS[c.name].roles)
    ]
    links: dict[str, tuple[tuple[str, str], ...]] = {}
    for item in getattr(case, items):
        item_id = item[key] if isinstance(item, dict) else getattr(item, key)
        links[item_id] = tuple(
            (
                _(c.title),
                reverse(f"admin:casefiles_casefile_{c.verb}", args=[case.case_id, item_id]),
            )
            for c in offered
        )
    return links


def evaluation_page(request: HttpRequest, case: CaseState, *, open_for_work: bool) -> dict:
    on_sources = correction_links(request, case, "sources", "source_id", open_for_work)
    on_persons = correction_links(request, case, "persons", "person_id", open_for_work)
    return {
        "source_rows": [
            replace(row, corrections=on_sources.get(row.source.source_id, ()))
            for row in source_rows(case)
        ],
        "corroboration_rows": corroboration_rows(case),
        "qualification_rows": qualification_rows(case),
        "matrix_rows": matrix_rows(case),
        "liability_rows": liability_rows(case),
        "conflict_line": conflict_line(case),
        "has_perpetrators": any(p["role"] in liability.PERPETRATOR_ROLES for p in case.persons),
        "substantiation_gaps": workflow.substantiation_gaps(case),
        "person_rows": [
            replace(row, corrections=on_persons.get(row.person_id, ())) for row in person_rows(case)
        ],
        "related_cases": [{**ref, "relation": _words(ref["relation"])} for ref in case.related],
        "can_evaluate": may(request, CASE_WRITERS) and open_for_work,
        "can_review": may(request, (LEGAL_REVIEWER,)) and open_for_work,
        "can_reveal": may_see_identities(request),
    }
