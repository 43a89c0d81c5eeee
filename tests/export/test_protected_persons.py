"""A redacted export (what an exporter without clearance gets) never carries a protected
person's real name, even after a cleared user looked at it: the chain holds only the
pseudonym and a salted commitment, and the report is written from the chain. The bundle
still verifies."""

import io
import shutil
import subprocess
import zipfile

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from casefiles import signing
from casefiles.commands.persons import identity_reveal, person_add
from casefiles.domain.actors import Actor
from casefiles.export.bundle import export_case
from casefiles.models import ProtectedIdentity
from casefiles.selectors import case_state
from casefiles.verify_export import verify
from tests.conftest import make_user

pytestmark = pytest.mark.django_db
NAME = "Olena Kovalenko"
PSEUDONYM = "Witness Kestrel"


def _cleared(user) -> Actor:
    user.user_permissions.add(Permission.objects.get(codename="reveal_identity"))
    return Actor.for_user(type(user).objects.get(pk=user.pk))  # a fresh permission cache


@pytest.fixture
def protected_case(case_id, actors, users) -> str:
    """The conftest case (in legal review) with a protected witness whose identity a
    cleared legal reviewer has looked at, and an unprotected unit."""
    person = person_add(
        actor=actors["documenter"],
        case_id=case_id,
        role="witness",
        name=NAME,
        pseudonym=PSEUDONYM,
        protected=True,
    )
    person_add(actor=actors["documenter"], case_id=case_id, role="unit", name="Brigade 155")
    person_id = person.events[0].payload["person_id"]
    assert (
        identity_reveal(
            actor=_cleared(users["legal"]),
            case_id=case_id,
            person_id=person_id,
            reason="prepare the hearing",
        )
        == NAME
    )
    assert ProtectedIdentity.objects.get(person_id=person_id).name == NAME
    return case_id


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def _assert_pseudonymous(files: dict[str, bytes]) -> None:
    for name, data in files.items():
        assert b"kovalenko" not in data.lower(), name
    assert {"events.jsonl", "manifest.json", "manifest.sig", "report.html", "report.pdf"} <= set(
        files
    )
    assert PSEUDONYM.encode() in files["events.jsonl"]
    assert PSEUDONYM in files["report.html"].decode()
    assert "Brigade 155" in files["report.html"].decode()


def test_the_bundle_holds_the_pseudonym_only_and_verifies(protected_case, tmp_path):
    path = tmp_path / "bundle.zip"
    with open(path, "wb") as out:
        manifest = export_case(protected_case, exported_by="aud", out=out)
    files = _members(path.read_bytes())
    _assert_pseudonymous(files)
    assert b'"IdentityRevealed"' in files["events.jsonl"]
    assert b'"protected":true' in files["events.jsonl"]
    result = verify(str(path), expected_key=signing.signing_key().public.raw)
    case = case_state(protected_case)
    assert (result.count, result.head_hash) == (case.version, case.head_hash)
    assert manifest["events"]["count"] == case.version


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_the_pdf_report_text_holds_the_pseudonym_only(protected_case, tmp_path):
    out = io.BytesIO()
    export_case(protected_case, exported_by="aud", out=out)
    text = " ".join(_pdf_text(_members(out.getvalue())["report.pdf"], tmp_path).split())
    assert "kovalenko" not in text.lower()
    assert PSEUDONYM in text


@pytest.mark.parametrize("who", ["auditor", "supervisor"])
def test_exporters_without_clearance_download_a_pseudonymous_verifiable_bundle(
    client, users, protected_case, tmp_path, who
):
    version = case_state(protected_case).version
    client.force_login(users[who])
    response = client.post(reverse("casefiles-export-case", args=[protected_case]))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    files = _members(body)
    _assert_pseudonymous(files)
    if shutil.which("pdftotext"):
        assert "kovalenko" not in _pdf_text(files["report.pdf"], tmp_path).lower()
    (tmp_path / "download.zip").write_bytes(body)
    assert (
        verify(str(tmp_path / "download.zip"), expected_key=signing.signing_key().public.raw).count
        == version
    )


@pytest.mark.parametrize("who", ["documenter", "legal", "cleared documenter"])
def test_users_who_may_not_export_get_a_refusal_without_the_name(
    client, users, protected_case, who
):
    user = make_user("clara", "documenter") if who == "cleared documenter" else users[who]
    if who.startswith("cleared"):
        _cleared(user)
    client.force_login(user)
    response = client.post(reverse("casefiles-export-case", args=[protected_case]))
    assert response.status_code == 403
    assert b"kovalenko" not in response.content.lower()
