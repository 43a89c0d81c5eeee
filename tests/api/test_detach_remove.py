"""Corrections that keep the history: a source detached from a case (SourceDetached), a
person removed from it (PersonRemoved), each with a reason, through the command, the
API and the admin; the export keeps what was taken out and says so."""

import json

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from casefiles import blobs, projections
from casefiles.commands import case_edit
from casefiles.commands.facts import fact_record, fact_support
from casefiles.commands.persons import person_add
from casefiles.commands.sources import source_detach
from casefiles.domain.facts import corroboration_panel
from casefiles.errors import InvalidCommand, NotFound, PermissionDenied
from casefiles.export.bundle import export_case
from casefiles.models import CaseFile, CaseSource, Event, ProtectedIdentity
from casefiles.selectors import case_state
from casefiles.verify_export import COMPLETE
from tests.api.test_cases import problem
from tests.export import tampering
from tests.factories import exhibit, move, open_case

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _signing_key(settings, tmp_path):
    settings.CASEFILES_SIGNING_KEY = tmp_path / "signing" / "ed25519.key"


@pytest.fixture
def case(actors) -> dict:
    """A case whose one fact is corroborated by two independent origins, one of them a
    clip that turns out to show another town."""
    documenter = actors["documenter"]
    case_id = open_case(documenter)
    # Exhibits with stored texts (seeds 004 and 003), so that spans can be cited.
    un = {"source_id": exhibit(documenter, case_id, "004", ["HRMMU"], title="UN report")}
    clip_id = exhibit(documenter, case_id, "003", ["Telegram channel"], title="Clip")
    clip = {
        "source_id": clip_id,
        "content_sha256": next(
            s.content_sha256 for s in case_state(case_id).sources if s.source_id == clip_id
        ),
    }
    fact = fact_record(actor=documenter, case_id=case_id, text="Shelling at 10:00")
    fact_id = fact.events[0].payload["fact_id"]
    for source, quote in ((un, "shot dead on the spot"), (clip, "the Kursk region of Russia")):
        fact_support(
            actor=documenter,
            case_id=case_id,
            fact_id=fact_id,
            source_id=source["source_id"],
            quote=quote,
        )
    return {
        "id": case_id,
        "un": un["source_id"],
        "clip": clip["source_id"],
        "sha": clip["content_sha256"],
    }


def _detach_url(case_id, source_id) -> str:
    return f"/api/cases/{case_id}/sources/{source_id}/detach/"


def test_detaching_over_the_api_takes_the_source_out_of_the_evidence(api, case):
    before = case_state(case["id"])
    assert before.independent_origins == 2
    assert corroboration_panel(before)[0]["status"] == "corroborated"
    response = api["documenter"].post(
        _detach_url(case["id"], case["clip"]),
        {"reason": "the clip shows another town"},
        format="json",
        HTTP_IF_MATCH=f'"{before.version}"',
    )
    assert response.status_code == 200, response.content
    event = response.json()["events"][0]
    assert event["type"] == "SourceDetached"
    assert event["payload"] == {
        "source_id": case["clip"],
        "title": "Clip",
        "content_sha256": case["sha"],
        "reason": "the clip shows another town",
    }
    after = case_state(case["id"])
    assert [s.source_id for s in after.sources] == [case["un"]]
    assert not CaseSource.objects.filter(case_id=case["id"], source_id=case["clip"]).exists()
    row = CaseFile.objects.get(pk=case["id"])
    assert (row.source_count, row.independent_origins) == (1, 1)
    # The fact's support citing the detached source is kept in the history, and no
    # longer counts toward its corroboration.
    assert [s["source_id"] for s in after.facts[0]["support"]] == [case["un"], case["clip"]]
    panel = corroboration_panel(after)[0]
    assert panel["sources"] == ["UN report"] and panel["status"] == "single_origin"
    detail = api["auditor"].get(f"/api/cases/{case['id']}/").json()
    assert [s["title"] for s in detail["sources"]] == ["UN report"]
    # What the projection did equals a rebuild from the events.
    live = projections.snapshot()
    projections.rebuild()
    assert projections.diff(live, projections.snapshot()) == []


