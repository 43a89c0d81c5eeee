"""Signed checkpoints (`casefile-checkpoint/1`, docs/export.md): the head of every
stream in the event store at one moment, and the global position, signed with the
export key. Auditors keep them outside the system; `verify_export --checkpoint` then
proves that a later bundle still holds, at that version, the very event recorded here.
"""

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from django.db.models import Max, Q

from casefiles import eventstore, files, signing
from casefiles.domain.hashing import canonical_json
from casefiles.models import Event
from casefiles.verify_export import CHECKPOINT_FORMAT

BATCH = 200


def _heads() -> Iterator[dict]:
    # order_by replaces Event's default ordering, which would otherwise split the groups.
    tops = Event.objects.values_list("case_id").annotate(top=Max("version")).order_by("case_id")
    batch: list[tuple] = []
    for row in tops.iterator(chunk_size=2000):
        batch.append(row)
        if len(batch) == BATCH:
            yield from _hashes(batch)
            batch = []
    if batch:
        yield from _hashes(batch)


def _hashes(batch: list[tuple]) -> list[dict]:
    wanted = Q()
    for case_id, version in batch:
        wanted |= Q(case_id=case_id, version=version)
    rows = (
        Event.objects.filter(wanted).order_by("case_id").values_list("case_id", "version", "hash")
    )
    return [
        {"case_id": str(case_id), "version": version, "head_hash": head_hash}
        for case_id, version, head_hash in rows
    ]


def take(now: datetime | None = None) -> dict:
    """A signed checkpoint document of the event store as it is now."""
    key = signing.signing_key()
    with eventstore.snapshot():
        position = Event.objects.aggregate(top=Max("position"))["top"] or 0
        cases = list(_heads())
    document = {
        "format": CHECKPOINT_FORMAT,
        "taken_at": eventstore.format_time(now or datetime.now(UTC)),
        "global_position": position,
        "cases": cases,
        "signing": {
            "algorithm": signing.ALGORITHM,
            "public_key": key.public.base64,
            "key_id": key.public.key_id,
        },
    }
    # The signature covers the canonical JSON of everything else in the document.
    document["signature"] = key.sign(canonical_json(document).encode("utf-8"))
    return document


def write(path: Path, document: dict) -> Path:
    """Written under a temporary name and renamed: no half-written checkpoint."""
    data = (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    return files.replace(path, data, mode=0o644)


def write_into(directory: Path) -> Path:
    """A new checkpoint file in `directory`, named after its time and position."""
    directory.mkdir(parents=True, exist_ok=True)
    document = take()
    stamp = document["taken_at"].replace("-", "").replace(":", "")
    return write(directory / f"checkpoint-{stamp}-p{document['global_position']}.json", document)
