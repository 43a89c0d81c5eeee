"""The API's asynchronous export: POST (202) → status → download, built by the Celery
task export_bundle and recorded on the case."""

import uuid

import pytest
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from casefiles.models import Event, ExportJob
from casefiles.selectors import case_state
from casefiles.tasks import export_bundle
from tests.export import tampering
from tests.factories import attach_lost_original, open_case

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _export_dir(settings, tmp_path):
    settings.CASEFILES_EXPORT_DIR = tmp_path / "exports"


def _client(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def _request(client, case_id, capture, body=None):
    with capture(execute=True):
        return client.post(f"/api/cases/{case_id}/exports/", body or {}, format="json")


def test_request_poll_download_and_the_record(
    case_id, users, tmp_path, django_capture_on_commit_callbacks
):
    before = case_state(case_id)
    client = _client(users["auditor"])
    response = _request(client, case_id, django_capture_on_commit_callbacks)
    assert response.status_code == 202, response.content
    job = response.json()
    assert response["Location"] == job["status_url"] == f"/api/exports/{job['id']}/"
    assert (job["case_id"], job["kind"], job["requested_by"]) == (case_id, "redacted", "aud")
    status = client.get(job["status_url"]).json()
    assert (status["status"], status["reason"]) == ("ready", "")
    assert status["download_url"] == f"/api/exports/{job['id']}/download/"
    download = client.get(status["download_url"])
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    path = tmp_path / "api.zip"
    path.write_bytes(b"".join(download.streaming_content))
    result = tampering.verified(path)
    assert (result.count, result.head_hash) == (before.version, before.head_hash)
    manifest = tampering.manifest(tampering.members(path))
    assert (manifest["export_id"], manifest["exported_by"]) == (job["id"], "aud")
    event = Event.objects.get(case_id=case_id, version=before.version + 1)
    assert (
        event.type,
        event.payload["export_id"],
        event.payload["exported_version"],
        event.payload["head_hash"],
    ) == ("CaseExported", job["id"], before.version, before.head_hash)


def test_the_task_is_idempotent_by_export_id(case_id, users, django_capture_on_commit_callbacks):
    job = _request(_client(users["supervisor"]), case_id, django_capture_on_commit_callbacks).json()
    version = case_state(case_id).version
    assert export_bundle(job["id"]) == "ready"
    assert case_state(case_id).version == version
    assert Event.objects.filter(case_id=case_id, type="CaseExported").count() == 1


def test_before_the_task_runs_the_download_is_not_ready(
    case_id, users, django_capture_on_commit_callbacks
):
    client = _client(users["auditor"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = client.post(f"/api/cases/{case_id}/exports/").json()
    assert len(callbacks) == 1
    assert client.get(job["status_url"]).json()["status"] == "queued"
    response = client.get(f"/api/exports/{job['id']}/download/")
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert f"export {job['id']} is still queued" in response.json()["detail"]


def test_a_failed_build_is_reported_with_its_reason(
    actors, users, django_capture_on_commit_callbacks
):
    case_id = open_case(actors["documenter"])
    lost = attach_lost_original(actors["documenter"], case_id, b"lost original e")
    client = _client(users["auditor"])
    job = _request(client, case_id, django_capture_on_commit_callbacks).json()
    status = client.get(job["status_url"]).json()
    assert status["status"] == "failed"
    assert f"the original {lost} is missing from the blob store" in status["reason"]
    assert client.get(f"/api/exports/{job['id']}/download/").status_code == 409
    assert not Event.objects.filter(case_id=case_id, type="CaseExported").exists()


def test_a_bundle_removed_from_storage_is_gone(
    case_id, users, settings, django_capture_on_commit_callbacks
):
    client = _client(users["auditor"])
    job = _request(client, case_id, django_capture_on_commit_callbacks).json()
    (settings.CASEFILES_EXPORT_DIR / f"{job['id']}.zip").unlink()
    assert client.get(f"/api/exports/{job['id']}/download/").status_code == 410


def test_anonymous_requests_get_401(case_id):
    client = _client()
    some = uuid.uuid4()
    for response in (
        client.post(f"/api/cases/{case_id}/exports/"),
        client.get(f"/api/exports/{some}/"),
        client.get(f"/api/exports/{some}/download/"),
    ):
        assert response.status_code == 401
        assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("who", ["documenter", "legal"])
def test_only_auditors_and_supervisors_may_request(case_id, users, who):
    response = _client(users[who]).post(f"/api/cases/{case_id}/exports/")
    assert response.status_code == 403
    assert (
        "may not export a case: needs the role auditor or supervisor" in response.json()["detail"]
    )
    assert not ExportJob.objects.exists()


def test_only_the_requester_and_auditors_see_a_job(
    case_id, users, django_capture_on_commit_callbacks
):
    job = _request(_client(users["supervisor"]), case_id, django_capture_on_commit_callbacks).json()
    urls = (job["status_url"], f"/api/exports/{job['id']}/download/")
    for url in urls:
        assert _client(users["supervisor"]).get(url).status_code == 200
        assert _client(users["auditor"]).get(url).status_code == 200
        refused = _client(users["supervisor2"]).get(url)
        assert refused.status_code == 403
        assert refused.json()["detail"] == (
            f"export {job['id']} was requested by sam; only they and auditors may see it"
        )
        assert _client(users["documenter"]).get(url).status_code == 403


def test_unknown_case_or_export_and_bad_kind(case_id, users):
    client = _client(users["auditor"])
    missing = uuid.uuid4()
    assert client.post(f"/api/cases/{missing}/exports/").status_code == 404
    assert client.get(f"/api/exports/{missing}/").status_code == 404
    assert client.get(f"/api/exports/{missing}/download/").status_code == 404
    bad = client.post(f"/api/cases/{case_id}/exports/", {"kind": "all"}, format="json")
    assert bad.status_code == 422 and "kind" in bad.json()["errors"]
    refused = client.post(f"/api/cases/{case_id}/exports/", {"kind": "complete"}, format="json")
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("aud has no clearance")


def test_a_cleared_requester_gets_a_complete_bundle(
    case_id, users, tmp_path, django_capture_on_commit_callbacks
):
    auditor = users["auditor"]
    auditor.user_permissions.add(Permission.objects.get(codename="reveal_identity"))
    client = _client(type(auditor).objects.get(pk=auditor.pk))
    job = _request(client, case_id, django_capture_on_commit_callbacks).json()
    assert job["kind"] == "complete"
    path = tmp_path / "c.zip"
    path.write_bytes(b"".join(client.get(f"/api/exports/{job['id']}/download/").streaming_content))
    assert tampering.verified(path).kind == "complete"
    redacted = _request(
        client, case_id, django_capture_on_commit_callbacks, {"kind": "redacted"}
    ).json()
    assert redacted["kind"] == "redacted"
