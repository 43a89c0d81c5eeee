"""The docker-compose stack without Docker: gunicorn + a Celery worker + Celery beat on the
machine's PostgreSQL and Redis, under production settings, exercised end to end:
ingest the seeds through the worker, approve a transition over HTTP, export and verify a
case (pinned to the log's key), see beat's verification run and /health/ answer 200; and
a witness, a separate process with its own key (python -m casefiles.witness), cosigns the
tree heads beat publishes, checking consistency proofs between its rounds, and the bundle
verifies against a later tree head with the witness's cosignature required. Exit 0 only if
all of it works.

Usage: python .ci/stack_e2e.py   (needs PostgreSQL on 127.0.0.1:5432 and Redis on :6379)
"""

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PG = os.environ.get("E2E_PG", "postgres://postgres@127.0.0.1:5432")
DB = f"stack_e2e_{secrets.token_hex(4)}"
# The runtime role the served processes log in as: SELECT and INSERT only on the
# append-only tables (docs/operations.md, "Database roles"); migrations run as the owner.
RUNTIME_ROLE = f"casefiles_app_{secrets.token_hex(4)}"
PORT = int(os.environ.get("E2E_PORT", "8765"))
BASE = f"http://127.0.0.1:{PORT}"
WORK = Path(tempfile.mkdtemp(prefix="casefiles-e2e-"))
ENV = {
    **os.environ,
    "DJANGO_ENV": "production",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "0",  # no TLS proxy on loopback
    "DATABASE_URL": f"{PG}/{DB}",
    "REDIS_URL": "redis://127.0.0.1:6379/7",
    "CELERY_QUEUE": f"e2e-{secrets.token_hex(4)}",
    "CASEFILES_VAR_DIR": str(WORK / "var"),
    "STATIC_ROOT": str(WORK / "static"),
    "VERIFY_INTERVAL_SECONDS": "5",
    "AXES_ENABLED": "1",
}
ENV.pop("DEBUG", None)
processes: list[subprocess.Popen] = []
WITNESS = "e2e.witness.test/w1"
WITNESS_KEY = WORK / "witness" / "ed25519.pem"
WITNESS_STATE = WORK / "witness" / "state.json"


def step(message: str) -> None:
    print(f"--- {message}", flush=True)


