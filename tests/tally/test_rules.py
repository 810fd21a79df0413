"""The registry, recount byte-stability, and purity of the package."""

import json
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govern.tally import ParameterError, canonical_json
from govern.tally.formats import FormatError, profile_to_document
from govern.tally.rules import RULES, recount

from tally_strategies import shuffled, strict_profiles

OURS = ["irv", "stv-scottish", "stv-meek"]


def test_registry_names():
    assert list(RULES) == ["motion", "irv", "stv-scottish", "stv-meek", "schulze", "ranked-pairs",
                           "copeland", "borda", "greedy", "mes"]


@settings(max_examples=80, deadline=None)
@given(strict_profiles(allow_empty=False), st.sampled_from(OURS), st.sampled_from([None, "seed-1"]),
       st.randoms(use_true_random=False))
def test_recount_is_byte_stable(profile, rule, seed, rnd):
    doc = {"rule": rule, "params": {"tie_break": seed}, "profile": profile_to_document(profile)}
    first = recount(doc).to_json()
    # Through JSON text and back, with the ballots in another order: the same bytes.
    perm = list(range(len(profile.ballots)))
    rnd.shuffle(perm)
    doc2 = json.loads(json.dumps({**doc, "profile": profile_to_document(shuffled(profile, perm))}))
    assert recount(doc2).to_json() == first
    out = json.loads(first)
    assert out["rule"] == rule and set(out["winners"]) <= set(profile.candidates)
    # The outcome's own params recount to the same bytes.
    assert recount({"rule": rule, "params": out["params"], "profile": doc["profile"]}).to_json() == first
    assert canonical_json(out) == first


def test_recount_errors():
    prof = {"format": "govern-profile", "version": 1, "candidates": ["a", "b"], "ballots": []}
    with pytest.raises(ParameterError, match="unknown rule"):
        recount({"rule": "plurality", "params": {}, "profile": prof})
    with pytest.raises(ParameterError, match="seats"):
        recount({"rule": "stv-scottish", "params": {}, "profile": prof})
    with pytest.raises(ParameterError, match="frobnicate"):
        recount({"rule": "irv", "params": {"frobnicate": 1}, "profile": prof})
    with pytest.raises(FormatError):
        recount({"rule": "irv", "params": {}, "profile": {"format": "nope"}})


def test_motion_recount():
    prof = {"format": "govern-profile", "version": 1, "candidates": ["yes", "no", "abstain"],
            "ballots": [{"ranking": ["yes"], "weight": 7}, {"ranking": ["no"], "weight": 3}, {"ranking": []}]}
    out = recount({"rule": "motion", "params": {"threshold": "two-thirds", "quorum": "1/2", "electorate": 20},
                   "profile": prof})
    assert out.winners == ("yes",)
    assert recount({"rule": "motion", "params": json.loads(out.to_json())["params"], "profile": prof}).to_json() == out.to_json()


def test_lazy_rules_report_a_missing_module(monkeypatch):
    monkeypatch.setitem(sys.modules, "govern.tally.condorcet", None)
    prof = {"format": "govern-profile", "version": 1, "candidates": ["a"], "ballots": []}
    with pytest.raises(ParameterError, match="not available"):
        recount({"rule": "schulze", "params": {}, "profile": prof})


def test_tally_is_pure():
    code = ("import sys, govern.tally, govern.tally.rules, govern.tally.formats, govern.tally.__main__\n"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy', 'werkzeug')\n"
            "       or (m.startswith('govern.') and not m.startswith('govern.tally'))]\n"
            "print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("rule", ["greedy", "mes"])
def test_budgeting_recount_round_trips(rule):
    prof = {"format": "govern-profile", "version": 1, "candidates": ["speeltuin", "moestuin", "buurthuis"],
            "ballots": [{"ranking": [["speeltuin"], ["moestuin"]], "weight": 3}, {"ranking": ["buurthuis"], "weight": 2}],
            "costs": {"speeltuin": 40000, "moestuin": 30000, "buurthuis": 50000}}
    out = recount({"rule": rule, "params": {"budget": 80000}, "profile": prof})
    assert set(out.winners) <= {"speeltuin", "moestuin", "buurthuis"}
    again = recount({"rule": rule, "params": json.loads(out.to_json())["params"], "profile": prof})
    assert again.to_json() == out.to_json()
    with pytest.raises(ParameterError, match="budget"):
        recount({"rule": rule, "params": {}, "profile": prof})
