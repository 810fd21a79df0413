"""Schulze, ranked pairs, Copeland and Borda (govern.tally.condorcet).

Checked against pref_voting (an independent implementation) on thousands of random
profiles, and against invariants with hypothesis. Definitional differences, and how the
comparison bridges them:

* Truncated and tied ballots: we read an unranked candidate as below all ranked ones and
  level with the other unranked. pref_voting's ProfileWithTies does this only after
  ``use_extended_strict_preference()``, which every comparison calls.
* pref_voting returns the *set* of winners; we return one, chosen by the seeded
  tie-break. Schulze and Copeland: our first tier (``summary["ranking"][0]``) must equal
  their set exactly. Ranked pairs: their set is every winner under *some* order of the
  pairs with equal margins, and they also lock pairs with margin 0 (both directions); we
  never lock a 0-margin pair and take one seeded order. Our winner must be in their set,
  and equal to it when it has one element.
* Borda: we compare scores on every profile with ``ProfileWithTies.borda_scores()``
  (symmetric Borda: ranked below minus ranked above, with extended preference), which our
  averaged doubled points equal up to the constant ``(n - 1) * total_weight``; on complete
  strict profiles, also the winners of pref_voting's ``borda``. We run it on
  ProfileWithTies, not on pref_voting's linear ``Profile``: that one compiles numba code
  on first use (over ten seconds here), which would eat the suite's time budget.
  ``bench/_condorcet_check.py`` compares with the linear ``Profile``'s positional Borda.
"""

from __future__ import annotations

import math
import random
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pref_voting.c1_methods import copeland as pv_copeland
from pref_voting.margin_based_methods import beat_path as pv_beat_path
from pref_voting.margin_based_methods import ranked_pairs as pv_ranked_pairs
from pref_voting.profiles_with_ties import ProfileWithTies
from pref_voting.scoring_methods import borda as pv_borda

from govern.tally import Profile, TieBreak
from govern.tally.condorcet import (
    borda,
    copeland,
    pairwise_matrix,
    ranked_pairs,
    schulze,
)
from govern.tally.profile import ProfileError
from govern.tally.rules import run

RULES = {"schulze": schulze, "ranked-pairs": ranked_pairs, "copeland": copeland, "borda": borda}
NAMES = [f"c{i}" for i in range(12)]


# --------------------------------------------------------------------------- helpers


def random_ballots(rng: random.Random, k: int, n: int, *, truncate: bool, ties: bool) -> list[list[list[int]]]:
    ballots = []
    for _ in range(n):
        order = list(range(k))
        rng.shuffle(order)
        if truncate:
            order = order[: rng.randint(0, k)]
        ranks: list[list[int]] = []
        for c in order:
            if ties and ranks and rng.random() < 0.3:
                ranks[-1].append(c)
            else:
                ranks.append([c])
        ballots.append(ranks)
    return ballots


def make_profile(k: int, ballots, weights=None, withdrawn=()) -> Profile:
    merged: dict = {}
    for b, w in zip(ballots, weights or [1] * len(ballots)):
        key = tuple(tuple(r) for r in b)
        merged[key] = merged.get(key, 0) + w
    return Profile(tuple(NAMES[:k]), tuple(merged), tuple(merged.values()), withdrawn=frozenset(withdrawn))


def to_pref_voting(profile: Profile) -> ProfileWithTies:
    rankings = [{c: level + 1 for level, rank in enumerate(b) for c in rank} for b in profile.ballots]
    pv = ProfileWithTies(rankings, rcounts=list(profile.weights), candidates=list(range(len(profile.candidates))))
    pv.use_extended_strict_preference()
    return pv


def names_of(profile: Profile, indices) -> set[str]:
    return {profile.candidates[i] for i in indices}


def margin(d, x, y) -> int:
    return d[x][y] - d[y][x]


