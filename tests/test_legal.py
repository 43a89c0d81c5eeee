"""The legal framework: provisions and their elements, the conflict classification, the
standard of proof and cited facts of every assessment, modes of liability per alleged
perpetrator; and old (schema 1) element assessments replaying unchanged."""

import json
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from casefiles import eventstore
from casefiles.commands.facts import fact_record
from casefiles.commands.legal import (
    conflict_classify,
    element_assess,
    liability_allege,
    liability_element_assess,
    qualification_add,
)
from casefiles.commands.persons import person_add
from casefiles.domain import liability, qualifications, workflow
from casefiles.domain.describe import describe
from casefiles.domain.events import REGISTRY
from casefiles.domain.state import fold
from casefiles.domain.taxonomy import DATA_DIR
from casefiles.errors import InvalidCommand, NotFound, PermissionDenied
from casefiles.eventstore import NewEvent
from casefiles.models import Event
from casefiles.selectors import case_state
from tests.factories import open_case

# The provisions and element ids events recorded before this framework name: they must
# keep meaning what they meant (their events replay and read the same).
EARLIER = {
    "wilful_killing": ["killed", "protected_persons", "aware_protected"],
    "torture": ["severe_pain", "purpose", "protected_persons", "aware_protected"],
    "unlawful_deportation": ["deported", "protected_persons", "aware_protected"],
    "attack_on_civilians": ["attack", "object_civilians", "intended"],
    "killing_hors_de_combat": ["killed_or_injured", "hors_de_combat", "aware_hors_de_combat"],
    "attack_on_protected_objects": ["attack", "object_protected", "intended"],
    "mutilation": ["mutilated", "death_or_danger", "not_justified", "adverse_party"],
    "no_quarter": ["declared", "purpose", "command"],
    "pillage": ["appropriated", "intent_deprive", "no_consent"],
    "outrages_on_dignity": ["humiliated", "severity"],
    "sexual_violence": ["invaded", "force"],
}

# What a documentation team charges, by provision number (the brief's list).
REQUIRED = [
    *(f"6({x})" for x in "abcde"),
    *(f"7(1)({x})" for x in "abcdefhijk"),
    "7(1)(g)-1",
    "7(1)(g)-6",
    *(f"8(2)(a)({x})" for x in ("i", "iii", "iv", "v", "vi", "viii")),
    "8(2)(a)(ii)-1",
    "8(2)(a)(ii)-2",
    "8(2)(a)(vii)-1",
    "8(2)(a)(vii)-2",
    *(
        f"8(2)(b)({x})"
        for x in ("i", "ii", "iv", "v", "vi", "ix", "xi", "xii", "xiii", "xvi", "xxi", "xxv")
    ),
    "8(2)(b)(x)-1",
    "8(2)(b)(xxii)-1",
    "8(2)(c)(i)-1",
    "8(2)(c)(i)-4",
    "8(2)(c)(ii)",
    "8(2)(c)(iii)",
    "8(2)(c)(iv)",
    *(f"8(2)(e)({x})" for x in ("i", "ii", "iii", "iv", "v", "ix")),
    "8(2)(e)(vi)-1",
]


def test_the_framework_covers_what_courts_charge():
    numbers = {entry["provision"] for entry in qualifications.provisions().values()}
    assert [n for n in REQUIRED if n not in numbers] == []


def test_earlier_codes_and_element_ids_keep_their_place():
    for code, ids in EARLIER.items():
        entry = qualifications.provisions()[code]
        assert [e["id"] for e in entry["elements"]][: len(ids)] == ids


