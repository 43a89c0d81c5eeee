"""Sourcing, corroboration and legal review in depth."""

import hashlib
from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command

from casefiles import commands
from casefiles.commands.facts import fact_record, fact_support
from casefiles.commands.legal import element_assess, qualification_add
from casefiles.commands.links import case_split, cases_merge
from casefiles.commands.persons import identity_reveal, person_add
from casefiles.commands.sources import provenance_record, source_grade, verification_record
from casefiles.domain.actors import Actor
from casefiles.domain.facts import corroboration_panel
from casefiles.domain.hashing import identity_commitment
from casefiles.domain.qualifications import provisions
from casefiles.errors import CriteriaNotMet, InvalidCommand, PermissionDenied
from casefiles.models import CaseFile, Event, ProtectedIdentity
from casefiles.selectors import case_at, case_state
from tests.factories import attach, move, open_case, suggest_link

pytestmark = pytest.mark.django_db


@pytest.fixture
def ingested(monkeypatch):
    from django.db import transaction

    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())
    call_command("ingest_seeds", stdout=StringIO())


def _pow_cases(prefix):
    return [
        c
        for c in CaseFile.objects.filter(extraction_category="killing_hors_de_combat")
        if c.extraction["allegation"]["victim_count"] in (2, 79)
        and c.extraction["source_id"]
        and _seed(c) == prefix
    ]


def _seed(case):
    from casefiles.models import Source

    return Source.objects.get(pk=case.extraction["source_id"]).filename[:3]


def test_pow_executions_from_003_and_004_merged_are_not_two_origins_of_one_incident(
    ingested, actors
):
    """The merged documents reach two organisations, but the fact is corroborated from
    its cited spans: the NYT's footage was verified (not captured) by the NYT, so the
    text names no first-hand origin for it until the analyst states one, and the UN's 79
    across 24 incidents is an aggregate that counts only once linked with a reason."""
    nyt, un = _pow_cases("003")[0], _pow_cases("004")[0]
    link_id = suggest_link(nyt.pk, un.pk)  # the gold's shared_origin pair
    cases_merge(
        actor=actors["documenter"],
        case_id=nyt.pk,
        link_id=link_id,
        reason="same pattern of executions of surrendered soldiers",
    )
    merged = case_state(nyt.pk)
    fact = fact_record(
        actor=actors["documenter"],
        case_id=nyt.pk,
        text="Two surrendered Ukrainian soldiers were executed near Novoivanovka",
    )
    fact_id = fact.events[0].payload["fact_id"]
    for source, aggregate in zip(merged.sources, (None, 24), strict=True):
        fact_support(
            actor=actors["documenter"],
            case_id=nyt.pk,
            fact_id=fact_id,
            source_id=source.source_id,
            quote=source.excerpt,
            aggregate_incidents=aggregate,
            aggregate_reason="79 executions across 24 incidents" if aggregate else "",
        )
    (row,) = corroboration_panel(case_state(nyt.pk))
    assert row["label"] != "corroborated by 2 independent origins"
    assert [span["standing"] for span in row["spans"]] == [
        "no_first_hand_origin",
        "aggregate_unlinked",
    ]
    assert row["status"] == "uncorroborated"


def test_a_relay_of_the_same_nyt_recordings_stays_single_origin(ingested, actors):
    doc, sup = actors["documenter"], actors["supervisor"]
    order = next(
        c
        for c in CaseFile.objects.filter(extraction__isnull=False)
        if _seed(c) == "000" and "Order to kill" in c.title
    )
    outcome = attach(doc, order.pk, ["Daily Mail"], title="Daily Mail: 'kill everyone we see'")
    relay = outcome.events[0].payload["source_id"]
    provenance_record(
        actor=doc,
        case_id=order.pk,
        source_id=relay,
        chain=[
            {"role": "obtained", "organisation": "The New York Times"},
            {"role": "relayed", "organisation": "Daily Mail"},
        ],
    )
    state = case_state(order.pk)
    assert (state.independent_origins, state.corroboration) == (1, "single_origin")
    move(doc, sup, order.pk, "sourcing")
    move(doc, sup, order.pk, "corroboration")
    with pytest.raises(CriteriaNotMet, match=r"\(1 independent origin\)"):
        commands.transition_request(
            actor=doc, case_id=order.pk, to_state="legal_review", reason="two sources"
        )
    assert corroboration_panel(state)[0]["label"] == "no fact recorded"


