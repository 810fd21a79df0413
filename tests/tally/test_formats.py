"""Readers and writers: round trips, the real files, and line numbers in every error."""

import json

import pytest
from hypothesis import given, settings

from govern.tally import Profile
from govern.tally.formats import (
    FormatError,
    read_blt,
    read_json,
    read_preflib,
    read_profile,
    write_blt,
    write_json,
    write_preflib,
)

from tally_strategies import profiles_with_ties, strict_profiles


@settings(max_examples=150, deadline=None)
@given(profiles_with_ties())
def test_blt_round_trip(profile):
    assert read_blt(write_blt(profile)) == profile


@settings(max_examples=150, deadline=None)
@given(profiles_with_ties())
def test_json_round_trip(profile):
    assert read_json(write_json(profile)) == profile


@settings(max_examples=150, deadline=None)
@given(profiles_with_ties())
def test_preflib_round_trip(profile):
    text = write_preflib(profile)
    back = read_preflib(text, names=True)
    assert back.candidates == profile.candidates
    assert back.ballots == profile.ballots and back.weights == profile.weights
    numbered = read_preflib(text)
    assert numbered.candidates == tuple(str(i) for i in range(1, len(profile.candidates) + 1))


def test_blt_withdrawn_ties_quotes_and_title():
    text = '4 2\n-2\n3 1 3 4 0\n2 2=3 1 0\n1 4 - 1 0\n0\n"Anna"\n"Bram"\nChayenne\n"Dewi de Vries"\n"Verkiezing bestuur"\n'
    p = read_blt(text)
    assert p.candidates == ("Anna", "Bram", "Chayenne", "Dewi de Vries")
    assert p.withdrawn == frozenset({1})
    assert p.seats == 2 and p.title == "Verkiezing bestuur"
    assert p.ballots == (((0,), (2,), (3,)), ((1, 2), (0,)), ((3,), (0,)))
    assert p.weights == (3, 2, 1)
    assert read_blt(write_blt(p)) == p


def test_readers_take_a_path(tmp_path):
    p = Profile.from_rankings(["a", "b"], [["a", "b"], ["b"]], seats=1, title="x")
    for ext, text in (("blt", write_blt(p)), ("json", write_json(p))):
        f = tmp_path / f"box.{ext}"
        f.write_text(text)
        assert read_profile(f) == p
        assert read_profile(str(f)) == p


def test_real_files(data_dir):
    camden = read_profile(data_dir / "preflib" / "nswla_00058-00000106_camden_2019.soi")
    assert camden.total_weight == 62772 and len(camden.ballots) == 3132
    assert camden.candidates == tuple("1234567")
    ward = read_profile(data_dir / "scottish" / "edinburgh_2017_ward3.blt")
    assert ward.seats == 3 and ward.title == "Ward 3 - Drum Brae/Gyle"
    assert ward.candidates[0] == "Robert Christopher ALDRIDGE (LD)"


BAD_BLT = [
    ("", 1, "empty"),
    ("3\n", 1, "candidates seats"),
    ("3 1\n-4\n0\na\nb\nc\n", 2, "withdrawn"),
    ("3 1\n1 1 2 0\n1 1 4 0\n0\na\nb\nc\n", 3, "unknown candidate"),
    ("3 1\n1 1 2 1 0\n0\na\nb\nc\n", 2, "twice"),
    ("3 1\n1 1 2\n0\na\nb\nc\n", 2, "end with 0"),
    ("3 1\nx 1 0\n0\na\nb\nc\n", 2, "weight"),
    ("3 1\n1 1 0\n", 2, "missing the '0'"),
    ("3 1\n1 1 0\n0\na\nb\n", 5, "expected 3 candidate names"),
    ("3 1\n1 1 0\n0\na\nb\nc\nt\nextra\n", 8, "unexpected"),
    ("2 1\n1 1 0\n0\na\na\n", 4, "unique"),
]


@pytest.mark.parametrize(("text", "line", "words"), BAD_BLT)
def test_blt_errors_name_the_line(text, line, words):
    with pytest.raises(FormatError, match=rf"^line {line}: .*{words}"):
        read_blt(text)


HEAD = "# DATA TYPE: soi\n# NUMBER ALTERNATIVES: 3\n"
BAD_PREFLIB = [
    ("# NUMBER VOTERS: 2\n3: 1,2\n", 2, "NUMBER ALTERNATIVES"),
    (HEAD + "3: 1,4\n", 3, "unknown alternative"),
    (HEAD + "3: 1,1\n", 3, "twice"),
    (HEAD + "3: 1,{2,3}\n", 3, "ties are not allowed"),
    (HEAD + "3 1,2\n", 3, "count: order"),
    (HEAD + "3: 1,{2\n", 3, "unclosed"),
    (HEAD + "3: 1,\n", 3, "trailing"),
    (HEAD + "# NUMBER VOTERS: 4\n3: 1\n", 3, "NUMBER VOTERS says 4"),
    (HEAD + "3: 1\n# TITLE: late\n", 4, "metadata after"),
    ("# DATA TYPE: soc\n# NUMBER ALTERNATIVES: 3\n1: 1,2,3\n2: 1,2\n", 4, "complete"),
    ("# NUMBER ALTERNATIVES: x\n1: 1\n", 1, "positive integer"),
]


@pytest.mark.parametrize(("text", "line", "words"), BAD_PREFLIB)
def test_preflib_errors_name_the_line(text, line, words):
    with pytest.raises(FormatError, match=rf"^line {line}: .*{words}"):
        read_preflib(text)


