"""The admin pages, driven through Django's test client: every change goes through a
command, refusals come back as messages, and each role sees what it may do."""

import pytest
from django.urls import reverse

from casefiles import commands
from casefiles.models import CaseFile, Event, TransitionRequest
from casefiles.selectors import case_state
from tests.factories import attach, open_case

pytestmark = pytest.mark.django_db


def case_url(case_id) -> str:
    return reverse("admin:casefiles_casefile_change", args=[case_id])


def edit_data(case_id, **changes) -> dict:
    case = case_state(case_id)
    data = {
        "title": case.title,
        "summary": case.summary,
        "categories": list(case.categories),
        "places": "\n".join(case.places),
        "incident_from": case.incident_from or "",
        "incident_to": case.incident_to or "",
        "expected_version": case.version,
    }
    data.update(changes)
    return data


@pytest.fixture
def as_user(client, users):
    def login(name):
        client.force_login(users[name])
        return client

    return login


def test_case_page_edit_goes_through_case_edit(as_user, actors):
    case_id = open_case(actors["documenter"])
    client = as_user("documenter")
    response = client.post(case_url(case_id), edit_data(case_id, summary="New summary."))
    assert response.status_code == 302
    event = Event.objects.filter(case_id=case_id).order_by("-version").first()
    assert event.type == "CaseEdited"
    assert event.payload["changes"] == {
        "summary": {
            "old": "Intercepted call: a commander ordered troops to kill civilians.",
            "new": "New summary.",
        }
    }
    assert event.actor == {
        "id": actors["documenter"].user_id,
        "username": "dora",
        "role": "documenter",
    }
    assert CaseFile.objects.get(pk=case_id).summary == "New summary."


def test_stale_version_is_refused_with_a_message_and_nothing_saved(as_user, actors):
    case_id = open_case(actors["documenter"])
    stale = edit_data(case_id, summary="Mine")
    # Someone else changes the case while this user has the page open.
    commands.case_edit(actor=actors["documenter2"], case_id=case_id, title="Theirs")
    response = as_user("documenter").post(case_url(case_id), stale)
    assert response.status_code == 200
    assert "changed since you read it" in response.content.decode()
    assert "Mine" in response.content.decode()  # what the user typed is kept
    case = CaseFile.objects.get(pk=case_id)
    assert (case.title, case.version) == ("Theirs", 2)
    assert case.summary != "Mine"


def test_invalid_edit_is_refused_by_the_command(as_user, actors):
    case_id = open_case(actors["documenter"])
    response = as_user("documenter").post(
        case_url(case_id), edit_data(case_id, incident_from="2022-05-01", incident_to="2022-04-01")
    )
    assert response.status_code == 200
    assert "incident end 2022-04-01 is before its start 2022-05-01" in response.content.decode()
    assert Event.objects.filter(case_id=case_id).count() == 1


def test_add_opens_a_case_through_case_open(as_user):
    response = as_user("documenter").post(
        reverse("admin:casefiles_casefile_add"),
        {
            "title": "Shelling of a school",
            "summary": "",
            "places": "Kharkiv\nSaltivka",
            "categories": ["attack_on_protected_objects"],
            "incident_from": "2022-03-02",
            "incident_to": "",
        },
    )
    case = CaseFile.objects.get(title="Shelling of a school")
    assert response.status_code == 302 and response["Location"] == case_url(case.pk)
    assert case.places == ["Kharkiv", "Saltivka"]
    assert Event.objects.get(case_id=case.pk).type == "CaseOpened"


def test_documenter_page_shows_moves_with_unmet_criteria(as_user, actors):
    case_id = open_case(actors["documenter"], summary="")
    page = as_user("documenter").get(case_url(case_id)).content.decode()
    assert "Ask to move to Sourcing" in page
    assert "the case has no summary" in page
    assert "History verified: 1 event" in page


def test_request_with_unmet_criteria_is_refused_and_explained(as_user, actors):
    case_id = open_case(actors["documenter"], summary="")
    url = reverse("admin:casefiles_casefile_request", args=[case_id, "sourcing"])
    client = as_user("documenter")
    assert "the case has no summary" in client.get(url).content.decode()
    response = client.post(url, {"reason": "ready", "expected_version": 1, "button": "send"})
    assert response.status_code == 200
    assert "the case has no summary" in response.content.decode()
    assert not TransitionRequest.objects.exists()


