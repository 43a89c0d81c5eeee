"""Corrections without rewriting history: a candidate discarded at intake (and restored
by another person), a closed case reopened under four-eyes, and merges refused on closed
cases and decided by a second person past intake. Each attack is played by the person
who would try it: the documenter alone, the insider holding two roles."""

import pytest

from casefiles import commands, projections
from casefiles.commands.cases import candidate_discard, candidate_restore
from casefiles.commands.links import cases_merge, link_dismiss, merge_decide
from casefiles.domain.describe import describe
from casefiles.errors import (
    CriteriaNotMet,
    DecisionConflict,
    InvalidCommand,
    NotFound,
    PermissionDenied,
)
from casefiles.models import CaseFile, Event, TransitionRequest
from casefiles.selectors import case_state
from tests.factories import attach, close, move, open_case, suggest_link

pytestmark = pytest.mark.django_db


def _events(case_id) -> list[str]:
    return list(
        Event.objects.filter(case_id=case_id).order_by("version").values_list("type", flat=True)
    )


def _rebuild_equals_live() -> None:
    live = projections.snapshot()
    projections.rebuild()
    assert projections.diff(live, projections.snapshot()) == []


def _closed(actors):
    case_id = open_case(actors["documenter"])
    close(actors["documenter"], actors["legal"], actors["supervisor"], case_id)
    return case_id


# --- merge ---------------------------------------------------------------------------------


@pytest.mark.parametrize("closed_side", ["into", "from"])
def test_the_documenter_alone_cannot_merge_with_a_closed_case(actors, closed_side):
    doc = actors["documenter"]
    closed = _closed(actors)
    candidate = open_case(doc, title="A candidate at intake")
    link = suggest_link(closed, candidate)
    target = closed if closed_side == "into" else candidate
    before = {case: _events(case) for case in (closed, candidate)}
    with pytest.raises(InvalidCommand, match="is closed: a closed case is never merged"):
        cases_merge(actor=doc, case_id=target, link_id=link, reason="same incident")
    # Not even a request: nothing on either case.
    assert {case: _events(case) for case in (closed, candidate)} == before
    assert case_state(closed).merged_into is None and case_state(candidate).merged_into is None


def test_a_merged_case_is_not_merged_again(actors):
    doc = actors["documenter"]
    a, b, c = (open_case(doc, title=f"Case {n}") for n in range(3))
    ab, bc = suggest_link(a, b), suggest_link(c, b)
    cases_merge(actor=doc, case_id=a, link_id=ab, reason="same")
    with pytest.raises(InvalidCommand, match="already merged"):
        cases_merge(actor=doc, case_id=c, link_id=bc, reason="same")


def test_at_intake_a_documenter_alone_still_merges(actors):
    doc = actors["documenter"]
    a, b = open_case(doc, title="A"), open_case(doc, title="B")
    attach(doc, b, ["Associated Press"])
    outcome = cases_merge(actor=doc, case_id=a, link_id=suggest_link(a, b), reason="same")
    assert outcome.events[-1].type == "CaseAbsorbed"
    assert case_state(b).merged_into == a
    assert len(case_state(a).sources) == 1


def _past_intake_pair(actors):
    doc, sup = actors["documenter"], actors["supervisor"]
    a, b = open_case(doc, title="A"), open_case(doc, title="B")
    move(doc, sup, a, "sourcing")
    attach(doc, b, ["Associated Press"])
    return a, b, suggest_link(a, b)


