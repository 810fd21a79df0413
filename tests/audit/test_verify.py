"""The standalone verifier: a clean bundle passes; every attack is caught, with the first bad place named."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from govern.audit import canonical
from govern.audit.bundle import read_bundle, write_bundle
from govern.audit.chain import GENESIS_PREV, entry_body
from govern.audit.checkpoint import generate_key, sign_checkpoint
from govern.audit.merkle import leaf_hash, leaf_hashes, root
from govern.audit.verify import main, verify_bundle
from govern.tally import Outcome

ORIGIN = "govern.example/delfshaven"
SKEY, VKEY = generate_key(ORIGIN)
ROOT_DIR = Path(__file__).resolve().parents[2]


def plurality(document):
    """A stand-in for govern.tally.rules.recount: most first preferences wins."""
    candidates = document["profile"]["candidates"]
    counts = dict.fromkeys(candidates, 0)
    for ballot in document["profile"]["ballots"]:
        if ballot:
            counts[ballot[0]] += 1
    winner = max(candidates, key=lambda c: (counts[c], -candidates.index(c)))
    return Outcome(
        rule=document["rule"], params=document["params"], candidates=tuple(candidates),
        winners=(winner,), rounds=({"counts": counts},),
    )


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_vote(vote_id, ballots, *, seq, participants=None, outcome_override=None):
    count = {"rule": "plurality", "params": {"seats": 1}, "profile": {"candidates": ["buurttuin", "speeltuin", "repaircafe"], "ballots": ballots}}
    count_bytes = canonical.encode(count)
    outcome = outcome_override or plurality(count).to_json()
    data = {
        "rule": "plurality", "params": {"seats": 1}, "engine": "govern-tally/1",
        "ballots_digest": sha(count_bytes), "outcome_digest": sha(outcome),
        "electorate_digest": sha(b"electorate " + vote_id.encode()),
        "participation_count": len(ballots) if participants is None else participants,
        "ballot_count": len(ballots), "winners": list(json.loads(outcome)["winners"]),
    }
    meta = {
        "id": vote_id, "electorate_digest": data["electorate_digest"], "participation_count": data["participation_count"],
        "ballot_count": data["ballot_count"], "ballot_box_root": sha(b"box"), "closed_seq": seq,
    }
    return data, {"id": vote_id, "count": count_bytes, "outcome": outcome, "vote": meta}


BALLOTS = [["buurttuin", "speeltuin"], ["speeltuin"], ["buurttuin"], ["repaircafe", "buurttuin"], ["buurttuin"]]


def history(n=12, *, vote_seq=8, ballots=BALLOTS, participants=None, outcome_override=None, tweak=None):
    """n entries; entry vote_seq closes vote 'v1'. tweak(seq, data) may change an entry's data."""
    bodies, votes, prev = [], [], GENESIS_PREV
    for seq in range(1, n + 1):
        if seq == vote_seq:
            data, vote = make_vote("v1", ballots, seq=seq, participants=participants, outcome_override=outcome_override)
            votes.append(vote)
            kind, subject = "vote.closed", "vote:v1"
        else:
            data, kind, subject = {"amount_cents": 1000 * seq, "round": "2027-voorjaar"}, "allocation.made", f"proposal:{seq}"
        if tweak:
            data = tweak(seq, data)
        body = entry_body(seq=seq, prev=prev, ts=f"2026-11-27T12:00:{seq:02d}.000000Z", actor="account:7", type=kind, subject=subject, data=data)
        bodies.append(body)
        prev = leaf_hash(body).hex()
    return bodies, votes


def checkpoints_for(bodies, sizes, *, skey=SKEY, origin=ORIGIN):
    hashes = leaf_hashes(bodies)
    return [sign_checkpoint(origin, s, root(hashes[:s]), skey) for s in sizes]


def bundle_bytes(bodies, votes, checkpoints=None, *, public_key=VKEY, origin=ORIGIN):
    if checkpoints is None:
        checkpoints = checkpoints_for(bodies, [4, len(bodies)])
    out = io.BytesIO()
    write_bundle(out, origin=origin, entries=bodies, checkpoints=checkpoints, public_key=public_key, votes=votes,
                 extra_files={"README.txt": b"Audit bundle for the test.\n"})
    return out.getvalue()


def check(data, **kwargs):
    return verify_bundle(data, recount=plurality, **kwargs)


def first_failure(report):
    assert not report.ok, report.render()
    return report.failures[0]


def saved_checkpoint(size=10):
    bodies, _ = history()
    return checkpoints_for(bodies, [size])[0]


# -- a clean bundle ---------------------------------------------------------------------


