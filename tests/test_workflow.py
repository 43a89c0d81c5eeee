import pytest

from casefiles import commands
from casefiles.domain import workflow
from casefiles.errors import (
    CriteriaNotMet,
    DecisionConflict,
    InvalidCommand,
    PermissionDenied,
    StaleVersion,
)
from casefiles.models import Event, TransitionRequest
from casefiles.selectors import case_state
from tests.factories import attach, move, open_case

pytestmark = pytest.mark.django_db


def request(actor, case_id, to_state, reason="because"):
    outcome = commands.transition_request(
        actor=actor, case_id=case_id, to_state=to_state, reason=reason
    )
    return outcome.events[0].payload["request_id"]


def test_full_walk_to_closed(actors):
    doc, sup, legal = actors["documenter"], actors["supervisor"], actors["legal"]
    case_id = open_case(doc)
    assert move(doc, sup, case_id, "sourcing").state == "sourcing"
    attach(doc, case_id, ["The New York Times"])
    assert move(doc, sup, case_id, "corroboration").state == "corroboration"
    attach(doc, case_id, ["UN Human Rights Monitoring Mission in Ukraine"])
    assert move(legal, sup, case_id, "legal_review").state == "legal_review"
    commands.case_edit(
        actor=legal,
        case_id=case_id,
        outcome="referred",
        legal_qualification="Referred to the national prosecutor under art. 8(2)(a)(i).",
    )
    closed = move(legal, sup, case_id, "closed")
    assert (closed.state, closed.outcome) == ("closed", "referred")
    with pytest.raises(InvalidCommand, match="closed"):
        commands.case_edit(actor=doc, case_id=case_id, title="changed")


def test_four_eyes_requester_cannot_decide_own_request_whatever_their_roles(actors):
    both = actors["both"]  # documenter and supervisor
    case_id = open_case(both)
    request_id = request(both, case_id, "sourcing")
    for decide in (commands.transition_approve, commands.transition_reject):
        with pytest.raises(PermissionDenied, match="four-eyes"):
            decide(actor=both, request_id=request_id, reason="mine")
    assert case_state(case_id).state == "intake"
    commands.transition_approve(actor=actors["supervisor"], request_id=request_id, reason="ok")
    assert case_state(case_id).state == "sourcing"


def test_only_supervisors_decide_and_only_documenters_or_legal_reviewers_request(actors):
    case_id = open_case(actors["documenter"])
    with pytest.raises(PermissionDenied, match="needs the role documenter or legal reviewer"):
        request(actors["supervisor"], case_id, "sourcing")
    request_id = request(actors["documenter"], case_id, "sourcing")
    with pytest.raises(PermissionDenied, match="needs the role supervisor"):
        commands.transition_approve(actor=actors["documenter2"], request_id=request_id, reason="ok")


def test_auditors_change_nothing(actors, users):
    case_id = open_case(actors["documenter"])
    before = Event.objects.count()
    auditor = actors["auditor"]
    attempts = [
        lambda: commands.case_open(actor=auditor, title="x"),
        lambda: commands.case_edit(actor=auditor, case_id=case_id, title="x"),
        lambda: commands.note_add(actor=auditor, case_id=case_id, text="x"),
        lambda: commands.source_attach(actor=auditor, case_id=case_id, title="x"),
        lambda: commands.case_assign(actor=auditor, case_id=case_id, assignee=users["documenter"]),
        lambda: commands.transition_request(
            actor=auditor, case_id=case_id, to_state="sourcing", reason="x"
        ),
        lambda: commands.criteria_waive(actor=auditor, case_id=case_id, reason="x"),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied, match="auditors read and export"):
            attempt()
    assert Event.objects.count() == before


def test_entry_criteria_for_sourcing_lists_every_unmet_criterion(actors):
    case_id = open_case(actors["documenter"], summary="", categories=[])
    with pytest.raises(CriteriaNotMet) as error:
        request(actors["documenter"], case_id, "sourcing")
    assert error.value.unmet == [
        "the case has no summary",
        "the case has no violation category",
    ]
    assert "cannot move to sourcing: the case has no summary; the case has no violation" in str(
        error.value
    )


def test_entry_criteria_rechecked_at_approval(actors):
    doc, sup = actors["documenter"], actors["supervisor"]
    case_id = open_case(doc)
    request_id = request(doc, case_id, "sourcing")
    commands.case_edit(actor=doc, case_id=case_id, categories=[])
    with pytest.raises(CriteriaNotMet, match="no violation category"):
        commands.transition_approve(actor=sup, request_id=request_id, reason="ok")
    assert case_state(case_id).pending is not None  # still pending, nothing written


def test_corroboration_needs_a_source(actors):
    doc, sup = actors["documenter"], actors["supervisor"]
    case_id = open_case(doc)
    move(doc, sup, case_id, "sourcing")
    with pytest.raises(CriteriaNotMet, match="no source is attached"):
        request(doc, case_id, "corroboration")


def test_legal_review_needs_two_independent_origins_or_a_waiver(actors):
    doc, sup = actors["documenter"], actors["supervisor"]
    case_id = open_case(doc)
    move(doc, sup, case_id, "sourcing")
    attach(doc, case_id, ["The New York Times"], title="NYT recordings")
    move(doc, sup, case_id, "corroboration")
    # A relay of the same origin counts once.
    attach(doc, case_id, ["Business Insider", "the New York Times"], title="BI relay")
    with pytest.raises(CriteriaNotMet, match=r"\(1 independent origin\)"):
        request(doc, case_id, "legal_review")
    assert case_state(case_id).corroboration == workflow.SINGLE_ORIGIN
    commands.criteria_waive(actor=sup, case_id=case_id, reason="sole surviving record")
    assert move(doc, actors["supervisor2"], case_id, "legal_review").state == "legal_review"


