"""The verifier's money checks, on bundles written by hand (no database): every way the trail can lie."""

from __future__ import annotations

import io

from govern.audit import canonical
from govern.audit.bundle import write_bundle
from govern.audit.chain import GENESIS_PREV, entry_body
from govern.audit.merkle import leaf_hash
from govern.audit.verify import verify_bundle
from govern.finance import ledger
from tests.audit.test_verify import ORIGIN, VKEY, checkpoints_for

# (type, subject, data): round 1 funds proposals 11 (€ 1.000) and 12 (€ 500); 13 is not funded.
BASE = [
    ("round.results_recorded", "round:1", {"funded": [11, 12], "not_funded": [13], "total_cents": 150_000}),
    ("proposal.funded", "proposal:11", {"cost_cents": 100_000}),
    ("proposal.funded", "proposal:12", {"cost_cents": 50_000}),
    ("project.created", "project:1", {"proposal": 11, "round": 1, "member": 4, "allocation_cents": 100_000, "lines": []}),
    ("project.created", "project:2", {"proposal": 12, "round": 1, "member": 5, "allocation_cents": 50_000, "lines": []}),
]


def money(entry, project, kind, amount, **extra):
    data = {"project": project, "entry": entry, "kind": kind, "booked_on": "2026-05-04", "amount_cents": amount,
            "payee": "Bouwmarkt Delfshaven BV", "description": "Hout", "invoice_ref": "F-1"}
    data.update(extra)
    kind_type = {"commitment": "money.committed", "expenditure": "money.spent"}[kind]
    return ("money.reversed" if "reverses" in extra else kind_type, f"project:{project}", data)


GOOD = BASE + [
    money(1, 1, "commitment", 60_000),
    money(2, 1, "expenditure", 40_000, commitment=1),
    money(3, 2, "expenditure", 30_000),
    money(4, 2, "expenditure", -30_000, reverses=3),
    money(5, 2, "expenditure", 3_000),
    ("project.overspend_allowed", "project:2", {"project": 2, "decision": 1, "amount_cents": 10_000, "reason": "Prijzen stegen",
                                                 "decided_on": "2026-06-01", "ceiling_cents": 60_000}),
    money(6, 2, "expenditure", 55_000),
]


def bodies_of(items):
    bodies, prev = [], GENESIS_PREV
    for seq, (type_, subject, data) in enumerate(items, start=1):
        body = entry_body(seq=seq, prev=prev, ts=f"2026-11-27T12:00:{seq:02d}.000000Z", actor="account:7",
                          type=type_, subject=subject, data=data)
        bodies.append(body)
        prev = leaf_hash(body).hex()
    return bodies


def money_json(items, *, edit=None):
    """money.json as the exporter writes it, derived from the entries (then optionally edited)."""
    trail = ledger.replay([(seq, t, s, d) for seq, (t, s, d) in enumerate(items, start=1)])
    document = {
        "format": "govern-money", "version": 1, "licence": "CC BY 4.0",
        "projects": [{"id": p.id, "proposal": p.proposal, "round": p.round, "title": f"Project {p.id}",
                      "allocation_cents": p.allocated, "extra_cents": p.extra, "created_seq": p.created_seq,
                      "totals": p.totals().as_dict()} for p in trail.projects.values()],
        "entries": [{"seq": seq, **data} for seq, data in trail.entries.values()],
        "decisions": [{"seq": seq, **d} for seq, (t, _, d) in enumerate(items, start=1) if t == "project.overspend_allowed"],
    }
    if edit:
        edit(document)
    return canonical.encode(document)


def check(items, *, files=None):
    bodies = bodies_of(items)
    extra = {"money.json": money_json(items)} if files is None else files
    out = io.BytesIO()
    write_bundle(out, origin=ORIGIN, entries=bodies, checkpoints=checkpoints_for(bodies, [len(bodies)]),
                 public_key=VKEY, extra_files=extra)
    return verify_bundle(out.getvalue())


def money_failures(report):
    return [c for c in report.failures if c.message == "money_bad"]


def test_a_sound_trail_passes_with_its_totals():
    report = check(GOOD)
    assert report.ok, report.render()
    line = next(c for c in report.checks if c.message == "money_ok")
    assert line.params["projects"] == 2 and line.params["entries"] == 6 and line.params["decisions"] == 1
    # Spent: 40,000 + (30,000 − 30,000) + 3,000 + 55,000; open: commitment 1 has 20,000 left.
    assert (line.params["spent"], line.params["open"]) == (98_000, 20_000)
    assert "Geld: 2 projecten" in line.text("nl")