def test_detaching_is_refused_without_a_reason_or_a_role(api, anon, case):
    version = case_state(case["id"]).version
    url = _detach_url(case["id"], case["clip"])
    body = problem(
        api["documenter"].post(url, {"reason": "  "}, format="json", HTTP_IF_MATCH=f'"{version}"'),
        422,
    )
    assert "reason is required" in body["detail"]
    problem(api["documenter"].post(url, {}, format="json", HTTP_IF_MATCH=f'"{version}"'), 422)
    problem(
        api["auditor"].post(url, {"reason": "x"}, format="json", HTTP_IF_MATCH=f'"{version}"'),
        403,
    )
    problem(anon.post(url, {"reason": "x"}, format="json", HTTP_IF_MATCH=f'"{version}"'), 401)
    forged = APIClient()
    forged.credentials(HTTP_AUTHORIZATION="Token cf_forged")
    problem(forged.post(url, {"reason": "x"}, format="json", HTTP_IF_MATCH=f'"{version}"'), 401)
    problem(api["documenter"].post(url, {"reason": "x"}, format="json"), 428)
    unknown = _detach_url(case["id"], "6f1c2b1e-0000-4000-8000-000000000000")
    problem(
        api["documenter"].post(
            unknown, {"reason": "x"}, format="json", HTTP_IF_MATCH=f'"{version}"'
        ),
        404,
    )
    assert case_state(case["id"]).version == version
    assert len(case_state(case["id"]).sources) == 2


def test_a_detached_source_cannot_be_detached_or_graded_again(actors, case):
    source_detach(
        actor=actors["documenter"], case_id=case["id"], source_id=case["clip"], reason="wrong"
    )
    with pytest.raises(NotFound, match="has no source"):
        source_detach(
            actor=actors["documenter"], case_id=case["id"], source_id=case["clip"], reason="x"
        )
    with pytest.raises(PermissionDenied):
        source_detach(actor=actors["auditor"], case_id=case["id"], source_id=case["un"], reason="x")


def test_a_closed_case_keeps_its_sources(actors, case):
    documenter, supervisor = actors["documenter"], actors["supervisor"]
    for state in ("sourcing", "corroboration", "legal_review"):
        move(documenter, supervisor, case["id"], state)
    case_edit(
        actor=actors["legal"],
        case_id=case["id"],
        outcome="referred",
        legal_qualification="referred to the national prosecutor",
    )
    move(actors["legal"], supervisor, case["id"], "closed")
    with pytest.raises(InvalidCommand, match="is closed"):
        source_detach(actor=documenter, case_id=case["id"], source_id=case["clip"], reason="x")


def test_the_export_keeps_the_detached_original_and_says_it_was_detached(actors, case, tmp_path):
    source_detach(
        actor=actors["documenter"],
        case_id=case["id"],
        source_id=case["clip"],
        reason="the clip shows another town",
    )
    path = tmp_path / "case.zip"
    with open(path, "wb") as out:
        export_case(case["id"], exported_by="aud", out=out)
    assert tampering.verified(path).count == case_state(case["id"]).version
    files = tampering.members(path)
    assert files[f"sources/{case['sha']}.txt"] == blobs.read(case["sha"])
    report = files["report.html"].decode()
    current, detached = report.split("<h2>Detached sources (1)")
    assert "<h2>Sources (1)</h2>" in current and "UN report" in current
    assert "Clip" not in current.split("<h2>Sources (1)</h2>")[1].split("<h2>")[0]
    assert "<th>Detached</th>" in detached and "dora: the clip shows another town" in detached
    assert "Detached source “Clip”: the clip shows another town" in report  # the timeline


def _admin_case(client, case_id) -> str:
    return client.get(reverse("admin:casefiles_casefile_change", args=[case_id])).content.decode()


