"""Greedy and Equal Shares: official results, explanations, ties and invariants."""

from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govern.tally import Profile, TieBreak
from govern.tally.budgeting import greedy, mes, tie_order
from govern.tally.outcome import ParameterError
from govern.tally.pabulib import PBInstance, read_pb

_cache: dict[str, PBInstance] = {}


def real(data_dir: Path, name: str) -> PBInstance:
    if name not in _cache:
        _cache[name] = read_pb(data_dir / "pabulib" / name)
    return _cache[name]


# -- official results -----------------------------------------------------------------


@pytest.mark.parametrize("name", ["Netherlands_Assen_2024.pb", "Poland_Swiecie_2023.pb"])
def test_equal_shares_add1_official(data_dir: Path, name: str) -> None:
    inst = real(data_dir, name)
    assert inst.meta["rule"] == "equalshares/add1"
    out = mes(inst, completion="add1")
    assert sorted(out.winners) == sorted(inst.selected or ())
    assert out.summary["spent"] <= inst.budget
    out.to_json()  # canonical: no floats anywhere


def test_equal_shares_add1_comparison_official(data_dir: Path) -> None:
    inst = real(data_dir, "Poland_Wieliczka_2023_Green_Budget.pb")
    assert inst.meta["rule"] == "equalshares/add1-comparison"
    out = mes(inst, completion="add1", comparison=True)
    assert sorted(out.winners) == sorted(inst.selected or ())
    cmp = out.summary["comparison"]
    assert cmp["chosen"] == "equal-shares"
    assert cmp["prefer_equal_shares"] > cmp["prefer_greedy"]
    # The README's warning: stopping at the first exhaustive outcome gives a different result.
    early = mes(inst, completion="add1", comparison=True, add1_stop="exhaustive")
    assert sorted(early.winners) != sorted(inst.selected or ())
    assert early.summary["add1"]["stopped_because"] == "exhaustive"


def test_greedy_threshold_official(data_dir: Path) -> None:
    inst = real(data_dir, "Poland_Warszawa_2026.pb")
    assert inst.meta["rule"] == "greedy-threshold"
    out = greedy(inst)  # the threshold (3000) comes from META
    assert out.params["min_support"] == 3000
    assert sorted(out.winners) == sorted(inst.selected or ())
    statuses = {r["project"]: r["status"] for r in out.rounds}
    assert {p for p, s in statuses.items() if s == "funded"} == set(inst.selected or ())
    assert "below-threshold" in statuses.values() and "does-not-fit" in statuses.values()
    # without the threshold, more projects get money
    assert len(greedy(inst, min_support=0).winners) > len(out.winners)
    out.to_json()


# -- explanations ----------------------------------------------------------------------


def example() -> PBInstance:
    # 10 voters, budget 100: the "a" camp (6) and the "b" camp (4).
    return PBInstance(
        projects=("a1", "a2", "b1", "b2", "c"),
        costs=(30, 30, 30, 30, 10),
        budget=100,
        ballots=((0, 1), (2, 3), (0, 1, 4), ()),
        multiplicities=(5, 4, 1, 0 + 1),
    )


def test_mes_explanation() -> None:
    out = mes(example(), completion="none")
    # 11 voters, 100/11 each: the a-camp (6 voters, 54.5) affords one a-project, the b-camp (36.4) one b-project
    assert len(out.winners) == 2 and {w[0] for w in out.winners} == {"a", "b"}
    first = out.rounds[0]
    assert first["phase"] == "equal-shares" and first["funded"] in ("a1", "a2")
    assert first["rho"] == "5"  # 30 / 6 supporters
    assert first["effective_votes"] == "6"
    assert first["payments"] == [{"voters": 6, "each": "5", "each_approx": "5.00"}]
    assert out.summary["endowment"] == "100/11"
    projects = out.summary["projects"]
    assert projects["c"]["funded"] is False
    # the b-camp broke a tie between b1 and b2: most support, cheapest, then the lot
    lots = [t for t in out.tie_breaks if t["tied"] == ["b1", "b2"]]
    assert lots and lots[0]["method"] == "lot" and lots[0]["seed_source"] == "ballot-digest"
    assert out.summary["money_left"] == 40
    assert [t["tied"] for t in out.tie_breaks] == [["a1", "a2"], ["b1", "b2"]]
    unfunded = [p for p, row in projects.items() if not row["funded"]]
    assert all(projects[p]["why"] in ("not-enough-money-among-supporters", "no-support") for p in unfunded)
    out.to_json()