def test_clean_bundle_passes_and_reads_well():
    bodies, votes = history()
    report = check(bundle_bytes(bodies, votes), trusted_checkpoint=saved_checkpoint(), key=VKEY)
    text = report.render()
    assert report.ok, text
    assert text.count("✓") == len(report.checks) and "✗" not in text
    assert "The record has 12 entries" in text
    assert "Vote v1 (closed at entry 8): recounted with plurality, same outcome byte for byte; winners buurttuin" in text
    assert "All" in text.splitlines()[-1]
    nl = report.render("nl")
    assert "Het logboek heeft 12 regels" in nl and "Alle" in nl


def test_bundle_round_trip_and_layout(tmp_path):
    bodies, votes = history()
    path = tmp_path / "bundle.zip"
    path.write_bytes(bundle_bytes(bodies, votes))
    names = zipfile.ZipFile(path).namelist()
    assert names[0] == "MANIFEST.json"
    assert {"entries.jsonl", "public-key.txt", "checkpoints/4.note", "checkpoints/12.note", "votes/v1/count.json",
            "votes/v1/outcome.json", "votes/v1/vote.json", "README.txt"} <= set(names)
    b = read_bundle(path)
    assert b.entries == bodies and b.public_key == VKEY and b.extra_files == {"README.txt": b"Audit bundle for the test.\n"}
    assert b.manifest == {"format": "govern-audit-bundle", "version": 1, "origin": ORIGIN, "entry_count": 12, "head": leaf_hash(bodies[-1]).hex()}
    assert bundle_bytes(bodies, votes) == path.read_bytes()  # deterministic


# -- attacks on the record --------------------------------------------------------------


def test_a_changed_row_is_caught_where_the_chain_breaks():
    bodies, votes = history()
    value = json.loads(bodies[4])
    value["data"]["amount_cents"] = 999_999
    bodies[4] = canonical.encode(value)
    failure = first_failure(check(bundle_bytes(bodies, votes, checkpoints_for(history()[0], [4, 12]))))
    assert failure.where == "entry 6" and "entry 5" in failure.text()


def test_a_changed_last_row_is_caught_by_the_signed_checkpoint():
    bodies, votes = history()
    good = checkpoints_for(bodies, [4, 12])
    value = json.loads(bodies[-1])
    value["data"]["amount_cents"] = 1
    bodies[-1] = canonical.encode(value)
    failure = first_failure(check(bundle_bytes(bodies, votes, good)))
    assert failure.where == "checkpoints/12.note" and "entries 5–12" in failure.text()


def test_a_deleted_row_is_caught():
    bodies, votes = history()
    cps = checkpoints_for(bodies, [4, 12])
    del bodies[6]
    failure = first_failure(check(bundle_bytes(bodies, votes, cps)))
    assert failure.where == "entry 7"


def test_reordered_rows_are_caught():
    bodies, votes = history()
    cps = checkpoints_for(bodies, [4, 12])
    bodies[2], bodies[3] = bodies[3], bodies[2]
    failure = first_failure(check(bundle_bytes(bodies, votes, cps)))
    assert failure.where == "entry 3"


def test_a_non_canonical_reserialization_is_caught():
    bodies, votes = history()
    cps = checkpoints_for(bodies, [4, 12])
    bodies[3] = json.dumps(json.loads(bodies[3]), indent=None).encode()  # ", " and ": " separators
    failure = first_failure(check(bundle_bytes(bodies, votes, cps)))
    assert failure.where == "entry 4" and "canonical" in failure.text()


def test_a_truncated_tail_is_caught_against_a_saved_checkpoint():
    bodies, votes = history()
    cut = bodies[:9]
    report = check(bundle_bytes(cut, votes, checkpoints_for(cut, [4, 9])), trusted_checkpoint=saved_checkpoint(10))
    failure = first_failure(report)
    assert failure.where == "entry 10" and "cut off" in failure.text()


def test_a_fork_re_signed_with_the_operator_key_is_caught_against_a_saved_checkpoint():
    saved = saved_checkpoint(10)
    forked, votes = history(tweak=lambda seq, data: {**data, "amount_cents": 1} if seq == 3 else data)
    report = check(bundle_bytes(forked, votes, checkpoints_for(forked, [4, 12])), trusted_checkpoint=saved)
    failure = first_failure(report)
    assert failure.where == "size 10" and "rewritten" in failure.text()
    assert all(c.ok for c in report.checks if c.message == "cp_ok")  # the forger's own checkpoints hold up


def test_two_checkpoints_of_one_size_with_different_roots_are_a_fork():
    original, _ = history()
    forked, votes = history(tweak=lambda seq, data: {**data, "amount_cents": 1} if seq == 3 else data)
    cps = checkpoints_for(forked, [4, 12]) + checkpoints_for(original, [12])
    report = check(bundle_bytes(forked, votes, cps))
    assert [c.message for c in report.failures] == ["cp_root_bad", "fork"]
    assert report.failures[0].where == "checkpoints/12.2.note" and "entries 5–12" in report.failures[0].text()
    assert "checkpoints/12.note, checkpoints/12.2.note" in report.failures[1].text()


