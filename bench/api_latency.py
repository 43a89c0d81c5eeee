"""API latency and throughput under load on loopback (issue 5's benchmark, issue 9 #6).

    .venv/bin/python bench/api_latency.py [--cases 10000] [--events-per-case 5]
        [--seconds 20] [--connections 4]

A fresh database bench_api gets `--cases` cases of valid, hash-chained events (CaseOpened
then NoteAdded, hashed with casefiles.domain.hashing.event_hash and loaded with COPY),
then `manage.py rebuild_projections` builds the read models and `manage.py
verify_events` must pass. gunicorn (2 sync workers) serves it on 127.0.0.1 and wrk
(Debian's `wrk`, Lua scripts written by this script) drives, one after the other and
`--seconds` each:

* `GET /api/cases/` (the first page, 25 cases, newest first),
* `GET /api/cases/{id}/` on random cases,
* `POST /api/cases/{id}/notes/` with token auth and `If-Match`: each wrk thread walks its
  own share of the cases round-robin and keeps each case's version from the `ETag` of the
  last answer, so a 412 only appears if two requests raced on one case. 412s and every
  other status are counted separately; only 201s count as notes added.

Afterwards `verify_events` and `rebuild_projections --check` must pass and the notes in
the database must be exactly the 201s. The throttle is raised for the run (the default
3000/minute per user would measure the throttle).
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path

import benchlib

DATABASE = "bench_api"
GUNICORN_WORKERS = 2
ACTOR = {"id": 1, "username": "bench-documenter", "role": "documenter"}
CATEGORIES = ("wilful_killing", "attack_on_civilians", "pillage", "torture")
PLACES = ("Bucha", "Irpin", "Izium", "Mariupol", "Kramatorsk")
NOTE_TEXT = "Witness statement {n} on case {case}: details in the attached transcript."

# Shared by the three wrk scripts: counts each status per thread, reports percentiles
# and the counts as one JSON line (wrk's own summary lumps every non-2xx together).
LUA_COMMON = r"""
local threads = {}
statuses = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_number", #threads)
end
function count(status)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      merged[tostring(status)] = (merged[tostring(status)] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(merged) do table.insert(parts, string.format('"%s": %d', status, n)) end
  io.write(string.format(
    'WRK_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, '
    .. '"p99_us": %d, "max_us": %d, "socket_errors": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max,
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout,
    table.concat(parts, ", ")))
end
"""

LUA_LIST = r"""
wrk.headers["Authorization"] = "Token %(token)s"
function response(status, headers, body) count(status) end
"""

LUA_DETAIL = r"""
wrk.headers["Authorization"] = "Token %(token)s"
ids = {%(ids)s}
function init(args) math.randomseed(1000 + thread_number) end
function request()
  return wrk.format("GET", "/api/cases/" .. ids[math.random(#ids)] .. "/")
end
function response(status, headers, body) count(status) end
"""

LUA_NOTES = r"""
all_ids = {%(ids)s}
threads_total = %(threads)d
mine, versions, next_index = {}, {}, 0
function init(args)
  for index, id in ipairs(all_ids) do
    if index %% threads_total == thread_number - 1 then
      table.insert(mine, id)
      versions[id] = %(version)d
    end
  end
end
function request()
  next_index = next_index %% #mine + 1
  local id = mine[next_index]
  return wrk.format("POST", "/api/cases/" .. id .. "/notes/",
    {["Authorization"] = "Token %(token)s", ["Content-Type"] = "application/json",
     ["If-Match"] = '"' .. versions[id] .. '"'},
    '{"text": "Load test note: the witness confirmed the time of the shelling."}')
end
function response(status, headers, body)
  count(status)
  -- The case this answer is about and its version now: from a 201's body and ETag, or
  -- from a 412's problem (instance path, current_version), so a race heals itself.
  local id = body:match('"case_id":%%s*"([%%x%%-]+)"')
    or body:match('/api/cases/([%%x%%-]+)/notes/')
  local version = (headers["ETag"] or ""):match("(%%d+)")
    or body:match('"current_version":%%s*(%%d+)')
  if id and version and versions[id] then versions[id] = tonumber(version) end
end
"""


def events_for(number: int, case_id: str, per_case: int, start: float):
    """One case's chain as COPY rows."""
    from casefiles.domain.hashing import GENESIS_HASH, event_hash
    from casefiles.eventstore import format_time

    prev_hash = GENESIS_HASH
    for version in range(1, per_case + 1):
        if version == 1:
            kind, payload = (
                "CaseOpened",
                {
                    "reference": f"CF-2026-{number:06d}",
                    "title": f"Generated case {number}",
                    "summary": "Shelling of a residential block; two witnesses interviewed.",
                    "categories": [CATEGORIES[number % len(CATEGORIES)]],
                    "places": [PLACES[number % len(PLACES)]],
                    "incident_from": f"2022-03-{number % 28 + 1:02d}",
                    "incident_to": None,
                },
            )
        else:
            kind, payload = (
                "NoteAdded",
                {
                    "note_id": str(uuid.uuid5(uuid.NAMESPACE_OID, f"{case_id}/{version}")),
                    "text": NOTE_TEXT.format(n=version, case=number),
                },
            )
        moment = datetime.fromtimestamp(start + number + version / 1000, UTC)
        fields = {
            "case_id": case_id,
            "version": version,
            "type": kind,
            "schema": 1,
            "payload": payload,
            "actor": ACTOR,
            "occurred_at": format_time(moment),
            "prev_hash": prev_hash,
        }
        fields["hash"] = prev_hash = event_hash(fields)
        yield (
            case_id,
            version,
            kind,
            1,
            json.dumps(payload, ensure_ascii=False),
            json.dumps(ACTOR),
            fields["occurred_at"],
            fields["prev_hash"],
            fields["hash"],
        )


def generate(url: str, cases: int, per_case: int) -> list[str]:
    """COPY the events of `cases` cases into the fresh database; returns the case ids."""
    import psycopg

    start = time.time() - cases - 3600  # one second per case, in the past
    ids = [str(uuid.uuid5(uuid.NAMESPACE_OID, f"bench-api-case-{n}")) for n in range(1, cases + 1)]
    columns = "case_id, version, type, schema, payload, actor, occurred_at, prev_hash, hash"
    with psycopg.connect(url) as conn, conn.cursor() as cursor:
        with cursor.copy(f"COPY casefiles_event ({columns}) FROM STDIN") as copy:
            for number, case_id in enumerate(ids, start=1):
                for row in events_for(number, case_id, per_case, start):
                    copy.write_row(row)
        cursor.execute("ANALYZE casefiles_event")
    return ids


def checked(run: benchlib.Run, what: str) -> str:
    if run.returncode:
        raise SystemExit(f"{what} failed:\n{run.output}")
    return run.output.strip().splitlines()[-1]


def api_token(url: str) -> str:
    """A documenter with an API token (users are not event-sourced)."""
    from django.contrib.auth.models import Group, User

    from casefiles.commands.tokens import token_issue

    user = User.objects.create_user(username="bench-documenter", is_staff=True)
    user.groups.add(Group.objects.get_or_create(name="documenter")[0])
    return token_issue(user=user, issued_with="bench")[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(url: str, port: int, work: Path) -> subprocess.Popen:
    env = benchlib.django_env(
        url,
        DEBUG="0",
        CASEFILES_VAR_DIR=str(work),
        API_THROTTLE_USER="1000000/minute",
        DB_CONN_MAX_AGE="60",
    )
    log = (work / "gunicorn.log").open("w")
    return subprocess.Popen(  # noqa: S603 - a fixed command line
        [
            benchlib.PYTHON,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(GUNICORN_WORKERS),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=benchlib.ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_until_serving(base: str, token: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 90
    request = urllib.request.Request(
        f"{base}/api/cases/", headers={"Authorization": f"Token {token}"}
    )
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("gunicorn exited before serving")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(1)
    raise SystemExit("gunicorn did not answer within 90 s")


def wrk(base: str, path: str, script: str, seconds: int, connections: int) -> dict:
    """One wrk run (2 threads); its JSON result line plus derived figures."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(LUA_COMMON + script)
    try:
        done = subprocess.run(  # noqa: S603 - a fixed command line
            [
                "wrk",
                "-t2",
                f"-c{connections}",
                f"-d{seconds}s",
                "--timeout",
                "30s",
                "-s",
                lua.name,
                base + path,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        os.unlink(lua.name)
    line = next((line for line in done.stdout.splitlines() if line.startswith("WRK_RESULT ")), None)
    if line is None:
        raise SystemExit(f"wrk failed:\n{done.stdout}{done.stderr}")
    result = json.loads(line.removeprefix("WRK_RESULT "))
    result["seconds"] = result["duration_us"] / 1e6
    return result


def row(name: str, result: dict, success: int) -> str:
    statuses = ", ".join(f"{status} × {n:,}" for status, n in sorted(result["statuses"].items()))
    ok = result["statuses"].get(str(success), 0)
    return (
        f"| {name} | {result['requests']:,} | {statuses} | {result['socket_errors']} | "
        f"{result['p50_us'] / 1000:.1f} ms | {result['p95_us'] / 1000:.1f} ms | "
        f"{result['p99_us'] / 1000:.1f} ms | **{result['requests'] / result['seconds']:.0f}**"
        f" | {ok / result['seconds']:.0f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--events-per-case", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=4)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found: apt-get install -y wrk")
    url = benchlib.recreate_database(DATABASE)
    benchlib.setup_django(url)
    benchlib.migrate(url)
    started = time.perf_counter()
    ids = generate(url, args.cases, args.events_per_case)
    generated = time.perf_counter() - started
    rebuild = benchlib.manage(url, "rebuild_projections")
    checked(rebuild, "rebuild_projections")
    verified_before = checked(benchlib.manage(url, "verify_events"), "verify_events")
    token = api_token(url)

    work = Path(tempfile.mkdtemp(prefix="bench-api-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_gunicorn(url, port, work)
    try:
        wait_until_serving(base, token, server)
        lua_ids = ", ".join(f'"{case_id}"' for case_id in ids)
        common = {"token": token, "ids": lua_ids, "threads": 2, "version": args.events_per_case}
        wrk(base, "/api/cases/", LUA_LIST % common, 3, args.connections)  # warm-up
        runs = [
            (
                "`GET /api/cases/`",
                wrk(base, "/api/cases/", LUA_LIST % common, args.seconds, args.connections),
                200,
            ),
            (
                "`GET /api/cases/{id}/`",
                wrk(base, "/", LUA_DETAIL % common, args.seconds, args.connections),
                200,
            ),
            (
                "`POST /api/cases/{id}/notes/`",
                wrk(base, "/", LUA_NOTES % common, args.seconds, args.connections),
                201,
            ),
        ]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    server_errors = (work / "gunicorn.log").read_text(errors="replace").strip()
    shutil.rmtree(work, ignore_errors=True)

    verified = checked(benchlib.manage(url, "verify_events"), "verify_events")
    rebuilt = checked(
        benchlib.manage(url, "rebuild_projections", "--check"), "rebuild_projections --check"
    )
    from casefiles.models import CaseNote

    notes_added = CaseNote.objects.count() - args.cases * (args.events_per_case - 1)
    created = runs[2][1]["statuses"].get("201", 0)
    wrk_version = (
        subprocess.run(
            ["wrk", "--version"],
            capture_output=True,
            text=True,  # noqa: S607
            check=False,
        )
        .stdout.splitlines()[0]
        .split(" [")[0]
    )
    import gunicorn

    machine = (
        f"{benchlib.machine(url)}; gunicorn {gunicorn.__version__} "
        f"({GUNICORN_WORKERS} sync workers), {wrk_version}"
    )
    body = f"""
{args.cases:,} cases, {args.cases * args.events_per_case:,} events (CaseOpened +
{args.events_per_case - 1} NoteAdded each), loaded with COPY in {generated:.0f} s;
`rebuild_projections` {rebuild.seconds:.0f} s; `verify_events` before the run: {verified_before}.
gunicorn with {GUNICORN_WORKERS} sync workers, `DEBUG=0`, `DB_CONN_MAX_AGE=60`,
`LOG_LEVEL=WARNING`, user throttle raised; wrk with 2 threads and {args.connections}
connections, {args.seconds} s per endpoint after a 3 s warm-up, token auth, on the same
2 cores as gunicorn and PostgreSQL. Latencies are over every answer (whatever its status).

| endpoint | requests | statuses | socket errors | p50 | p95 | p99 | requests/s | successes/s |
|---|---:|---|---:|---:|---:|---:|---:|---:|
{chr(10).join(row(name, result, success) for name, result, success in runs)}

POSTs: {created:,} answered 201 and {notes_added:,} notes were stored (at most
{args.connections} more: requests still in flight when wrk stopped are not counted);
a 412 would mean two requests raced on one case (each wrk thread walks its own cases
and keeps their ETags). After the run: `verify_events`: {verified}; `rebuild_projections
--check`: {rebuilt}. gunicorn's log (warnings and errors): {server_errors[:500] or "empty"}.
"""
    benchlib.append_results(
        "API latency under load (issue 5, issue 9 #6)", benchlib.this_command(), machine, body
    )
    if not created <= notes_added <= created + args.connections:
        raise SystemExit(f"{created} notes answered 201 but {notes_added} were stored")


if __name__ == "__main__":
    main()
