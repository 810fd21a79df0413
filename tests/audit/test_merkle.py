"""RFC 6962 Merkle tree: pinned test vectors and a verifier that rejects every corrupted proof.

The vectors are those pinned in transparency-dev/merkle, proof/verify_test.go
(commit 02194e9afb6c1d95b5381350007963aa70fff472): eight leaves, the root of
every prefix, and known inclusion and consistency proofs.
"""

from __future__ import annotations

import hashlib
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govern.audit import merkle
from govern.audit.merkle import (
    EMPTY_ROOT,
    CompactRange,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root,
    verify_consistency,
    verify_inclusion,
)

h = bytes.fromhex

LEAVES = [h(x) for x in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f")]
ROOTS = [
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    h("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    h("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    h("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    h("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]
# (leaf index counting from 0, tree size, proof)
INCLUSION = [
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]
CONSISTENCY = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]
HASHES = [leaf_hash(x) for x in LEAVES]
SOME_HASH = h("abacaba000000000000000000000000000000000000000000060061e00123456")


def test_empty_tree_root():
    assert root([]) == EMPTY_ROOT == h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    assert CompactRange().root() == EMPTY_ROOT


@pytest.mark.parametrize("size", range(1, 9))
def test_pinned_roots(size):
    assert root(HASHES[:size]) == ROOTS[size - 1]
    tree = CompactRange()
    for leaf in HASHES[:size]:
        tree.append(leaf)
    assert tree.root() == ROOTS[size - 1]


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_pinned_inclusion_proofs(index, size, proof):
    proof = [h(p) for p in proof]
    assert inclusion_proof(index, size, HASHES) == proof
    verify_inclusion(index, size, HASHES[index], proof, ROOTS[size - 1])


@pytest.mark.parametrize(("m", "n", "proof"), CONSISTENCY)
def test_pinned_consistency_proofs(m, n, proof):
    proof = [h(p) for p in proof]
    assert consistency_proof(m, n, HASHES) == proof
    verify_consistency(m, n, ROOTS[m - 1], ROOTS[n - 1], proof)


def _flip(node: bytes, bit: int) -> bytes:
    return node[: bit // 8] + bytes([node[bit // 8] ^ (1 << (bit % 8))]) + node[bit // 8 + 1 :]


def corrupted_inclusion(index, size, leaf, proof, root_hash):
    """Every way the Go reference corrupts a proof, and a few more."""
    yield "index - 1", (index - 1, size, leaf, proof, root_hash)
    yield "index + 1", (index + 1, size, leaf, proof, root_hash)
    yield "index ^ 2", (index ^ 2, size, leaf, proof, root_hash)
    yield "size * 2", (index, size * 2, leaf, proof, root_hash)
    yield "size // 2", (index, size // 2, leaf, proof, root_hash)
    yield "wrong leaf", (index, size, b"WrongLeaf", proof, root_hash)
    yield "other leaf", (index, size, SOME_HASH, proof, root_hash)
    yield "empty root", (index, size, leaf, proof, EMPTY_ROOT)
    yield "random root", (index, size, leaf, proof, SOME_HASH)
    if proof:  # a one-leaf tree's root is its leaf
        yield "leaf as root", (index, size, leaf, proof, leaf)
    yield "trailing garbage", (index, size, leaf, [*proof, b""], root_hash)
    yield "trailing root", (index, size, leaf, [*proof, root_hash], root_hash)
    yield "preceding garbage", (index, size, leaf, [b"", *proof], root_hash)
    yield "preceding root", (index, size, leaf, [root_hash, *proof], root_hash)
    for i in range(len(proof)):
        for bit in (0, 3, 100, 255):
            bad = list(proof)
            bad[i] = _flip(bad[i], bit)
            yield f"proof[{i}] bit {bit}", (index, size, leaf, bad, root_hash)
        yield f"removed proof[{i}]", (index, size, leaf, proof[:i] + proof[i + 1 :], root_hash)
        yield f"inserted before proof[{i}]", (index, size, leaf, [*proof[:i], SOME_HASH, *proof[i:]], root_hash)
        yield f"duplicated proof[{i}]", (index, size, leaf, [*proof[: i + 1], *proof[i:]], root_hash)
    if len(proof) > 1:
        yield "swapped nodes", (index, size, leaf, [proof[1], proof[0], *proof[2:]], root_hash)
    yield "extra node", (index, size, leaf, [*proof, SOME_HASH], root_hash)


def corrupted_consistency(m, n, root_m, root_n, proof):
    yield "m - 1", (m - 1, n, root_m, root_n, proof)
    yield "m + 1", (m + 1, n, root_m, root_n, proof)
    yield "m ^ 2", (m ^ 2, n, root_m, root_n, proof)
    yield "n * 2", (m, n * 2, root_m, root_n, proof)
    yield "n // 2", (m, n // 2, root_m, root_n, proof)
    yield "wrong root_m", (m, n, b"WrongRoot", root_n, proof)
    yield "wrong root_n", (m, n, root_m, b"WrongRoot", proof)
    yield "other root_m", (m, n, SOME_HASH, root_n, proof)
    yield "other root_n", (m, n, root_m, SOME_HASH, proof)
    yield "swapped roots", (m, n, root_n, root_m, proof)
    yield "empty proof", (m, n, root_m, root_n, [])
    yield "trailing garbage", (m, n, root_m, root_n, [*proof, b""])
    yield "trailing root_m", (m, n, root_m, root_n, [*proof, root_m])
    yield "trailing root_n", (m, n, root_m, root_n, [*proof, root_n])
    yield "preceding garbage", (m, n, root_m, root_n, [b"", *proof])
    yield "preceding root_m", (m, n, root_m, root_n, [root_m, *proof])
    yield "preceding root_n", (m, n, root_m, root_n, [root_n, *proof])
    yield "preceding proof[0]", (m, n, root_m, root_n, [proof[0], *proof])
    for i in range(len(proof)):
        for bit in (0, 4, 100, 255):
            bad = list(proof)
            bad[i] = _flip(bad[i], bit)
            yield f"proof[{i}] bit {bit}", (m, n, root_m, root_n, bad)
        yield f"removed proof[{i}]", (m, n, root_m, root_n, proof[:i] + proof[i + 1 :])
        yield f"inserted before proof[{i}]", (m, n, root_m, root_n, [*proof[:i], SOME_HASH, *proof[i:]])
    yield "extra node", (m, n, root_m, root_n, [*proof, SOME_HASH])


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_corrupted_pinned_inclusion_proofs_are_rejected(index, size, proof):
    proof = [h(p) for p in proof]
    for desc, args in corrupted_inclusion(index, size, HASHES[index], proof, ROOTS[size - 1]):
        with pytest.raises(ProofError):
            verify_inclusion(*args)
            pytest.fail(f"accepted: {desc}")


@pytest.mark.parametrize(("m", "n", "proof"), [c for c in CONSISTENCY if c[2]])
def test_corrupted_pinned_consistency_proofs_are_rejected(m, n, proof):
    proof = [h(p) for p in proof]
    for desc, args in corrupted_consistency(m, n, ROOTS[m - 1], ROOTS[n - 1], proof):
        with pytest.raises(ProofError):
            verify_consistency(*args)
            pytest.fail(f"accepted: {desc}")


def _random_leaves(n: int) -> list[bytes]:
    return [leaf_hash(os.urandom(8)) for _ in range(n)]


def test_every_corrupted_proof_is_rejected_for_every_shape_up_to_33_leaves():
    leaves = _random_leaves(33)
    roots = [root(leaves[:k]) for k in range(34)]
    for size in range(1, 34):
        for index in range(size):
            proof = inclusion_proof(index, size, leaves)
            verify_inclusion(index, size, leaves[index], proof, roots[size])
            for desc, args in corrupted_inclusion(index, size, leaves[index], proof, roots[size]):
                if desc == "index ^ 2" and index ^ 2 == index:
                    continue
                with pytest.raises(ProofError):
                    verify_inclusion(*args)
                    pytest.fail(f"accepted {desc} for index {index}, size {size}")
        for m in range(1, size):
            proof = consistency_proof(m, size, leaves)
            verify_consistency(m, size, roots[m], roots[size], proof)
            for desc, args in corrupted_consistency(m, size, roots[m], roots[size], proof):
                with pytest.raises(ProofError):
                    verify_consistency(*args)
                    pytest.fail(f"accepted {desc} for {m} -> {size}")


def test_degenerate_sizes():
    leaf = leaf_hash(b"data")
    verify_inclusion(0, 1, leaf, [], leaf)
    for args in [(0, 0, leaf, [], leaf), (1, 1, leaf, [], leaf), (0, 1, leaf, [], b""), (0, 1, b"", [], leaf)]:
        with pytest.raises(ProofError):
            verify_inclusion(*args)
    verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    verify_consistency(0, 5, EMPTY_ROOT, ROOTS[4], [])
    verify_consistency(3, 3, ROOTS[2], ROOTS[2], [])
    for args in [
        (3, 3, ROOTS[2], ROOTS[3], []),
        (3, 3, ROOTS[2], ROOTS[2], [EMPTY_ROOT]),
        (0, 1, EMPTY_ROOT, ROOTS[0], [EMPTY_ROOT]),
        (2, 1, ROOTS[1], ROOTS[0], []),
        (1, 2, ROOTS[0], ROOTS[1], []),
    ]:
        with pytest.raises(ProofError):
            verify_consistency(*args)
    with pytest.raises(ValueError):
        inclusion_proof(8, 8, HASHES)
    with pytest.raises(ValueError):
        consistency_proof(3, 9, HASHES)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_random_proofs_and_random_bit_flips(data):
    size = data.draw(st.integers(1, 200))
    leaves = [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(size)]
    r = root(leaves)
    index = data.draw(st.integers(0, size - 1))
    proof = inclusion_proof(index, size, leaves)
    verify_inclusion(index, size, leaves[index], proof, r)
    m = data.draw(st.integers(1, size))
    cproof = consistency_proof(m, size, leaves)
    verify_consistency(m, size, root(leaves[:m]), r, cproof)
    if proof:
        i = data.draw(st.integers(0, len(proof) - 1))
        bit = data.draw(st.integers(0, 255))
        bad = list(proof)
        bad[i] = _flip(bad[i], bit)
        with pytest.raises(ProofError):
            verify_inclusion(index, size, leaves[index], bad, r)
    if cproof:
        i = data.draw(st.integers(0, len(cproof) - 1))
        bit = data.draw(st.integers(0, 255))
        bad = list(cproof)
        bad[i] = _flip(bad[i], bit)
        with pytest.raises(ProofError):
            verify_consistency(m, size, root(leaves[:m]), r, bad)


def test_compact_range_matches_root_append_extend_and_resume():
    leaves = _random_leaves(300)
    tree = CompactRange()
    for n in range(301):
        assert tree.size == n
        assert tree.root() == root(leaves[:n])
        resumed = CompactRange(tree.size, tree.edge)
        resumed.extend(leaves[n : n + 37])
        assert resumed.root() == root(leaves[: n + 37])
        if n < 300:
            tree.append(leaves[n])
    bulk = CompactRange()
    bulk.extend(leaves[:5])
    bulk.extend(leaves[5:129])
    bulk.extend(leaves[129:])
    assert bulk.root() == root(leaves) and bulk.edge == tree.edge
    with pytest.raises(ValueError):
        CompactRange(5, [leaves[0]])


def test_level_by_level_root_equals_the_rfc_recursion():
    def mth(d):
        if len(d) == 1:
            return d[0]
        k = 1 << ((len(d) - 1).bit_length() - 1)
        return merkle.node_hash(mth(d[:k]), mth(d[k:]))

    leaves = _random_leaves(70)
    for n in range(1, 71):
        assert root(leaves[:n]) == mth(leaves[:n])
