"""Single transferable vote: the Scottish statutory rules, and Meek's method.

Both rules take strict ranked ballots. A rank that ties two or more (continuing
or not) candidates ends the paper there, as a Scottish returning officer treats a
paper whose next preference is ambiguous: from that point it is non-transferable.
A paper with no unambiguous first preference is invalid and not counted
(``summary.invalid`` reports its weight); with no valid paper at all, nobody is
elected. Withdrawn candidates are skipped.

Ties (for the fewest votes at an exclusion, for the most at an election order or
the order of surplus transfers) are broken as the Scottish rules say: look back
to the most recent earlier round in which the tied candidates had unequal votes,
then by lot (see :func:`govern.tally.tiebreak.break_tie`). Every tie is recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .outcome import Outcome, ParameterError, decimal_str
from .profile import Profile
from .tiebreak import TieBreak, break_tie

try:  # numpy makes large counts fast; the pure-Python count gives the same result.
    import numpy as _np
except ImportError:  # pragma: no cover
    _np = None

#: Use the numpy count from this many distinct ballots on (when numpy is there).
NUMPY_MIN_BALLOTS = 2000

#: Scottish STV counts in units of 1/100000 of a vote (five decimal places).
SCOT_UNIT = 100_000
#: Meek STV counts in units of 10**-9 of a vote.
MEEK_DIGITS = 9
MEEK_UNIT = 10**MEEK_DIGITS
#: Meek iteration stops when every elected candidate is within this of the quota (units of 10**-9).
MEEK_TOLERANCE = 10_000  # 0.00001 of a vote
MEEK_MAX_ITERATIONS = 1000


def _seats(profile: Profile, seats: int | None) -> int:
    s = seats if seats is not None else profile.seats
    if s is None:
        raise ParameterError("the number of seats is missing (give seats=N or put it in the profile)")
    if type(s) is not int or s < 1:
        raise ParameterError(f"seats must be a positive integer, not {s!r}")
    return s


def _papers(profile: Profile) -> tuple[list[tuple[tuple[int, ...], int]], int]:
    """Strict orders of non-withdrawn candidates (cut at the first tied rank), with weights; and invalid weight."""
    wd = profile.withdrawn
    strict = profile.strict_orders()
    if strict is not None and not wd and all(strict):
        return list(zip(strict, profile.weights)), 0
    out: list[tuple[tuple[int, ...], int]] = []
    invalid = 0
    for ballot, w in zip(profile.ballots, profile.weights):
        order: list[int] = []
        for rank in ballot:
            live = [c for c in rank if c not in wd] if wd else rank
            if not live:
                continue
            if len(live) > 1:
                break
            order.append(live[0])
        if order:
            out.append((tuple(order), w))
        else:
            invalid += w
    return out, invalid


class _Count:
    """Shared bookkeeping: names, rounds, history for look-back, tie records."""

    def __init__(self, profile: Profile, tie_break: TieBreak, digits: int) -> None:
        self.profile = profile
        self.names = profile.candidates
        self.tie_break = tie_break
        self.digits = digits
        self.history: list[list[int]] = []
        self.ties: list[dict[str, Any]] = []
        self._digest: str | None = None

    def digest(self) -> str:
        if self._digest is None:
            self._digest = self.profile.digest()
        return self._digest

    def dec(self, units: int) -> str:
        return decimal_str(units, self.digits)

    def tie(self, tied: Sequence[int], *, lowest: bool, purpose: str, look_back: bool = True) -> int:
        chosen, record = break_tie(tied, self.names, purpose=purpose, lowest=lowest, history=self.history,
                                   tie_break=self.tie_break, digest=self.digest, look_back=look_back,
                                   render=self.dec)
        record["round"] = len(self.history)
        self.ties.append(record)
        return chosen

    def rank(self, cands: Sequence[int], votes: Sequence[int], purpose: str) -> list[int]:
        """``cands`` by votes, most first, ties broken and recorded."""
        rest = list(cands)
        out = []
        while rest:
            top = max(votes[c] for c in rest)
            tied = [c for c in rest if votes[c] == top]
            c = tied[0] if len(tied) == 1 else self.tie(tied, lowest=False, purpose=purpose)
            out.append(c)
            rest.remove(c)
        return out

    def lowest(self, cands: Sequence[int], votes: Sequence[int]) -> int:
        low = min(votes[c] for c in cands)
        tied = [c for c in cands if votes[c] == low]
        return tied[0] if len(tied) == 1 else self.tie(tied, lowest=True, purpose="exclusion")


class _Piles:
    """Each candidate's papers: (order, position, number of papers, value of each in units)."""

    def __init__(self, n: int, papers: list[tuple[tuple[int, ...], int]], continuing: list[bool]) -> None:
        self.n = n
        self.continuing = continuing
        self.piles: list[list[tuple[tuple[int, ...], int, int, int]]] = [[] for _ in range(n)]
        for order, w in papers:
            self.piles[order[0]].append((order, 0, w, SCOT_UNIT))

    def first_votes(self) -> list[int]:
        return [sum(w * v for _, _, w, v in pile) for pile in self.piles]

    def move(self, c: int, num: int, den: int) -> tuple[list[int], int]:
        """Send every paper of ``c`` on to its next continuing preference at value*num//den.

        Returns what each candidate received and the non-transferable value; a paper
        whose new value truncates to 0 carries nothing and is dropped.
        """
        entries, self.piles[c] = self.piles[c], []
        continuing, piles = self.continuing, self.piles
        received = [0] * self.n
        lost = 0
        for order, pos, w, v in entries:
            nv = v * num // den
            if nv == 0:
                continue
            p = pos + 1
            while p < len(order) and not continuing[order[p]]:
                p += 1
            if p < len(order):
                d = order[p]
                piles[d].append((order, p, w, nv))
                received[d] += w * nv
            else:
                lost += w * nv
        return received, lost


