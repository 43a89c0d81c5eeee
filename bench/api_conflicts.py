"""Concurrent API clients issuing conflicting transitions and edits (issue 9, reliability).

    .venv/bin/python bench/api_conflicts.py [--seconds 60] [--clients 50] [--cases 5]

A fresh database bench_conflicts (PostgreSQL) with a few cases opened through the
commands, served by gunicorn (2 workers × 4 threads, so requests really overlap in the
database); `--clients` threads, each with its own keep-alive connection and token, hammer
those few cases for `--seconds`: documenters read a case and edit it, add notes, request
transitions (a fifth of the time with an ETag one version old), supervisors approve or
reject what is pending (or edit too), a legal reviewer and an auditor try the same.

Pass only if: no 5xx and no connection error; every answer is one of 200, 201 (done),
409, 412 (conflict), 403 (role, four-eyes) or 422 (criteria not met); the events the 2xx
answers report are exactly the events added to the database (no lost or doubled write);
`verify_events` and `rebuild_projections --check` pass. tests/reliability/
test_api_conflicts.py runs the same for 10 s on the test suite's PostgreSQL database;
`make soak` runs this script for 60 s.
"""

import argparse
import contextlib
import http.client
import json
import os
import random
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import benchlib

DATABASE = "bench_conflicts"
ACCEPTED = {200, 201, 403, 409, 412, 422}
ROLES = (
    "documenter",
    "documenter",
    "documenter",
    "supervisor",
    "supervisor",
    "legal_reviewer",
    "auditor",
)


@dataclass
class Tally:
    """What the clients saw, merged under a lock."""

    statuses: Counter = field(default_factory=Counter)  # (action, status) -> n
    events_reported: int = 0
    unexpected: list[str] = field(default_factory=list)  # 5xx, other statuses, errors
    details: Counter = field(default_factory=Counter)  # (action, status, detail) -> n
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, action: str, status: int, body: bytes) -> None:
        with self.lock:
            self.statuses[(action, status)] += 1
            if status in (200, 201) and action != "read":
                self.events_reported += len(json.loads(body).get("events", []))
            elif status >= 400 and status in ACCEPTED:
                self.details[(action, status, _detail(body))] += 1
            if status not in ACCEPTED:
                self.unexpected.append(f"{action} → {status}: {body[:300]!r}")

    def error(self, action: str, exc: Exception) -> None:
        with self.lock:
            self.statuses[(action, "error")] += 1
            self.unexpected.append(f"{action} → {type(exc).__name__}: {exc}")

    def totals(self) -> Counter:
        total: Counter = Counter()
        for (_, status), n in self.statuses.items():
            total[status] += n
        return total


def _detail(body: bytes) -> str:
    """A refusal's problem detail with the ids and numbers blanked, to group them."""
    try:
        detail = str(json.loads(body).get("detail", ""))
    except ValueError:
        return body[:80].decode(errors="replace")
    return re.sub(r"[0-9a-f-]{36}|CF-[0-9-]+|[0-9]+", "…", detail)[:120]