def test_grading_keeps_history_and_refuses_bad_grades(actors):
    doc = actors["documenter"]
    case_id = open_case(doc)
    source_id = attach(doc, case_id, ["AP"]).events[0].payload["source_id"]
    source_grade(
        actor=doc,
        case_id=case_id,
        source_id=source_id,
        reliability="C",
        credibility="3",
        reason="first look",
    )
    source_grade(
        actor=actors["legal"],
        case_id=case_id,
        source_id=source_id,
        reliability="b",
        credibility=2,
        reason="AP track record; geolocated",
    )
    grade = case_state(case_id).sources[0].grade
    assert (grade["reliability"], grade["credibility"], grade["graded_by"]) == ("B", "2", "lena")
    history = Event.objects.filter(case_id=case_id, type="SourceGraded").order_by("version")
    assert [e.payload["reliability"] for e in history] == ["C", "B"]
    with pytest.raises(InvalidCommand, match="reliability must be one of A, B, C, D, E, F"):
        source_grade(
            actor=doc,
            case_id=case_id,
            source_id=source_id,
            reliability="G",
            credibility="1",
            reason="x",
        )
    with pytest.raises(PermissionDenied):
        source_grade(
            actor=actors["auditor"],
            case_id=case_id,
            source_id=source_id,
            reliability="A",
            credibility="1",
            reason="x",
        )


def test_verification_steps(actors):
    doc = actors["documenter"]
    case_id = open_case(doc)
    source_id = attach(doc, case_id, ["CIR"]).events[0].payload["source_id"]
    verification_record(
        actor=doc,
        case_id=case_id,
        source_id=source_id,
        method="geolocation",
        result="confirmed",
        notes="treeline matches 51.27N 35.18E",
    )
    verification_record(
        actor=doc,
        case_id=case_id,
        source_id=source_id,
        method="chronolocation",
        result="inconclusive",
    )
    steps = case_state(case_id).sources[0].verifications
    assert [(s["method"], s["result"], s["by"]) for s in steps] == [
        ("geolocation", "confirmed", "dora"),
        ("chronolocation", "inconclusive", "dora"),
    ]
    with pytest.raises(InvalidCommand, match="method must be one of"):
        verification_record(
            actor=doc, case_id=case_id, source_id=source_id, method="astrology", result="confirmed"
        )


def _to_legal_review(actors):
    doc, sup = actors["documenter"], actors["supervisor"]
    case_id = open_case(doc, categories=["killing_hors_de_combat"])
    move(doc, sup, case_id, "sourcing")
    first = attach(doc, case_id, ["The New York Times"]).events[0].payload["source_id"]
    move(doc, sup, case_id, "corroboration")
    attach(doc, case_id, ["UN HRMMU"])
    move(doc, sup, case_id, "legal_review")
    commands.case_edit(
        actor=actors["legal"],
        case_id=case_id,
        outcome="substantiated",
        legal_qualification="Executions of soldiers hors de combat.",
    )
    return case_id, first