def test_request_then_approve_four_eyes(as_user, actors, users):
    case_id = open_case(actors["both"])
    client = as_user("both")
    url = reverse("admin:casefiles_casefile_request", args=[case_id, "sourcing"])
    response = client.post(url, {"reason": "complete", "expected_version": 1})
    assert response.status_code == 302
    page = client.get(case_url(case_id)).content.decode()
    assert "another supervisor must decide" in page
    assert 'id="casefiles-decide"' not in page
    pending = client.get(reverse("admin:casefiles_transitionrequest_pending")).content.decode()
    assert "Approve or reject" not in pending and 'name="requests"' not in pending
    # Even a forged post is refused by the command (four-eyes), with its message.
    request_id = str(TransitionRequest.objects.get().pk)
    response = client.post(
        reverse("admin:casefiles_transitionrequest_pending"),
        {"requests": [request_id], "reason": "ok", "button": "approve"},
        follow=True,
    )
    assert "four-eyes: bo requested this change" in response.content.decode().lower()
    assert case_state(case_id).state == "intake"

    client = as_user("supervisor")
    decide = reverse("admin:casefiles_casefile_decide", args=[case_id])
    assert "The entry criteria hold now." in client.get(decide).content.decode()
    response = client.post(decide, {"reason": "agreed", "expected_version": 2, "button": "approve"})
    assert response.status_code == 302
    assert case_state(case_id).state == "sourcing"
    assert TransitionRequest.objects.get().decided_by == "sam"


def test_bulk_decisions_each_in_their_own_command(as_user, actors):
    first, second = open_case(actors["documenter"]), open_case(actors["documenter"])
    ids = [
        commands.transition_request(
            actor=actors["documenter"], case_id=c, to_state="sourcing", reason="ready"
        )
        .events[0]
        .payload["request_id"]
        for c in (first, second)
    ]
    # The second case loses its summary meanwhile: its approval must fail on its own.
    commands.case_edit(actor=actors["documenter"], case_id=second, summary="")
    response = as_user("supervisor").post(
        reverse("admin:casefiles_transitionrequest_pending"),
        {"requests": ids, "reason": "batch", "button": "approve"},
        follow=True,
    )
    page = response.content.decode()
    assert "1 request(s) approved" in page and "the case has no summary" in page
    assert (case_state(first).state, case_state(second).state) == ("sourcing", "intake")


def test_auditor_reads_everything_and_changes_nothing(as_user, actors):
    case_id = open_case(actors["documenter"])
    attach(actors["documenter"], case_id, ["NYT"])
    client = as_user("auditor")
    page = client.get(case_url(case_id)).content.decode()
    assert "<textarea" not in page and 'name="_save"' not in page
    assert "Attached source" in page and "History verified: 2 events" in page
    assert client.post(case_url(case_id), edit_data(case_id, title="x")).status_code == 403
    assert client.get(reverse("admin:casefiles_casefile_add")).status_code == 403
    note = reverse("admin:casefiles_casefile_note", args=[case_id])
    assert client.post(note, {"text": "hi", "expected_version": 2}).status_code == 403
    listing = client.get(reverse("admin:casefiles_casefile_changelist")).content.decode()
    assert "addlink" not in listing and "delete_selected" not in listing


def test_user_without_role_sees_no_case_files(client, db):
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_superuser("root", password="x"))
    index = client.get(reverse("admin:index")).content.decode()
    assert "Case files at a glance" not in index and "casefile" not in index
    assert client.get(reverse("admin:casefiles_casefile_changelist")).status_code == 403


def test_index_counts(as_user, actors):
    for _ in range(2):
        open_case(actors["documenter"])
    index = as_user("supervisor").get(reverse("admin:index")).content.decode()
    assert "Case files at a glance" in index
    assert '?state__exact=intake">Intake</a></th><td>2</td>' in index


