"""huridocs.json: a case in HURIDOCS' Events Standard Formats (docs/export.md)."""

from casefiles.export.huridocs import esf_document

PERSONS = [
    {"person_id": "p1", "role": "victim", "name": "", "pseudonym": "Victim A", "protected": True},
    {"person_id": "p2", "role": "victim", "name": "Ivan", "pseudonym": "", "protected": False},
    {
        "person_id": "p3",
        "role": "alleged_perpetrator",
        "name": "Col. X",
        "pseudonym": "",
        "protected": False,
    },
    {
        "person_id": "p4",
        "role": "alleged_perpetrator",
        "name": "Sgt. Y",
        "pseudonym": "",
        "protected": False,
    },
]


def _document(**changes):
    arguments = {
        "case_id": "c",
        "reference": "CF-1",
        "title": "Executions",
        "summary": "Two prisoners shot",
        "categories": ["wilful_killing"],
        "places": ["Novoivanovka"],
        "incident_from": "2024-08-01",
        "incident_to": None,
        "persons": PERSONS,
        "liabilities": [
            {"person_id": "p3", "mode": "ordering", "code": "wilful_killing"},
        ],
        "case_qualifications": [{"code": "wilful_killing"}],
        "sources": [
            {
                "source_id": "s1",
                "title": "UN report",
                "origins": ["HRMMU"],
                "url": "",
                "published_on": "2025-02-03",
                "content_sha256": "ab" * 32,
                "grade": {"reliability": "B", "credibility": "2"},
            },
        ],
    }
    return esf_document(**{**arguments, **changes})


def test_event_acts_involvements_persons_and_information():
    document = _document()
    assert document["event"]["event_record_number"] == "CF-1"
    assert document["event"]["geographical_term"] == ["Novoivanovka"]
    # One act per victim and category, each linked to the event.
    assert [(a["act_record_number"], a["victim"]) for a in document["acts"]] == [
        ("CF-1-A1", "p1"),
        ("CF-1-A2", "p2"),
    ]
    ordered, unstated = document["involvements"]
    assert (ordered["perpetrator"], ordered["acts"]) == ("p3", ["CF-1-A1", "CF-1-A2"])
    assert "order" in ordered["degree_of_involvement"].lower()
    assert (unstated["perpetrator"], unstated["degree_of_involvement"]) == ("p4", "not stated")
    (information,) = document["information"]
    assert (information["source_record_number"], information["reliability_of_information"]) == (
        "s1",
        "B2",
    )


def test_a_protected_person_leaves_under_their_pseudonym_only():
    document = _document()
    names = [p["person_name"] for p in document["persons"]]
    assert names[0] == "Victim A" and document["persons"][0]["confidentiality"].startswith(
        "protected"
    )


def test_a_case_without_victims_still_has_its_acts():
    document = _document(persons=[], liabilities=[])
    assert [a["victim"] for a in document["acts"]] == [None]
    assert document["involvements"] == []