class _NpPiles:
    """The same piles as arrays over the profile's order matrix: one vectorized step per transfer."""

    def __init__(self, n: int, matrix: Any, weights: Sequence[int], continuing: list[bool]) -> None:
        np = _np
        self.n = n
        self.continuing = continuing
        self.flat = matrix.ravel()  # Profile.order_matrix(): padded with n, read-only
        self.w = np.asarray(weights, dtype=np.int64)
        self.pos = np.arange(matrix.shape[0], dtype=np.int64) * matrix.shape[1]
        self.top = self.flat[self.pos].astype(np.int32)
        self.val = np.full(matrix.shape[0], SCOT_UNIT, dtype=np.int64)

    def first_votes(self) -> list[int]:
        sums = _np.bincount(self.top, weights=self.w * self.val, minlength=self.n + 1)
        return [int(x) for x in sums[: self.n]]

    def move(self, c: int, num: int, den: int) -> tuple[list[int], int]:
        np = _np
        idx = np.flatnonzero(self.top == c)
        nv = self.val[idx] * num // den if num != den else self.val[idx]
        dead = nv == 0
        self.top[idx[dead]] = self.n + 1  # carries nothing any more
        idx, nv = idx[~dead], nv[~dead]
        alive = np.array([*self.continuing, True], dtype=bool)
        flat, pos = self.flat, self.pos
        todo = idx
        while todo.size:
            pos[todo] += 1
            todo = todo[~alive[flat[pos[todo]]]]
        dest = flat[pos[idx]]
        self.top[idx] = dest
        self.val[idx] = nv
        got = np.bincount(dest, weights=self.w[idx] * nv, minlength=self.n + 1)
        return [int(x) for x in got[: self.n]], int(got[self.n])


