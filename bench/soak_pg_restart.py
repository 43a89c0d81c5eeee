"""Reliability: restart PostgreSQL during a stream of commands (issue 9). `make soak`.

    .venv/bin/python bench/soak_pg_restart.py [--seconds 40] [--writers 4] [--keep]

Starts a PostgreSQL of its own (initdb in a temporary directory, port 55432, run as the
`postgres` system user when started as root), never the shared server. Writer processes
add notes to their own cases through `note_add` while the server is restarted twice:
once `pg_ctl restart -m fast` and once `-m immediate` (a crash: WAL recovery). Then:

* every command reported as done is stored: its event and its note row;
* every command that failed failed with a clear error (its class and message are
  listed), and is either wholly stored or wholly absent (never an event without its
  note, or the reverse): a commit whose acknowledgement was lost in the crash is
  "in doubt" for its caller, and is counted;
* `verify_events` and `rebuild_projections --check` pass.

Exit status 1 if any check fails. Results are appended to docs/benchmarks.md.
"""

import argparse
import json
import multiprocessing
import os
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

import benchlib

PORT = 55432
BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
DATABASE = "bench_restart"


class Server:
    """A throwaway PostgreSQL cluster in `folder`."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.data = folder / "data"
        self.log = folder / "server.log"

    def _run(self, *argv: str) -> None:
        command = [str(BIN / argv[0]), *argv[1:]]
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True)  # noqa: S603

    def init(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres")

    def pg_ctl(self, action: str, *extra: str) -> None:
        options = f"-p {PORT} -k {self.folder} -c listen_addresses=127.0.0.1"
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", action, *extra
        )

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{PORT}/{name}"


def writer(url: str, user_id: int, case_id: str, number: int, until: float) -> list[dict]:
    """Add notes until `until`, recording every command's outcome."""
    benchlib.setup_django(url)
    from django.contrib.auth.models import User
    from django.db import Error, connection

    from casefiles import commands
    from casefiles.domain.actors import Actor
    from casefiles.errors import CaseFileError

    actor = Actor.for_user(User.objects.get(pk=user_id))
    log = []
    attempt = 0
    while time.time() < until:
        attempt += 1
        text = f"restart soak: writer {number}, command {attempt}"
        try:
            outcome = commands.note_add(actor=actor, case_id=case_id, text=text)
            log.append({"text": text, "ok": True, "version": outcome.version})
        except (Error, CaseFileError) as exc:
            log.append(
                {
                    "text": text,
                    "ok": False,
                    "error": type(exc).__name__,
                    "message": str(exc).strip().splitlines()[0][:200] if str(exc) else "",
                }
            )
            connection.close()  # a broken connection is not reused; the next command reconnects
            time.sleep(0.2)
    return log


def stream(url: str, user_id: int, cases: list[str], seconds: float, server: Server) -> list[dict]:
    context = multiprocessing.get_context("spawn")
    start = time.time()
    until = start + seconds
    with context.Pool(len(cases)) as pool:
        pending = pool.starmap_async(
            writer, [(url, user_id, case, n, until) for n, case in enumerate(cases)]
        )
        time.sleep(seconds / 3)
        server.pg_ctl("restart", "-m", "fast")
        time.sleep(seconds / 3)
        server.pg_ctl("restart", "-m", "immediate")
        logs = pending.get(timeout=seconds + 120)
    return [entry for log in logs for entry in log]


def audit(url: str, log: list[dict]) -> dict:
    """Match what the writers were told against what is stored."""
    from casefiles.models import CaseNote, Event

    events = {
        e["payload"]["text"] for e in Event.objects.filter(type="NoteAdded").values("payload")
    }
    notes = set(CaseNote.objects.values_list("text", flat=True))
    lost = [e["text"] for e in log if e["ok"] and not (e["text"] in events and e["text"] in notes)]
    half = sorted(events ^ notes)
    failed = [e for e in log if not e["ok"]]
    in_doubt = [e["text"] for e in failed if e["text"] in events]
    rebuild = benchlib.manage(url, "rebuild_projections", "--check")
    verify = benchlib.manage(url, "verify_events")
    return {
        "commands": len(log),
        "done": len(log) - len(failed),
        "failed": len(failed),
        "errors": Counter(f"{e['error']}: {e['message']}" for e in failed),
        "lost": lost,
        "half": half,
        "in_doubt": in_doubt,
        "verify": verify.output.strip().splitlines()[-1],
        "verify_ok": verify.returncode == 0,
        "rebuild": rebuild.output.strip().splitlines()[-1],
        "rebuild_ok": rebuild.returncode == 0,
    }


def prepare(url: str, writers: int) -> tuple[int, list[str]]:
    import psycopg

    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{DATABASE}"')
    benchlib.migrate(url)
    benchlib.setup_django(url)
    from django.contrib.auth.models import Group, User
    from django.db import connection

    from casefiles import commands
    from casefiles.domain.actors import Actor

    user = User.objects.create_user("soak-documenter", is_staff=True)
    user.groups.add(Group.objects.get(name="documenter"))
    actor = Actor.for_user(user)
    cases = [
        commands.case_open(actor=actor, title=f"Soak case {n}").case_id for n in range(writers)
    ]
    connection.close()
    return user.pk, cases


def report(result: dict, args: argparse.Namespace, machine: str) -> bool:
    passed = (
        not result["lost"]
        and not result["half"]
        and result["verify_ok"]
        and result["rebuild_ok"]
        and result["failed"] > 0
    )
    errors = "\n".join(
        f"* {count} × `{message}`" for message, count in result["errors"].most_common()
    )
    body = f"""
{args.writers} writers adding notes for {args.seconds} s while the server restarted
(`-m fast`, then `-m immediate`): {result["commands"]} commands, {result["done"]} done,
{result["failed"]} failed with these errors:

{errors or "* none (the restarts hit no command: rerun)"}

Done but not stored: {len(result["lost"])}. Stored half (event without note or the
reverse): {len(result["half"])}. Failed for the caller but committed (acknowledgement
lost in the crash, "in doubt"): {len(result["in_doubt"])}.
`verify_events`: {result["verify"]}  \n`rebuild_projections --check`: {result["rebuild"]}

Result: **{"PASS" if passed else "FAIL"}**.
"""
    benchlib.append_results(
        "Reliability: PostgreSQL restarted during a stream of commands",
        benchlib.this_command(),
        machine,
        body,
    )
    return passed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--keep", action="store_true", help="keep the server's directory")
    args = parser.parse_args()
    server = Server(Path(tempfile.mkdtemp(prefix="bench-pg-")))
    server.init()
    server.pg_ctl("start")
    try:
        url = server.url(DATABASE)
        user_id, cases = prepare(url, args.writers)
        log = stream(url, user_id, cases, args.seconds, server)
        result = audit(url, log)
        passed = report(result, args, benchlib.machine(url))
    finally:
        from django.db import connections

        connections.close_all()
        server.pg_ctl("stop", "-m", "fast")
        if not args.keep:
            shutil.rmtree(server.folder, ignore_errors=True)
    print(json.dumps({k: v for k, v in result.items() if k != "errors"}, default=str)[:2000])
    raise SystemExit(0 if passed else 1)


if __name__ == "__main__":
    main()
