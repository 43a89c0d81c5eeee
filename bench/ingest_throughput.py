"""Ingestion through a real Celery worker on Redis (issue 9, benchmark 5).

    .venv/bin/python bench/ingest_throughput.py [--documents 1000] [--workers 1,2]

For each worker count, a fresh database bench_ingest and blob store; the documents
(the five seed articles, each copy made unique by a numbered header line: see
`documents`) are submitted with `ingestion_submit` while no worker runs, then one
`celery worker --concurrency=N` (prefork) on its own queue in Redis database 9 ingests
them. Documents/s is measured between the first and the last job's `finished_at`, so
worker start-up does not count. Afterwards every job must be finished and
`verify_events` must pass.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchlib

DATABASE = "bench_ingest"
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/9")
HEADER = (
    "| worker processes | finished | statuses | sources | cases | events | ingest time "
    "| documents/s | vs 1 | verify_events |"
)


def documents(count: int, folder: Path) -> list[Path]:
    """`count` unique documents from the seeds, deterministic: copy n of seed n % 5 with
    a header naming its number, so its bytes and its normalised text differ from all
    others (no duplicate, no near-duplicate)."""
    seeds = sorted((benchlib.ROOT / "seeds").glob("*.txt"))
    paths = []
    for number in range(count):
        seed = seeds[number % len(seeds)]
        path = folder / f"{number:05d}_{seed.name}"
        path.write_text(
            f"Monitoring report {number:05d} (copy of {seed.stem})\n\n"
            + seed.read_text(encoding="utf-8"),
            encoding="utf-8",
        )
        paths.append(path)
    return paths


def start_worker(env: dict[str, str], concurrency: int) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603 - a fixed command line
        [
            benchlib.PYTHON,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            env["CELERY_QUEUE"],
            f"--concurrency={concurrency}",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        env=env,
        cwd=benchlib.ROOT,
    )


def run(count: int, concurrency: int, wait_seconds: int) -> dict:
    url = benchlib.recreate_database(DATABASE)
    blobs = tempfile.mkdtemp(prefix="bench-ingest-blobs-")
    queue = f"bench-ingest-{os.getpid()}-{concurrency}"
    env = benchlib.django_env(url, REDIS_URL=REDIS, CELERY_QUEUE=queue, CASEFILES_BLOB_DIR=blobs)
    benchlib.migrate(url)
    # Submitting and counting run in children: each run has its own queue and blob
    # store, which Django reads from the environment once.
    submitted = float(helper(env, "_submit", str(count)))
    worker = start_worker(env, concurrency)
    try:
        stats = wait_until_done(env, wait_seconds)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
    verify = benchlib.manage(url, "verify_events")
    shutil.rmtree(blobs, ignore_errors=True)
    stats.update(
        submitted=submitted,
        concurrency=concurrency,
        verified=verify.output.strip()
        if verify.returncode == 0
        else f"FAILED: {verify.output.strip()}",
    )
    return stats


def helper(env: dict[str, str], *args: str) -> str:
    """This script's Django-side helpers (`_submit`, `_status`) in a child process."""
    done = subprocess.run(  # noqa: S603 - this very script
        [benchlib.PYTHON, __file__, *args],
        env=env,
        cwd=benchlib.ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise SystemExit(done.stdout + done.stderr)
    return done.stdout.strip().splitlines()[-1]


def wait_until_done(env: dict[str, str], wait_seconds: int) -> dict:
    deadline = time.monotonic() + wait_seconds
    while True:
        stats = json.loads(helper(env, "_status"))
        if stats["queued"] == 0 or time.monotonic() > deadline:
            return stats
        time.sleep(5)


def submit(count: int) -> None:
    """(child) Submit `count` generated documents; prints the seconds it took."""
    from casefiles.commands.ingestion import ingestion_submit

    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        for path in documents(count, Path(folder)):
            ingestion_submit(
                data=path.read_bytes(),
                filename=path.name,
                submitted_by="bench/ingest_throughput.py",
            )
    print(time.perf_counter() - started)


def status() -> None:
    """(child) Where the jobs are, as one JSON line."""
    from django.db.models import Count, Max, Min

    from casefiles.models import CaseFile, Event, Ingestion, Source

    jobs = Ingestion.objects
    statuses = dict(jobs.values_list("status").annotate(n=Count("id")).order_by("status"))
    done = jobs.exclude(status=Ingestion.QUEUED)
    span = done.aggregate(first=Min("finished_at"), last=Max("finished_at"))
    finished = done.count()
    seconds = (span["last"] - span["first"]).total_seconds() if finished > 1 else 0.0
    print(
        json.dumps(
            {
                "queued": statuses.get(Ingestion.QUEUED, 0),
                "finished": finished,
                "statuses": ", ".join(f"{k} {v}" for k, v in statuses.items()),
                "sources": Source.objects.count(),
                "cases": CaseFile.objects.count(),
                "events": Event.objects.count(),
                "seconds": seconds,
                "rate": (finished - 1) / seconds if seconds else 0.0,
            }
        )
    )


def main() -> None:
    if sys.argv[1:2] in (["_submit"], ["_status"]):
        benchlib.setup_django(os.environ["DATABASE_URL"], keep_broker=True)
        submit(int(sys.argv[2])) if sys.argv[1] == "_submit" else status()
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=1000, help="the issue asks for 1000")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument(
        "--wait",
        type=int,
        default=2400,
        help="seconds to wait for each worker count before counting what is done",
    )
    args = parser.parse_args()
    url = benchlib.database_url(DATABASE)
    results = [run(args.documents, int(n), args.wait) for n in args.workers.split(",")]
    machine = benchlib.machine(url)
    base = results[0]["rate"]
    rows = "\n".join(
        f"| {r['concurrency']} | {r['finished']} of {args.documents} | {r['statuses']} | "
        f"{r['sources']} | {r['cases']} | {r['events']:,} | {r['seconds']:.0f} s | "
        f"**{r['rate']:.2f}** | ×{r['rate'] / base:.2f} | {r['verified']} |"
        for r in results
    )
    body = f"""
{args.documents} documents (seed articles made unique by a numbered header), submitted
before the worker starts (submission of all of them took {results[0]["submitted"]:.0f} s);
documents/s between the first and the last finished job.

{HEADER}
|---:|---:|---|---:|---:|---:|---:|---:|---:|---|
{rows}
"""
    benchlib.append_results(
        "Ingestion through a Celery worker on Redis (issue 9 #5)",
        benchlib.this_command(),
        machine,
        body,
    )


if __name__ == "__main__":
    main()
