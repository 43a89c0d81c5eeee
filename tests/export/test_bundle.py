import base64
import hashlib
import json
import re
import uuid
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings

from casefiles import commands, signing, tlog
from casefiles.commands.ingestion import document_ingest, ingestion_submit
from casefiles.domain.hashing import canonical_json
from casefiles.export.bundle import ExportError, export_case
from casefiles.models import Event
from casefiles.selectors import case_state, get_case_by_reference
from casefiles.verify_export import Failed, Unpinned, referenced_sha256, verify
from tests.export import tampering
from tests.export.conftest import ORIGINAL_A, ORIGINAL_B
from tests.factories import SUBMITTER, attach_lost_original, open_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def bundle(case_id, tmp_path) -> Path:
    path = tmp_path / "bundle.zip"
    with open(path, "wb") as out:
        export_case(case_id, exported_by="aud", out=out)
    return path


def test_a_fresh_export_verifies(bundle, case_id):
    case = case_state(case_id)
    result = verify(str(bundle), expected_key=signing.signing_key().public.raw)
    assert (result.reference, result.count, result.head_hash) == (
        case.reference,
        case.version,
        case.head_hash,
    )
    assert str(result).startswith(
        f"OK {case.reference}: {case.version} events, head hash "
        f"{case.head_hash}, signed by the expected key "
    )


def test_the_manifest_describes_the_case_and_every_file(bundle, case_id):
    files = tampering.members(bundle)
    manifest = tampering.manifest(files)
    case = case_state(case_id)
    key = signing.signing_key().public
    assert list(manifest) == [
        "format",
        "kind",
        "export_id",
        "case",
        "exported_at",
        "exported_by",
        "events",
        "files",
        "signing",
        "log",
    ]
    assert manifest["format"] == "casefile-export/2"
    assert manifest["kind"] == "redacted"
    assert str(uuid.UUID(manifest["export_id"])) == manifest["export_id"]
    assert manifest["case"] == {
        "id": case_id,
        "reference": case.reference,
        "state": "legal_review",
        "version": case.version,
    }
    assert manifest["exported_by"] == "aud"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", manifest["exported_at"])
    assert manifest["events"] == {
        "file": "events.jsonl",
        "count": case.version,
        "head_hash": case.head_hash,
    }
    assert manifest["signing"] == {
        "algorithm": "ed25519",
        "public_key": key.base64,
        "key_id": hashlib.sha256(key.raw).hexdigest()[:16],
        "vkey": key.vkey,
    }
    # The tree head the bundle was taken at, and the proof that its last event is in it.
    log = manifest["log"]
    assert list(log) == ["tree_head", "tree_size", "leaf_index", "inclusion_proof"]
    head, _ = tlog.open_checkpoint(files[log["tree_head"]], tlog.parse_vkey(key.vkey))
    assert head.size == log["tree_size"] == Event.objects.count()
    tlog.verify_inclusion(
        tlog.event_leaf(case.head_hash),
        log["leaf_index"],
        head.size,
        tlog.hashes_from_b64(log["inclusion_proof"], "proof"),
        head.root,
    )
    listed = {entry["path"]: entry for entry in manifest["files"]}
    assert set(listed) | {"manifest.json", "manifest.sig"} == set(files)
    for path, entry in listed.items():
        assert entry["sha256"] == hashlib.sha256(files[path]).hexdigest()
        assert entry["bytes"] == len(files[path])
    signature = base64.b64decode(files["manifest.sig"])
    signing.signing_key().private.public_key().verify(signature, files["manifest.json"])


def test_events_are_the_stored_records_one_canonical_line_each(bundle, case_id):
    lines = tampering.event_lines(tampering.members(bundle))
    stored = Event.objects.filter(case_id=case_id).order_by("version")
    assert [line.decode() for line in lines] == [
        canonical_json(event.as_record()) + "\n" for event in stored
    ]


def test_sources_hold_the_original_bytes_of_every_referenced_document(bundle):
    files = tampering.members(bundle)
    sources = {name: data for name, data in files.items() if name.startswith("sources/")}
    expected = {hashlib.sha256(data).hexdigest(): data for data in (ORIGINAL_A, ORIGINAL_B)}
    # No ingested Source row says what they are, so the extension is "bin".
    assert sources == {f"sources/{sha}.bin": data for sha, data in expected.items()}


def test_references_are_found_however_deep_in_a_payload():
    payload = {
        "content_sha256": "a" * 64,
        "allegation": {
            "items": [{"content_sha256": "b" * 64}, {"other": {"content_sha256": None}}]
        },
    }
    assert list(referenced_sha256(payload)) == ["a" * 64, "b" * 64]


