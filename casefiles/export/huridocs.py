"""huridocs.json: the case in HURIDOCS' Events Standard Formats (ESF) so that it can move to
OpenEvSys- or Uwazi-style systems: one Event, its Acts (what was done to whom), the
Involvements of alleged perpetrators in them, the Persons, and the Information records
(the sources). docs/export.md, "huridocs.json", gives the mapping field by field.

A protected person appears under their pseudonym only, as in the report: the ESF file is
meant to leave the team, and identities travel only in a complete bundle's
protected/identities.json. Pure: it reads the case's state as the bundle exports it.
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from casefiles.domain import liability, qualifications
from casefiles.domain.persons import person_label

FORMAT = "huridocs-esf/1 (casefiles mapping)"
PERPETRATOR = "alleged_perpetrator"
VICTIM = "victim"


def esf_document(
    *,
    case_id: str,
    reference: str,
    title: str,
    summary: str,
    categories: Sequence[str],
    places: Sequence[str],
    incident_from: str | None,
    incident_to: str | None,
    persons: Sequence[Mapping[str, Any]],
    liabilities: Sequence[Mapping[str, Any]],
    case_qualifications: Sequence[Mapping[str, Any]],
    sources: Iterable[Mapping[str, Any]],
) -> dict[str, Any]:
    victims: list[Mapping[str, Any] | None] = [p for p in persons if p["role"] == VICTIM]
    acts = [
        {
            "act_record_number": f"{reference}-A{number}",
            "event_record_number": reference,
            "victim": victim["person_id"] if victim else None,
            "type_of_act": category,
            "initial_date": incident_from,
            "final_date": incident_to,
            "exact_location": list(places),
        }
        for number, (category, victim) in enumerate(
            ((c, v) for c in categories or ["unspecified"] for v in victims or [None]),
            start=1,
        )
    ]
    act_numbers = [act["act_record_number"] for act in acts]
    involvements = []
    alleged = {item["person_id"] for item in liabilities}
    for number, item in enumerate(liabilities, start=1):
        involvements.append(
            {
                "involvement_record_number": f"{reference}-I{number}",
                "perpetrator": item["person_id"],
                "acts": act_numbers,
                "degree_of_involvement": liability.mode_title(str(item["mode"])),
                "legal_qualification": qualifications.title(str(item["code"])),
            }
        )
    for person in persons:
        if person["role"] == PERPETRATOR and person["person_id"] not in alleged:
            involvements.append(
                {
                    "involvement_record_number": f"{reference}-I{len(involvements) + 1}",
                    "perpetrator": person["person_id"],
                    "acts": act_numbers,
                    "degree_of_involvement": "not stated",
                    "legal_qualification": None,
                }
            )
    return {
        "format": FORMAT,
        "case_id": case_id,
        "event": {
            "event_record_number": reference,
            "event_title": title,
            "event_description": summary,
            "initial_date": incident_from,
            "final_date": incident_to,
            "geographical_term": list(places),
            "violation_index": list(categories),
            "legal_qualifications": [
                qualifications.title(str(q["code"])) for q in case_qualifications
            ],
        },
        "acts": acts,
        "involvements": involvements,
        "persons": [
            {
                "person_record_number": p["person_id"],
                "person_name": person_label(p),
                "role": p["role"],
                "confidentiality": "protected: pseudonym" if p["protected"] else "none",
            }
            for p in persons
        ],
        "information": [_information(reference, number, s) for number, s in enumerate(sources, 1)],
    }


def _information(reference: str, number: int, source: Mapping[str, Any]) -> dict[str, Any]:
    grade = source.get("grade")
    return {
        "information_record_number": f"{reference}-S{number}",
        "event_record_number": reference,
        "source_record_number": source["source_id"],
        "title_of_source_material": source.get("title", ""),
        "source_organisations": list(source.get("origins") or ()),
        "date_of_source_material": source.get("published_on"),
        "url": source.get("url", ""),
        "reliability_of_information": (
            f"{grade['reliability']}{grade['credibility']}" if grade else None
        ),
        "content_sha256": source.get("content_sha256"),
    }
