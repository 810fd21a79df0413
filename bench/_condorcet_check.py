"""Quick check of govern.tally.condorcet against pref_voting: speed and agreement.

    /work/main/.venv/bin/python bench/_condorcet_check.py [--ballots 100000] [--candidates 20] [--repeat 3]

1. Schulze on random full rankings, end to end from a Python list of rankings:
   govern (Profile.from_orders or Profile.from_rankings, then schulze) against
   pref_voting (its Profile(rankings), then beat_path). pref_voting is warmed up
   first, so its numba compilation is not counted against it.
2. Ranked pairs, Copeland and Borda on the same profile (count only, for information).
3. Borda against pref_voting's positional Borda on linear profiles (kept out of the
   test suite because pref_voting's linear Profile compiles numba code on first use).
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from govern.tally import Profile, TieBreak  # noqa: E402
from govern.tally.condorcet import borda, copeland, pairwise_matrix, ranked_pairs, schulze  # noqa: E402


def best(fn, repeat):
    times, result = [], None
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return min(times), result


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ballots", type=int, default=100_000)
    ap.add_argument("--candidates", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    from pref_voting.margin_based_methods import beat_path
    from pref_voting.profiles import Profile as PVProfile
    from pref_voting.scoring_methods import borda as pv_borda

    n, k = args.ballots, args.candidates
    rng = random.Random(2026)
    names = [f"c{i}" for i in range(k)]
    rk = []
    for _ in range(n):
        r = list(range(k))
        rng.shuffle(r)
        rk.append(r)
    rk_names = [[names[c] for c in r] for r in rk]

    beat_path(PVProfile([[0, 1, 2], [2, 1, 0]]))  # numba warm-up
    schulze(Profile.from_orders(names[:3], [[0, 1, 2]]))

    t_ref, pv_w = best(lambda: beat_path(PVProfile(rk)), 1)
    print(f"{n:,} random full rankings over {k} candidates")
    print(f"pref_voting Profile(rankings) + beat_path:   {t_ref:.3f} s  winners {[names[c] for c in pv_w]}")
    for label, build in (
        ("from_orders", lambda: Profile.from_orders(names, rk)),
        ("from_rankings", lambda: Profile.from_rankings(names, rk_names)),
    ):
        t_build, prof = best(build, args.repeat)
        t_count, out = best(lambda: schulze(prof), args.repeat)
        t_all, out = best(lambda: schulze(build()), args.repeat)
        agree = sorted(names[c] for c in pv_w) == sorted(out.summary["ranking"][0])
        print(f"govern Profile.{label} + schulze:  {t_all:.3f} s end to end "
              f"(build {t_build:.3f} + count {t_count:.3f}); {t_ref / t_all:.1f}x; same winners: {agree}")
    prof = Profile.from_orders(names, rk)
    for use_numpy in (True, False):
        t, _ = best(lambda: pairwise_matrix(prof, use_numpy=use_numpy), args.repeat)
        print(f"  pairwise matrix only, {'numpy' if use_numpy else 'pure Python'}: {t:.3f} s")
    for rule in (ranked_pairs, copeland, borda):
        t, out = best(lambda: rule(prof, tie_break=TieBreak("b")), args.repeat)
        print(f"  {rule.__name__} count on the prebuilt profile: {t:.3f} s  winner {out.winners[0]}")

    # Borda vs pref_voting's positional Borda on linear profiles.
    rng = random.Random(9)
    checked = 0
    for _ in range(300):
        kk = rng.randint(2, 7)
        rankings = [rng.sample(range(kk), kk) for _ in range(rng.randint(1, 30))]
        ours = borda(Profile.from_orders(names[:kk], rankings))
        pv = PVProfile(rankings)
        scores = pv.borda_scores()
        assert ours.rounds[1]["points_doubled"] == {names[c]: 2 * int(scores[c]) for c in range(kk)}
        assert set(ours.summary["ranking"][0]) == {names[c] for c in pv_borda(pv)}
        checked += 1
    print(f"Borda: points and winners equal to pref_voting's positional Borda on {checked} linear profiles")
    return 0


if __name__ == "__main__":
    sys.exit(main())