def test_money_for_a_project_that_was_never_funded_is_caught():
    report = check(GOOD + [money(7, 9, "expenditure", 1_000)], files={})
    codes = [c.params["reason"].code for c in money_failures(report)]
    assert "unknown_project" in codes


def test_a_project_from_an_unfunded_proposal_is_caught():
    items = BASE + [("project.created", "project:3", {"proposal": 13, "round": 1, "allocation_cents": 20_000, "lines": []})]
    failure = money_failures(check(items))[0]
    assert failure.params["reason"].code == "project_not_funded" and failure.where == "entry 6"
    assert "voorstel 13" in failure.text("nl")


def test_an_allocation_other_than_the_funded_cost_is_caught():
    items = BASE[:3] + [("project.created", "project:1", {"proposal": 11, "round": 1, "allocation_cents": 900_000, "lines": []})]
    assert money_failures(check(items))[0].params["reason"].code == "allocation_differs"


def test_overspend_without_a_board_decision_is_flagged():
    items = BASE + [money(1, 2, "expenditure", 45_000), money(2, 2, "expenditure", 6_000)]
    failure = money_failures(check(items))[0]
    assert failure.params["reason"].code == "overspend" and failure.where == "entry 7"
    assert failure.params["reason"].params["over"] == 1_000


def test_overspend_with_an_earlier_board_decision_passes():
    items = BASE + [
        money(1, 2, "expenditure", 45_000),
        ("project.overspend_allowed", "project:2", {"project": 2, "decision": 1, "amount_cents": 1_000, "reason": "r",
                                                     "decided_on": "2026-06-01", "ceiling_cents": 51_000}),
        money(2, 2, "expenditure", 6_000),
    ]
    assert check(items).ok


def test_a_decision_after_the_overspend_does_not_excuse_it():
    items = BASE + [
        money(1, 2, "expenditure", 51_000),
        ("project.overspend_allowed", "project:2", {"project": 2, "decision": 1, "amount_cents": 1_000, "reason": "r",
                                                     "decided_on": "2026-06-01", "ceiling_cents": 51_000}),
    ]
    assert money_failures(check(items))[0].params["reason"].code == "overspend"


def test_a_correction_that_does_not_cancel_its_entry_is_caught():
    for bad in (
        money(4, 2, "expenditure", -20_000, reverses=3),  # not the opposite amount
        money(4, 2, "expenditure", -30_000, reverses=99),  # nothing to cancel
        money(4, 1, "expenditure", -30_000, reverses=3),  # another project's entry
    ):
        items = BASE + [money(3, 2, "expenditure", 30_000), bad]
        assert money_failures(check(items))[0].params["reason"].code == "reversal_bad", bad


def test_an_entry_corrected_twice_is_caught():
    items = BASE + [money(3, 2, "expenditure", 30_000), money(4, 2, "expenditure", -30_000, reverses=3),
                    money(5, 2, "expenditure", -30_000, reverses=3)]
    assert money_failures(check(items))[0].params["reason"].code == "reversal_bad"


def test_paying_a_commitment_of_another_project_is_caught():
    items = BASE + [money(1, 1, "commitment", 10_000), money(2, 2, "expenditure", 5_000, commitment=1)]
    assert money_failures(check(items))[0].params["reason"].code == "commitment_bad"


def test_money_json_must_match_the_record():
    def more_spent(document):
        document["projects"][0]["totals"]["spent_cents"] += 1

    def changed_payee(document):
        document["entries"][1]["payee"] = "Iemand anders"

    def dropped_entry(document):
        del document["entries"][-1]

    for edit, code in ((more_spent, "file_project"), (changed_payee, "file_entry"), (dropped_entry, "file_entries")):
        report = check(GOOD, files={"money.json": money_json(GOOD, edit=edit)})
        assert code in [c.params["reason"].code for c in money_failures(report)], code


def test_a_bundle_without_money_json_is_caught_when_the_record_has_money():
    failure = money_failures(check(GOOD, files={}))[0]
    assert failure.params["reason"].code == "file_missing" and failure.where == "money.json"


def test_a_record_without_money_needs_no_money_json():
    report = check(BASE[:1], files={})
    assert report.ok and any(c.message == "money_none" for c in report.checks)
