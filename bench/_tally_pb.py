"""Benchmark of govern's PB rules against pabutools on the largest real instance.

    /work/main/.venv/bin/python bench/_tally_pb.py [--repeat 3] [--full]

Loads Poland_Warszawa_2026.pb (61,668 voters, 83 projects) with both libraries and
times, on the loaded instance (parsing is timed separately):

- greedy by support (pabutools: greedy_utilitarian_welfare, cost satisfaction);
- Equal Shares without completion (pabutools: method_of_equal_shares, Cost_Sat);
- Equal Shares with add1 as pabutools does it (voter_budget_increment=1: start at
  budget / voters, stop at the first exhaustive or over-budget outcome); govern:
  ``add1_start="exact", add1_stop="exhaustive"``. pabutools needs one full count per
  raise (~185 here, ~14 s each), so by default its time is *estimated* from its
  single-count time, and its result is checked by its two decisive counts (at
  govern's final endowment: same projects; one unit more: over budget);
  ``--full`` measures the whole thing (expect the best part of an hour).

pabutools is given govern's tie-breaking order, so the winners must be identical;
the script fails if they are not. govern's figures are the best of --repeat runs
(the machine is shared), pabutools' are single runs. The target is >= 20x.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from govern.tally import TieBreak  # noqa: E402
from govern.tally.budgeting import greedy, mes, tie_order  # noqa: E402
from govern.tally.pabulib import read_pb  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "pabulib" / "Poland_Warszawa_2026.pb"


def _best(fn, repeat: int):
    best = None
    result = None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        dt = time.perf_counter() - t
        best = dt if best is None else min(best, dt)
    return best, result


def run(repeat: int = 3, full: bool = False, path: Path = DATA) -> dict[str, float]:
    from pabutools.election import Cost_Sat, parse_pabulib
    from pabutools.rules import greedy_utilitarian_welfare, method_of_equal_shares
    from pabutools.tiebreaking import TieBreakingRule

    t_ours_load, inst = _best(lambda: read_pb(path), 1)
    t = time.perf_counter()
    p_inst, p_prof = parse_pabulib(str(path))
    t_pabu_load = time.perf_counter() - t
    print(f"instance: {path.name}: {inst.num_voters} voters, {len(inst.projects)} projects, budget {inst.budget}")
    print(f"load        govern {t_ours_load:8.3f} s   pabutools {t_pabu_load:8.3f} s")

    tb = TieBreak()
    rank = {name: i for i, name in enumerate(tie_order(inst, tb))}
    rule = TieBreakingRule(lambda _i, _p, project: rank[project.name])
    figures: dict[str, float] = {}

    def compare(label: str, ours_fn, pabu_fn, estimate_runs: int | None = None, timed=None) -> None:
        t_ours, out = timed if timed is not None else _best(ours_fn, repeat)
        if estimate_runs is None:
            t = time.perf_counter()
            ref = pabu_fn()
            t_pabu = time.perf_counter() - t
            same = sorted(out.winners) == sorted(p.name for p in ref)
            if not same:
                raise SystemExit(f"{label}: winners differ: {sorted(out.winners)} vs {sorted(p.name for p in ref)}")
            note = "measured, identical winners"
        else:
            t_pabu = figures["mes_pabutools_s"] * estimate_runs
            note = f"pabutools estimated: {estimate_runs} counts x its single-count time"
        figures[f"{label}_govern_s"] = t_ours
        figures[f"{label}_pabutools_s"] = t_pabu
        figures[f"{label}_ratio"] = t_pabu / t_ours
        print(f"{label:11} govern {t_ours:8.3f} s   pabutools {t_pabu:8.3f} s   x{t_pabu / t_ours:7.1f}   ({note})")

    compare(
        "greedy",
        lambda: greedy(inst, min_support=0, tie_break=tb),
        lambda: greedy_utilitarian_welfare(p_inst, p_prof, sat_class=Cost_Sat, tie_breaking=rule),
    )
    compare(
        "mes",
        lambda: mes(inst, completion="none", tie_break=tb),
        lambda: method_of_equal_shares(p_inst, p_prof, sat_class=Cost_Sat, tie_breaking=rule),
    )
    # One count per raise: how many raises there are is known only after counting once.
    t = time.perf_counter()
    add1 = mes(inst, completion="add1", add1_start="exact", add1_stop="exhaustive", tie_break=tb)
    first = time.perf_counter() - t
    raises = add1.summary["add1"]["raises"]
    compare(
        "mes_add1",
        None,
        lambda: method_of_equal_shares(p_inst, p_prof, sat_class=Cost_Sat, tie_breaking=rule, voter_budget_increment=1),
        estimate_runs=None if full else raises + 2,
        timed=(first, add1),
    )
    print(f"add1: {raises} raises of the endowment, {len(add1.winners)} projects funded")
    if not full:
        # Without the full pabutools add1, check its two decisive counts: at govern's final
        # endowment pabutools funds the same projects, and one unit more overspends.
        from fractions import Fraction

        from pabutools.fractions import frac
        from pabutools.rules.budgetallocation import BudgetAllocation
        from pabutools.rules.mes import method_of_equal_shares_scheme

        final = Fraction(add1.summary["endowment"])
        sat = p_prof.as_sat_profile(Cost_Sat)
        counts = []
        for e in (final, final + 1):
            ref = method_of_equal_shares_scheme(
                p_inst, p_prof, sat, frac(e.numerator, e.denominator), BudgetAllocation(), rule, binary_sat=True
            )
            counts.append(ref)
        same = sorted(add1.winners) == sorted(p.name for p in counts[0])
        stopped = add1.summary["add1"]["stopped_because"]
        over = sum(p.cost for p in counts[1]) > inst.budget or stopped != "next-over-budget"
        if not (same and over):
            raise SystemExit("mes_add1: pabutools disagrees at govern's final endowment")
        print(f"add1 checked: pabutools at govern's final endowment {final} funds the same projects; "
              f"at {final + 1} it overspends ({sum(p.cost for p in counts[1])} > {inst.budget})")
    official = greedy(inst)
    assert sorted(official.winners) == sorted(inst.selected or ()), "greedy with threshold misses the official result"
    print("greedy with the META threshold reproduces the official result")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--full", action="store_true", help="also measure pabutools' add1 (very slow)")
    args = parser.parse_args()
    run(repeat=args.repeat, full=args.full)


if __name__ == "__main__":
    main()