def stv_scottish(profile: Profile, *, tie_break: TieBreak = TieBreak(), seats: int | None = None) -> Outcome:
    """STV under the Scottish Local Government Elections Order 2007 (Schedule 1, rules 45-52).

    - Quota (Droop): floor(valid votes / (seats + 1)) + 1, fixed at the first stage.
    - A continuing candidate with votes >= quota is elected at the end of the stage.
    - Surpluses are transferred before any exclusion, the largest first. Every paper
      the elected candidate holds goes on to its next continuing preference at
      value A*B/C truncated to 5 decimal places (A: surplus, B: the paper's value,
      C: the candidate's total) -- the weighted inclusive Gregory method. What
      the truncation drops is reported as ``fraction_loss``.
    - With no surplus left, the continuing candidate with the fewest votes is
      excluded and all their papers go on at the value they carry.
    - When the continuing candidates are no more than the seats left, they are elected.

    Counting is exact: integers in units of 1/100000 of a vote. Each round reports
    the votes after it, the transfers, the non-transferable value, the exhausted
    total, the candidates elected and excluded.
    """
    n_seats = _seats(profile, seats)
    U = SCOT_UNIT
    count = _Count(profile, tie_break, 5)
    names = profile.candidates
    n = len(names)
    matrix = profile.order_matrix()
    use_np = (_np is not None and matrix is not None and not profile.withdrawn and len(profile.weights) >= NUMPY_MIN_BALLOTS
              and matrix.shape[1] > 1 and profile.total_weight * U * U < 2**62 and bool((matrix[:, 0] < n).all()))
    continuing = [c not in profile.withdrawn for c in range(n)]
    piles: _Piles | _NpPiles
    if use_np:  # every ballot has a first preference and no candidate is withdrawn
        valid, invalid = profile.total_weight, 0
        piles = _NpPiles(n, matrix, profile.weights, continuing)
    else:
        papers, invalid = _papers(profile)
        valid = sum(w for _, w in papers)
        piles = _Piles(n, papers, continuing)
    quota_votes = valid // (n_seats + 1) + 1
    quota = quota_votes * U
    votes = piles.first_votes()
    elected: list[int] = []
    excluded: list[int] = []
    pending: list[int] = []  # elected, surplus not yet transferred
    exhausted = 0
    fraction_loss_total = 0
    rounds: list[dict[str, Any]] = []

    def snapshot() -> dict[str, str]:
        return {names[c]: count.dec(votes[c]) for c in range(n) if c not in profile.withdrawn}

    def elect_new(rnd: dict[str, Any]) -> None:
        reached = [c for c in range(n) if continuing[c] and votes[c] >= quota]
        if reached:
            for c in count.rank(reached, votes, "order of election"):
                continuing[c] = False
                elected.append(c)
                pending.append(c)
                rnd["elected"].append(names[c])

    rnd: dict[str, Any] = {"round": 1, "action": "first-preferences", "votes": snapshot(), "elected": [], "excluded": []}
    count.history.append(list(votes))
    elect_new(rnd)
    rounds.append(rnd)

    while len(elected) < n_seats and valid > 0:
        left = [c for c in range(n) if continuing[c]]
        if len(left) <= n_seats - len(elected):
            filled = count.rank(left, votes, "order of election") if left else []
            for c in filled:
                continuing[c] = False
                elected.append(c)
            rounds[-1]["elected_without_quota"] = [names[c] for c in filled]
            rounds[-1]["elected"].extend(names[c] for c in filled)
            break
        surplus_of = {c: votes[c] - quota for c in pending if votes[c] > quota}
        pending[:] = [c for c in pending if c in surplus_of]
        stage = len(rounds) + 1
        if pending:
            big = max(surplus_of.values())
            tied = [c for c in pending if surplus_of[c] == big]
            c = tied[0] if len(tied) == 1 else count.tie(tied, lowest=False, purpose="order of surplus transfers")
            pending.remove(c)
            A, C = surplus_of[c], votes[c]
            received, lost = piles.move(c, A, C)
            moved = sum(received) + lost
            votes[c] = quota
            rnd = {"round": stage, "action": "surplus", "candidate": names[c], "surplus": count.dec(A)}
            fraction = A - moved
        else:
            c = count.lowest(left, votes)
            continuing[c] = False
            excluded.append(c)
            received, lost = piles.move(c, 1, 1)
            rnd = {"round": stage, "action": "exclusion", "candidate": names[c], "votes_excluded": count.dec(votes[c])}
            fraction = 0
            votes[c] = 0
        for d in range(n):
            votes[d] += received[d]
        exhausted += lost
        fraction_loss_total += fraction
        rnd.update(
            transfers={names[d]: count.dec(received[d]) for d in range(n) if received[d]},
            non_transferable=count.dec(lost),
            fraction_loss=count.dec(fraction),
            exhausted_total=count.dec(exhausted),
            votes=snapshot(),
            elected=[],
            excluded=[names[c]] if rnd["action"] == "exclusion" else [],
        )
        count.history.append(list(votes))
        elect_new(rnd)
        rounds.append(rnd)

    summary = {
        "quota": str(quota_votes),
        "valid": valid,
        "invalid": invalid,
        "seats": n_seats,
        "exhausted": count.dec(exhausted),
        "fraction_loss": count.dec(fraction_loss_total),
        "excluded": [names[c] for c in excluded],
        "units": "votes, exact to 5 decimal places (transfer values truncated)",
    }
    return Outcome(
        rule="stv-scottish",
        params={"seats": n_seats, "tie_break": tie_break.seed},
        candidates=names,
        winners=tuple(names[c] for c in elected),
        rounds=tuple(rounds),
        tie_breaks=tuple(count.ties),
        summary=summary,
    )


