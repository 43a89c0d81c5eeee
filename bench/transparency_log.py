"""What the transparency log costs (PostgreSQL): appends, the sequencer, verify_log, proofs.

    .venv/bin/python bench/transparency_log.py [--quick] [--rounds 9] [--commands 1500]
                                               [--sizes 100000,1000000] [--heads 10000]

1. Append cost. `note_add` commands/s (1 writer, and 8 writer processes each on its own
   case, as bench/command_throughput.py) with the log **on** as built (eventstore.head
   takes pg_advisory_xact_lock_shared in the statement that reads the chain head), the
   log **off** (eventstore.head replaced, in the writer processes only, by the SQL it ran
   before the log: `head_without_log` below, the anchor), and the log on **with
   publish() every second** in another process meanwhile (production's beat runs it every
   60 s: 1 s is the stress case). Interleaved rounds, the order rotated every round; each
   round's rates are divided by that round's log-off rate: min/median/max of the ratios.
   Each writer process checks once that the built head() takes the advisory lock and the
   replacement does not; one of them also times the head statement alone, with and
   without the lock. Then (1b) the same with another process keeping a writer
   transaction open HOLD s after each append (as an ingestion does), with and without
   publish() every second: the writers queue behind the sequencer's exclusive lock,
   which waits for that transaction. Database bench_tlog_commands.
2. Sequencer. The events of the first size are loaded by COPY (as
   bench/rebuild_verify.py does: valid chains, no sequencing), then `sequence()`
   integrates them all in one call; anchor: the same rows read in the same position
   batches by a plain SELECT (also shown: read + the same Merkle hashing in memory, no
   writes). The log tables are emptied between rounds (TRUNCATE as superuser in replica
   mode: the bench database's own append-only triggers stand aside). Then the store is
   extended to the second size and `sequence()` integrates the new events onto the tree.
3. verify_log. At each size, after `publish()`: `manage.py verify_log` and
   `manage.py verify_events` (the anchor, integrity.verify) on the same store, each in
   its own process (wall time including start-up, peak RSS from wait4), interleaved.
   Database bench_tlog_store. No case files are projected (both skip the read-model
   comparison alike).
4. Proofs at the largest size: hashes and bytes of inclusion proofs (a few leaves) and
   consistency proofs (a few size pairs, one from the tree head published at the first
   size), each checked against the roots; the time to make one from the database
   (`transparency.inclusion_proof`/`consistency_proof`: queries, stored subtrees read),
   median of 20, against a one-row primary-key SELECT of a leaf; vs log2(n).
5. Many tree heads: publish() (after 100 new events, 3 times) and verify_log with the
   heads of this run, then again after adding --heads signed heads at sizes spread over
   the log (what beat's minute heads add up to), sequentially.

Tree heads and the signing key go to a temporary directory, never to ./var.
"""

import argparse
import math
import multiprocessing
import shutil
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import benchlib
from rebuild_verify import EVENTS_PER_CASE, events_for

COMMANDS_DATABASE = "bench_tlog_commands"
STORE_DATABASE = "bench_tlog_store"
WRITERS = 8
TARGET = 0.10  # the target: the log adds less than 10% to a command
PUBLISH_EVERY = 1.0
HOLD = 1.0  # seconds a long writer transaction lasts after its append (an ingestion's ~1 s)
VARIANTS = ("off", "on", "publish")
HOLD_VARIANTS = ("hold", "hold_publish")
LABELS = {
    "off": "log off (anchor)",
    "on": "log on (shared lock in head())",
    "publish": f"log on + publish() every {PUBLISH_EVERY:g} s",
    "hold": f"log on + another writer's {HOLD:g} s transactions (anchor)",
    "hold_publish": f"log on + another writer's {HOLD:g} s transactions + publish() "
    f"every {PUBLISH_EVERY:g} s",
}
VERIFY_HEADER = (
    "| events | rounds | verify_log events/s (min / median / max) | verify_log peak RSS | "
    "verify_events events/s (anchor) | verify_events peak RSS | verify_log ÷ verify_events "
    "(min / **median** / max) |\n|---:|---:|---:|---:|---:|---:|---:|"
)
TEXT = "Witness statement received by phone; details in the attached transcript. " * 3


def head_without_log(case_id):
    """eventstore.head() as it was before the transparency log (commit 09cde18): the same
    SELECT of the chain's last (version, hash), without the writers' advisory lock."""
    from django.db import connection

    from casefiles.domain.hashing import GENESIS_HASH
    from casefiles.models import Event

    field = Event._meta.get_field("case_id")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT version, hash FROM {Event._meta.db_table} WHERE case_id = %s "  # noqa: S608
            "ORDER BY version DESC LIMIT 1",
            [field.get_db_prep_value(case_id, connection)],
        )
        row = cursor.fetchone()
    return (row[0], row[1]) if row else (0, GENESIS_HASH)


