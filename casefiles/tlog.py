"""The transparency log's public formats, shared by the server, the witness and the
verifier: standard library plus `cryptography` only, no Django (docs/transparency-log.md).

* The Merkle tree of RFC 6962 / RFC 9162 §2.1: leaf = SHA-256(0x00 ‖ data),
  node = SHA-256(0x01 ‖ left ‖ right); a leaf's data is the 32 bytes of an event's hash.
* Inclusion and consistency proofs, made from any source of subtree hashes and checked
  with the iterative algorithms of RFC 9162 §2.1.3.2 and §2.1.4.2.
* Signed notes (c2sp.org/signed-note), checkpoints (c2sp.org/tlog-checkpoint) and
  Ed25519 witness cosignatures (c2sp.org/tlog-cosignature), keys as vkeys
  (`<name>+<key id hex>+<base64(type ‖ key)>`).
"""

import base64
import binascii
import hashlib
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
ED25519 = 0x01
COSIGNATURE_V1 = 0x04
EMPTY_ROOT = hashlib.sha256(b"").digest()
MAX_NOTE_BYTES = 1 << 16
MAX_SIGNATURES = 64
MAX_PROOF_HASHES = 128
# Key names and origins: no spaces, no plus signs, no control characters.
NAME = re.compile(r"^[^\s+\x00-\x1f\x7f]+$")


class LogError(ValueError):
    """A proof, note, key or signature that does not check out; the message says why."""


# --- The Merkle tree ------------------------------------------------------------------


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def event_leaf(event_hash_hex: str) -> bytes:
    """The leaf hash of an event: its hash's 32 bytes are the leaf's data."""
    try:
        data = bytes.fromhex(event_hash_hex)
    except ValueError:
        raise LogError(f"event hash {event_hash_hex!r} is not hex") from None
    if len(data) != 32:
        raise LogError(f"event hash {event_hash_hex!r} is not 32 bytes")
    return leaf_hash(data)


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _split(size: int) -> int:
    """The largest power of two smaller than `size` (size > 1)."""
    return 1 << ((size - 1).bit_length() - 1)


def root_of(leaves: list[bytes]) -> bytes:
    """MTH(D[n]) of RFC 6962 over leaf hashes, recursively: for test vectors and small
    trees. The server keeps a Frontier instead."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = _split(len(leaves))
    return node_hash(root_of(leaves[:k]), root_of(leaves[k:]))


@dataclass
class Frontier:
    """The roots of the perfect subtrees that make up a tree of `size` leaves, largest
    first (a compact range): appending a leaf costs O(log n) hashes and never rereads
    the tree. `nodes[i]` is the subtree at height `levels[i]`."""

    size: int = 0
    nodes: list[bytes] = field(default_factory=list)

    @staticmethod
    def levels_of(size: int) -> list[int]:
        return [level for level in range(size.bit_length() - 1, -1, -1) if size >> level & 1]

    @classmethod
    def at(cls, size: int, node: Callable[[int, int], bytes]) -> "Frontier":
        """The frontier of a stored tree, from its perfect subtrees `node(level, index)`."""
        return cls(size, [node(level, (size >> level) - 1) for level in cls.levels_of(size)])

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add one leaf hash; returns the perfect subtrees completed, as (level, index,
        hash), the leaf itself first."""
        index = self.size
        completed = [(0, index, leaf)]
        node, level = leaf, 0
        while index >> level & 1:
            node = node_hash(self.nodes.pop(), node)
            level += 1
            completed.append((level, index >> level, node))
        self.nodes.append(node)
        self.size += 1
        return completed

    def root(self) -> bytes:
        if not self.nodes:
            return EMPTY_ROOT
        node = self.nodes[-1]
        for left in reversed(self.nodes[:-1]):
            node = node_hash(left, node)
        return node


