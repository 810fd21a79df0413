"""The RFC 6962 Merkle tree over the audit entries.

Leaf hash = SHA-256(0x00 ‖ entry body); node hash = SHA-256(0x01 ‖ left ‖ right).
The tree over n leaves splits at the largest power of two below n (RFC 6962 §2.1),
which is the same as pairing nodes level by level and carrying an odd last node
up unchanged; :func:`root` computes it that way, with the per-node work done in C.

Proof verification follows RFC 9162 §2.1.3.2 and §2.1.4.2. A verifier raises
:class:`ProofError` rather than returning False, so a forgotten check cannot pass
silently. Every hash, proof node and root must be exactly 32 bytes.

:class:`CompactRange` keeps the right edge of the tree (one hash per set bit of
the size), so the server can append one leaf at a time and read the root at any
moment in O(log n), and store the edge instead of re-reading the whole log.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

HASH_SIZE = 32
#: Root of the empty tree: SHA-256 of the empty string (RFC 6962 §2.1).
EMPTY_ROOT = hashlib.sha256(b"").digest()

_sha256 = hashlib.sha256
_LEAF = b"\x00"
_NODE = b"\x01"


#: Below this many leaves (or entries) the work stays in one process.
PARALLEL_MIN = 1 << 16


def auto_workers(n: int) -> int:
    """Processes worth using for ``n`` items: one per usable CPU (at most 8) once ``n`` reaches
    :data:`PARALLEL_MIN`, on Linux; otherwise 1.

    Library calls stay in one process unless told otherwise (a web server must not
    fork behind its own back); the standalone verifier and the benchmark ask for this.
    """
    # fork is only safe to rely on under Linux (macOS system libraries may crash in a forked child).
    if n < PARALLEL_MIN or not sys.platform.startswith("linux"):
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, 8))


_shared: Any = None


def shared() -> Any:
    """The data a :func:`fork_map` worker was forked with."""
    return _shared


def fork_map(fn: Callable[..., Any], tasks: Sequence[tuple[Any, ...]], data: Any) -> list[Any]:
    """Run ``fn(*task)`` for every task, the first in this process and the others in forked
    worker processes that inherit ``data``
    (read through :func:`shared`) without copying it. ``fn`` must be a module-level function,
    and what it returns must pickle (return errors as values: our exceptions do not).
    Not for use from several threads at once, nor inside a web server."""
    global _shared
    _shared = data
    try:
        if len(tasks) == 1:
            return [fn(*tasks[0])]
        # This process takes the first task itself rather than wait idle for the others.
        with multiprocessing.get_context("fork").Pool(len(tasks) - 1) as pool:
            others = pool.starmap_async(fn, tasks[1:])
            first = fn(*tasks[0])
            return [first, *others.get()]
    finally:
        _shared = None


class ProofError(ValueError):
    """A proof does not prove what it claims (or is malformed)."""


def leaf_hash(body: bytes) -> bytes:
    """The leaf hash of one entry body; this is also the entry's hash."""
    return _sha256(_LEAF + body).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return _sha256(_NODE + left + right).digest()


def leaf_hashes(bodies: Iterable[bytes]) -> list[bytes]:
    """Leaf hashes of many bodies.

    A list comprehension, not ``map(methodcaller("digest"), ...)``: the comprehension's
    method call is cached by the interpreter, while methodcaller looks ``digest`` up
    on every hash; with OpenSSL's per-object cost this loop is most of the verifier's time."""
    sha256 = _sha256
    return [sha256(b"\x00" + body).digest() for body in bodies]


def _next_level(level: Sequence[bytes]) -> list[bytes]:
    sha256 = _sha256
    pairs = iter(level)
    up = [sha256(b"\x01" + left + right).digest() for left, right in zip(pairs, pairs)]
    if len(level) % 2:
        up.append(level[-1])
    return up


def _root_one_process(level: list[bytes]) -> bytes:
    if not level:
        return EMPTY_ROOT
    while len(level) > 1:
        level = _next_level(level)
    return level[0]


def _root_of_range(lo: int, hi: int) -> bytes:
    blob = shared()  # the leaf hashes joined: one object, so the child copies no pages
    return _root_one_process([blob[i : i + HASH_SIZE] for i in range(lo * HASH_SIZE, hi * HASH_SIZE, HASH_SIZE)])