def log_env(directory: Path) -> dict[str, str]:
    """Tree heads and the signing key of one bench database, in a directory of its own
    (a recreated database must not meet the heads signed over the previous one)."""
    return {
        "CASEFILES_CHECKPOINT_DIR": str(directory / "tree-heads"),
        "CASEFILES_SIGNING_KEY": str(directory / "signing" / "ed25519.key"),
        "CASEFILES_LOG_ORIGIN": "bench.casefiles.localhost/log",
    }


# --- 1. Append cost ---------------------------------------------------------------------


def prepare(url: str, env: dict[str, str]) -> tuple[int, list[str]]:
    """(In a child process.) One documenter, one fresh case per writer."""
    benchlib.setup_django(url, **env)
    from django.contrib.auth.models import Group, User

    from casefiles import commands
    from casefiles.domain.actors import Actor

    user = User.objects.create_user("bench-documenter", is_staff=True)
    user.groups.add(Group.objects.get(name="documenter"))
    actor = Actor.for_user(user)
    cases = [
        str(
            commands.case_open(
                actor=actor,
                title=f"Benchmark case {n}",
                summary="Shelling of a residential block.",
                categories=["wilful_killing"],
                places=["Irpin"],
            ).case_id
        )
        for n in range(WRITERS + 1)
    ]  # the writers, the long transactions
    return user.pk, cases


def writer_loop(conn, url: str, env: dict[str, str], user_id: int, case_id: str) -> None:
    """A writer process: Django set up once, then on each request (variant, count,
    start_at) `count` note_add on its case from start_at; sends (start, ends)."""
    benchlib.setup_django(url, **env)
    from django.contrib.auth.models import User
    from django.db import connection, transaction

    from casefiles import commands, eventstore
    from casefiles.domain.actors import Actor

    heads = {"on": eventstore.head, "off": head_without_log}

    def advisory_locks(head) -> int:
        with transaction.atomic(), connection.cursor() as cursor:
            head(case_id)
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                "AND pid = pg_backend_pid()"
            )
            return cursor.fetchone()[0]

    actor = Actor.for_user(User.objects.get(pk=user_id))
    conn.send({name: advisory_locks(head) for name, head in heads.items()})
    number = 0
    while (task := conn.recv()) is not None:
        if task[0] == "head":
            conn.send(time_heads(heads, case_id, *task[1:]))
            continue
        variant, count, start_at = task
        eventstore.head = heads["off" if variant == "off" else "on"]
        ends = []
        try:
            while time.time() < start_at:
                time.sleep(0.002)
            start = time.perf_counter()
            for _ in range(count):
                number += 1
                commands.note_add(actor=actor, case_id=case_id, text=f"{TEXT} ({number})")
                ends.append(time.perf_counter())
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which stops
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
            continue
        conn.send((start, ends))


def time_heads(heads: dict, case_id: str, rounds: int, calls: int) -> dict[str, list[float]]:
    """The head statement alone, each call in its own transaction (BEGIN, head(),
    COMMIT, as in a command), with and without the lock: seconds per call, per round."""
    from django.db import transaction

    per_call = {"on": [], "off": []}
    for number in range(rounds):
        for variant in ("on", "off")[:: 1 if number % 2 == 0 else -1]:
            head = heads[variant]
            started = time.perf_counter()
            for _ in range(calls):
                with transaction.atomic():
                    head(case_id)
            per_call[variant].append((time.perf_counter() - started) / calls)
    return per_call


def publisher_loop(conn, url: str, env: dict[str, str]) -> None:
    """The publisher: on ("start", interval, first_at) publishes once at once (the
    backlog of the other variants' events), answers "drained", then publishes at
    first_at, first_at + interval, ... until "stop"; then sends each publish's
    (seconds, tree size)."""
    benchlib.setup_django(url, **env)
    from casefiles import transparency

    conn.send("ready")
    while (task := conn.recv()) is not None:
        _, interval, first_at = task
        transparency.publish()
        conn.send("drained")
        first_at = conn.recv()
        published = []
        tick = first_at
        while not conn.poll(max(0.0, tick - time.time())):
            started = time.perf_counter()
            head = transparency.publish()
            published.append((time.perf_counter() - started, head.size))
            tick += interval
        conn.recv()  # "stop"
        conn.send(published)