def test_mes_capped_payments_and_completion() -> None:
    # Voter 1 alone supports the costly x; both support y.
    inst = PBInstance(("x", "y", "z"), (8, 6, 4), 12, ((0, 1), (1, 2)), (1, 1))
    out = mes(inst, completion="greedy")
    assert out.rounds[0]["funded"] == "y" and out.rounds[0]["rho"] == "3"
    # voter 2 has 3 left after y: too little for z alone
    assert out.summary["equal_shares_funded"] == ["y"]
    fill = [(r["project"], r["status"]) for r in out.rounds if r["phase"] == "greedy-completion"]
    assert fill == [("z", "funded"), ("x", "does-not-fit")]  # equal support: the cheaper first
    assert out.winners == ("y", "z")
    assert out.summary["projects"]["x"]["why"] == "does-not-fit"
    assert out.summary["projects"]["z"]["by"] == "greedy-completion"
    # z: voter 2 has 3 left, pays all of it... and cannot: 3 < 4
    inst2 = PBInstance(("y", "z"), (6, 4), 12, ((0,), (0, 1)), (1, 1))
    out2 = mes(inst2, completion="none")
    assert out2.winners == ("y",)
    assert out2.summary["projects"]["z"]["why"] == "not-enough-money-among-supporters"
    assert out2.summary["projects"]["z"]["money_behind"] == "3"


def test_capped_voters_pay_all_they_have() -> None:
    # Three voters with 4 each, all for x (cost 9); the third also wants w (cost 2).
    inst = PBInstance(("x", "w"), (9, 2), 12, ((0,), (0, 1)), (2, 1))
    out = mes(inst, completion="none")  # cost utility: x first, 1/3 of its cost each
    assert out.winners == ("x",)
    assert out.rounds[0]["rho"] == "3"
    assert out.summary["projects"]["w"]["money_behind"] == "1"
    # cardinality utility: the cheapest share first, w (2) before x (3)
    card = mes(inst, completion="none", utility="cardinality")
    assert card.winners == ("w", "x")
    second = card.rounds[1]
    assert second["rho"] == "7/2" and second["effective_votes"] == "18/7"
    assert second["payments"] == [
        {"voters": 2, "each": "7/2", "each_approx": "3.50"},
        {"voters": 1, "paid_all_they_had": True, "total": "2", "total_approx": "2.00"},
    ]
    assert second["voters_money_left"] == "1"


def test_greedy_explanation_and_cardinality() -> None:
    inst = example()
    out = greedy(inst)
    assert [r["status"] for r in out.rounds][:3] == ["funded", "funded", "funded"]
    assert out.rounds[3]["status"] == "does-not-fit" and out.rounds[3]["money_before"] == 10
    assert out.summary["money_left"] == 0  # c (cost 10) still fits
    # per unit of cost: a (6/30) before b (4/30) before c (1/10); the second b no longer fits
    card = greedy(inst, utility="cardinality")
    assert set(card.winners[:2]) == {"a1", "a2"} and card.winners[3] == "c" and len(card.winners) == 4
    assert greedy(inst, min_support=5).rounds[-1]["status"] == "below-threshold"


def test_parameters_checked() -> None:
    inst = example()
    with pytest.raises(ParameterError):
        mes(inst, utility="happiness")
    with pytest.raises(ParameterError):
        mes(inst, completion="add2")
    with pytest.raises(ParameterError):
        mes(inst, comparison="votes")
    with pytest.raises(ParameterError):
        greedy(inst, budget=-1)
    with pytest.raises(ParameterError):
        greedy(inst, min_support=-2)


def test_seeded_ties() -> None:
    inst = PBInstance(("p", "q", "r"), (5, 5, 5), 5, ((0, 1, 2),), (3,))
    winners = {mes(inst, completion="none", tie_break=TieBreak(str(seed))).winners for seed in range(12)}
    assert len(winners) > 1  # the lot decides, and depends on the published seed
    out = mes(inst, completion="none", tie_break=TieBreak("round-7"))
    (record,) = out.tie_breaks
    assert record["seed_source"] == "published" and record["lot_seed"] == "round-7"
    assert out.winners == (TieBreak("round-7").order(["p", "q", "r"])[0],)
    assert tie_order(inst, TieBreak("round-7"))[0] == out.winners[0]
    # support decides before cost, cost before the lot
    inst2 = PBInstance(("p", "q", "r"), (4, 5, 4), 5, ((0,), (1,), (2,), (1, 2)), (1, 1, 1, 1))
    assert tie_order(inst2) == ["r", "q", "p"]


