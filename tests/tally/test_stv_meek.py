"""Meek STV: a hand-checked count, and properties."""

from hypothesis import given, settings

from govern.tally import Profile, irv, stv_meek, stv_scottish

from tally_strategies import strict_profiles


def test_hand_checked_example():
    # 12 ballots, 2 seats. Quota = 12/3 + 0.000000001 = 4.000000001.
    # Round 1: A has 6 and is elected. A's keep value becomes ceil(4.000000001/6, 9 places)
    # = 0.666666667; each A-B-C paper then gives A 0.666666667 and B 0.333333333, so
    # B = 3 + 6 * 0.333333333 = 4.999999998 >= quota: B is elected in round 2.
    ballots = [["A", "B", "C"]] * 6 + [["B"]] * 3 + [["C"]] * 2 + [["D"]]
    out = stv_meek(Profile.from_rankings("ABCD", ballots, seats=2))
    r1, r2 = out.rounds
    assert r1["quota"] == "4.000000001" and r1["votes"]["A"] == "6.000000000" and r1["elected"] == ["A"]
    assert r2["keep_values"]["A"] == "0.666666667"
    assert r2["votes"] == {"A": "4.000000002", "B": "4.999999998", "C": "2.000000000", "D": "1.000000000"}
    assert r2["elected"] == ["B"]
    assert out.winners == ("A", "B")


def test_no_valid_ballot_elects_nobody():
    p = Profile(("A", "B"), ((), ((0, 1),)), (3, 2), seats=1)
    for rule in (irv, stv_meek, stv_scottish):
        if rule is irv:
            p2 = Profile(("A", "B"), ((),), (3,))
            assert rule(p2).winners == () and rule(p2).tie_breaks == ()
        else:
            assert rule(p).winners == () and rule(p).tie_breaks == ()


def test_surplus_reaches_an_elected_candidate_and_is_passed_on():
    # Meek's point: A's surplus on A-B papers passes through B (elected) to C by B's keep value.
    ballots = [["A", "B", "C"]] * 10 + [["B"]] * 4 + [["C"]] * 3 + [["D"]] * 3
    out = stv_meek(Profile.from_rankings("ABCD", ballots, seats=3))
    assert out.winners[:2] == ("A", "B")
    assert out.winners[2] == "C"
    last = out.rounds[-1]
    assert 0 < int(last["keep_values"]["B"].replace(".", "")) < 10**9


@settings(max_examples=120, deadline=None)
@given(strict_profiles(allow_empty=False))
def test_properties(profile):
    out = stv_meek(profile)
    seats = min(profile.seats, len(profile.candidates))
    assert len(out.winners) == seats and len(set(out.winners)) == seats
    assert stv_meek(profile).to_json() == out.to_json()
    for r in out.rounds:
        assert all(isinstance(v, str) and "." in v for v in r["votes"].values())


@settings(max_examples=150, deadline=None)
@given(strict_profiles(allow_empty=False, seats=1))
def test_one_seat_agrees_with_irv_and_scottish_when_no_ties(profile):
    a, b, c = irv(profile), stv_meek(profile), stv_scottish(profile)
    if not (a.tie_breaks or b.tie_breaks or c.tie_breaks):
        assert a.winners == b.winners == c.winners


def test_edinburgh_wards_meek(data_dir):
    from govern.tally.formats import read_blt

    p = read_blt(data_dir / "scottish" / "edinburgh_2017_ward3.blt")
    out = stv_meek(p)
    assert len(out.winners) == 3 and all(r["converged"] for r in out.rounds)