def holder_loop(conn, url: str, env: dict[str, str], user_id: int, case_id: str) -> None:
    """A writer whose transactions stay open HOLD seconds after appending, as an
    ingestion's does (document_ingest appends the source, then opens candidate cases and
    suggests links in the same transaction): on ("start", hold) one after the other
    until "stop"; sends how many."""
    benchlib.setup_django(url, **env)
    from django.contrib.auth.models import User
    from django.db import transaction

    from casefiles import commands
    from casefiles.domain.actors import Actor

    actor = Actor.for_user(User.objects.get(pk=user_id))
    conn.send("ready")
    while (task := conn.recv()) is not None:
        held = 0
        while not conn.poll(0):
            with transaction.atomic():
                commands.note_add(actor=actor, case_id=case_id, text=f"{TEXT} (held)")
                time.sleep(task[1])
            held += 1
        conn.recv()  # "stop"
        conn.send(held)


class Child:
    def __init__(self, context, target, *args):
        self.conn, child_end = context.Pipe()
        self.process = context.Process(target=target, args=(child_end, *args), daemon=True)
        self.process.start()

    def receive(self):
        if not self.conn.poll(600):
            raise SystemExit(f"{self.process.name} did not answer in 10 minutes")
        answer = self.conn.recv()
        if isinstance(answer, tuple) and answer and answer[0] == "error":
            raise SystemExit(f"a benchmark process failed: {answer[1]}")
        return answer

    def close(self):
        self.conn.send(None)
        self.process.join(30)


def measure_writers(
    writers: list[Child], variant: str, count: int, publisher: Child, holder: Child
) -> dict:
    """One measurement: every writer adds `count` notes from the same instant;
    commands/s over all of them, and each command's latency."""
    publishing = variant in ("publish", "hold_publish")
    holding = variant in HOLD_VARIANTS
    if publishing:
        publisher.conn.send(("start", PUBLISH_EVERY, None))
        publisher.receive()  # drained
    if holding:
        holder.conn.send(("start", HOLD))
    start_at = time.time() + 0.5
    if publishing:
        publisher.conn.send(start_at)
    for writer in writers:
        writer.conn.send((variant, count, start_at))
    results = [writer.receive() for writer in writers]
    published, held = [], 0
    if publishing:
        publisher.conn.send("stop")
        published = publisher.receive()
    if holding:
        holder.conn.send("stop")
        held = holder.receive()
    total = sum(len(ends) for _, ends in results)
    elapsed = max(ends[-1] for _, ends in results) - min(start for start, _ in results)
    latencies = sorted(
        b - a for start, ends in results for a, b in zip([start, *ends[:-1]], ends, strict=True)
    )
    return {
        "rate": total / elapsed,
        "commands": total,
        "seconds": elapsed,
        "published": published,
        "held": held,
        "p99": latencies[int(0.99 * (len(latencies) - 1))],
        "max": latencies[-1],
    }


