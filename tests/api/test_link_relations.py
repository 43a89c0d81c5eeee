"""Links with meaning (issue 17 item 6): same_incident only when act, place and time
agree, with the reasons in words; shared_origin and same_context as weaker relations;
candidates of one document grouped, never linked to each other."""

import dataclasses
import uuid
from io import StringIO

import pytest
from django.core.management import call_command

from casefiles import projections
from casefiles.commands.base import begin, write
from casefiles.commands.ingestion import INGEST
from casefiles.domain.actors import SYSTEM
from casefiles.domain.events import LINK_SUGGESTED
from casefiles.eventstore import NewEvent
from casefiles.ingestion.allegations import link_relation
from casefiles.models import CaseFile, CaseLink, Event
from casefiles.selectors import case_head, case_state
from tests.ingestion.test_extract import find, seed
from tests.test_ingest import cases_of, seed_source

pytestmark = pytest.mark.django_db


@pytest.fixture
def ingest(monkeypatch):
    """As tests/test_ingest.py: each on_commit callback runs where it would commit."""
    from django.db import transaction

    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())

    def run(*args):
        call_command(*args, stdout=StringIO())

    return run


def bucha() -> tuple:
    a = find(seed("000"), "wilful_killing", places=lambda p: "Bucha" in {x.name for x in p})
    b = find(seed("001"), "wilful_killing", victim_group=lambda g: g == "civilians")
    return a, b


# --- the rule ------------------------------------------------------------------------


def test_act_place_and_time_agreeing_is_the_same_incident_with_reasons_in_words():
    a, b = bucha()
    relation, reasons = link_relation(a, b)
    assert relation == "same_incident"
    assert reasons[0] == "both: wilful killing in Bucha, Kyiv, March 2022"


def test_a_different_place_or_time_is_never_the_same_incident():
    a, b = bucha()
    elsewhere = tuple(dataclasses.replace(p, name=p.name + "-elsewhere") for p in b.places)
    moved = dataclasses.replace(b, places=elsewhere)
    later = dataclasses.replace(
        b, time=dataclasses.replace(b.time, start="2023-06-01", end="2023-06-30")
    )
    undated = dataclasses.replace(b, time=None)
    for other in (moved, later, undated):
        found = link_relation(a, other)
        assert found is None or found[0] != "same_incident", found


def test_same_category_and_victim_group_alone_are_no_relation():
    a, b = bucha()
    bare = dataclasses.replace(b, places=(), time=None)
    assert a.victim_group == bare.victim_group == "civilians" or a.category == bare.category
    assert link_relation(a, bare) is None


def test_shared_origin_needs_the_same_origin_and_an_overlapping_period():
    a, b = bucha()
    bare = dataclasses.replace(b, places=())
    nyt = frozenset({"new york times"})
    relation, reasons = link_relation(a, bare, nyt, nyt)
    assert relation == "shared_origin"
    assert reasons[0] == "both trace to the same origin: new york times"
    # The same organisation two years later: another collection, no relation.
    later = dataclasses.replace(
        bare, time=dataclasses.replace(b.time, start="2024-06-01", end="2024-06-30")
    )
    assert link_relation(a, later, nyt, nyt) is None
    assert link_relation(a, bare, nyt, frozenset({"associated press"})) is None


def test_same_area_and_period_of_another_act_is_same_context():
    a, b = bucha()
    looting = dataclasses.replace(b, category="pillage")
    relation, reasons = link_relation(a, looting)
    assert relation == "same_context"
    assert reasons[0] == "same area and period (not necessarily the same incident)"


# --- on the seeds ----------------------------------------------------------------------


