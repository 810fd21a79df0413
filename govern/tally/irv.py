"""Instant-runoff voting (IRV), single winner, optional preferential.

Ballots are strict rankings and may stop early (truncation). A ballot that ties
candidates at a rank is refused (:class:`ProfileError`): the cooperative's
ballots are strict, and splitting a vote in thirds would need inexact numbers.
Withdrawn candidates are skipped on every ballot.

Each round counts every ballot for its highest-ranked continuing candidate. A
candidate with more than half of the votes still in the count (ballots not yet
exhausted) wins; so does the last continuing candidate. Otherwise the candidate
with the fewest votes is eliminated and their ballots move on; a ballot with no
continuing candidate left is exhausted, and the round reports how much weight
that was.

Ties for elimination: with a published seed (``TieBreak(seed)``), the seeded
order decides at once (the last in seeded order is eliminated). Without a seed,
the rule looks back to the most recent earlier round where the tied candidates
had unequal votes and eliminates the one with fewer; if they were equal in every
round, the seeded order on a seed derived from the ballots' canonical digest
(``"ballots:" + Profile.digest()``) decides. Every tie is recorded.
"""

from __future__ import annotations

from itertools import chain
from typing import Any

from .outcome import Outcome
from .profile import Profile, ProfileError
from .tiebreak import TieBreak, break_tie

try:  # numpy makes large counts fast; the pure-Python count gives the same result.
    import numpy as _np
except ImportError:  # pragma: no cover - exercised where numpy is absent
    _np = None

#: Use the numpy count from this many distinct ballots on (when numpy is there).
NUMPY_MIN_BALLOTS = 2000


def _orders(profile: Profile) -> tuple[list[tuple[int, ...]], list[int], int]:
    wd = profile.withdrawn
    strict = profile.strict_orders()
    if strict is None:
        raise ProfileError("irv takes strict rankings; a ballot ties candidates at one rank")
    if not wd and all(strict):
        return list(strict), list(profile.weights), 0
    orders: list[tuple[int, ...]] = []
    weights: list[int] = []
    blank = 0
    for order, w in zip(strict, profile.weights):
        if wd:
            order = tuple(c for c in order if c not in wd)
        if order:
            orders.append(order)
            weights.append(w)
        else:
            blank += w
    return orders, weights, blank


class _PyCount:
    """Ballots in buckets by their current top candidate; an elimination moves only its bucket."""

    def __init__(self, n: int, orders: list[tuple[int, ...]], weights: list[int]) -> None:
        self.alive = [True] * n
        self.buckets: list[list[tuple[tuple[int, ...], int, int]]] = [[] for _ in range(n)]
        self.votes = [0] * n
        for order, w in zip(orders, weights):
            c = order[0]
            self.buckets[c].append((order, 0, w))
            self.votes[c] += w

    def eliminate(self, e: int) -> tuple[list[int], int]:
        self.alive[e] = False
        alive, buckets = self.alive, self.buckets
        received = [0] * len(alive)
        lost = 0
        for order, pos, w in buckets[e]:
            pos += 1
            end = len(order)
            while pos < end and not alive[order[pos]]:
                pos += 1
            if pos < end:
                c = order[pos]
                buckets[c].append((order, pos, w))
                received[c] += w
            else:
                lost += w
        buckets[e] = []
        self.votes[e] = 0
        for c, r in enumerate(received):
            self.votes[c] += r
        return received, lost