def append_cost(rounds: int, commands: int, directory: Path) -> dict:
    url = benchlib.recreate_database(COMMANDS_DATABASE)
    env = log_env(directory / COMMANDS_DATABASE)
    benchlib.migrate(url)
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        user_id, cases = pool.apply(prepare, (url, env))
    writers = [Child(context, writer_loop, url, env, user_id, case) for case in cases[:-1]]
    publisher = Child(context, publisher_loop, url, env)
    holder = Child(context, holder_loop, url, env, user_id, cases[-1])
    locks = [writer.receive() for writer in writers]
    publisher.receive()
    holder.receive()
    if any(lock != {"on": 1, "off": 0} for lock in locks):
        raise SystemExit(
            f"advisory locks held after head() in the writers: {locks}; "
            "expected 1 with the log on, 0 off"
        )
    writers[0].conn.send(("head", 2 * rounds, 500))
    heads = writers[0].receive()
    counts = {1: commands, WRITERS: commands // 4}
    runs: dict[tuple[int, str], list[dict]] = {
        (n, variant): [] for n in counts for variant in (*VARIANTS, *HOLD_VARIANTS)
    }
    hold_rounds = max(2, rounds // 2)
    schedule = [VARIANTS[number % 3 :] + VARIANTS[: number % 3] for number in range(rounds)]
    schedule += [HOLD_VARIANTS[:: 1 if number % 2 == 0 else -1] for number in range(hold_rounds)]
    for number, order in enumerate(schedule):
        for n, count in counts.items():
            if order[0] in HOLD_VARIANTS:
                count //= 2  # the stalls show in fewer commands, and make them slow
            for variant in order:
                run = measure_writers(writers[:n], variant, count, publisher, holder)
                runs[n, variant].append(run)
                print(
                    f"round {number + 1}/{len(schedule)}, {n} writer(s), {variant}: "
                    f"{run['rate']:.0f} commands/s, max latency {run['max'] * 1000:.0f} ms",
                    flush=True,
                )
    for child in [*writers, publisher, holder]:
        child.close()
    return {
        "runs": runs,
        "counts": counts,
        "rounds": rounds,
        "hold_rounds": hold_rounds,
        "heads": heads,
    }


def spread(values: list[float], digits: int = 2) -> str:
    return (
        f"{min(values):.{digits}f} / **{statistics.median(values):.{digits}f}** / "
        f"{max(values):.{digits}f}"
    )


def append_table(result: dict, variants: tuple[str, ...]) -> tuple[str, dict]:
    """Rates, ratios to the first variant measured in the same round, and latencies."""
    runs, counts = result["runs"], result["counts"]
    lines = [
        "| writers | variant | commands/s (min / median / max) | ratio to the anchor, "
        "same round (min / **median** / max) | time per command (median) | "
        "latency p99 / max (median of rounds) |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    medians = {}
    for n in counts:
        anchor = [run["rate"] for run in runs[n, variants[0]]]
        for variant in variants:
            rates = [run["rate"] for run in runs[n, variant]]
            ratios = [rate / base for rate, base in zip(rates, anchor, strict=True)]
            medians[n, variant] = statistics.median(ratios)
            cost = 1 / medians[n, variant] - 1
            ratio_text = "1" if variant == variants[0] else spread(ratios)
            cost_text = "anchor" if variant == variants[0] else f"{cost:+.1%}"
            p99 = statistics.median(run["p99"] for run in runs[n, variant]) * 1000
            worst = statistics.median(run["max"] for run in runs[n, variant]) * 1000
            lines.append(
                f"| {n} | {LABELS[variant]} | {min(rates):.0f} / "
                f"{statistics.median(rates):.0f} / {max(rates):.0f} | {ratio_text} | "
                f"{cost_text} | {p99:.0f} / {worst:.0f} ms |"
            )
    return "\n".join(lines), medians


def head_note(result: dict) -> str:
    heads = result["heads"]
    on = [seconds * 1e6 for seconds in heads["on"]]
    off = [seconds * 1e6 for seconds in heads["off"]]
    ratios = [a / b for a, b in zip(on, off, strict=True)]
    added = statistics.median(on) - statistics.median(off)
    return (
        f"The chain-head statement alone ({len(on)} interleaved rounds of 500 calls, "
        f"each in its own transaction as in a command, one writer process): "
        f"{statistics.median(on):.0f} µs with the lock, {statistics.median(off):.0f} µs "
        f"without (ratio {spread(ratios)}), i.e. {added:+.0f} µs per command."
    )


def publish_note(result: dict, variant: str) -> str:
    runs = [run for n in result["counts"] for run in result["runs"][n, variant]]
    durations = [seconds for run in runs for seconds, _ in run["published"]]
    per_run = [len(run["published"]) / run["seconds"] for run in runs]
    sizes = [size for run in runs for _, size in run["published"]]
    if not durations:
        return "No publish() ran during the measurements (windows shorter than 1 s)."
    return (
        f"In the windows of “{LABELS[variant]}”, publish() ran {len(durations)} "
        f"times ({statistics.median(per_run):.2f} per second of measurement, median), "
        f"each taking {spread([d * 1000 for d in durations], 0)} ms (min / median / "
        f"max: waiting for the writers in flight, sequence() of the new events, root, "
        f"Ed25519 signature, a tree-head file written and fsynced, the cache row); the "
        f"tree grew to {max(sizes):,} leaves."
    )


# --- The store: COPY-loaded events (2, 3, 4) -----------------------------------------------


def load_events(url: str, first_case: int, last_case: int) -> float:
    """COPY the chains of cases first_case..last_case (EVENTS_PER_CASE events each, as
    bench/rebuild_verify.py generates them); returns the seconds it took."""
    import psycopg

    started = time.perf_counter()
    start = time.time() - last_case * EVENTS_PER_CASE
    columns = "case_id, version, type, schema, payload, actor, occurred_at, prev_hash, hash"
    with psycopg.connect(url) as conn, conn.cursor() as cursor:
        with cursor.copy(f"COPY casefiles_event ({columns}) FROM STDIN") as copy:
            for number in range(first_case, last_case + 1):
                case_id = str(uuid.uuid5(uuid.NAMESPACE_OID, f"bench-case-{number}"))
                for row in events_for(number, case_id, start):
                    copy.write_row(row)
        cursor.execute("ANALYZE casefiles_event")
    return time.perf_counter() - started


def empty_log(url: str) -> None:
    """Empty the log's tables in the bench database: as superuser in replica mode, where
    the append-only triggers (which the application's role could not pass) do not fire."""
    import psycopg

    with psycopg.connect(url) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute("TRUNCATE casefiles_logleaf, casefiles_lognode")
        conn.execute("RESET session_replication_role")


def read_floor(upto: int, hash_too: bool) -> float:
    """The anchor of sequence(): the same rows (position, hash) read in the same batches
    of position order, optionally hashed into an in-memory tree; seconds."""
    from django.db import connection

    from casefiles import tlog, transparency

    started = time.perf_counter()
    frontier, last = tlog.Frontier(), 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                "SELECT position, hash FROM casefiles_event WHERE position > %s "
                "AND position <= %s ORDER BY position LIMIT %s",
                [last, upto, transparency.BATCH],
            )
            rows = cursor.fetchall()
            if not rows:
                break
            last = rows[-1][0]
            if hash_too:
                for _, event_hash_hex in rows:
                    frontier.append(tlog.event_leaf(event_hash_hex))
    return time.perf_counter() - started


def max_position() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(position), 0) FROM casefiles_event")
        return cursor.fetchone()[0]


def timed_sequence() -> tuple[int, float]:
    from casefiles import transparency

    started = time.perf_counter()
    added = transparency.sequence()
    return added, time.perf_counter() - started


def sequencer(url: str, events: int, rounds: int) -> dict:
    """Rounds of: empty the log, sequence() everything; the SELECT; read + hash."""
    upto = max_position()
    runs = {"sequence": [], "select": [], "hashed": []}
    for number in range(rounds):
        steps = ["sequence", "select", "hashed"]
        steps = steps[number % 3 :] + steps[: number % 3]
        if steps[-1] != "sequence":  # the log must be full when the rounds end
            steps.remove("sequence")
            steps.append("sequence")
        for step in steps:
            if step == "sequence":
                empty_log(url)
                added, seconds = timed_sequence()
                if added != events:
                    raise SystemExit(f"sequence() integrated {added} events, not {events}")
            else:
                seconds = read_floor(upto, hash_too=step == "hashed")
            runs[step].append(seconds)
            print(
                f"sequencer round {number + 1}/{rounds}: {step} {events / seconds:,.0f} events/s",
                flush=True,
            )
    return runs


def sequencer_table(runs: dict, events: int, extension: dict | None) -> str:
    rates = {step: [events / s for s in seconds] for step, seconds in runs.items()}
    ratio_select = [a / b for a, b in zip(rates["sequence"], rates["select"], strict=True)]
    ratio_hashed = [a / b for a, b in zip(rates["sequence"], rates["hashed"], strict=True)]
    lines = [
        "| what | events | events/s (min / median / max) | sequence() ÷ it (min / "
        "**median** / max) |",
        "|---|---:|---:|---:|",
        f"| `sequence()`, one call, empty log | {events:,} | {spread(rates['sequence'], 0)} | — |",
        f"| anchor: SELECT position, hash, same batches | {events:,} | "
        f"{spread(rates['select'], 0)} | {spread(ratio_select, 3)} |",
        f"| the SELECT + the same Merkle hashing in memory (no writes) | {events:,} | "
        f"{spread(rates['hashed'], 0)} | {spread(ratio_hashed, 2)} |",
    ]
    if extension:
        lines.append(
            f"| `sequence()` of {extension['added']:,} new events onto the tree of "
            f"{events:,} | {extension['added']:,} | {extension['rate']:,.0f} (once) | "
            f"{extension['rate'] / extension['select']:.3f} of its SELECT "
            f"({extension['select']:,.0f}/s) |"
        )
    return "\n".join(lines)


# --- 3. verify_log vs verify_events -----------------------------------------------------


def verify_rounds(
    url: str,
    env: dict[str, str],
    rounds: int,
    names: tuple[str, ...] = ("verify_events", "verify_log"),
) -> dict:
    runs = {name: [] for name in names}
    for number in range(rounds):
        order = list(names)[:: 1 if number % 2 == 0 else -1]
        for name in order:
            run = benchlib.manage(url, name, **env)
            if run.returncode:
                raise SystemExit(f"{name} failed:\n{run.output}")
            runs[name].append(run)
            print(
                f"{name}: {run.seconds:.1f} s, {run.peak_rss_mib:.0f} MiB: "
                f"{run.output.strip()[:200]}",
                flush=True,
            )
    return runs


def verify_row(events: int, runs: dict) -> str:
    log = runs["verify_log"]
    anchor = runs["verify_events"]
    ratios = [events / a.seconds / (events / b.seconds) for a, b in zip(log, anchor, strict=True)]
    log_rates = [events / run.seconds for run in log]
    anchor_rates = [events / run.seconds for run in anchor]
    return (
        f"| {events:,} | {len(log)} | {spread(log_rates, 0)} | "
        f"{max(run.peak_rss_mib for run in log):.0f} MiB | {spread(anchor_rates, 0)} | "
        f"{max(run.peak_rss_mib for run in anchor):.0f} MiB | {spread(ratios)} |"
    )


# --- 4. Proofs --------------------------------------------------------------------------


def proof_costs(size: int, published: int) -> list[dict]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from casefiles import tlog, transparency
    from casefiles.models import LogLeaf

    def stored_reads(plan) -> int:
        wanted = set()

        def record(level: int, index: int) -> bytes:
            wanted.add((level, index))
            return b"\0" * 32

        plan(tlog.Tree(record))
        return len(wanted)

    def timed(make) -> float:
        times = []
        for _ in range(20):
            started = time.perf_counter()
            make()
            times.append(time.perf_counter() - started)
        return statistics.median(times)

    root = transparency.root_at(size)
    leaves = sorted({0, 1, size // 2, (size * 3) // 4 + 1, size - 2, size - 1})
    pairs = sorted({(1, size), (published, size), (size // 2 + 1, size), (size - 1, size)})
    cases = []
    for index in leaves:
        proof = transparency.inclusion_proof(index, size)
        leaf = bytes.fromhex(LogLeaf.objects.values_list("hash", flat=True).get(index=index))
        tlog.verify_inclusion(leaf, index, size, proof, root)
        cases.append(
            (
                "inclusion",
                f"leaf {index:,} in {size:,}",
                proof,
                lambda i=index: transparency.inclusion_proof(i, size),
                lambda t, i=index: t.inclusion_proof(i, size),
            )
        )
    for old, new in pairs:
        proof = transparency.consistency_proof(old, new)
        tlog.verify_consistency(old, new, transparency.root_at(old), root, proof)
        cases.append(
            (
                "consistency",
                f"{old:,} → {new:,}",
                proof,
                lambda o=old, n=new: transparency.consistency_proof(o, n),
                lambda t, o=old, n=new: t.consistency_proof(o, n),
            )
        )
    one_row = timed(lambda: LogLeaf.objects.values_list("hash", flat=True).get(index=size // 2))
    results = []
    for kind, what, proof, make, plan in cases:
        with CaptureQueriesContext(connection) as queries:
            make()
        seconds = timed(make)
        results.append(
            {
                "kind": kind,
                "what": what,
                "hashes": len(proof),
                "bytes": 32 * len(proof),
                "base64": 44 * len(proof),
                "queries": len(queries.captured_queries),
                "subtrees": stored_reads(plan),
                "ms": seconds * 1000,
                "ratio": seconds / one_row,
                "one_row_ms": one_row * 1000,
            }
        )
    return results


def proof_table(results: list[dict], size: int) -> str:
    lines = [
        "| proof | of | hashes | bytes (raw / base64) | queries | stored subtrees read "
        "| time to make (median of 20) | ÷ one-row SELECT |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['kind']} | {r['what']} | {r['hashes']} | {r['bytes']} / "
            f"{r['base64']} | {r['queries']} | {r['subtrees']} | "
            f"{r['ms']:.2f} ms | {r['ratio']:.1f} |"
        )
    return (
        f"log2(n) = {math.log2(size):.2f} at n = {size:,}; an RFC 6962 proof has at "
        f"most ⌈log2 n⌉ = {math.ceil(math.log2(size))} hashes (consistency: up to one "
        "more).\n\n"
        + "\n".join(lines)
        + f"\n\nAnchor: a one-row primary-key SELECT of a leaf through the ORM, "
        f"{results[0]['one_row_ms']:.2f} ms (median of 20), same process, same run."
    )


# --- 5. Many tree heads ----------------------------------------------------------------


def simulate_heads(count: int) -> tuple[int, float]:
    """Sign `count` tree heads at sizes spread evenly over the log, as publish() would
    have signed them while the log grew (a file each in the tree-head directory, written
    without fsync, and the cache rows), roots from one pass over the leaves; (how many,
    seconds)."""
    from datetime import UTC, datetime

    from casefiles import signing, tlog, transparency
    from casefiles.models import LogLeaf, TreeHead

    started = time.perf_counter()
    size = transparency.log_size()
    sizes = {size * (k + 1) // (count + 1) for k in range(count)}
    key, origin = signing.signing_key(), transparency.origin()
    directory = transparency.head_dir()
    frontier, rows = tlog.Frontier(), []
    leaves = LogLeaf.objects.order_by("index").values_list("hash", flat=True)
    for leaf in leaves.iterator(chunk_size=20_000):
        frontier.append(bytes.fromhex(leaf))
        if frontier.size in sizes:
            checkpoint = tlog.Checkpoint(origin, frontier.size, frontier.root())
            text = tlog.sign_checkpoint(checkpoint, key.private).render()
            (directory / transparency.HEAD_FILE.format(size=frontier.size)).write_text(text)
            rows.append(
                TreeHead(
                    size=frontier.size,
                    root_hash=checkpoint.root.hex(),
                    note=text,
                    taken_at=datetime.now(UTC),
                )
            )
    TreeHead.objects.bulk_create(rows, batch_size=2000)
    return len(rows), time.perf_counter() - started


def publish_rounds(url: str, next_case: int, rounds: int) -> list[float]:
    """Each round: one more case (EVENTS_PER_CASE events) loaded, then publish() timed."""
    from casefiles import transparency

    seconds = []
    for number in range(rounds):
        load_events(url, next_case + number, next_case + number)
        started = time.perf_counter()
        transparency.publish()
        seconds.append(time.perf_counter() - started)
    return seconds


def heads_table(heads: dict) -> str:
    few, many = heads["few"], heads["many"]
    return "\n".join(
        [
            "| signed tree heads kept (before → after the publishes) | publish() after 100 new "
            f"events (min / median / max of {len(few['publish'])}) | verify_log at "
            f"≈{heads['events']:,} events: heads kept | time | peak RSS |",
            "|---:|---:|---:|---:|---:|",
            *(
                f"| {row['start']:,} → {row['end']:,} | "
                f"{spread([t * 1000 for t in row['publish']], 0)} ms | {row['verified']:,} | "
                f"{row['verify'].seconds:.1f} s | {row['verify'].peak_rss_mib:.0f} MiB |"
                for row in (few, many)
            ),
        ]
    )


# --- The run --------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="3 rounds of 600 commands, sizes 10k and 100k, 1,000 heads (about 3 min)",
    )
    parser.add_argument("--rounds", type=int, help="append-cost rounds (default 9)")
    parser.add_argument(
        "--commands",
        type=int,
        help="notes for the single writer per measurement (each of 8 "
        "writers: a quarter; default 1500)",
    )
    parser.add_argument("--sizes", help="two event counts for 2-4 (default 100000,1000000)")
    parser.add_argument(
        "--heads",
        type=int,
        help="tree heads to add for 5 (default 10000, about a week of beat's; --quick 1000)",
    )
    args = parser.parse_args()
    rounds = args.rounds or (3 if args.quick else 9)
    commands = args.commands or (600 if args.quick else 1500)
    args.heads = args.heads or (1000 if args.quick else 10_000)
    small, large = map(
        int, (args.sizes or ("10000,100000" if args.quick else "100000,1000000")).split(",")
    )
    directory = Path(tempfile.mkdtemp(prefix="bench_tlog_"))
    began = time.perf_counter()
    try:
        append = append_cost(rounds, commands, directory)
        store = benchlib.recreate_database(STORE_DATABASE)
        env = log_env(directory / STORE_DATABASE)
        benchlib.migrate(store)
        benchlib.setup_django(store, **env)
        from casefiles import transparency

        machine = benchlib.machine(store)
        load_small = load_events(store, 1, small // EVENTS_PER_CASE)
        sequenced = sequencer(store, small, 2 if args.quick else 3)
        started = time.perf_counter()
        transparency.publish()
        publish_small = time.perf_counter() - started
        verify_small = verify_rounds(store, env, 1 if args.quick else 2)
        load_large = load_events(store, small // EVENTS_PER_CASE + 1, large // EVENTS_PER_CASE)
        upto = max_position()
        added, seconds = timed_sequence()
        select_large = read_floor(upto, hash_too=False)
        extension = {
            "added": added,
            "rate": added / seconds,
            "select": (large - small) / select_large,
        }
        started = time.perf_counter()
        transparency.publish()
        publish_large = time.perf_counter() - started
        verify_large = verify_rounds(store, env, 1)
        proof_size = transparency.log_size()
        proofs = proof_costs(proof_size, small)
        from casefiles.models import TreeHead

        next_case = large // EVENTS_PER_CASE + 1
        few = {
            "start": TreeHead.objects.count(),
            "verify": verify_large["verify_log"][0],
            "publish": publish_rounds(store, next_case, 3),
        }
        few["end"] = TreeHead.objects.count()
        few["verified"] = few["start"]  # verify_large ran before these publishes
        added_heads, simulated = simulate_heads(args.heads)
        many = {
            "start": TreeHead.objects.count(),
            "publish": publish_rounds(store, next_case + 3, 3),
        }
        many["end"] = many["verified"] = TreeHead.objects.count()
        many["verify"] = verify_rounds(store, env, 1, ("verify_log",))["verify_log"][0]
        heads = {
            "few": few,
            "many": many,
            "events": large,
            "simulated": simulated,
            "added": added_heads,
        }
        baseline = benchlib.manage(store, "check", **env)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    total_minutes = (time.perf_counter() - began) / 60

    table, medians = append_table(append, VARIANTS)
    hold_table, hold_medians = append_table(append, HOLD_VARIANTS)
    held = sum(
        run["held"]
        for n in append["counts"]
        for variant in HOLD_VARIANTS
        for run in append["runs"][n, variant]
    )
    worst = max(
        1 / medians[n, variant] - 1 for n in append["counts"] for variant in ("on", "publish")
    )
    verdict = (
        f"met (at most {worst:+.1%} per command, median of the rounds)"
        if worst < TARGET
        else f"**not met**: up to {worst:+.1%} per command (median of the rounds)"
    )
    ratios = [
        run["rate"] / base["rate"]
        for n in append["counts"]
        for variant in ("on", "publish")
        for run, base in zip(append["runs"][n, variant], append["runs"][n, "off"], strict=True)
    ]
    if max(ratios) - min(ratios) > TARGET:
        verdict += (
            f"; the same-round ratios span {min(ratios):.2f}–{max(ratios):.2f} in "
            "this run (the machine's other load), wider than the target: read the "
            "medians, and the head statement alone, which isolates the lock"
        )
    body = f"""
Whole run {total_minutes:.1f} min.

**1. Append cost** (`note_add`, database bench_tlog_commands; {append["rounds"]} interleaved
rounds, order rotated; {append["counts"][1]} commands for 1 writer, {WRITERS} ×
{append["counts"][WRITERS]} for {WRITERS} writers, per measurement). The log-off variant is
eventstore.head() replaced by the pre-log SQL in the writer processes (each checked: the
built head() holds 1 advisory lock, the replacement 0).

{table}

Target: the log adds < {TARGET:.0%} to a command: {verdict}. {head_note(append)}
{publish_note(append, "publish")}

**1b. A long writer transaction meanwhile.** publish() waits for every transaction that
held the writers' lock when it started (pg_locks), without taking that lock: writers that
arrive meanwhile are not queued behind it. Here another process keeps
a writer transaction open {HOLD:g} s after each append (as document_ingest does while it
opens candidate cases; {held} such transactions in all), {append["hold_rounds"]}
interleaved rounds of the same measurements, anchor: the same without publish().

{hold_table}

With them, publish() every second leaves {hold_medians[1, "hold_publish"]:.2f} (1 writer)
and {hold_medians[WRITERS, "hold_publish"]:.2f} ({WRITERS} writers) of the throughput
(medians of the same-round ratios); publish() itself waits about as long as the open
transaction. {publish_note(append, "hold_publish")}

**2. Sequencer** (`sequence()` in this process over {small:,} COPY-loaded events; the log
emptied before each round; loading took {load_small:.0f} s).

{sequencer_table(sequenced, small, extension)}

**3. verify_log vs verify_events** (each in its own process; times include start-up;
`manage.py check`, a bare Django process: {baseline.seconds:.1f} s, {baseline.peak_rss_mib:.0f}
MiB). publish() after sequencing: {publish_small:.2f} s at {small:,}, {publish_large:.2f} s at
{large:,} (load of the {large - small:,} more events: {load_large:.0f} s).

{VERIFY_HEADER}
{verify_row(small, verify_small)}
{verify_row(large, verify_large)}

**4. Proofs** at {proof_size:,} leaves (made with transparency.inclusion_proof /
consistency_proof from the database, checked with tlog.verify_* against the roots; the
consistency proof from {small:,} starts at the tree head published then).

{proof_table(proofs, proof_size)}

**5. Many signed tree heads.** Every publish() of a grown log keeps one more head (a file
outside the database and a cache row): beat's 60 s makes up to 1,440 a day. Here
{heads["added"]:,} more heads, signed at sizes spread
over the log as publish() would have signed them while it grew (made in
{heads["simulated"]:.0f} s; files not fsynced), then the same steps again; anchor: the same
store with the heads of this run, measured just before (sequential:
heads cannot be removed to interleave).

{heads_table(heads)}
"""
    benchlib.append_results(
        "Transparency log: appends, sequencer, verify_log, proofs (PostgreSQL)",
        benchlib.this_command(),
        machine,
        body,
    )


if __name__ == "__main__":
    main()
