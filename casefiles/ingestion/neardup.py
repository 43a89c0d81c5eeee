"""Near-duplicate texts: MinHash over word shingles (docs/ingestion.md, "Reprints").

A reprint of a stored article under a new headline, with a few sentences edited, shares
most of its word 5-grams with the original; another article on the same events, written
independently, shares few. The Jaccard similarity of the two shingle sets is estimated
from MinHash signatures (NUM_PERM minimums of a universal hash family over a 64-bit
BLAKE2b hash of each shingle), so a stored source is compared through 64 integers rather
than its text. Pure and deterministic: the same text always gives the same signature.
"""

from __future__ import annotations

import hashlib
import re

SHINGLE_WORDS = 5
NUM_PERM = 64
# Estimated Jaccard similarity at or above which a new text is a variant of a stored
# source. Measured on the seeds (tests/ingestion/test_neardup.py, docs/ingestion.md).
THRESHOLD = 0.5
METHOD = f"minhash-{NUM_PERM}/blake2b-64/{SHINGLE_WORDS}-word-shingles"

_PRIME = (1 << 61) - 1  # a Mersenne prime; hashes are taken modulo it


def _coefficient(label: str) -> int:
    # Fixed, from BLAKE2b of a label: the signature of a text never changes.
    return int.from_bytes(hashlib.blake2b(label.encode(), digest_size=8).digest(), "big")


_PERMS = tuple(
    (1 + _coefficient(f"a{i}") % (_PRIME - 1), _coefficient(f"b{i}") % _PRIME)
    for i in range(NUM_PERM)
)
_WORD = re.compile(r"\w+")


def shingles(text: str, k: int = SHINGLE_WORDS) -> set[str]:
    """The text's word k-grams, case-folded (punctuation and spacing ignored)."""
    words = _WORD.findall(text.casefold())
    if len(words) < k:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + k]) for i in range(len(words) - k + 1)}


def _hash(shingle: str) -> int:
    return int.from_bytes(hashlib.blake2b(shingle.encode("utf-8"), digest_size=8).digest(), "big")


def signature(text: str) -> tuple[int, ...]:
    hashes = [_hash(s) for s in shingles(text)]
    if not hashes:
        return ()
    return tuple(min((a * h + b) % _PRIME for h in hashes) for a, b in _PERMS)


def similarity(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """Estimated Jaccard similarity of the two texts' shingle sets (0 for an empty one)."""
    if not a or not b:
        return 0.0
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)


def jaccard(x: str, y: str) -> float:
    """The exact similarity the signatures estimate (for measurement and tests)."""
    sx, sy = shingles(x), shingles(y)
    return len(sx & sy) / len(sx | sy) if sx and sy else 0.0