@pytest.mark.parametrize("code", sorted(qualifications.provisions()))
def test_every_provision_is_complete_and_consistent(code):
    entry = qualifications.provisions()[code]
    kinds = [e["kind"] for e in entry["elements"]]
    assert set(kinds) <= set(qualifications.KINDS)
    ids = [e["id"] for e in entry["elements"]]
    assert len(ids) == len(set(ids))
    assert entry["provision"].startswith(entry["part"].split("(2)")[0])
    last = entry["elements"][-2:]
    if entry["part"] in ("8(2)(a)", "8(2)(b)"):
        assert entry["conflict"] == "international"
        assert "an international armed conflict" in last[0]["text"]
    elif entry["part"] in ("8(2)(c)", "8(2)(e)"):
        assert entry["conflict"] == "non_international"
        assert "armed conflict not of an international character" in last[0]["text"]
    elif entry["part"] == "7":
        assert entry["conflict"] is None
        assert "widespread or systematic attack" in last[0]["text"]
        assert [e["kind"] for e in last] == ["contextual", "contextual"]
    else:
        assert entry["part"] == "6" and entry["conflict"] is None
        assert "manifest pattern" in last[-1]["text"]
        assert any(e["id"] == "intent_to_destroy" and e["kind"] == "mental" for e in last) or any(
            e["id"] == "intent_to_destroy" for e in entry["elements"]
        )


def test_modes_of_liability_and_standards_are_data():
    modes = liability.modes()
    assert {m["article"] for m in modes.values()} >= {
        "25(3)(a)",
        "25(3)(b)",
        "25(3)(c)",
        "25(3)(d)",
        "25(3)(f)",
        "28(a)",
        "28(b)",
    }
    commander = [e["id"] for e in modes["military_commander"]["elements"]]
    assert {"effective_control", "knew_or_should_have_known", "failed_to_act"} <= set(commander)
    policy = json.loads((DATA_DIR / "standards.json").read_text(encoding="utf-8"))
    assert policy["default"] in qualifications.standards()
    assert set(qualifications.standards()) >= {
        "reasonable_grounds",
        "balance_of_probabilities",
        "beyond_reasonable_doubt",
    }


# --- commands ------------------------------------------------------------------------------


@pytest.fixture
def case(actors):
    doc = actors["documenter"]
    case_id = open_case(doc)
    facts = [
        fact_record(actor=doc, case_id=case_id, text=text).events[0].payload["fact_id"]
        for text in (
            "Two soldiers who had surrendered were shot near Novoivanovka on 2 March.",
            "The 64th brigade held the village that day.",
        )
    ]
    person = person_add(
        actor=doc, case_id=case_id, role="alleged_perpetrator", name="Col. Hrabar"
    ).events[0]
    witness = person_add(
        actor=doc, case_id=case_id, role="witness", name="Olena", protected=True
    ).events[0]
    return {
        "id": case_id,
        "facts": facts,
        "perpetrator": person.payload["person_id"],
        "witness": witness.payload["person_id"],
    }


def _qualify(legal, case, code="killing_hors_de_combat"):
    return (
        qualification_add(actor=legal, case_id=case["id"], code=code)
        .events[0]
        .payload["qualification_id"]
    )


def _unchanged(case_id, before):
    assert case_state(case_id).version == before


