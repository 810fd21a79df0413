"""Reading and writing pabulib files, and PB instances built from govern profiles."""

from dataclasses import replace
from pathlib import Path

import pytest

from govern.tally import Profile
from govern.tally.formats import FormatError
from govern.tally.pabulib import PBInstance, read_pb, write_pb

REAL = {
    # file: (projects, voters, budget, officially selected, rule)
    "Netherlands_Assen_2024.pb": (14, 84, 100000, 9, "equalshares/add1"),
    "Poland_Swiecie_2023.pb": (22, 2553, 1070000, 17, "equalshares/add1"),
    "Poland_Wieliczka_2023_Green_Budget.pb": (64, 6586, 1000000, 30, "equalshares/add1-comparison"),
    "Poland_Warszawa_2026.pb": (83, 61668, 24186815, 17, "greedy-threshold"),
}

SMALL = """META
key;value
description;A small test
budget;100
vote_type;approval
min_project_score_threshold;2
PROJECTS
project_id;cost;name;selected
a;60;Park "Oost";1
b;50;"Bench, with ; semicolon";0
c;40;Library;1
VOTES
voter_id;vote;age
1;a,c;30
2;c,a;41
3;b;
4;;
"""


def small() -> PBInstance:
    return read_pb(SMALL)


def same_content(a: PBInstance, b: PBInstance) -> bool:
    """Equal apart from the META counts that write_pb fills in."""
    extra = {"num_projects", "num_votes"}
    return replace(a, meta={}) == replace(b, meta={}) and {k: v for k, v in a.meta.items() if k not in extra} == {
        k: v for k, v in b.meta.items() if k not in extra
    }


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_files(data_dir: Path, name: str) -> None:
    projects, voters, budget, selected, rule = REAL[name]
    inst = read_pb(data_dir / "pabulib" / name)
    assert len(inst.projects) == projects == int(inst.meta["num_projects"])
    assert inst.num_voters == voters == int(inst.meta["num_votes"])
    assert inst.budget == budget
    assert inst.selected is not None and len(inst.selected) == selected
    assert inst.meta["rule"] == rule
    assert inst.vote_type == "approval"
    # The votes column of PROJECTS agrees with the ballots.
    assert list(inst.support()) == [int(info["votes"]) for info in inst.project_info]


def test_real_file_round_trip(data_dir: Path) -> None:
    inst = read_pb(data_dir / "pabulib" / "Poland_Wieliczka_2023_Green_Budget.pb")
    again = read_pb(write_pb(inst))
    assert again.digest() == inst.digest()
    assert again.selected == inst.selected
    assert again.project_info == inst.project_info
    assert dict(again.meta) == dict(inst.meta)
    assert write_pb(again) == write_pb(inst)


def test_threshold_kept(data_dir: Path) -> None:
    inst = read_pb(str(data_dir / "pabulib" / "Poland_Warszawa_2026.pb"))
    assert inst.min_project_score_threshold == 3000


def test_small_text() -> None:
    inst = small()
    assert inst.projects == ("a", "b", "c")
    assert inst.costs == (60, 50, 40)
    assert inst.budget == 100
    assert inst.selected == ("a", "c")
    assert inst.project_info[1]["name"] == "Bench, with ; semicolon"
    assert inst.project_info[0]["name"] == 'Park "Oost"'
    # identical approval ballots merge, whatever order the projects were listed in
    assert dict(zip(inst.ballots, inst.multiplicities)) == {(0, 2): 2, (1,): 1, (): 1}
    assert inst.num_voters == 4
    assert inst.support() == (2, 1, 2)
    assert inst.min_project_score_threshold == 2


def test_round_trip_small() -> None:
    inst = small()
    text = write_pb(inst)
    again = read_pb(text)
    assert same_content(again, inst)
    assert "num_votes;4" in text


def test_path_and_pathlike(tmp_path: Path) -> None:
    f = tmp_path / "x.pb"
    f.write_text(SMALL, encoding="utf-8")
    assert read_pb(f) == read_pb(str(f)) == small()


def test_ordinal_and_points() -> None:
    ordinal = SMALL.replace("vote_type;approval", "vote_type;ordinal")
    inst = read_pb(ordinal)
    assert dict(zip(inst.ballots, inst.multiplicities)) == {(0, 2): 1, (2, 0): 1, (1,): 1, (): 1}
    assert inst.ranks[inst.ballots.index((2, 0))] == (1, 2)
    assert same_content(read_pb(write_pb(inst)), inst)

    cumulative = """META
key;value
budget;10
vote_type;cumulative
PROJECTS
project_id;cost
x;5
y;6
VOTES
voter_id;vote;points
v1;x,y;3,2
v2;y;5
"""
    inst = read_pb(cumulative)
    assert inst.vote_type == "cumulative"
    assert inst.points == ((3, 2), (5,))
    assert inst.support() == (3, 7)
    assert same_content(read_pb(write_pb(inst)), inst)
    assert read_pb(cumulative.replace("cumulative", "scoring")).vote_type == "scoring"


