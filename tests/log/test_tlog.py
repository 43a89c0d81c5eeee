"""The log's formats against the published Certificate Transparency vectors, and every
proof of every small tree, valid and tampered (casefiles/tlog.py)."""

import hashlib
import itertools

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from casefiles import tlog

# RFC 6962 reference leaves and roots for sizes 0..8 (Certificate Transparency's test
# data, as published by transparency-dev/merkle): any correct implementation agrees.
CT_DATA = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_INCLUSION = {
    (0, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (5, 8): [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
}
CT_CONSISTENCY = {
    (2, 8): [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
}


def ct_leaves():
    return [tlog.leaf_hash(bytes.fromhex(data)) for data in CT_DATA]


def stored(leaves):
    """A Tree over an in-memory list: every perfect subtree from its leaves."""

    def node(level, index):
        width = 1 << level
        return tlog.root_of(leaves[index * width : (index + 1) * width])

    return tlog.Tree(node)


def test_roots_match_rfc6962_reference():
    leaves = ct_leaves()
    for size, expected in enumerate(CT_ROOTS):
        assert tlog.root_of(leaves[:size]).hex() == expected
        frontier = tlog.Frontier()
        for leaf in leaves[:size]:
            frontier.append(leaf)
        assert frontier.root().hex() == expected


def test_proofs_match_rfc6962_reference():
    tree = stored(ct_leaves())
    for (index, size), expected in CT_INCLUSION.items():
        assert [node.hex() for node in tree.inclusion_proof(index, size)] == expected
    for (old, new), expected in CT_CONSISTENCY.items():
        assert [node.hex() for node in tree.consistency_proof(old, new)] == expected


def test_frontier_completes_each_perfect_subtree_once():
    leaves = [tlog.leaf_hash(bytes([i])) for i in range(37)]
    frontier, seen = tlog.Frontier(), {}
    for leaf in leaves:
        for level, index, digest in frontier.append(leaf):
            assert (level, index) not in seen
            seen[level, index] = digest
    tree = stored(leaves)
    for (level, index), digest in seen.items():
        assert tree.node(level, index) == digest
    # And a frontier rebuilt from stored subtrees continues where the first one was.
    resumed = tlog.Frontier.at(20, lambda level, index: seen[level, index])
    for leaf in leaves[20:]:
        resumed.append(leaf)
    assert resumed.root() == tlog.root_of(leaves)


def test_every_proof_of_every_small_tree_verifies_and_tampering_fails():
    leaves = [tlog.leaf_hash(bytes([i, i * 7 % 256])) for i in range(33)]
    tree = stored(leaves)
    roots = [tlog.root_of(leaves[:n]) for n in range(len(leaves) + 1)]
    for size in range(1, len(leaves) + 1):
        for index in range(size):
            proof = tree.inclusion_proof(index, size)
            tlog.verify_inclusion(leaves[index], index, size, proof, roots[size])
            with pytest.raises(tlog.LogError):
                tlog.verify_inclusion(
                    leaves[(index + 1) % size] if size > 1 else b"x" * 32,
                    index,
                    size,
                    proof,
                    roots[size],
                )
            if proof:
                with pytest.raises(tlog.LogError):
                    tlog.verify_inclusion(leaves[index], index, size, proof[:-1], roots[size])
                bad = [*proof[:-1], hashlib.sha256(proof[-1]).digest()]
                with pytest.raises(tlog.LogError):
                    tlog.verify_inclusion(leaves[index], index, size, bad, roots[size])
    for old, new in itertools.combinations(range(len(leaves) + 1), 2):
        proof = tree.consistency_proof(old, new)
        tlog.verify_consistency(old, new, roots[old], roots[new], proof)
        if old:
            # A rewritten old tree (another root at the same size) is caught.
            with pytest.raises(tlog.LogError):
                tlog.verify_consistency(old, new, roots[old - 1], roots[new], proof)
            with pytest.raises(tlog.LogError):
                tlog.verify_consistency(new, old, roots[new], roots[old], proof)


def test_consistency_refuses_a_fork_at_the_same_size():
    leaves = ct_leaves()
    with pytest.raises(tlog.LogError, match="forked"):
        tlog.verify_consistency(
            5, 5, tlog.root_of(leaves[:5]), tlog.root_of([*leaves[:4], leaves[6]]), []
        )


def test_signed_checkpoint_round_trip_and_tampering():
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    checkpoint = tlog.Checkpoint("casefiles.example/log", 8, bytes.fromhex(CT_ROOTS[8]))
    note = tlog.sign_checkpoint(checkpoint, key)
    log = tlog.parse_vkey(tlog.verifier_for(key, "casefiles.example/log").vkey)
    parsed, _ = tlog.open_checkpoint(note.render(), log)
    assert parsed == checkpoint
    tampered = note.render().replace("\n8\n", "\n9\n")
    with pytest.raises(tlog.LogError, match="was changed"):
        tlog.open_checkpoint(tampered, log)
    other = tlog.verifier_for(Ed25519PrivateKey.generate(), "casefiles.example/log")
    with pytest.raises(tlog.LogError, match="not signed by"):
        tlog.open_checkpoint(note.render(), other)


def test_cosignature_round_trip_and_a_known_witness_with_a_bad_signature():
    log_key, witness_key = (Ed25519PrivateKey.from_private_bytes(bytes([n]) * 32) for n in (1, 2))
    note = tlog.sign_checkpoint(
        tlog.Checkpoint("casefiles.example/log", 3, bytes.fromhex(CT_ROOTS[3])), log_key
    )
    witness = tlog.verifier_for(witness_key, "witness.example/w1", tlog.COSIGNATURE_V1)
    cosigned = tlog.Note(
        note.text, (*note.signatures, tlog.cosign(note.text, witness_key, witness.name, 1700000000))
    )
    again = tlog.parse_note(cosigned.render())
    assert tlog.cosigned_by(again, [witness]) == {witness.vkey: 1700000000}
    forged = tlog.Signature(
        witness.name,
        witness.key_id,
        (1700000001).to_bytes(8, "big") + again.signatures[1].signature[8:],
    )
    with pytest.raises(tlog.LogError, match="does not match"):
        tlog.cosigned_by(tlog.Note(note.text, (forged,)), [witness])


@pytest.mark.parametrize(
    "text",
    [
        "",
        "no signatures\n",
        "origin\n1\nAAAA\n\n— name bad!base64\n",
        "a\x01b\n\n— name AAAAAAA=\n",
    ],
)
def test_malformed_notes_are_refused(text):
    with pytest.raises(tlog.LogError):
        tlog.parse_note(text)


def test_vkey_with_a_wrong_key_id_is_refused():
    verifier = tlog.verifier_for(Ed25519PrivateKey.generate(), "casefiles.example/log")
    name, _, key = verifier.vkey.split("+", 2)
    with pytest.raises(tlog.LogError, match="does not belong"):
        tlog.parse_vkey(f"{name}+00000000+{key}")