class Tree:
    """Proofs over a stored tree, given its perfect subtrees `node(level, index)`:
    a range that is not a perfect subtree is hashed from the ones it splits into."""

    def __init__(self, node: Callable[[int, int], bytes]):
        self.node = node

    def subtree(self, start: int, end: int) -> bytes:
        size = end - start
        if size <= 0:
            raise LogError("empty range")
        if size & (size - 1) == 0 and start % size == 0:
            return self.node(size.bit_length() - 1, start // size)
        k = _split(size)
        return node_hash(self.subtree(start, start + k), self.subtree(start + k, end))

    def root(self, size: int) -> bytes:
        return self.subtree(0, size) if size else EMPTY_ROOT

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """PATH(m, D[n]) of RFC 6962 §2.1.1, leaf first."""
        if not 0 <= index < size:
            raise LogError(f"leaf {index} is not in a tree of size {size}")
        return self._path(index, 0, size)

    def _path(self, index: int, start: int, end: int) -> list[bytes]:
        if end - start == 1:
            return []
        k = _split(end - start)
        if index < k:
            return self._path(index, start, start + k) + [self.subtree(start + k, end)]
        return self._path(index - k, start + k, end) + [self.subtree(start, start + k)]

    def consistency_proof(self, old: int, new: int) -> list[bytes]:
        """PROOF(m, D[n]) of RFC 6962 §2.1.2; empty when old is 0 or equals new."""
        if not 0 <= old <= new:
            raise LogError(f"no consistency proof from size {old} to size {new}")
        if old in (0, new):
            return []
        return self._subproof(old, 0, new, True)

    def _subproof(self, m: int, start: int, end: int, whole: bool) -> list[bytes]:
        n = end - start
        if m == n:
            return [] if whole else [self.subtree(start, end)]
        k = _split(n)
        if m <= k:
            return self._subproof(m, start, start + k, whole) + [self.subtree(start + k, end)]
        return self._subproof(m - k, start + k, end, False) + [self.subtree(start, start + k)]


def verify_inclusion(leaf: bytes, index: int, size: int, proof: list[bytes], root: bytes) -> None:
    """RFC 9162 §2.1.3.2; raises LogError unless `leaf` is leaf `index` of the tree of
    `size` leaves whose root is `root`."""
    if not 0 <= index < size:
        raise LogError(f"leaf index {index} is not below the tree size {size}")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise LogError("the inclusion proof is longer than the tree allows")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise LogError("the inclusion proof is shorter than the tree requires")
    if r != root:
        raise LogError(
            f"the inclusion proof of leaf {index} does not lead to the root of "
            f"the tree of size {size}"
        )


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: list[bytes]
) -> None:
    """RFC 9162 §2.1.4.2; raises LogError unless the tree of `new_size` leaves with
    `new_root` extends the tree of `old_size` leaves with `old_root` (append only)."""
    if old_size > new_size:
        raise LogError(
            f"a tree of size {new_size} cannot extend one of size {old_size}: "
            "the log went backwards"
        )
    if old_size == new_size:
        if proof:
            raise LogError("a consistency proof between equal sizes must be empty")
        if old_root != new_root:
            raise LogError(f"two different roots for the same tree size {old_size}: the log forked")
        return
    if old_size == 0:
        if proof:
            raise LogError("a consistency proof from the empty tree must be empty")
        return
    if not proof:
        raise LogError("the consistency proof is empty")
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise LogError("the consistency proof is longer than the trees allow")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise LogError("the consistency proof is shorter than the trees require")
    if fr != old_root:
        raise LogError(
            f"the tree of size {new_size} does not contain the tree of size "
            f"{old_size} that was signed: history was rewritten or removed"
        )
    if sr != new_root:
        raise LogError(
            f"the consistency proof does not lead to the root of the tree of "
            f"size {new_size}: that tree does not extend the tree of size "
            f"{old_size} (history was rewritten or removed, or the proof is "
            "wrong)"
        )


# --- Keys and signed notes ------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise LogError(f"{what} is not valid base64") from None


def check_name(name: str, what: str = "key name") -> str:
    if not NAME.match(name or ""):
        raise LogError(
            f"{what} {name!r} is empty or holds a space, a plus sign or a control character"
        )
    return name


def key_id(name: str, kind: int, public: bytes) -> bytes:
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([kind]) + public).digest()[:4]


@dataclass(frozen=True)
class Verifier:
    """A public key with its name and signature type: what a verifier is configured with."""

    name: str
    kind: int
    public: bytes

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.kind, self.public)

    @property
    def vkey(self) -> str:
        return f"{self.name}+{self.key_id.hex()}+{b64(bytes([self.kind]) + self.public)}"

    def ed25519(self) -> Ed25519PublicKey:
        return Ed25519PublicKey.from_public_bytes(self.public)


