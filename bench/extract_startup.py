"""Start-up cost of extraction: memory and time to load the rules and the gazetteer.

    .venv/bin/python bench/extract_startup.py

Each figure comes from a fresh Python process (peak RSS from getrusage, so what was
loaded and freed counts too):

* anchor: Django set up with the project's settings, nothing of extraction loaded
  (what every web or worker process holds anyway);
* extraction ready: the same, then one document extracted, so the cues are compiled,
  the curated gazetteer and GeoNames' settlements (casefiles/data/geonames_ua_ru.json.gz)
  are indexed and dateparser's Ukrainian and Russian locale data are read.

Prints both, their difference, and the wall time of the first extraction (the load)
and of a second one (per-document work).
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, os, resource, sys, time
sys.path.insert(0, {root!r})
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django
django.setup()
out = {{}}
if {load}:
    from casefiles.ingestion.extract import extract_document
    article = open({article!r}, "rb").read()
    started = time.perf_counter()
    extract_document(article, "a.txt")
    out["first_ms"] = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    doc = extract_document(article, "a.txt")
    out["second_ms"] = (time.perf_counter() - started) * 1000
    out["candidates"] = len(doc.allegations)
out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def run(load: bool) -> dict:
    article = ROOT / "tests" / "ingestion" / "articles" / "three_incidents_uk.txt"
    code = CHILD.format(root=str(ROOT), load=load, article=str(article))
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    anchor, ready = run(False), run(True)
    print("| process | peak RSS |")
    print("|---|---|")
    print(f"| Django set up (anchor) | {anchor['rss_mb']:.1f} MB |")
    print(f"| + extraction ready (rules, gazetteer, locales) | {ready['rss_mb']:.1f} MB |")
    print(f"| difference | {ready['rss_mb'] - anchor['rss_mb']:.1f} MB |")
    print(
        f"first extraction (loads everything) {ready['first_ms']:.0f} ms, "
        f"second {ready['second_ms']:.1f} ms ({ready['candidates']} candidates)"
    )


if __name__ == "__main__":
    main()