def test_independent_origins_reach_corroborated(actors):
    doc = actors["documenter"]
    case_id = open_case(doc)
    attach(doc, case_id, ["The New York Times", "Centre for Information Resilience"])
    attach(doc, case_id, ["UN Human Rights Monitoring Mission in Ukraine"])
    state = case_state(case_id)
    assert (state.independent_origins, state.corroboration) == (2, "corroborated")


def test_closing_needs_outcome_and_legal_qualification(actors):
    doc, sup, legal = actors["documenter"], actors["supervisor"], actors["legal"]
    case_id = open_case(doc)
    move(doc, sup, case_id, "sourcing")
    attach(doc, case_id, ["A"])
    move(doc, sup, case_id, "corroboration")
    attach(doc, case_id, ["B"])
    move(doc, sup, case_id, "legal_review")
    with pytest.raises(CriteriaNotMet) as error:
        request(legal, case_id, "closed")
    assert error.value.unmet == [
        "no outcome is recorded",
        "no legal qualification note is recorded",
    ]
    with pytest.raises(PermissionDenied, match="legal reviewer or supervisor"):
        commands.case_edit(actor=doc, case_id=case_id, outcome="referred")


def test_sending_back_needs_a_reason_but_no_criteria(actors):
    doc, sup = actors["documenter"], actors["supervisor"]
    case_id = open_case(doc)
    move(doc, sup, case_id, "sourcing")
    attach(doc, case_id, ["A"])
    move(doc, sup, case_id, "corroboration")
    with pytest.raises(InvalidCommand, match="reason is required"):
        request(doc, case_id, "sourcing", reason="  ")
    assert move(doc, sup, case_id, "sourcing").state == "sourcing"


def test_only_existing_transitions_can_be_requested(actors):
    case_id = open_case(actors["documenter"])
    with pytest.raises(CriteriaNotMet, match="a case in intake cannot move to closed"):
        request(actors["documenter"], case_id, "closed")
    with pytest.raises(InvalidCommand, match="not a state"):
        request(actors["documenter"], case_id, "archived")


def test_one_pending_request_at_a_time_and_decided_requests_conflict(actors):
    doc, sup = actors["documenter"], actors["supervisor"]
    case_id = open_case(doc)
    request_id = request(doc, case_id, "sourcing")
    with pytest.raises(DecisionConflict, match="already has a pending request"):
        request(actors["documenter2"], case_id, "sourcing")
    commands.transition_reject(actor=sup, request_id=request_id, reason="summary too thin")
    with pytest.raises(DecisionConflict, match="already rejected by sam"):
        commands.transition_approve(actor=actors["supervisor2"], request_id=request_id, reason="ok")
    row = TransitionRequest.objects.get(pk=request_id)
    assert (row.status, row.decided_by, row.decision_reason) == (
        "rejected",
        "sam",
        "summary too thin",
    )


def test_withdraw_only_by_the_requester(actors):
    doc = actors["documenter"]
    case_id = open_case(doc)
    request_id = request(doc, case_id, "sourcing")
    with pytest.raises(PermissionDenied, match="only dora"):
        commands.transition_withdraw(actor=actors["documenter2"], request_id=request_id, reason="x")
    commands.transition_withdraw(actor=doc, request_id=request_id, reason="not ready")
    assert case_state(case_id).pending is None


def test_stale_expected_version_is_refused(actors):
    doc = actors["documenter"]
    case_id = open_case(doc)
    commands.note_add(actor=doc, case_id=case_id, text="first", expected_version=1)
    with pytest.raises(StaleVersion, match="you had version 1, it is now at version 2"):
        commands.case_edit(actor=doc, case_id=case_id, title="new", expected_version=1)


def test_edit_records_old_and_new_values(actors):
    doc = actors["documenter"]
    case_id = open_case(doc)
    outcome = commands.case_edit(actor=doc, case_id=case_id, title="Renamed", places=["Kyiv"])
    assert outcome.events[0].payload == {
        "changes": {
            "title": {"old": "Order to kill civilians near Bucha", "new": "Renamed"},
            "places": {"old": ["Bucha"], "new": ["Kyiv"]},
        }
    }
    unchanged = commands.case_edit(actor=doc, case_id=case_id, title="Renamed")
    assert unchanged.events == [] and unchanged.version == 2


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"title": " "}, "title is required"),
        ({"categories": ["genocide"]}, "unknown violation category: genocide"),
        ({"incident_from": "2022-13-01"}, "not a date"),
        ({"incident_from": "2022-03-05", "incident_to": "2022-03-01"}, "before its start"),
    ],
)
def test_bad_input_is_refused_with_a_specific_message(actors, fields, message):
    with pytest.raises(InvalidCommand, match=message):
        open_case(actors["documenter"], **fields)
    assert Event.objects.count() == 0


def test_references_are_sequential(actors):
    first = case_state(open_case(actors["documenter"])).reference
    second = case_state(open_case(actors["documenter"])).reference
    assert int(second[-6:]) == int(first[-6:]) + 1


def test_assign(actors, users):
    case_id = open_case(actors["documenter"])
    commands.case_assign(actor=actors["supervisor"], case_id=case_id, assignee=users["legal"])
    assert case_state(case_id).assignee == "lena"
    with pytest.raises(InvalidCommand, match="cannot work cases"):
        commands.case_assign(actor=actors["supervisor"], case_id=case_id, assignee=users["auditor"])