def parse_vkey(text: str) -> Verifier:
    """`<name>+<8 hex digits>+<base64(type ‖ key)>`, types 0x01 (log) and 0x04 (witness)."""
    parts = text.strip().split("+", 2)
    if len(parts) != 3:
        raise LogError(f"{text.strip()!r} is not a verifier key (name+keyid+key)")
    name, hex_id, encoded = parts
    check_name(name)
    material = unb64(encoded, f"the key of {name}")
    if len(material) != 33 or material[0] not in (ED25519, COSIGNATURE_V1):
        raise LogError(f"the verifier key of {name} is not an Ed25519 key of type 0x01 or 0x04")
    verifier = Verifier(name, material[0], material[1:])
    if verifier.key_id.hex() != hex_id.lower():
        raise LogError(
            f"the key id {hex_id} in the verifier key of {name} does not belong "
            f"to its key (it is {verifier.key_id.hex()})"
        )
    return verifier


def verifier_for(private: Ed25519PrivateKey, name: str, kind: int = ED25519) -> Verifier:
    return Verifier(check_name(name), kind, private.public_key().public_bytes_raw())


@dataclass(frozen=True)
class Signature:
    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        return f"\u2014 {self.name} {b64(self.key_id + self.signature)}\n"


@dataclass(frozen=True)
class Note:
    text: str
    signatures: tuple[Signature, ...]

    def render(self) -> str:
        return self.text + "\n" + "".join(sig.line() for sig in self.signatures)


def parse_note(data: bytes | str) -> Note:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > MAX_NOTE_BYTES:
        raise LogError(f"the note is {len(raw)} bytes; at most {MAX_NOTE_BYTES} are read")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise LogError("the note is not UTF-8") from None
    if any(ord(char) < 0x20 and char != "\n" for char in text):
        raise LogError("the note holds a control character")
    split = text.rfind("\n\n")
    if split < 0 or not text.endswith("\n"):
        raise LogError("the note has no signature block (a blank line, then signatures)")
    body, block = text[: split + 1], text[split + 2 :]
    signatures = []
    for line in block[:-1].split("\n"):
        if not line.startswith("\u2014 "):
            raise LogError(f"{line[:40]!r} is not a signature line")
        parts = line[2:].split(" ")
        if len(parts) != 2:
            raise LogError(f"{line[:40]!r} is not a signature line")
        name, encoded = check_name(parts[0]), parts[1]
        material = unb64(encoded, f"the signature of {name}")
        if len(material) < 5:
            raise LogError(f"the signature of {name} is too short")
        signatures.append(Signature(name, material[:4], material[4:]))
    if len(signatures) > MAX_SIGNATURES:
        raise LogError(
            f"the note has {len(signatures)} signatures; at most {MAX_SIGNATURES} are read"
        )
    return Note(body, tuple(signatures))


def sign_note(text: str, private: Ed25519PrivateKey, name: str) -> Note:
    verifier = verifier_for(private, name)
    signature = Signature(name, verifier.key_id, private.sign(text.encode("utf-8")))
    return Note(text, (signature,))


def find_signature(note: Note, verifier: Verifier) -> Signature | None:
    """The signature line of `verifier` (same name and key id), if any."""
    for signature in note.signatures:
        if signature.name == verifier.name and signature.key_id == verifier.key_id:
            return signature
    return None


def verify_note(note: Note, verifier: Verifier) -> None:
    signature = find_signature(note, verifier)
    if signature is None:
        raise LogError(f"the note is not signed by {verifier.vkey}")
    try:
        verifier.ed25519().verify(signature.signature, note.text.encode("utf-8"))
    except InvalidSignature:
        raise LogError(
            f"the signature of {verifier.name} does not match the note: the note was changed"
        ) from None


# --- Checkpoints and cosignatures -----------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    def text(self) -> str:
        return f"{self.origin}\n{self.size}\n{b64(self.root)}\n"

    def __str__(self) -> str:
        return f"tree head {self.origin} size {self.size} root {self.root.hex()[:16]}…"


def parse_checkpoint(text: str) -> Checkpoint:
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "" or any(not line for line in lines[:-1]):
        raise LogError("the checkpoint is not an origin, a size and a root hash, one per line")
    origin, size, root = lines[0], lines[1], lines[2]
    if not NAME.match(origin):
        raise LogError(f"the checkpoint's origin {origin!r} is not valid")
    if not re.fullmatch(r"0|[1-9][0-9]{0,19}", size):
        raise LogError(f"the checkpoint's tree size {size!r} is not a decimal number")
    digest = unb64(root, "the checkpoint's root hash")
    if len(digest) != 32:
        raise LogError("the checkpoint's root hash is not 32 bytes")
    return Checkpoint(origin, int(size), digest)


def sign_checkpoint(checkpoint: Checkpoint, private: Ed25519PrivateKey) -> Note:
    """The log signs with a key named after its origin."""
    return sign_note(checkpoint.text(), private, checkpoint.origin)