class Client:
    """One API user on one keep-alive connection."""

    def __init__(self, port: int, token: str, role: str, seed: int, tally: Tally):
        self.port, self.token, self.role = port, token, role
        self.rng = random.Random(seed)
        self.tally = tally
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def call(
        self,
        action: str,
        method: str,
        path: str,
        body: dict | None = None,
        if_match: str | None = None,
    ) -> tuple[int, dict, dict]:
        headers = {"Authorization": f"Token {self.token}", "Content-Type": "application/json"}
        if if_match is not None:
            headers["If-Match"] = if_match
        try:
            self.connection.request(method, path, json.dumps(body) if body else None, headers)
            response = self.connection.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.tally.error(action, exc)
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            return 0, {}, {}
        self.tally.add(action, response.status, raw)
        return response.status, dict(response.headers), json.loads(raw or b"{}")

    def run(self, case_ids: list[str], deadline: float) -> None:
        while time.monotonic() < deadline:
            case_id = self.rng.choice(case_ids)
            status, headers, case = self.call("read", "GET", f"/api/cases/{case_id}/")
            if status != 200:
                continue
            etag = headers.get("ETag", '"0"')
            if self.rng.random() < 0.2 and case["version"] > 1:
                etag = f'"{case["version"] - 1}"'  # a client that read an older version
            if self.role == "supervisor" and self.rng.random() < 0.6:
                self.decide()
            else:
                self.change(case_id, case, etag)
        self.connection.close()

    def change(self, case_id: str, case: dict, etag: str) -> None:
        choice = self.rng.random()
        path = f"/api/cases/{case_id}/"
        if choice < 0.35:
            self.call(
                "edit",
                "PATCH",
                path,
                {"title": f"Shelling of a school, edit {self.rng.randrange(10**6)}"},
                etag,
            )
        elif choice < 0.6:
            self.call(
                "note",
                "POST",
                path + "notes/",
                {"text": f"Witness {self.rng.randrange(10**6)} confirmed the time."},
                etag,
            )
        else:
            targets = [entry["to_state"] for entry in case.get("transitions", [])] or ["sourcing"]
            self.call(
                "transition",
                "POST",
                path + "transitions/",
                {"to_state": self.rng.choice(targets), "reason": "ready, as I read it"},
                etag,
            )

    def decide(self) -> None:
        status, _, queue = self.call("read", "GET", "/api/approvals/")
        pending = queue.get("results", []) if status == 200 else []
        if not pending:
            return
        request = self.rng.choice(pending)
        verb = "approve" if self.rng.random() < 0.7 else "reject"
        self.call(
            verb,
            "POST",
            f"/api/approvals/{request['request_id']}/{verb}/",
            {"reason": "checked the sources"},
            f'"{request["case_version"]}"',
        )