def test_the_admin_offers_detaching_to_writers_only_and_records_the_reason(client, users, case):
    url = reverse("admin:casefiles_casefile_detach", args=[case["id"], case["clip"]])
    client.force_login(users["auditor"])
    assert url not in _admin_case(client, case["id"])
    assert client.post(url, {"reason": "x", "expected_version": 5}).status_code == 403
    client.force_login(users["documenter"])
    assert url in _admin_case(client, case["id"])
    page = client.get(url).content.decode()
    assert "Detach the source" in page and "Clip" in page
    version = case_state(case["id"]).version
    refused = client.post(url, {"reason": "", "expected_version": version})
    assert refused.status_code == 200 and case_state(case["id"]).version == version
    response = client.post(
        url, {"reason": "another town", "expected_version": version, "button": "detach"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    event = Event.objects.get(case_id=case["id"], version=version + 1)
    assert (event.type, event.payload["reason"]) == ("SourceDetached", "another town")
    assert url not in _admin_case(client, case["id"])


def test_the_admin_action_speaks_ukrainian(client, users, case):
    client.force_login(users["documenter"])
    url = reverse("admin:casefiles_casefile_detach", args=[case["id"], case["clip"]])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="uk").content.decode()
    assert "Від’єднати джерело" in page


REAL_NAME = "Oleksandra Hrytsenko"


@pytest.fixture
def witness(actors) -> dict:
    case_id = open_case(actors["documenter"])
    outcome = person_add(
        actor=actors["documenter"],
        case_id=case_id,
        role="witness",
        name=REAL_NAME,
        protected=True,
    )
    return {"case_id": case_id, **outcome.events[0].payload}


def test_removing_a_protected_person_keeps_the_commitment_and_never_shows_the_name(
    api, actors, witness, tmp_path
):
    case_id, person_id = witness["case_id"], witness["person_id"]
    url = f"/api/cases/{case_id}/persons/{person_id}/remove/"
    version = case_state(case_id).version
    problem(
        api["auditor"].post(url, {"reason": "x"}, format="json", HTTP_IF_MATCH=f'"{version}"'),
        403,
    )
    problem(api["documenter"].post(url, {}, format="json", HTTP_IF_MATCH=f'"{version}"'), 422)
    response = api["documenter"].post(
        url, {"reason": "added to the wrong case"}, format="json", HTTP_IF_MATCH=f'"{version}"'
    )
    assert response.status_code == 200, response.content
    assert REAL_NAME not in response.content.decode()
    event = response.json()["events"][0]
    assert event["type"] == "PersonRemoved"
    assert event["payload"] == {
        "person_id": person_id,
        "role": "witness",
        "pseudonym": witness["pseudonym"],
        "protected": True,
        "name": None,
        "reason": "added to the wrong case",
    }
    assert case_state(case_id).persons == ()
    detail = api["documenter"].get(f"/api/cases/{case_id}/").json()
    assert detail["persons"] == []
    # The history keeps the person and the commitment; the identity stays in its store.
    added = Event.objects.get(case_id=case_id, type="PersonAdded")
    assert added.payload["identity_commitment"] == witness["identity_commitment"]
    assert ProtectedIdentity.objects.filter(person_id=person_id).exists()
    assert REAL_NAME not in json.dumps([e.payload for e in Event.objects.filter(case_id=case_id)])
    # Removed, the person can no longer be removed or looked up through the case.
    problem(
        api["documenter"].post(
            url, {"reason": "x"}, format="json", HTTP_IF_MATCH=f'"{version + 1}"'
        ),
        404,
    )

    redacted, complete = tmp_path / "redacted.zip", tmp_path / "complete.zip"
    with open(redacted, "wb") as out:
        export_case(case_id, exported_by="aud", out=out)
    files = tampering.members(redacted)
    report = files["report.html"].decode()
    assert REAL_NAME not in report and REAL_NAME.encode() not in b"".join(files.values())
    assert (
        f"Removed witness {witness['pseudonym']} (protected: shown under a pseudonym): "
        "added to the wrong case"
    ) in report
    with open(complete, "wb") as out:
        export_case(case_id, exported_by="aud", out=out, kind=COMPLETE)
    identities = json.loads(tampering.members(complete)["protected/identities.json"])
    assert [i["person_id"] for i in identities] == [person_id]
    assert tampering.verified(complete).count == case_state(case_id).version


def test_the_admin_removes_a_person_without_naming_them(client, users, witness):
    case_id, person_id = witness["case_id"], witness["person_id"]
    url = reverse("admin:casefiles_casefile_remove", args=[case_id, person_id])
    client.force_login(users["auditor"])
    assert client.get(url).status_code == 403
    client.force_login(users["documenter"])
    assert url in _admin_case(client, case_id)
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="uk").content.decode()
    assert "Вилучити особу" in page and witness["pseudonym"] in page and REAL_NAME not in page
    version = case_state(case_id).version
    response = client.post(
        url,
        {"reason": "wrong case", "expected_version": version, "button": "remove"},
        follow=True,
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert f"{witness['pseudonym']} was removed from" in page and REAL_NAME not in page
    assert Event.objects.get(case_id=case_id, version=version + 1).type == "PersonRemoved"
    assert url not in _admin_case(client, case_id)
