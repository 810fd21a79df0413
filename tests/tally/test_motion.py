import pytest

from govern.tally import ParameterError, Profile, ProfileError, motion


def box(yes=0, no=0, abstain=0, blank=0, names=("yes", "no", "abstain")):
    ballots, weights = [], []
    for name, w in (("yes", yes), ("no", no), ("abstain", abstain)):
        if w:
            ballots.append(((names.index(name),),))
            weights.append(w)
    if blank:
        ballots.append(())
        weights.append(blank)
    return Profile(tuple(names), tuple(ballots), tuple(weights))


def test_simple_majority_of_votes_cast():
    assert motion(box(yes=5, no=4, abstain=10)).winners == ("yes",)
    out = motion(box(yes=5, no=5, abstain=1))
    assert out.winners == ("no",) and out.summary["result"] == "not carried"
    assert out.tie_breaks[0]["method"] == "rule" and out.tie_breaks[0]["chosen"] == "no"


def test_abstentions_counted_work_like_no():
    assert motion(box(yes=5, no=4, abstain=2), abstentions="counted").winners == ("no",)
    assert motion(box(yes=6, no=4, abstain=1), abstentions="counted").winners == ("yes",)


def test_two_thirds_is_at_least_two_thirds():
    assert motion(box(yes=6, no=3), threshold="two-thirds").winners == ("yes",)
    assert motion(box(yes=5, no=3), threshold="two-thirds").winners == ("no",)
    assert motion(box(abstain=3), threshold="two-thirds").winners == ("no",)


def test_quorum_of_the_electorate_counts_abstentions_and_blanks():
    p = box(yes=20, no=5, abstain=3, blank=2)  # turnout 30
    assert motion(p, quorum="1/2", electorate=60).summary["quorate"] is True
    out = motion(p, quorum="1/2", electorate=61)
    assert out.winners == () and out.summary["result"] == "inquorate" and out.summary["quorum_needed"] == 31


def test_weights_and_input_checks():
    assert motion(box(yes=1, no=0, names=("no", "yes", "abstain"))).winners == ("yes",)
    with pytest.raises(ProfileError):
        motion(Profile.from_rankings(["yes", "no", "maybe"], [["yes"]]))
    with pytest.raises(ProfileError):
        motion(Profile.from_rankings(["yes", "no"], [["yes", "no"]]))
    with pytest.raises(ParameterError):
        motion(box(yes=1), quorum="1/2")
    with pytest.raises(ParameterError):
        motion(box(yes=1), quorum="0.5", electorate=4)
    with pytest.raises(ParameterError):
        motion(box(yes=1), threshold="most")
