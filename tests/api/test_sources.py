"""Uploads, ingestion jobs, sources and their stored originals over HTTP."""

import base64
import hashlib
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from casefiles import blobs
from casefiles.models import Ingestion, Source
from tests.api.test_cases import problem

pytestmark = pytest.mark.django_db
SEED = Path(settings.BASE_DIR) / "seeds" / "004_06b981fa41532c02.txt"


def upload(client, data: bytes, name: str = "report.txt"):
    return client.post(
        "/api/ingestions/", {"file": SimpleUploadedFile(name, data)}, format="multipart"
    )


@pytest.fixture
def ingested(api, django_capture_on_commit_callbacks) -> dict:
    """The seed uploaded by the documenter and ingested (the task runs on commit)."""
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(api["documenter"], SEED.read_bytes(), SEED.name)
    assert response.status_code == 202, response.content
    return response.json()


def test_upload_is_accepted_then_ingested(api, ingested):
    assert ingested["status"] == "queued"
    assert ingested["content_sha256"] == hashlib.sha256(SEED.read_bytes()).hexdigest()
    job = api["auditor"].get(f"/api/ingestions/{ingested['id']}/")
    assert job.status_code == 200
    body = job.json()
    assert body["status"] == "ingested", body
    assert body["source_id"] and body["case_references"]
    assert body["submitted_by"] == "dora"


def test_source_list_detail_and_original(api, ingested):
    source = Source.objects.get()
    listed = api["auditor"].get("/api/sources/").json()
    assert [row["id"] for row in listed["results"]] == [str(source.pk)]

    detail = api["auditor"].get(f"/api/sources/{source.pk}/")
    assert detail.status_code == 200
    body = detail.json()
    assert body["content_sha256"] == source.content_sha256
    assert body["origins"] and body["cases"]
    assert {c["reference"] for c in body["cases"]} == set(
        api["auditor"].get(f"/api/ingestions/{ingested['id']}/").json()["case_references"]
    )

    original = api["auditor"].get(
        f"/api/sources/{source.pk}/original/", HTTP_ACCEPT="application/json"
    )
    assert original.status_code == 200
    assert original.content == SEED.read_bytes()
    assert original["X-Content-SHA256"] == hashlib.sha256(original.content).hexdigest()
    digest = base64.b64encode(hashlib.sha256(original.content).digest()).decode()
    assert original["Repr-Digest"] == f"sha-256=:{digest}:"
    assert original["Content-Type"].startswith(source.media_type)
    assert original["Content-Type"].startswith("text/plain")
    assert original["Content-Disposition"].startswith("attachment;")


def test_a_source_stream_is_not_a_case(api, ingested):
    source_id = Source.objects.get().pk
    problem(api["auditor"].get(f"/api/cases/{source_id}/", {"as_of": "1"}), 404, "not-found")
    problem(api["auditor"].get(f"/api/cases/{source_id}/events/"), 404, "not-found")


def test_source_search(api, ingested):
    title = Source.objects.get().title
    assert api["auditor"].get("/api/sources/", {"q": title[:12].upper()}).json()["count"] == 1
    assert api["auditor"].get("/api/sources/", {"q": "no such words"}).json()["count"] == 0


def test_uploading_the_same_bytes_again_is_a_duplicate(api, ingested):
    again = upload(api["supervisor"], SEED.read_bytes())
    assert again.status_code == 202
    assert again.json()["status"] == "duplicate"
    assert again.json()["source_id"] == str(Source.objects.get().pk)
    assert again["Location"] == f"/api/ingestions/{again.json()['id']}/"


def test_a_missing_original_is_a_clear_500(api, ingested):
    source = Source.objects.get()
    path = blobs.path_for(source.content_sha256)
    path.chmod(0o644)
    path.write_bytes(b"tampered")
    body = problem(
        api["auditor"].get(f"/api/sources/{source.pk}/original/"), 500, "original-unavailable"
    )
    assert "does not match its hash" in body["detail"]


def test_auditors_may_not_upload(api):
    body = problem(upload(api["auditor"], b"some text"), 403, "permission-denied")
    assert "auditor" in body["detail"]
    assert not Ingestion.objects.exists()


def test_bad_uploads_get_clear_problems(api, monkeypatch):
    client = api["documenter"]
    body = problem(client.post("/api/ingestions/", {}, format="multipart"), 422)
    assert "file" in body["errors"]
    problem(client.post("/api/ingestions/", {"file": "x"}, format="json"), 415)

    monkeypatch.setattr("casefiles.api.sources.MAX_BYTES", 10)
    body = problem(upload(client, b"x" * 11), 413, "document-too-large")
    job = Ingestion.objects.get(pk=body["ingestion"])
    assert job.status == Ingestion.FAILED and job.reason == body["detail"]


def test_unknown_source_and_ingestion_are_404(api):
    for path in (
        f"/api/sources/{uuid.uuid4()}/",
        f"/api/sources/{uuid.uuid4()}/original/",
        f"/api/ingestions/{uuid.uuid4()}/",
    ):
        problem(api["auditor"].get(path), 404, "not-found")
