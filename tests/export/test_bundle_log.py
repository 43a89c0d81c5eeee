"""casefile-export/2 against the transparency log: the bundle's tree head, its inclusion
proof, a later tree head the auditor holds, witnesses, and key rotations, each with the
attack it exists to stop."""

import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command

from casefiles import commands, signing, tlog, transparency, trust
from casefiles.export.bundle import export_case
from casefiles.verify_export import Failed, Unpinned, verify
from tests.export import tampering
from tests.log import attacks

pytestmark = pytest.mark.django_db


def export(case_id, path):
    with open(path, "wb") as out:
        export_case(case_id, exported_by="aud", out=out)
    return path


def anchors(*witnesses, required=0):
    return trust.Trust(
        logs=[transparency.log_verifier()], witnesses=list(witnesses), witnesses_required=required
    )


def proof(old, new):
    return old, new, transparency.consistency_proof(old, new)


def test_a_later_tree_head_proves_the_bundle_still_in_the_log(case_id, actors, tmp_path):
    bundle = export(case_id, tmp_path / "b.zip")
    size = tampering.manifest(tampering.members(bundle))["log"]["tree_size"]
    commands.note_add(actor=actors["documenter"], case_id=case_id, text="later")
    later = transparency.publish()
    result = verify(
        str(bundle),
        anchors=anchors(),
        log_checkpoint=later.note.encode(),
        log_proof=proof(size, later.size),
    )
    assert (result.tree_size, result.held_size) == (size, later.size)
    assert f"consistent with the tree head of size {later.size} you hold" in str(result)
    with pytest.raises(Failed, match="give --log-proof"):
        verify(str(bundle), anchors=anchors(), log_checkpoint=later.note.encode())
    with pytest.raises(Failed, match="the proof goes from"):
        verify(
            str(bundle),
            anchors=anchors(),
            log_checkpoint=later.note.encode(),
            log_proof=proof(size - 1, later.size),
        )


def test_a_history_rewritten_after_the_export_fails_against_the_later_tree_head(
    case_id, actors, tmp_path, settings
):
    """The operator (with the key) rewrites the log after the export and re-signs; the
    auditor fetches the new tree head and its proof: they do not fit the bundle."""
    bundle = export(case_id, tmp_path / "b.zip")
    size = tampering.manifest(tampering.members(bundle))["log"]["tree_size"]
    attacks.rewrite(case_id, 2, lambda payload: payload.update(title="rewritten"))
    attacks.relog()
    for path in settings.CASEFILES_CHECKPOINT_DIR.iterdir():
        path.chmod(0o644)
        path.unlink()
    commands.note_add(actor=actors["documenter"], case_id=case_id, text="later")
    forked = transparency.publish()
    with pytest.raises(Failed, match="does not (contain|extend) the tree of size"):
        verify(
            str(bundle),
            anchors=anchors(),
            log_checkpoint=forked.note.encode(),
            log_proof=proof(size, forked.size),
        )


def test_a_tree_head_signed_by_another_key_is_refused(case_id, tmp_path):
    bundle = export(case_id, tmp_path / "b.zip")
    files = tampering.members(bundle)
    head = tlog.parse_checkpoint(tlog.parse_note(files["log/tree-head.txt"]).text)
    stranger = Ed25519PrivateKey.generate()
    forged = tlog.sign_checkpoint(head, stranger).render().encode()
    with pytest.raises(Failed, match="does not verify"):
        verify(str(bundle), anchors=anchors(), log_checkpoint=forged)
    # In the bundle itself: the bundle's key must be the tree head's key.
    swapped = tampering.write(
        tmp_path / "swapped.zip", tampering.resign({**files, "log/tree-head.txt": forged})
    )
    with pytest.raises(Failed, match="is not signed by the bundle's own key"):
        tampering.verified(swapped)


def test_a_proof_or_index_changed_in_the_manifest_fails(case_id, tmp_path):
    files = tampering.members(export(case_id, tmp_path / "b.zip"))
    log = tampering.manifest(files)["log"]
    for changed, message in [
        ({**log, "leaf_index": log["leaf_index"] - 1}, "does not lead to the root"),
        ({**log, "tree_size": log["tree_size"] + 1}, "the signed tree head says"),
        ({**log, "inclusion_proof": log["inclusion_proof"][:-1]}, "shorter"),
        ({**log, "inclusion_proof": "x"}, "not a list"),
    ]:
        forged = tampering.write(tmp_path / "f.zip", tampering.resign(files, {"log": changed}))
        with pytest.raises(Failed, match=message):
            tampering.verified(forged)


def test_witness_quorum(case_id, tmp_path):
    witness_key = Ed25519PrivateKey.generate()
    witness = tlog.verifier_for(witness_key, "witness.test/w1", tlog.COSIGNATURE_V1)
    bundle = export(case_id, tmp_path / "b.zip")
    with pytest.raises(Failed, match="cosigned by 0 of the witnesses you trust; 1 are required"):
        verify(str(bundle), anchors=anchors(witness, required=1))
    head = transparency.latest_head()
    line = tlog.cosign(tlog.parse_note(head.note).text, witness_key, witness.name, 1800000000)
    cosigned = (head.note + line.line()).encode()
    result = verify(str(bundle), anchors=anchors(witness, required=1), log_checkpoint=cosigned)
    assert result.witnesses == 1
    # A cosignature line that claims the witness but does not verify fails.
    bad = tlog.Signature(witness.name, witness.key_id, bytes(72))
    with pytest.raises(Failed, match="does not match"):
        verify(
            str(bundle),
            anchors=anchors(witness, required=1),
            log_checkpoint=(head.note + bad.line()).encode(),
        )