class _NpCount:
    """The same count over a padded matrix of ballots: one vectorized step per elimination."""

    def __init__(self, n: int, orders: list[tuple[int, ...]], weights: Any, matrix: Any = None) -> None:
        np = _np
        if matrix is not None:  # Profile.order_matrix(): checked, padded with n, read-only
            self._setup(n, matrix, weights)
            return
        lengths = np.fromiter(map(len, orders), dtype=np.int64, count=len(orders))
        width = int(lengths.max()) + 1
        mat = np.full((len(orders), width), n, dtype=np.int32)  # n = "exhausted", always alive
        if int(lengths.min()) == width - 1:
            mat[:, :-1] = np.array(orders, dtype=np.int32)
        else:
            flat = np.fromiter(chain.from_iterable(orders), dtype=np.int32, count=int(lengths.sum()))
            mat[np.arange(width) < lengths[:, None]] = flat
        self._setup(n, mat, weights)

    def _setup(self, n: int, mat: Any, weights: Any) -> None:
        np = _np
        self.n = n
        # Positions into the flattened matrix: one gather per step instead of a 2-D fancy index.
        self.flat = mat.ravel()
        # Weights as float64 (what bincount adds up), exact as the caller keeps the total below 2**52.
        self.w = np.asarray(weights, dtype=np.float64)
        self.pos = np.arange(mat.shape[0], dtype=np.intp) * mat.shape[1]
        self.top = self.flat[self.pos]
        self.dead = np.zeros(n + 1, dtype=bool)  # n = "exhausted" never dies
        self.votes = [int(v) for v in np.bincount(self.top, weights=self.w, minlength=n + 1)[:n]]

    def eliminate(self, e: int) -> tuple[list[int], int]:
        np = _np
        flat, dead = self.flat, self.dead
        dead[e] = True
        idx = np.flatnonzero(self.top == e)
        # Move each of these ballots on to its next candidate still alive (or to the padding n):
        # ``at`` and ``top`` for them, and ``k``, those still on a dead candidate.
        at = self.pos[idx]
        at += 1
        top = flat[at]
        k = np.flatnonzero(dead[top])
        while k.size:
            ak = at[k]
            ak += 1
            tk = flat[ak]
            at[k] = ak
            top[k] = tk
            k = k[dead[tk]]
        self.pos[idx] = at
        self.top[idx] = top
        got = np.bincount(top, weights=self.w[idx], minlength=self.n + 1)
        received = [int(v) for v in got[: self.n]]
        lost = int(got[self.n])
        self.votes[e] = 0
        for c, r in enumerate(received):
            self.votes[c] += r
        return received, lost


def irv(profile: Profile, *, tie_break: TieBreak = TieBreak()) -> Outcome:
    """Count ``profile`` by instant-runoff; see the module documentation for the exact rule."""
    names = profile.candidates
    n = len(names)
    matrix = profile.order_matrix()
    total = profile.total_weight
    use_np = _np is not None and len(profile.weights) >= NUMPY_MIN_BALLOTS and total < 2**52
    counter: _PyCount | _NpCount
    if use_np and matrix is not None and not profile.withdrawn and bool((matrix[:, 0] < n).all()):
        # Every ballot names someone and nobody is withdrawn: count straight off the matrix.
        blank = 0
        array = profile.weight_array()
        counter = _NpCount(n, [], profile.weights if array is None else array, matrix)
    else:
        orders, weights, blank = _orders(profile)
        counter = _NpCount(n, orders, weights) if use_np and orders else _PyCount(n, orders, weights)
        total = sum(weights)
    continuing = [c for c in range(n) if c not in profile.withdrawn]
    history: list[list[int]] = []
    ties: list[dict[str, Any]] = []
    rounds: list[dict[str, Any]] = []
    exhausted = 0
    digest_cache: list[str] = []

    def digest() -> str:
        if not digest_cache:
            digest_cache.append(profile.digest())
        return digest_cache[0]

    winner: int | None = None
    if total == 0:
        continuing = []  # no ballot names anyone: nobody is elected (and no lot is drawn)
    while continuing:
        votes = list(counter.votes)
        active = sum(votes[c] for c in continuing)
        rnd: dict[str, Any] = {
            "round": len(rounds) + 1,
            "votes": {names[c]: votes[c] for c in continuing},
            "active": active,
            "exhausted": exhausted,
        }
        rounds.append(rnd)
        top = max(votes[c] for c in continuing)
        if 2 * top > active or len(continuing) == 1:
            leaders = [c for c in continuing if votes[c] == top]
            winner = leaders[0]
            rnd["winner"] = names[winner]
            rnd["reason"] = "majority" if 2 * top > active else "last continuing candidate"
            break
        low = min(votes[c] for c in continuing)
        tied = [c for c in continuing if votes[c] == low]
        if len(tied) == 1:
            e = tied[0]
        else:
            e, record = break_tie(tied, names, purpose="elimination", lowest=True, history=history,
                                  tie_break=tie_break, digest=digest, look_back=tie_break.seed is None)
            record["round"] = rnd["round"]
            ties.append(record)
        history.append(votes)
        received, lost = counter.eliminate(e)
        continuing.remove(e)
        exhausted += lost
        rnd["eliminated"] = names[e]
        rnd["transfers"] = {names[c]: received[c] for c in range(n) if received[c]}
        rnd["newly_exhausted"] = lost

    summary = {
        "ballots": total + blank,
        "blank": blank,
        "exhausted": exhausted,
        "rounds": len(rounds),
        "winner_votes": rounds[-1]["votes"].get(names[winner], 0) if winner is not None else 0,
    }
    return Outcome(
        rule="irv",
        params={"tie_break": tie_break.seed},
        candidates=names,
        winners=(names[winner],) if winner is not None else (),
        rounds=tuple(rounds),
        tie_breaks=tuple(ties),
        summary=summary,
    )