def test_past_intake_a_merge_is_a_request_a_second_supervisor_decides(actors):
    both, sup = actors["both"], actors["supervisor"]
    a, b, link = _past_intake_pair(actors)
    asked = cases_merge(actor=both, case_id=a, link_id=link, reason="same strike, two reports")
    assert [e.type for e in asked.events] == ["MergeRequested"]
    pending = case_state(a).merge_pending
    assert (pending["link_id"], pending["requested_by"]) == (link, "bo")
    assert case_state(b).merged_into is None and case_state(b).state == "intake"
    # The insider holding documenter and supervisor cannot decide their own request.
    for approve in (True, False):
        with pytest.raises(PermissionDenied, match="four-eyes: bo asked for this merge"):
            merge_decide(actor=both, case_id=a, approve=approve, reason="mine")
    with pytest.raises(PermissionDenied, match="needs the role supervisor"):
        merge_decide(actor=actors["documenter2"], case_id=a, approve=True, reason="fine")
    with pytest.raises(InvalidCommand, match="reason is required"):
        merge_decide(actor=sup, case_id=a, approve=True, reason=" ")
    assert case_state(b).merged_into is None

    merge_decide(actor=sup, case_id=a, approve=True, reason="the same strike")
    assert _events(a)[-3:] == ["MergeApproved", "SourceAttached", "CaseAbsorbed"]
    assert _events(b)[-1] == "CaseMergedInto"
    assert case_state(b).merged_into == a and case_state(a).merge_pending is None
    approved = Event.objects.get(case_id=a, type="MergeApproved")
    assert approved.actor["username"] == "sam" and approved.actor["role"] == "supervisor"
    assert "the same strike" in describe(approved.as_record())
    absorbed = Event.objects.get(case_id=a, type="CaseAbsorbed")
    assert absorbed.payload["reason"] == "same strike, two reports"
    _rebuild_equals_live()


def test_a_rejected_merge_changes_nothing_but_the_record(actors):
    a, b, link = _past_intake_pair(actors)
    cases_merge(actor=actors["documenter"], case_id=a, link_id=link, reason="same")
    merge_decide(actor=actors["supervisor"], case_id=a, approve=False, reason="different days")
    assert case_state(a).merge_pending is None and case_state(b).merged_into is None
    assert [lk.status for lk in case_state(a).links] == ["suggested"]
    rejected = Event.objects.get(case_id=a, type="MergeRejected")
    assert "different days" in describe(rejected.as_record())
    with pytest.raises(NotFound, match="no pending merge request"):
        merge_decide(actor=actors["supervisor"], case_id=a, approve=True, reason="late")


def test_a_pending_merge_blocks_another_request_and_dismissing_its_link(actors):
    a, b, link = _past_intake_pair(actors)
    doc = actors["documenter"]
    cases_merge(actor=doc, case_id=a, link_id=link, reason="same")
    with pytest.raises(DecisionConflict, match="already has a pending merge request"):
        cases_merge(actor=actors["documenter2"], case_id=a, link_id=link, reason="same")
    for case in (a, b):
        with pytest.raises(DecisionConflict, match="waiting for a decision"):
            link_dismiss(actor=doc, case_id=case, link_id=link, reason="no")


def test_approval_checks_again_that_neither_case_was_closed_since(actors):
    doc, legal, sup = actors["documenter"], actors["legal"], actors["supervisor"]
    a, b = open_case(doc, title="A"), open_case(doc, title="B")
    link = suggest_link(a, b)
    move(doc, sup, b, "sourcing")
    cases_merge(actor=doc, case_id=a, link_id=link, reason="same")
    attach(doc, b, ["The New York Times"])
    move(doc, sup, b, "corroboration")
    attach(doc, b, ["UN Human Rights Monitoring Mission in Ukraine"])
    move(legal, sup, b, "legal_review")
    commands.case_edit(actor=legal, case_id=b, outcome="referred", legal_qualification="8(2)")
    move(legal, sup, b, "closed")
    before = (_events(a), _events(b))
    with pytest.raises(InvalidCommand, match="is closed"):
        merge_decide(actor=actors["supervisor2"], case_id=a, approve=True, reason="ok")
    assert (_events(a), _events(b)) == before
    # It can still be rejected, which ends the request.
    merge_decide(actor=actors["supervisor2"], case_id=a, approve=False, reason="closed since")
    assert case_state(a).merge_pending is None


