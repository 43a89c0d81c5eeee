"""Corrections through the API: discarding and restoring a candidate, reopening a closed
case through the approvals, and merges: refused on a closed case, a request past
intake decided by a second supervisor."""

import uuid

import pytest
from rest_framework.test import APIClient

from casefiles.commands.tokens import token_issue
from casefiles.models import Event
from tests.api.test_cases import problem
from tests.api.test_evaluation import detail, post, version_of
from tests.conftest import make_user
from tests.factories import attach, close, move, open_case, suggest_link

pytestmark = pytest.mark.django_db


def _types(case_id) -> list[str]:
    return list(
        Event.objects.filter(case_id=case_id).order_by("version").values_list("type", flat=True)
    )


def test_the_documenter_alone_cannot_merge_into_a_closed_case(api, actors):
    """The attack as it was reported: a documenter merged a case into a closed one and
    got 200, and the closed case got a CaseMergedInto event. Now 422, nothing stored."""
    doc = actors["documenter"]
    closed = open_case(doc)
    close(doc, actors["legal"], actors["supervisor"], closed)
    candidate = open_case(doc, title="A candidate")
    link = suggest_link(closed, candidate)
    before = (_types(closed), _types(candidate))
    for target in (closed, candidate):
        response = post(
            api["documenter"],
            f"/api/cases/{target}/links/{link}/merge/",
            {"reason": "same"},
            version_of(target),
        )
        assert "is closed" in problem(response, 422, "invalid-command")["detail"]
    assert (_types(closed), _types(candidate)) == before


def test_past_intake_a_merge_answers_202_and_waits_for_a_second_supervisor(api, actors):
    doc, sup = actors["documenter"], actors["supervisor"]
    a, b = open_case(doc, title="A"), open_case(doc, title="B")
    move(doc, sup, a, "sourcing")
    attach(doc, b, ["Associated Press"])
    link = suggest_link(a, b)
    asked = post(api["both"], f"/api/cases/{a}/links/{link}/merge/", {}, version_of(a))
    assert asked.status_code == 202, asked.content
    assert [e["type"] for e in asked.json()["events"]] == ["MergeRequested"]
    assert detail(api["auditor"], a)["merge_pending"]["requested_by"] == "bo"
    again = post(api["documenter"], f"/api/cases/{a}/links/{link}/merge/", {}, version_of(a))
    problem(again, 409, "decision-conflict")

    decision = f"/api/cases/{a}/merge/decision/"
    body = {"approve": True, "reason": "the same strike"}
    # The insider with both roles asked: refused. A documenter: refused. No If-Match: 428.
    assert "four-eyes" in problem(post(api["both"], decision, body, version_of(a)), 403)["detail"]
    problem(post(api["documenter"], decision, body, version_of(a)), 403)
    problem(post(api["supervisor2"], decision, body), 428)
    problem(post(api["supervisor2"], decision, {"approve": "maybe", "reason": "x"}, 0), 422)
    assert detail(api["auditor"], b)["merged_into"] is None

    done = post(api["supervisor2"], decision, body, version_of(a))
    assert done.status_code == 200, done.content
    assert done.json()["events"][-1]["type"] == "CaseAbsorbed"
    assert detail(api["auditor"], b)["merged_into"] == a
    assert detail(api["auditor"], a)["merge_pending"] is None
    problem(post(api["supervisor2"], decision, body, version_of(a)), 404, "not-found")


def test_discard_and_restore_through_the_api(api, actors):
    case_id = open_case(actors["documenter"])
    base = f"/api/cases/{case_id}"
    problem(post(api["documenter"], f"{base}/discard/", {"reason": ""}, version_of(case_id)), 422)
    problem(post(api["supervisor"], f"{base}/discard/", {"reason": "x"}, version_of(case_id)), 403)
    done = post(api["both"], f"{base}/discard/", {"reason": "noise"}, version_of(case_id))
    assert done.status_code == 200, done.content
    case = detail(api["auditor"], case_id)
    assert (case["state"], case["discarded"]["reason"]) == ("discarded", "noise")
    assert case["transitions"] == []
    listed = api["auditor"].get("/api/cases/?state=discarded").json()
    assert [row["id"] for row in listed["results"]] == [case_id]

    restore = f"{base}/restore/"
    body = {"reason": "a real incident"}
    assert (
        "four-eyes" in problem(post(api["both"], restore, body, version_of(case_id)), 403)["detail"]
    )
    problem(post(api["documenter"], restore, body, version_of(case_id)), 403)
    problem(post(api["supervisor"], restore, body, version_of(case_id) - 1), 412)
    done = post(api["supervisor"], restore, body, version_of(case_id))
    assert done.status_code == 200, done.content
    assert done.json()["events"][0]["actor"]["username"] == "sam"
    assert detail(api["auditor"], case_id)["state"] == "intake"


def test_reopening_goes_through_the_approvals(api, actors):
    doc = actors["documenter"]
    case_id = open_case(doc)
    close(doc, actors["legal"], actors["supervisor"], case_id)
    assert [t["to_state"] for t in detail(api["auditor"], case_id)["transitions"]] == [
        "legal_review"
    ]
    asked = post(
        api["both"],
        f"/api/cases/{case_id}/transitions/",
        {"to_state": "legal_review", "reason": "a new witness"},
        version_of(case_id),
    )
    assert asked.status_code == 201, asked.content
    request_id = asked.json()["events"][0]["payload"]["request_id"]
    mine = api["both"].get("/api/approvals/").json()["results"]
    assert request_id not in [row["request_id"] for row in mine]
    queue = api["supervisor"].get("/api/approvals/").json()
    assert request_id in [row["request_id"] for row in queue["results"]]
    approve = f"/api/approvals/{request_id}/approve/"
    problem(post(api["both"], approve, {"reason": "mine"}, version_of(case_id)), 403)
    done = post(api["supervisor"], approve, {"reason": "it matters"}, version_of(case_id))
    assert done.status_code == 200, done.content
    assert done.json()["events"][0]["type"] == "CaseReopened"
    assert detail(api["auditor"], case_id)["state"] == "legal_review"


def test_a_stranger_with_a_token_changes_nothing(db, actors):
    """A valid token of a user with no role (and of an auditor) opens none of the new
    doors."""
    case_id = open_case(actors["documenter"])
    other = open_case(actors["documenter"], title="Other")
    link = suggest_link(case_id, other)
    for user in (make_user("stranger"), make_user("watcher", "auditor")):
        _, key = token_issue(user=user, issued_with="password")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        for path, body in (
            (f"/api/cases/{case_id}/discard/", {"reason": "x"}),
            (f"/api/cases/{case_id}/restore/", {"reason": "x"}),
            (f"/api/cases/{case_id}/merge/decision/", {"approve": True, "reason": "x"}),
            (f"/api/cases/{case_id}/links/{link}/merge/", {"reason": "x"}),
        ):
            problem(post(client, path, body, version_of(case_id)), 403)
    assert _types(case_id)[-1] == "LinkSuggested"
    problem(post(APIClient(), f"/api/cases/{uuid.uuid4()}/discard/", {"reason": "x"}, 1), 401)
