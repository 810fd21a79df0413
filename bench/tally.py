"""Benchmark of govern.tally against reference implementations, in one process.

    /work/main/.venv/bin/python bench/tally.py [--ballots 100000] [--candidates 20]
        [--big 1000000] [--repeat 3] [--ref-repeat 1] [--skip-votekit] [--skip-pb]

Cases (every time is end to end from a Python list of rankings -- lists of candidate
indices -- unless the row says "count only"):

- IRV, 100,000 random full rankings over 20 candidates: govern (Profile.from_orders +
  irv) vs pref_voting (its Profile(rankings) + instant_runoff).
- Schulze on the same: govern.tally.condorcet.schulze vs pref_voting's beat_path (Schulze).
- STV, 5 seats, on the same: govern stv_scottish vs votekit's FastSTV (fractional
  transfers, Droop); votekit's time includes building its RankBallot objects and
  RankProfile, and the "count only" rows compare prebuilt profiles.
- IRV on 1,000,000 ballots, end to end (Profile.from_orders + irv, as one timed call; best
  and median wall time and best CPU time of --repeat runs, and the count alone): random
  permutations of 20 candidates truncated to a uniform random length 1..20 (almost every
  ballot distinct: the hard case for merging); and
  1,000,000 ballots resampled from the real Camden 2019 ballots (../shared/data/preflib),
  where identical ballots merge as in real elections.
- The PB part: bench/_tally_pb.py's run(), when that file exists.

govern's figures are the best of --repeat runs, the references' of --ref-repeat (the
machine is shared; the best run is the least disturbed one). Ratios are reference /
govern; the targets are >= 20x for IRV, Schulze and STV, and < 1 s for IRV on 1M ballots.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import random
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from govern.tally import Profile, irv, stv_scottish  # noqa: E402


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return min(times), result


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float, float, Any]:
    """Best and median wall time, and best CPU time (this process), of ``repeat`` runs."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        gc.collect()
        t, c = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    return min(walls), statistics.median(walls), min(cpus), result


def rankings(n_ballots: int, n_cands: int, seed: int) -> list[list[int]]:
    rng = random.Random(seed)
    base = list(range(n_cands))
    out = []
    for _ in range(n_ballots):
        r = base[:]
        rng.shuffle(r)
        out.append(r)
    return out


def big_rankings(n_ballots: int, n_cands: int, seed: int) -> list[list[int]]:
    import numpy as np

    rng = np.random.default_rng(seed)
    out: list[list[int]] = []
    for start in range(0, n_ballots, 200_000):
        size = min(200_000, n_ballots - start)
        perm = np.argsort(rng.random((size, n_cands)), axis=1)
        lens = rng.integers(1, n_cands + 1, size)
        out.extend(row[:k] for row, k in zip(perm.tolist(), lens.tolist()))
    return out


