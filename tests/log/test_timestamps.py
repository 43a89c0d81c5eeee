"""RFC 3161 time-stamps of the tree heads, against a local time-stamping authority: a
CA and a TSA certificate made here with `cryptography`, and a small HTTP server in a
thread that answers each query by running `openssl ts -reply` (no outside network).
Each check the server and the verifier make has the attack or failure it exists for."""

import base64
import hashlib
import http.server
import logging
import os
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.db import DatabaseError, connection, transaction

from casefiles import commands, signing, timestamp_tokens, tlog, transparency
from casefiles.export.bundle import export_case
from casefiles.models import TreeHead, TreeHeadTimestamp
from casefiles.verify_export import TIMESTAMP, Failed, verify
from tests.export import tampering
from tests.factories import open_case

pytestmark = pytest.mark.django_db

TSA_NAME = "O=casefiles tests,CN=Test TSA"  # RFC 4514 order: most specific first


def _name(common: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "casefiles tests"),
        ]
    )


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def _certificate(subject, issuer, public, signer, *, ca: bool) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca,
                content_commitment=not ca,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    if not ca:
        # RFC 3161 §2.3: a TSA's certificate has exactly this purpose, marked critical.
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
        )
    return builder.sign(signer, hashes.SHA256())


def make_ca(common: str):
    key = ec.generate_private_key(ec.SECP256R1())
    return key, _certificate(_name(common), _name(common), key.public_key(), key, ca=True)


@dataclass
class LocalTSA:
    """`openssl ts -reply` behind HTTP. `mode` makes it misbehave: "down" answers 503,
    "replay" answers every query with the first answer it gave (another head's),
    "other nonce" time-stamps the queried hash for a query of its own (as a replayed
    answer to an earlier query for the same head would be)."""

    folder: Path
    ca_file: Path
    url: str = ""
    mode: str = "ok"
    queries: int = 0
    first: bytes | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reply(self, query: bytes) -> bytes:
        with self.lock:
            self.queries += 1
            (self.folder / "query.tsq").write_bytes(query)
            if self.mode == "other nonce":
                import rfc3161_client._rust as parser

                digest = parser.parse_timestamp_request(query).message_imprint.message
                subprocess.run(
                    [
                        "openssl",
                        "ts",
                        "-query",
                        "-sha256",
                        "-digest",
                        digest.hex(),
                        "-cert",
                        "-out",
                        "query.tsq",
                    ],
                    cwd=self.folder,
                    check=True,
                    capture_output=True,
                )
            subprocess.run(
                [
                    "openssl",
                    "ts",
                    "-reply",
                    "-config",
                    "ts.cnf",
                    "-section",
                    "tsa_config",
                    "-queryfile",
                    "query.tsq",
                    "-signer",
                    "tsa.pem",
                    "-inkey",
                    "tsa.key",
                    "-out",
                    "reply.tsr",
                ],
                cwd=self.folder,
                check=True,
                capture_output=True,
            )
            answer = (self.folder / "reply.tsr").read_bytes()
            self.first = self.first or answer
            return self.first if self.mode == "replay" else answer