def test_from_profile_counts() -> None:
    profile = Profile.from_rankings(["park", "bench", "library"], [["park", "library"], ["bench"], ["library", "park"]])
    inst = PBInstance.from_profile(profile, {"park": 50, "bench": 30, "library": 40}, 90)
    out = mes(inst)
    # 30 each: park and library tie (half their cost per supporter), the cheaper library wins;
    # then park is out of reach (its supporters have 10 each) until raising the endowment to 45
    # would overspend, and bench's lone supporter pays for it.
    assert out.winners == ("library", "bench")
    assert out.rounds[0]["funded"] == "library" and out.tie_breaks[0]["method"] == "support-then-cost"
    assert out.summary["projects"]["park"]["why"] == "does-not-fit"
    assert greedy(inst).winners == ("library", "park")


def test_points_ballots() -> None:
    inst = PBInstance(("x", "y", "z"), (6, 6, 6), 12, ((0, 1), (1, 2), (2,)), (1, 1, 1),
                      vote_type="cumulative", points=((3, 1), (2, 2), (4,)))
    assert inst.support() == (3, 3, 6)
    out = mes(inst, completion="none")
    assert out.winners[0] == "z"
    assert "points" in out.rounds[0]["payments"][0]
    assert greedy(inst).winners[0] == "z"
    out.to_json()


# -- invariants -------------------------------------------------------------------------


@st.composite
def instances(draw: st.DrawFn, points: bool = False) -> PBInstance:
    m = draw(st.integers(1, 6))
    costs = tuple(draw(st.lists(st.integers(0, 12), min_size=m, max_size=m)))
    budget = draw(st.integers(0, 30))
    ballots = draw(st.lists(st.sets(st.integers(0, m - 1)).map(lambda s: tuple(sorted(s))), min_size=0, max_size=7))
    mults = tuple(draw(st.integers(1, 3)) for _ in ballots)
    if points:
        pts = tuple(tuple(draw(st.integers(1, 3)) for _ in b) for b in ballots)
        return PBInstance(tuple(f"p{i}" for i in range(m)), costs, budget, tuple(ballots), mults,
                          vote_type="cumulative", points=pts)
    return PBInstance(tuple(f"p{i}" for i in range(m)), costs, budget, tuple(ballots), mults)


def shuffled(inst: PBInstance, data: st.DataObject) -> PBInstance:
    """The same ballots listed in another order, some multiplicities split into separate entries."""
    rows = []
    for i, (b, k) in enumerate(zip(inst.ballots, inst.multiplicities)):
        extra = inst.points[i] if inst.points else None
        split = data.draw(st.integers(1, k))
        rows += [(b, extra, 1)] * (split - 1) + [(b, extra, k - split + 1)]
    rows = data.draw(st.permutations(rows))
    return PBInstance(
        inst.projects, inst.costs, inst.budget, tuple(r[0] for r in rows), tuple(r[2] for r in rows),
        vote_type=inst.vote_type, points=tuple(r[1] for r in rows) if inst.points else (),
    )


def cost_of(inst: PBInstance, winners: tuple[str, ...]) -> int:
    return sum(inst.costs[inst.projects.index(w)] for w in winners)


RULES = [
    lambda i: greedy(i),
    lambda i: greedy(i, utility="cardinality"),
    lambda i: mes(i, completion="none"),
    lambda i: mes(i, completion="add1"),
    lambda i: mes(i, completion="add1-greedy", comparison=True),
    lambda i: mes(i, completion="add1-greedy", utility="cardinality", add1_start="exact"),
    lambda i: mes(i, completion="greedy", comparison="exclusion"),
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inst=st.one_of(instances(), instances(points=True)), data=st.data())
def test_within_budget_and_order_free(inst: PBInstance, data: st.DataObject) -> None:
    other = shuffled(inst, data)
    for rule in RULES:
        out = rule(inst)
        assert cost_of(inst, out.winners) <= inst.budget
        assert len(set(out.winners)) == len(out.winners)
        assert out.summary["money_left"] == inst.budget - cost_of(inst, out.winners)
        assert rule(other).to_json() == out.to_json()


