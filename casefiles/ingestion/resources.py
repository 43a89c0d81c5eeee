"""Loading of the rule data in casefiles/data/ (cues, places, organisations, boilerplate).

Rules live in JSON so the team can extend them without touching code; this module
only reads and compiles them, once per process.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

_GAP = re.compile(r"<gap(\d+)>")


def expand(pattern: str) -> str:
    """Replace ``<gapN>``: a separator plus up to N intervening words."""
    return _GAP.sub(lambda m: rf"\W+(?:[\w’'-]+\W+){{0,{m.group(1)}}}?", pattern)


def compile_rule(pattern: str, flags: int = re.IGNORECASE) -> re.Pattern[str]:
    return re.compile(expand(pattern), flags)


@cache
def load(name: str) -> Any:
    with (DATA_DIR / name).open(encoding="utf-8") as fh:
        return json.load(fh)


def taxonomy_codes() -> tuple[str, ...]:
    return tuple(entry["code"] for entry in load("taxonomy.json"))