@pytest.fixture(scope="module")
def local_tsa(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tsa")
    ca_key, ca = make_ca("Test TSA root")
    tsa_key = ec.generate_private_key(ec.SECP256R1())
    tsa = _certificate(_name("Test TSA"), ca.subject, tsa_key.public_key(), ca_key, ca=False)
    (folder / "ca.pem").write_bytes(_pem(ca))
    (folder / "tsa.pem").write_bytes(_pem(tsa))
    (folder / "tsa.key").write_bytes(
        tsa_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (folder / "serial").write_text("01\n")
    # Only the signer's certificate goes into the token (no -chain): OpenSSL writes a
    # chain in insertion order, not in the sorted order DER requires of a SET OF, which
    # rfc3161-client refuses to parse.
    (folder / "ts.cnf").write_text(f"""\
[tsa_config]
serial = {folder}/serial
signer_digest = sha256
default_policy = 1.3.6.1.4.1.55555.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_alg = sha256
""")
    server_tsa = LocalTSA(folder, folder / "ca.pem")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (the name http.server calls)
            query = self.rfile.read(int(self.headers["Content-Length"]))
            if server_tsa.mode == "down":
                self.send_error(503)
                return
            if self.headers["Content-Type"] != timestamp_tokens.QUERY_TYPE:
                self.send_error(415)
                return
            answer = server_tsa.reply(query)
            self.send_response(200)
            self.send_header("Content-Type", timestamp_tokens.REPLY_TYPE)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server_tsa.url = f"http://127.0.0.1:{server.server_address[1]}/tsa"
    yield server_tsa
    server.shutdown()
    server.server_close()


@pytest.fixture
def tsa(local_tsa, settings):
    local_tsa.mode, local_tsa.first = "ok", None
    settings.CASEFILES_TSA_URL = local_tsa.url
    settings.CASEFILES_TSA_CA_FILE = str(local_tsa.ca_file)
    return local_tsa


@pytest.fixture(scope="module")
def other_ca(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("other-ca") / "ca.pem"
    path.write_bytes(_pem(make_ca("Test TSA root")[1]))  # same name, another key
    return path


def a_case(actors, notes=1):
    case_id = open_case(actors["documenter"], title="Shelling of a school")
    for n in range(notes):
        commands.note_add(actor=actors["documenter"], case_id=case_id, text=f"note {n}")
    return case_id


def export(case_id, path):
    with open(path, "wb") as out:
        export_case(case_id, exported_by="aud", out=out)
    return path


def pinned(path, **kwargs):
    return verify(str(path), expected_key=signing.signing_key().public.raw, **kwargs)


def run_verifier(*args: str) -> subprocess.CompletedProcess:
    """The verifier as auditors run it: its own process, no Django settings."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO")}
    return subprocess.run(
        [sys.executable, "-m", "casefiles.verify_export", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def token_file(size: int) -> Path:
    return transparency.head_dir() / f"tree-head-{size:012d}.tsr"


def gen_time(response: bytes) -> str:
    import rfc3161_client

    when = rfc3161_client.decode_timestamp_response(response).tst_info.gen_time
    return f"{when:%Y-%m-%dT%H:%M:%SZ}"


# --- The server ----------------------------------------------------------------------


def test_a_new_tree_head_is_time_stamped_over_the_hash_of_its_note(actors, tsa, tmp_path):
    import rfc3161_client

    a_case(actors)
    head = transparency.publish()
    stored = TreeHeadTimestamp.objects.get(size=head.size)
    response = token_file(head.size).read_bytes()
    assert base64.b64decode(stored.token) == response
    assert token_file(head.size).stat().st_mode & 0o777 == 0o444  # written once
    parsed = rfc3161_client.decode_timestamp_response(response)
    assert parsed.tst_info.message_imprint.message == hashlib.sha256(head.note.encode()).digest()
    assert stored.gen_time == parsed.tst_info.gen_time and stored.tsa == tsa.url
    # Checked independently of our code, as an auditor with openssl would.
    note = tmp_path / "tree-head.txt"
    note.write_text(head.note, encoding="utf-8")
    checked = subprocess.run(
        [
            "openssl",
            "ts",
            "-verify",
            "-in",
            str(token_file(head.size)),
            "-data",
            str(note),
            "-CAfile",
            str(tsa.ca_file),
        ],
        capture_output=True,
        text=True,
    )
    assert "Verification: OK" in checked.stdout, checked.stdout + checked.stderr
    note.write_text(head.note + "\n", encoding="utf-8")  # one byte more: another hash
    assert (
        "Verification: OK"
        not in subprocess.run(
            [
                "openssl",
                "ts",
                "-verify",
                "-in",
                str(token_file(head.size)),
                "-data",
                str(note),
                "-CAfile",
                str(tsa.ca_file),
            ],
            capture_output=True,
            text=True,
        ).stdout
    )


def test_only_new_tree_heads_are_sent_and_without_a_tsa_nothing_is(actors, tsa, settings):
    a_case(actors)
    transparency.publish()
    queries = tsa.queries
    transparency.publish()  # nothing new: the same head, not sent again
    assert tsa.queries == queries
    settings.CASEFILES_TSA_URL = ""
    a_case(actors)
    head = transparency.publish()
    assert tsa.queries == queries
    assert not TreeHeadTimestamp.objects.filter(size=head.size).exists()
    assert not token_file(head.size).exists()


@pytest.mark.parametrize("failure", ["unreachable", "down", "replay", "other nonce", "wrong CA"])
def test_a_failing_tsa_never_stops_publishing_and_the_next_head_is_sent(
    failure, actors, tsa, settings, other_ca, caplog
):
    """Unreachable, an HTTP error, an old answer replayed (of another head), an answer
    over this head to another query (its nonce is not ours), an answer not signed through
    the configured CA: the head is published, nothing is recorded, and the next tree head
    is time-stamped once the TSA is back."""
    a_case(actors)
    transparency.publish()  # answered: the replaying TSA has something to replay
    case_id = a_case(actors)
    if failure == "unreachable":
        settings.CASEFILES_TSA_URL = "http://127.0.0.1:9/tsa"  # discard port: refused
    elif failure == "wrong CA":
        settings.CASEFILES_TSA_CA_FILE = str(other_ca)
    else:
        tsa.mode = failure
    with caplog.at_level(logging.WARNING, logger="casefiles.timestamps"):
        head = transparency.publish()
    assert TreeHead.objects.filter(size=head.size).exists()
    assert (transparency.head_dir() / f"tree-head-{head.size:012d}.txt").exists()
    assert not TreeHeadTimestamp.objects.filter(size=head.size).exists()
    assert not token_file(head.size).exists()
    assert f"tree head {head.size} was not time-stamped" in caplog.text
    expected = {
        "unreachable": "refused",
        "down": "503",
        "replay": "it time-stamps something else",
        "other nonce": "nonce",
        "wrong CA": "does not verify against the TSA CA",
    }[failure]
    assert expected in caplog.text
    # The write path is not touched at all; the next head is sent when the TSA is back.
    settings.CASEFILES_TSA_URL, settings.CASEFILES_TSA_CA_FILE = tsa.url, str(tsa.ca_file)
    tsa.mode = "ok"
    commands.note_add(actor=actors["documenter"], case_id=case_id, text="later")
    later = transparency.publish()
    assert TreeHeadTimestamp.objects.filter(size=later.size).exists()


def test_a_token_file_that_is_not_of_its_head_is_never_overwritten_nor_stored(actors, tsa, caplog):
    """A .tsr already next to the head (written before a rolled-back transaction, or
    planted) is kept, never overwritten, and stored only if it is a time-stamp of it."""
    a_case(actors)
    first = transparency.publish()
    a_case(actors)
    transparency.sequence()
    size = transparency.log_size()
    planted = token_file(first.size).read_bytes()  # a genuine token, of another head
    token_file(size).write_bytes(planted)
    with caplog.at_level(logging.WARNING, logger="casefiles.timestamps"):
        head = transparency.publish()
    assert head.size == size
    assert token_file(size).read_bytes() == planted
    assert not TreeHeadTimestamp.objects.filter(size=size).exists()
    assert "is not a time-stamp of tree head" in caplog.text


def test_a_token_written_before_a_rollback_is_the_one_stored_later(actors, tsa):
    """The file outlives a transaction that rolled back (the head's row with it): the
    next publish of that head stores the token from the file, without asking again."""
    a_case(actors)
    with pytest.raises(RuntimeError), transaction.atomic():
        head = transparency.publish()
        raise RuntimeError("the export failed after publishing")
    assert not TreeHeadTimestamp.objects.exists() and token_file(head.size).exists()
    queries = tsa.queries
    again = transparency.publish()
    assert again.size == head.size and tsa.queries == queries
    stored = TreeHeadTimestamp.objects.get(size=head.size)
    assert base64.b64decode(stored.token) == token_file(head.size).read_bytes()


def test_update_and_delete_of_a_time_stamp_are_refused(actors, tsa):
    a_case(actors)
    transparency.publish()
    assert TreeHeadTimestamp.objects.exists()
    for sql in (
        "UPDATE casefiles_treeheadtimestamp SET token = 'x'",
        "DELETE FROM casefiles_treeheadtimestamp",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    if connection.vendor == "postgresql":
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("TRUNCATE casefiles_treeheadtimestamp")


# --- Bundles and the verifier ---------------------------------------------------------


def test_the_bundle_carries_the_time_stamp_and_the_verifier_reports_it(
    actors, tsa, tmp_path, settings
):
    case_id = a_case(actors, notes=2)
    head = transparency.publish()
    # A witness cosigns the head before the export: the bundle's tree-head.txt then holds
    # more than was time-stamped, and the verifier must hash the head as published.
    witness_key = Ed25519PrivateKey.generate()
    witness = tlog.verifier_for(witness_key, "witness.test/w1", tlog.COSIGNATURE_V1)
    settings.CASEFILES_WITNESSES = [witness.vkey]
    line = tlog.cosign(tlog.parse_note(head.note).text, witness_key, witness.name, 1800000000)
    transparency.cosignature_add(head.size, line.line())
    bundle = export(case_id, tmp_path / "b.zip")
    files = tampering.members(bundle)
    log = tampering.manifest(files)["log"]
    assert log["tree_size"] == head.size and log["timestamp"] == TIMESTAMP
    assert files[TIMESTAMP] == token_file(head.size).read_bytes()
    assert files["log/tree-head.txt"].decode() != head.note  # it carries the cosignature
    assert TIMESTAMP in [entry["path"] for entry in tampering.manifest(files)["files"]]
    when = gen_time(files[TIMESTAMP])
    result = pinned(bundle, tsa_ca=tsa.ca_file.read_bytes())
    assert f"time-stamped {when} by {TSA_NAME}" in str(result)
    assert "not checked" not in str(result)
    unpinned_tsa = pinned(bundle)
    assert (
        f"time-stamped {when} by {TSA_NAME} (the TSA's signature not checked: give "
        "--tsa-ca)" in str(unpinned_tsa)
    )
    # By hand, as docs/transparency-log.md says: the first five lines are the head as
    # published, and OpenSSL checks the token over them.
    (tmp_path / "tree-head.tsr").write_bytes(files[TIMESTAMP])
    published = b"".join(files["log/tree-head.txt"].splitlines(keepends=True)[:5])
    (tmp_path / "published.txt").write_bytes(published)
    assert published.decode() == head.note
    checked = subprocess.run(
        [
            "openssl",
            "ts",
            "-verify",
            "-in",
            "tree-head.tsr",
            "-data",
            "published.txt",
            "-CAfile",
            str(tsa.ca_file),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert "Verification: OK" in checked.stdout, checked.stdout + checked.stderr
    # The command line, as an auditor runs it.
    run = run_verifier(
        str(bundle), "--public-key", signing.signing_key().public.vkey, "--tsa-ca", str(tsa.ca_file)
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith("OK ") and f"time-stamped {when} by {TSA_NAME}" in run.stdout


def test_a_bundle_without_a_time_stamp_still_verifies_but_not_with_tsa_ca(
    actors, settings, tmp_path, local_tsa
):
    settings.CASEFILES_TSA_URL = ""
    bundle = export(a_case(actors), tmp_path / "b.zip")
    files = tampering.members(bundle)
    assert TIMESTAMP not in files and "timestamp" not in tampering.manifest(files)["log"]
    assert "time-stamp" not in str(pinned(bundle))
    with pytest.raises(Failed, match="carries no time-stamp"):
        pinned(bundle, tsa_ca=local_tsa.ca_file.read_bytes())


def test_the_time_stamp_of_another_tree_head_fails(actors, tsa, tmp_path):
    """Swap in a genuine token of an earlier head and re-sign the manifest with the real
    key: the token is valid, signed by the trusted TSA, and of the wrong tree head."""
    case_id = a_case(actors)
    earlier = transparency.publish()
    commands.note_add(actor=actors["documenter"], case_id=case_id, text="later")
    bundle = export(case_id, tmp_path / "b.zip")
    files = tampering.members(bundle)
    assert tampering.manifest(files)["log"]["tree_size"] > earlier.size
    swapped = tampering.write(
        tmp_path / "swapped.zip",
        tampering.resign({**files, TIMESTAMP: token_file(earlier.size).read_bytes()}),
    )
    for tsa_ca in (tsa.ca_file.read_bytes(), None):
        with pytest.raises(
            Failed,
            match="not a valid time-stamp of the bundle's tree head: .*time-stamps something else",
        ):
            pinned(swapped, tsa_ca=tsa_ca)
    run = run_verifier(str(swapped), "--public-key", signing.signing_key().public.vkey)
    assert run.returncode == 1 and "time-stamps something else" in run.stdout, run.stdout
    # Garbage in its place fails too; so does a token the manifest does not name (it
    # would be carried but never checked), or names but does not list.
    garbage = tampering.write(
        tmp_path / "garbage.zip", tampering.resign({**files, TIMESTAMP: b"\x30\x03\x02\x01\x00"})
    )
    with pytest.raises(Failed, match="not an RFC 3161 time-stamp response"):
        pinned(garbage)
    document = tampering.manifest(files)
    del document["log"]["timestamp"]
    unnamed = tampering.write(
        tmp_path / "unnamed.zip", tampering.resign(files, {"log": document["log"]})
    )
    with pytest.raises(Failed, match="log.timestamp does not name it"):
        pinned(unnamed)
    without = {name: data for name, data in files.items() if name != TIMESTAMP}
    unlisted = tampering.write(
        tmp_path / "unlisted.zip",
        tampering.resign(
            without,
            {
                "files": [
                    entry
                    for entry in tampering.manifest(files)["files"]
                    if entry["path"] != TIMESTAMP
                ]
            },
        ),
    )
    with pytest.raises(Failed, match="log/tree-head.tsr is not listed"):
        pinned(unlisted)


def test_the_wrong_tsa_ca_fails(actors, tsa, tmp_path, other_ca):
    bundle = export(a_case(actors), tmp_path / "b.zip")
    with pytest.raises(Failed, match="does not verify against the TSA CA given"):
        pinned(bundle, tsa_ca=other_ca.read_bytes())
    run = run_verifier(
        str(bundle), "--public-key", signing.signing_key().public.vkey, "--tsa-ca", str(other_ca)
    )
    assert run.returncode == 1 and "does not verify against the TSA CA" in run.stdout, run.stdout


def test_without_rfc3161_client_the_token_is_reported_unchecked(actors, tsa, tmp_path, monkeypatch):
    bundle = export(a_case(actors), tmp_path / "b.zip")
    monkeypatch.setitem(sys.modules, "rfc3161_client", None)  # import fails
    result = pinned(bundle)
    assert "time-stamp token present, not checked (pip install rfc3161-client)" in str(result)
    with pytest.raises(Failed, match="--tsa-ca needs rfc3161-client"):
        pinned(bundle, tsa_ca=tsa.ca_file.read_bytes())


def test_the_scheduled_round_stamps_a_head_the_tsa_missed_even_when_the_log_is_quiet(actors, tsa):
    from casefiles import tasks

    a_case(actors)
    tsa.mode = "down"
    head = transparency.publish()
    assert not TreeHeadTimestamp.objects.filter(size=head.size).exists()
    tsa.mode = "ok"
    assert tasks.publish_tree_head() == f"tree head {head.size}"  # nothing new to sign
    assert TreeHeadTimestamp.objects.filter(size=head.size).exists()
