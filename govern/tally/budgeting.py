"""Participatory budgeting rules: greedy by support, and the Method of Equal Shares.

Both take a :class:`~govern.tally.pabulib.PBInstance` and return an
:class:`~govern.tally.outcome.Outcome`. Money is exact: budgets and costs are
integers, shares and prices are :class:`~fractions.Fraction` values, written
into outcomes as ``"p/q"`` strings (with a rounded ``*_approx`` decimal beside
them for people).

Support of a project: the number of voters who approve (or rank) it; for
cumulative and scoring ballots, the points it got. Utilities follow pabutools:

- ``utility="cost"``: a voter's satisfaction from a supported project is its cost
  (times the points given). Greedy orders projects by support; Equal Shares
  picks the project whose supporters pay the least per unit of cost, i.e. the
  highest *effective vote count* cost / rho (equalshares.net's default).
- ``utility="cardinality"``: satisfaction 1 (times the points). Greedy orders by
  support per unit of cost; Equal Shares picks the lowest price per voter rho.

Ties. Among projects that are equally good, the one with more support wins, then
the cheaper one, then the lot: :class:`~govern.tally.tiebreak.TieBreak`'s seeded
order on the published seed or, without one, on a seed derived from the
ballots' order-free digest. :func:`tie_order` lists that order. Every tie that
had to be broken is recorded in the outcome.

Speed. Equal Shares is counted over *budget classes* instead of voters: all
voters holding the same amount form one class, a project's supporters are
summarised as {class: voters} (counted at C speed over a per-project list of
voters that shrinks to those with money left; with numpy, for large approval
counts, as arrays), and money is exact integer numerators over one common
denominator, never floats. add1 needs one full count per raise of
the endowment (the outcome is not monotone in it, so none may be skipped); the
counts share the prepared instance and a count is abandoned as soon as it
overspends. bench/_tally_pb.py measures this against pabutools.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import compress
from math import gcd, lcm
from typing import Any

from .outcome import Outcome, ParameterError
from .pabulib import PBInstance
from .tiebreak import TieBreak, ballot_seed

try:  # numpy makes large counts fast; the pure-Python count gives the same result.
    import numpy as _np
except ImportError:  # pragma: no cover - exercised where numpy is absent
    _np = None

#: Keep Equal Shares' voter bookkeeping in numpy arrays from this many voters on
#: (approval-like ballots only, and when numpy is there). Money stays exact Python ints.
NUMPY_MIN_VOTERS = 2000

__all__ = ["COMPLETIONS", "UTILITIES", "greedy", "mes", "tie_order"]

UTILITIES = ("cost", "cardinality")
#: ``none``: plain Equal Shares; ``add1``: raise the voters' endowment one unit at a
#: time while the outcome stays within the budget; ``add1-greedy``: add1, then
#: fill up greedily; ``greedy``: plain Equal Shares, then fill up greedily.
COMPLETIONS = ("none", "add1", "add1-greedy", "greedy")
ADD1_STARTS = ("integral", "exact")
ADD1_STOPS = ("infeasible", "exhaustive")
COMPARISONS = ("satisfaction", "exclusion")


# -- exact money in outcomes -----------------------------------------------------


def _q(x: Fraction | int) -> str:
    """Exact value as text: ``"12"`` or ``"7/3"``."""
    x = Fraction(x)
    return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"


def _approx(x: Fraction | int, digits: int = 2) -> str:
    """Rounded (half up) decimal text, for reading only; the exact value sits beside it."""
    x = Fraction(x)
    scale = 10**digits
    units = (abs(x) * scale * 2 + 1) // 2
    sign = "-" if x < 0 and units else ""
    q, r = divmod(int(units), scale)
    return f"{sign}{q}.{r:0{digits}d}" if digits else f"{sign}{q}"


# -- the instance as the rules see it ---------------------------------------------


@dataclass
class _Prepared:
    inst: PBInstance
    budget: int
    costs: tuple[int, ...]
    names: tuple[str, ...]
    support: list[int]
    #: per distinct ballot: multiplicity
    mult: list[int]
    #: per project: the distinct ballots supporting it, and the points they give (None: all 1)
    supp: list[list[int]]
    supw: list[list[int] | None]
    n: int
    #: lcm of all points given (1 for approval and ordinal ballots)
    points_lcm: int = 1
    _seed: str | None = None
    _voters: dict[int, tuple[list[int], bool]] = field(default_factory=dict)
    _arrays: dict[int, tuple[Any, bool]] = field(default_factory=dict)
    tie_break: TieBreak = field(default_factory=TieBreak)

    @classmethod
    def of(cls, inst: PBInstance, budget: int | None, tie_break: TieBreak) -> _Prepared:
        if budget is None:
            budget = inst.budget
        if type(budget) is not int or budget < 0:
            raise ParameterError(f"budget must be a non-negative integer, not {budget!r}")
        if not isinstance(tie_break, TieBreak):
            raise ParameterError("tie_break must be a TieBreak")
        m = len(inst.projects)
        supp: list[list[int]] = [[] for _ in range(m)]
        supw: list[list[int]] = [[] for _ in range(m)]
        support = [0] * m
        mult: list[int] = []
        for g, (b, w, k) in enumerate(inst.weights()):
            mult.append(k)
            for p, x in zip(b, w):
                supp[p].append(g)
                supw[p].append(x)
                support[p] += x * k
        weights: list[list[int] | None] = [None if all(x == 1 for x in ws) else ws for ws in supw]
        points = {x for ws in weights if ws is not None for x in ws}
        return cls(inst, budget, inst.costs, inst.projects, support, mult, supp, weights, sum(mult),
                   points_lcm=lcm(*points) if points else 1, tie_break=tie_break)

    def voters_array(self, j: int) -> tuple[Any, bool]:
        """:meth:`voters_of` as a numpy array."""
        cached = self._arrays.get(j)
        if cached is None:
            voters, per_voter = self.voters_of(j)
            cached = self._arrays[j] = (_np.array(voters, dtype=_np.int64), per_voter)
        return cached

    def voters_of(self, j: int) -> tuple[list[int], bool]:
        """The supporters of j, one entry per voter (a ballot cast k times is listed k times),
        and True; or, when that list would be much longer (heavy ballot weights), the
        distinct ballots and False."""
        cached = self._voters.get(j)
        if cached is None:
            groups = self.supp[j]
            if sum(self.mult[g] for g in groups) <= 4 * len(groups) + 64:
                cached = ([g for g in groups for _ in range(self.mult[g])], True)
            else:
                cached = (list(groups), False)
            self._voters[j] = cached
        return cached

    @property
    def seed(self) -> str:
        if self._seed is None:
            self._seed = self.tie_break.seed if self.tie_break.seed is not None else ballot_seed(self.inst.digest())
        return self._seed

    def resolve(self, tied: Sequence[int], purpose: str) -> tuple[int, dict[str, Any] | None]:
        """Choose among equally good projects: most support, then lowest cost, then lot."""
        if len(tied) == 1:
            return tied[0], None
        group = sorted(tied)
        record: dict[str, Any] = {"purpose": purpose, "tied": sorted(self.names[j] for j in group)}
        steps = []
        top = max(self.support[j] for j in group)
        kept = [j for j in group if self.support[j] == top]
        if len(kept) < len(group):
            steps.append({"by": "most-support", "kept": sorted(self.names[j] for j in kept)})
            group = kept
        if len(group) > 1:
            low = min(self.costs[j] for j in group)
            kept = [j for j in group if self.costs[j] == low]
            if len(kept) < len(group):
                steps.append({"by": "lowest-cost", "kept": sorted(self.names[j] for j in kept)})
                group = kept
        if len(group) == 1:
            record.update(method="support-then-cost", steps=steps, chosen=self.names[group[0]])
            return group[0], record
        chosen, lot = self.tie_break.pick([self.names[j] for j in group], purpose=purpose, seed=self.seed)
        record.update(
            method="lot" if not steps else "support-then-cost-then-lot",
            steps=steps,
            lot_seed=self.seed,
            seed_source="published" if self.tie_break.seed is not None else "ballot-digest",
            order=lot["order"],
            chosen=chosen,
        )
        return self.names.index(chosen), record

    def order_key(self, j: int) -> tuple[int, int, bytes]:
        return (-self.support[j], self.costs[j], self.tie_break.key(self.names[j], self.seed))


def tie_order(instance: PBInstance, tie_break: TieBreak = TieBreak()) -> list[str]:
    """All project ids in tie-breaking order (the first wins a tie): most support,
    then lowest cost, then the seeded lot."""
    prep = _Prepared.of(instance, None, tie_break)
    return [prep.names[j] for j in sorted(range(len(prep.names)), key=prep.order_key)]


def _check_utility(utility: str) -> None:
    if utility not in UTILITIES:
        raise ParameterError(f"utility must be one of {UTILITIES}, not {utility!r}")


# -- greedy --------------------------------------------------------------------------


def _greedy_order(prep: _Prepared, utility: str, candidates: Sequence[int]) -> tuple[list[int], list[dict[str, Any]]]:
    """``candidates`` best first by the greedy criterion; ties resolved and recorded."""

    def density(j: int) -> tuple[int, Fraction]:
        s = prep.support[j]
        if utility == "cost":
            return (0, Fraction(s))
        if s == 0:
            return (0, Fraction(0))
        if prep.costs[j] == 0:
            return (1, Fraction(s))  # free and wanted: before everything else
        return (0, Fraction(s, prep.costs[j]))

    keyed = sorted(candidates, key=lambda j: density(j), reverse=True)
    out: list[int] = []
    ties: list[dict[str, Any]] = []
    i = 0
    while i < len(keyed):
        k = i + 1
        while k < len(keyed) and density(keyed[k]) == density(keyed[i]):
            k += 1
        group = keyed[i:k]
        if len(group) > 1:
            # Order the tied group by repeatedly taking the tie-break winner.
            rest = list(group)
            records = []
            while len(rest) > 1:
                j, rec = prep.resolve(rest, purpose="greedy order")
                out.append(j)
                rest.remove(j)
                records.append(rec)
            out.append(rest[0])
            ties.append({
                "purpose": "greedy order",
                "tied": sorted(prep.names[j] for j in group),
                "method": "support-then-cost-then-lot",
                "order": [prep.names[j] for j in out[-len(group):]],
                "decisions": records,
            })
        else:
            out.append(group[0])
        i = k
    return out, ties


def _greedy_fill(
    prep: _Prepared, utility: str, funded: Sequence[int], money: int, threshold: int | None, phase: str
) -> tuple[list[int], int, list[dict[str, Any]], list[dict[str, Any]]]:
    """Greedy fill-up after ``funded``: (added, money left, rounds, tie records)."""
    chosen = set(funded)
    rest = [j for j in range(len(prep.names)) if j not in chosen]
    eligible = [j for j in rest if threshold is None or prep.support[j] >= threshold]
    below = [j for j in rest if threshold is not None and prep.support[j] < threshold]
    order, ties = _greedy_order(prep, utility, eligible)
    added: list[int] = []
    rounds: list[dict[str, Any]] = []
    for j in order:
        cost = prep.costs[j]
        row: dict[str, Any] = {"phase": phase, "project": prep.names[j], "support": prep.support[j], "cost": cost,
                               "money_before": money}
        if cost <= money:
            money -= cost
            added.append(j)
            row.update(status="funded", money_left=money)
        else:
            row.update(status="does-not-fit", money_left=money)
        rounds.append(row)
    for j in sorted(below, key=lambda j: (-prep.support[j], prep.names[j])):
        rounds.append({"phase": phase, "project": prep.names[j], "support": prep.support[j], "cost": prep.costs[j],
                       "status": "below-threshold", "threshold": threshold})
    return added, money, rounds, ties


def greedy(
    instance: PBInstance,
    *,
    budget: int | None = None,
    utility: str = "cost",
    min_support: int | None = None,
    tie_break: TieBreak = TieBreak(),
) -> Outcome:
    """Fund projects in order of support, skipping those that no longer fit.

    ``utility="cost"`` orders by support (the classic rule, pabutools'
    greedy_utilitarian_welfare with cost satisfaction); ``"cardinality"`` by
    support per unit of cost. Projects with less than ``min_support`` (default:
    the file's ``min_project_score_threshold``, if any) are not funded.

    Rounds: one per project in the order considered: support, cost, money before,
    ``status`` (``funded``, ``does-not-fit``, ``below-threshold``), money left.
    """
    _check_utility(utility)
    prep = _Prepared.of(instance, budget, tie_break)
    if min_support is None:
        min_support = instance.min_project_score_threshold
    elif type(min_support) is not int or min_support < 0:
        raise ParameterError(f"min_support must be a non-negative integer, not {min_support!r}")
    added, left, rounds, ties = _greedy_fill(prep, utility, [], prep.budget, min_support, "greedy")
    for r in rounds:
        del r["phase"]
    return Outcome(
        rule="greedy",
        params={"budget": prep.budget, "utility": utility, "min_support": min_support,
                "tie_break": tie_break.seed},
        candidates=prep.names,
        winners=tuple(prep.names[j] for j in added),
        rounds=tuple(rounds),
        tie_breaks=tuple(ties),
        summary={
            "voters": prep.n,
            "budget": prep.budget,
            "spent": prep.budget - left,
            "money_left": left,
            "funded": len(added),
        },
    )


# -- Equal Shares -------------------------------------------------------------------


@dataclass
class _Run:
    endowment: Fraction
    winners: list[int]
    spent: int
    complete: bool  # False when stopped early because the budget was exceeded
    rounds: list[dict[str, Any]] = field(default_factory=list)
    ties: list[dict[str, Any]] = field(default_factory=list)
    dropped: dict[int, dict[str, Any]] = field(default_factory=dict)


def _mes_fixed(prep: _Prepared, endowment: Fraction, utility: str, *, detail: bool, cap: int | None = None) -> _Run:
    """One run of Equal Shares with every voter starting on ``endowment``.

    Voters are handled in *budget classes*: every distinct ballot points at a
    class, and all voters in a class hold the same money. A voter's money only
    depends on the prices of the funded projects they support, so a project's
    supporters are summarised by {class: voters}. Money is kept exactly as
    integer numerators over one common denominator ``D``, which grows (by lcm)
    when a price needs it; comparisons and sorting are then plain integer work.
    A class keeps the numerator it got when it was made, over the ``D`` of that
    time (its epoch); it is brought to the current ``D`` only when read.
    With ``cap``, the run stops as soon as the funded projects cost more than ``cap``.
    """
    costs, supp, supw, mult, names = prep.costs, prep.supp, prep.supw, prep.mult, prep.names
    m = len(costs)
    D = endowment.denominator
    start = endowment.numerator
    val: list[int] = [0, start]  # class 0: no money left
    ep: list[int] = [0, 0]  # the epoch of each class
    fac: list[int] = [1]  # per epoch: current D // that epoch's D
    dens: list[int] = [D]  # per epoch: its D
    # Per distinct ballot: its class. numpy arrays for large approval-like counts.
    np_on = _np is not None and prep.n >= NUMPY_MIN_VOTERS and all(ws is None for ws in supw)
    if np_on:
        cls: Any = _np.full(len(mult), 1 if start > 0 else 0, dtype=_np.int64)
        mult_np = _np.array(mult, dtype=_np.int64)
    else:
        cls = [1 if start > 0 else 0] * len(mult)
    alive: list[list[Any] | None] = [None] * m  # per project: supporters that still have money (lazy)
    per_voter = [True] * m  # alive[j] lists voters (True) or distinct ballots (False)
    unit = [Fraction(c) if utility == "cost" else Fraction(1) for c in costs]
    W = prep.points_lcm
    run = _Run(endowment, [], 0, True)
    left = endowment * prep.n
    # Projects nobody supports are never funded; free supported ones are taken first.
    remaining: dict[int, Fraction] = {}
    for j in range(m):
        if prep.support[j] == 0:
            continue
        if costs[j] == 0:
            run.winners.append(j)
            if detail:
                run.rounds.append({"round": 0, "phase": "equal-shares", "funded": names[j], "cost": 0,
                                   "support": prep.support[j], "note": "free project"})
            continue
        remaining[j] = Fraction(costs[j], prep.support[j]) / unit[j]  # a lower bound on its price per utility

    def summarise(j: int) -> list[tuple[int, int, int, int]]:
        """(money as numerator over D, class, points, voters) over the supporters of j that have money left."""
        ws = supw[j]
        if np_on:
            voters = alive[j]
            if voters is None:
                voters, per_voter[j] = prep.voters_array(j)
            ids = cls[voters]
            if per_voter[j]:
                counts = _np.bincount(ids)
            else:
                counts = _np.zeros(len(val), dtype=_np.int64)
                _np.add.at(counts, ids, mult_np[voters])
            if len(counts) and counts[0]:
                voters = voters[ids != 0]
            alive[j] = voters
            nz = _np.flatnonzero(counts)
            return [(val[c] * fac[ep[c]], c, 1, k) for c, k in zip(nz.tolist(), counts[nz].tolist()) if c]
        if ws is None:
            # One entry per voter: counting runs at C speed, and the list shrinks
            # to the supporters with money left.
            voters = alive[j]
            if voters is None:
                voters, per_voter[j] = prep.voters_of(j)
            ids = list(map(cls.__getitem__, voters))
            if per_voter[j]:
                counts = Counter(ids)
            else:
                counts = {}
                for c, g in zip(ids, voters):
                    counts[c] = counts.get(c, 0) + mult[g]
            if counts.pop(0, 0):
                voters = list(compress(voters, ids))
            alive[j] = voters
            return [(val[c] * fac[ep[c]], c, 1, k) for c, k in counts.items()]
        pairs = alive[j]
        if pairs is None:
            pairs = list(zip(supp[j], ws))
        hist: dict[tuple[int, int], int] = {}
        kept_pairs = []
        for g, w in pairs:
            c = cls[g]
            if c:
                hist[(c, w)] = hist.get((c, w), 0) + mult[g]
                kept_pairs.append((g, w))
        alive[j] = kept_pairs
        return [(val[c] * fac[ep[c]], c, w, k) for (c, w), k in hist.items()]

    def price(items: list[tuple[int, int, int, int]], cost: int) -> tuple[Fraction | None, int]:
        """(t, 0) for the price per point t at which supporters paying min(money, t * points)
        pay ``cost`` in total; (None, all their money) when even everything is too little."""
        if W == 1:
            items.sort()
        else:
            items.sort(key=lambda it: it[0] * (W // it[2]))
        paid = 0
        denom = sum(k * w for _, _, w, k in items)
        target = cost * D
        for v, _, w, k in items:
            rest = target - paid
            if rest * w <= v * denom:
                return Fraction(rest, D * denom), 0
            paid += k * v
            denom -= k * w
        return None, paid

    rnd = 0
    while remaining:
        rnd += 1
        best: Fraction | None = None
        tied: list[int] = []
        seen: dict[int, tuple[list[tuple[int, int, int, int]], Fraction]] = {}
        dropped_now: list[dict[str, Any]] = []
        for j in sorted(remaining, key=remaining.__getitem__):
            if best is not None and remaining[j] > best:
                break  # its price can only have risen since it was last computed
            items = summarise(j)
            t, money = price(items, costs[j])
            if t is None:  # its supporters' money, all of it, is less than the cost
                del remaining[j]
                behind = Fraction(money, D)
                info = {"project": names[j], "cost": costs[j], "money_behind": _q(behind),
                        "money_behind_approx": _approx(behind), "round": rnd}
                run.dropped[j] = info
                dropped_now.append(info)
                continue
            a = t / unit[j]
            remaining[j] = a
            seen[j] = (items, t)
            if best is None or a < best:
                best, tied = a, [j]
            elif a == best:
                tied.append(j)
        if not tied:
            if detail and dropped_now:
                run.rounds.append({"round": rnd, "phase": "equal-shares", "funded": None,
                                   "dropped": sorted(dropped_now, key=lambda d: d["project"])})
            break
        win, record = prep.resolve(tied, purpose=f"equal shares round {rnd}")
        if record is not None:
            run.ties.append(record)
        items, t = seen[win]
        if detail:
            behind = Fraction(sum(k * v for v, _, _, k in items), D)
        q = t.denominator
        scale = 1
        if D % q:
            scale = q // gcd(D, q)
            D *= scale
            dens.append(D)
            fac[:] = [D // d for d in dens]
        epoch = len(dens) - 1
        tD = t.numerator * (D // q)  # the price in units of 1/D
        # New classes are always fresh ids (or 0), never keys of newc, so applying
        # the map twice to a voter listed twice changes nothing.
        newc: dict[tuple[int, int], int] = {}
        fresh: dict[int, int] = {0: 0}
        full: dict[int, int] = {}
        capped_voters = 0
        capped_total = 0
        for have, c, w, k in items:
            have *= scale
            pay = tD * w
            if have > pay:
                nb = have - pay
                full[w] = full.get(w, 0) + k
            else:
                nb = 0
                if have < pay:
                    capped_voters += k
                    capped_total += k * have
                else:
                    full[w] = full.get(w, 0) + k
            idx = fresh.get(nb)
            if idx is None:
                idx = fresh[nb] = len(val)
                val.append(nb)
                ep.append(epoch)
            newc[(c, w)] = idx
        ws = supw[win]
        if np_on:
            voters = alive[win]
            mapping = _np.arange(len(val), dtype=_np.int64)
            mapping[list(c for c, _ in newc)] = list(newc.values())
            cls[voters] = mapping[cls[voters]]
        elif ws is None:
            by_class = {c: i for (c, _), i in newc.items()}
            voters = alive[win] or []
            ids = list(map(cls.__getitem__, voters))
            # cls[g] = by_class.get(c, c) for every supporter, looped in C.
            deque(map(cls.__setitem__, voters, map(by_class.get, ids, ids)), maxlen=0)
        else:
            for g, w in alive[win] or ():
                cls[g] = newc[(cls[g], w)]
        del remaining[win]
        run.winners.append(win)
        run.spent += costs[win]
        left -= costs[win]
        if detail:
            payments: list[dict[str, Any]] = []
            for w in sorted(full):
                row = {"voters": full[w], "each": _q(t * w), "each_approx": _approx(t * w)}
                if ws is not None:
                    row["points"] = w
                payments.append(row)
            if capped_voters:
                total = Fraction(capped_total, D)
                payments.append({"voters": capped_voters, "paid_all_they_had": True, "total": _q(total),
                                 "total_approx": _approx(total)})
            entry: dict[str, Any] = {
                "round": rnd,
                "phase": "equal-shares",
                "funded": names[win],
                "cost": costs[win],
                "support": prep.support[win],
                "money_behind": _q(behind),
                "rho": _q(t),
                "rho_approx": _approx(t),
                "effective_votes": _q(costs[win] / t),
                "effective_votes_approx": _approx(costs[win] / t),
                "payments": payments,
                "voters_money_left": _q(left),
                "voters_money_left_approx": _approx(left),
            }
            if utility == "cost":
                entry["price_per_unit_of_cost"] = _q(t / costs[win])
            if dropped_now:
                entry["dropped"] = sorted(dropped_now, key=lambda d: d["project"])
            run.rounds.append(entry)
        if cap is not None and run.spent > cap:
            run.complete = False
            break
    return run


def _exhaustive(prep: _Prepared, winners: Sequence[int], budget: int) -> bool:
    """No supported project outside ``winners`` fits in what the outcome leaves (pabutools' test)."""
    chosen = set(winners)
    spent = sum(prep.costs[j] for j in chosen)
    return not any(
        j not in chosen and prep.support[j] > 0 and prep.costs[j] > 0 and spent + prep.costs[j] <= budget
        for j in range(len(prep.costs))
    )


def _satisfaction(prep: _Prepared, funded: Sequence[int], how: str) -> list[int]:
    """Per distinct ballot: how many funded projects it supports (``exclusion``: 1 if any)."""
    sat = [0] * len(prep.mult)
    for j in funded:
        for g in prep.supp[j]:
            sat[g] += 1
    if how == "exclusion":
        sat = [min(s, 1) for s in sat]
    return sat


def mes(
    instance: PBInstance,
    *,
    budget: int | None = None,
    utility: str = "cost",
    completion: str = "add1-greedy",
    comparison: bool | str = False,
    tie_break: TieBreak = TieBreak(),
    add1_start: str = "integral",
    add1_stop: str = "infeasible",
    increment: int = 1,
    min_support: int | None = None,
) -> Outcome:
    """The Method of Equal Shares.

    The budget is split equally among the voters; a project is funded when its
    supporters can pay for it, each paying an equal share rho (or all they have
    left, if less). Each round funds the project with the lowest price per unit
    of utility (see the module docstring) until no project can be paid for.

    ``completion``:
      - ``"none"``: the plain rule, which usually leaves money unspent;
      - ``"add1"``: equalshares.net's completion. Every voter's endowment is raised
        by ``increment`` currency units (1: one zloty, one euro) and the rule rerun
        while its outcome costs no more than the real budget; the last outcome
        within budget is kept. ``add1_start="integral"`` starts from the budget per
        voter rounded down to whole units (equalshares.net), ``"exact"`` from
        budget / voters (pabutools). ``add1_stop="infeasible"`` keeps raising for
        as long as the outcome fits (the official Wieliczka result needs this);
        ``"exhaustive"`` also stops at the first outcome to which no further
        project could be added (pabutools' ``voter_budget_increment``). Either way
        raising stops once every supported project is funded: were they all to fit
        the budget, no raise could ever overspend. The summary's ``add1`` entry
        says how many raises were made and why they stopped;
      - ``"add1-greedy"``: add1, then the leftover money is filled greedily;
      - ``"greedy"``: the plain rule, then the greedy fill-up.

    ``comparison=True`` (or ``"satisfaction"``): the result is compared with the
    greedy outcome, and greedy's is taken when more voters prefer it; a voter
    prefers the outcome funding more of the projects they support (equalshares.net).
    ``"exclusion"`` counts instead whether a voter has any supported project funded.

    ``min_support``: the greedy fill-up (and the comparison) skip projects with fewer
    supporters than this; govern's budget votes use 1, so money left over never goes
    to a plan that nobody voted for. None (the default) fills as pabutools does.

    Rounds (phase ``equal-shares``): funded project, cost, support, the money its
    supporters had, rho (per voter, per point for points ballots), effective vote
    count cost / rho, payments per group of voters (full share, or all they had
    left), the money all voters still hold, and the projects dropped that round
    because their supporters no longer had enough money. Then phase
    ``greedy-completion`` rows as in :func:`greedy`, and with ``comparison`` a
    last ``comparison`` row: how many voters prefer each outcome, which was chosen.
    """
    _check_utility(utility)
    if completion not in COMPLETIONS:
        raise ParameterError(f"completion must be one of {COMPLETIONS}, not {completion!r}")
    if add1_start not in ADD1_STARTS:
        raise ParameterError(f"add1_start must be one of {ADD1_STARTS}, not {add1_start!r}")
    if add1_stop not in ADD1_STOPS:
        raise ParameterError(f"add1_stop must be one of {ADD1_STOPS}, not {add1_stop!r}")
    if type(increment) is not int or increment <= 0:
        raise ParameterError(f"increment must be a positive integer, not {increment!r}")
    if comparison is True:
        comparison = "satisfaction"
    if comparison is not False and comparison not in COMPARISONS:
        raise ParameterError(f"comparison must be True, False or one of {COMPARISONS}, not {comparison!r}")
    prep = _Prepared.of(instance, budget, tie_break)
    B, n = prep.budget, prep.n
    summary: dict[str, Any] = {"voters": n, "budget": B}
    if n == 0:
        run = _Run(Fraction(0), [], 0, True)
    elif completion in ("add1", "add1-greedy"):
        run, summary["add1"] = _add1(prep, utility, add1_start, add1_stop, increment)
    else:
        run = _mes_fixed(prep, Fraction(B, n), utility, detail=True)
    summary["endowment"] = _q(run.endowment)
    summary["endowment_approx"] = _approx(run.endowment)
    winners = list(run.winners)
    rounds: list[dict[str, Any]] = list(run.rounds)
    ties: list[dict[str, Any]] = list(run.ties)
    left = B - run.spent
    summary["equal_shares_funded"] = [prep.names[j] for j in winners]
    fill_phase: dict[int, str] = {}
    if completion in ("add1-greedy", "greedy"):
        added, left, fill_rounds, fill_ties = _greedy_fill(prep, utility, winners, left, min_support, "greedy-completion")
        winners += added
        rounds += fill_rounds
        ties += fill_ties
        fill_phase = {j: "greedy-completion" for j in added}
    chosen_by = "equal-shares"
    if comparison:
        g_added, _, _, g_ties = _greedy_fill(prep, "cost", [], B, min_support, "comparison")
        how = "exclusion" if comparison == "exclusion" else "satisfaction"
        ours = _satisfaction(prep, winners, how)
        theirs = _satisfaction(prep, g_added, how)
        prefers_mes = sum(k for k, a, b in zip(prep.mult, ours, theirs) if a > b)
        prefers_greedy = sum(k for k, a, b in zip(prep.mult, ours, theirs) if b > a)
        summary["comparison"] = {
            "measure": how,
            "greedy_funded": [prep.names[j] for j in g_added],
            "prefer_equal_shares": prefers_mes,
            "prefer_greedy": prefers_greedy,
            "chosen": "greedy" if prefers_greedy > prefers_mes else "equal-shares",
        }
        rounds.append({"phase": "comparison", **summary["comparison"]})
        if prefers_greedy > prefers_mes:
            chosen_by = "greedy"
            winners = list(g_added)
            left = B - sum(prep.costs[j] for j in winners)
            ties += g_ties
    summary["chosen"] = chosen_by
    summary["spent"] = B - left
    summary["money_left"] = left
    funded = set(winners)
    projects: dict[str, Any] = {}
    for j, pid in enumerate(prep.names):
        row: dict[str, Any] = {"cost": prep.costs[j], "support": prep.support[j], "funded": j in funded}
        if j in funded:
            row["by"] = "greedy" if chosen_by == "greedy" else fill_phase.get(j, "equal-shares")
        elif prep.support[j] == 0:
            row["why"] = "no-support"
        elif j in run.dropped and chosen_by == "equal-shares" and completion not in ("add1-greedy", "greedy"):
            row["why"] = "not-enough-money-among-supporters"
            for key in ("money_behind", "money_behind_approx", "round"):
                row[key] = run.dropped[j][key]
        else:
            row["why"] = "does-not-fit"
            row["money_left"] = left
            if j in run.dropped and chosen_by == "equal-shares":
                row["equal_shares"] = {
                    key: run.dropped[j][key] for key in ("money_behind", "money_behind_approx", "round")
                }
        projects[pid] = row
    summary["projects"] = projects
    return Outcome(
        rule="mes",
        params={
            "budget": B,
            "utility": utility,
            "completion": completion,
            "comparison": comparison or False,
            "add1_start": add1_start,
            "add1_stop": add1_stop,
            "increment": increment,
            "tie_break": tie_break.seed,
            **({} if min_support is None else {"min_support": min_support}),
        },
        candidates=prep.names,
        winners=tuple(prep.names[j] for j in winners),
        rounds=tuple(rounds),
        tie_breaks=tuple(ties),
        summary=summary,
    )


def _add1(prep: _Prepared, utility: str, start: str, stop: str, increment: int) -> tuple[_Run, dict[str, Any]]:
    """equalshares.net's add1: raise the endowment while the outcome fits the budget.

    Every run is a full, exact Equal Shares count (the outcome is not monotone in
    the endowment, so no step may be skipped); a run is abandoned as soon as it
    overspends. The final endowment is counted once more with the explanation.
    """
    B, n = prep.budget, prep.n
    endow = Fraction(B // n) if start == "integral" else Fraction(B, n)
    run = _mes_fixed(prep, endow, utility, detail=False)
    steps = 0
    supported = {j for j in range(len(prep.costs)) if prep.support[j] > 0}
    reason = "next-over-budget"
    while True:
        if stop == "exhaustive" and _exhaustive(prep, run.winners, B):
            reason = "exhaustive"
            break
        if supported <= set(run.winners):
            reason = "all-supported-funded"
            break
        nxt = _mes_fixed(prep, endow + increment, utility, detail=False, cap=B)
        if not nxt.complete or nxt.spent > B:
            break
        endow += increment
        run = nxt
        steps += 1
    final = _mes_fixed(prep, endow, utility, detail=True)
    assert final.winners == run.winners
    info = {"start": start, "stop": stop, "increment": increment, "raises": steps, "stopped_because": reason,
            "start_endowment": _q(endow - steps * increment)}
    return final, info
