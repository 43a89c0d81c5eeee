"""Violation categories mapped to Rome Statute article 8: data (data/taxonomy.json), not code."""

import json
from functools import cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


@cache
def categories() -> dict[str, dict[str, Any]]:
    with open(DATA_DIR / "taxonomy.json", encoding="utf-8") as handle:
        entries = json.load(handle)
    return {entry["code"]: entry for entry in entries}


def label(code: str) -> str:
    entry = categories().get(code)
    return f"{entry['label']} (art. {entry['rome_statute']})" if entry else code
