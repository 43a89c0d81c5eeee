"""Against a peer: casefiles vs the `eventsourcing` library (issue 9, benchmark 2).

    .venv/bin/python bench/peer_eventsourcing.py [--commands 1000]

The same workload through both, in the same run, on the same PostgreSQL server:
open a case, then add notes to it, 1 writer process (one case) and 8 writer processes
(one case each, a quarter of the commands each). casefiles runs `note_add` (permission,
row lock, version check, hash chain, append, read-model projection) in database
bench_peer_casefiles; the peer runs an aggregate with the same two events (Opened,
NoteAdded) through its PostgreSQL recorder (psycopg 3) with its defaults (no snapshots,
no aggregate cache: each command loads the aggregate and saves the new event) in
database bench_peer_eventsourcing. Goal: casefiles at least 1.5× the peer's rate.
"""

import argparse
import multiprocessing
import os
import time
import uuid
from urllib.parse import urlparse

import benchlib
import command_throughput
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

GOAL = 1.5
TEXT = "Witness statement received by phone; details in the attached transcript. " * 3


class Case(Aggregate):
    @event("Opened")
    def __init__(self, title: str, summary: str) -> None:
        self.title = title
        self.summary = summary
        self.notes: list[dict] = []

    @event("NoteAdded")
    def add_note(self, note_id: str, text: str) -> None:
        self.notes.append({"note_id": note_id, "text": text})


class Cases(Application):
    def open(self, title: str) -> uuid.UUID:
        case = Case(title=title, summary="Shelling of a residential block.")
        self.save(case)
        return case.id

    def note_add(self, case_id: uuid.UUID, text: str) -> None:
        case = self.repository.get(case_id)
        case.add_note(note_id=str(uuid.uuid4()), text=text)
        self.save(case)


def peer_env(url: str) -> dict[str, str]:
    parts = urlparse(url)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": parts.path.lstrip("/"),
        "POSTGRES_HOST": parts.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(parts.port or 5432),
        "POSTGRES_USER": parts.username or "postgres",
        "POSTGRES_PASSWORD": parts.password or "",
    }


def peer_writer(url: str, count: int, start_at: float) -> list[float]:
    # The parent created the tables: concurrent CREATE TABLE IF NOT EXISTS can collide.
    app = Cases(env={**peer_env(url), "CREATE_TABLE": "n"})
    case_id = app.open(f"Peer case {os.getpid()}")
    while time.time() < start_at:
        time.sleep(0.005)
    ends = []
    for number in range(count):
        app.note_add(case_id, f"{TEXT} ({number})")
        ends.append(time.perf_counter())
    app.close()
    return ends


def run_peer(url: str, writers: int, count: int) -> dict:
    context = multiprocessing.get_context("spawn")
    start_at = time.time() + 3
    with context.Pool(writers) as pool:
        results = pool.starmap(peer_writer, [(url, count, start_at)] * writers)
    total = sum(len(ends) for ends in results)
    elapsed = (max(e[-1] for e in results) - min(e[0] for e in results)) * total / (total - writers)
    return {"rate": total / elapsed, "commands": total, "seconds": elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--commands",
        type=int,
        default=1000,
        help="commands for the single writer (each of 8 writers: a quarter)",
    )
    args = parser.parse_args()
    peer_url = benchlib.recreate_database("bench_peer_eventsourcing")
    Cases(env=peer_env(peer_url)).close()  # creates the peer's tables once, before the race
    url = benchlib.recreate_database("bench_peer_casefiles")
    user_id, cases = command_throughput.prepare(url)
    machine = benchlib.machine(url)
    from django.db import connection

    connection.close()
    rows = []
    writers_many = command_throughput.WRITERS
    for writers, count, ours in (
        (1, args.commands, cases[:1]),
        (writers_many, args.commands // 4, cases[1 : writers_many + 1]),
    ):
        mine = command_throughput.run_writers(url, user_id, ours, count)
        theirs = run_peer(peer_url, writers, count)
        rows.append((writers, mine, theirs, mine["rate"] / theirs["rate"]))
        print(
            f"{writers} writer(s): casefiles {mine['rate']:.1f}/s, "
            f"eventsourcing {theirs['rate']:.1f}/s",
            flush=True,
        )
    table = "\n".join(
        f"| {w} | {m['rate']:.0f} ({m['commands']} in {m['seconds']:.1f} s) | "
        f"{t['rate']:.0f} ({t['commands']} in {t['seconds']:.1f} s) | **{r:.2f}** |"
        for w, m, t, r in rows
    )
    single = rows[0][3]
    verdict = "met" if single >= GOAL else f"**not met**: {single:.2f}× with 1 writer"
    body = f"""
| writers | casefiles note_add/s | eventsourcing {_version()} add_note/s | casefiles ÷ peer |
|---:|---:|---:|---:|
{table}

Goal ≥ {GOAL}× the peer: {verdict}. Both load the current state before appending (the
peer replays its aggregate's events, casefiles reads its read models under a row lock),
so both slow down as a case grows; each writer ends at {args.commands} (1 writer) or
{args.commands // 4} (8 writers) notes on its case. casefiles also hashes the chain and
updates the read models (case file row, note row) in the same transaction.
"""
    benchlib.append_results(
        "Against a peer: the eventsourcing library (issue 9 #2)",
        benchlib.this_command(),
        machine,
        body,
    )


def _version() -> str:
    from importlib.metadata import version

    return version("eventsourcing")


if __name__ == "__main__":
    main()
