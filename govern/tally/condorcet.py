"""Single-winner ranked rules built on pairwise comparisons: Schulze, ranked pairs,
Copeland, and the (positional) Borda count.

Each rule is ``rule(profile, *, tie_break=TieBreak()) -> Outcome`` with one winner.

How a ballot is read (all four rules)
-------------------------------------
``d[x][y]`` is the total weight of the ballots that rank ``x`` strictly above ``y``.
A candidate that a ballot does not rank counts as below every candidate it ranks and
level with the other unranked ones; candidates tied on a ballot prefer neither.
Withdrawn candidates are skipped: they can not win and take no position, and the order
of the others on each ballot is unchanged. ``margin(x, y) = d[x][y] - d[y][x]``.

The rules
---------
* **Schulze** (margins): a link ``x -> y`` exists when ``margin(x, y) > 0`` and has that
  strength; ``p[x][y]`` is the strength of the strongest (widest) path from ``x`` to
  ``y`` (0 when there is none), by Floyd-Warshall. ``x`` beats ``y`` when
  ``p[x][y] > p[y][x]``; the winners are the candidates nobody beats.
* **Ranked pairs** (Tideman, margins): the pairs with ``margin(x, y) > 0`` are taken by
  decreasing margin and each is locked unless it would close a cycle with pairs locked
  before it. Pairs with equal margins are taken in the seeded order of the candidates
  (:meth:`TieBreak.order`): the pair whose winner comes first in that order goes first,
  and for the same winner, the pair whose loser comes last. Every group of two or more
  pairs with equal margins is recorded as a tie-break. Pairs with margin 0 are never
  locked; the winners are the candidates that no locked pair points at.
* **Copeland**: a candidate scores 1 point per pairwise win and 1/2 per pairwise tie
  (margin 0), kept as the integer ``2 * wins + ties``; this ranks exactly as
  ``wins - losses`` does. The winners have the most points.
* **Borda** (averaged): on a ballot over ``n`` candidates (withdrawn ones not counted),
  a candidate with ``i`` candidates ranked above it gets ``n - 1 - i`` points. Candidates
  tied at a rank share the positions they occupy, each getting the average; unranked
  candidates share the positions below all ranked ones the same way. Points are kept
  doubled so they stay integers: a rank of ``t`` tied candidates with ``i`` above it is
  worth ``2(n - 1 - i) - (t - 1)`` to each. Why averaging: it reads truncated and tied
  ballots exactly as the pairwise rules do (the unranked tied below the ranked), so a
  candidate's doubled points are ``(n - 1) * total_weight + sum over y of margin(x, y)``,
  which is how they are computed here, from the pairwise matrix (the tests hold this to
  the per-ballot definition and to pref_voting). (The other common reading, unranked get 0 and the
  ranked keep ``n - 1 - i``, would count a truncated ballot unlike the pairwise rules.)

Ties
----
If several candidates are winners, one is drawn by lot (:func:`break_tie` without
look-back, as IRV and STV do): the first in the seeded order on the published seed, or,
without one, on the seed derived from the ballots (``"ballots:" + Profile.digest()``).
Ranked pairs orders equal margins with the same seed. Every tie is recorded in
``Outcome.tie_breaks``; ranked-pairs pair-order records have the shape ``{"purpose",
"tied": pairs sorted, "method": "lot", "lot_seed", "seed_source", "order": the seeded
order of the candidates, "pair_order": the pairs in the order they were considered}``
(a pair is ``[winner, loser]``).

``params`` is ``{"tie_break": seed}``, so :func:`govern.tally.rules.run` can recount
from it.

Explanation
-----------
``rounds[0]`` is always ``{"stage": "pairwise", "candidates": [...], "d": [[...]]}`` over
the candidates still standing, in input order (Borda gives it too: its points follow
from it). Then, per rule:

* Schulze: ``{"stage": "strongest-paths", "candidates", "p"}``.
* Ranked pairs: ``{"stage": "lock", "pairs": [{"winner", "loser", "margin", "support",
  "opposition", "locked"}, ...]}`` in the order the pairs were considered.
* Copeland: ``{"stage": "copeland", "wins", "ties", "losses", "points_doubled"}``
  (mappings by name).
* Borda: ``{"stage": "borda", "points_doubled", "points"}``; ``points`` as decimal strings.

``summary["ranking"]`` is the rule's own order as tiers (lists of names, best first; a
tier holds candidates the rule can not separate, in input order): for Schulze and ranked
pairs, the candidates unbeaten (resp. with no locked chain against them) among those not
yet placed; for Copeland and Borda, equal points. The lot decides only the winner among
the first tier; it does not reorder the rest. ``summary`` also has ``ballots`` (the total
weight), ``withdrawn``, and ``strength: "margin"`` or ``points`` (decimal strings).

Speed: the pairwise matrix is counted in O(ranked entries) big-integer additions (the
``k`` counters of a column packed into one integer), or with numpy when it is installed
and the profile is large; both give the same integers, and a test holds them to it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from functools import cache
from itertools import chain
from typing import Any

from .outcome import Outcome
from .profile import Profile, ProfileError
from .tiebreak import TieBreak, ballot_seed, break_tie

__all__ = ["borda", "copeland", "pairwise_matrix", "ranked_pairs", "schulze"]

#: Below this many (ballots x candidates), the pure-Python count is as fast as numpy's setup.
_NUMPY_MIN_CELLS = 20_000


# --------------------------------------------------------------------------- pairwise


def pairwise_matrix(profile: Profile, *, use_numpy: bool | None = None) -> list[list[int]]:
    """``d[x][y]``: weight of ballots ranking candidate ``x`` strictly above ``y`` (indices).

    Rows and columns of withdrawn candidates are zero. ``use_numpy=None`` picks numpy for
    large profiles when it is installed; ``True``/``False`` force one way (for tests).
    """
    k = len(profile.candidates)
    if use_numpy is None:
        use_numpy = len(profile.weights) * k >= _NUMPY_MIN_CELLS and _numpy() is not None
    # int64 holds every count only while the total weight stays below 2**63.
    if use_numpy and profile.total_weight < 2**62:
        d = _pairwise_numpy(profile, k)
    else:
        d = _pairwise_python(profile, k)
    # A withdrawn candidate's place on a ballot does not change the order of the others,
    # so it is enough to blank its row and column.
    for c in profile.withdrawn:
        d[c] = [0] * k
        for row in d:
            row[c] = 0
    return d


def _pairwise_python(profile: Profile, k: int) -> list[list[int]]:
    # Column c of d is kept as one integer whose F-bit field y counts d[y][c], so a ballot
    # costs one addition per ranked candidate instead of one per pair. Walking a ballot
    # from the bottom, ``below`` holds the candidates at or below the current rank; every
    # candidate the ballot ranks is preferred to all it does not rank and to none at or
    # below its own rank. So col[c] -= w * below(c) for each ranked c, and the ballot's
    # whole ranked set (times w) is added to every column once, through ``total``. Fields
    # go negative on the way; the final value of each is a count in [0, total weight].
    weights = profile.weights
    f = max(sum(weights), 1).bit_length() + 1
    unit = [1 << (f * c) for c in range(k)]
    col = [0] * k
    total = 0
    orders = profile.strict_orders()
    if orders is not None:
        for order, w in zip(orders, weights):
            below = 0
            if w == 1:
                for c in reversed(order):
                    below += unit[c]
                    col[c] -= below
                total += below
            else:
                for c in reversed(order):
                    below += unit[c]
                    col[c] -= w * below
                total += w * below
    else:
        for ballot, w in zip(profile.ballots, weights):
            below = 0
            for rank in reversed(ballot):
                for c in rank:
                    below += unit[c]
                wb = below if w == 1 else w * below
                for c in rank:
                    col[c] -= wb
            total += below if w == 1 else w * below
    mask = (1 << f) - 1
    d = [[0] * k for _ in range(k)]
    for c in range(k):
        v = col[c] + total
        for y in range(k):
            d[y][c] = (v >> (f * y)) & mask
    return d


@cache
def _numpy() -> Any:
    try:
        import numpy
    except ImportError:  # the standalone verifier may run without it; the Python count agrees
        return None
    return numpy


def _pairwise_numpy(profile: Profile, k: int) -> list[list[int]]:
    np = _numpy()
    b = len(profile.weights)
    # One entry per (ballot, ranked candidate): the candidate, the ballot, and the number
    # of ranks above it there (flat arrays, or arrays that broadcast to the order matrix).
    matrix = profile.order_matrix()  # large strict profiles from Profile.from_orders
    if matrix is not None:
        # Rows are orders padded at the end with numbers that are no candidate index;
        # every padding cell is sent to a spare row k of ``level`` and never read.
        width = matrix.shape[1]
        if b * width and not (int(matrix.min()) >= 0 and int(matrix.max()) <= k):
            matrix = np.where((matrix >= 0) & (matrix < k), matrix, k)
        cands, ballot, level_of = matrix, np.arange(b)[:, None], np.arange(width)  # broadcast
    else:
        orders = profile.strict_orders()
        groups = orders if orders is not None else profile.ballots
        lengths = np.fromiter(map(len, groups), dtype=np.int64, count=b)
        r = int(lengths.sum())
        ballot = np.repeat(np.arange(b), lengths)
        level_of = np.arange(r) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        if orders is not None:
            cands = np.fromiter(chain.from_iterable(orders), dtype=np.int64, count=r)
        else:
            ranks = list(chain.from_iterable(groups))
            sizes = np.fromiter(map(len, ranks), dtype=np.int64, count=r)
            flat = list(chain.from_iterable(ranks))
            cands = np.array(flat, dtype=np.int64)
            ballot = np.repeat(ballot, sizes)
            level_of = np.repeat(level_of, sizes)
    # level[c, v]: ranks above candidate c on ballot v; k (below everyone) when unranked.
    small = np.int8 if k < 2**7 - 2 else np.int16 if k < 2**15 - 2 else np.int32  # narrow compares faster
    level = np.full((k + 1, b), k, dtype=small)
    level[cands, ballot] = level_of
    level = level[:k]
    w = np.array(profile.weights, dtype=np.int64)
    unweighted = bool((w == 1).all())
    d = np.empty((k, k), dtype=np.int64)
    for x in range(k):
        above = level[x] < level  # above[y, v]: ballot v ranks x above y
        d[x] = np.count_nonzero(above, axis=1) if unweighted else above @ w
    return d.tolist()


# --------------------------------------------------------------------------- helpers


def _standing(profile: Profile) -> list[int]:
    active = [c for c in range(len(profile.candidates)) if c not in profile.withdrawn]
    if not active:
        raise ProfileError("no candidate is left standing")
    return active


def _pairwise_round(names: list[str], d: list[list[int]], active: list[int]) -> dict[str, Any]:
    return {"stage": "pairwise", "candidates": names, "d": [[d[x][y] for y in active] for x in active]}


def _summary(profile: Profile, ranking: list[list[str]], **extra: Any) -> dict[str, Any]:
    return {
        "ranking": ranking,
        "ballots": profile.total_weight,
        "withdrawn": [profile.candidates[c] for c in sorted(profile.withdrawn)],
        **extra,
    }


class _Lot:
    """The seed for lots: the published one, else one derived from the ballots (computed once)."""

    def __init__(self, profile: Profile, tie_break: TieBreak) -> None:
        self.profile = profile
        self.tie_break = tie_break
        self._digest: str | None = None

    def digest(self) -> str:
        if self._digest is None:
            self._digest = self.profile.digest()
        return self._digest

    def seed(self) -> tuple[str, str]:
        if self.tie_break.seed is not None:
            return self.tie_break.seed, "published"
        return ballot_seed(self.digest()), "ballot-digest"

    def winner(self, tier: list[str], purpose: str) -> tuple[str, tuple[Mapping[str, Any], ...]]:
        if len(tier) == 1:
            return tier[0], ()
        names = list(self.profile.candidates)
        chosen, record = break_tie(
            [names.index(t) for t in tier], names, purpose=purpose, lowest=False, history=(),
            tie_break=self.tie_break, digest=self.digest, look_back=False,
        )
        return names[chosen], (record,)


def _tiers_by_score(names: list[str], score: list[int]) -> list[list[str]]:
    return [[n for n, v in zip(names, score) if v == s] for s in sorted(set(score), reverse=True)]


def _peel(n: int, beats: list[int]) -> list[list[int]]:
    """Tiers of a strict partial order given as bit masks: ``beats[i]`` has bit j if i beats j."""
    left = (1 << n) - 1
    tiers: list[list[int]] = []
    while left:
        beaten = 0
        for i in range(n):
            if left >> i & 1:
                beaten |= beats[i]
        tier = [i for i in range(n) if left >> i & 1 and not beaten >> i & 1]
        if not tier:  # impossible for a strict partial order; a bug must not loop forever
            raise AssertionError("the relation has a cycle")
        tiers.append(tier)
        for i in tier:
            left &= ~(1 << i)
    return tiers


def _halved(v: int) -> str:
    """A doubled integer as a decimal string: 7 -> "3.5", 8 -> "4", -7 -> "-3.5"."""
    sign = "-" if v < 0 else ""
    q, r = divmod(abs(v), 2)
    return f"{sign}{q}.5" if r else f"{sign}{q}"


# --------------------------------------------------------------------------- rules


def schulze(profile: Profile, *, tie_break: TieBreak = TieBreak()) -> Outcome:
    """Schulze (beat path) with margins as link strengths; see the module docstring."""
    active = _standing(profile)
    names = [profile.candidates[c] for c in active]
    d = pairwise_matrix(profile)
    n = len(active)
    p = [[0] * n for _ in range(n)]
    for i, x in enumerate(active):
        for j, y in enumerate(active):
            m = d[x][y] - d[y][x]
            if m > 0:
                p[i][j] = m
    # Widest paths: p[i][j] = max(p[i][j], min(p[i][h], p[h][j])) through each h in turn.
    for h in range(n):
        ph = p[h]
        for i in range(n):
            pih = p[i][h]
            if i == h or pih == 0:
                continue
            pi = p[i]
            for j in range(n):
                if j != i and j != h:
                    v = pih if pih < ph[j] else ph[j]
                    if v > pi[j]:
                        pi[j] = v
    beats = [sum(1 << j for j in range(n) if p[i][j] > p[j][i]) for i in range(n)]
    tiers = [[names[i] for i in tier] for tier in _peel(n, beats)]
    winner, tie_breaks = _Lot(profile, tie_break).winner(tiers[0], "winner (schulze: unbeaten)")
    return Outcome(
        rule="schulze",
        params={"tie_break": tie_break.seed},
        candidates=profile.candidates,
        winners=(winner,),
        rounds=(
            _pairwise_round(names, d, active),
            {"stage": "strongest-paths", "candidates": names, "p": p},
        ),
        tie_breaks=tie_breaks,
        summary=_summary(profile, tiers, strength="margin"),
    )


def ranked_pairs(profile: Profile, *, tie_break: TieBreak = TieBreak()) -> Outcome:
    """Tideman's ranked pairs with margins; equal margins in the seeded order (module docstring)."""
    active = _standing(profile)
    names = [profile.candidates[c] for c in active]
    d = pairwise_matrix(profile)
    n = len(active)
    lot = _Lot(profile, tie_break)
    majorities = [
        (d[x][y] - d[y][x], i, j)
        for i, x in enumerate(active)
        for j, y in enumerate(active)
        if d[x][y] > d[y][x]
    ]
    tie_breaks: list[Mapping[str, Any]] = []
    margins = Counter(m for m, _, _ in majorities)
    if any(c > 1 for c in margins.values()):
        seed, source = lot.seed()
        seeded = tie_break.order(names, seed)
        pos = {name: r for r, name in enumerate(seeded)}
        majorities.sort(key=lambda mij: (-mij[0], pos[names[mij[1]]], -pos[names[mij[2]]]))
        for m in sorted((m for m, c in margins.items() if c > 1), reverse=True):
            group = [[names[i], names[j]] for mm, i, j in majorities if mm == m]
            tie_breaks.append(
                {
                    "purpose": f"order of the pairs with margin {m}",
                    "tied": sorted(group),
                    "method": "lot",
                    "lot_seed": seed,
                    "seed_source": source,
                    "order": seeded,
                    "pair_order": group,
                }
            )
    else:
        majorities.sort(key=lambda mij: -mij[0])
    # reach[i]: bit mask of the candidates reachable from i over locked pairs, i included.
    reach = [1 << i for i in range(n)]
    considered = []
    for m, i, j in majorities:
        x, y = active[i], active[j]
        lock = not (reach[j] >> i & 1)
        if lock:
            for u in range(n):
                if reach[u] >> i & 1:
                    reach[u] |= reach[j]
        considered.append({
            "winner": names[i], "loser": names[j], "margin": m,
            "support": d[x][y], "opposition": d[y][x], "locked": lock,
        })
    # i is above j in the final order when a chain of locked pairs leads from i to j.
    tiers = [[names[i] for i in tier] for tier in _peel(n, [reach[i] & ~(1 << i) for i in range(n)])]
    winner, winner_tb = lot.winner(tiers[0], "winner (ranked-pairs: no locked pair against)")
    return Outcome(
        rule="ranked-pairs",
        params={"tie_break": tie_break.seed},
        candidates=profile.candidates,
        winners=(winner,),
        rounds=(_pairwise_round(names, d, active), {"stage": "lock", "pairs": considered}),
        tie_breaks=(*tie_breaks, *winner_tb),
        summary=_summary(profile, tiers, strength="margin"),
    )


