"""Schemathesis against the live API served by gunicorn on PostgreSQL, longer than the
test suite's run (issue 9, reliability; tests/api/test_schema.py is the short one).

    .venv/bin/python bench/api_fuzz.py [--max-examples 25]

A fresh database bench_fuzz with a documenter and a supervisor (tokens) and a few cases;
`schemathesis run` (every phase: examples, coverage, fuzzing, stateful) once per role
against `/api/schema/`, with the checks of tests/api/test_schema.py (no 5xx; status
code, media type, headers and body conform). Pass only if no response is a 5xx (read
from schemathesis' NDJSON report); conformance findings are counted and listed. The run
is seeded, so it is repeatable.
"""

import argparse
import json
import subprocess
import tempfile
from pathlib import Path

import api_conflicts
import benchlib

DATABASE = "bench_fuzz"
ROLES = ("documenter", "supervisor")
SEED = 20261123
CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_headers_conformance,response_schema_conformance"
)


def fuzz(port: int, token: str, max_examples: int, report: Path) -> tuple[int, str]:
    """One schemathesis run; its exit code and its output's tail."""
    done = subprocess.run(  # noqa: S603 - a fixed command line
        [
            str(Path(benchlib.PYTHON).with_name("schemathesis")),
            "--no-color",
            "run",
            f"http://127.0.0.1:{port}/api/schema/?format=json",
            "--checks",
            CHECKS,
            "--header",
            f"Authorization: Token {token}",
            "--max-examples",
            str(max_examples),
            "--seed",
            str(SEED),
            "--request-timeout",
            "60",
            "--generation-database",
            "none",
            "--report",
            "ndjson",
            "--report-ndjson-path",
            str(report),
        ],
        cwd=benchlib.ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode, (done.stdout + done.stderr)


def server_errors(report: Path) -> tuple[int, list[str]]:
    """The answers in schemathesis' NDJSON report: how many, and each 5xx as
    'METHOD url → status'."""
    seen, found = 0, []
    for line in report.read_text(errors="replace").splitlines():
        for status, where in _statuses(json.loads(line)):
            seen += 1
            if status >= 500:
                found.append(f"{where} → {status}")
    return seen, found


def _findings(output: str) -> str:
    """schemathesis' summary lines of failures ('❌ … : n'), or 'none'."""
    lines = [
        line.strip().lstrip("❌").strip()
        for line in output.splitlines()
        if line.strip().startswith("❌") and ":" in line and "Phase" not in line
    ]
    return "; ".join(lines) or "none"


def _statuses(node, where: str = ""):
    """(status_code, 'METHOD url') pairs anywhere in a report event."""
    if isinstance(node, dict):
        request = node.get("request")
        if isinstance(request, dict) and "method" in request:
            where = f"{request['method']} {request.get('uri', '')}"
        status = node.get("status_code")
        if isinstance(status, int):
            yield status, where
        for value in node.values():
            yield from _statuses(value, where)
    elif isinstance(node, list):
        for value in node:
            yield from _statuses(value, where)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=25)
    args = parser.parse_args()
    url = benchlib.recreate_database(DATABASE)
    benchlib.setup_django(url)
    benchlib.migrate(url)
    tokens, _ = api_conflicts.prepare(cases=3, clients=len(api_conflicts.ROLES))
    by_role = {role: token for role, token in tokens}
    port = api_conflicts.free_port()
    results = []
    with tempfile.TemporaryDirectory() as work, api_conflicts.gunicorn(url, port) as log:
        for role in ROLES:
            report = Path(work) / f"{role}.ndjson"
            code, output = fuzz(port, by_role[role], args.max_examples, report)
            seen, errors = server_errors(report)
            if not seen:
                raise SystemExit(f"no answers found in {report}:\n{output[-3000:]}")
            results.append((role, code, output, errors, seen))
        gunicorn_errors = api_conflicts.server_errors(log)
    five_xx = sum(len(errors) for *_, errors, _ in results)
    rows = "\n".join(
        f"| {role} | {seen:,} | {len(errors)} | {code} | {_findings(output)} |"
        for role, code, output, errors, seen in results
    )
    samples = "\n".join(f"* `{e}`" for *_, errors, _ in results for e in errors[:10])
    body = f"""
`schemathesis run --max-examples {args.max_examples} --seed {SEED}` (every phase; the
checks of tests/api/test_schema.py) per role against gunicorn (2 workers × 4 threads) on
PostgreSQL, with a token.

| role | answers | 5xx | exit code | findings (schemathesis' summary) |
|---|---:|---:|---:|---|
{rows}

{samples}
gunicorn's log (errors): {gunicorn_errors[:500] or "empty"}

Result: **{"PASS" if five_xx == 0 else "FAIL"}** (5xx answers: {five_xx}; a non-zero
exit code without 5xx is a schema-conformance finding, listed in schemathesis' output).
"""
    benchlib.append_results(
        "Reliability: schemathesis against gunicorn (issue 9)",
        benchlib.this_command(),
        benchlib.machine(url),
        body,
    )
    for role, _, output, *_ in results:
        print(f"===== {role}\n{output[-4000:]}")
    if five_xx:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