def manage(*args: str) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=600
    )
    if result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def start(name: str, *command: str) -> None:
    log = open(WORK / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
    processes.append(
        subprocess.Popen(
            command, cwd=ROOT, env=ENV, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    )


def totp_code(hex_key: str) -> str:
    from django_otp.oath import totp  # TOTPDevice's defaults: 30 s steps, 6 digits

    return f"{totp(bytes.fromhex(hex_key)):06d}"


def http(method: str, path: str, body=None, token=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(BASE + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    request.add_header("X-Forwarded-Proto", "https")
    if token:
        request.add_header("Authorization", f"Token {token}")
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read() or b"{}")


def wait_for_health(deadline: float) -> dict:
    last = None
    while time.monotonic() < deadline:
        try:
            status, _, body = http("GET", "/health/")
            last = body
            if status == 200:
                return body
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(1)
    raise SystemExit(f"/health/ never answered 200: {last}")


def witness(*args: str) -> subprocess.CompletedProcess:
    """The witness as a third party runs it: its own process, no Django settings."""
    return subprocess.run(
        [PYTHON, "-m", "casefiles.witness", *args],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        timeout=120,
    )


def verify_export(*args: str) -> str:
    """The auditor's verifier, without Django settings; it must print OK."""
    result = subprocess.run(
        [PYTHON, "-m", "casefiles.verify_export", *args],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
    )
    print(result.stdout.strip())
    assert result.returncode == 0 and result.stdout.startswith("OK"), result
    return result.stdout


def get_text(path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(BASE + path, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def wait_for_tree_head(larger_than: int, deadline: float) -> int:
    """The size of the latest tree head once beat has published one above `larger_than`."""
    from casefiles import tlog

    size = None
    while time.monotonic() < deadline:
        status, text = get_text("/api/log/checkpoint")
        if status == 200:
            size = tlog.parse_checkpoint(tlog.parse_note(text).text).size
            if size > larger_than:
                return size
        time.sleep(1)
    raise SystemExit(f"beat published no tree head larger than {larger_than} (last: {size})")


def witness_round(log_key: str) -> tuple[int, str]:
    """One round of the witness; the size it cosigned and the line it printed."""
    result = witness(
        "run",
        "--log-url",
        BASE,
        "--log-key",
        log_key,
        "--key",
        str(WITNESS_KEY),
        "--name",
        WITNESS,
        "--state",
        str(WITNESS_STATE),
        "--once",
    )
    line = result.stdout.strip()
    print(line)
    assert result.returncode == 0 and line.startswith("COSIGNED "), result
    return int(re.search(r" size (\d+) ", line).group(1)), line


def check_cosigned(log_key: str, witness_vkey: str, size: int) -> tuple[int, str]:
    """GET /api/log/checkpoint carries the witness's cosignature of the size it cosigned
    (another round if beat published a larger tree head meanwhile); returns that size and
    the cosigned tree head."""
    from casefiles import tlog

    for _ in range(5):
        status, text = get_text("/api/log/checkpoint")
        assert status == 200, text
        checkpoint, note = tlog.open_checkpoint(text, tlog.parse_vkey(log_key))
        if checkpoint.size == size:
            witness_key = tlog.parse_vkey(witness_vkey)
            assert witness_key.vkey in tlog.cosigned_by(note, [witness_key]), text
            print(f"GET /api/log/checkpoint: size {size}, cosigned by {WITNESS}")
            return size, text
        size, _ = witness_round(log_key)
    raise SystemExit("the checkpoint never carried the witness's cosignature")


def main() -> None:
    step("a witness key, made before the server starts: the server accepts its cosignatures")
    made = witness("keygen", "--name", WITNESS, "--key", str(WITNESS_KEY))
    assert made.returncode == 0, made
    witness_vkey = made.stdout.strip()
    ENV["CASEFILES_WITNESSES"] = witness_vkey
    ENV["CASEFILES_TREE_HEAD_INTERVAL"] = "2"  # beat publishes a tree head every 2 s
    print(witness_vkey)

    step(f"database {DB}, work dir {WORK}")
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DB], check=True)
    manage("migrate", "--noinput")
    step(f"the runtime role {RUNTIME_ROLE}: everything from here on logs in as it")
    subprocess.run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            DB,
            "-q",
            "-c",
            f"CREATE ROLE {RUNTIME_ROLE} LOGIN",
        ],
        check=True,
    )
    print(manage("grant_runtime_role", RUNTIME_ROLE).strip())
    ENV["DATABASE_URL"] = f"{PG.replace('//postgres@', f'//{RUNTIME_ROLE}@', 1)}/{DB}"
    assert RUNTIME_ROLE in ENV["DATABASE_URL"], ENV["DATABASE_URL"]
    manage("collectstatic", "--noinput")
    passwords = dict(re.findall(r"username: (\w+)\s+password: (\S+)", manage("demo_users")))
    # Production requires a second factor of supervisors (casefiles/authpolicy.py): an
    # administrator gives sup a TOTP device; sup sends its code with the password.
    sup_totp = (
        manage(
            "shell",
            "-c",
            "from django.contrib.auth.models import User; "
            "from django_otp.plugins.otp_totp.models import TOTPDevice; "
            "print(TOTPDevice.objects.create(user=User.objects.get(username='sup'), "
            "name='e2e', confirmed=True).key)",
        )
        .strip()
        .splitlines()[-1]
    )

    step("start gunicorn, a Celery worker and Celery beat")
    start(
        "web",
        PYTHON,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--bind",
        f"127.0.0.1:{PORT}",
        "--workers",
        "2",
    )
    start(
        "worker",
        PYTHON,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "-Q",
        ENV["CELERY_QUEUE"],
        "--concurrency=2",
        "--loglevel=INFO",
        "--without-gossip",
        "--without-mingle",
    )
    start(
        "beat",
        PYTHON,
        "-m",
        "celery",
        "-A",
        "config",
        "beat",
        "--loglevel=INFO",
        "--schedule",
        str(WORK / "celerybeat-schedule"),
    )
    health = wait_for_health(time.monotonic() + 90)
    step(f"/health/: {health['checks']}")
    status, _, ready = http("GET", "/health/ready/")
    assert status == 200 and ready["checks"]["database_role"]["ok"], (status, ready)
    step(f"/health/ready/ under the runtime role: {ready['checks']}")

    step("ingest the seeds through the worker")
    summary = manage("ingest_seeds", "--wait", "180").strip().splitlines()[-1]
    print(summary)
    assert summary == "5 ingested, 0 duplicate(s), 0 near-duplicate(s), 0 failed", summary

    step("the witness's first round: first contact, trust on first use, cosign")
    # The log's key, as its operator reads it on the server and hands it to the witness's
    # operator out of band (never taken from the server the witness is checking).
    log_key = (
        manage(
            "shell",
            "-c",
            "from casefiles import transparency;print(transparency.log_verifier().vkey)",
        )
        .strip()
        .splitlines()[-1]
    )
    wait_for_tree_head(0, time.monotonic() + 60)
    first, line = witness_round(log_key)
    assert "first contact" in line, line

    step("request intake → sourcing as the documenter, approve as the supervisor, over HTTP")
    tokens = {}
    status, _, body = http(
        "POST", "/api/auth/token/", {"username": "sup", "password": passwords["sup"]}
    )
    assert status == 422 and "otp" in body["errors"], (status, body)
    for user in ("doc", "sup"):
        request = {"username": user, "password": passwords[user]}
        if user == "sup":
            request["otp"] = totp_code(sup_totp)
        status, _, body = http("POST", "/api/auth/token/", request)
        assert status == 200, (status, body)
        tokens[user] = body["token"]
    status, _, cases = http("GET", "/api/cases/?state=intake", token=tokens["doc"])
    assert status == 200 and cases["results"], (status, cases)
    case = cases["results"][0]
    status, headers, detail = http("GET", f"/api/cases/{case['id']}/", token=tokens["doc"])
    status, _, body = http(
        "POST",
        f"/api/cases/{case['id']}/transitions/",
        {"to_state": "sourcing", "reason": "title, summary and category set"},
        token=tokens["doc"],
        headers={"If-Match": headers["ETag"]},
    )
    assert status == 201 or status == 200, (status, body)
    status, _, queue = http("GET", "/api/approvals/", token=tokens["sup"])
    request = next(r for r in queue["results"] if r["case_id"] == case["id"])
    status, _, body = http(
        "POST",
        f"/api/approvals/{request['request_id']}/approve/",
        {"reason": "criteria hold"},
        token=tokens["sup"],
        headers={"If-Match": f'"{request["case_version"]}"'},
    )
    assert status in (200, 201), (status, body)
    status, _, detail = http("GET", f"/api/cases/{case['id']}/", token=tokens["sup"])
    assert detail["state"] == "sourcing", detail
    print(f"{detail['reference']} is now in sourcing")

    step("the witness's second round: beat's new tree head extends the one it cosigned")
    second = wait_for_tree_head(first, time.monotonic() + 60)
    cosigned, line = witness_round(log_key)
    assert cosigned >= second and "consistency proof of" in line, line
    check_cosigned(log_key, witness_vkey, cosigned)

    step("export the case and verify the bundle without Django, pinned to the log's key")
    bundle = WORK / "bundle.zip"
    manage("export_case", detail["reference"], "--out", str(bundle), "--user", "audit")
    verify_export(str(bundle), "--public-key", log_key)

    step(
        "the witness cosigns a tree head after the export; the bundle verifies against "
        "it, with the witness's cosignature required"
    )
    with zipfile.ZipFile(bundle) as archive:
        from casefiles import tlog

        head = archive.read("log/tree-head.txt").decode()
        bundle_size = tlog.parse_checkpoint(tlog.parse_note(head).text).size
    wait_for_tree_head(bundle_size - 1, time.monotonic() + 60)
    cosigned, _ = witness_round(log_key)
    held = check_cosigned(log_key, witness_vkey, cosigned)
    status, _, proof = http("GET", f"/api/log/proof?from={bundle_size}&to={held[0]}")
    assert status == 200, proof
    (WORK / "held-tree-head.txt").write_text(held[1])
    (WORK / "proof.json").write_text(json.dumps(proof))
    (WORK / "trust.txt").write_text(
        f"log {log_key}\nwitness {witness_vkey}\nwitnesses-required 1\n"
    )
    out = verify_export(
        str(bundle),
        "--trust",
        str(WORK / "trust.txt"),
        "--log-checkpoint",
        str(WORK / "held-tree-head.txt"),
        "--log-proof",
        str(WORK / "proof.json"),
    )
    assert "cosigned by 1 witness(es) you trust" in out, out

    step("beat ran the nightly verification (interval 5 s here)")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        out = manage(
            "shell",
            "-c",
            "from casefiles.models import Checkpoint, IntegrityAlert;"
            "print(Checkpoint.objects.count(), IntegrityAlert.objects.count())",
        )
        # The last line: Django's shell may print an auto-import notice first.
        checkpoints, alerts = map(int, out.strip().splitlines()[-1].split())
        if checkpoints:
            break
        time.sleep(2)
    assert checkpoints > 0 and alerts == 0, (checkpoints, alerts)
    print(f"{checkpoints} checkpoint(s), {alerts} alert(s)")
    print(manage("verify_events").strip())
    print(manage("verify_log").strip())
    print(manage("rebuild_projections", "--check").strip())
    step("stack end to end: OK")


def cleanup() -> None:
    for process in processes:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DB])
    subprocess.run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-q",
            "-c",
            f"DROP ROLE IF EXISTS {RUNTIME_ROLE}",
        ]
    )
    if os.environ.get("E2E_KEEP") != "1":
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except BaseException:
        for log in sorted(WORK.glob("*.log")):
            print(f"===== {log.name} (last 40 lines)")
            print("\n".join(log.read_text(errors="replace").splitlines()[-40:]))
        raise
    finally:
        cleanup()
