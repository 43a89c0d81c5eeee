"""What an auditor trusts, and the checks that tie a bundle to it (docs/export.md,
docs/transparency-log.md): the log keys they pinned (or reached from a pinned key
through key-rotation announcements), the witnesses that must have cosigned, and the
tree head the bundle was taken at. Standard library + cryptography, no Django.

Every failure is a tlog.LogError whose message names what does not hold.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

from casefiles import tlog

MAX_TRUST_FILE = 1 << 16
MAX_ROTATIONS = 1000


@dataclass
class Trust:
    """The anchors given on the command line: log keys (vkeys, or bare base64 keys
    whose name the tree head supplies), witnesses and how many must have cosigned."""

    logs: list[tlog.Verifier] = field(default_factory=list)
    raw_keys: list[bytes] = field(default_factory=list)
    witnesses: list[tlog.Verifier] = field(default_factory=list)
    witnesses_required: int = 0

    @property
    def pinned(self) -> bool:
        return bool(self.logs or self.raw_keys)

    def trusts(self, public: bytes) -> bool:
        return public in self.raw_keys or any(log.public == public for log in self.logs)


def parse_key(text: str, what: str = "--public-key") -> tlog.Verifier | bytes:
    """A vkey (`name+keyid+base64`), or the bare base64 of a 32-byte Ed25519 key."""
    text = text.strip()
    if "+" in text.split("=", 1)[0] and text.count("+") >= 2 and not text.startswith("+"):
        try:
            verifier = tlog.parse_vkey(text)
        except tlog.LogError:
            verifier = None
        if verifier is not None:
            if verifier.kind != tlog.ED25519:
                raise tlog.LogError(f"{what} is a witness key (type 0x04), not a log key")
            return verifier
    raw = tlog.unb64(text, what)
    if len(raw) != 32:
        raise tlog.LogError(
            f"{what} is neither a verifier key (name+keyid+key) nor the "
            f"base64 of a 32-byte Ed25519 key"
        )
    return raw


def add_key(trust: Trust, text: str, what: str = "--public-key") -> None:
    key = parse_key(text, what)
    if isinstance(key, tlog.Verifier):
        trust.logs.append(key)
    else:
        trust.raw_keys.append(key)


def read_trust_file(path: str | Path, trust: Trust | None = None) -> Trust:
    """`log <vkey>`, `witness <vkey>`, `witnesses-required <n>`, one per line; `#`
    comments."""
    trust = trust or Trust()
    try:
        with open(path, "rb") as stream:
            data = stream.read(MAX_TRUST_FILE + 1)
    except OSError as exc:
        raise tlog.LogError(f"cannot read the trust file {path}: {exc.strerror}") from None
    if len(data) > MAX_TRUST_FILE:
        raise tlog.LogError(f"the trust file {path} is larger than {MAX_TRUST_FILE} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise tlog.LogError(f"the trust file {path} is not UTF-8") from None
    required = None
    for number, line in enumerate(text.splitlines(), start=1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        where = f"{path} line {number}"
        if len(words) != 2:
            raise tlog.LogError(f"{where}: expected a keyword and one value")
        keyword, value = words
        if keyword == "log":
            key = parse_key(value, where)
            if not isinstance(key, tlog.Verifier):
                raise tlog.LogError(
                    f"{where}: a log key in a trust file is a vkey (name+keyid+key)"
                )
            trust.logs.append(key)
        elif keyword == "witness":
            witness = tlog.parse_vkey(value)
            if witness.kind != tlog.COSIGNATURE_V1:
                raise tlog.LogError(f"{where}: a witness key has type 0x04")
            trust.witnesses.append(witness)
        elif keyword == "witnesses-required":
            if not value.isdigit():
                raise tlog.LogError(f"{where}: witnesses-required takes a number")
            required = int(value)
        else:
            raise tlog.LogError(
                f"{where}: unknown keyword {keyword!r} (log, witness, witnesses-required)"
            )
    if required is not None:
        if required > len({w.vkey for w in trust.witnesses}):
            raise tlog.LogError(
                f"{path} requires {required} witnesses but lists {len(trust.witnesses)}"
            )
        trust.witnesses_required = required
    return trust


def follow_rotations(trust: Trust, origin: str, announcements: list[str]) -> None:
    """Add to `trust` each key that a trusted key handed over to, in order: each
    announcement must be signed by the key it replaces and by the key it introduces."""
    if len(announcements) > MAX_ROTATIONS:
        raise tlog.LogError(f"more than {MAX_ROTATIONS} key rotations")
    for text in announcements:
        if not isinstance(text, str):
            raise tlog.LogError("a key rotation announcement is not a string")
        note = tlog.parse_note(text)
        lines = note.text.split("\n")
        if len(lines) < 3 or not lines[2].startswith("old "):
            raise tlog.LogError("not a casefiles key rotation announcement")
        old = tlog.parse_vkey(lines[2][4:])
        if old.name != origin or not trust.trusts(old.public):
            continue  # a rotation away from a key nobody here trusts proves nothing
        new = tlog.read_rotation(text, old)
        if not trust.trusts(new.public):
            trust.logs.append(new)


def log_verifier(trust: Trust, origin: str, public: bytes) -> tlog.Verifier:
    """The log key that signed a bundle: its manifest key under the log's origin. When
    log keys are pinned by vkey, the origin must be theirs too."""
    verifier = tlog.Verifier(
        tlog.check_name(origin, "the tree head's origin"), tlog.ED25519, public
    )
    names = {log.name for log in trust.logs}
    if names and origin not in names:
        raise tlog.LogError(
            f"the tree head is from the log {origin!r}, not from "
            f"{' or '.join(sorted(names))}, the log you trust"
        )
    return verifier


@dataclass(frozen=True)
class Head:
    checkpoint: tlog.Checkpoint
    note: tlog.Note


def open_head(data: bytes | str, verifiers: list[tlog.Verifier], what: str) -> Head:
    errors = []
    for verifier in verifiers:
        try:
            checkpoint, note = tlog.open_checkpoint(data, verifier)
            return Head(checkpoint, note)
        except tlog.LogError as exc:
            errors.append(str(exc))
    raise tlog.LogError(f"{what}: {errors[0] if errors else 'no trusted log key'}")


def note_origin(data: bytes | str) -> str:
    """The origin line of a signed tree head, before any signature is checked (to name
    the key that must have signed it)."""
    note = tlog.parse_note(data)
    return note.text.split("\n", 1)[0]


def _count(value: object) -> int | None:
    """`value` if it is a non-negative integer (JSON's true is not 1 here), else None."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        return None
    return value


def _log_count(log: dict[str, object], name: str) -> int:
    value = _count(log.get(name))
    if value is None:
        raise tlog.LogError(
            f"manifest.json is malformed: log.{name} is missing or not a non-negative integer"
        )
    return value


def check_inclusion(head: Head, event_hash: str, log: dict[str, object]) -> int:
    """The bundle's last event is leaf `leaf_index` of the tree head; returns the index."""
    size, index = _log_count(log, "tree_size"), _log_count(log, "leaf_index")
    if size != head.checkpoint.size:
        raise tlog.LogError(
            f"the manifest says the tree head has {size} leaves; the signed "
            f"tree head says {head.checkpoint.size}"
        )
    proof = tlog.hashes_from_b64(log.get("inclusion_proof"), "log.inclusion_proof")
    tlog.verify_inclusion(tlog.event_leaf(event_hash), index, size, proof, head.checkpoint.root)
    return index


def read_proof(path: str | Path) -> tuple[int, int, list[bytes]]:
    """A consistency proof as GET /api/log/proof returns it: {"from", "to", "proof"}."""
    try:
        with open(path, "rb") as stream:
            data = stream.read(MAX_TRUST_FILE + 1)
        document = json.loads(data)
    except OSError as exc:
        raise tlog.LogError(f"cannot read the proof {path}: {exc.strerror}") from None
    except (ValueError, UnicodeDecodeError):
        raise tlog.LogError(f"the proof {path} is not JSON") from None
    if not isinstance(document, dict):
        raise tlog.LogError(f"the proof {path} is not a JSON object")
    first, second = _count(document.get("from")), _count(document.get("to"))
    if first is None or second is None:
        raise tlog.LogError(f"the proof {path} lacks integer sizes 'from' and 'to'")
    return first, second, tlog.hashes_from_b64(document.get("proof"), f"the proof {path}")


def check_consistency(older: Head, newer: Head, proof: tuple[int, int, list[bytes]] | None) -> None:
    """`newer` extends `older` (nothing covered by `older` was removed or rewritten)."""
    if older.checkpoint.origin != newer.checkpoint.origin:
        raise tlog.LogError(
            f"the tree heads are from different logs "
            f"({older.checkpoint.origin}, {newer.checkpoint.origin})"
        )
    small, large = sorted((older, newer), key=lambda head: head.checkpoint.size)
    if small.checkpoint.size == large.checkpoint.size:
        tlog.verify_consistency(
            small.checkpoint.size,
            large.checkpoint.size,
            small.checkpoint.root,
            large.checkpoint.root,
            [],
        )
        return
    if proof is None:
        raise tlog.LogError(
            f"the tree heads have {small.checkpoint.size} and {large.checkpoint.size} "
            "leaves: give --log-proof, the consistency proof between them (GET "
            f"/api/log/proof?from={small.checkpoint.size}&to={large.checkpoint.size})"
        )
    first, second, hashes = proof
    if (first, second) != (small.checkpoint.size, large.checkpoint.size):
        raise tlog.LogError(
            f"the proof goes from {first} to {second}; the tree heads have "
            f"{small.checkpoint.size} and {large.checkpoint.size} leaves"
        )
    tlog.verify_consistency(first, second, small.checkpoint.root, large.checkpoint.root, hashes)


def check_witnesses(trust: Trust, head: Head) -> int:
    """How many of the trusted witnesses cosigned `head`; fails below the required number."""
    cosigned = tlog.cosigned_by(head.note, trust.witnesses)
    if len(cosigned) < trust.witnesses_required:
        raise tlog.LogError(
            f"the tree head of size {head.checkpoint.size} is cosigned by {len(cosigned)} of "
            f"the witnesses you trust; {trust.witnesses_required} are required (fetch a later "
            "cosigned tree head, GET /api/log/checkpoint, and pass it with --log-checkpoint)"
        )
    return len(cosigned)
