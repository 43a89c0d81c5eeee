"""Bundle kinds: redacted for exporters without clearance, complete (with the protected
identities behind the commitments) for cleared ones; the verifier checks each
commitment, and reads a bundle without `kind` as redacted."""

import hashlib
import json

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from casefiles import signing
from casefiles.commands.exports import export_recorded
from casefiles.commands.persons import person_add
from casefiles.domain.actors import Actor
from casefiles.domain.hashing import identity_commitment
from casefiles.export.bundle import export_case
from casefiles.models import ProtectedIdentity
from casefiles.verify_export import Failed, verify
from casefiles.verify_export import identity_commitment as commitment
from tests.export import tampering

pytestmark = pytest.mark.django_db
NAME = "Olena Kovalenko"
SECOND = "Петро Шевченко"


def _clear(user) -> Actor:
    user.user_permissions.add(Permission.objects.get(codename="reveal_identity"))
    return Actor.for_user(type(user).objects.get(pk=user.pk))  # a fresh permission cache


@pytest.fixture
def persons(case_id, actors) -> list[str]:
    ids = []
    for name, pseudonym in ((NAME, "Witness Kestrel"), (SECOND, "Victim Heron")):
        outcome = person_add(
            actor=actors["documenter"],
            case_id=case_id,
            role="witness",
            name=name,
            pseudonym=pseudonym,
            protected=True,
        )
        ids.append(outcome.events[0].payload["person_id"])
    person_add(actor=actors["documenter"], case_id=case_id, role="unit", name="Brigade 155")
    return ids


def _export(actor: Actor, case_id, path, kind=None):
    with open(path, "wb") as out:
        manifest = export_recorded(actor, case_id, out=out, kind=kind)
    return manifest, tampering.members(path)


def test_the_verifier_uses_the_core_commitment_rule():
    assert (
        commitment("ab12", NAME)
        == identity_commitment("ab12", NAME)
        == hashlib.sha256(f"ab12:{NAME}".encode()).hexdigest()
    )


def test_a_cleared_auditor_gets_a_complete_bundle(case_id, persons, users, tmp_path):
    manifest, files = _export(_clear(users["auditor"]), case_id, tmp_path / "c.zip")
    assert manifest["kind"] == "complete"
    identities = json.loads(files["protected/identities.json"])
    stored = {str(row.person_id): row for row in ProtectedIdentity.objects.all()}
    assert identities == [
        {"person_id": p, "name": stored[p].name, "salt": stored[p].salt} for p in persons
    ]
    assert {"protected/identities.json"} <= {f["path"] for f in manifest["files"]}
    # The names are in that file only: not in the chain, not in the report.
    for name, data in files.items():
        if name != "protected/identities.json":
            assert NAME.encode() not in data and SECOND.encode() not in data, name
    result = verify(str(tmp_path / "c.zip"), expected_key=signing.signing_key().public.raw)
    assert result.kind == "complete" and ", complete bundle;" in str(result)
    assert "complete: protected persons" in files["report.html"].decode()


@pytest.mark.parametrize("who", ["auditor", "supervisor", "cleared asking for redacted"])
def test_without_clearance_or_by_choice_the_bundle_is_redacted(
    case_id, persons, users, tmp_path, who
):
    if who.startswith("cleared"):
        actor, kind = _clear(users["auditor"]), "redacted"
    else:
        actor, kind = Actor.for_user(users[who]), None
    manifest, files = _export(actor, case_id, tmp_path / "r.zip", kind)
    assert manifest["kind"] == "redacted"
    assert not [name for name in files if name.startswith("protected/")]
    for name, data in files.items():
        assert b"kovalenko" not in data.lower() and SECOND.encode() not in data, name
    assert b"Witness Kestrel" in files["events.jsonl"]
    assert (
        "redacted: protected persons appear under their pseudonyms only"
        in files["report.html"].decode()
    )
    assert tampering.verified(tmp_path / "r.zip").kind == "redacted"


def test_the_admin_download_is_complete_for_a_cleared_auditor(
    client, case_id, persons, users, tmp_path
):
    _clear(users["auditor"])
    client.force_login(users["auditor"])
    url = reverse("casefiles-export-case", args=[case_id])
    files = tampering.members(_download(client, url, tmp_path / "dl.zip"))
    assert tampering.manifest(files)["kind"] == "complete"
    assert NAME in files["protected/identities.json"].decode()
    redacted = tampering.members(_download(client, url, tmp_path / "r.zip", kind="redacted"))
    assert tampering.manifest(redacted)["kind"] == "redacted"
    client.force_login(users["supervisor"])
    refused = client.post(url, {"kind": "complete"})
    assert (refused.status_code, refused.content.decode()) == (
        403,
        "sam has no clearance for protected identities: only a redacted export is possible",
    )
    assert client.post(url, {"kind": "everything"}).status_code == 400