@pytest.mark.django_db
def test_an_assessment_cites_facts_under_a_standard_and_reads_well(actors, case):
    legal = actors["legal"]
    qualification = _qualify(legal, case)
    event = element_assess(
        actor=legal,
        case_id=case["id"],
        qualification_id=qualification,
        element="hors_de_combat",
        finding="met",
        fact_ids=[case["facts"][0]],
    ).events[0]
    assert event.schema == 2
    assert event.payload["standard"] == qualifications.default_standard()
    assert event.payload["fact_ids"] == [case["facts"][0]]
    shown = case_state(case["id"]).qualifications[0]["elements"]["hors_de_combat"]
    assert (shown["finding"], shown["standard"], shown["fact_ids"]) == (
        "met",
        "reasonable_grounds",
        [case["facts"][0]],
    )
    words = describe(event.as_record())
    assert words == (
        "Assessed an element of art. 8(2)(b)(vi) War crime of killing or wounding a person "
        "hors de combat: “Such person or persons were hors de combat.” — met, on reasonable "
        "grounds to believe, citing the fact “Two soldiers who had surrendered were shot near "
        "Novoivanovka on 2 March.”"
    )
    assert "hors_de_combat" not in words


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"fact_ids": ["00000000-0000-0000-0000-000000000000"]}, "has no fact 00000000"),
        ({"fact_ids": []}, "must cite at least one fact"),
        ({"fact_ids": "abc"}, "must be a list of fact ids"),
        ({"standard": "gut_feeling"}, "unknown standard of proof 'gut_feeling'"),
        ({"finding": "probably"}, "finding must be one of"),
        ({"element": "motive"}, "'motive' is not an element of art. 8(2)(b)(vi)"),
        ({"note": 7}, "note must be text"),
    ],
)
def test_a_bad_assessment_is_refused_and_nothing_is_stored(actors, case, change, message):
    legal = actors["legal"]
    qualification = _qualify(legal, case)
    before = case_state(case["id"]).version
    arguments = {
        "element": "hors_de_combat",
        "finding": "met",
        "fact_ids": [case["facts"][0]],
        **change,
    }
    with pytest.raises(InvalidCommand, match=re.escape(message)):
        element_assess(actor=legal, case_id=case["id"], qualification_id=qualification, **arguments)
    _unchanged(case["id"], before)


@pytest.mark.django_db
def test_the_same_fact_cited_twice_and_a_fact_of_another_case_are_refused(actors, case):
    legal, doc = actors["legal"], actors["documenter"]
    qualification = _qualify(legal, case)
    other = open_case(doc)
    foreign = fact_record(actor=doc, case_id=other, text="elsewhere").events[0].payload["fact_id"]
    for fact_ids, message in (
        ([case["facts"][0], case["facts"][0]], "each fact is cited once"),
        ([foreign], f"has no fact {foreign}"),
    ):
        with pytest.raises(InvalidCommand, match=message):
            element_assess(
                actor=legal,
                case_id=case["id"],
                qualification_id=qualification,
                element="hors_de_combat",
                finding="met",
                fact_ids=fact_ids,
            )


@pytest.mark.django_db
def test_only_a_legal_reviewer_assesses_classifies_or_alleges(actors, case):
    legal = actors["legal"]
    qualification = _qualify(legal, case)
    for name in ("documenter", "supervisor", "auditor"):
        with pytest.raises(PermissionDenied):
            conflict_classify(
                actor=actors[name], case_id=case["id"], classification="international", reason="x"
            )
        with pytest.raises(PermissionDenied):
            liability_allege(
                actor=actors[name],
                case_id=case["id"],
                person_id=case["perpetrator"],
                mode="ordering",
                qualification_id=qualification,
            )


