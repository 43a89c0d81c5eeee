"""The published test vectors (docs/transparency-log-vectors.json) are what the code
computes from their inputs, and they check out with the verification rules alone."""

import hashlib
import json
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from casefiles import tlog

VECTORS = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "transparency-log-vectors.json").read_text(
        encoding="utf-8"
    )
)


def test_leaves_and_roots():
    events = [
        hashlib.sha256(f"casefiles test vector event {n}".encode()).hexdigest() for n in range(7)
    ]
    assert VECTORS["event_hashes"] == events
    leaves = [hashlib.sha256(b"\x00" + bytes.fromhex(h)).digest() for h in events]
    assert [leaf.hex() for leaf in leaves] == VECTORS["leaf_hashes"]
    for size, root in VECTORS["roots"].items():
        assert tlog.root_of(leaves[: int(size)]).hex() == root


def test_proofs_verify_against_the_roots():
    leaves = [bytes.fromhex(h) for h in VECTORS["leaf_hashes"]]
    inclusion, consistency = VECTORS["inclusion"], VECTORS["consistency"]
    tlog.verify_inclusion(
        leaves[inclusion["leaf_index"]],
        inclusion["leaf_index"],
        inclusion["tree_size"],
        [bytes.fromhex(h) for h in inclusion["proof"]],
        bytes.fromhex(VECTORS["roots"][str(inclusion["tree_size"])]),
    )
    tlog.verify_consistency(
        consistency["from"],
        consistency["to"],
        bytes.fromhex(VECTORS["roots"][str(consistency["from"])]),
        bytes.fromhex(VECTORS["roots"][str(consistency["to"])]),
        [bytes.fromhex(h) for h in consistency["proof"]],
    )


def test_signed_tree_heads_keys_and_cosignature():
    log_key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(VECTORS["log_private_seed_hex"]))
    log = tlog.verifier_for(log_key, VECTORS["log_origin"])
    assert log.vkey == VECTORS["log_vkey"]
    head, _ = tlog.open_checkpoint(VECTORS["tree_head_4"], tlog.parse_vkey(VECTORS["log_vkey"]))
    assert (head.size, head.root.hex()) == (4, VECTORS["roots"]["4"])
    # Ed25519 is deterministic: signing again gives the very same note.
    assert tlog.sign_checkpoint(head, log_key).render() == VECTORS["tree_head_4"]
    witness = tlog.parse_vkey(VECTORS["witness_vkey"])
    seed = bytes.fromhex(VECTORS["witness_private_seed_hex"])
    assert witness == tlog.verifier_for(
        Ed25519PrivateKey.from_private_bytes(seed), VECTORS["witness_name"], tlog.COSIGNATURE_V1
    )
    checkpoint, note = tlog.open_checkpoint(VECTORS["tree_head_7_cosigned"], log)
    assert checkpoint.root.hex() == VECTORS["roots"]["7"]
    assert tlog.cosigned_by(note, [witness]) == {witness.vkey: VECTORS["cosignature_time"]}