def _download(client, url, path, **data):
    response = client.post(url, data)
    assert response.status_code == 200, response.content
    path.write_bytes(b"".join(response.streaming_content))
    return path


# ------------------------------------------------------- the verifier and the identities


@pytest.fixture
def complete(case_id, persons, users, tmp_path) -> dict[str, bytes]:
    return _export(_clear(users["auditor"]), case_id, tmp_path / "c.zip")[1]


def _identities(files) -> list[dict]:
    return json.loads(files["protected/identities.json"])


def _with_identities(files, entries) -> dict[str, bytes]:
    return tampering.resign({**files, "protected/identities.json": json.dumps(entries).encode()})


def _without_identities(files) -> dict[str, bytes]:
    rest = {k: v for k, v in files.items() if k != "protected/identities.json"}
    listed = [
        f for f in tampering.manifest(files)["files"] if f["path"] != "protected/identities.json"
    ]
    return tampering.resign(rest, {"files": listed})


def _renamed(entries, index, name):
    return [{**e, "name": name} if i == index else e for i, e in enumerate(entries)]


FORGERIES = {
    "a name changed": (
        lambda f: _with_identities(f, _renamed(_identities(f), 0, "Someone Else")),
        "the identity in protected/identities.json for person {first} does not match the "
        "commitment in its PersonAdded event",
    ),
    "a salt changed": (
        lambda f: _with_identities(f, [{**e, "salt": "00"} for e in _identities(f)]),
        "does not match the commitment",
    ),
    "a person left out": (
        lambda f: _with_identities(f, _identities(f)[:1]),
        "the bundle is complete but protected/identities.json lacks protected person {second}",
    ),
    "a person who is not protected": (
        lambda f: _with_identities(
            f,
            [
                *_identities(f),
                {"person_id": "00000000-0000-4000-8000-000000000000", "name": "x", "salt": "y"},
            ],
        ),
        "lists person 00000000-0000-4000-8000-000000000000, who is not a protected person",
    ),
    "a person twice": (
        lambda f: _with_identities(f, [*_identities(f), _identities(f)[0]]),
        "protected/identities.json lists person {first} twice",
    ),
    "an entry of the wrong shape": (
        lambda f: _with_identities(f, [{**_identities(f)[0], "note": "x"}]),
        "protected/identities.json entry 0 is not an object of the strings",
    ),
    "identities removed from a complete bundle": (
        _without_identities,
        "the bundle is complete but holds no protected/identities.json",
    ),
    "identities in a bundle called redacted": (
        lambda f: tampering.resign(f, {"kind": "redacted"}),
        "the bundle is redacted but holds protected/identities.json",
    ),
    "an unknown kind": (
        lambda f: tampering.resign(f, {"kind": "partial"}),
        "the manifest's kind is 'partial'",
    ),
    "another file under protected/": (
        lambda f: tampering.resign(
            {**f, "protected/notes.txt": b"x"},
            {"files": [*tampering.manifest(f)["files"], {"path": "protected/notes.txt"}]},
        ),
        "protected/notes.txt is not a file a bundle may hold under protected/",
    ),
}


@pytest.mark.parametrize("name", list(FORGERIES))
def test_each_identity_forgery_is_named(name, complete, persons, tmp_path):
    mutate, expected = FORGERIES[name]
    forged = tampering.write(tmp_path / "forged.zip", mutate(complete))
    with pytest.raises(Failed) as failure:
        verify(str(forged), expected_key=signing.signing_key().public.raw)
    assert expected.format(first=persons[0], second=persons[1]) in str(failure.value)


def test_a_bundle_without_kind_is_read_as_redacted(case_id, tmp_path):
    with open(tmp_path / "b.zip", "wb") as out:
        export_case(case_id, exported_by="aud", out=out)
    document = tampering.manifest(tampering.members(tmp_path / "b.zip"))
    del document["kind"]
    files = tampering.members(tmp_path / "b.zip")
    raw = json.dumps(document, indent=2).encode()
    old = {**files, "manifest.json": raw, "manifest.sig": signing.signing_key().sign(raw).encode()}
    result = tampering.verified(tampering.write(tmp_path / "old.zip", old))
    assert result.kind == "redacted"
