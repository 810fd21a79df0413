"""IRV: against pref_voting on thousands of random truncated profiles, and invariants."""

import importlib
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govern.tally import Profile, ProfileError, TieBreak, irv
from govern.tally.formats import profile_to_document, read_profile
from govern.tally.rules import recount

from tally_strategies import shuffled, strict_profiles

irv_module = importlib.import_module("govern.tally.irv")


def _random_profile(rng: random.Random) -> Profile:
    n = rng.randint(2, 7)
    voters = rng.randint(1, 60)
    rankings = []
    for _ in range(voters):
        order = rng.sample(range(n), n)
        rankings.append(order[: rng.randint(1, n)])  # truncated, never empty
    return Profile.from_orders([f"c{i}" for i in range(n)], rankings)


def test_irv_agrees_with_pref_voting_on_random_truncated_profiles():
    """Compare with pref_voting's instant_runoff where the tie conventions coincide.

    pref_voting eliminates every candidate tied for the fewest votes at once; we
    eliminate one, chosen by look-back and lot. So only profiles whose count had
    no tie for elimination (no recorded tie_breaks) are compared; there the two
    rules are the same algorithm, and must agree exactly.
    """
    from pref_voting.profiles_with_ties import ProfileWithTies
    from pref_voting.voting_methods import instant_runoff

    rng = random.Random(20261127)
    compared = 0
    for _ in range(2000):
        profile = _random_profile(rng)
        ours = irv(profile)
        if ours.tie_breaks:
            continue
        n = len(profile.candidates)
        theirs = ProfileWithTies(
            [{c: i + 1 for i, (c,) in enumerate(b)} for b in profile.ballots],
            rcounts=list(profile.weights),
            candidates=list(range(n)),
        )
        assert [f"c{c}" for c in instant_runoff(theirs)] == list(ours.winners), profile
        compared += 1
    assert compared > 1000


def test_irv_with_a_seed_agrees_with_pref_voting_tie_breaker_everywhere():
    """With a published seed, ties are broken by the seeded order alone; pref_voting's
    ``tie_breaker`` (a linear order, first = eliminated first) expresses the same rule when
    given the seeded order reversed. So here every profile is compared, ties included."""
    from pref_voting.profiles_with_ties import ProfileWithTies
    from pref_voting.voting_methods import instant_runoff

    rng = random.Random(4242)
    tied = 0
    for i in range(1000):
        profile = _random_profile(rng)
        tb = TieBreak(f"seed-{i}")
        ours = irv(profile, tie_break=tb)
        tied += bool(ours.tie_breaks)
        n = len(profile.candidates)
        order = [int(name[1:]) for name in reversed(tb.order(list(profile.candidates)))]
        theirs = ProfileWithTies(
            [{c: i + 1 for i, (c,) in enumerate(b)} for b in profile.ballots],
            rcounts=list(profile.weights),
            candidates=list(range(n)),
        )
        assert [f"c{c}" for c in instant_runoff(theirs, tie_breaker=order)] == list(ours.winners), profile
    assert tied > 50


def test_numpy_and_python_counts_agree():
    rng = random.Random(7)
    for _ in range(40):
        n = rng.randint(2, 9)
        rankings = [rng.sample(range(n), n)[: rng.randint(0, n)] for _ in range(rng.randint(50, 400))]
        p = Profile.from_orders([f"c{i}" for i in range(n)], rankings)
        old = irv_module.NUMPY_MIN_BALLOTS
        try:
            irv_module.NUMPY_MIN_BALLOTS = 0
            fast = irv(p).to_json()
            irv_module.NUMPY_MIN_BALLOTS = 10**12
            slow = irv(p).to_json()
        finally:
            irv_module.NUMPY_MIN_BALLOTS = old
        assert fast == slow


