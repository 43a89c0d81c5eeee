"""Signed checkpoints and `verify_export --checkpoint`: a bundle must still hold, at the
checkpoint's version of its case, the very event the checkpoint recorded."""

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db.models import Max

from casefiles import commands, signing
from casefiles.domain.hashing import canonical_json, event_hash
from casefiles.export import checkpoint
from casefiles.export.bundle import export_case
from casefiles.models import Checkpoint as DatabaseCheckpoint
from casefiles.models import Event
from casefiles.selectors import case_state
from casefiles.tasks import verify_chains
from casefiles.verify_export import (
    Failed,
    NotInCheckpoint,
    key_id,
    load_checkpoint,
)
from tests.export import tampering
from tests.factories import open_case
from tests.test_deploy import _rewrite_history

pytestmark = pytest.mark.django_db


def _export(case_id, path: Path) -> Path:
    with open(path, "wb") as out:
        export_case(case_id, exported_by="aud", out=out)
    return path


def _take(path: Path) -> Path:
    """A legacy casefile-checkpoint/1, as issued before the transparency log: the
    verifier still reads them for the bundles checked against them."""
    checkpoint.write(path, checkpoint.take())
    return path


def _document(path: Path) -> dict:
    return json.loads(path.read_text())


def _sign(document: dict, key: Ed25519PrivateKey | None = None) -> dict:
    """Sign a (changed) checkpoint as the rule says: canonical JSON without signature."""
    key = key or signing.signing_key().private
    body = {name: value for name, value in document.items() if name != "signature"}
    return {**body, "signature": base64.b64encode(key.sign(canonical_json(body).encode())).decode()}


def _store(path: Path, document: dict) -> Path:
    path.write_text(json.dumps(document))
    return path


def test_the_checkpoint_holds_every_head_and_the_position_signed(case_id, actors, tmp_path):
    other = open_case(actors["documenter"])
    path = _take(tmp_path / "cp.json")
    document = _document(path)
    key = signing.signing_key().public
    assert list(document) == [
        "format",
        "taken_at",
        "global_position",
        "cases",
        "signing",
        "signature",
    ]
    assert document["format"] == "casefile-checkpoint/1"
    assert document["global_position"] == Event.objects.aggregate(p=Max("position"))["p"]
    heads = {c: case_state(c) for c in (case_id, other)}
    assert document["cases"] == sorted(
        ({"case_id": c, "version": s.version, "head_hash": s.head_hash} for c, s in heads.items()),
        key=lambda entry: entry["case_id"],
    )
    assert document["signing"] == {
        "algorithm": "ed25519",
        "public_key": key.base64,
        "key_id": key.key_id,
    }
    # The documented signed bytes, checked with cryptography directly.
    body = {name: value for name, value in document.items() if name != "signature"}
    signing.signing_key().private.public_key().verify(
        base64.b64decode(document["signature"]), canonical_json(body).encode("utf-8")
    )
    loaded = load_checkpoint(str(path), expected_key=key.raw)
    assert loaded.cases[case_id] == (heads[case_id].version, heads[case_id].head_hash)


def test_checkpoint_command_refuses_a_missing_directory(tmp_path, db):
    with pytest.raises(CommandError, match="is not a directory"):
        call_command("checkpoint", "--out", str(tmp_path / "nowhere" / "cp.json"))


def test_a_bundle_made_after_the_checkpoint_verifies_against_it(case_id, actors, tmp_path):
    version = case_state(case_id).version
    cp = load_checkpoint(str(_take(tmp_path / "cp.json")))
    commands.note_add(actor=actors["documenter"], case_id=case_id, text="after the checkpoint")
    result = tampering.verified(_export(case_id, tmp_path / "b.zip"), checkpoint=cp)
    assert (result.count, result.checkpoint_version) == (version + 1, version)
    assert str(result).endswith(
        f"; version {version} matches the checkpoint taken "
        f"{cp.taken_at} (global position {cp.global_position}, "
        f"key {cp.key_id})"
    )