def stv_meek(profile: Profile, *, tie_break: TieBreak = TieBreak(), seats: int | None = None) -> Outcome:
    """Meek STV (Hill, Wichmann and Woodall, 1987) in exact fixed-point arithmetic.

    Each candidate has a keep value k (1 while hopeful, 0 once excluded). A paper
    gives each candidate on it, in order, k times what is left of it, and keeps
    the rest for later preferences; what is left at the end is exhausted. The quota
    is floor(votes for candidates / (seats + 1)) + 10**-9 and moves as papers
    exhaust. Keep values of elected candidates are updated to k*quota/votes,
    rounded up to 9 decimal places, until every elected candidate's votes are
    within 0.00001 of the quota (:data:`MEEK_TOLERANCE`), the keep values stop
    changing, or :data:`MEEK_MAX_ITERATIONS` is reached (reported). Then the
    hopeful candidates that reach the quota are elected; if none does, the
    hopeful candidate with the fewest votes is excluded.

    All numbers are integers in units of 10**-9 of a vote, written as decimal strings.
    """
    n_seats = _seats(profile, seats)
    U = MEEK_UNIT
    count = _Count(profile, tie_break, MEEK_DIGITS)
    names = profile.candidates
    n = len(names)
    papers, invalid = _papers(profile)
    hopeful = [c not in profile.withdrawn for c in range(n)]
    keep = [U if hopeful[c] else 0 for c in range(n)]
    elected: list[int] = []
    excluded: list[int] = []
    rounds: list[dict[str, Any]] = []
    total_iterations = 0

    def distribute() -> tuple[list[int], int]:
        votes = [0] * n
        exhausted = 0
        for order, w in papers:
            rest = U
            for c in order:
                k = keep[c]
                if k == 0:
                    continue
                part = rest * k // U
                votes[c] += w * part
                rest -= part
                if rest == 0:
                    break
            exhausted += w * rest
        return votes, exhausted

    while papers:
        iterations = 0
        converged = True
        while True:
            votes, exhausted = distribute()
            quota = sum(votes) // (n_seats + 1) + 1
            iterations += 1
            if any(hopeful[c] and votes[c] >= quota for c in range(n)):
                break
            if all(abs(votes[c] - quota) <= MEEK_TOLERANCE for c in elected):
                break
            new_keep = list(keep)
            for c in elected:
                new_keep[c] = min(U, -(-keep[c] * quota // votes[c])) if votes[c] else keep[c]
            if new_keep == keep:
                break
            if iterations >= MEEK_MAX_ITERATIONS:
                converged = False
                break
            keep = new_keep
        total_iterations += iterations
        count.history.append(votes)
        rnd: dict[str, Any] = {
            "round": len(rounds) + 1,
            "iterations": iterations,
            "converged": converged,
            "quota": count.dec(quota),
            "votes": {names[c]: count.dec(votes[c]) for c in range(n) if c not in profile.withdrawn},
            "keep_values": {names[c]: count.dec(keep[c]) for c in range(n) if c not in profile.withdrawn},
            "exhausted": count.dec(exhausted),
            "elected": [],
            "excluded": [],
        }
        rounds.append(rnd)
        reached = [c for c in range(n) if hopeful[c] and votes[c] >= quota]
        if reached:
            for c in count.rank(reached, votes, "order of election"):
                if len(elected) < n_seats:
                    hopeful[c] = False
                    elected.append(c)
                    rnd["elected"].append(names[c])
        if len(elected) >= n_seats:
            break
        left = [c for c in range(n) if hopeful[c]]
        if len(left) <= n_seats - len(elected):
            for c in count.rank(left, votes, "order of election") if left else []:
                hopeful[c] = False
                elected.append(c)
                rnd["elected"].append(names[c])
            rnd["elected_without_quota"] = [names[c] for c in left]
            break
        if reached:
            continue
        c = count.lowest(left, votes)
        hopeful[c] = False
        keep[c] = 0
        excluded.append(c)
        rnd["excluded"].append(names[c])

    summary = {
        "valid": sum(w for _, w in papers),
        "invalid": invalid,
        "seats": n_seats,
        "excluded": [names[c] for c in excluded],
        "iterations": total_iterations,
        "tolerance": count.dec(MEEK_TOLERANCE),
        "units": "votes, exact to 9 decimal places",
    }
    return Outcome(
        rule="stv-meek",
        params={"seats": n_seats, "tie_break": tie_break.seed},
        candidates=names,
        winners=tuple(names[c] for c in elected),
        rounds=tuple(rounds),
        tie_breaks=tuple(count.ties),
        summary=summary,
    )