def root(leaf_hashes: Iterable[bytes], *, workers: int = 1) -> bytes:
    """The Merkle tree hash (RFC 6962 MTH) of a list of leaf hashes.

    Large trees are split into aligned blocks of a power-of-two size, hashed in
    parallel; the level-by-level construction never pairs across such blocks, so
    the tree over the block roots is the tree over the leaves.
    """
    if not isinstance(leaf_hashes, (list, tuple)):
        leaf_hashes = list(leaf_hashes)
    n, w = len(leaf_hashes), max(1, workers)
    if w == 1 or n < 2 * w:
        return _root_one_process(list(leaf_hashes))
    block = 1 << (-(-n // w) - 1).bit_length()  # the power of two at or above n / w
    tasks = [(lo, min(lo + block, n)) for lo in range(0, n, block)]
    blob = b"".join(leaf_hashes)
    if len(blob) != n * HASH_SIZE:
        raise ValueError("leaf hashes must be 32 bytes")
    return _root_one_process(fork_map(_root_of_range, tasks, blob))


def _largest_power_of_two_below(n: int) -> int:
    """The largest power of two strictly smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def _check_range(index: int, size: int, leaves: Sequence[bytes]) -> None:
    if size > len(leaves):
        raise ValueError(f"tree size {size} is larger than the {len(leaves)} leaves given")


def inclusion_proof(index: int, size: int, leaves: Sequence[bytes]) -> list[bytes]:
    """The audit path for leaf ``index`` in the tree of the first ``size`` leaf hashes (RFC 6962 PATH)."""
    _check_range(index, size, leaves)
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside a tree of size {size}")
    proof: list[bytes] = []
    lo, hi = 0, size
    # Walk down from the root; siblings are collected top-down and returned bottom-up.
    while hi - lo > 1:
        k = _largest_power_of_two_below(hi - lo)
        if index < lo + k:
            proof.append(root(leaves[lo + k : hi]))
            hi = lo + k
        else:
            proof.append(root(leaves[lo : lo + k]))
            lo = lo + k
    proof.reverse()
    return proof


def consistency_proof(m: int, n: int, leaves: Sequence[bytes]) -> list[bytes]:
    """The proof that the tree of size ``m`` is a prefix of the tree of size ``n`` (RFC 6962 PROOF)."""
    _check_range(0, n, leaves)
    if not 0 <= m <= n:
        raise ValueError(f"cannot prove size {m} consistent with size {n}")
    if m == 0 or m == n:
        return []
    proof: list[bytes] = []
    lo, hi, whole = 0, n, True  # SUBPROOF(m, D[lo:hi], whole)
    while True:
        size = hi - lo
        if m == size:
            if not whole:
                proof.append(root(leaves[lo:hi]))
            break
        k = _largest_power_of_two_below(size)
        if m <= k:
            proof.append(root(leaves[lo + k : hi]))
            hi = lo + k
        else:
            proof.append(root(leaves[lo : lo + k]))
            lo, m, whole = lo + k, m - k, False
    proof.reverse()
    return proof


def _check_hash(value: bytes, what: str) -> None:
    if not isinstance(value, (bytes, bytearray)) or len(value) != HASH_SIZE:
        raise ProofError(f"{what} is not a {HASH_SIZE}-byte hash")


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root that ``proof`` leads to from ``leaf`` at ``index``; raises if the shape is impossible."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    _check_hash(leaf, "leaf hash")
    fn, sn, r = index, size - 1, bytes(leaf)
    for i, p in enumerate(proof):
        _check_hash(p, f"proof node {i}")
        if sn == 0:
            raise ProofError("inclusion proof is longer than the path to the root")
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
        raise ProofError("inclusion proof is shorter than the path to the root")
    return r


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root_hash: bytes) -> None:
    """Check that ``leaf`` is leaf ``index`` of the tree of ``size`` with root ``root_hash``; raise :class:`ProofError` if not."""
    _check_hash(root_hash, "root")
    if root_from_inclusion_proof(index, size, leaf, proof) != root_hash:
        raise ProofError("inclusion proof does not lead to the expected root")


def verify_consistency(m: int, n: int, root_m: bytes, root_n: bytes, proof: Sequence[bytes]) -> None:
    """Check that the tree of size ``m`` (root ``root_m``) is a prefix of the tree of size ``n`` (root ``root_n``)."""
    if not 0 <= m <= n:
        raise ProofError(f"size {m} cannot be a prefix of size {n}")
    if m == n:
        if proof:
            raise ProofError("equal sizes need an empty consistency proof")
        _check_hash(root_m, "first root")
        if root_m != root_n:
            raise ProofError("two trees of the same size have different roots")
        return
    if m == 0:
        # Every tree extends the empty tree; there is nothing to prove.
        if proof:
            raise ProofError("a proof from the empty tree must be empty")
        return
    _check_hash(root_m, "first root")
    _check_hash(root_n, "second root")
    if not proof:
        raise ProofError("consistency proof is empty")
    nodes = list(proof)
    for i, p in enumerate(nodes):
        _check_hash(p, f"proof node {i}")
    if m & (m - 1) == 0:  # m is a power of two: the old root is a node of the new tree
        nodes.insert(0, root_m)
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = nodes[0]
    for c in nodes[1:]:
        if sn == 0:
            raise ProofError("consistency proof is longer than needed")
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
        raise ProofError("consistency proof is shorter than needed")
    if fr != root_m:
        raise ProofError("consistency proof does not lead to the first root")
    if sr != root_n:
        raise ProofError("consistency proof does not lead to the second root")


class CompactRange:
    """The right edge of a growing tree: roots of the perfect subtrees, largest first.

    ``size`` leaves make ``popcount(size)`` perfect subtrees (one per set bit of
    the size); their roots are all that is needed to append more leaves and to
    compute the tree's root. Store ``size`` and ``edge`` to resume later.
    """

    __slots__ = ("_edge", "_heights", "size")

    def __init__(self, size: int = 0, edge: Sequence[bytes] = ()) -> None:
        if size < 0:
            raise ValueError("size must not be negative")
        heights = [h for h in range(size.bit_length() - 1, -1, -1) if size >> h & 1]
        if len(heights) != len(edge):
            raise ValueError(f"a tree of size {size} has {len(heights)} edge hashes, not {len(edge)}")
        for e in edge:
            if len(e) != HASH_SIZE:
                raise ValueError("edge hashes must be 32 bytes")
        self.size = size
        self._heights = heights
        self._edge = [bytes(e) for e in edge]

    @property
    def edge(self) -> list[bytes]:
        return list(self._edge)

    def append(self, leaf: bytes) -> None:
        """Add one leaf hash at the right."""
        if len(leaf) != HASH_SIZE:
            raise ValueError("leaf hashes must be 32 bytes")
        self._push(bytes(leaf), 0)

    def extend(self, leaves: Sequence[bytes], *, workers: int = 1) -> None:
        """Add many leaf hashes; whole perfect subtrees are hashed level by level in C
        (in ``workers`` processes for big ones, see :func:`root`)."""
        leaves = list(leaves)
        i, n = 0, len(leaves)
        while i < n:
            # The largest perfect subtree that may start at the current size and fits.
            span = 1 << ((n - i).bit_length() - 1)
            if self.size:
                span = min(span, self.size & -self.size)  # subtrees must be aligned to their size
            sub = leaves[i] if span == 1 else root(leaves[i : i + span], workers=workers if span >= PARALLEL_MIN else 1)
            if len(sub) != HASH_SIZE:
                raise ValueError("leaf hashes must be 32 bytes")
            self._push(sub, span.bit_length() - 1)
            i += span

    def _push(self, node: bytes, height: int) -> None:
        edge, heights = self._edge, self._heights
        self.size += 1 << height
        while heights and heights[-1] == height:
            node = _sha256(_NODE + edge.pop() + node).digest()
            heights.pop()
            height += 1
        edge.append(node)
        heights.append(height)

    def root(self) -> bytes:
        """The RFC 6962 root of all leaves so far."""
        if not self._edge:
            return EMPTY_ROOT
        r = self._edge[-1]
        for e in reversed(self._edge[:-1]):
            r = _sha256(_NODE + e + r).digest()
        return r
