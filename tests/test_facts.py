"""The corroboration rule of casefiles/domain/facts.py, pure, and old supports replayed."""

import uuid
from types import SimpleNamespace

import pytest
from django.db import transaction

from casefiles import eventstore, projections
from casefiles.domain import facts
from casefiles.domain.actors import Actor
from casefiles.domain.events import FACT_SUPPORTED
from casefiles.domain.state import fold
from casefiles.eventstore import NewEvent
from casefiles.selectors import case_state
from tests.conftest import make_user

TEXT = (
    "Drone pilots filmed the execution. The UN monitoring mission documented 79 "
    "executions in 24 incidents. The UN monitoring mission documented 79 executions."
)


def span(origin_chain, *, aggregate=None, link=None, withdrawn=None, source="s1"):
    return {
        "support_id": str(uuid.uuid4()),
        "source_id": source,
        "excerpt": "x",
        "span": {"start": 0, "end": 1, "text_sha256": "0" * 64},
        "chain": origin_chain,
        "aggregate": aggregate,
        "aggregate_link": link,
        "withdrawn": withdrawn,
    }


HRMMU = [{"role": "documented", "organisation": "UN HRMMU"}]
VIA_NYT = [*HRMMU, {"role": "relayed", "organisation": "The New York Times"}]
DRONE = [
    {"role": "captured", "organisation": "Ukrainian drone unit"},
    {"role": "verified", "organisation": "The New York Times"},
]


def test_two_spans_of_one_first_hand_origin_count_once_and_say_why():
    result = facts.corroborate([span(VIA_NYT, source="nyt"), span(HRMMU, source="un")])
    assert (result.count, result.status) == (1, "single_origin")
    assert [s.standing for s in result.standings] == [facts.COUNTED, facts.SAME_ORIGIN]
    assert result.reasons == ("both spans trace to UN HRMMU: counted once",)


def test_origins_are_compared_normalised_and_the_earliest_first_hand_link_decides():
    upper = [{"role": "documented", "organisation": "the  UN HRMMU"}]
    assert facts.corroborate([span(HRMMU), span(upper)]).count == 1
    assert facts.first_hand_origin(DRONE) == "Ukrainian drone unit"
    assert facts.first_hand_origin([{"role": "verified", "organisation": "NYT"}]) is None
    assert facts.corroborate([span(DRONE), span(HRMMU)]).count == 2


def test_aggregate_counts_only_when_linked():
    aggregate = {"incidents": 24, "reason": "79 across 24"}
    alone = facts.corroborate([span(DRONE), span(HRMMU, aggregate=aggregate)])
    assert (alone.count, alone.standings[1].standing) == (1, facts.AGGREGATE)
    linked = facts.corroborate(
        [span(DRONE), span(HRMMU, aggregate=aggregate, link={"reason": "listed"})]
    )
    assert linked.count == 2


def test_withdrawn_unchecked_and_originless_spans_count_for_nothing():
    result = facts.corroborate(
        [
            span(DRONE, withdrawn={"reason": "wrong"}),
            {"source_id": "s2", "excerpt": "free text"},  # FactSupported schema 1
            span([{"role": "relayed", "organisation": "Daily Mail"}]),
        ]
    )
    assert (result.count, result.status) == (0, "uncorroborated")
    assert [s.standing for s in result.standings] == [
        facts.WITHDRAWN,
        facts.UNCHECKED,
        facts.NO_ORIGIN,
    ]


def test_locating_a_quote():
    at = TEXT.index("filmed")
    assert facts.locate_quote(TEXT, "filmed the execution") == facts.Passage(
        at, at + 20, "filmed the execution"
    )
    with pytest.raises(facts.QuoteMismatch, match="more than once") as twice:
        facts.locate_quote(TEXT, "documented 79")
    assert twice.value.nearest is not None
    second = TEXT.rindex("documented 79")
    assert facts.locate_quote(TEXT, "documented 79", second, second + 13).start == second
    with pytest.raises(facts.QuoteMismatch, match="not in the source") as missing:
        facts.locate_quote(TEXT, "The UN confirmed the Novoivanovka killings.")
    nearest = missing.value.nearest
    assert nearest is not None and TEXT[nearest.start : nearest.end] == nearest.text
    for start, end in ((0, len(TEXT) + 1), (5, 5), (-1, 3)):
        with pytest.raises(facts.QuoteMismatch):
            facts.locate_quote(TEXT, "Drone", start, end)
    with pytest.raises(facts.QuoteMismatch, match="text_sha256"):
        facts.locate_quote(TEXT, "Drone", text_sha256="0" * 64)
    assert facts.locate_quote(TEXT, "Drone", text_sha256=facts.quote_sha256("Drone")).end == 5
    assert facts.nearest_passage(TEXT, "zzzz qqqq xxxx") is None


def test_the_case_is_as_corroborated_as_its_weakest_fact():
    state = SimpleNamespace(
        sources=(SimpleNamespace(source_id="s1"),),
        facts=(
            {"fact_id": "a", "text": "A", "support": [span(DRONE), span(HRMMU)]},
            {"fact_id": "b", "text": "B", "support": [span(HRMMU)]},
        ),
    )
    assert facts.case_corroboration(state)["status"] == "single_origin"


@pytest.mark.django_db
def test_schema_1_supports_replay_unchanged_as_unchecked_excerpts(monkeypatch):
    """An event recorded before spans were checked (schema 1: a free excerpt) folds and
    projects as it did; the panel shows it as an unchecked excerpt, counting nothing."""
    user = make_user("old-doc", "documenter")
    actor = Actor.for_user(user).as_event_actor("documenter")
    case_id, fact_id, source_id = (str(uuid.uuid4()) for _ in range(3))
    opened = {
        "reference": "CF-2026-990001",
        "title": "Old case",
        "summary": "",
        "categories": [],
        "places": [],
        "incident_from": None,
        "incident_to": None,
    }
    attached = {
        "source_id": source_id,
        "title": "AP",
        "url": "",
        "origins": ["AP"],
        "excerpt": "",
        "content_sha256": None,
        "published_on": None,
        "metadata": None,
    }
    sequence = [
        ("CaseOpened", opened),
        ("SourceAttached", attached),
        ("FactRecorded", {"fact_id": fact_id, "text": "Shots at ten"}),
        ("FactSupported", {"fact_id": fact_id, "source_id": source_id, "excerpt": "at ten"}),
    ]
    for version, (kind, payload) in enumerate(sequence):
        if kind == "FactSupported":  # as the code of schema 1 wrote it
            monkeypatch.setattr(type(FACT_SUPPORTED), "schema", 1)
            monkeypatch.setattr(
                type(FACT_SUPPORTED), "required", ("fact_id", "source_id", "excerpt")
            )
        with transaction.atomic():
            stored, _ = eventstore.append(
                case_id, expected_version=version, actor=actor, events=[NewEvent(kind, payload)]
            )
            projections.project(event.as_record() for event in stored)
    monkeypatch.undo()
    records = list(eventstore.stream(case_id))
    assert (records[-1]["schema"], records[-1]["payload"]) == (
        1,
        {"fact_id": fact_id, "source_id": source_id, "excerpt": "at ten"},
    )
    state = case_state(case_id)
    assert state == fold(records)
    assert state.facts[0]["support"] == [{"source_id": source_id, "excerpt": "at ten"}]
    (row,) = facts.corroboration_panel(state)
    assert row["status"] == "uncorroborated"
    assert row["spans"][0]["standing"] == facts.UNCHECKED
    live = projections.snapshot()
    projections.rebuild()
    assert projections.diff(live, projections.snapshot()) == []
