"""Extraction time per 1,000-word article, offline (no database, no Django).

    .venv/bin/python bench/extract_time.py [--runs 50]

For each seed article and the English, Ukrainian and Russian test articles
(tests/ingestion/articles/three_incidents_*.txt), its first 1,000 words (articles
shorter than that are repeated up to 1,000 words, each copy with its own numbered line
so nothing is cached by text), run through `extract_document` `--runs` times after one
warm-up run (rules compiled, data files loaded: that is start-up, not per-document
work; bench/extract_startup.py measures it). Prints the median and the slowest run per
article and overall, and, as the anchor of the same run, the time of `str.split` over
the same text (the floor of any per-document work). The CPU time (process_time) is the
steadier figure on a shared machine: waiting for a core counts in the wall time only.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from casefiles.ingestion.extract import EXTRACTOR_VERSION, extract_document  # noqa: E402

WORDS = 1000


def thousand_words(text: str) -> str:
    lines, words, copy = [], 0, 0
    while words < WORDS:
        copy += 1
        lines.append(f"Copy {copy}.")
        for line in text.splitlines():
            take = line.split()[: WORDS - words]
            words += len(take)
            lines.append(" ".join(take))
            if words >= WORDS:
                break
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    seeds = sorted((ROOT / "seeds").glob("*.txt"))
    # The Ukrainian and Russian test articles (and their English original), cut or
    # repeated to 1,000 words like the seeds.
    seeds += sorted((ROOT / "tests" / "ingestion" / "articles").glob("three_incidents_*.txt"))
    every: list[float] = []
    every_cpu: list[float] = []
    print(f"{EXTRACTOR_VERSION}, {args.runs} runs per article, {WORDS} words each")
    print("| article | candidates | median ms | max ms | median CPU ms | str.split ms |")
    print("|---|---|---|---|---|---|")
    for path in seeds:
        data = thousand_words(path.read_text(encoding="utf-8")).encode()
        extract_document(data, path.name)  # warm-up: rules compiled, data files loaded
        times, cpu = [], []
        for _ in range(args.runs):
            started, started_cpu = time.perf_counter(), time.process_time()
            doc = extract_document(data, path.name)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        started = time.perf_counter()
        data.decode().split()
        floor = (time.perf_counter() - started) * 1000
        every += times
        every_cpu += cpu
        print(
            f"| {path.name} | {len(doc.allegations)} | {statistics.median(times):.1f} | "
            f"{max(times):.1f} | {statistics.median(cpu):.1f} | {floor:.3f} |"
        )
    print(
        f"overall: median {statistics.median(every):.1f} ms, max {max(every):.1f} ms, "
        f"median CPU {statistics.median(every_cpu):.1f} ms per 1,000-word article"
    )


if __name__ == "__main__":
    main()