def test_a_stale_checkpoint_is_caught():
    bodies, votes = history()
    # The newest checkpoint left out: the last entries are pinned by nothing.
    failure = first_failure(check(bundle_bytes(bodies, votes, checkpoints_for(bodies, [4, 9]))))
    assert failure.message == "coverage_bad" and failure.where == "entry 10"
    # An old checkpoint served under a new name.
    renamed = io.BytesIO(bundle_bytes(bodies, votes, checkpoints_for(bodies, [4])))
    data = _rewrite_zip(renamed.getvalue(), rename={"checkpoints/4.note": "checkpoints/12.note"})
    failure = first_failure(check(data))
    assert failure.message == "cp_name_bad" and failure.where == "checkpoints/12.note"
    # Against a saved checkpoint newer than anything the bundle signs.
    report = check(bundle_bytes(bodies, votes, checkpoints_for(bodies, [4, 9])), trusted_checkpoint=saved_checkpoint(11))
    assert "trusted_stale" in [c.message for c in report.failures]


def test_a_checkpoint_from_another_origin_or_key_is_refused():
    bodies, votes = history()
    other_origin = checkpoints_for(bodies, [12], origin="elsewhere.example/log")
    failure = first_failure(check(bundle_bytes(bodies, votes, checkpoints_for(bodies, [4]) + other_origin)))
    assert failure.where == "checkpoints/12.note" and "elsewhere.example/log" in failure.text()
    mallory, _ = generate_key(ORIGIN)
    failure = first_failure(check(bundle_bytes(bodies, votes, checkpoints_for(bodies, [4]) + checkpoints_for(bodies, [12], skey=mallory))))
    assert failure.where == "checkpoints/12.note" and "not signed by" in failure.text()


def test_a_swapped_public_key_is_caught_when_the_auditor_gives_the_key():
    bodies, votes = history()
    mallory_skey, mallory_vkey = generate_key(ORIGIN)
    data = bundle_bytes(bodies, votes, checkpoints_for(bodies, [4, 12], skey=mallory_skey), public_key=mallory_vkey)
    assert check(data).ok  # self-consistent: only a key from outside can tell
    report = check(data, key=VKEY)
    failure = first_failure(report)
    assert failure.message == "key_given_bad" and failure.where == "public-key.txt"
    assert {c.message for c in report.failures} == {"key_given_bad", "cp_sig_bad", "no_checkpoint"}


# -- attacks on a vote ------------------------------------------------------------------


def test_a_tampered_ballot_is_caught():
    bodies, votes = history()
    count = json.loads(votes[0]["count"])
    count["profile"]["ballots"][1] = ["buurttuin"]
    votes[0]["count"] = canonical.encode(count)
    failure = first_failure(check(bundle_bytes(bodies, votes)))
    assert failure.where == "votes/v1/count.json" and "entry 8" in failure.text()


def test_an_outcome_that_does_not_follow_from_the_ballots_is_caught():
    wrong = plurality({"rule": "plurality", "params": {"seats": 1}, "profile": {"candidates": ["speeltuin", "buurttuin"], "ballots": [["speeltuin"]]}})
    bodies, votes = history(outcome_override=wrong.to_json())
    failure = first_failure(check(bundle_bytes(bodies, votes)))
    assert failure.where == "votes/v1/outcome.json" and "different outcome" in failure.text()


def test_more_ballots_than_participants_is_caught():
    bodies, votes = history(participants=4)
    failure = first_failure(check(bundle_bytes(bodies, votes)))
    assert failure.where == "votes/v1/vote.json" and "4 members took part but there are 5 ballots" in failure.text()


def test_a_vote_left_out_of_the_bundle_is_caught():
    bodies, _ = history()
    failure = first_failure(check(bundle_bytes(bodies, [])))
    assert failure.message == "vote_missing" and failure.where == "votes/v1/"


# -- the command ------------------------------------------------------------------------


def _rewrite_zip(data, *, drop=(), rename=None, replace=None):
    src, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            if name in drop:
                continue
            content = (replace or {}).get(name, src.read(name))
            dst.writestr((rename or {}).get(name, name), content)
    return out.getvalue()