H = "META\nkey;value\nbudget;10\n"  # a valid start

BAD = [
    ("PROJECTS\nproject_id;cost\n", 1, "META"),
    (H + "PROJECTS\nproject_id;cost\na;3.5\n", 6, "whole number"),
    ("META\nkey;value\nbudget;ten\nPROJECTS\nproject_id;cost\na;3\n", 3, "whole number"),
    (H + "PROJECTS\nproject_id;cost\na;3\nVOTES\nvoter_id;vote\n1;a,z\n", 9, "unknown project"),
    (H + "PROJECTS\nproject_id;cost\na;3\nVOTES\nvoter_id;vote\n1;a,a\n", 9, "twice"),
    (H + "PROJECTS\nproject_id;cost\na;3\na;4\n", 7, "listed twice"),
    (H + "PROJECTS\nproject_id;cost\na;3;x\n", 6, "fields"),
    (H + "PROJECTS\nproject_id;cost\na;3\nVOTES\nvoter_id;vote\n1;a\n1;a\n", 10, "appears twice"),
    (H + "PROJECTS\nproject_id;name\na;3\n", 5, "cost"),
    (H + "vote_type;plurality\nPROJECTS\nproject_id;cost\n", 4, "vote_type"),
    (H + "vote_type;cumulative\nPROJECTS\nproject_id;cost\na;3\nVOTES\nvoter_id;vote;points\n1;a;1,2\n", 10, "points"),
    (H + "PROJECTS\nproject_id;cost\na;-3\n", 6, "negative"),
    ("META\nkey;value\nPROJECTS\nproject_id;cost\na;3\n", 1, "budget"),
    (H + "VOTES\nvoter_id;vote\n", 4, "VOTES before PROJECTS"),
]


@pytest.mark.parametrize(("text", "line", "words"), BAD)
def test_malformed(text: str, line: int, words: str) -> None:
    with pytest.raises(FormatError) as info:
        read_pb(text)
    assert isinstance(info.value, ValueError)
    assert f"line {line}:" in str(info.value)
    assert words in str(info.value)


def test_instance_checks() -> None:
    with pytest.raises(ValueError):
        PBInstance(projects=("a",), costs=(1.5,), budget=3, ballots=(), multiplicities=())  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        PBInstance(projects=("a",), costs=(1,), budget=3, ballots=((0, 0),), multiplicities=(1,))
    with pytest.raises(ValueError):
        PBInstance(projects=("a",), costs=(1,), budget=3, ballots=((1,),), multiplicities=(1,))
    with pytest.raises(ValueError):
        PBInstance(projects=("a",), costs=(1,), budget=3, ballots=((0,),), multiplicities=(0,))


def test_digest_ignores_ballot_order() -> None:
    a = PBInstance(("p", "q"), (1, 2), 3, ((0,), (0, 1), (0,)), (1, 2, 3))
    b = PBInstance(("p", "q"), (1, 2), 3, ((0, 1), (0,)), (2, 4))
    assert a.digest() == b.digest()
    c = PBInstance(("p", "q"), (1, 2), 3, ((0, 1), (0,)), (2, 5))
    assert c.digest() != a.digest()


def test_from_profile() -> None:
    profile = Profile(
        candidates=("park", "bench", "library", "mural"),
        ballots=(((2,), (0, 1)), ((3,), (2,)), ((1,),)),
        weights=(2, 1, 4),
        withdrawn=frozenset({3}),
    )
    inst = PBInstance.from_profile(profile, {"park": 60, "bench": 10, "library": 40, "mural": 5}, 100)
    assert inst.vote_type == "ordinal"
    assert inst.projects == profile.candidates
    assert inst.costs == (60, 10, 40, 5)
    assert inst.budget == 100
    rows = {b: (r, m) for b, r, m in zip(inst.ballots, inst.ranks, inst.multiplicities)}
    assert rows == {(2, 0, 1): ((1, 2, 2), 2), (2,): ((1,), 1), (1,): ((1,), 4)}
    assert inst.support() == (2, 6, 3, 0)
    with pytest.raises(ValueError, match="no cost"):
        PBInstance.from_profile(profile, {"park": 1}, 10)
    with pytest.raises(ValueError, match="unknown"):
        PBInstance.from_profile(profile, {"park": 60, "bench": 10, "library": 40, "mural": 5, "zoo": 1}, 10)