def hammer(port: int, tokens: list[tuple[str, str]], case_ids: list[str], seconds: float) -> Tally:
    """Run one client per (role, token) until `seconds` have passed; all finish their
    request in flight, so every answer is counted."""
    tally = Tally()
    deadline = time.monotonic() + seconds
    clients = [Client(port, token, role, seed, tally) for seed, (role, token) in enumerate(tokens)]
    threads = [threading.Thread(target=client.run, args=(case_ids, deadline)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def gunicorn(url: str, port: int, **extra: str) -> Iterator[Path]:
    """gunicorn (2 workers × 4 threads) on `url`; yields its log file."""
    work = Path(tempfile.mkdtemp(prefix="api-conflicts-"))
    env = benchlib.django_env(
        url, DEBUG="0", CASEFILES_VAR_DIR=str(work), API_THROTTLE_USER="1000000/minute", **extra
    )
    log = work / "gunicorn.log"
    with log.open("w") as out:
        server = subprocess.Popen(  # noqa: S603 - a fixed command line
            [
                benchlib.PYTHON,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--worker-class",
                "gthread",
                "--threads",
                "4",
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=benchlib.ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for_port(port, server)
        yield log
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def wait_for_port(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("gunicorn exited before serving")
        with contextlib.suppress(OSError, http.client.HTTPException):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", "/api/schema/")
            if connection.getresponse().status == 200:
                return
        time.sleep(1)
    raise RuntimeError("gunicorn did not serve within 90 s")


def server_errors(log: Path) -> str:
    """gunicorn's error lines (4xx answers are logged as warnings: expected here)."""
    return "\n".join(
        line for line in log.read_text(errors="replace").splitlines() if not WARNING.search(line)
    )


# A warning in any of the log formats: JSON (production), plain text (development,
# casefiles' LOGGING) or gunicorn's own.
WARNING = re.compile(r'"level": "WARNING"|\[WARNING\]|^\S+ \S+ WARNING ')


def prepare(cases: int, clients: int) -> tuple[list[tuple[str, str]], list[str]]:
    """(Django set up) Users with tokens, one per client, and `cases` open cases."""
    from django.contrib.auth.models import Group, User

    from casefiles import commands
    from casefiles.commands.tokens import token_issue
    from casefiles.domain.actors import Actor

    tokens = []
    for number in range(clients):
        role = ROLES[number % len(ROLES)]
        user = User.objects.create_user(username=f"client{number:02d}", is_staff=True)
        user.groups.add(Group.objects.get_or_create(name=role)[0])
        tokens.append((role, token_issue(user=user, issued_with="bench")[1]))
    opener = Actor.for_user(User.objects.get(username="client00"))
    case_ids = [
        str(
            commands.case_open(
                actor=opener,
                title=f"Shelling of school {n}",
                summary="Two witnesses interviewed.",
                categories=["attack_on_civilians"],
                places=["Kharkiv"],
                incident_from="2022-03-01",
                incident_to="2022-03-02",
            ).case_id
        )
        for n in range(cases)
    ]
    return tokens, case_ids


def summary(tally: Tally) -> str:
    by_status = tally.totals()
    actions = sorted({action for action, _ in tally.statuses})
    statuses = sorted(by_status, key=str)
    header = "| action | " + " | ".join(str(s) for s in statuses) + " |"
    rows = [
        f"| {action} | "
        + " | ".join(f"{tally.statuses.get((action, s), 0):,}" for s in statuses)
        + " |"
        for action in actions
    ]
    total = "| **all** | " + " | ".join(f"**{by_status[s]:,}**" for s in statuses) + " |"
    return "\n".join([header, "|---|" + "---:|" * len(statuses), *rows, total])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--cases", type=int, default=5)
    args = parser.parse_args()
    url = benchlib.recreate_database(DATABASE)
    benchlib.setup_django(url)
    benchlib.migrate(url)
    tokens, case_ids = prepare(args.cases, args.clients)
    from casefiles.models import Event

    before = Event.objects.count()
    port = free_port()
    with gunicorn(url, port) as log:
        tally = hammer(port, tokens, case_ids, args.seconds)
        server_log = server_errors(log)
    added = Event.objects.count() - before
    verify = benchlib.manage(url, "verify_events")
    check = benchlib.manage(url, "rebuild_projections", "--check")
    by_status = tally.totals()
    five_xx = sum(n for status, n in by_status.items() if isinstance(status, int) and status >= 500)
    passed = (
        not tally.unexpected
        and added == tally.events_reported
        and verify.returncode == 0
        and check.returncode == 0
    )
    samples = "\n".join(f"* `{line}`" for line in tally.unexpected[:10])
    refusals = "\n".join(
        f"| {action} | {status} | {detail} | {n:,} |"
        for (action, status, detail), n in sorted(tally.details.items(), key=lambda item: -item[1])[
            :15
        ]
    )
    body = f"""
{args.clients} clients ({", ".join(f"{n} {r}" for r, n in Counter(r for r, _ in tokens).items())})
on {args.cases} cases for {args.seconds:.0f} s, gunicorn 2 workers × 4 threads on PostgreSQL:
{sum(by_status.values()):,} requests ({sum(by_status.values()) / args.seconds:.0f}/s).
Answers per action:

{summary(tally)}

5xx: **{five_xx}**; connection errors: {by_status.get("error", 0)}; answers outside
{sorted(ACCEPTED)}: {len(tally.unexpected)}. Events reported by the 2xx answers:
{tally.events_reported:,}; events added to the database: {added:,}.
`verify_events`: {verify.output.strip().splitlines()[-1]}  
`rebuild_projections --check`: {check.output.strip().splitlines()[-1]}
{samples}
The refusals, grouped by their problem detail (ids and numbers blanked):

| action | status | detail | n |
|---|---:|---|---:|
{refusals}

gunicorn's log (errors): {server_log[:500] or "empty"}

Result: **{"PASS" if passed else "FAIL"}**.
"""
    benchlib.append_results(
        "Reliability: concurrent conflicting API clients (issue 9)",
        benchlib.this_command(),
        benchlib.machine(url),
        body,
    )
    if not passed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