def test_the_bundle_shows_the_case_at_the_version_it_started_from(
    bundle, case_id, actors, tmp_path
):
    before = tampering.manifest(tampering.members(bundle))
    commands.note_add(actor=actors["documenter"], case_id=case_id, text="later")
    with open(tmp_path / "later.zip", "wb") as out:
        after = export_case(case_id, exported_by="aud", out=out)
    assert after["events"]["count"] == before["events"]["count"] + 1
    assert tampering.verified(tmp_path / "later.zip").count == after["case"]["version"]


def test_a_missing_original_stops_the_export(actors, tmp_path):
    case_id = open_case(actors["documenter"])
    lost = attach_lost_original(actors["documenter"], case_id, b"lost original c")
    with open(tmp_path / "x.zip", "wb") as out, pytest.raises(ExportError) as error:
        export_case(case_id, exported_by="aud", out=out)
    assert f"the original {lost} is missing from the blob store" in error.value.message


# ---------------------------------------------------------------- tampering, one at a time


def _swap(lines, a, b):
    lines[a], lines[b] = lines[b], lines[a]
    return lines


def _edit_line(line: bytes) -> bytes:
    record = json.loads(line)
    # Same length, so only the hash (not the size) can tell.
    record["payload"]["text"] = record["payload"]["text"].replace("alert", "alarm", 1)
    return canonical_json(record).encode() + b"\n"


def _note_line(files) -> int:
    return next(i for i, line in enumerate(tampering.event_lines(files)) if b'"NoteAdded"' in line)


def _source(files) -> str:
    return next(name for name in files if name.startswith("sources/"))


def _flip_byte(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 1])