def copeland(profile: Profile, *, tie_break: TieBreak = TieBreak()) -> Outcome:
    """Copeland: 1 point per pairwise win, 1/2 per pairwise tie, kept doubled (2*wins + ties)."""
    active = _standing(profile)
    names = [profile.candidates[c] for c in active]
    d = pairwise_matrix(profile)
    wins, ties, losses = [], [], []
    for x in active:
        w = t = lo = 0
        for y in active:
            if x != y:
                m = d[x][y] - d[y][x]
                if m > 0:
                    w += 1
                elif m < 0:
                    lo += 1
                else:
                    t += 1
        wins.append(w)
        ties.append(t)
        losses.append(lo)
    points = [2 * w + t for w, t in zip(wins, ties)]
    tiers = _tiers_by_score(names, points)
    winner, tie_breaks = _Lot(profile, tie_break).winner(tiers[0], "winner (copeland: most points)")
    return Outcome(
        rule="copeland",
        params={"tie_break": tie_break.seed},
        candidates=profile.candidates,
        winners=(winner,),
        rounds=(
            _pairwise_round(names, d, active),
            {
                "stage": "copeland",
                "wins": dict(zip(names, wins)),
                "ties": dict(zip(names, ties)),
                "losses": dict(zip(names, losses)),
                "points_doubled": dict(zip(names, points)),
            },
        ),
        tie_breaks=tie_breaks,
        summary=_summary(profile, tiers, points=dict(zip(names, map(_halved, points)))),
    )


def borda(profile: Profile, *, tie_break: TieBreak = TieBreak()) -> Outcome:
    """Averaged Borda count, points kept doubled; see the module docstring."""
    active = _standing(profile)
    names = [profile.candidates[c] for c in active]
    d = pairwise_matrix(profile)
    # Per ballot, a standing candidate's doubled averaged points are n - 1 plus its margins
    # over the others on that ballot (ranked below it minus ranked above it), so summed:
    n_1_w = (len(active) - 1) * profile.total_weight
    doubled = [n_1_w + sum(d[x][y] - d[y][x] for y in active) for x in active]
    tiers = _tiers_by_score(names, doubled)
    winner, tie_breaks = _Lot(profile, tie_break).winner(tiers[0], "winner (borda: most points)")
    points = dict(zip(names, map(_halved, doubled)))
    return Outcome(
        rule="borda",
        params={"tie_break": tie_break.seed},
        candidates=profile.candidates,
        winners=(winner,),
        rounds=(
            _pairwise_round(names, d, active),
            {"stage": "borda", "points_doubled": dict(zip(names, doubled)), "points": points},
        ),
        tie_breaks=tie_breaks,
        summary=_summary(profile, tiers, points=points),
    )