def test_command_exit_codes(tmp_path, monkeypatch):
    monkeypatch.setattr("govern.audit.verify._default_recount", plurality)
    bodies, votes = history()
    good, bad = tmp_path / "good.zip", tmp_path / "bad.zip"
    good.write_bytes(bundle_bytes(bodies, votes))
    saved = tmp_path / "saved.note"
    saved.write_text(saved_checkpoint(10), "utf-8")
    out = io.StringIO()
    assert main([str(good), "--trusted-checkpoint", str(saved), "--key", VKEY], stdout=out) == 0
    assert "✗" not in out.getvalue()
    bad.write_bytes(bundle_bytes(bodies[:9], votes, checkpoints_for(bodies[:9], [9])))
    out = io.StringIO()
    assert main([str(bad), "--trusted-checkpoint", str(saved), "--lang", "nl"], stdout=out) == 1
    assert "✗ Uw bewaarde controlepunt dekt 10 regels, maar de bundel heeft er maar 9" in out.getvalue()
    unusable = {
        "not a zip": b"hello",
        "no entries": _rewrite_zip(good.read_bytes(), drop={"entries.jsonl"}),
        "bad manifest": _rewrite_zip(good.read_bytes(), replace={"MANIFEST.json": b'{"format":"other"}'}),
    }
    for name, data in unusable.items():
        bad.write_bytes(data)
        out = io.StringIO()
        assert main([str(bad)], stdout=out) == 2, name
        assert "cannot be used" in out.getvalue()
    assert main([str(tmp_path / "missing.zip")], stdout=io.StringIO()) == 2
    assert main([str(good), "--key", "not a key"], stdout=io.StringIO()) == 2
    assert main([str(good), "--trusted-checkpoint", str(tmp_path / "nope.note")], stdout=io.StringIO()) == 2
    saved.write_text("garbage", "utf-8")
    assert main([str(good), "--trusted-checkpoint", str(saved)], stdout=io.StringIO()) == 2


def test_the_verifier_never_imports_flask_or_sqlalchemy(tmp_path):
    path = tmp_path / "b.zip"
    path.write_bytes(_irv_bundle())  # with a vote, so that the counting engine is imported too
    probe = (
        "import runpy, sys\n"
        f"sys.argv = ['verify', {str(path)!r}]\n"
        "try:\n"
        "    runpy.run_module('govern.audit.verify', run_name='__main__')\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy', 'flask_sqlalchemy', 'werkzeug'))\n"
        "print('EXIT', code, 'IMPORTED', bad)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT_DIR, timeout=60)
    assert "EXIT 0 IMPORTED []" in result.stdout, result.stdout + result.stderr


def test_dutch_report_explains_a_broken_chain_in_dutch():
    bodies, votes = history()
    cps = checkpoints_for(bodies, [4, 12])
    del bodies[6]
    text = check(bundle_bytes(bodies, votes, cps)).render("nl")
    assert "✗ Het logboek is onderbroken bij regel 7: het volgnummer klopt niet" in text


def _irv_bundle(tamper=False):
    """A bundle whose vote is counted by the real engine, govern.tally.rules.recount."""
    from govern.tally import rules
    count = {
        "rule": "irv", "params": {"tie_break": "seed-2027"},
        "profile": {"format": "govern-profile", "version": 1, "candidates": ["buurttuin", "speeltuin", "repaircafe"],
                    "ballots": [{"ranking": ["buurttuin", "speeltuin"], "weight": 2}, {"ranking": ["speeltuin"]},
                                {"ranking": ["repaircafe", "speeltuin"], "weight": 2}]},
    }
    count_bytes = canonical.encode(count)
    outcome = rules.recount(count).to_json()
    data = {
        "rule": "irv", "params": count["params"], "engine": json.loads(outcome)["engine"],
        "ballots_digest": sha(count_bytes), "outcome_digest": sha(outcome), "electorate_digest": sha(b"e"),
        "participation_count": 5, "ballot_count": 5, "winners": json.loads(outcome)["winners"],
    }
    if tamper:
        count["profile"]["ballots"][0]["weight"] = 3
        count_bytes = canonical.encode(count)
    meta = {"id": "alv-2027-1", "electorate_digest": sha(b"e"), "participation_count": 5, "ballot_count": 5,
            "ballot_box_root": sha(b"box"), "closed_seq": 2}
    bodies, prev = [], GENESIS_PREV
    for seq, (kind, subject, d) in enumerate([("vote.opened", "vote:alv-2027-1", {}), ("vote.closed", "vote:alv-2027-1", data)], 1):
        body = entry_body(seq=seq, prev=prev, ts=f"2026-11-27T20:00:0{seq}.000000Z", actor="account:1", type=kind, subject=subject, data=d)
        bodies.append(body)
        prev = leaf_hash(body).hex()
    vote = {"id": "alv-2027-1", "count": count_bytes, "outcome": outcome, "vote": meta}
    return bundle_bytes(bodies, [vote], checkpoints_for(bodies, [2]))


def test_a_vote_is_recounted_by_govern_tally():
    report = verify_bundle(_irv_bundle())
    assert report.ok, report.render()
    assert "recounted with irv, same outcome byte for byte" in report.render()
    failure = first_failure(verify_bundle(_irv_bundle(tamper=True)))
    assert failure.where == "votes/alv-2027-1/count.json"