@settings(max_examples=200, deadline=None)
@given(strict_profiles(), st.randoms(use_true_random=False))
def test_invariants(profile, rnd):
    out = irv(profile)
    assert set(out.winners) <= set(profile.candidates)
    assert len(out.winners) == (1 if out.summary["blank"] < out.summary["ballots"] else 0)
    # A candidate ranked first by more than half of the weight wins.
    firsts = {}
    for b, w in zip(profile.ballots, profile.weights):
        if b:
            firsts[b[0][0]] = firsts.get(b[0][0], 0) + w
    for c, v in firsts.items():
        if 2 * v > profile.total_weight:
            assert out.winners == (profile.candidates[c],)
    # The order of the ballots does not matter, to the byte.
    perm = list(range(len(profile.ballots)))
    rnd.shuffle(perm)
    assert irv(shuffled(profile, perm)).to_json() == out.to_json()
    # Recounting the exported profile gives the same bytes.
    doc = {"rule": "irv", "params": dict(out.params), "profile": profile_to_document(profile)}
    assert recount(doc).to_json() == out.to_json()
    # Weight is conserved in every round.
    for r in out.rounds:
        assert r["active"] + r["exhausted"] == out.summary["ballots"] - out.summary["blank"]


def test_tie_without_seed_looks_back_then_lot():
    # Round 1: A 4, B 3, C 3, D 2 -> D out, to C: A 4, B 3, C 5. B out (no tie).
    p = Profile.from_rankings("ABCD", [["A"]] * 4 + [["B"]] * 3 + [["C"]] * 3 + [["D", "C"]] * 2)
    out = irv(p)
    assert out.tie_breaks == () and out.winners == ("C",)
    # Round 1: A 5, B 3, C 3 -> tie with no earlier round: lot on the ballot digest.
    p = Profile.from_rankings("ABC", [["A"]] * 5 + [["B", "A"]] * 3 + [["C", "B"]] * 3)
    out = irv(p)
    (t,) = out.tie_breaks
    assert t["method"] == "lot" and t["seed_source"] == "ballot-digest"
    assert t["lot_seed"] == "ballots:" + p.digest()
    assert t["chosen"] == t["order"][-1]


def test_tie_look_back_decides():
    # Round 1: A 6, B 4, C 3, D 2, E 1. E out -> B: B 5. D out -> C: C 5. B and C tie at 5;
    # in round 2 B had 5 and C had 3, and in round 1 B had 4, C 3: C had fewer, C is eliminated.
    rankings = [["A"]] * 6 + [["B"]] * 4 + [["C"]] * 3 + [["D", "C"]] * 2 + [["E", "B"]]
    out = irv(Profile.from_rankings("ABCDE", rankings))
    (t,) = out.tie_breaks
    assert t["method"] == "earlier-rounds" and t["chosen"] == "C"
    assert t["steps"][0]["round"] == 2
    # With a published seed the seeded order decides at once.
    seeded = irv(Profile.from_rankings("ABCDE", rankings), tie_break=TieBreak("zaal-open-2026"))
    assert seeded.tie_breaks[0]["method"] == "lot" and seeded.tie_breaks[0]["lot_seed"] == "zaal-open-2026"


def test_exhausted_and_withdrawn():
    p = Profile(("A", "B", "C"), (((0,),), ((1,), (2,)), ((2,),), ((1,),)), (4, 2, 3, 1), withdrawn=frozenset({1}))
    out = irv(p)
    assert out.winners == ("C",)  # B withdrawn: B,C counts for C (5 > 4)
    assert out.summary["blank"] == 1
    assert "B" not in out.rounds[0]["votes"]


def test_ties_in_ballots_are_refused():
    with pytest.raises(ProfileError):
        irv(Profile(("A", "B"), (((0, 1),),), (1,)))


def test_camden_2019_official_winner(data_dir):
    # NSW Legislative Assembly 2019, Camden: Peter Sidgreaves (alternative 5) was elected.
    out = irv(read_profile(data_dir / "preflib" / "nswla_00058-00000106_camden_2019.soi"))
    assert out.winners == ("5",)
    assert out.rounds[-1]["reason"] == "majority"