@settings(max_examples=40, deadline=None)
@given(inst=instances())
def test_payments_add_up(inst: PBInstance) -> None:
    out = mes(inst, completion="none")
    for r in out.rounds:
        if r.get("funded") and r["cost"]:
            total = Fraction(0)
            for p in r["payments"]:
                total += Fraction(p["total"]) if p.get("paid_all_they_had") else p["voters"] * Fraction(p["each"])
            assert total == r["cost"]
            assert Fraction(r["money_behind"]) >= r["cost"]


def test_heavy_multiplicities() -> None:
    # Weighted ballots (e.g. from a govern Profile) are not expanded voter by voter.
    light = PBInstance(("x", "y", "z"), (50, 30, 30), 100, ((0, 1), (1, 2), (2,)), (3, 2, 1))
    heavy = PBInstance(("x", "y", "z"), (50, 30, 30), 100, ((0, 1), (1, 2), (2,)), (3000, 2000, 1000))
    for completion in ("none", "add1-greedy"):
        a, b = mes(light, completion=completion), mes(heavy, completion=completion)
        assert a.winners == b.winners
    a, b = mes(light, completion="none"), mes(heavy, completion="none")
    rho_a = [Fraction(r["rho"]) for r in a.rounds if r.get("rho")]
    rho_b = [Fraction(r["rho"]) for r in b.rounds if r.get("rho")]
    assert rho_a == [1000 * r for r in rho_b]  # a thousand times the voters, each paying a thousandth


def test_real_ballot_order_does_not_matter(data_dir: Path) -> None:
    inst = real(data_dir, "Netherlands_Assen_2024.pb")
    order = sorted(range(len(inst.ballots)), key=lambda i: (len(inst.ballots[i]), inst.ballots[i]), reverse=True)
    flipped = PBInstance(
        inst.projects, inst.costs, inst.budget,
        tuple(inst.ballots[i] for i in order), tuple(inst.multiplicities[i] for i in order),
    )
    assert mes(flipped, comparison=True).to_json() == mes(inst, comparison=True).to_json()
    assert greedy(flipped).to_json() == greedy(inst).to_json()


def test_outcome_params_recount_to_the_same_bytes() -> None:
    # The audit verifier reruns a rule from the outcome's own params (govern.tally.rules.run).
    from govern.tally.rules import run

    profile = Profile.from_rankings(["park", "bench", "library", "mural"],
                                    [["park", "library"], ["bench"], ["library", "park"], ["mural", "bench"]])
    costs = {"park": 50, "bench": 30, "library": 40, "mural": 20}
    inst = PBInstance.from_profile(profile, costs, 90)
    for out in (
        mes(inst, tie_break=TieBreak("s1")),
        mes(inst, completion="none", utility="cardinality", comparison=True),
        greedy(inst, min_support=2),
        greedy(inst),
    ):
        again = run(out.rule, profile, out.to_dict()["params"], costs=costs, budget=90)
        assert again.to_json() == out.to_json()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inst=instances(), utility=st.sampled_from(["cost", "cardinality"]))
def test_numpy_and_pure_counts_agree(inst: PBInstance, utility: str) -> None:
    from govern.tally import budgeting

    saved = budgeting.NUMPY_MIN_VOTERS
    outs = []
    try:
        for threshold in (0, 10**18):  # numpy always, numpy never
            budgeting.NUMPY_MIN_VOTERS = threshold
            outs.append([mes(inst, utility=utility, completion=c).to_json() for c in ("none", "add1-greedy")])
    finally:
        budgeting.NUMPY_MIN_VOTERS = saved
    assert outs[0] == outs[1]


def test_numpy_and_pure_counts_agree_on_real_data(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from govern.tally import budgeting

    inst = real(data_dir, "Poland_Wieliczka_2023_Green_Budget.pb")
    fast = mes(inst, completion="none", comparison=True).to_json()
    monkeypatch.setattr(budgeting, "NUMPY_MIN_VOTERS", 10**18)
    assert mes(inst, completion="none", comparison=True).to_json() == fast