def pv_rp_winners(pv, k: int) -> list[int] | None:
    """pref_voting's ranked pairs winners, if they can be enumerated in reasonable time."""
    # 'basic' enumerates every order of equal-margin edges (0-margin edges both ways);
    # 'from_stacks' tries every order of the candidates. Take the cheaper.
    groups = Counter(pv.margin(x, y) for x in range(k) for y in range(k) if x != y and pv.margin(x, y) >= 0)
    if math.prod(math.factorial(v) for v in groups.values()) <= 500:
        return pv_ranked_pairs(pv)
    if k <= 5:
        return pv_ranked_pairs(pv, algorithm="from_stacks")
    return None


def check_against_pref_voting(profile: Profile, tie_break: TieBreak) -> None:
    k = len(profile.candidates)
    pv = to_pref_voting(profile)
    w = profile.total_weight

    s = schulze(profile, tie_break=tie_break)
    expected = names_of(profile, pv_beat_path(pv))
    assert set(s.summary["ranking"][0]) == expected
    assert s.winners[0] in expected

    c = copeland(profile, tie_break=tie_break)
    expected = names_of(profile, pv_copeland(pv))
    assert set(c.summary["ranking"][0]) == expected
    assert c.winners[0] in expected

    b = borda(profile, tie_break=tie_break)
    symmetric = pv.borda_scores()
    doubled = b.rounds[1]["points_doubled"]
    for i, name in enumerate(profile.candidates):
        assert doubled[name] == symmetric[i] + (k - 1) * w
    if profile.is_strict() and all(sum(map(len, bal)) == k for bal in profile.ballots):
        assert set(b.summary["ranking"][0]) == names_of(profile, pv_borda(pv))

    rp_expected = pv_rp_winners(pv, k)
    if rp_expected is not None:
        r = ranked_pairs(profile, tie_break=tie_break)
        expected = names_of(profile, rp_expected)
        assert r.winners[0] in expected
        if len(expected) == 1:
            assert r.winners == tuple(expected)


# --------------------------------------------------------------------------- pref_voting


