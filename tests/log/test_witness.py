"""The standalone witness (python -m casefiles.witness) in its own process, without
Django, against the application served by a live server: it cosigns, the server stores
and serves its cosignature; and the attacks it exists for (the operator, holding the
log's key, rewrites history and re-signs, rolls the log back, or serves a tree head
under another key) are refused with an ALERT and kept evidence."""

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache

from casefiles import commands, tlog, transparency
from casefiles.models import Cosignature, Event, LogLeaf
from tests.factories import histories
from tests.log import attacks

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(django_settings.BASE_DIR)
NAME = "witness.test/w1"
# Runs the witness with Django made unimportable: it must work on a machine without it.
NO_DJANGO = (
    "import runpy, sys\n"
    "sys.modules['django'] = None\n"
    "sys.argv = ['casefiles.witness', *sys.argv[1:]]\n"
    "runpy.run_module('casefiles.witness', run_name='__main__', alter_sys=True)\n"
)


def witness(*args, timeout=60):
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-c", NO_DJANGO, *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module", autouse=True)
def _sqlite_flush_past_append_only_triggers():
    """These tests commit (a live server answers the witness), so each ends with a flush,
    which SQLite runs as DELETE statements that the append-only triggers refuse: the
    flush drops the triggers, empties the tables and creates the triggers again, in its
    one transaction. (tests/conftest.py does the same for PostgreSQL's TRUNCATE.)"""
    from django.db import connection

    if connection.vendor != "sqlite":
        yield
        return
    DatabaseOperations = type(connection.ops)
    original = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, **options):
        statements = original(self, style, tables, **options)
        if not statements:
            return statements
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
            triggers = cursor.fetchall()
        return [
            *(f'DROP TRIGGER "{name}"' for name, _ in triggers),
            *statements,
            *(sql for _, sql in triggers),
        ]

    DatabaseOperations.sql_flush = sql_flush
    yield
    DatabaseOperations.sql_flush = original


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def witness_key(tmp_path, settings):
    key = tmp_path / "witness" / "ed25519.pem"
    made = witness("keygen", "--name", NAME, "--key", key)
    assert made.returncode == 0, made.stderr
    vkey = made.stdout.strip()
    settings.CASEFILES_WITNESSES = [vkey]
    return key, tlog.parse_vkey(vkey)


@pytest.fixture
def run(live_server, witness_key, tmp_path):
    key, _ = witness_key
    state = tmp_path / "witness" / "state.json"

    def round_(log_key=None, url=None, *extra):
        return witness(
            "run",
            "--log-url",
            url or live_server.url,
            "--log-key",
            log_key or transparency.log_verifier().vkey,
            "--key",
            key,
            "--name",
            NAME,
            "--state",
            state,
            "--once",
            "--timeout",
            "10",
            *extra,
        )

    round_.state = state
    round_.key = key
    return round_


def history(actors, cases=3, notes=3):
    return histories(actors["documenter"], cases, notes)


def served(live_server) -> str:
    import urllib.request

    with urllib.request.urlopen(live_server.url + "/api/log/checkpoint", timeout=10) as answer:
        return answer.read().decode()


def cosigned(run_result, size):
    assert run_result.returncode == 0, (run_result.stdout, run_result.stderr)
    line = run_result.stdout.strip()
    assert line.startswith(f"COSIGNED casefiles.test/log size {size} root "), line
    return line


def republish_forged(settings):
    """What an operator holding the log's key does after changing the database: throw
    away the tree heads written outside it, the cache and the cosignatures, and sign the
    forged tree with the real key."""
    with attacks.triggers_off() as cursor:
        for table in ("casefiles_treehead", "casefiles_cosignature"):
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608
    for path in settings.CASEFILES_CHECKPOINT_DIR.iterdir():
        path.chmod(0o644)
        path.unlink()
    return transparency.publish()


def assert_alarm(result, run, words):
    assert result.returncode == 4, (result.stdout, result.stderr)
    assert "COSIGNED" not in result.stdout
    assert result.stderr.startswith("ALERT: "), result.stderr
    assert words in result.stderr, result.stderr
    state = json.loads(run.state.read_text())
    assert words in state["alarm"]["reason"]
    evidence = Path(state["alarm"]["evidence"])
    assert evidence.parent == run.state.parent and str(evidence) in result.stderr
    return state, evidence.read_text()


def test_the_witness_does_not_import_django():
    probe = (
        "import sys\nsys.modules['django'] = None\n"
        "import casefiles.witness\n"
        "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules "
        "if sys.modules[m] is not None)\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": os.environ.get("PATH", "")},
        timeout=60,
    )
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr
    assert witness("--help").returncode == 0


