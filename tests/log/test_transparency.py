"""The transparency log on the real databases, and the attacks it exists to catch:
an operator with the database owner's rights rewriting, deleting or truncating history,
recomputing every hash and the log's own tables, and rebuilding the read models."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from casefiles import commands, integrity, tlog, transparency
from casefiles.models import CaseFile, Event, LogLeaf, TreeHead
from tests.factories import histories
from tests.log import attacks

pytestmark = pytest.mark.django_db


def history(actors, cases=3, notes=4):
    return histories(actors["documenter"], cases, notes)


def verify(*extra):
    return transparency.verify_log(extra, case_versions=integrity.case_versions())


def test_leaves_follow_positions_and_proofs_check_against_the_signed_head(actors):
    ids = history(actors)
    head = transparency.publish()
    positions = list(Event.objects.order_by("position").values_list("position", flat=True))
    leaves = list(LogLeaf.objects.order_by("index").values_list("index", "position"))
    assert leaves == list(enumerate(positions))
    assert head.size == len(positions)
    checkpoint, _ = tlog.open_checkpoint(head.note, transparency.log_verifier())
    for index in range(head.size):
        event_hash = Event.objects.get(position=positions[index]).hash
        proof = transparency.inclusion_proof(index, head.size)
        assert len(proof) <= head.size.bit_length()
        tlog.verify_inclusion(tlog.event_leaf(event_hash), index, head.size, proof, checkpoint.root)
    commands.note_add(actor=actors["documenter"], case_id=ids[0], text="later")
    later = transparency.publish()
    new, _ = tlog.open_checkpoint(later.note, transparency.log_verifier())
    tlog.verify_consistency(
        head.size,
        later.size,
        checkpoint.root,
        new.root,
        transparency.consistency_proof(head.size, later.size),
    )
    assert verify().ok


def test_publishing_twice_without_new_events_signs_nothing_new(actors, settings):
    history(actors, cases=1, notes=1)
    first = transparency.publish()
    assert transparency.publish().size == first.size
    files = sorted(settings.CASEFILES_CHECKPOINT_DIR.glob("tree-head-*.txt"))
    assert [path.name for path in files] == [f"tree-head-{first.size:012d}.txt"]
    assert files[0].read_text() == first.note


def test_a_tree_head_file_is_never_overwritten(actors, settings):
    history(actors, cases=1, notes=1)
    head = transparency.publish()
    path = settings.CASEFILES_CHECKPOINT_DIR / f"tree-head-{head.size:012d}.txt"
    with pytest.raises(transparency.LogInconsistent, match="never overwritten"):
        transparency._write_once(path, b"another view\n")
    assert path.read_text() == head.note


def test_rewrite_recompute_hashes_edit_checkpoints_and_rebuild_is_caught(actors):
    ids = history(actors)
    integrity.nightly()  # the database's own per-case checkpoints
    transparency.publish()
    attacks.rewrite(ids[1], 3, lambda payload: payload.update(text="never written"))
    call_command("rebuild_projections")
    # Everything kept inside the database agrees with the forgery...
    assert integrity.verify().broken is None
    call_command("verify_events")
    call_command("rebuild_projections", "--check")
    # ...but not the tree head kept outside it.
    report = verify()
    assert not report.ok
    assert "do not hash to the root signed" in str(report)
    with pytest.raises(CommandError, match="BROKEN"):
        call_command("verify_log")


def test_rewriting_the_log_tables_too_is_caught_by_the_files(actors):
    ids = history(actors)
    transparency.publish()
    attacks.rewrite(ids[0], 2, lambda payload: payload.update(text="forged"))
    attacks.relog()  # leaves, nodes and the cached head now match the forgery
    assert not TreeHead.objects.exists()
    report = verify()
    assert "do not hash to the root signed in" in str(report)
    assert "tree-head-" in str(report)  # named after the file outside the database
    # And the log refuses to sign the forged tree.
    with pytest.raises(transparency.LogInconsistent, match="history was rewritten"):
        transparency.publish()


def test_deleting_the_last_event_is_caught(actors):
    history(actors)
    transparency.publish()
    last = Event.objects.order_by("-position").first()
    assert attacks.delete_events("position = %s", [last.position]) == 1
    with attacks.triggers_off() as cursor:
        cursor.execute("DELETE FROM casefiles_checkpoint")
    call_command("rebuild_projections")
    assert integrity.verify().broken is None  # the chain of what is left is intact
    report = verify()
    assert "gone from the event store" in str(report)
    assert "entries were removed" in str(report) or "do not hash" in str(report)


def test_deleting_the_last_event_and_its_leaf_is_caught(actors):
    history(actors)
    head = transparency.publish()
    last = Event.objects.order_by("-position").first()
    attacks.delete_events("position = %s", [last.position])
    with attacks.triggers_off() as cursor:
        cursor.execute("DELETE FROM casefiles_logleaf WHERE position = %s", [last.position])
    call_command("rebuild_projections")
    report = verify()
    assert f"signed with {head.size} leaves; the log now has {head.size - 1}" in str(report)


def test_deleting_a_whole_case_is_caught(actors):
    ids = history(actors)
    transparency.publish()
    victim = CaseFile.objects.get(pk=ids[1])
    removed = attacks.delete_events(
        "case_id = %s", [Event._meta.get_field("case_id").get_db_prep_value(ids[1], connection)]
    )
    assert removed == 5
    call_command("rebuild_projections")
    assert not CaseFile.objects.filter(pk=victim.pk).exists()
    assert integrity.verify().broken is None  # "OK": nothing in the database notices
    report = verify()
    assert not report.ok and "gone from the event store" in str(report)
    attacks.relog()  # and with the log's tables rebuilt to match what is left
    assert "signed with 15 leaves; the log now has 10: entries were removed" in str(verify())


def test_inserting_an_event_into_history_is_caught(actors):
    ids = history(actors, cases=2, notes=1)
    transparency.publish()
    attacks.rewrite(ids[0], 2, lambda payload: payload.update(text="moved"))
    attacks.relog()
    assert not verify().ok


def test_a_forged_tree_head_in_the_cache_is_refused(actors):
    history(actors, cases=1, notes=1)
    transparency.publish()
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    forged = tlog.sign_checkpoint(
        tlog.Checkpoint("casefiles.test/log", 1, b"\1" * 32), Ed25519PrivateKey.generate()
    ).render()
    with attacks.triggers_off() as cursor:
        cursor.execute(
            "INSERT INTO casefiles_treehead (size, root_hash, note, taken_at) "
            "VALUES (1, %s, %s, %s)",
            ["01" * 32, forged, "2026-01-01 00:00:00"],
        )
    assert "does not verify" in str(verify())


def test_an_auditors_kept_tree_head_catches_a_full_rewrite_by_the_key_holder(
    actors, settings, tmp_path
):
    """The operator holds the signing key: rewriting the database AND every file in the
    tree-head directory, re-signed, makes the server's own check pass. A tree head
    someone else kept (an auditor's copy, a witness's state) does not."""
    ids = history(actors)
    kept = tmp_path / "auditor-kept.txt"
    kept.write_text(transparency.publish().note)
    attacks.rewrite(ids[2], 4, lambda payload: payload.update(text="rewritten"))
    attacks.relog()
    for path in settings.CASEFILES_CHECKPOINT_DIR.iterdir():
        path.chmod(0o644)
        path.unlink()
    transparency.publish()
    assert verify().ok  # the server alone can be fooled by whoever holds its key
    report = verify(kept)
    assert not report.ok and "auditor-kept.txt" in str(report)


def test_update_and_delete_on_the_log_tables_are_refused(actors):
    from django.db import DatabaseError, transaction

    history(actors, cases=1, notes=1)
    transparency.publish()
    for sql in (
        "UPDATE casefiles_logleaf SET hash = 'x'",
        "DELETE FROM casefiles_lognode",
        "UPDATE casefiles_treehead SET note = 'x'",
        "DELETE FROM casefiles_logleaf",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)


def test_the_nightly_task_alerts_on_a_rewritten_log(actors):
    from casefiles import tasks
    from casefiles.models import IntegrityAlert

    ids = history(actors)
    transparency.publish()
    attacks.rewrite(ids[0], 5, lambda payload: payload.update(text="rewritten"))
    call_command("rebuild_projections")
    with attacks.triggers_off() as cursor:
        cursor.execute("DELETE FROM casefiles_checkpoint")
    result = tasks.verify_chains()
    assert result.startswith("BROKEN")
    assert IntegrityAlert.objects.filter(reference="transparency log").exists()
    # With the log's tables rebuilt over the forgery, the next scheduled tree head is
    # refused rather than signed (a log never signs two inconsistent views).
    attacks.relog()
    commands.note_add(actor=actors["documenter"], case_id=ids[1], text="next")
    assert tasks.publish_tree_head().startswith("REFUSED")
