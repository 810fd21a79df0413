"""The input of a ranked count: candidates and weighted ballots."""

from __future__ import annotations

import gc
import hashlib
import json
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain
from operator import itemgetter

#: A ballot is a tuple of ranks, best first; each rank is a tuple of candidate
#: indices (more than one index means the voter tied them). A truncated ballot
#: simply stops early; an empty ballot expresses no preference.
Ballot = tuple[tuple[int, ...], ...]


try:  # numpy checks large boxes in one pass; without it the same checks run in Python.
    import numpy as _np
except ImportError:  # pragma: no cover
    _np = None

#: From this many distinct equal-length orders on, :meth:`Profile.from_orders` checks them with numpy.
MATRIX_MIN_BALLOTS = 2000

#: From four times this many orders on, :meth:`Profile.from_orders` looks at an evenly spread sample of
#: this many first: where under a tenth of it is distinct, the box repeats a few ballots, which a dict
#: merges faster than the numpy path (one hash per ballot against a sort). Either way the same profile.
MERGE_SAMPLE = 20000


class _LazyBallots(Sequence):
    """The ballots of a large :meth:`Profile.from_orders` profile, built only when someone reads them.

    It behaves as the tuple of ballots it stands for (equality, hashing, indexing);
    the fast counts never need it, as they read the order matrix directly. The orders
    themselves are given, or read off that matrix (rows padded with n) when first needed.
    """

    __slots__ = ("_orders", "_matrix", "_len", "_n", "_items")

    def __init__(self, orders: tuple[tuple[int, ...], ...] | None, n: int, matrix=None) -> None:
        self._orders = orders
        self._matrix = matrix
        self._len = len(orders) if orders is not None else len(matrix)
        self._n = n
        self._items: tuple[Ballot, ...] | None = None

    def orders(self) -> tuple[tuple[int, ...], ...]:
        if self._orders is None:
            self._orders = _matrix_orders(self._matrix, self._n)
        return self._orders

    def materialize(self) -> tuple[Ballot, ...]:
        if self._items is None:
            get = [(i,) for i in range(self._n)].__getitem__
            with _gc_paused():
                self._items = tuple(tuple(map(get, order)) for order in self.orders())
        return self._items

    def __len__(self) -> int:
        return self._len

    def __getitem__(self, i):  # type: ignore[override]
        return self.materialize()[i]

    def __iter__(self):  # type: ignore[override]
        return iter(self.materialize())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _LazyBallots):
            other = other.materialize()
        return self.materialize() == other

    def __hash__(self) -> int:
        return hash(self.materialize())

    def __repr__(self) -> str:
        return repr(self.materialize())


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Building many small acyclic tuples: the cycle collector only costs time here."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _matrix_orders(matrix, n: int) -> tuple[tuple[int, ...], ...]:
    """The rows of an order matrix (padded with n) as tuples of candidate indices."""
    lengths = (matrix < n).sum(axis=1).tolist()
    with _gc_paused():
        return tuple(tuple(row[:k]) for row, k in zip(matrix.tolist(), lengths))