@pytest.mark.django_db
def test_a_war_crime_must_fit_the_conflict_classification(actors, case):
    legal = actors["legal"]
    assert qualifications.conflict_warning("murder_niac", None) == (
        "art. 8(2)(c)(i)-1 War crime of murder needs a non-international armed conflict; "
        "this case's conflict is not classified"
    )
    conflict_classify(
        actor=legal,
        case_id=case["id"],
        classification="international",
        reason="Armed forces of two States; occupation of the region since 2022.",
    )
    before = case_state(case["id"]).version
    with pytest.raises(InvalidCommand) as refused:
        qualification_add(actor=legal, case_id=case["id"], code="murder_niac")
    assert str(refused.value).startswith(
        "art. 8(2)(c)(i)-1 War crime of murder is a war crime in a non-international armed "
        "conflict, but this case's conflict is classified as an international armed conflict "
        "(reason: Armed forces of two States"
    )
    _unchanged(case["id"], before)
    # Crimes against humanity and genocide need no armed conflict at all.
    qualification_add(actor=legal, case_id=case["id"], code="cah_murder")
    qualification_add(actor=legal, case_id=case["id"], code="genocide_killing")
    international = _qualify(legal, case)
    # Reclassifying is recorded (the facts decide), and the contradicted qualification no
    # longer substantiates the case.
    conflict_classify(
        actor=legal,
        case_id=case["id"],
        classification="non_international",
        reason="The State's forces against an organised armed group only.",
    )
    state = case_state(case["id"])
    assert state.conflict["classification"] == "non_international"
    assert qualifications.unsupported(state.qualifications, state.conflict) == [
        "art. 8(2)(b)(vi) War crime of killing or wounding a person hors de combat is a war "
        "crime in an international armed conflict, but this case's conflict is classified as "
        "a non-international armed conflict (reason: The State's forces against an organised "
        "armed group only.)"
    ]
    for element in qualifications.provisions()["killing_hors_de_combat"]["elements"]:
        element_assess(
            actor=legal,
            case_id=case["id"],
            qualification_id=international,
            element=element["id"],
            finding="met",
            fact_ids=case["facts"][:1],
        )
    gaps = workflow.substantiation_gaps(case_state(case["id"]))
    assert "hors de combat is a war crime in an international armed conflict" in gaps[0]
    conflict_classify(actor=legal, case_id=case["id"], classification="both", reason="both")
    assert workflow.substantiation_gaps(case_state(case["id"])) == []
    qualification_add(actor=legal, case_id=case["id"], code="murder_niac")
    with pytest.raises(InvalidCommand, match="classification must be one of"):
        conflict_classify(actor=legal, case_id=case["id"], classification="civil", reason="x")
    with pytest.raises(InvalidCommand, match="reason is required"):
        conflict_classify(actor=legal, case_id=case["id"], classification="both", reason=" ")


@pytest.mark.django_db
def test_a_mode_of_liability_is_alleged_against_a_perpetrator_and_assessed(actors, case):
    legal = actors["legal"]
    qualification = _qualify(legal, case)
    before = case_state(case["id"]).version
    with pytest.raises(InvalidCommand, match="recorded as witness; a mode of liability"):
        liability_allege(
            actor=legal,
            case_id=case["id"],
            person_id=case["witness"],
            mode="military_commander",
            qualification_id=qualification,
        )
    with pytest.raises(InvalidCommand, match="unknown mode of liability 'vibes'"):
        liability_allege(
            actor=legal,
            case_id=case["id"],
            person_id=case["perpetrator"],
            mode="vibes",
            qualification_id=qualification,
        )
    with pytest.raises(InvalidCommand, match="applies only to art. 6 crimes"):
        liability_allege(
            actor=legal,
            case_id=case["id"],
            person_id=case["perpetrator"],
            mode="incitement_to_genocide",
            qualification_id=qualification,
        )
    with pytest.raises(NotFound):
        liability_allege(
            actor=legal,
            case_id=case["id"],
            person_id="00000000-0000-0000-0000-000000000000",
            mode="military_commander",
            qualification_id=qualification,
        )
    _unchanged(case["id"], before)
    alleged = liability_allege(
        actor=legal,
        case_id=case["id"],
        person_id=case["perpetrator"],
        mode="military_commander",
        qualification_id=qualification,
    ).events[0]
    assert describe(alleged.as_record()) == (
        "Alleged that Col. Hrabar is liable for art. 8(2)(b)(vi) War crime of killing or "
        "wounding a person hors de combat by Responsibility of a military commander (art. 28(a))"
    )
    with pytest.raises(InvalidCommand, match="already alleged against Col. Hrabar"):
        liability_allege(
            actor=legal,
            case_id=case["id"],
            person_id=case["perpetrator"],
            mode="military_commander",
            qualification_id=qualification,
        )
    liability_id = alleged.payload["liability_id"]
    with pytest.raises(InvalidCommand, match="'killed_or_injured' is not an element of"):
        liability_element_assess(
            actor=legal,
            case_id=case["id"],
            liability_id=liability_id,
            element="killed_or_injured",
            finding="met",
            fact_ids=case["facts"][1:],
        )
    assessed = liability_element_assess(
        actor=legal,
        case_id=case["id"],
        liability_id=liability_id,
        element="effective_control",
        finding="met",
        standard="balance_of_probabilities",
        fact_ids=case["facts"][1:],
        note="order of battle",
    ).events[0]
    assert describe(assessed.as_record()) == (
        "Assessed an element of Responsibility of a military commander (art. 28(a)): “The "
        "person had effective command and control, or effective authority and control, over "
        "the forces who committed the crimes.” — met, on balance of probabilities, citing the "
        "fact “The 64th brigade held the village that day.”. Note: order of battle"
    )
    (shown,) = case_state(case["id"]).liabilities
    assert shown["person"] == "Col. Hrabar"
    assert shown["elements"]["effective_control"]["standard"] == "balance_of_probabilities"
    assert "effective authority and control" not in " ".join(liability.missing_elements(shown))