def test_keygen_writes_a_private_key_and_prints_the_witness_vkey(tmp_path):
    key = tmp_path / "keys" / "w.pem"
    made = witness("keygen", "--name", NAME, "--key", key)
    assert made.returncode == 0, made.stderr
    verifier = tlog.parse_vkey(made.stdout.strip())
    assert (verifier.name, verifier.kind) == (NAME, tlog.COSIGNATURE_V1)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert key.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert witness("vkey", "--name", NAME, "--key", key).stdout.strip() == verifier.vkey
    again = witness("keygen", "--name", NAME, "--key", key)
    assert again.returncode == 2 and "never overwritten" in again.stderr
    assert witness("keygen", "--name", "has space", "--key", tmp_path / "x").returncode == 2
    key.chmod(0o644)
    loose = witness("vkey", "--name", NAME, "--key", key)
    assert loose.returncode == 2 and "chmod 600" in loose.stderr


def test_the_witness_cosigns_and_the_server_serves_its_cosignature(
    run, live_server, actors, witness_key
):
    _, verifier = witness_key
    ids = history(actors)
    head = transparency.publish()
    first = run()
    cosigned(first, head.size)
    assert "first contact: trusted on first use" in first.stdout
    assert "first contact" in first.stderr and verifier.vkey in first.stderr
    text = served(live_server)
    checkpoint, note = tlog.open_checkpoint(text, transparency.log_verifier())
    assert checkpoint.size == head.size
    times = tlog.cosigned_by(note, [verifier])
    assert list(times) == [verifier.vkey] and abs(times[verifier.vkey] - time.time()) < 60
    assert Cosignature.objects.filter(tree_size=head.size, witness=verifier.vkey).exists()
    state = json.loads(run.state.read_text())
    assert (state["size"], state["root"]) == (head.size, tlog.b64(checkpoint.root))
    # More activity: the next round checks a consistency proof from the last size.
    for i in range(5):
        commands.note_add(actor=actors["documenter"], case_id=ids[i % 3], text=f"more {i}")
    later = transparency.publish()
    second = cosigned(run(), later.size)
    assert "+5 leaves, consistency proof of" in second
    assert "first contact" not in second
    _, note = tlog.open_checkpoint(served(live_server), transparency.log_verifier())
    assert verifier.vkey in tlog.cosigned_by(note, [verifier])
    # Nothing new: cosigned again, the server keeps the first cosignature.
    assert "(unchanged; already stored)" in cosigned(run(), later.size)
    assert Cosignature.objects.count() == 2


def test_rewritten_history_resigned_at_the_same_size_is_a_split_view(
    run, live_server, actors, settings
):
    ids = history(actors)
    honest = transparency.publish()
    cosigned(run(), honest.size)
    attacks.rewrite(ids[1], 2, lambda payload: payload.update(text="never written"))
    attacks.relog()
    forged = republish_forged(settings)
    assert forged.size == honest.size and forged.root_hash != honest.root_hash
    state, evidence = assert_alarm(run(), run, "split view")
    assert honest.note in evidence and forged.note in evidence
    assert not Cosignature.objects.exists()  # the forged head was not cosigned
    assert state["size"] == honest.size  # still the last honest head
    # The alarm holds: later rounds refuse too, whatever the log serves then.
    commands.note_add(actor=actors["documenter"], case_id=ids[0], text="later")
    transparency.publish()
    again = run()
    assert again.returncode == 4 and "refuses to cosign until a person" in again.stderr
    assert not Cosignature.objects.exists()
    # The evidence file is never overwritten; a new alarm would get a new file.
    assert Path(state["alarm"]["evidence"]).read_text() == evidence


def test_rewritten_history_in_a_larger_tree_fails_the_consistency_proof(
    run, live_server, actors, settings
):
    ids = history(actors)
    honest = transparency.publish()
    cosigned(run(), honest.size)
    attacks.rewrite(ids[0], 3, lambda payload: payload.update(text="rewritten"))
    commands.note_add(actor=actors["documenter"], case_id=ids[2], text="cover")
    attacks.relog()
    forged = republish_forged(settings)
    assert forged.size == honest.size + 1
    _, evidence = assert_alarm(run(), run, "does not extend the tree of size")
    assert "history was rewritten or removed" in evidence
    assert honest.note in evidence and forged.note in evidence
    assert "consistency proof the log gave" in evidence
    assert not Cosignature.objects.exists()


def test_a_rollback_is_refused(run, live_server, actors, settings):
    history(actors)
    honest = transparency.publish()
    cosigned(run(), honest.size)
    last = Event.objects.order_by("-position").first()
    attacks.delete_events("position = %s", [last.position])
    with attacks.triggers_off() as cursor:
        cursor.execute("DELETE FROM casefiles_logleaf WHERE position = %s", [last.position])
    assert not LogLeaf.objects.filter(position=last.position).exists()
    rolled_back = republish_forged(settings)
    assert rolled_back.size == honest.size - 1
    _, evidence = assert_alarm(run(), run, "rollback")
    assert honest.note in evidence and rolled_back.note in evidence