def _few_distinct(orders: Sequence) -> bool:
    """Whether a large box seems to repeat few ballots (see :data:`MERGE_SAMPLE`); only speed depends on it."""
    m = len(orders)
    if m < 4 * MERGE_SAMPLE:
        return False
    sample = orders[:: m // MERGE_SAMPLE]
    try:
        return 10 * len(set(map(tuple, sample))) < len(sample)
    except TypeError:  # unhashable entries: the Python path says so
        return True


def _row_hashes(words):  # (rows, k) uint64 -> one uint64 per row
    """A 64-bit hash of each row (multiply / xor-shift rounds), best mixed in the high bits.
    Rows with equal hashes are compared before they are merged, so a collision costs time,
    never a wrong count."""
    np = _np
    mult, shift = np.uint64(0x9E3779B97F4A7C15), np.uint64(29)
    h = words[:, 0] * mult
    h ^= h >> shift
    for j in range(1, words.shape[1]):
        h ^= words[:, j]
        h *= mult
        h ^= h >> shift
    return h * mult


def _merge_rows(words):  # -> (first index of each distinct row, in order of first appearance; its count)
    """Identical rows of ``words`` (a (rows, k) uint64 array) merged, as dict-based merging
    would: distinct rows in order of first appearance, with how often each occurs.

    One sort of 64-bit keys: the high bits hold a hash of the row, the low bits its index,
    so that equal rows come together, each group led by its first appearance. Neighbours
    with equal hash bits are compared; where different rows share them, those runs alone
    are sorted again on the rows themselves."""
    np = _np
    m = len(words)
    bits = max(m - 1, 1).bit_length()
    index_mask = np.uint64((1 << bits) - 1)
    keys = _row_hashes(words)
    keys &= ~index_mask
    keys |= np.arange(m, dtype=np.uint64)
    keys.sort()
    order = (keys & index_mask).astype(np.intp)
    keys >>= np.uint64(bits)  # the hash bits
    new = np.empty(m, dtype=bool)
    new[0] = True
    np.not_equal(keys[1:], keys[:-1], out=new[1:])
    same = np.flatnonzero(~new[1:])  # sorted positions i whose hash bits equal those of i + 1
    clash = same[(words[order[same]] != words[order[same + 1]]).any(axis=1)]
    if clash.size:  # different rows share hash bits: sort those runs by (hash, row, index)
        run = np.cumsum(new) - 1
        at = np.flatnonzero(np.isin(run, run[clash]))
        sub = order[at]
        sub = sub[np.lexsort((sub, *words[sub].T[::-1], keys[at]))]
        order[at] = sub
        at = at[at > 0]
        new[at] = (words[order[at]] != words[order[at - 1]]).any(axis=1)
    starts = np.flatnonzero(new)
    counts = np.diff(starts, append=m)
    firsts = order[starts]  # each group is led by its smallest index
    count_at = np.zeros(m, dtype=np.int64)
    count_at[firsts] = counts
    firsts = np.flatnonzero(count_at)
    return firsts, count_at[firsts]


def _orders_matrix(orders: Sequence, n: int):  # -> (padded uint8 matrix of shape (rows, width + 1), lengths) | None
    """Strict orders as one matrix, one row per order padded with n, built in a few C-level
    passes; None when they do not all look like orders of indices below n (the caller's
    Python path then says what is wrong). Needs n < 256: the values pass through bytes()."""
    np = _np
    m = len(orders)
    try:
        try:  # bytes() counts faster than fromiter, for orders of up to 255 entries
            lengths = np.frombuffer(bytes(map(len, orders)), dtype=np.uint8)
        except ValueError:
            lengths = np.fromiter(map(len, orders), dtype=np.intp, count=m)
        flat = bytes(chain.from_iterable(orders))  # refuses non-integers and values outside 0..255
    except (TypeError, ValueError, OverflowError):
        return None
    total = len(flat)
    if total != int(lengths.sum(dtype=np.int64)):
        return None
    values = np.frombuffer(flat, dtype=np.uint8)
    if total and int(values.max()) >= n:
        return None
    width = int(lengths.max())
    if width > n:  # some order repeats a candidate: no need for a matrix that wide
        return None
    padded = -(-(width + 1) // 8) * 8  # whole 64-bit words per row, for hashing
    matrix = np.full((m, padded), n, dtype=np.uint8)
    if total == m * width:
        matrix[:, :width] = values.reshape(m, width)
    elif total:
        matrix[np.arange(padded, dtype=lengths.dtype) < lengths[:, None]] = values
    return matrix, lengths


def _repeats(matrix, lengths, n: int) -> bool:
    """Whether some row of the order matrix (padded with n) ranks a candidate twice."""
    np = _np
    width = int(lengths.max()) if len(lengths) else 0
    if width < 2:
        return False
    if n < 64:  # one bit per candidate: a row repeats one iff it has fewer bits than entries
        dtype = np.uint32 if n < 32 else np.uint64
        one = dtype(1)
        columns = np.ascontiguousarray(matrix[:, :width].T)
        seen = np.left_shift(one, columns[0], dtype=dtype)
        bit = np.empty_like(seen)
        for column in columns[1:]:
            seen |= np.left_shift(one, column, out=bit, dtype=dtype)
        seen &= dtype((1 << n) - 1)  # the padding's bit
        return bool((np.bitwise_count(seen) != lengths).any())
    ordered = np.sort(matrix[:, :width], axis=1)
    return bool(((ordered[:, 1:] == ordered[:, :-1]) & (ordered[:, 1:] < n)).any())


class ProfileError(ValueError):
    """The ballots do not fit the candidates (unknown index, repeated candidate, bad weight)."""


@dataclass(frozen=True)
class Profile:
    #: Names (or ids) of the candidates, as written in the source; index = position.
    candidates: tuple[str, ...]
    #: Distinct ballots; see :data:`Ballot`.
    ballots: tuple[Ballot, ...]
    #: How many times each ballot was cast, or its vote weight; positive integers.
    weights: tuple[int, ...]
    #: Seats to fill, where the source says so.
    seats: int | None = None
    #: Candidates withdrawn before the count (indices); they are skipped on every ballot.
    withdrawn: frozenset[int] = field(default_factory=frozenset)
    title: str = ""

    def __post_init__(self) -> None:
        if len(self.ballots) != len(self.weights):
            raise ProfileError("ballots and weights differ in length")
        n = len(self.candidates)
        if len(set(self.candidates)) != n:
            raise ProfileError("candidate names must be unique")
        if self.seats is not None and (not isinstance(self.seats, int) or isinstance(self.seats, bool) or self.seats < 1):
            raise ProfileError(f"seats must be a positive integer, not {self.seats!r}")
        for c in self.withdrawn:
            if not (isinstance(c, int) and 0 <= c < n):
                raise ProfileError(f"unknown withdrawn candidate index {c!r}")
        for weight in self.weights:
            if type(weight) is not int or weight <= 0:
                raise ProfileError(f"ballot weight must be a positive integer, not {weight!r}")
        # The common case is checked with C-level passes (chain, set); the slow
        # loop below only runs to say precisely what is wrong.
        valid = range(n)
        for ballot in self.ballots:
            flat = tuple(chain.from_iterable(ballot))
            if len(set(flat)) == len(flat) and all(ballot) and all(type(c) is int for c in flat) and set(flat) <= set(valid):
                continue
            self._explain(ballot)

    def _explain(self, ballot: Ballot) -> None:
        seen: set[int] = set()
        for rank in ballot:
            if not rank:
                raise ProfileError("a rank may not be empty")
            for c in rank:
                if type(c) is not int or not (0 <= c < len(self.candidates)):
                    raise ProfileError(f"unknown candidate index {c!r}")
                if c in seen:
                    raise ProfileError(f"candidate {self.candidates[c]!r} ranked twice on one ballot")
                seen.add(c)
        raise ProfileError(f"malformed ballot {ballot!r}")  # pragma: no cover - defensive

    @classmethod
    def from_rankings(
        cls,
        candidates: Sequence[str],
        rankings: Iterable[Sequence[str | Sequence[str]]],
        *,
        seats: int | None = None,
        title: str = "",
    ) -> Profile:
        """Build a profile from rankings of names, merging identical ballots.

        A ranking is a sequence whose items are a name, or a sequence of names
        tied at that rank. Identical ballots are merged and their weights added,
        in order of first appearance, so the profile does not depend on dict order.
        """
        index = {name: i for i, name in enumerate(candidates)}
        counts: dict[Ballot, int] = {}
        for ranking in rankings:
            ballot: list[tuple[int, ...]] = []
            for item in ranking:
                names = (item,) if isinstance(item, str) else tuple(item)
                try:
                    ballot.append(tuple(index[x] for x in names))
                except KeyError as exc:
                    raise ProfileError(f"unknown candidate {exc.args[0]!r}") from None
            key = tuple(ballot)
            counts[key] = counts.get(key, 0) + 1
        return cls(tuple(candidates), tuple(counts), tuple(counts.values()), seats=seats, title=title)

    @classmethod
    def from_orders(
        cls,
        candidates: Sequence[str],
        orders: Iterable[Sequence[int]],
        weights: Iterable[int] | None = None,
        *,
        seats: int | None = None,
        title: str = "",
    ) -> Profile:
        """Build a profile from strict orders of candidate indices (best first), merging identical ones.

        This is the fast path for large inputs: no names are looked up and every
        rank is a shared one-element tuple.
        """
        if len(set(candidates)) != len(candidates):
            raise ProfileError("candidate names must be unique")
        with _gc_paused():
            return cls._from_orders(candidates, orders, weights, seats=seats, title=title)

    @classmethod
    def _from_orders(cls, candidates, orders, weights, *, seats, title) -> Profile:
        n = len(candidates)
        if weights is None and _np is not None and n < 256:
            if not isinstance(orders, (list, tuple)):
                orders = list(orders)
            if len(orders) >= max(MATRIX_MIN_BALLOTS, 1) and not _few_distinct(orders):
                profile = cls._from_orders_np(candidates, orders, seats=seats, title=title)
                if profile is not None:
                    return profile
        counts: dict[tuple[int, ...], int]
        if weights is None:
            counts = Counter(map(tuple, orders))
        else:
            counts = {}
            for order, w in zip(map(tuple, orders), weights, strict=True):
                counts[order] = counts.get(order, 0) + w
        keys = tuple(counts)
        matrix = None
        if _np is not None and len(keys) >= MATRIX_MIN_BALLOTS:
            # A large box: check it as one integer matrix, one row per order, padded
            # with n ("no candidate") and one extra column of n, in the smallest dtype.
            np = _np
            lengths = np.fromiter(map(len, keys), dtype=np.int64, count=len(keys))
            width = int(lengths.max())
            total = int(lengths.sum())
            code, dtype = ("b", np.int8) if n < 127 else ("h", np.int16) if n < 32767 else ("q", np.int64)
            try:  # array() refuses anything but integers that fit, at C speed
                flat = np.frombuffer(array(code, chain.from_iterable(keys)), dtype=dtype)
            except (TypeError, ValueError, OverflowError):
                raise ProfileError("an order names an unknown candidate index") from None
            if total and (int(flat.min()) < 0 or int(flat.max()) >= n):
                raise ProfileError("an order names an unknown candidate index")
            matrix = np.empty((len(keys), width + 1), dtype=dtype)
            matrix[:] = n
            if total == len(keys) * width:
                matrix[:, :width] = flat.reshape(len(keys), width)
            else:
                matrix[:, :width][np.arange(width) < lengths[:, None]] = flat
            if width > 1:
                ordered = np.sort(matrix[:, :width], axis=1)
                if bool(((ordered[:, 1:] == ordered[:, :-1]) & (ordered[:, 1:] < n)).any()):
                    raise ProfileError("an order ranks a candidate twice")
            matrix.flags.writeable = False
            ballots: Sequence[Ballot] = _LazyBallots(keys, n)
        else:
            valid = set(range(n))
            for order in keys:
                if len(set(order)) != len(order) or not valid.issuperset(order) or not all(type(c) is int for c in order):
                    if not valid.issuperset(order) or not all(type(c) is int for c in order):
                        raise ProfileError(f"an order names an unknown candidate index: {order!r}")
                    raise ProfileError(f"an order ranks a candidate twice: {order!r}")
            ballots = _LazyBallots(keys, n).materialize()
        profile = cls._trusted(tuple(candidates), ballots, tuple(counts.values()), seats=seats, title=title,
                               counted=weights is None)
        object.__setattr__(profile, "_orders", keys)
        if matrix is not None:
            object.__setattr__(profile, "_matrix", matrix)
        return profile

    @classmethod
    def _from_orders_np(cls, candidates, orders, *, seats, title) -> Profile | None:
        """:meth:`from_orders` without weights on many orders, in numpy: the orders become one
        padded matrix, identical rows are merged by hashing and sorting, and no Python tuple is
        built per ballot. The profile is the one the Python path builds (same ballots, in order
        of first appearance, same weights). None when the orders are not plainly valid: the
        Python path then reports the problem."""
        np = _np
        n = len(candidates)
        built = _orders_matrix(orders, n)
        if built is None:
            return None
        matrix, lengths = built
        firsts, counts = _merge_rows(matrix.view(np.uint64))
        lengths = lengths[firsts]
        unique = matrix[firsts, : int(lengths.max()) + 1]
        if _repeats(unique, lengths, n):
            return None
        weights = tuple(counts.tolist())
        if len(firsts) < MATRIX_MIN_BALLOTS:  # a small box: exactly as the Python path keeps it
            keys = tuple(tuple(orders[i]) for i in firsts.tolist())
            if not all(type(c) is int for c in chain.from_iterable(keys)):
                return None
            profile = cls._trusted(tuple(candidates), _LazyBallots(keys, n).materialize(), weights,
                                   seats=seats, title=title, counted=True)
            object.__setattr__(profile, "_orders", keys)
            return profile
        unique = unique.view(np.int8) if n < 127 else unique.astype(np.int16)  # values below 127: same bytes
        unique.flags.writeable = False
        counts.flags.writeable = False
        profile = cls._trusted(tuple(candidates), _LazyBallots(None, n, unique), weights,
                               seats=seats, title=title, counted=True)
        object.__setattr__(profile, "_matrix", unique)
        object.__setattr__(profile, "_weight_array", counts)
        return profile

    @classmethod
    def _trusted(cls, candidates, ballots, weights, *, seats=None, title="", counted=False) -> Profile:
        """A profile whose ballots the caller has already checked; weights too when ``counted``
        (they are counts of identical orders), else they are checked here."""
        if not counted:
            for w in weights:
                if type(w) is not int or w <= 0:
                    raise ProfileError(f"ballot weight must be a positive integer, not {w!r}")
        if seats is not None and (type(seats) is not int or seats < 1):
            raise ProfileError(f"seats must be a positive integer, not {seats!r}")
        profile = object.__new__(cls)
        for name, value in (("candidates", candidates), ("ballots", ballots), ("weights", weights),
                            ("seats", seats), ("withdrawn", frozenset()), ("title", title)):
            object.__setattr__(profile, name, value)
        return profile

    def strict_orders(self) -> tuple[tuple[int, ...], ...] | None:
        """Each ballot as a tuple of candidate indices, best first; None if any ballot ties candidates."""
        cached = self.__dict__.get("_orders")
        if cached is None and isinstance(self.ballots, _LazyBallots):
            cached = self.ballots.orders()
            object.__setattr__(self, "_orders", cached)
        if cached is None:
            if any(len(rank) != 1 for rank in chain.from_iterable(self.ballots)):
                return None
            first = itemgetter(0)
            cached = tuple(tuple(map(first, b)) for b in self.ballots)
            object.__setattr__(self, "_orders", cached)
        return cached

    def order_matrix(self):  # -> numpy.ndarray | None
        """For a large strict profile built by :meth:`from_orders` with numpy present: the orders
        as one read-only integer matrix, one row per distinct ballot (aligned with ``weights``),
        each row padded with n = len(candidates) and one more column of n. None otherwise."""
        return self.__dict__.get("_matrix")

    def weight_array(self):  # -> numpy.ndarray | None
        """The weights as a read-only int64 array, when :meth:`from_orders` built them in numpy."""
        return self.__dict__.get("_weight_array")

    @property
    def total_weight(self) -> int:
        array = self.__dict__.get("_weight_array")
        return sum(self.weights) if array is None else int(array.sum())

    def is_strict(self) -> bool:
        """True when no ballot ties two candidates."""
        return all(len(rank) == 1 for ballot in self.ballots for rank in ballot)

    def merged(self) -> list[tuple[Ballot, int]]:
        """Identical ballots merged, sorted: the canonical, order-free content of the box."""
        counts: dict[Ballot, int] = {}
        for ballot, w in zip(self.ballots, self.weights):
            key = tuple(tuple(sorted(rank)) for rank in ballot)
            counts[key] = counts.get(key, 0) + w
        return sorted(counts.items())

    def digest(self) -> str:
        """SHA-256 (hex) of the canonical content: candidates, seats, withdrawn and merged ballots.

        The order in which ballots were cast or listed does not change it, so it
        can seed lots reproducibly without anyone being able to steer them.
        """
        doc = {
            "candidates": list(self.candidates),
            "seats": self.seats,
            "withdrawn": sorted(self.withdrawn),
            "ballots": [[[list(r) for r in b], w] for b, w in self.merged()],
        }
        data = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        return hashlib.sha256(data).hexdigest()