@pytest.mark.django_db
def test_a_protected_perpetrator_is_named_by_pseudonym_only(actors, case):
    legal, doc = actors["legal"], actors["documenter"]
    qualification = _qualify(legal, case)
    hidden = person_add(
        actor=doc, case_id=case["id"], role="alleged_perpetrator", name="Secret", protected=True
    ).events[0]
    event = liability_allege(
        actor=legal,
        case_id=case["id"],
        person_id=hidden.payload["person_id"],
        mode="ordering",
        qualification_id=qualification,
    ).events[0]
    assert "Secret" not in json.dumps(event.as_record())
    assert event.payload["person"] == hidden.payload["pseudonym"]


# --- schema 1 replays unchanged --------------------------------------------------------------

SCHEMA_1 = ("qualification_id", "element", "finding", "source_ids", "note")


@pytest.mark.django_db
def test_schema_1_assessments_replay_unchanged(actors, monkeypatch):
    """Events written before schema 2 (source_ids, no standard) still fold, project and
    read: the stored shape is kept, shown as "standard of proof not stated"."""
    from tests.factories import attach

    legal = actors["legal"]
    case_id = open_case(actors["documenter"])
    source = attach(actors["documenter"], case_id, ["AP"]).events[0].payload["source_id"]
    qualification = (
        qualification_add(actor=legal, case_id=case_id, code="killing_hors_de_combat")
        .events[0]
        .payload["qualification_id"]
    )
    element_type = REGISTRY["ElementAssessed"]
    monkeypatch.setattr(element_type, "schema", 1)
    monkeypatch.setattr(element_type, "required", SCHEMA_1)
    with transaction.atomic():
        eventstore.append(
            case_id,
            expected_version=case_state(case_id).version,
            actor={"id": None, "username": "lena", "role": "legal_reviewer"},
            events=[
                NewEvent(
                    "ElementAssessed",
                    {
                        "qualification_id": qualification,
                        "element": "hors_de_combat",
                        "finding": "met",
                        "source_ids": [source],
                        "note": "",
                    },
                )
            ],
        )
    monkeypatch.undo()
    from casefiles import projections

    with transaction.atomic():
        stored = list(Event.objects.filter(case_id=case_id).order_by("version"))
        projections.project([stored[-1].as_record()])
    old = stored[-1]
    assert old.schema == 1
    folded = fold(e.as_record() for e in stored)
    assessment = folded.qualifications[0]["elements"]["hors_de_combat"]
    assert assessment == {
        "finding": "met",
        "source_ids": [source],
        "note": "",
        "assessed_by": "lena",
        "assessed_at": old.occurred_at,
    }
    assert case_state(case_id) == folded
    assert describe(old.as_record()) == (
        "Assessed the element “Such person or persons were hors de combat.”: met (standard "
        "of proof not stated; citing 1 source(s), no facts)"
    )
    call_command("rebuild_projections", "--check", stdout=StringIO())
