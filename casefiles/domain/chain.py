"""Check a hash chain from its records alone. Standard library only, so auditors'
tools (and casefiles.verify_export) can use it without Django or a database.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from casefiles.domain.hashing import GENESIS_HASH, event_hash


@dataclass(frozen=True)
class ChainFailure:
    case_id: str
    version: int
    reason: str

    def __str__(self) -> str:
        return f"case {self.case_id} version {self.version}: {self.reason}"


@dataclass(frozen=True)
class ChainReport:
    case_id: str
    count: int
    head_hash: str
    failure: ChainFailure | None

    @property
    def ok(self) -> bool:
        return self.failure is None


def check_chain(records: Iterable[Mapping[str, Any]], case_id: str) -> ChainReport:
    """Records in stored order (as written, not sorted by version): versions 1..N,
    each linked to the previous hash and each hash recomputed from its content."""
    expected_version = 1
    prev_hash = GENESIS_HASH
    count = 0

    def fail(version: int, reason: str) -> ChainReport:
        return ChainReport(case_id, count, prev_hash, ChainFailure(case_id, version, reason))

    records = iter(records)
    for record in records:
        version = record.get("version")
        if str(record.get("case_id")) != case_id:
            return fail(expected_version, f"event belongs to case {record.get('case_id')}")
        if not isinstance(version, int) or isinstance(version, bool):
            return fail(expected_version, f"version {version!r} is not an integer")
        if version > expected_version:
            # A missing version may only be stored later: that is a reordering, not a gap.
            if any(later.get("version") == expected_version for later in records):
                return fail(
                    expected_version,
                    f"reordering: version {expected_version} is stored after version {version}",
                )
            return fail(
                expected_version,
                f"gap: version {expected_version} is missing "
                f"(next stored event is version {version})",
            )
        if version < expected_version:
            return fail(
                version,
                f"reordering: version {version} is stored after version {expected_version - 1}",
            )
        if record.get("prev_hash") != prev_hash:
            return fail(
                version,
                "broken link: prev_hash does not match the hash of "
                + ("the genesis (64 zeros)" if version == 1 else f"version {version - 1}"),
            )
        try:
            recomputed = event_hash(dict(record))
        except (TypeError, ValueError) as exc:
            return fail(version, f"changed content: cannot be hashed ({exc})")
        if recomputed != record.get("hash"):
            return fail(
                version,
                "changed content: the stored hash does not match the "
                f"event's content (recomputed {recomputed[:12]}…, "
                f"stored {str(record.get('hash'))[:12]}…)",
            )
        prev_hash = record["hash"]
        expected_version += 1
        count += 1
    return ChainReport(case_id, count, prev_hash, None)
