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


class _LazyBallots(Sequence):
    """The ballots of a large :meth:`Profile.from_orders` profile, built only when someone reads them.

    It behaves as the tuple of ballots it stands for (equality, hashing, indexing);
    the fast counts never need it, as they read the orders directly.
    """

    __slots__ = ("_orders", "_n", "_items")

    def __init__(self, orders: tuple[tuple[int, ...], ...], n: int) -> None:
        self._orders = orders
        self._n = n
        self._items: tuple[Ballot, ...] | None = None

    def materialize(self) -> tuple[Ballot, ...]:
        if self._items is None:
            get = [(i,) for i in range(self._n)].__getitem__
            self._items = tuple(tuple(map(get, order)) for order in self._orders)
        return self._items

    def __len__(self) -> int:
        return len(self._orders)

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

    @property
    def total_weight(self) -> int:
        return sum(self.weights)

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