def _other_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def _raw(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def _signed_by_other_key(files):
    key = _other_key()
    raw = base64.b64decode(_raw(key))
    block = {
        "algorithm": "ed25519",
        "public_key": _raw(key),
        "key_id": hashlib.sha256(raw).hexdigest()[:16],
    }
    # A thorough forger signs the tree head with their key too, under the same origin.
    note = tlog.parse_note(files["log/tree-head.txt"])
    head = tlog.parse_checkpoint(note.text)
    files = {**files, "log/tree-head.txt": tlog.sign_checkpoint(head, key).render().encode()}
    return tampering.resign(files, {"signing": block}, key=key)


def _drop_source_and_listing(files):
    path = _source(files)
    rest = {name: data for name, data in files.items() if name != path}
    document = tampering.manifest(files)
    return tampering.resign(rest, {"files": [f for f in document["files"] if f["path"] != path]})


def _events_changed(files, **changes):
    document = tampering.manifest(files)
    return tampering.resign(files, {"events": {**document["events"], **changes}})


def _extra_unreferenced_source(files):
    data = b"not referred to"
    path = f"sources/{hashlib.sha256(data).hexdigest()}.txt"
    document = tampering.manifest(files)
    files = {**files, path: data}
    return tampering.resign(
        files, {"files": [*document["files"], {"path": path, "sha256": "", "bytes": 0}]}
    )


TAMPERING = {
    "signature changed": (
        lambda f: {**f, "manifest.sig": base64.b64encode(b"\x01" * 64)},
        "the signature in manifest.sig does not match manifest.json",
    ),
    "manifest field changed": (
        lambda f: {**f, "manifest.json": f["manifest.json"].replace(b'"aud"', b'"eve"')},
        "the signature in manifest.sig does not match manifest.json",
    ),
    "manifest key swapped, signature kept": (
        lambda f: {
            **f,
            "manifest.json": f["manifest.json"].replace(
                tampering.manifest(f)["signing"]["public_key"].encode(), _raw(_other_key()).encode()
            ),
        },
        "signing.key_id {key_id} does not belong to the public key in the manifest",
    ),
    "extra file": (
        lambda f: {**f, "notes.txt": b"added later"},
        "notes.txt is in the bundle but not listed in the manifest",
    ),
    "missing file": (
        lambda f: {k: v for k, v in f.items() if k != "report.pdf"},
        "report.pdf is listed in the manifest but missing from the bundle",
    ),
    "source byte changed": (
        lambda f: {**f, _source(f): _flip_byte(f[_source(f)])},
        "{source} does not match its SHA-256 in the manifest",
    ),
    "source byte changed, manifest re-signed": (
        lambda f: tampering.resign({**f, _source(f): _flip_byte(f[_source(f)])}),
        "{source} does not hold the original it is named after",
    ),
    "referenced source removed, manifest re-signed": (
        _drop_source_and_listing,
        "the original {source_sha}, which the events refer to, is missing from sources/",
    ),
    "unreferenced source added, manifest re-signed": (
        _extra_unreferenced_source,
        "is not referred to by any event",
    ),
    "event line changed": (
        lambda f: tampering.with_events(
            f,
            [
                _edit_line(line) if i == _note_line(f) else line
                for i, line in enumerate(tampering.event_lines(f))
            ],
        ),
        "events.jsonl does not match its SHA-256 in the manifest",
    ),
    "event line changed, manifest re-signed": (
        lambda f: tampering.resign(
            tampering.with_events(
                f,
                [
                    _edit_line(line) if i == _note_line(f) else line
                    for i, line in enumerate(tampering.event_lines(f))
                ],
            )
        ),
        "event chain broken at version {note_version}: changed content",
    ),
    "event line removed, manifest re-signed": (
        lambda f: tampering.resign(
            tampering.with_events(
                f, [line for i, line in enumerate(tampering.event_lines(f)) if i != 2]
            )
        ),
        "event chain broken at version 3: gap: version 3 is missing",
    ),
    "event lines swapped, manifest re-signed": (
        lambda f: tampering.resign(tampering.with_events(f, _swap(tampering.event_lines(f), 2, 3))),
        "event chain broken at version 3: reordering: version 3 is stored after version 4",
    ),
    "last event removed, manifest re-signed": (
        lambda f: tampering.resign(tampering.with_events(f, tampering.event_lines(f)[:-1])),
        "events.jsonl holds {short} events; the manifest says {count}",
    ),
    "count wrong": (
        lambda f: _events_changed(f, count=tampering.manifest(f)["events"]["count"] + 1),
        "events.jsonl holds {count} events; the manifest says {count_plus_one}",
    ),
    "head hash wrong": (
        lambda f: _events_changed(f, head_hash="0" * 64),
        "the last event's hash {head} is not the manifest's head_hash " + "0" * 64,
    ),
    "events of another case": (
        lambda f: tampering.resign(
            f,
            {
                "case": {
                    **tampering.manifest(f)["case"],
                    "id": "00000000-0000-4000-8000-000000000000",
                }
            },
        ),
        "event chain broken at version 1: event belongs to case {case_id}",
    ),
    "signed by another key": (_signed_by_other_key, "which you do not trust (you pinned {key_id})"),
    "not a ZIP": (lambda f: None, "as a ZIP file"),
}


@pytest.mark.parametrize("name", list(TAMPERING))
def test_each_kind_of_tampering_is_named(name, bundle, case_id):
    mutate, expected = TAMPERING[name]
    files = tampering.members(bundle)
    manifest = tampering.manifest(files)
    source = _source(files)
    forged = mutate(files)
    target = bundle.with_name("forged.zip")
    if forged is None:
        target.write_bytes(b"PK but not really a zip")
    else:
        tampering.write(target, forged)
    count = manifest["events"]["count"]
    expected = expected.format(
        key_id=manifest["signing"]["key_id"],
        source=source,
        source_sha=source.split("/")[1].split(".")[0],
        note_version=_note_line(files) + 1,
        count=count,
        short=count - 1,
        count_plus_one=count + 1,
        head=manifest["events"]["head_hash"],
        case_id=case_id,
    )
    with pytest.raises(Failed) as failure:
        verify(str(target), expected_key=signing.signing_key().public.raw)
    assert expected in str(failure.value)


def test_without_a_pinned_key_a_self_consistent_forgery_is_unpinned_not_ok(bundle):
    """Anyone can sign a bundle with their own key: without a key to trust the verifier
    says UNPINNED (never OK) and names the key; with the real key pinned it fails."""
    forged = tampering.write(
        bundle.with_name("forged.zip"), _signed_by_other_key(tampering.members(bundle))
    )
    with pytest.raises(Unpinned) as unpinned:
        verify(str(forged))
    result = unpinned.value.args[0]
    assert result.key_id != signing.signing_key().public.key_id
    assert "signed by the key in the manifest" in str(result)
    with pytest.raises(Failed, match="which you do not trust"):
        tampering.verified(forged)
    with pytest.raises(Unpinned):
        verify(str(bundle))  # the genuine bundle too: nothing says whose key it is


def test_the_bundle_is_a_standard_zip(bundle):
    with zipfile.ZipFile(bundle) as archive:
        assert archive.testzip() is None


def test_an_ingested_document_travels_with_its_media_type_as_extension(
    tmp_path, django_capture_on_commit_callbacks
):
    """Ingestion opens candidate cases whose events refer to the original twice
    (SourceAttached and, nested, AllegationExtracted): one file, named .txt."""
    data = (Path(settings.BASE_DIR) / "seeds" / "002_4e10ba579bf26caa.txt").read_bytes()
    with django_capture_on_commit_callbacks(execute=False):
        job = ingestion_submit(data=data, filename="report.txt", actor=SUBMITTER)
    job = document_ingest(ingestion_id=str(job.id))
    assert job.case_references, job.reason
    case = get_case_by_reference(job.case_references[0])
    path = tmp_path / "ingested.zip"
    with open(path, "wb") as out:
        export_case(case.pk, exported_by="aud", out=out)
    files = tampering.members(path)
    sha = hashlib.sha256(data).hexdigest()
    assert [name for name in files if name.startswith("sources/")] == [f"sources/{sha}.txt"]
    assert files[f"sources/{sha}.txt"] == data
    assert tampering.verified(path).count == case.version
