"""Projection rebuild and chain verification at scale (issue 9, benchmarks 3 and 4).

    .venv/bin/python bench/rebuild_verify.py [--sizes auto | --sizes 100000,1000000]

For each size, a fresh database bench_rebuild gets that many valid, hash-chained events
(cases of 100 events: CaseOpened then 99 NoteAdded, hashed with
casefiles.domain.hashing.event_hash and loaded with COPY: the immutability trigger only
refuses UPDATE and DELETE). Then `manage.py rebuild_projections` and
`manage.py verify_events` each run in their own process: events/s and that process's
peak RSS (wait4). `auto` runs 10k, then the largest of 1M, 300k, 100k, 30k whose
rebuild projects (linearly, from the 10k rate) to at most 10 minutes.
"""

import argparse
import json
import time
import uuid
from datetime import UTC, datetime

import benchlib

DATABASE = "bench_rebuild"
EVENTS_PER_CASE = 100
BUDGET_SECONDS = 600
FIRST = 10_000
CANDIDATES = (1_000_000, 300_000, 100_000, 30_000)
HEADER = (
    "| events | cases | generate (COPY) | rebuild | rebuild events/s | rebuild peak RSS "
    "| verify_events | verify events/s | verify peak RSS |"
)
ACTOR = {"id": 1, "username": "bench-documenter", "role": "documenter"}


def events_for(number: int, case_id: str, start: float):
    """One case's chain as COPY rows."""
    from casefiles.domain.hashing import GENESIS_HASH, event_hash
    from casefiles.eventstore import format_time

    prev_hash = GENESIS_HASH
    for version in range(1, EVENTS_PER_CASE + 1):
        if version == 1:
            kind, payload = (
                "CaseOpened",
                {
                    "reference": f"CF-2026-{number:06d}",
                    "title": f"Generated case {number}",
                    "summary": "Shelling of a residential block.",
                    "categories": ["wilful_killing"],
                    "places": ["Irpin"],
                    "incident_from": "2022-03-01",
                    "incident_to": None,
                },
            )
        else:
            kind, payload = (
                "NoteAdded",
                {
                    "note_id": str(uuid.uuid5(uuid.NAMESPACE_OID, f"{case_id}/{version}")),
                    "text": f"Witness statement {version} on case {number}: details in the "
                    "attached transcript.",
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


def generate(url: str, total: int) -> float:
    """COPY `total` events into the fresh database; returns the seconds it took."""
    import psycopg

    started = time.perf_counter()
    start = time.time() - total  # one second per case, in the past
    columns = "case_id, version, type, schema, payload, actor, occurred_at, prev_hash, hash"
    with psycopg.connect(url) as conn, conn.cursor() as cursor:
        with cursor.copy(f"COPY casefiles_event ({columns}) FROM STDIN") as copy:
            for number in range(1, total // EVENTS_PER_CASE + 1):
                case_id = str(uuid.uuid5(uuid.NAMESPACE_OID, f"bench-case-{number}"))
                for row in events_for(number, case_id, start):
                    copy.write_row(row)
        cursor.execute("ANALYZE casefiles_event")
    return time.perf_counter() - started


def measure(url: str, total: int) -> dict:
    benchlib.recreate_database(DATABASE)
    benchlib.migrate(url)
    generated = generate(url, total)
    rebuild = benchlib.manage(url, "rebuild_projections")
    verify = benchlib.manage(url, "verify_events")
    for run in (rebuild, verify):
        if run.returncode:
            raise SystemExit(run.output)
    return {"events": total, "generate": generated, "rebuild": rebuild, "verify": verify}


def row(result: dict, baseline: benchlib.Run) -> str:
    total, rebuild, verify = result["events"], result["rebuild"], result["verify"]
    return (
        f"| {total:,} | {total // EVENTS_PER_CASE:,} | {result['generate']:.0f} s | "
        f"{rebuild.seconds:.1f} s | **{total / rebuild.seconds:,.0f}** | "
        f"{rebuild.peak_rss_mib:.0f} MiB | {verify.seconds:.1f} s | "
        f"**{total / verify.seconds:,.0f}** | {verify.peak_rss_mib:.0f} MiB |"
    )


def second_size(first_seconds: float) -> tuple[int, str]:
    """The largest of 1M, 300k, 100k, 30k whose rebuild, at the first run's rate,
    fits the budget; and a note saying what was left out and why."""
    fits = [n for n in CANDIDATES if first_seconds * n / FIRST <= BUDGET_SECONDS]
    big = fits[0] if fits else CANDIDATES[-1]
    if big == CANDIDATES[0]:
        return big, ""
    return big, (
        f"1,000,000 events not run: the {FIRST:,}-event rebuild took "
        f"{first_seconds:.0f} s, so 1M projects to about "
        f"{first_seconds * CANDIDATES[0] / FIRST / 60:.0f} min on this machine "
        f"(budget {BUDGET_SECONDS // 60} min); {big:,} instead."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default="auto",
        help="comma-separated event counts, or auto (100k, then 1M or 300k)",
    )
    args = parser.parse_args()
    url = benchlib.database_url(DATABASE)
    benchlib.setup_django(url)
    sizes = [FIRST] if args.sizes == "auto" else [int(size) for size in args.sizes.split(",")]
    results = [measure(url, size) for size in sizes]
    note = ""
    if args.sizes == "auto":
        big, note = second_size(results[0]["rebuild"].seconds)
        results.append(measure(url, big))
    baseline = benchlib.manage(url, "check")
    machine = benchlib.machine(url)
    first, last = results[0], results[-1]
    growth = last["events"] / first["events"]
    rebuild_growth = last["rebuild"].seconds / first["rebuild"].seconds
    verify_growth = last["verify"].seconds / first["verify"].seconds
    body = f"""
Cases of {EVENTS_PER_CASE} events (CaseOpened + 99 NoteAdded); times include process
start-up; `manage.py check` (a bare Django process) takes {baseline.seconds:.1f} s and
{baseline.peak_rss_mib:.0f} MiB here.

{HEADER}
|---:|---:|---:|---:|---:|---:|---:|---:|---:|
{chr(10).join(row(result, baseline) for result in results)}

Growth from {first["events"]:,} to {last["events"]:,} events (×{growth:.0f}): rebuild time
×{rebuild_growth:.1f}, verify time ×{verify_growth:.1f} (linear would be ×{growth:.0f});
peak RSS {first["rebuild"].peak_rss_mib:.0f} → {last["rebuild"].peak_rss_mib:.0f} MiB
(rebuild) and {first["verify"].peak_rss_mib:.0f} → {last["verify"].peak_rss_mib:.0f} MiB
(verify). {note}
"""
    benchlib.append_results(
        "Projection rebuild and verify_events (issue 9 #3, #4)",
        benchlib.this_command(),
        machine,
        body,
    )


if __name__ == "__main__":
    main()