def test_seed_suggestions_have_a_relation_and_same_incident_only_where_all_agree(ingest):
    ingest("ingest_seeds")
    links = list(CaseLink.objects.all())
    # Before: 24 suggestions, each "possibly the same incident"; now 9, all between the
    # gold annotation's same incident (the Bucha killings of March 2022, seeds 000/001).
    assert len(links) == 2 * 9
    assert {link.relation for link in links} == {"same_incident"}
    bucha_ids = {str(c.pk) for c in cases_of("000") + cases_of("001")}
    for link in links:
        assert {str(link.case_id), str(link.other_case_id)} <= bucha_ids
        mine = CaseFile.objects.get(pk=link.case_id)
        theirs = CaseFile.objects.get(pk=link.other_case_id)
        # Never two candidates of one document.
        assert mine.extraction["source_id"] != theirs.extraction["source_id"]
        assert set(mine.places) & set(theirs.places)
        assert mine.incident_from <= theirs.incident_to
        assert theirs.incident_from <= mine.incident_to


# --- schema 1 events ----------------------------------------------------------------


def test_a_schema_1_suggestion_replays_unchanged_as_unspecified(ingest, monkeypatch):
    ingest("ingest_seeds")
    one, two = cases_of("002")[0], cases_of("004")[0]
    monkeypatch.setattr(LINK_SUGGESTED, "schema", 1)
    monkeypatch.setattr(
        LINK_SUGGESTED, "required", ("link_id", "other_case_id", "other_reference", "reasons")
    )
    link_id = str(uuid.uuid4())
    head = case_head(str(one.pk))
    begin(INGEST, None, str(one.pk), role=SYSTEM, read=case_head, writable=False)
    write(
        str(one.pk),
        actor=INGEST,
        role=SYSTEM,
        expected_version=head.version,
        events=[
            NewEvent(
                LINK_SUGGESTED.name,
                {
                    "link_id": link_id,
                    "other_case_id": str(two.pk),
                    "other_reference": two.reference,
                    "reasons": ["same category: x"],
                },
            )
        ],
    )
    monkeypatch.undo()
    old = Event.objects.get(case_id=one.pk, type="LinkSuggested")
    assert old.schema == 1 and "relation" not in old.payload
    assert [lk.relation for lk in case_state(str(one.pk)).links] == ["unspecified"]
    assert CaseLink.objects.get(link_id=link_id).relation == "unspecified"
    live = projections.snapshot()
    call_command("rebuild_projections", stdout=StringIO())
    assert projections.diff(live, projections.snapshot()) == []


# --- triage: the API and the admin ----------------------------------------------------


def test_the_api_shows_the_relation_and_groups_candidates_by_document(ingest, api):
    ingest("ingest_seeds")
    client = api["supervisor"]
    case = CaseLink.objects.first().case
    detail = client.get(f"/api/cases/{case.pk}/").json()
    assert detail["links"][0]["relation"] == "same_incident"
    assert detail["source_document_id"] == case.extraction["source_id"]
    source = seed_source("000")
    listed = client.get("/api/cases/", {"source_document": str(source.pk)}).json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert {row["id"] for row in rows} == {str(c.pk) for c in cases_of("000")}
    assert {row["source_document_id"] for row in rows} == {str(source.pk)}
    bad = client.get("/api/cases/", {"source_document": "not-a-uuid"})
    assert bad.status_code == 422  # the API's problem+json for a bad filter value


def test_the_admin_shows_the_relation_in_ukrainian_and_filters_by_document(ingest, client, users):
    ingest("ingest_seeds")
    client.force_login(users["supervisor"])
    case = CaseLink.objects.first().case
    page = client.get(
        f"/admin/casefiles/casefile/{case.pk}/change/", HTTP_ACCEPT_LANGUAGE="uk"
    ).content.decode()
    assert "casefiles-relation-same_incident" in page
    assert "Можливо, той самий інцидент" in page
    source = seed_source("000")
    listed = client.get(
        "/admin/casefiles/casefile/", {"source_document": str(source.pk)}
    ).content.decode()
    for candidate in CaseFile.objects.filter(extraction__isnull=False):
        assert (candidate.reference in listed) == (candidate in cases_of("000"))
    garbage = client.get("/admin/casefiles/casefile/", {"source_document": "x' OR 1=1"})
    assert garbage.status_code == 200