def test_preflib_toc_ties():
    p = read_preflib("# DATA TYPE: toc\n# NUMBER ALTERNATIVES: 4\n2: 1,{2,3},4\n1: {1,2,3,4}\n")
    assert p.ballots == (((0,), (1, 2), (3,)), ((0, 1, 2, 3),))


def test_json_syntax_error_names_the_line():
    with pytest.raises(FormatError, match=r"^line 3: "):
        read_json('{"format": "govern-profile",\n "version": 1,\n "candidates": [,]}')


def test_json_refuses_floats():
    with pytest.raises(FormatError, match="integers"):
        read_json('{"format":"govern-profile","version":1,"candidates":["a"],"ballots":[{"ranking":["a"],"weight":1.5}]}')


@pytest.mark.parametrize(("patch", "where"), [
    ({"format": "x"}, "format"),
    ({"version": 2}, "version"),
    ({"candidates": ["a", "a"]}, "candidates"),
    ({"ballots": [{"ranking": [["a"], ["z"]]}]}, r"ballots\[0\]\.ranking\[1\]"),
    ({"ballots": [{"ranking": [["a"], ["a"]]}]}, r"ballots\[0\]\.ranking\[1\]"),
    ({"ballots": [{"ranking": [], "weight": -1}]}, r"ballots\[0\]\.weight"),
    ({"seats": 0}, "seats"),
    ({"costs": {"a": -5}}, "costs"),
    ({"budget": "lots"}, "budget"),
])
def test_json_schema_errors_name_the_place(patch, where):
    doc = {"format": "govern-profile", "version": 1, "candidates": ["a", "b"],
           "ballots": [{"ranking": [["a"], ["b"]], "weight": 2}], **patch}
    with pytest.raises(FormatError, match=rf"^line \d+: {where}: "):
        read_json(json.dumps(doc))
    # In a file written one ballot per line, the line number is the ballot's own line.
    text = json.dumps({k: v for k, v in doc.items() if k != "ballots"})[:-1] + ',\n"ballots": [\n' + ",\n".join(
        json.dumps(b) for b in doc["ballots"]) + "\n]}"
    with pytest.raises(FormatError) as info:
        read_json(text)
    if where.startswith("ballots"):
        assert str(info.value).startswith("line 3: ")


def test_json_costs_budget_and_shorthand():
    from govern.tally.formats import read_json_document
    p, extras = read_json_document(json.dumps({
        "format": "govern-profile", "version": 1, "candidates": ["a", "b", "c"],
        "ballots": [{"ranking": ["a", ["b", "c"]], "weight": 3}, {"ranking": ["c"]}],
        "seats": 1, "costs": {"a": 150000, "b": 2500}, "budget": 200000, "title": "Buurtbudget",
    }))
    assert p.ballots == (((0,), (1, 2)), ((2,),)) and p.weights == (3, 1)
    assert extras == {"costs": {"a": 150000, "b": 2500}, "budget": 200000}
    assert write_json(p, costs=extras["costs"], budget=200000).count("150000") == 1


@settings(max_examples=50, deadline=None)
@given(strict_profiles())
def test_from_orders_matches_from_rankings(profile):
    orders = [tuple(r[0] for r in b) for b, w in zip(profile.ballots, profile.weights) for _ in range(w)]
    a = Profile.from_orders(profile.candidates, orders, seats=profile.seats, title="t")
    b = Profile.from_rankings(profile.candidates, [[profile.candidates[c] for c in o] for o in orders],
                              seats=profile.seats, title="t")
    assert a == b
    assert a.strict_orders() == tuple(orders_ for orders_ in dict.fromkeys(orders))


@pytest.mark.parametrize("ragged", [False, True])
def test_from_orders_large_box_path_agrees(monkeypatch, ragged):
    import importlib
    import random

    from govern.tally import ProfileError, irv, stv_scottish

    profile_module = importlib.import_module("govern.tally.profile")
    rng = random.Random(3)
    n = 6
    orders = [rng.sample(range(n), n)[: rng.randint(1, n) if ragged else n] for _ in range(300)]
    names = [f"c{i}" for i in range(n)]
    small = Profile.from_orders(names, orders, seats=2)
    monkeypatch.setattr(profile_module, "MATRIX_MIN_BALLOTS", 1)
    monkeypatch.setattr(importlib.import_module("govern.tally.irv"), "NUMPY_MIN_BALLOTS", 1)
    monkeypatch.setattr(importlib.import_module("govern.tally.stv"), "NUMPY_MIN_BALLOTS", 1)
    big = Profile.from_orders(names, orders, seats=2)
    assert "_matrix" in big.__dict__ and "_matrix" not in small.__dict__
    assert big == small and hash(big) == hash(small)
    assert list(big.ballots) == list(small.ballots) and big.digest() == small.digest()
    assert irv(big).to_json() == irv(small).to_json()
    assert stv_scottish(big).to_json() == stv_scottish(small).to_json()
    for bad in ([0, 0, 1], [0, n], [-1, 2], [0.5, 1]):
        with pytest.raises(ProfileError):
            Profile.from_orders(names, [*orders, bad])


def test_not_utf8_names_the_line(tmp_path):
    f = tmp_path / "latin1.blt"
    f.write_bytes('2 1\n1 1 0\n0\n"Jos\u00e9"\n"B"\n'.encode("latin-1"))
    with pytest.raises(FormatError, match=r"^line 4: .*not UTF-8"):
        read_blt(f)
    with pytest.raises(FormatError, match="cannot read"):
        read_blt(tmp_path / "missing.blt")