class Table:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str, str, str]] = []

    def add(self, case: str, ours: float | None, ref: float | None, target: str, note: str = "") -> None:
        ratio = f"{ref / ours:.1f}x" if ours and ref else "-"
        self.rows.append((case, f"{ours:.3f}" if ours is not None else "-",
                          f"{ref:.3f}" if ref is not None else "-", ratio, target, note))
        print(f"  {case}: govern {self.rows[-1][1]} s, reference {self.rows[-1][2]} s, {ratio} {note}", flush=True)

    def print(self) -> None:
        head = ("case", "govern s", "reference s", "ratio", "target", "note")
        widths = [max(len(r[i]) for r in [head, *self.rows]) for i in range(6)]
        line = "  ".join("{:<%d}" % w for w in widths)
        print()
        print(line.format(*head))
        print(line.format(*("-" * w for w in widths)))
        for r in self.rows:
            print(line.format(*r))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ballots", type=int, default=100_000)
    ap.add_argument("--candidates", type=int, default=20)
    ap.add_argument("--seats", type=int, default=5)
    ap.add_argument("--big", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--ref-repeat", type=int, default=1)
    ap.add_argument("--skip-votekit", action="store_true")
    ap.add_argument("--skip-pb", action="store_true")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    n, k = args.ballots, args.candidates
    names = [f"c{i}" for i in range(k)]
    rk = rankings(n, k, 2026)
    print(f"{n:,} random full rankings over {k} candidates; Python {sys.version.split()[0]}")
    table = Table()

    # --- IRV
    from pref_voting.profiles import Profile as PVProfile
    from pref_voting.voting_methods import instant_runoff

    t_ours, out = best(lambda: irv(Profile.from_orders(names, rk)), args.repeat)
    t_ref, pv_w = best(lambda: instant_runoff(PVProfile(rk)), args.ref_repeat)
    agree = [names[c] for c in pv_w] == list(out.winners)
    table.add(f"IRV {n:,} x {k}", t_ours, t_ref, ">= 20x", f"vs pref_voting; same winner: {agree}")

    # --- Schulze
    try:
        from govern.tally.condorcet import schulze
    except ImportError:
        schulze = None
    from pref_voting.margin_based_methods import beat_path

    if schulze is not None:
        t_ours, out = best(lambda: schulze(Profile.from_orders(names, rk)), args.repeat)
        t_ref, pv_w = best(lambda: beat_path(PVProfile(rk)), args.ref_repeat)
        agree = sorted(names[c] for c in pv_w) == sorted(out.winners)
        table.add(f"Schulze {n:,} x {k}", t_ours, t_ref, ">= 20x", f"vs pref_voting beat_path; same winners: {agree}")
    else:
        table.add(f"Schulze {n:,} x {k}", None, None, ">= 20x", "govern.tally.condorcet.schulze missing")

    # --- STV
    profile = Profile.from_orders(names, rk, seats=args.seats)
    t_count, _ = best(lambda: stv_scottish(profile), args.repeat)
    t_ours, out = best(lambda: stv_scottish(Profile.from_orders(names, rk, seats=args.seats)), args.repeat)
    if args.skip_votekit or importlib.util.find_spec("votekit") is None:
        table.add(f"STV {args.seats} seats", t_ours, None, ">= 20x", "votekit not run")
    else:
        from votekit import RankBallot, RankProfile
        from votekit.elections import FastSTV

        def vk_profile() -> Any:
            ballots = [RankBallot(ranking=tuple(frozenset({names[c]}) for c in r), weight=1) for r in rk]
            return RankProfile(ballots=ballots, candidates=names, max_ranking_length=k)

        def vk_count(prof: Any) -> Any:
            return FastSTV(prof, n_seats=args.seats, tiebreak="random", rng_seed=1).get_elected()

        t_ref, vk_w = best(lambda: vk_count(vk_profile()), args.ref_repeat)
        agree = sorted(c for s in vk_w for c in s) == sorted(out.winners)
        table.add(f"STV {args.seats} seats (Scottish)", t_ours, t_ref, ">= 20x",
                  f"vs votekit FastSTV incl. its profile build; same winners: {agree}")
        prof = vk_profile()
        t_ref_count, _ = best(lambda: vk_count(prof), args.ref_repeat)
        table.add(f"STV {args.seats} seats, count only", t_count, t_ref_count, "(info)", "both profiles prebuilt")

    # --- IRV on 1M
    if args.big:
        print(f"generating {args.big:,} truncated random ballots ...", flush=True)
        big = big_rankings(args.big, k, 7)
        # End to end: the list of rankings in, the Outcome out (Profile.from_orders + irv).
        t_all, t_median, t_cpu, out = timed(lambda: irv(Profile.from_orders(names, big)), args.repeat)
        prof = Profile.from_orders(names, big)
        t_count, _ = best(lambda: irv(prof), args.repeat)
        table.add(f"IRV {args.big:,} ballots, end to end", t_all, None, "< 1 s",
                  f"median {t_median:.3f} s, cpu {t_cpu:.3f} s; {len(prof.weights):,} distinct; count alone {t_count:.3f} s")
        del big, prof
        camden = ROOT.parent / "shared" / "data" / "preflib" / "nswla_00058-00000106_camden_2019.soi"
        if camden.exists():
            from govern.tally.formats import read_preflib

            real = read_preflib(camden)
            pool = [tuple(r[0] for r in b) for b, w in zip(real.ballots, real.weights) for _ in range(w)]
            rng = random.Random(19)
            sample = [list(x) for x in rng.choices(pool, k=args.big)]
            t_all, t_median, t_cpu, out = timed(lambda: irv(Profile.from_orders(real.candidates, sample)), args.repeat)
            table.add(f"IRV {args.big:,} real-style ballots, end to end", t_all, None, "< 1 s",
                      f"median {t_median:.3f} s, cpu {t_cpu:.3f} s; resampled from Camden 2019 (NSW); "
                      f"winner {out.winners[0]} as officially")

    # --- PB (a colleague's part)
    pb = ROOT / "bench" / "_tally_pb.py"
    if not args.skip_pb and pb.exists():
        spec = importlib.util.spec_from_file_location("_tally_pb", pb)
        assert spec and spec.loader
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        print("PB part (bench/_tally_pb.py):", flush=True)
        mod.run()

    table.print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