def _rewritten(files: dict[str, bytes], version: int) -> dict[str, bytes]:
    """A forger with the signing key changes the event at `version`, recomputes every
    hash after it, and signs a new manifest: the bundle verifies on its own."""
    records = [json.loads(line) for line in tampering.event_lines(files)]
    prev = records[version - 2]["hash"]
    for record in records[version - 1 :]:
        if record["version"] == version:
            record["actor"] = {**record["actor"], "username": "mallory"}
        record["prev_hash"] = prev
        record["hash"] = prev = event_hash({k: v for k, v in record.items() if k != "hash"})
    lines = [canonical_json(record).encode() + b"\n" for record in records]
    changed = tampering.with_events(files, lines)
    events = {**tampering.manifest(files)["events"], "head_hash": prev}
    return tampering.resign(changed, {"events": events})


@pytest.mark.parametrize("at", ["the checkpoint's version", "an earlier version"])
def test_a_history_rewritten_after_the_checkpoint_fails(case_id, tmp_path, at):
    cp = load_checkpoint(str(_take(tmp_path / "cp.json")))
    version = case_state(case_id).version
    bundle = _export(case_id, tmp_path / "b.zip")
    rewritten = _rewritten(tampering.members(bundle), version if at.startswith("the") else 3)
    # As casefile-export/2, the bundle's own tree head no longer includes its last event.
    forged = tampering.write(tmp_path / "forged.zip", rewritten)
    with pytest.raises(Failed, match="inclusion proof of leaf .* does not lead to the root"):
        tampering.verified(forged)
    # Stripped down to casefile-export/1 it is self-consistent: refused unless asked
    # for, and then the checkpoint kept from before catches it.
    forged = tampering.write(tmp_path / "forged-v1.zip", tampering.as_v1(rewritten))
    with pytest.raises(Failed, match="made before the transparency log"):
        tampering.verified(forged)
    assert tampering.verified(forged, allow_v1=True).count == version
    with pytest.raises(Failed) as failure:
        tampering.verified(forged, checkpoint=cp, allow_v1=True)
    assert str(failure.value).startswith(
        f"{case_state(case_id).reference} was rewritten after the checkpoint taken {cp.taken_at}"
    )
    assert f"the event at version {version} has hash " in str(failure.value)


def test_a_bundle_shorter_than_the_checkpoint_fails(case_id, actors, tmp_path):
    bundle = _export(case_id, tmp_path / "old.zip")
    old = case_state(case_id).version
    commands.note_add(actor=actors["documenter"], case_id=case_id, text="later")
    cp = load_checkpoint(str(_take(tmp_path / "cp.json")))
    with pytest.raises(Failed) as failure:
        tampering.verified(bundle, checkpoint=cp)
    assert f"the bundle ends at version {old} but the checkpoint taken" in str(failure.value)
    assert f"recorded version {old + 1} of " in str(failure.value)


def test_a_case_opened_after_the_checkpoint_is_reported_not_passed(case_id, actors, tmp_path):
    cp = load_checkpoint(str(_take(tmp_path / "cp.json")))
    newer = open_case(actors["documenter"])
    with pytest.raises(NotInCheckpoint) as gap:
        tampering.verified(_export(newer, tmp_path / "new.zip"), checkpoint=cp)
    assert f"(case {newer}) is not in the checkpoint taken {cp.taken_at}" in str(gap.value)


def _other_key_block(key: Ed25519PrivateKey) -> dict:
    raw = key.public_key().public_bytes_raw()
    return {
        "algorithm": "ed25519",
        "public_key": base64.b64encode(raw).decode(),
        "key_id": key_id(raw),
    }


def _bumped(document: dict, case_id: str) -> dict:
    cases = [
        {**entry, "version": entry["version"] + 1} if entry["case_id"] == case_id else entry
        for entry in document["cases"]
    ]
    return {**document, "cases": cases}