@pytest.mark.parametrize(
    ("truncate", "ties", "seed"),
    [(False, False, 1), (True, False, 2), (True, True, 3), (False, True, 4)],
)
def test_matches_pref_voting_on_random_profiles(truncate: bool, ties: bool, seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(600):
        k = rng.randint(1, 5)
        n = rng.randint(0, 12)
        ballots = random_ballots(rng, k, n, truncate=truncate, ties=ties)
        weights = [rng.choice((1, 1, 1, 2, 3, 7)) for _ in ballots]
        check_against_pref_voting(make_profile(k, ballots, weights), TieBreak(str(rng.random())))


def test_matches_pref_voting_with_more_candidates_and_voters() -> None:
    rng = random.Random(5)
    for i in range(150):
        k = rng.randint(6, 8)
        ballots = random_ballots(rng, k, rng.randint(1, 60), truncate=i % 2 == 1, ties=i % 3 == 2)
        check_against_pref_voting(make_profile(k, ballots), TieBreak("more"))


# --------------------------------------------------------------------------- fixed examples


def schulze_example() -> Profile:
    # The 45-voter example from Schulze's paper (and the Wikipedia article on the method).
    groups = [
        (5, "ACBED"), (5, "ADECB"), (8, "BEDAC"), (3, "CABED"),
        (7, "CAEBD"), (2, "CBADE"), (7, "DCEBA"), (8, "EBADC"),
    ]  # fmt: skip
    rankings = [list(r) for count, r in groups for _ in range(count)]
    return Profile.from_rankings(list("ABCDE"), rankings)


def test_schulze_paper_example() -> None:
    out = schulze(schulze_example())
    assert out.rounds[0]["d"] == [
        [0, 20, 26, 30, 22],
        [25, 0, 16, 33, 18],
        [19, 29, 0, 17, 24],
        [15, 12, 28, 0, 14],
        [23, 27, 21, 31, 0],
    ]
    # Strongest paths with margins as link strengths (the paper's own table uses
    # winning votes; the order it finds, E > A > C > B > D, is the same).
    assert out.rounds[1]["p"] == [
        [0, 11, 11, 15, 3],
        [5, 0, 11, 21, 3],
        [5, 13, 0, 13, 3],
        [5, 11, 11, 0, 3],
        [5, 11, 11, 17, 0],
    ]
    assert out.winners == ("E",)
    assert out.summary["ranking"] == [["E"], ["A"], ["C"], ["B"], ["D"]]
    assert out.tie_breaks == ()


def test_ranked_pairs_locks_and_skips() -> None:
    # A cycle a>b (margin 5), b>c (3), c>a (1): the weakest pair is skipped.
    rankings = [["a", "b", "c"]] * 4 + [["b", "c", "a"]] * 3 + [["c", "a", "b"]] * 2
    out = ranked_pairs(Profile.from_rankings(["a", "b", "c"], rankings))
    by_pair = {(p["winner"], p["loser"]): p for p in out.rounds[1]["pairs"]}
    assert by_pair[("a", "b")]["margin"] == 3 and by_pair[("a", "b")]["locked"]
    assert by_pair[("b", "c")]["margin"] == 5 and by_pair[("b", "c")]["locked"]
    assert by_pair[("c", "a")]["margin"] == 1 and not by_pair[("c", "a")]["locked"]
    assert [p["margin"] for p in out.rounds[1]["pairs"]] == [5, 3, 1]
    assert out.winners == ("a",)
    assert out.summary["ranking"] == [["a"], ["b"], ["c"]]


def test_ranked_pairs_equal_margins_follow_the_seeded_order() -> None:
    # A perfect 3-cycle: every pair has margin 1, so the seeded order decides which pair
    # is skipped, and with it the winner.
    rankings = [["a", "b", "c"], ["b", "c", "a"], ["c", "a", "b"]]
    profile = Profile.from_rankings(["a", "b", "c"], rankings)
    winners = set()
    for seed in map(str, range(12)):
        tb = TieBreak(seed)
        out = ranked_pairs(profile, tie_break=tb)
        pos = {name: i for i, name in enumerate(tb.order(["a", "b", "c"]))}
        considered = [[p["winner"], p["loser"]] for p in out.rounds[1]["pairs"]]
        # Equal margins: the winner first in the seeded order goes first (then, for the
        # same winner, the loser last in it).
        assert considered == sorted(considered, key=lambda wl: (pos[wl[0]], -pos[wl[1]]))
        # The third pair would close the cycle.
        assert [p["locked"] for p in out.rounds[1]["pairs"]] == [True, True, False]
        losers = {p["loser"] for p in out.rounds[1]["pairs"] if p["locked"]}
        assert out.winners == tuple({"a", "b", "c"} - losers)
        (record,) = out.tie_breaks
        assert record["method"] == "lot" and record["lot_seed"] == seed and record["seed_source"] == "published"
        assert record["order"] == tb.order(["a", "b", "c"])
        assert record["pair_order"] == considered
        assert record["tied"] == [["a", "b"], ["b", "c"], ["c", "a"]]
        winners.add(out.winners[0])
    assert len(winners) > 1  # the seed, not the input order, decides


def test_copeland_and_borda_on_a_truncated_profile() -> None:
    # n = 4; ballots: a>b (x2), c (x1), b=c>a (x1); d never ranked.
    profile = Profile.from_rankings(
        ["a", "b", "c", "d"], [["a", "b"], ["a", "b"], ["c"], [("b", "c"), "a"]]
    )
    out = borda(profile)
    # a>b: a 3, b 2, c=d share 1,0 -> .5 each; doubled 6,4,1,1 (x2 ballots)
    # c: c 3, a,b,d share 2,1,0 -> 1 each; doubled 2,2,6,2
    # b=c>a: b,c share 3,2 -> 2.5; a 1; d 0; doubled 2,5,5,0
    assert out.rounds[1]["points_doubled"] == {"a": 16, "b": 15, "c": 13, "d": 4}
    assert out.summary["points"] == {"a": "8", "b": "7.5", "c": "6.5", "d": "2"}
    assert out.winners == ("a",)
    d = out.rounds[0]["d"]
    assert d[0] == [0, 2, 2, 3]  # a over b, c, d
    cop = copeland(profile)
    # a beats b 2-1 and d 3-0, ties c 2-2; b beats c 2-1 and d 3-0; c beats d 2-0.
    assert cop.rounds[1]["wins"] == {"a": 2, "b": 2, "c": 1, "d": 0}
    assert cop.rounds[1]["ties"] == {"a": 1, "b": 0, "c": 1, "d": 0}
    assert cop.rounds[1]["points_doubled"] == {"a": 5, "b": 4, "c": 3, "d": 0}
    assert cop.summary["points"]["a"] == "2.5"


def test_no_ballots_is_a_recorded_tie() -> None:
    profile = Profile(("x", "y", "z"), (), ())
    for rule in RULES.values():
        tb = TieBreak("empty")
        out = rule(profile, tie_break=tb)
        assert out.winners == (tb.order(["x", "y", "z"])[0],)
        winner_records = [t for t in out.tie_breaks if "chosen" in t]
        assert len(winner_records) == 1
        assert winner_records[0]["tied"] == ["x", "y", "z"]
        assert winner_records[0]["chosen"] == out.winners[0]
        out.to_json()


def test_single_candidate_and_nobody_left() -> None:
    profile = Profile(("only",), (((0,),),), (3,))
    for rule in RULES.values():
        assert rule(profile).winners == ("only",)
    gone = Profile(("only",), (((0,),),), (3,), withdrawn=frozenset({0}))
    for rule in RULES.values():
        with pytest.raises(ProfileError):
            rule(gone)


# --------------------------------------------------------------------------- invariants (hypothesis)


@st.composite
def profiles(draw, max_k: int = 6, allow_withdrawn: bool = True):
    k = draw(st.integers(1, max_k))
    ballots = []
    for _ in range(draw(st.integers(0, 10))):
        order = draw(st.permutations(range(k)))
        order = order[: draw(st.integers(0, k))]
        cuts = draw(st.lists(st.booleans(), min_size=len(order), max_size=len(order)))
        ranks: list[list[int]] = []
        for c, tie in zip(order, cuts):
            if tie and ranks:
                ranks[-1].append(c)
            else:
                ranks.append([c])
        ballots.append(ranks)
    weights = draw(st.lists(st.integers(1, 5), min_size=len(ballots), max_size=len(ballots)))
    withdrawn = draw(st.sets(st.integers(0, k - 1), max_size=k - 1)) if allow_withdrawn else set()
    return make_profile(k, ballots, weights, withdrawn)


FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(profiles(), st.randoms(use_true_random=False))
def test_ballot_order_does_not_change_the_bytes(profile: Profile, rnd: random.Random) -> None:
    idx = list(range(len(profile.ballots)))
    rnd.shuffle(idx)
    shuffled = Profile(
        profile.candidates,
        tuple(profile.ballots[i] for i in idx),
        tuple(profile.weights[i] for i in idx),
        withdrawn=profile.withdrawn,
    )
    # Split one weighted ballot into single ballots: the count must not see the difference.
    unmerged_b, unmerged_w = [], []
    for b, w in zip(shuffled.ballots, shuffled.weights):
        unmerged_b.extend([b] * w)
        unmerged_w.extend([1] * w)
    unmerged = Profile(profile.candidates, tuple(unmerged_b), tuple(unmerged_w), withdrawn=profile.withdrawn)
    for rule in RULES.values():
        for tb in (TieBreak("order"), TieBreak()):
            expected = rule(profile, tie_break=tb).to_json()
            assert rule(shuffled, tie_break=tb).to_json() == expected
            assert rule(unmerged, tie_break=tb).to_json() == expected


@FAST
@given(profiles())
def test_condorcet_winner_wins(profile: Profile) -> None:
    d = pairwise_matrix(profile)
    active = [c for c in range(len(profile.candidates)) if c not in profile.withdrawn]
    cw = [x for x in active if all(margin(d, x, y) > 0 for y in active if y != x)]
    for rule in (schulze, ranked_pairs, copeland):
        out = rule(profile, tie_break=TieBreak("cw"))
        if cw:
            assert out.winners == (profile.candidates[cw[0]],)
            assert out.summary["ranking"][0] == [profile.candidates[cw[0]]]
            assert not any("chosen" in t for t in out.tie_breaks)


@FAST
@given(profiles(), st.text(max_size=8))
def test_ties_for_the_win_are_broken_by_the_seed_and_recorded(profile: Profile, seed: str) -> None:
    tb = TieBreak(seed)
    for rule in RULES.values():
        out = rule(profile, tie_break=tb)
        first = out.summary["ranking"][0]
        assert out.winners[0] in first
        records = [t for t in out.tie_breaks if "chosen" in t]
        if len(first) == 1:
            assert records == []
        else:
            (record,) = records
            assert record["tied"] == sorted(first)
            assert record["chosen"] == out.winners[0] == tb.order(first)[0]
            assert record["lot_seed"] == seed and record["method"] == "lot"
        placed = [n for tier in out.summary["ranking"] for n in tier]
        standing = [n for i, n in enumerate(profile.candidates) if i not in profile.withdrawn]
        assert sorted(placed) == sorted(standing)
        out.to_json()  # canonical: no floats anywhere


@FAST
@given(profiles())
def test_withdrawn_is_the_same_as_never_standing(profile: Profile) -> None:
    keep = [c for c in range(len(profile.candidates)) if c not in profile.withdrawn]
    new_index = {c: i for i, c in enumerate(keep)}
    merged: dict = {}
    for b, w in zip(profile.ballots, profile.weights):
        nb = tuple(r for r in (tuple(new_index[c] for c in rank if c in new_index) for rank in b) if r)
        merged[nb] = merged.get(nb, 0) + w
    reduced = Profile(tuple(profile.candidates[c] for c in keep), tuple(merged), tuple(merged.values()))
    for rule in RULES.values():
        a = rule(profile, tie_break=TieBreak("w")).to_dict()
        b = rule(reduced, tie_break=TieBreak("w")).to_dict()
        assert a["winners"] == b["winners"]
        assert a["rounds"] == b["rounds"]
        assert a["tie_breaks"] == b["tie_breaks"]
        assert a["summary"]["ranking"] == b["summary"]["ranking"]


def reference_borda_doubled(profile: Profile) -> dict[str, int]:
    """Doubled averaged Borda points straight from the definition, ballot by ballot."""
    standing = [c for c in range(len(profile.candidates)) if c not in profile.withdrawn]
    n = len(standing)
    pts = dict.fromkeys(standing, 0)
    for ballot, w in zip(profile.ballots, profile.weights):
        ranks = [r for r in ([c for c in rank if c in pts] for rank in ballot) if r]
        unranked = [c for c in standing if all(c not in r for r in ranks)]
        if unranked:
            ranks.append(unranked)  # the unranked share the bottom positions
        above = 0
        for rank in ranks:
            # positions above .. above+t-1 are worth n-1-above .. n-above-t; doubled average:
            doubled = sum(2 * (n - 1 - p) for p in range(above, above + len(rank))) // len(rank)
            for c in rank:
                pts[c] += w * doubled
            above += len(rank)
    return {profile.candidates[c]: v for c, v in pts.items()}


@FAST
@given(profiles())
def test_borda_follows_the_per_ballot_definition_and_the_sum_of_margins(profile: Profile) -> None:
    out = borda(profile)
    assert out.rounds[1]["points_doubled"] == reference_borda_doubled(profile)
    d = pairwise_matrix(profile)
    active = [c for c in range(len(profile.candidates)) if c not in profile.withdrawn]
    for x in active:
        expected = (len(active) - 1) * profile.total_weight + sum(margin(d, x, y) for y in active)
        assert out.rounds[1]["points_doubled"][profile.candidates[x]] == expected


def naive_pairwise(profile: Profile) -> list[list[int]]:
    """d[x][y] straight from the definition, pair by pair."""
    k = len(profile.candidates)
    d = [[0] * k for _ in range(k)]
    for b, w in zip(profile.ballots, profile.weights):
        level = {c: i for i, rank in enumerate(b) for c in rank if c not in profile.withdrawn}
        for x in level:
            for y in range(k):
                if y != x and y not in profile.withdrawn and level[x] < level.get(y, len(b)):
                    d[x][y] += w
    return d


@FAST
@given(profiles())
def test_pairwise_counts_agree_three_ways(profile: Profile) -> None:
    expected = naive_pairwise(profile)
    assert pairwise_matrix(profile, use_numpy=False) == expected
    assert pairwise_matrix(profile, use_numpy=True) == expected


def test_pairwise_numpy_and_python_agree_on_a_large_weighted_profile() -> None:
    rng = random.Random(7)
    k = 9
    ballots = random_ballots(rng, k, 3000, truncate=True, ties=True)
    weights = [rng.randint(1, 10**6) for _ in ballots]
    profile = make_profile(k, ballots, weights, withdrawn={3})
    assert pairwise_matrix(profile, use_numpy=True) == pairwise_matrix(profile, use_numpy=False)
    assert pairwise_matrix(profile) == naive_pairwise(profile)
    # Large weights beyond int64 take the exact pure-Python path.
    heavy = Profile(profile.candidates, profile.ballots, tuple(w * 2**62 for w in profile.weights))
    assert pairwise_matrix(heavy) == [[v * 2**62 for v in row] for row in naive_pairwise(
        Profile(profile.candidates, profile.ballots, profile.weights)
    )]


def test_without_a_seed_the_lot_uses_the_ballots() -> None:
    profile = Profile.from_rankings(["x", "y"], [["x", "y"], ["y", "x"]])
    for name, rule in RULES.items():
        out = rule(profile)
        (record,) = [t for t in out.tie_breaks if "chosen" in t]
        assert record["seed_source"] == "ballot-digest"
        assert record["lot_seed"] == "ballots:" + profile.digest()
        assert out.winners == (TieBreak().order(["x", "y"], record["lot_seed"])[0],)
        # The recorded params recount to the same bytes (what the audit verifier does).
        assert run(name, profile, out.params).to_json() == out.to_json()


@FAST
@given(profiles(allow_withdrawn=False), st.sampled_from([None, "s"]))
def test_recount_from_recorded_params(profile: Profile, seed: str | None) -> None:
    for name, rule in RULES.items():
        out = rule(profile, tie_break=TieBreak(seed))
        assert out.params == {"tie_break": seed}
        assert run(name, profile, out.params).to_json() == out.to_json()


def test_large_profiles_from_orders_take_the_matrix_path() -> None:
    rng = random.Random(8)
    k = 8
    for truncate in (False, True):
        orders = []
        for _ in range(4000):
            order = rng.sample(range(k), k)
            orders.append(order[: rng.randint(1, k)] if truncate else order)
        fast = Profile.from_orders(NAMES[:k], orders)
        assert fast.order_matrix() is not None
        plain = Profile(fast.candidates, tuple(tuple((c,) for c in o) for o in fast.strict_orders()), fast.weights)
        expected = naive_pairwise(plain)
        assert pairwise_matrix(fast) == expected
        assert pairwise_matrix(fast, use_numpy=False) == expected
        for rule in RULES.values():
            assert rule(fast, tie_break=TieBreak("m")).to_json() == rule(plain, tie_break=TieBreak("m")).to_json()


def test_real_election_matches_pref_voting(data_dir) -> None:
    # NSW local government election, Camden 2019 (PrefLib 00058-00000106): 62,772
    # truncated strict ballots, 3,132 distinct, 7 candidates.
    from govern.tally.formats import read_profile

    path = data_dir / "preflib" / "nswla_00058-00000106_camden_2019.soi"
    assert path.exists(), f"{path} is missing from the shared data"  # data_dir exists, so this file must too
    profile = read_profile(path)
    assert profile.total_weight == 62772
    check_against_pref_voting(profile, TieBreak("camden"))
    for use_numpy in (True, False):
        assert pairwise_matrix(profile, use_numpy=use_numpy) == naive_pairwise(profile)


@pytest.mark.parametrize("k", [126, 127, 200])
def test_pairwise_numpy_with_many_candidates(k: int) -> None:
    # The numpy count stores rank levels in the narrowest integer type that holds k.
    rng = random.Random(k)
    ballots = random_ballots(rng, k, 40, truncate=True, ties=True)
    profile = Profile(tuple(f"p{i}" for i in range(k)), tuple(tuple(tuple(r) for r in b) for b in ballots), (1,) * 40)
    assert pairwise_matrix(profile, use_numpy=True) == pairwise_matrix(profile, use_numpy=False)
