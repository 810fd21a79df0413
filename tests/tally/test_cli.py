"""``python -m govern.tally``: output and exit codes, through a real subprocess."""

import json
import subprocess
import sys

import pytest

from govern.tally import Profile
from govern.tally.formats import write_blt, write_json


def run(*args):
    return subprocess.run([sys.executable, "-m", "govern.tally", *map(str, args)], capture_output=True, text=True)


def test_stv_on_a_scottish_ward(data_dir):
    res = run("stv-scottish", data_dir / "scottish" / "edinburgh_2017_ward3.blt")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert sorted(out["winners"]) == ["Claire BRIDGMAN (SNP)", "Mark BROWN (C)", "Robert Christopher ALDRIDGE (LD)"]
    assert out["rounds"] and out["rule"] == "stv-scottish"


def test_irv_preflib_and_options(data_dir, tmp_path):
    res = run("irv", data_dir / "preflib" / "nswla_00058-00000106_camden_2019.soi", "--tie-break", "x")
    assert res.returncode == 0 and json.loads(res.stdout)["winners"] == ["5"]
    p = Profile.from_rankings("ABC", [["A", "B"]] * 3 + [["B"]] * 2 + [["C", "B"]] * 2, seats=2)
    f = tmp_path / "box.txt"
    f.write_text(write_blt(p))
    res = run("stv-meek", f, "--format", "blt", "--seats", "1")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["winners"] == ["B"]
    assert json.loads(res.stdout)["params"]["seats"] == 1


def test_motion_from_json(tmp_path):
    p = Profile.from_rankings(["yes", "no", "abstain"], [["yes"]] * 6 + [["no"]] * 3 + [["abstain"]])
    f = tmp_path / "motion.json"
    f.write_text(write_json(p))
    res = run("motion", f, "--threshold", "two-thirds", "--quorum", "1/2", "--electorate", "20")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["winners"] == ["yes"]  # 6 of 9 cast: exactly two-thirds
    res = run("motion", f, "--threshold", "two-thirds", "--abstentions", "counted")
    assert json.loads(res.stdout)["winners"] == ["no"]  # 6 of 10


ERRORS = [
    (["plurality", "{blt}"], "unknown rule"),
    (["irv", "{missing}"], "cannot"),
    (["irv", "{bad}"], "line 2"),
    (["stv-scottish", "{noseats}"], "seats"),
    (["irv", "{blt}", "--budget", "100"], "--budget does not apply to irv"),
    (["irv", "{blt}", "--seats", "x"], "invalid int"),
    (["irv", "{blt}", "--format", "xml"], "invalid choice"),
    (["irv", "{weird}"], "extension"),
    (["irv"], "required"),
]


def _files(tmp_path):
    files = {
        "blt": tmp_path / "ok.blt",
        "missing": tmp_path / "nope.blt",
        "bad": tmp_path / "bad.blt",
        "noseats": tmp_path / "noseats.json",
        "weird": tmp_path / "box.xyz",
    }
    files["blt"].write_text("2 1\n1 1 2 0\n0\na\nb\n")
    files["bad"].write_text("2 1\n1 1 3 0\n0\na\nb\n")
    files["noseats"].write_text(write_json(Profile.from_rankings("ab", [["a"]])))
    files["weird"].write_text("")
    return files


@pytest.mark.parametrize(("args", "words"), ERRORS[:4])
def test_errors_exit_2_with_one_line(tmp_path, args, words):
    # Unknown rule, unreadable file, bad file, missing parameter: through a real process.
    files = _files(tmp_path)
    res = run(*[a.format(**files) for a in args])
    assert res.returncode == 2
    assert res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], res.stderr


@pytest.mark.parametrize(("args", "words"), ERRORS)
def test_errors_in_process(tmp_path, capsys, args, words):
    from govern.tally.__main__ import main

    files = _files(tmp_path)
    assert main([a.format(**files) for a in args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], captured.err


def test_budgeting_rules_from_pb_and_from_json(data_dir, tmp_path):
    res = run("greedy", data_dir / "pabulib" / "Netherlands_Assen_2024.pb")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["rule"] == "greedy" and json.loads(res.stdout)["winners"]
    p = Profile.from_rankings(["speeltuin", "moestuin", "buurthuis"],
                              [["speeltuin", "moestuin"]] * 3 + [["buurthuis"]] * 2)
    f = tmp_path / "round.json"
    f.write_text(write_json(p, costs={"speeltuin": 40000, "moestuin": 30000, "buurthuis": 50000}, budget=80000))
    res = run("greedy", f)
    assert res.returncode == 0, res.stderr
    assert set(json.loads(res.stdout)["winners"]) <= {"speeltuin", "moestuin", "buurthuis"}
    f.write_text(write_json(p))
    res = run("mes", f)
    assert res.returncode == 2 and "costs" in res.stderr