def test_a_changed_or_foreign_checkpoint_fails(case_id, tmp_path):
    path = _take(tmp_path / "cp.json")
    document = _document(path)
    changed = _store(tmp_path / "changed.json", _bumped(document, case_id))
    with pytest.raises(Failed, match="the checkpoint's signature does not match its content"):
        load_checkpoint(str(changed))
    other = Ed25519PrivateKey.generate()
    foreign = _store(
        tmp_path / "foreign.json", _sign({**document, "signing": _other_key_block(other)}, other)
    )
    assert load_checkpoint(str(foreign)).key_id != signing.signing_key().public.key_id
    with pytest.raises(Failed, match="the checkpoint is signed by key .*, not by the expected key"):
        load_checkpoint(str(foreign), expected_key=signing.signing_key().public.raw)
    for bad, message in [
        ({**document, "format": "x"}, "the checkpoint's format is 'x'"),
        (
            {**document, "cases": "all"},
            "the checkpoint is malformed: cases is missing or not a list",
        ),
    ]:
        with pytest.raises(Failed, match=message):
            load_checkpoint(str(_store(tmp_path / "bad.json", _sign(bad))))
    (tmp_path / "text.json").write_text("not json")
    with pytest.raises(Failed, match="is not valid JSON"):
        load_checkpoint(str(tmp_path / "text.json"))


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO")}
    return subprocess.run(
        [sys.executable, "-m", "casefiles.verify_export", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_command_line_exit_codes(case_id, actors, tmp_path):
    path = _take(tmp_path / "cp.json")
    key = signing.signing_key().public.base64
    bundle = _export(case_id, tmp_path / "b.zip")
    ok = _cli(str(bundle), "--checkpoint", str(path), "--public-key", key)
    assert ok.returncode == 0 and ok.stdout.startswith("OK "), ok.stdout + ok.stderr
    assert "matches the checkpoint taken" in ok.stdout
    forged = tampering.write(
        tmp_path / "forged.zip",
        tampering.as_v1(_rewritten(tampering.members(bundle), case_state(case_id).version)),
    )
    failed = _cli(str(forged), "--checkpoint", str(path), "--public-key", key, "--allow-v1")
    assert failed.returncode == 1 and failed.stdout.startswith("FAILED: ")
    assert "was rewritten after the checkpoint" in failed.stdout
    # The attack of a genuine checkpoint and a bundle re-signed with another key.
    other = Ed25519PrivateKey.generate()
    resigned = tampering.write(
        tmp_path / "resigned.zip",
        tampering.resign(
            tampering.as_v1(tampering.members(bundle)),
            {"signing": _other_key_block(other)},
            key=other,
        ),
    )
    stranger = _cli(str(resigned), "--checkpoint", str(path), "--allow-v1")
    assert stranger.returncode == 1
    assert "the checkpoint is signed by key" in stranger.stdout
    assert "but the bundle by key" in stranger.stdout
    unpinned = _cli(str(bundle), "--checkpoint", str(path))
    assert unpinned.returncode == 4 and unpinned.stdout.startswith("UNPINNED: ")
    newer = _export(open_case(actors["documenter"]), tmp_path / "new.zip")
    gap = _cli(str(newer), "--checkpoint", str(path), "--public-key", key)
    assert gap.returncode == 3 and gap.stdout.startswith("NOT IN CHECKPOINT: ")
    missing = _cli(str(bundle), "--checkpoint", str(tmp_path / "none.json"))
    assert missing.returncode == 1
    assert missing.stdout.startswith(f"FAILED: cannot read the checkpoint {tmp_path}")


def test_the_nightly_task_signs_a_tree_head_only_when_intact(actors, settings, tmp_path):
    settings.CASEFILES_CHECKPOINT_DIR = tmp_path / "checkpoints"
    case_id = open_case(actors["documenter"])
    for text in ("shot near the forest", "second witness"):
        commands.note_add(actor=actors["documenter"], case_id=case_id, text=text)
    result = verify_chains()
    [written] = list((tmp_path / "checkpoints").glob("tree-head-*.txt"))
    assert result.startswith("OK 3 event(s)") and result.endswith("tree head 3")
    assert written.name == "tree-head-000000000003.txt"
    # The database checkpoints of the integrity check are still taken.
    assert DatabaseCheckpoint.objects.get(case_id=case_id).version == 3
    _rewrite_history(case_id)
    assert verify_chains().startswith("BROKEN ")
    assert list((tmp_path / "checkpoints").glob("tree-head-*.txt")) == [written]


def test_checkpoint_files_are_written_whole_and_named_apart(case_id, tmp_path):
    folder = tmp_path / "checkpoints"
    first = checkpoint.write_into(folder)
    second = checkpoint.write_into(folder)
    assert first != second
    # No temporary file left behind.
    assert sorted(p.name for p in folder.iterdir()) == sorted([first.name, second.name])
    assert load_checkpoint(str(second)).cases == load_checkpoint(str(first)).cases
