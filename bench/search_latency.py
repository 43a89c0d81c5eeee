"""Full-text search latency on 1M events' worth of cases (issue 18; casefiles/search.py).

    .venv/bin/python bench/search_latency.py [--cases 50000] [--events-per-case 20]
        [--sources 2000] [--rounds 20]

A fresh database bench_search gets `--cases` cases of valid, hash-chained events
(CaseOpened, then NoteAdded with text drawn from the words of the seed articles, so word
frequencies look like real notes; bench/api_latency.py's generator, COPY), and
`rebuild_projections` builds the read models, search columns included. Then `--sources`
sources, each with the text of a seed article plus generated paragraphs, are attached
to random cases (read-model rows only: search reads nothing else).

Measured in this process, through the API's own view (django.test.Client with a token:
routing, filtering, ranking, the page's snippets, serialisation): the first page of
`GET /api/cases/?q=…` for queries of every selectivity, and the anchor `GET /api/cases/`
(the unfiltered first page). Interleaved in rounds: each round runs the anchor then every
query once, in an order shuffled per round. Reported per query: p50 and p95 in ms over
the rounds, and the median ratio to the anchor of the same round.
"""

import argparse
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

import benchlib

DATABASE = "bench_search"
SEEDS = benchlib.ROOT / "seeds"


def vocabulary() -> list[str]:
    import re

    words: list[str] = []
    for path in sorted(SEEDS.glob("*.txt")):
        words += re.findall(r"[A-Za-z]{3,}", path.read_text(encoding="utf-8"))
    return words


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--events-per-case", type=int, default=20)
    parser.add_argument("--sources", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument(
        "--measure-only",
        action="store_true",
        help="measure on the bench_search database a previous run filled (migrated first)",
    )
    args = parser.parse_args()

    if args.measure_only:
        url = benchlib.database_url(DATABASE)
        benchlib.migrate(url)
        benchlib.setup_django(url)
        from django.contrib.auth.models import User

        from casefiles.commands.tokens import token_issue

        user = User.objects.get(username="bench-documenter")
        measure(token_issue(user=user, issued_with="bench")[1], args.rounds)
        return
    url = benchlib.recreate_database(DATABASE)
    benchlib.migrate(url)
    benchlib.setup_django(url)
    sys.path.insert(0, str(Path(__file__).parent))
    import api_latency

    words = vocabulary()
    rng = random.Random(7)
    original = api_latency.events_for

    # The note text goes into the payload before hashing: patch the template instead.
    def note_events(number, case_id, per_case, start):
        api_latency.NOTE_TEXT = " ".join(rng.choices(words, k=30)) + f" marker{number % 1000}"
        yield from original(number, case_id, per_case, start)

    api_latency.events_for = note_events
    started = time.monotonic()
    case_ids = api_latency.generate(url, args.cases, args.events_per_case)
    print(f"{args.cases * args.events_per_case:,} events in {time.monotonic() - started:.0f} s")
    started = time.monotonic()
    print(api_latency.checked(benchlib.manage(url, "rebuild_projections"), "rebuild"))
    print(f"rebuilt in {time.monotonic() - started:.0f} s")
    attach_sources(case_ids, args.sources, words, rng)
    token = api_latency.api_token(url)
    measure(token, args.rounds)


def attach_sources(case_ids: list[str], count: int, words: list[str], rng: random.Random):
    from django.db import connection
    from django.utils import timezone

    from casefiles.models import CaseSource, Source

    seeds = [path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt"))]
    now = timezone.now()
    for batch in range(0, count, 200):
        sources, links = [], []
        for n in range(batch, min(batch + 200, count)):
            text = seeds[n % len(seeds)] + "\n\n" + " ".join(rng.choices(words, k=800))
            text += f"\n\nsourcetag{n}"
            source_id = uuid.uuid5(uuid.NAMESPACE_OID, f"bench-search-source-{n}")
            sha = f"{n:064x}"
            sources.append(
                Source(
                    id=source_id,
                    content_sha256=sha,
                    normalized_sha256=sha,
                    text_sha256=sha,
                    bytes=len(text),
                    filename=f"source-{n}.txt",
                    media_type="text/plain",
                    encoding="utf-8",
                    title=f"Source {n}",
                    origins=[],
                    text=text,
                    extractor_version="bench",
                    ingested_at=now,
                    submitted_by="bench",
                    version=1,
                )
            )
            case_id = rng.choice(case_ids)
            links.append(
                CaseSource(
                    case_id=case_id,
                    source_id=str(source_id),
                    title=f"Source {n}",
                    url="",
                    origins=[],
                    excerpt="",
                    attached_at=now,
                    attached_by="bench",
                    attached_version=1,
                )
            )
        from casefiles.models import projecting

        with projecting():
            Source.objects.bulk_create(sources)
            CaseSource.objects.bulk_create(links)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"{count} sources attached")


QUERIES = {
    "rare word (one case)": "marker417",
    "source-only word": "sourcetag1234",
    "common word": "soldiers",
    "two words": "Russian commander",
    "phrase": '"war crime"',
    "place name": "Izium",
    "no match": "zzyzx",
}


def measure(token: str, rounds: int) -> None:
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Token {token}", HTTP_HOST="localhost")
    paths = {"anchor: first page, no q": "/api/cases/"}
    paths.update({name: f"/api/cases/?q={query}" for name, query in QUERIES.items()})
    for path in paths.values():  # warm up caches and plans
        assert client.get(path).status_code == 200, path
    times: dict[str, list[float]] = {name: [] for name in paths}
    ratios: dict[str, list[float]] = {name: [] for name in paths}
    counts = {name: client.get(path).json()["count"] for name, path in paths.items()}
    rng = random.Random(11)
    for _ in range(rounds):
        names = [name for name in paths if not name.startswith("anchor")]
        rng.shuffle(names)
        started = time.perf_counter()
        client.get(paths["anchor: first page, no q"])
        anchor = time.perf_counter() - started
        times["anchor: first page, no q"].append(anchor)
        for name in names:
            started = time.perf_counter()
            client.get(paths[name])
            elapsed = time.perf_counter() - started
            times[name].append(elapsed)
            ratios[name].append(elapsed / anchor)
    print("| query | matches | p50 ms | p95 ms | max ms | ratio to anchor (median) |")
    print("|---|---|---|---|---|---|")
    for name, samples in times.items():
        ordered = sorted(samples)
        p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
        ratio = f"{statistics.median(ratios[name]):.2f}" if ratios[name] else "1"
        print(
            f"| {name} | {counts[name]:,} | {statistics.median(samples) * 1000:.1f} "
            f"| {p95 * 1000:.1f} | {ordered[-1] * 1000:.1f} | {ratio} |"
        )


if __name__ == "__main__":
    main()
