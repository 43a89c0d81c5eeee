"""The event format and hash rule: a public contract (docs/event-format.md).

Auditors recompute these hashes with their own tools, so this module depends only on
the standard library and must never change silently: a change means a new event
schema version.
"""

import hashlib
import json
from typing import Any

GENESIS_HASH = "0" * 64

# The fields of an event covered by its hash, i.e. what an export shows besides `hash`.
HASHED_FIELDS = (
    "case_id",
    "version",
    "type",
    "schema",
    "payload",
    "actor",
    "occurred_at",
    "prev_hash",
)


class NotCanonical(ValueError):
    pass


def check_json_value(value: Any, path: str = "payload") -> None:
    """Refuse anything that does not round-trip exactly through JSON: floats above all."""
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, str):
        if "\x00" in value:
            # PostgreSQL cannot store NUL in text or jsonb; refuse rather than alter it.
            raise NotCanonical(f"{path} contains a NUL character")
        return
    if isinstance(value, int):
        return
    if isinstance(value, float):
        raise NotCanonical(f"{path} is a float ({value!r}); use a string or an integer")
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            check_json_value(item, f"{path}[{index}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise NotCanonical(f"{path} has a non-string key {key!r}")
            check_json_value(item, f"{path}.{key}")
        return
    raise NotCanonical(f"{path} has a value of type {type(value).__name__}, not JSON")


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(fields: dict[str, Any]) -> str:
    """SHA-256 (lowercase hex) of the canonical JSON of every hashed field, nothing else."""
    missing = [name for name in HASHED_FIELDS if name not in fields]
    if missing:
        raise NotCanonical(f"event is missing hashed fields: {', '.join(missing)}")
    body = {name: fields[name] for name in HASHED_FIELDS}
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def identity_commitment(salt: str, name: str) -> str:
    """The commitment a PersonAdded event holds for a protected person: SHA-256 (hex) of
    "<salt>:<name>". Auditors check a complete bundle's identities against it
    (casefiles.verify_export), so it is part of the same public contract."""
    return hashlib.sha256(f"{salt}:{name}".encode()).hexdigest()
