import io
import zipfile

import pytest
from django.urls import reverse

from casefiles import signing
from casefiles.models import Event
from casefiles.verify_export import verify
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def test_signing_key_endpoint_gives_the_public_half_to_anyone_with_a_role(client, users):
    client.force_login(users["documenter"])
    response = client.get("/api/signing-key/")
    key = signing.signing_key().public
    assert response.status_code == 200
    assert response.json() == {
        "algorithm": "ed25519",
        "vkey": key.vkey,
        "public_key": key.base64,
        "key_id": key.key_id,
        "fingerprint": key.fingerprint,
    }
    assert b"PRIVATE" not in response.content


def test_signing_key_endpoint_refuses_strangers(client, db):
    assert client.get("/api/signing-key/").status_code in (401, 403)
    client.force_login(make_user("norole"))
    assert client.get("/api/signing-key/").status_code == 403


@pytest.mark.parametrize("who", ["auditor", "supervisor"])
def test_auditors_and_supervisors_download_a_verifiable_bundle(
    client, users, case_id, tmp_path, who
):
    client.force_login(users[who])
    response = client.post(reverse("casefiles-export-case", args=[case_id]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    body = b"".join(response.streaming_content)
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        manifest = archive.read("manifest.json").decode()
    reference = manifest.split('"reference": "')[1].split('"')[0]
    assert f'filename="{reference}-v' in response["Content-Disposition"]
    assert f'"exported_by": "{users[who].username}"' in manifest
    path = tmp_path / "download.zip"
    path.write_bytes(body)
    assert verify(str(path), expected_key=signing.signing_key().public.raw).reference == reference


def test_other_roles_cannot_export(client, users, case_id):
    client.force_login(users["documenter"])
    response = client.post(reverse("casefiles-export-case", args=[case_id]))
    assert response.status_code == 403
    assert response.content.decode() == (
        "dora (documenter) may not export a case: needs the role auditor or supervisor"
    )


def test_unknown_case_and_anonymous(client, users):
    url = reverse("casefiles-export-case", args=["00000000-0000-4000-8000-000000000000"])
    response = client.get(url)
    assert response.status_code == 302 and "/admin/login/" in response.url
    client.force_login(users["auditor"])
    response = client.post(url)
    assert response.status_code == 404
    assert "no case with id 00000000-0000-4000-8000-000000000000" in response.content.decode()


def test_a_get_exports_nothing_and_records_nothing(client, users, case_id):
    """Recording an export is a change to the case: a prefetch or a followed link (GET)
    must not add a CaseExported event."""
    client.force_login(users["auditor"])
    events = Event.objects.filter(case_id=case_id).count()
    response = client.get(reverse("casefiles-export-case", args=[case_id]))
    assert response.status_code == 405
    assert Event.objects.filter(case_id=case_id).count() == events