def test_trust_file(case_id, tmp_path):
    bundle = export(case_id, tmp_path / "b.zip")
    path = tmp_path / "trust.txt"
    path.write_text(f"# ours\nlog {signing.signing_key().public.vkey}\n")
    assert verify(str(bundle), anchors=trust.read_trust_file(path)).key_pinned
    stranger = tlog.verifier_for(Ed25519PrivateKey.generate(), transparency.origin())
    path.write_text(f"log {stranger.vkey}\n")
    with pytest.raises(Failed, match="which you do not trust"):
        verify(str(bundle), anchors=trust.read_trust_file(path))
    for text, message in [
        ("log abc\n", "not valid base64"),
        ("witness " + stranger.vkey + "\n", "type 0x04"),
        ("witnesses-required 2\n", "requires 2 witnesses"),
        ("quorum 1\n", "unknown keyword"),
    ]:
        path.write_text(text)
        with pytest.raises(tlog.LogError, match=message):
            trust.read_trust_file(path)


def test_another_origin_is_refused_even_with_the_same_key(case_id, tmp_path):
    bundle = export(case_id, tmp_path / "b.zip")
    key = signing.signing_key().public.raw
    elsewhere = tlog.Verifier("another.example/log", tlog.ED25519, key)
    with pytest.raises(Failed, match="not from another.example/log, the log you trust"):
        verify(str(bundle), anchors=trust.Trust(logs=[elsewhere]))


def test_after_a_key_rotation_the_old_pinned_key_still_verifies_new_bundles(
    case_id, actors, tmp_path
):
    old = transparency.log_verifier()
    call_command("rotate_signing_key")
    commands.note_add(actor=actors["documenter"], case_id=case_id, text="after rotation")
    bundle = export(case_id, tmp_path / "b.zip")
    files = tampering.members(bundle)
    assert "log/key-rotations.json" in files
    result = verify(str(bundle), anchors=trust.Trust(logs=[old]))
    assert result.key_id == signing.signing_key().public.key_id
    # Without the announcements the old key proves nothing about the new one.
    document = tampering.manifest(files)
    log = {k: v for k, v in document["log"].items() if k != "key_rotations"}
    stripped = {k: v for k, v in files.items() if k != "log/key-rotations.json"}
    stripped["manifest.json"] = json.dumps(
        {
            **document,
            "log": log,
            "files": [f for f in document["files"] if f["path"] != "log/key-rotations.json"],
        }
    ).encode()
    stripped = tampering.resign(stripped)
    with pytest.raises(Failed, match="which you do not trust"):
        verify(str(tampering.write(tmp_path / "s.zip", stripped)), anchors=trust.Trust(logs=[old]))


def test_unpinned_is_never_ok(case_id, tmp_path):
    with pytest.raises(Unpinned):
        verify(str(export(case_id, tmp_path / "b.zip")))


def test_the_by_hand_inclusion_check_in_the_docs_works(case_id, tmp_path):
    """docs/export.md step 6, run as printed, in an unzipped bundle."""
    import re
    import subprocess
    import sys
    import zipfile
    from pathlib import Path

    from django.conf import settings

    docs = (Path(settings.BASE_DIR) / "docs" / "export.md").read_text()
    script = re.search(
        r"python3 -c '\n(import base64, hashlib, json\n.*?)'\n```", docs, re.DOTALL
    ).group(1)
    folder = tmp_path / "case"
    with zipfile.ZipFile(export(case_id, tmp_path / "b.zip")) as archive:
        archive.extractall(folder)
    run = subprocess.run(
        [sys.executable, "-c", script], cwd=folder, capture_output=True, text=True, timeout=30
    )
    assert run.stdout == "included\n", run.stderr
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["log"]["leaf_index"] -= 1
    (folder / "manifest.json").write_text(json.dumps(manifest))
    run = subprocess.run(
        [sys.executable, "-c", script], cwd=folder, capture_output=True, text=True, timeout=30
    )
    assert run.stdout == "NOT INCLUDED\n", run.stderr


def test_a_hostile_key_rotations_file_is_refused_before_it_is_parsed(case_id, tmp_path):
    files = tampering.members(export(case_id, tmp_path / "b.zip"))
    document = tampering.manifest(files)
    files["log/key-rotations.json"] = b"[" + b"[]," * 300_000 + b"[]]"
    document["log"]["key_rotations"] = "log/key-rotations.json"
    document["files"].append({"path": "log/key-rotations.json", "sha256": "", "bytes": 0})
    files["manifest.json"] = json.dumps(document).encode()
    forged = tampering.write(tmp_path / "f.zip", tampering.resign(files))
    with pytest.raises(Failed, match="commas and brackets"):
        tampering.verified(forged)
