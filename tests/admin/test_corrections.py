"""Corrections in the admin: discarding a candidate and restoring it, reopening a closed
case, and merge requests decided from the case page and the supervisors' pending page.
The pages offer what the commands would accept; forged posts get the commands' refusals."""

import pytest
from django.urls import reverse

from casefiles.commands.cases import candidate_discard
from casefiles.models import Event
from casefiles.selectors import case_state
from tests.factories import attach, close, move, open_case, suggest_link

pytestmark = pytest.mark.django_db


def case_url(case_id) -> str:
    return reverse("admin:casefiles_casefile_change", args=[case_id])


def action_url(name: str, case_id, *args) -> str:
    return reverse(f"admin:casefiles_casefile_{name}", args=[case_id, *args])


@pytest.fixture
def as_user(client, users):
    def login(name):
        client.force_login(users[name])
        return client

    return login


def test_discard_from_the_case_page_then_restore_by_another_supervisor(as_user, actors):
    case_id = open_case(actors["documenter"])
    client = as_user("both")
    assert 'id="casefiles-discard"' in client.get(case_url(case_id)).content.decode()
    refused = client.post(action_url("discard", case_id), {"reason": "", "expected_version": 1})
    assert refused.status_code == 200 and case_state(case_id).state == "intake"
    done = client.post(
        action_url("discard", case_id), {"reason": "a drill", "expected_version": 1}, follow=True
    )
    assert "was discarded" in done.content.decode()
    page = client.get(case_url(case_id)).content.decode()
    assert "Discarded at intake by bo." in page and "a drill" in page
    assert 'id="casefiles-restore"' not in page  # bo discarded it: not theirs to restore
    assert 'id="casefiles-discard"' not in page
    assert "Discarded the candidate at intake: a drill" in page  # the timeline
    # A forged restore by the discarder is refused by the command, nothing changes.
    forged = client.post(
        action_url("restore", case_id),
        {"reason": "mine", "expected_version": 2, "button": "restore"},
    )
    assert "four-eyes: bo discarded this candidate" in forged.content.decode()
    assert case_state(case_id).state == "discarded"

    client = as_user("supervisor")
    page = client.get(case_url(case_id)).content.decode()
    assert 'id="casefiles-restore"' in page
    response = client.post(
        action_url("restore", case_id),
        {"reason": "a real strike", "expected_version": 2, "button": "restore"},
    )
    assert response.status_code == 302
    assert case_state(case_id).state == "intake"
    restored = Event.objects.get(case_id=case_id, type="CandidateRestored")
    assert restored.actor["username"] == "sam"


def test_the_case_list_hides_discarded_candidates_unless_asked(as_user, actors):
    kept = open_case(actors["documenter"], title="A real incident")
    gone = open_case(actors["documenter"], title="A training exercise")
    candidate_discard(actor=actors["documenter"], case_id=gone, reason="a drill")
    client = as_user("documenter")
    changelist = reverse("admin:casefiles_casefile_changelist")
    default = client.get(changelist).content.decode()
    assert "A real incident" in default and "A training exercise" not in default
    assert "All but discarded" in default
    discarded = client.get(changelist + "?state__exact=discarded").content.decode()
    assert "A training exercise" in discarded and "A real incident" not in discarded
    every = client.get(changelist + "?state__exact=any").content.decode()
    assert "A training exercise" in every and "A real incident" in every
    assert case_state(kept).state == "intake"


def test_a_closed_case_offers_only_a_reopening_request(as_user, actors):
    case_id = open_case(actors["documenter"])
    close(actors["documenter"], actors["legal"], actors["supervisor"], case_id)
    client = as_user("both")
    page = client.get(case_url(case_id)).content.decode()
    assert "Ask to reopen the case (to Legal review)" in page
    assert "Attach a source" not in page
    version = case_state(case_id).version
    client.post(
        action_url("request", case_id, "legal_review"),
        {"reason": "a new witness", "expected_version": version, "button": "send"},
    )
    assert case_state(case_id).pending.to_state == "legal_review"
    pending_page = reverse("admin:casefiles_transitionrequest_pending")
    supervisor = as_user("supervisor2")
    assert "Closed → Legal review" in supervisor.get(pending_page).content.decode()
    supervisor.post(
        action_url("decide", case_id),
        {"reason": "it matters", "expected_version": version + 1, "button": "approve"},
    )
    assert case_state(case_id).state == "legal_review"
    page = supervisor.get(case_url(case_id)).content.decode()
    assert "Reopened the case (Closed → Legal review, approved): it matters" in page


def test_a_merge_request_waits_on_the_pending_page_for_another_supervisor(as_user, actors):
    doc, sup = actors["documenter"], actors["supervisor"]
    a, b = open_case(doc, title="A"), open_case(doc, title="B")
    move(doc, sup, a, "sourcing")
    attach(doc, b, ["Associated Press"])
    link = suggest_link(a, b)
    client = as_user("both")
    response = client.post(
        action_url("link", a, link), {"reason": "same strike", "button": "merge"}, follow=True
    )
    assert "a supervisor other than you will decide" in response.content.decode()
    assert case_state(b).merged_into is None
    pending_page = reverse("admin:casefiles_transitionrequest_pending")
    mine = client.get(pending_page).content.decode()
    assert 'id="casefiles-merge-requests"' in mine and "your own request" in mine
    page = client.get(case_url(a)).content.decode()
    assert "bo asked to merge" in page and 'id="casefiles-decide-merge"' not in page

    other = as_user("supervisor2")
    listed = other.get(pending_page).content.decode()
    assert action_url("merge_decision", a) in listed
    index = other.get(reverse("admin:index")).content.decode()
    assert index.split("Requests waiting for a decision</a></th><td>")[1].startswith("1</td>")
    done = other.post(
        action_url("merge_decision", a),
        {
            "reason": "the same strike",
            "expected_version": case_state(a).version,
            "button": "approve",
        },
        follow=True,
    )
    assert "was merged into" in done.content.decode()
    assert case_state(b).merged_into == a


def test_merging_into_a_closed_case_is_not_offered_and_a_forged_post_is_refused(as_user, actors):
    doc = actors["documenter"]
    closed = open_case(doc)
    close(doc, actors["legal"], actors["supervisor"], closed)
    candidate = open_case(doc, title="A candidate")
    link = suggest_link(closed, candidate)
    client = as_user("documenter")
    assert action_url("link", closed, link) not in client.get(case_url(closed)).content.decode()
    before = Event.objects.count()
    response = client.post(action_url("link", closed, link), {"reason": "x", "button": "merge"})
    assert "a closed case is never merged" in response.content.decode()
    assert Event.objects.count() == before