def test_substantiated_needs_every_element_of_a_qualification_met(actors):
    legal, sup = actors["legal"], actors["supervisor"]
    case_id, source_id = _to_legal_review(actors)
    with pytest.raises(CriteriaNotMet, match="none is recorded"):
        commands.transition_request(actor=legal, case_id=case_id, to_state="closed", reason="done")
    with pytest.raises(PermissionDenied, match="legal reviewer"):
        qualification_add(
            actor=actors["documenter"], case_id=case_id, code="killing_hors_de_combat"
        )
    outcome = qualification_add(actor=legal, case_id=case_id, code="killing_hors_de_combat")
    qualification_id = outcome.events[0].payload["qualification_id"]
    fact_id = (
        fact_record(actor=legal, case_id=case_id, text="Two soldiers were shot after surrendering")
        .events[0]
        .payload["fact_id"]
    )
    elements = [e["id"] for e in provisions()["killing_hors_de_combat"]["elements"]]
    for element in elements[:-1]:
        element_assess(
            actor=legal,
            case_id=case_id,
            qualification_id=qualification_id,
            element=element,
            finding="met",
            fact_ids=[fact_id],
        )
    element_assess(
        actor=legal,
        case_id=case_id,
        qualification_id=qualification_id,
        element=elements[-1],
        finding="insufficient",
        note="awaiting witness",
    )
    with pytest.raises(CriteriaNotMet) as refused:
        commands.transition_request(actor=legal, case_id=case_id, to_state="closed", reason="done")
    assert "is insufficient information" in str(refused.value)
    assert "aware of factual circumstances that established the existence of an armed" in str(
        refused.value
    )
    with pytest.raises(InvalidCommand, match="must cite at least one fact"):
        element_assess(
            actor=legal,
            case_id=case_id,
            qualification_id=qualification_id,
            element=elements[-1],
            finding="met",
        )
    element_assess(
        actor=legal,
        case_id=case_id,
        qualification_id=qualification_id,
        element=elements[-1],
        finding="met",
        fact_ids=[fact_id],
    )
    closed = move(legal, sup, case_id, "closed")
    assert (closed.state, closed.outcome) == ("closed", "substantiated")


def test_protected_person_identity_never_enters_the_chain(actors, users):
    doc = actors["documenter"]
    case_id = open_case(doc)
    outcome = person_add(
        actor=doc, case_id=case_id, role="witness", name="Olena K.", protected=True
    )
    event = outcome.events[0]
    assert "Olena" not in str(event.as_record())
    person = case_state(case_id).persons[0]
    assert (person["pseudonym"], person["name"]) == ("Witness 1", None)
    stored = ProtectedIdentity.objects.get(person_id=person["person_id"])
    assert event.payload["identity_commitment"] == identity_commitment(stored.salt, "Olena K.")
    assert event.payload["identity_commitment"] != hashlib.sha256(b"Olena K.").hexdigest()

    for name in ("documenter", "auditor", "supervisor"):
        with pytest.raises(PermissionDenied, match="no clearance"):
            identity_reveal(
                actor=actors[name], case_id=case_id, person_id=person["person_id"], reason="curious"
            )
    permission = Permission.objects.get(codename="reveal_identity")
    for name in ("legal", "auditor"):
        users[name].user_permissions.add(permission)
        cleared = Actor.for_user(type(users[name]).objects.get(pk=users[name].pk))
        assert (
            identity_reveal(
                actor=cleared,
                case_id=case_id,
                person_id=person["person_id"],
                reason="prepare the interview",
            )
            == "Olena K."
        )
    looks = Event.objects.filter(case_id=case_id, type="IdentityRevealed").order_by("version")
    assert [(e.actor["username"], e.actor["role"]) for e in looks] == [
        ("lena", "legal_reviewer"),
        ("aud", "auditor"),
    ]
    call_command("rebuild_projections", "--check", stdout=StringIO())


def test_split_keeps_both_histories_and_cross_references(actors):
    doc = actors["documenter"]
    case_id = open_case(doc)
    attach(doc, case_id, ["AP"], title="AP: looting")
    second = attach(doc, case_id, ["Dossier Centre"], title="Dossier: torture")
    source_id = second.events[0].payload["source_id"]
    before = case_state(case_id).version
    case_split(
        actor=doc,
        case_id=case_id,
        source_ids=[source_id],
        title="Torture of a detainee",
        reason="a distinct incident",
    )
    original = case_state(case_id)
    (ref,) = original.related
    new = case_state(ref["case_id"])
    assert ref["relation"] == "split_off" and new.related[0]["case_id"] == case_id
    assert [s.title for s in new.sources] == ["Dossier: torture"]
    assert case_at(case_id, version=before).related == ()
    assert len(original.sources) == 2  # the original keeps its history and sources
