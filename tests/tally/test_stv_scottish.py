"""Scottish STV against the official results of five Edinburgh 2017 wards, and hand cases."""

import json
import re

import pytest

from govern.tally import Profile, TieBreak
from govern.tally.formats import read_blt
from govern.tally.stv import stv_scottish

WARDS = [f"edinburgh_2017_ward{i}.blt" for i in range(1, 6)]


def _plain(name: str) -> str:
    """'Graham HUTCHISON (C)' -> 'graham hutchison', the spelling of the winners file."""
    return re.sub(r"\s*\([^)]*\)\s*$", "", name).strip().lower()


@pytest.mark.parametrize("ward", WARDS)
def test_edinburgh_2017_official_winners(data_dir, ward):
    expected = json.loads((data_dir / "scottish" / "edinburgh_2017_winners.json").read_text())["winners"][ward]
    profile = read_blt(data_dir / "scottish" / ward)
    outcome = stv_scottish(profile)
    assert sorted(_plain(w) for w in outcome.winners) == sorted(expected)
    assert len(outcome.winners) == profile.seats
    assert outcome.summary["quota"] == str(profile.total_weight // (profile.seats + 1) + 1)
    # Byte-stable, and no floats slipped in.
    assert stv_scottish(profile).to_json() == outcome.to_json()


def test_hand_example_surplus_truncated_to_five_places():
    # 10 valid votes, 2 seats: quota = 10 // 3 + 1 = 4. A has 7: surplus 3 over 7 papers,
    # each paper carries 3/7 = 0.42857 (truncated) to its next preference.
    p = Profile.from_rankings("ABCD", [["A", "B"]] * 4 + [["A", "C"]] * 3 + [["C"]] * 2 + [["D"]] * 1, seats=2)
    out = stv_scottish(p)
    assert out.summary["quota"] == "4"
    r2 = out.rounds[1]
    assert r2["action"] == "surplus" and r2["candidate"] == "A"
    assert r2["transfers"] == {"B": "1.71428", "C": "1.28571"}
    assert r2["votes"]["C"] == "3.28571"
    assert out.winners[0] == "A"
    assert out.winners == ("A", "C")


def test_exclusion_tie_looks_back_then_lot():
    p = Profile.from_rankings("ABC", [["A"]] * 3 + [["B"]] * 2 + [["C"]] * 2, seats=1)
    out = stv_scottish(p, tie_break=TieBreak("s"))
    assert out.tie_breaks and out.tie_breaks[0]["method"] == "lot"
    assert out.tie_breaks[0]["lot_seed"] == "s"


def test_tied_rank_makes_paper_non_transferable_from_there():
    p = Profile(("A", "B", "C"), (((0,), (1, 2)), ((1, 2),), ((2,),)), (3, 5, 1), seats=1)
    out = stv_scottish(p)
    assert out.summary["invalid"] == 5
    assert out.winners == ("A",)


def test_numpy_and_python_counts_agree(monkeypatch):
    import importlib
    import random

    profile_module = importlib.import_module("govern.tally.profile")
    stv_module = importlib.import_module("govern.tally.stv")
    monkeypatch.setattr(profile_module, "MATRIX_MIN_BALLOTS", 1)
    rng = random.Random(11)
    for _ in range(40):
        n = rng.randint(2, 9)
        orders = [rng.sample(range(n), n)[: rng.randint(1, n)] for _ in range(rng.randint(20, 300))]
        p = Profile.from_orders([f"c{i}" for i in range(n)], orders, seats=rng.randint(1, n))
        assert p.order_matrix() is not None
        monkeypatch.setattr(stv_module, "NUMPY_MIN_BALLOTS", 0)
        fast = stv_scottish(p).to_json()
        monkeypatch.setattr(stv_module, "NUMPY_MIN_BALLOTS", 10**12)
        assert stv_scottish(p).to_json() == fast


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tally_strategies import shuffled, strict_profiles  # noqa: E402


@settings(max_examples=150, deadline=None)
@given(strict_profiles(), st.randoms(use_true_random=False))
def test_properties(profile, rnd):
    out = stv_scottish(profile)
    seats = min(profile.seats, len(profile.candidates)) if out.summary["valid"] else 0
    assert len(out.winners) == seats and len(set(out.winners)) == seats
    assert set(out.winners) <= set(profile.candidates)
    perm = list(range(len(profile.ballots)))
    rnd.shuffle(perm)
    assert stv_scottish(shuffled(profile, perm)).to_json() == out.to_json()
    # Value is conserved: what candidates hold + exhausted + truncation loss = valid votes.
    last = out.rounds[-1]
    units = lambda s: int(s.replace(".", ""))  # noqa: E731
    quota = int(out.summary["quota"]) * 100000
    held = sum(units(v) for v in last["votes"].values())
    # An elected candidate's surplus that was transferred left them with exactly the quota.
    assert held + units(out.summary["exhausted"]) + units(out.summary["fraction_loss"]) == out.summary["valid"] * 100000
    for r in out.rounds:
        for name in r["elected"]:
            if name not in r.get("elected_without_quota", []):
                assert units(r["votes"][name]) >= quota
