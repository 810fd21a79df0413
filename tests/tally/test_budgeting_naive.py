"""govern's Equal Shares against a deliberately naive count, for the options pabutools lacks.

pabutools has no equalshares.net add1 (start from whole units per voter, keep
raising while the outcome fits) and no comparison step, which are govern's
defaults. The reference below follows the definition voter by voter with
Fractions, evaluates every project every round and shares nothing with the
implementation but the tie order.
"""

from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govern.tally import TieBreak
from govern.tally.budgeting import mes, tie_order
from govern.tally.pabulib import PBInstance


@st.composite
def instances(draw: st.DrawFn) -> PBInstance:
    m = draw(st.integers(1, 6))
    costs = tuple(draw(st.lists(st.integers(1, 15), min_size=m, max_size=m)))
    budget = draw(st.integers(1, 40))
    ballots = draw(st.lists(st.sets(st.integers(0, m - 1)).map(lambda s: tuple(sorted(s))), min_size=1, max_size=6))
    mults = tuple(draw(st.integers(1, 3)) for _ in ballots)
    return PBInstance(tuple(f"p{i}" for i in range(m)), costs, budget, tuple(ballots), mults)


def voters(inst: PBInstance) -> list[set[int]]:
    return [set(b) for b, k in zip(inst.ballots, inst.multiplicities) for _ in range(k)]


def naive_mes(inst: PBInstance, endowment: Fraction, utility: str, rank: dict[int, int]) -> list[int]:
    ballots = voters(inst)
    money = [Fraction(endowment)] * len(ballots)
    supporters = {j: [i for i, b in enumerate(ballots) if j in b] for j in range(len(inst.projects))}
    remaining = {j for j, s in supporters.items() if s}
    winners = []
    while True:
        best: tuple[Fraction, int] | None = None
        best_rho, best_j = Fraction(0), -1
        for j in sorted(remaining):
            cost = inst.costs[j]
            if sum(money[i] for i in supporters[j]) < cost:
                remaining.discard(j)
                continue
            paid, left = Fraction(0), len(supporters[j])
            for have in sorted(money[i] for i in supporters[j]):
                rho = (cost - paid) / left
                if have >= rho:
                    break
                paid += have
                left -= 1
            key = (rho / cost if utility == "cost" else rho, rank[j])
            if best is None or key < best:  # the lowest price, ties to the earliest in tie order
                best, best_rho, best_j = key, rho, j
        if best is None:
            return winners
        j = best_j
        winners.append(j)
        remaining.discard(j)
        for i in supporters[j]:
            money[i] -= min(money[i], best_rho)


def naive_add1(inst: PBInstance, utility: str, rank: dict[int, int]) -> list[int]:
    n = inst.num_voters
    supported = {j for b in inst.ballots for j in b}
    e = Fraction(inst.budget // n)
    out = naive_mes(inst, e, utility, rank)
    while not supported <= set(out):
        nxt = naive_mes(inst, e + 1, utility, rank)
        if sum(inst.costs[j] for j in nxt) > inst.budget:
            break
        e, out = e + 1, nxt
    return out


def naive_greedy(inst: PBInstance, funded: list[int], rank: dict[int, int], utility: str = "cost") -> list[int]:
    """Fill up by support (cost utility), or by support per unit of cost (cardinality)."""
    support = inst.support()
    out = list(funded)
    left = inst.budget - sum(inst.costs[j] for j in out)

    def key(p: int) -> tuple[Fraction, int]:
        return (-Fraction(support[p], inst.costs[p] if utility == "cardinality" else 1), rank[p])

    for j in sorted(range(len(inst.projects)), key=key):
        if j not in out and inst.costs[j] <= left:
            out.append(j)
            left -= inst.costs[j]
    return out


CHECKS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@CHECKS
@given(inst=instances(), utility=st.sampled_from(["cost", "cardinality"]))
def test_default_add1_matches_naive(inst: PBInstance, utility: str) -> None:
    rank = {inst.projects.index(name): r for r, name in enumerate(tie_order(inst, TieBreak()))}
    expected = naive_add1(inst, utility, rank)
    assert list(mes(inst, utility=utility, completion="add1").winners) == [inst.projects[j] for j in expected]
    filled = naive_greedy(inst, expected, rank, utility)
    assert list(mes(inst, utility=utility).winners) == [inst.projects[j] for j in filled]


@CHECKS
@given(inst=instances())
def test_comparison_matches_naive(inst: PBInstance) -> None:
    rank = {inst.projects.index(name): r for r, name in enumerate(tie_order(inst, TieBreak()))}
    ours = naive_add1(inst, "cost", rank)
    theirs = naive_greedy(inst, [], rank)
    prefer_ours = prefer_theirs = 0
    for ballot in voters(inst):
        a, b = len(ballot & set(ours)), len(ballot & set(theirs))
        prefer_ours += a > b
        prefer_theirs += b > a
    expected = theirs if prefer_theirs > prefer_ours else ours
    out = mes(inst, completion="add1", comparison=True)
    assert set(out.winners) == {inst.projects[j] for j in expected}
    assert out.summary["comparison"]["prefer_equal_shares"] == prefer_ours
    assert out.summary["comparison"]["prefer_greedy"] == prefer_theirs