def test_a_tree_head_signed_by_another_key_is_refused(run, live_server, actors, settings, tmp_path):
    ids = history(actors)
    honest = transparency.publish()
    pinned = transparency.log_verifier().vkey
    cosigned(run(), honest.size)
    before = run.state.read_text()
    # The server now signs with another key (a new server, a stolen name): same origin.
    settings.CASEFILES_SIGNING_KEY = tmp_path / "other" / "ed25519.key"
    settings.CASEFILES_CHECKPOINT_DIR = tmp_path / "other-heads"
    commands.note_add(actor=actors["documenter"], case_id=ids[0], text="later")
    with attacks.triggers_off() as cursor:
        cursor.execute("DELETE FROM casefiles_treehead")
    other = transparency.publish()
    refused = run(pinned)
    assert refused.returncode == 3, (refused.stdout, refused.stderr)
    assert refused.stderr.startswith("REFUSED: ") and "is not signed by" in refused.stderr
    assert run.state.read_text() == before  # nothing recorded, no alarm: not the log's
    assert not Cosignature.objects.filter(tree_size=other.size).exists()
    # Pinned to the new key, the old state (another key) is a person's decision.
    switched = run(transparency.log_verifier().vkey)
    assert switched.returncode == 2 and "a key change is a person's decision" in switched.stderr


def test_a_witness_the_log_does_not_know_is_told_so(run, live_server, actors, settings):
    history(actors, cases=1, notes=1)
    head = transparency.publish()
    settings.CASEFILES_WITNESSES = []
    refused = run()
    assert refused.returncode == 3 and "HTTP 403" in refused.stderr, refused.stderr
    assert "CASEFILES_WITNESSES" in refused.stderr
    assert not Cosignature.objects.exists()
    # Its state records the tree head it checked; once configured, it delivers.
    assert json.loads(run.state.read_text())["size"] == head.size
    settings.CASEFILES_WITNESSES = [
        witness("vkey", "--name", NAME, "--key", run.key).stdout.strip()
    ]
    assert "(unchanged; stored)" in cosigned(run(), head.size)


def test_unreachable_log_and_no_tree_head(run, live_server, tmp_path, witness_key):
    body = run()  # nothing published yet
    assert body.returncode == 1 and "no tree head to witness yet" in body.stderr
    assert not run.state.exists()
    with socket_closed() as url:
        down = run(None, url)
    assert down.returncode == 1 and down.stderr.startswith("ERROR: cannot reach"), down.stderr
    assert not run.state.exists()


def test_with_an_interval_the_witness_keeps_trying(witness_key, tmp_path):
    key, _ = witness_key
    with socket_closed() as url:
        process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                NO_DJANGO,
                "run",
                "--log-url",
                url,
                "--log-key",
                transparency.log_verifier().vkey,
                "--key",
                str(key),
                "--name",
                NAME,
                "--state",
                str(tmp_path / "state.json"),
                "--interval",
                "0.2",
                "--timeout",
                "2",
            ],
            cwd=ROOT,
            env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(3)
        process.terminate()
        _, stderr = process.communicate(timeout=10)
    assert stderr.count("ERROR: cannot reach") >= 2, stderr


class socket_closed:
    """A loopback URL on which nothing listens."""

    def __enter__(self):
        import socket

        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        sock.close()
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc):
        return False


def test_a_damaged_state_stops_the_witness(run, live_server, actors):
    history(actors, cases=1, notes=1)
    transparency.publish()
    run.state.parent.mkdir(parents=True, exist_ok=True)
    run.state.write_text("{not json")
    result = run()
    assert result.returncode == 2 and "Do not delete it" in result.stderr


def test_the_test_vector_in_the_witness_docs():
    """docs/witness.md gives a third party a fixed log, tree head, proofs and cosignature
    to test their own witness against: they are what tlog computes."""
    import hashlib

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    docs = (ROOT / "docs" / "witness.md").read_text()
    log_key = Ed25519PrivateKey.from_private_bytes(bytes(32))
    witness_key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    hashes = [hashlib.sha256(bytes([i])).hexdigest() for i in range(3)]
    leaves = [tlog.event_leaf(h) for h in hashes]
    tree = tlog.Tree(
        lambda level, index: tlog.root_of(leaves[index << level : (index + 1) << level])
    )
    note = tlog.sign_checkpoint(
        tlog.Checkpoint("casefiles.example.org/log", 3, tree.root(3)), log_key
    )
    line = tlog.cosign(note.text, witness_key, "witness.example.org/w1", 1_700_000_000).line()
    expected = [
        tlog.verifier_for(log_key, "casefiles.example.org/log").vkey,
        tlog.verifier_for(witness_key, "witness.example.org/w1", tlog.COSIGNATURE_V1).vkey,
        *hashes,
        tlog.b64(tree.root(2)),
        tlog.b64(tree.root(3)),
        json.dumps(tlog.hashes_to_b64(tree.consistency_proof(2, 3))),
        json.dumps(tlog.hashes_to_b64(tree.inclusion_proof(2, 3))),
        note.render() + line,
    ]
    for value in expected:
        assert value in docs, value
