"""A client that is not ours (issue 18): openapi-python-client generates a Python package
from the schema the server publishes, and that package alone walks a seed case from
upload to closed and exports it; the bundle then verifies against the key the API
published. Hand-written tests share our assumptions about the API; a generated client
only knows the schema, so it catches drift between the two (a missing field, a wrong
type, an undocumented status or header)."""

import importlib
import io
import json
import shutil
import subprocess
import sys
import time
import uuid
import zipfile
from pathlib import Path

import pytest
from django.conf import settings

from casefiles import verify_export
from casefiles.commands.tokens import token_issue
from tests.admin.test_browser import ON_SQLITE, server_url
from tests.conftest import make_user

__all__ = ["server_url"]  # the live-server fixture, shared with tests/admin/test_browser.py

# The live server as the browser tests run it: on SQLite it shares the test's connection
# (a flush would fail on the append-only tables), on PostgreSQL it commits for real.
pytestmark = pytest.mark.django_db(transaction=not ON_SQLITE)
SEED = Path(settings.BASE_DIR) / "seeds" / "004_06b981fa41532c02.txt"
GENERATOR = shutil.which("openapi-python-client", path=str(Path(sys.executable).parent))


@pytest.fixture
def _export_dir(settings, tmp_path):
    settings.CASEFILES_EXPORT_DIR = tmp_path / "exports"
    settings.CASEFILES_SIGNING_KEY = tmp_path / "signing" / "ed25519.key"


@pytest.fixture
def _tasks_run_in_the_request(monkeypatch):
    """On SQLite the test's transaction never commits: run each task queued on commit
    where it is queued (PostgreSQL commits, and the eager task runs after it)."""
    if ON_SQLITE:
        from django.db import transaction

        monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())


@pytest.fixture
def generated(server_url, tmp_path):
    """The client package generated from the live server's own /api/schema/."""
    if GENERATOR is None:
        pytest.skip("openapi-python-client is not installed (pip install -e '.[dev]')")
    import httpx

    schema = httpx.get(f"{server_url}/api/schema/?format=json", timeout=60)
    assert schema.status_code == 200
    (tmp_path / "schema.json").write_bytes(schema.content)
    name = f"casefiles_client_{uuid.uuid4().hex[:8]}"
    done = subprocess.run(
        [
            GENERATOR,
            "generate",
            "--path",
            str(tmp_path / "schema.json"),
            "--output-path",
            str(tmp_path / name),
            "--meta",
            "none",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(name), name
    finally:
        sys.path.remove(str(tmp_path))
        for module in [m for m in sys.modules if m == name or m.startswith(f"{name}.")]:
            del sys.modules[module]


def test_a_generated_client_walks_a_case_from_upload_to_closed_and_exports_it(
    server_url, generated, _export_dir, _tasks_run_in_the_request
):
    package, name = generated

    def api(path: str):
        return importlib.import_module(f"{name}.api.{path}")

    def model(class_name: str):
        return getattr(importlib.import_module(f"{name}.models"), class_name)

    def client_for(username: str, *roles: str):
        user = make_user(username, *roles)
        _, key = token_issue(user=user, issued_with="password")
        return package.AuthenticatedClient(
            base_url=server_url, token=key, prefix="Token", timeout=60
        )

    documenter = client_for("dora", "documenter")
    supervisor = client_for("sam", "supervisor")
    legal = client_for("lena", "legal_reviewer")
    auditor = client_for("aud", "auditor")

    def ok(response, status: int):
        assert response.status_code == status, response.content
        return response.parsed

    # Upload the seed article; ingestion opens candidate cases from it.
    from importlib import import_module

    types = import_module(f"{name}.types")
    upload = model("IngestionUploadRequest")(
        file=types.File(payload=io.BytesIO(SEED.read_bytes()), file_name=SEED.name)
    )
    job = ok(api("ingestions.ingestions_submit").sync_detailed(client=documenter, body=upload), 202)
    for _ in range(120):
        job = ok(api("ingestions.ingestions_read").sync_detailed(job.id, client=documenter), 200)
        if job.status != "queued":
            break
        time.sleep(0.5)
    assert job.status == "ingested", job.reason
    source_id = job.source_id

    # A case of our own, with the uploaded source attached as an exhibit.
    opened = ok(
        api("cases.cases_open").sync_detailed(
            client=documenter,
            body=model("CaseOpenInputRequest")(
                title="Execution of two prisoners of war near Novoivanovka",
                summary="Reported by the UN monitoring mission (HRMMU).",
                categories=[model("CategoriesEnum")("wilful_killing")],
                places=["Novoivanovka"],
            ),
        ),
        201,
    )
    case_id, version = opened.case_id, opened.version

    def write(path: str, status: int, client, **arguments):
        nonlocal version
        result = ok(
            api(path).sync_detailed(case_id, client=client, if_match=f'"{version}"', **arguments),
            status,
        )
        version = result.version
        return result

    def move(to_state: str, requester, reason: str):
        nonlocal version
        requested = write(
            "cases.cases_request_transition",
            201,
            requester,
            body=model("TransitionInputRequest")(
                to_state=model("CaseStateEnum")(to_state), reason=reason
            ),
        )
        request_id = requested.events[0].payload["request_id"]
        approved = ok(
            api("approvals.approvals_approve").sync_detailed(
                uuid.UUID(request_id),
                client=supervisor,
                if_match=f'"{version}"',
                body=model("DecisionInputRequest")(reason="checked"),
            ),
            200,
        )
        version = approved.version

    move("sourcing", documenter, "title, summary and category are there")
    attached = write(
        "cases.cases_attach_source",
        201,
        documenter,
        body=model("SourceAttachInputRequest")(source_id=source_id),
    )
    assert attached.events[0].type_ == "SourceAttached"
    move("corroboration", documenter, "the UN report is attached")
    write(
        "cases.cases_waive_criteria",
        201,
        supervisor,
        body=model("WaiverInputRequest")(
            reason="a second independent origin is being sought; legal review may start"
        ),
    )
    move("legal_review", legal, "ready for legal review")
    write(
        "cases.cases_edit",
        200,
        legal,
        body=model("PatchedCaseEditInputRequest")(
            outcome=model("OutcomeEnum")("referred"),
            legal_qualification="Referred to the prosecutor under art. 8(2)(a)(i).",
        ),
    )
    move("closed", legal, "referred")
    case = ok(api("cases.cases_read").sync_detailed(case_id, client=auditor), 200)
    assert case.state == "closed" and case.version == version

    # The auditor exports it and verifies the bundle against the key the API published.
    export = ok(api("cases.cases_export").sync_detailed(case_id, client=auditor), 202)
    for _ in range(120):
        export = ok(api("exports.exports_read").sync_detailed(export.id, client=auditor), 200)
        if export.status != "queued":
            break
        time.sleep(0.5)
    assert export.status == "ready", export.reason
    bundle = api("exports.exports_download").sync_detailed(export.id, client=auditor)
    assert bundle.status_code == 200
    path = Path(settings.CASEFILES_EXPORT_DIR) / "downloaded.zip"
    path.write_bytes(bundle.content)
    key = ok(api("signing_key.signing_key").sync_detailed(client=auditor), 200)
    assert verify_export.main([str(path), "--public-key", key.vkey]) == 0
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert manifest["case"]["version"] == version
        originals = [n for n in archive.namelist() if n.startswith("sources/")]
        assert originals, archive.namelist()