# --- reopening -----------------------------------------------------------------------------


def test_reopening_a_closed_case_is_four_eyes_and_lands_in_legal_review(actors):
    both, sup = actors["both"], actors["supervisor2"]
    case_id = _closed(actors)
    asked = commands.transition_request(
        actor=both, case_id=case_id, to_state="legal_review", reason="a new witness came forward"
    )
    request_id = asked.events[0].payload["request_id"]
    # Still closed while the request waits: every other write is refused.
    with pytest.raises(InvalidCommand, match="is closed; its record can no longer change"):
        commands.case_edit(actor=actors["documenter"], case_id=case_id, title="changed")
    with pytest.raises(InvalidCommand, match="is closed"):
        attach(actors["documenter"], case_id, ["Reuters"])
    for decide in (commands.transition_approve, commands.transition_reject):
        with pytest.raises(PermissionDenied, match="four-eyes"):
            decide(actor=both, request_id=request_id, reason="mine")
    assert case_state(case_id).state == "closed"

    commands.transition_approve(actor=sup, request_id=request_id, reason="the witness matters")
    case = case_state(case_id)
    assert (case.state, case.pending, case.outcome) == ("legal_review", None, "referred")
    reopened = Event.objects.get(case_id=case_id, type="CaseReopened")
    assert reopened.actor["username"] == "sofia"
    assert describe(reopened.as_record()) == (
        "Reopened the case (Closed → Legal review, approved): the witness matters"
    )
    row = TransitionRequest.objects.get(pk=request_id)
    assert (row.status, row.decided_by) == (TransitionRequest.APPROVED, "sofia")
    commands.case_edit(actor=actors["legal"], case_id=case_id, outcome="substantiated")
    _rebuild_equals_live()


def test_a_rejected_reopening_leaves_the_case_closed(actors):
    case_id = _closed(actors)
    asked = commands.transition_request(
        actor=actors["documenter"], case_id=case_id, to_state="legal_review", reason="why not"
    )
    commands.transition_reject(
        actor=actors["supervisor2"],
        request_id=asked.events[0].payload["request_id"],
        reason="nothing new",
    )
    assert case_state(case_id).state == "closed"
    assert "CaseReopened" not in _events(case_id)


def test_a_closed_case_goes_back_to_legal_review_only(actors):
    case_id = _closed(actors)
    with pytest.raises(CriteriaNotMet, match="allowed: legal_review"):
        commands.transition_request(
            actor=actors["documenter"], case_id=case_id, to_state="intake", reason="start over"
        )


# --- discarding a candidate ----------------------------------------------------------------


def test_a_documenter_discards_a_candidate_with_a_reason_and_its_record_stops(actors):
    doc = actors["documenter"]
    case_id = open_case(doc)
    attach(doc, case_id, ["Associated Press"])
    with pytest.raises(InvalidCommand, match="reason is required"):
        candidate_discard(actor=doc, case_id=case_id, reason="  ")
    candidate_discard(actor=doc, case_id=case_id, reason="a training exercise, not an attack")
    case = case_state(case_id)
    assert case.state == "discarded"
    assert case.discarded["reason"] == "a training exercise, not an attack"
    assert case.discarded["discarded_by"] == "dora"
    assert len(case.sources) == 1  # nothing is deleted
    for attempt in (
        lambda: commands.case_edit(actor=doc, case_id=case_id, title="changed"),
        lambda: attach(doc, case_id, ["Reuters"]),
        lambda: candidate_discard(actor=doc, case_id=case_id, reason="again"),
    ):
        with pytest.raises(InvalidCommand, match="was discarded at intake"):
            attempt()
    with pytest.raises(CriteriaNotMet, match="a case in discarded cannot move"):
        commands.transition_request(actor=doc, case_id=case_id, to_state="sourcing", reason="x")
    other = open_case(doc, title="Another candidate")
    with pytest.raises(InvalidCommand, match="must restore it before it can be merged"):
        cases_merge(actor=doc, case_id=other, link_id=suggest_link(other, case_id), reason="same")
    event = Event.objects.get(case_id=case_id, type="CandidateDiscarded")
    assert describe(event.as_record()) == (
        "Discarded the candidate at intake: a training exercise, not an attack"
    )


