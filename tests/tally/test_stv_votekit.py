"""Scottish STV against votekit's FastSTV (an independent WIGM implementation) on random profiles.

votekit is pinned in the dev extras. Its transfers
are exact-ish floats rather than values truncated to 5 places, and it refuses ties
unless told how to break them, so profiles where either count met a tie are left
out (counted, and there must be enough compared ones).
"""

import random

import pytest
import votekit

from govern.tally import Profile, stv_scottish

pytestmark = pytest.mark.slow


def test_scottish_agrees_with_votekit_fast_stv():
    from votekit.elections import FastSTV

    rng = random.Random(5)
    compared = 0
    for _ in range(120):
        n = rng.randint(3, 7)
        seats = rng.randint(1, n - 1)
        orders = [rng.sample(range(n), n)[: rng.randint(1, n)] for _ in range(rng.randint(20, 120))]
        names = [f"c{i}" for i in range(n)]
        profile = Profile.from_orders(names, orders, seats=seats)
        ours = stv_scottish(profile)
        if ours.tie_breaks:
            continue
        ballots = [votekit.RankBallot(ranking=tuple(frozenset({names[c]}) for c in order), weight=w)
                   for order, w in zip(profile.strict_orders(), profile.weights)]
        theirs_profile = votekit.RankProfile(ballots=ballots, candidates=names, max_ranking_length=n)
        try:
            elected = FastSTV(theirs_profile, n_seats=seats).get_elected()
        except ValueError:  # votekit met a tie it was not told how to break
            continue
        assert sorted(c for group in elected for c in group) == sorted(ours.winners), orders
        compared += 1
    assert compared >= 60