def test_index_counts_restriction_requests_among_those_waiting(as_user, actors):
    from django.contrib.auth.models import Group

    from casefiles.commands.compartments import restriction_request

    Group.objects.create(name="kharkiv-team")
    case_id = open_case(actors["documenter"])
    restriction_request(
        actor=actors["documenter"], case_id=case_id, team="kharkiv-team", reason="witness testimony"
    )
    index = as_user("supervisor").get(reverse("admin:index")).content.decode()
    waiting = index.split("Requests waiting for a decision</a></th><td>")[1]
    assert waiting.startswith("1</td>")


def test_search_matches_source_excerpts_once(as_user, actors):
    case_id = open_case(actors["documenter"], title="Unrelated title")
    open_case(actors["documenter"], title="Other")
    for n in range(3):
        attach(actors["documenter"], case_id, [f"Org {n}"], title=f"R{n}")
    listing = as_user("documenter").get(
        reverse("admin:casefiles_casefile_changelist"), {"q": "everyone we see"}
    )
    assert [str(c.pk) for c in listing.context["cl"].result_list] == [case_id]


def test_note_and_source_and_assign_pages_call_commands(as_user, actors, users):
    case_id = open_case(actors["documenter"])
    client = as_user("documenter")
    client.post(
        reverse("admin:casefiles_casefile_note", args=[case_id]),
        {"text": "Called the witness.", "expected_version": 1},
    )
    client.post(
        reverse("admin:casefiles_casefile_source", args=[case_id]),
        {"title": "UN report", "origins": "OHCHR\n", "excerpt": "x", "expected_version": 2},
    )
    client.post(
        reverse("admin:casefiles_casefile_assign", args=[case_id]),
        {"assignee": users["documenter2"].pk, "expected_version": 3},
    )
    types = list(
        Event.objects.filter(case_id=case_id).order_by("version").values_list("type", flat=True)
    )
    assert types == ["CaseOpened", "NoteAdded", "SourceAttached", "CaseAssigned"]
    assert case_state(case_id).assignee == "dmitri"


def test_index_shows_integrity_alerts_and_the_signing_key_to_auditors(
    client, users, settings, tmp_path
):
    from datetime import UTC, datetime

    from casefiles.models import IntegrityAlert
    from casefiles.signing import signing_key

    settings.CASEFILES_SIGNING_KEY = tmp_path / "key" / "ed25519.key"
    IntegrityAlert.objects.create(
        detected_at=datetime.now(UTC),
        reference="CF-2026-000001",
        version=3,
        reason="rewritten since the checkpoint",
    )
    client.force_login(users["auditor"])
    page = client.get("/admin/").content.decode()
    assert "Integrity alert" in page and "rewritten since the checkpoint" in page
    assert signing_key().public.fingerprint in page
    # The key in the one form the verifier, trust files and witnesses take.
    assert signing_key().public.vkey in page
    client.force_login(users["documenter"])
    page = client.get("/admin/").content.decode()
    assert "Integrity alert" in page and signing_key().public.key_id not in page


def test_an_upload_in_a_language_without_rules_says_no_candidates_were_looked_for(
    as_user, monkeypatch
):
    """Not "cases opened: none", which would read as "nothing found"."""
    from django.contrib.messages import get_messages
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import transaction

    from casefiles.models import Ingestion

    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())
    text = (
        "Bericht aus der Ukraine\n\nRussische Soldaten haben im März 2022 in Butscha "
        "Zivilisten erschossen, sagten die Bewohner der Stadt. Die Staatsanwaltschaft "
        "ermittelt, und die Armee hat die Vorwürfe nicht kommentiert.\n"
    )
    client = as_user("documenter")
    response = client.post(
        reverse("admin:casefiles_ingestion_upload"),
        {"document": SimpleUploadedFile("bericht.txt", text.encode(), "text/plain")},
    )
    assert response.status_code == 302
    job = Ingestion.objects.get(filename="bericht.txt")
    assert (job.status, job.reason) == ("ingested", "not analysed: language de")
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    expected = "bericht.txt ingested, no candidates looked for: not analysed: language de"
    assert shown == [expected], shown
