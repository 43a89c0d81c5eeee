"""The case page's sections for sourcing, corroboration and legal review in depth: source
grades, provenance and verification, the corroboration panel, the elements of crimes,
persons and related cases. Built from the CaseState alone, so they add no query."""

from dataclasses import dataclass

from django.http import HttpRequest

from casefiles.admin.access import may, may_see_identities
from casefiles.admin.labels import chain_label, grade_label
from casefiles.domain import qualifications, workflow
from casefiles.domain.actors import CASE_WRITERS, LEGAL_REVIEWER
from casefiles.domain.facts import corroboration_panel
from casefiles.domain.persons import person_label
from casefiles.domain.state import CaseState, SourceRef


@dataclass(frozen=True)
class SourceRow:
    source: SourceRef
    grade: str
    chain: str
    verifications: list[dict]


@dataclass(frozen=True)
class ElementRow:
    element_id: str
    text: str
    finding: str  # a qualifications.FINDINGS code, or "" when not assessed
    finding_label: str
    sources: list[str]
    note: str
    assessed_by: str
    assessed_at: str


@dataclass(frozen=True)
class QualificationRow:
    qualification_id: str
    title: str
    elements: list[ElementRow]
    complete: bool


@dataclass(frozen=True)
class PersonRow:
    person_id: str
    role: str
    label: str  # the pseudonym of a protected person: never the name
    protected: bool


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
        {**row, "origins": ["; ".join(group) for group in row["origins"]]}
        for row in corroboration_panel(case)
    ]


def qualification_rows(case: CaseState) -> list[QualificationRow]:
    titles = {s.source_id: s.title for s in case.sources}
    rows = []
    for qualification in case.qualifications:
        entry = qualifications.provisions()[qualification["code"]]
        elements = []
        for element in entry["elements"]:
            assessment = qualification["elements"].get(element["id"], {})
            finding = assessment.get("finding")
            elements.append(
                ElementRow(
                    element_id=element["id"],
                    text=element["text"],
                    finding=finding or "",
                    finding_label=qualifications.FINDING_WORDS[finding],
                    sources=[titles.get(s, s) for s in assessment.get("source_ids", [])],
                    note=assessment.get("note", ""),
                    assessed_by=assessment.get("assessed_by", ""),
                    assessed_at=assessment.get("assessed_at", ""),
                )
            )
        rows.append(
            QualificationRow(
                qualification_id=qualification["qualification_id"],
                title=qualifications.title(qualification["code"]),
                elements=elements,
                complete=not qualifications.missing_elements(qualification),
            )
        )
    return rows


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


def evaluation_page(request: HttpRequest, case: CaseState, *, open_for_work: bool) -> dict:
    return {
        "source_rows": source_rows(case),
        "corroboration_rows": corroboration_rows(case),
        "qualification_rows": qualification_rows(case),
        "substantiation_gaps": workflow.substantiation_gaps(case),
        "person_rows": person_rows(case),
        "related_cases": [{**ref, "relation": _words(ref["relation"])} for ref in case.related],
        "can_evaluate": may(request, CASE_WRITERS) and open_for_work,
        "can_review": may(request, (LEGAL_REVIEWER,)) and open_for_work,
        "can_reveal": may_see_identities(request),
    }
