"""The approval queue and decisions over HTTP: four-eyes, conflicts, If-Match."""

import uuid

import pytest

from casefiles import commands
from casefiles.models import CaseFile
from tests.api.test_cases import problem
from tests.factories import open_case

pytestmark = pytest.mark.django_db


def requested(actor, case_id, to_state="sourcing") -> str:
    outcome = commands.transition_request(
        actor=actor, case_id=case_id, to_state=to_state, reason="ready"
    )
    return outcome.events[0].payload["request_id"]


def queue(client) -> list[str]:
    response = client.get("/api/approvals/")
    assert response.status_code == 200, response.content
    return [row["request_id"] for row in response.json()["results"]]


def test_queue_shows_supervisors_the_requests_they_may_decide(api, actors):
    by_documenter = requested(actors["documenter"], open_case(actors["documenter"]))
    # "bo" holds documenter and supervisor: may request, never decide their own request.
    by_bo = requested(actors["both"], open_case(actors["both"]))

    assert set(queue(api["supervisor"])) == {by_documenter, by_bo}
    assert queue(api["both"]) == [by_documenter]
    assert queue(api["documenter"]) == []
    assert queue(api["legal"]) == []
    assert queue(api["auditor"]) == []
    row = api["supervisor"].get("/api/approvals/").json()["results"][0]
    assert row["case_version"] == 2 and row["requested_by"] in ("dora", "bo")


def test_approve_moves_the_case_and_a_second_decision_conflicts(api, actors):
    case_id = open_case(actors["documenter"])
    request_id = requested(actors["documenter"], case_id)
    url = f"/api/approvals/{request_id}/approve/"

    problem(api["supervisor"].post(url, {"reason": "ok"}, format="json"), 428)
    approved = api["supervisor"].post(url, {"reason": "agreed"}, format="json", HTTP_IF_MATCH='"2"')
    assert approved.status_code == 200, approved.content
    assert approved["ETag"] == '"3"'
    assert approved.json()["events"][0]["type"] == "TransitionApproved"
    assert CaseFile.objects.get(pk=case_id).state == "sourcing"

    body = problem(
        api["supervisor2"].post(url, {"reason": "me too"}, format="json", HTTP_IF_MATCH='"3"'),
        409,
        "decision-conflict",
    )
    assert "already approved by sam" in body["detail"]
    problem(
        api["supervisor2"].post(
            f"/api/approvals/{request_id}/reject/",
            {"reason": "no"},
            format="json",
            HTTP_IF_MATCH='"3"',
        ),
        409,
    )


def test_reject_keeps_the_state(api, actors):
    case_id = open_case(actors["documenter"])
    request_id = requested(actors["documenter"], case_id)
    rejected = api["supervisor"].post(
        f"/api/approvals/{request_id}/reject/",
        {"reason": "summary is thin"},
        format="json",
        HTTP_IF_MATCH='"2"',
    )
    assert rejected.status_code == 200, rejected.content
    assert CaseFile.objects.get(pk=case_id).state == "intake"
    assert queue(api["supervisor"]) == []


def test_decision_on_a_case_that_moved_on_is_412(api, actors):
    case_id = open_case(actors["documenter"])
    request_id = requested(actors["documenter"], case_id)
    commands.note_add(actor=actors["documenter"], case_id=case_id, text="new evidence")
    body = problem(
        api["supervisor"].post(
            f"/api/approvals/{request_id}/approve/",
            {"reason": "ok"},
            format="json",
            HTTP_IF_MATCH='"2"',
        ),
        412,
        "stale-version",
    )
    assert body["current_version"] == 3
    assert CaseFile.objects.get(pk=case_id).state == "intake"


def test_four_eyes_and_roles(api, actors):
    case_id = open_case(actors["both"])
    request_id = requested(actors["both"], case_id)
    url = f"/api/approvals/{request_id}/approve/"
    body = problem(
        api["both"].post(url, {"reason": "mine"}, format="json", HTTP_IF_MATCH='"2"'),
        403,
        "permission-denied",
    )
    assert "four-eyes" in body["detail"]
    for role in ("documenter", "legal", "auditor"):
        problem(api[role].post(url, {"reason": "x"}, format="json", HTTP_IF_MATCH='"2"'), 403)
    assert CaseFile.objects.get(pk=case_id).state == "intake"


def test_approval_with_unmet_criteria_lists_them(api, actors):
    doc = actors["documenter"]
    case_id = open_case(doc)
    request_id = requested(doc, case_id)
    # The summary was emptied after the request: the criterion no longer holds.
    commands.case_edit(actor=doc, case_id=case_id, summary="")
    body = problem(
        api["supervisor"].post(
            f"/api/approvals/{request_id}/approve/",
            {"reason": "ok"},
            format="json",
            HTTP_IF_MATCH='"3"',
        ),
        422,
        "criteria-not-met",
    )
    assert body["unmet"] == ["the case has no summary"]


def test_unknown_request_is_404(api):
    problem(
        api["supervisor"].post(
            f"/api/approvals/{uuid.uuid4()}/approve/",
            {"reason": "x"},
            format="json",
            HTTP_IF_MATCH='"1"',
        ),
        404,
        "not-found",
    )


def test_a_retried_approval_returns_the_first_result(api, actors):
    case_id = open_case(actors["documenter"])
    request_id = requested(actors["documenter"], case_id)
    url = f"/api/approvals/{request_id}/approve/"
    first = api["supervisor"].post(
        url, {"reason": "ok"}, format="json", HTTP_IF_MATCH='"2"', HTTP_IDEMPOTENCY_KEY="approve-1"
    )
    retry = api["supervisor"].post(
        url, {"reason": "ok"}, format="json", HTTP_IF_MATCH='"2"', HTTP_IDEMPOTENCY_KEY="approve-1"
    )
    assert first.status_code == retry.status_code == 200
    assert retry.json()["replayed"] is True
    assert retry.json()["events"] == first.json()["events"]