def test_only_a_candidate_at_intake_without_a_pending_request_is_discarded(actors):
    doc, sup = actors["documenter"], actors["supervisor"]
    case_id = open_case(doc)
    commands.transition_request(actor=doc, case_id=case_id, to_state="sourcing", reason="ready")
    with pytest.raises(DecisionConflict, match="pending request"):
        candidate_discard(actor=doc, case_id=case_id, reason="noise")
    commands.transition_approve(
        actor=sup, request_id=case_state(case_id).pending.request_id, reason="ok"
    )
    with pytest.raises(InvalidCommand, match="only a candidate at intake can be discarded"):
        candidate_discard(actor=doc, case_id=case_id, reason="noise")
    with pytest.raises(PermissionDenied, match="needs the role documenter"):
        candidate_discard(actor=sup, case_id=open_case(doc), reason="noise")


def test_restoring_is_a_second_persons_decision_recorded_with_who(actors):
    both, doc = actors["both"], actors["documenter"]
    case_id = open_case(doc)
    candidate_discard(actor=both, case_id=case_id, reason="duplicate of a wire story")
    # The insider who discarded it, though a supervisor too, cannot restore it.
    with pytest.raises(PermissionDenied, match="four-eyes: bo discarded this candidate"):
        candidate_restore(actor=both, case_id=case_id, reason="mine")
    with pytest.raises(PermissionDenied, match="needs the role supervisor"):
        candidate_restore(actor=doc, case_id=case_id, reason="please")
    with pytest.raises(PermissionDenied, match="auditor"):
        candidate_restore(actor=actors["auditor"], case_id=case_id, reason="look")
    assert case_state(case_id).state == "discarded"

    candidate_restore(actor=actors["supervisor"], case_id=case_id, reason="a distinct incident")
    case = case_state(case_id)
    assert (case.state, case.discarded) == ("intake", None)
    restored = Event.objects.get(case_id=case_id, type="CandidateRestored")
    assert (restored.actor["username"], restored.actor["role"]) == ("sam", "supervisor")
    assert "a distinct incident" in describe(restored.as_record())
    with pytest.raises(InvalidCommand, match="is not discarded"):
        candidate_restore(actor=actors["supervisor2"], case_id=case_id, reason="again")
    commands.case_edit(actor=doc, case_id=case_id, title="Back at work")
    assert CaseFile.objects.get(pk=case_id).state == "intake"
    _rebuild_equals_live()


def test_discarding_an_ingested_candidate_keeps_its_ingestion_and_source(actors, settings):
    from pathlib import Path

    from casefiles.commands.ingestion import document_ingest, ingestion_submit
    from casefiles.models import Ingestion, Source
    from tests.factories import SUBMITTER

    path = next((Path(settings.BASE_DIR) / "seeds").glob("003_*.txt"))
    job = ingestion_submit(actor=SUBMITTER, data=path.read_bytes(), filename=path.name)
    document_ingest(ingestion_id=str(job.id))
    job = Ingestion.objects.get(pk=job.pk)
    case = CaseFile.objects.get(reference=job.case_references[0])
    candidate_discard(actor=actors["documenter"], case_id=case.pk, reason="not an incident")
    job.refresh_from_db()
    assert job.case_references[0] == case.reference and job.source_id is not None
    assert Source.objects.filter(pk=job.source_id).exists()
    discarded = case_state(case.pk)
    assert discarded.state == "discarded" and discarded.extraction == case.extraction