def open_checkpoint(data: bytes | str, log: Verifier) -> tuple[Checkpoint, Note]:
    """Parse a signed checkpoint and check the log's signature; origin = key name."""
    note = parse_note(data)
    verify_note(note, log)
    checkpoint = parse_checkpoint(note.text)
    if checkpoint.origin != log.name:
        raise LogError(f"the checkpoint's origin {checkpoint.origin!r} is not the log {log.name!r}")
    return checkpoint, note


def cosignature_message(text: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{text}".encode()


def cosign(text: str, private: Ed25519PrivateKey, name: str, timestamp: int) -> Signature:
    verifier = verifier_for(private, name, COSIGNATURE_V1)
    signed = private.sign(cosignature_message(text, timestamp))
    return Signature(name, verifier.key_id, timestamp.to_bytes(8, "big") + signed)


def verify_cosignature(text: str, signature: Signature, witness: Verifier) -> int:
    """Check a witness's cosignature over a checkpoint's text; returns its timestamp."""
    if witness.kind != COSIGNATURE_V1:
        raise LogError(f"{witness.name}'s key is not a cosigner key (type 0x04)")
    if signature.name != witness.name or signature.key_id != witness.key_id:
        raise LogError(f"the signature is not {witness.name}'s")
    if len(signature.signature) != 72:
        raise LogError(f"the cosignature of {witness.name} is not 8 + 64 bytes")
    timestamp = int.from_bytes(signature.signature[:8], "big")
    if timestamp >= 1 << 63:
        raise LogError(f"the cosignature of {witness.name} has an invalid time")
    try:
        witness.ed25519().verify(signature.signature[8:], cosignature_message(text, timestamp))
    except InvalidSignature:
        raise LogError(f"the cosignature of {witness.name} does not match the checkpoint") from None
    return timestamp


def cosigned_by(note: Note, witnesses: Iterable[Verifier]) -> dict[str, int]:
    """The witnesses whose valid cosignature the note carries, with their times. A
    signature that claims a known witness's name and key id but does not verify is an
    error, not ignored."""
    found = {}
    for witness in witnesses:
        signature = find_signature(note, witness)
        if signature is not None:
            found[witness.vkey] = verify_cosignature(note.text, signature, witness)
    return found


def hashes_to_b64(proof: list[bytes]) -> list[str]:
    return [b64(node) for node in proof]


def hashes_from_b64(values: object, what: str) -> list[bytes]:
    if not isinstance(values, list) or len(values) > MAX_PROOF_HASHES:
        raise LogError(f"{what} is not a list of at most {MAX_PROOF_HASHES} hashes")
    hashes = []
    for value in values:
        digest = unb64(str(value), what)
        if len(digest) != 32:
            raise LogError(f"{what} holds a hash that is not 32 bytes")
        hashes.append(digest)
    return hashes


# --- Key rotation ---------------------------------------------------------------------
# A log hands over from one key to the next with an announcement, a signed note signed
# by both keys (docs/transparency-log.md, "Key rotation").

ROTATION = "casefiles key rotation/v1"
# The log's own event stream, where the announcements are events (SigningKeyRotated).
LOG_STREAM_NAMESPACE = uuid.UUID("2f0c7f4e-6b1d-5a8e-9c3a-6c6f672d6b65")


def log_stream(origin: str) -> uuid.UUID:
    return uuid.uuid5(LOG_STREAM_NAMESPACE, origin)


def rotation_text(origin: str, old: Verifier, new: Verifier) -> str:
    return f"{ROTATION}\norigin {origin}\nold {old.vkey}\nnew {new.vkey}\n"


def read_rotation(note_text: str, trusted: Verifier) -> Verifier:
    """The new key an announcement introduces, if `trusted` (the old key) signed it and
    the new key signed it too; LogError otherwise."""
    note = parse_note(note_text)
    lines = note.text.split("\n")
    if (
        len(lines) != 5
        or lines[0] != ROTATION
        or not lines[1].startswith("origin ")
        or not lines[2].startswith("old ")
        or not lines[3].startswith("new ")
    ):
        raise LogError("not a casefiles key rotation announcement")
    old, new = parse_vkey(lines[2][4:]), parse_vkey(lines[3][4:])
    if old != trusted or new.name != old.name or lines[1][7:] != old.name:
        raise LogError(f"the announcement does not rotate the key {trusted.vkey}")
    verify_note(note, old)
    verify_note(note, new)
    return new
