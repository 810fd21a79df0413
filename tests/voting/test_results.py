"""Results of closed votes: the pages, the published box, receipt checks and downloads.

Votes are made and closed through the voting services, so what the pages show is
what close_vote stored. Pages are read with a small HTML parser: tables by caption,
charts by their <title> and <desc>.
"""

from __future__ import annotations

import csv
import io
import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest

from govern.audit import merkle
from govern.budgeting.models import Phase
from govern.tally import TieBreak, canonical_json
from govern.tally.budgeting import mes
from govern.tally.formats import read_blt
from govern.tally.irv import irv
from govern.tally.pabulib import read_pb
from govern.tally.rules import recount
from govern.tally.stv import stv_scottish
from govern.voting import services
from tests.budgeting.factories import make_proposal, make_round, move_to
from tests.voting.factories import make_election, make_motion

# --- reading pages --------------------------------------------------------------------------


class Page(HTMLParser):
    """Tables (caption, header row, body rows as cell texts) and SVG charts (title, desc) of a page."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[dict[str, Any]] = []
        self.charts: list[dict[str, Any]] = []
        self._table: dict[str, Any] | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._in_caption = False
        self._svg: dict[str, Any] | None = None
        self._svg_part: str | None = None
        self._section = ""
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table":
            self._table = {"caption": "", "rows": [], "head": []}
        elif tag == "caption":
            self._in_caption = True
        elif tag in ("thead", "tbody", "tfoot"):
            self._section = tag
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "svg":
            self._svg = {"role": a.get("role"), "labelledby": a.get("aria-labelledby"), "title": "", "desc": "", "text": []}
        elif tag in ("title", "desc") and self._svg is not None:
            self._svg_part = tag
        elif tag == "text" and self._svg is not None:
            self._svg_part = "text"
            self._svg["text"].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption":
            self._in_caption = False
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table is not None:
            (self._table["head"] if self._section == "thead" else self._table["rows"]).append(self._row)
            self._row = None
        elif tag == "table" and self._table is not None:
            self.tables.append(self._table)
            self._table = None
        elif tag == "svg" and self._svg is not None:
            self.charts.append(self._svg)
            self._svg = None
        elif tag in ("title", "desc", "text"):
            self._svg_part = None

    def handle_data(self, data: str) -> None:
        if self._in_caption and self._table is not None:
            self._table["caption"] += data.strip()
        elif self._cell is not None:
            self._cell.append(data)
        elif self._svg is not None and self._svg_part in ("title", "desc"):
            self._svg[self._svg_part] += data
        elif self._svg is not None and self._svg_part == "text":
            self._svg["text"][-1] += data

    def table(self, caption: str) -> dict[str, Any]:
        found = [t for t in self.tables if caption in t["caption"]]
        assert found, f"no table with caption {caption!r}; captions: {[t['caption'] for t in self.tables]}"
        return found[0]


def cast_all(vote: Any, voters: list[Any], rankings: list[list[str]]) -> list[str]:
    return [services.cast_ballot(vote, by=v, member_id=v.member_id, ranking=r) for v, r in zip(voters, rankings)]


def money_text(cents: int) -> str:
    """The English money format the pages use (the voting tests run in English)."""
    return f"€{cents // 100:,}.{cents % 100:02d}"


# --- motions --------------------------------------------------------------------------------


def test_motion_results_show_counts_threshold_and_verdict(client, db, board, tiers, make_account):
    voters = [make_account(tier="lid") for _ in range(5)]
    vote = make_motion(board, tiers, threshold="two-thirds")
    cast_all(vote, voters, [["yes"], ["yes"], ["yes"], ["no"], ["abstain"]])
    services.close_vote(vote, by=board)
    html = client.get(f"/votes/{vote.id}/results").get_data(as_text=True)
    assert "Carried" in html and "Carried when at least two-thirds of the votes cast are yes." in html
    assert "Abstentions do not count as votes cast." in html
    page = Page(html)
    rows = {r[0]: r[1] for r in page.table("Votes").get("rows") if len(r) > 1}
    assert rows["For"] == "3" and rows["Against"] == "1" and rows["Abstain"] == "1"
    chart = page.charts[0]
    assert chart["role"] == "img" and chart["title"] == "Votes"
    assert "For: 3" in chart["desc"] and "Against: 1" in chart["desc"]
    assert any("For: 3" in t for t in chart["text"])  # the label is written on the chart, not only a colour


def test_motion_without_quorum_is_not_valid(client, db, board, tiers, make_account):
    voters = [make_account(tier="lid") for _ in range(4)]
    vote = make_motion(board, tiers, quorum="1/2")
    cast_all(vote, voters[:1], [["yes"]])
    services.close_vote(vote, by=board)
    html = client.get(f"/votes/{vote.id}/results").get_data(as_text=True)
    assert "Not valid: quorum not reached" in html
    assert "Quorum not reached: 1 of 5 votes were cast; 3 (1/2) were needed." in html
    assert "<strong>Carried</strong>" not in html


# --- elections ------------------------------------------------------------------------------


def test_irv_rounds_have_accessible_charts_and_tables_that_match_the_outcome(client, db, board, tiers, make_account):
    voters = [make_account(tier="lid") for _ in range(9)]
    vote = make_election(board, tiers)
    cast_all(vote, voters, [["c1", "c2"]] * 4 + [["c2", "c1"]] * 2 + [["c3", "c2"]] * 3)
    services.close_vote(vote, by=board)
    outcome = services.outcome_dict(vote)
    assert len(outcome["rounds"]) >= 2
    html = client.get(f"/votes/{vote.id}/results").get_data(as_text=True)
    page = Page(html)
    names = {o.key: o.label for o in vote.options}
    winner = names[outcome["winners"][0]]
    assert f"Winner: {winner}" in html
    charts = [c for c in page.charts if c["title"].startswith("Round")]
    assert len(charts) == len(outcome["rounds"])
    for rnd, chart in zip(outcome["rounds"], charts):
        n = rnd["round"]
        assert chart["role"] == "img" and chart["labelledby"] == f"chart-round-{n}-title chart-round-{n}-desc"
        assert chart["title"] == f"Round {n}" and chart["desc"]
        table = page.table(f"Round {n}: the numbers")
        shown = {r[0]: r[1] for r in table["rows"]}
        for key, votes in rnd["votes"].items():
            assert shown[names[key]] == str(votes)
            assert f"{names[key]}: {votes}" in chart["desc"]
        if "eliminated" in rnd:
            row = next(r for r in table["rows"] if r[0] == names[rnd["eliminated"]])
            assert row[-1] == "eliminated"
            for key, got in rnd["transfers"].items():
                assert next(r for r in table["rows"] if r[0] == names[key])[2] == f"+{got}"
        assert shown["Votes still in the count"] == str(rnd["active"])


def test_stv_rounds_show_the_quota_and_exact_counts(client, db, board, tiers, make_account):
    voters = [make_account(tier="lid") for _ in range(9)]
    vote = make_election(board, tiers, seats=2)
    cast_all(vote, voters, [["c1", "c2"]] * 5 + [["c2", "c1"]] + [["c3", "c4"]] * 2 + [["c4", "c3"]])
    services.close_vote(vote, by=board)
    outcome = services.outcome_dict(vote)
    html = client.get(f"/votes/{vote.id}/results").get_data(as_text=True)
    page = Page(html)
    names = {o.key: o.label for o in vote.options}
    assert "Elected: " in html and all(names[w] in html for w in outcome["winners"])
    assert f"The quota is {outcome['summary']['quota']} votes." in html
    for rnd in outcome["rounds"]:
        table = page.table(f"Round {rnd['round']}: the numbers")
        shown = {r[0]: r[1] for r in table["rows"]}
        assert shown["Quota"] == outcome["summary"]["quota"]
        for key, votes in rnd["votes"].items():
            expected = votes.rstrip("0").rstrip(".")
            assert shown[names[key]].replace(",", "") == expected
        for key in rnd["elected"]:
            assert next(r for r in table["rows"] if r[0] == names[key])[-1] == "elected"


# --- budget votes ---------------------------------------------------------------------------


def closed_budget_vote(board: Any, tiers: Any, make_account: Any) -> tuple[Any, dict[str, Any]]:
    """€ 3.000 for four plans. Six voters want A (€ 2.000) and B (€ 1.000); four want C (€ 1.000); nobody D (€ 1.500).

    Most votes first funds A and B. Equal shares gives each voter € 300: A's six voters
    cannot pay € 2.000 after paying for B, so B and C are funded and € 1.000 is left.
    """
    proposer = make_account(tier="lid")
    voters = [make_account(tier="bewoner") for _ in range(10)]
    round_ = make_round(board, tiers, phase=Phase.SUBMISSION, budget_cents=300_000)
    plans = {
        "A": make_proposal(round_, proposer, title="Buurthuis", neighbourhood="spangen", lines=[("Verbouwing", 200_000)]),
        "B": make_proposal(round_, proposer, title="Bankjes", neighbourhood="spangen", lines=[("Bankjes", 100_000)]),
        "C": make_proposal(round_, proposer, title="Moestuin", neighbourhood="bospolder", lines=[("Bakken", 100_000)]),
        "D": make_proposal(round_, proposer, title="Fietsenrek", neighbourhood="bospolder", lines=[("Rekken", 150_000)]),
    }
    from govern.budgeting import services as budgeting

    move_to(round_, board, Phase.REVIEW)
    for p in plans.values():
        budgeting.review(p, by=board, eligible=True, reason="Haalbaar.")
    move_to(round_, board, Phase.VOTING)
    vote = services.budget_vote(round_)
    key = {name: f"p{p.id}" for name, p in plans.items()}
    cast_all(vote, voters, [[key["A"], key["B"]]] * 6 + [[key["C"]]] * 4)
    budgeting.advance_phase(round_, by=board, to=Phase.RESULTS)
    return vote, key


def test_budget_results_money_neighbourhoods_comparison_and_reasons(client, db, board, tiers, make_account):
    vote, key = closed_budget_vote(board, tiers, make_account)
    assert set(vote.winners) == {key["B"], key["C"]}
    greedy = json.loads(vote.comparison)
    assert set(greedy["winners"]) == {key["A"], key["B"]}
    html = client.get(f"/votes/{vote.id}/results").get_data(as_text=True)
    page = Page(html)

    funded = page.table("Funded plans")
    body = {r[0]: r for r in funded["rows"]}
    assert set(body) >= {"Bankjes", "Moestuin"} and "Buurthuis" not in body
    assert body["Money used"][1] == money_text(200_000)
    assert body["Money left"][1] == money_text(100_000)
    assert body["Budget"][1] == money_text(300_000)
    used = sum(p.cost_cents for p in vote.options if p.key in vote.winners)
    assert used + 100_000 == 300_000

    areas = {r[0]: r for r in page.table("Where the money goes")["rows"]}
    assert areas["Spangen"][1:] == ["1", money_text(100_000)]
    assert areas["Bospolder"][1:] == ["1", money_text(100_000)]

    assert 'Compared with "most votes first"' in html
    compare = html[html.index('Funded now, not with "most votes first"'):html.index("Why is my plan not funded?")]
    assert "Moestuin" in compare.split("Would have been funded")[0]
    assert "Buurthuis" in compare.split("Would have been funded")[1]

    why = html[html.index("Why is my plan not funded?"):]
    a = why[why.index(f'id="why-{key["A"]}"'):why.index(f'id="why-{key["D"]}"')]
    assert "Its 6 voters had only" in a and f"The plan costs {money_text(200_000)}:" in a and " short." in a
    assert "Had the plans with the most votes simply been funded first, this plan would have got money." in a
    assert "only " + money_text(100_000) + " was left" in a  # the greedy fill-up afterwards
    d = why[why.index(f'id="why-{key["D"]}"'):]
    assert "Nobody put this plan on their ballot." in d
    assert f'id="why-{key["B"]}"' not in why and f'id="why-{key["C"]}"' not in why


def test_budget_downloads_pb_and_blt_recount_to_the_same_winners(client, db, board, tiers, make_account):
    vote, key = closed_budget_vote(board, tiers, make_account)
    response = client.get(f"/votes/{vote.id}/ballots.pb")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert f'filename="vote-{vote.id}.pb"' in response.headers["Content-Disposition"]
    instance = read_pb(response.get_data(as_text=True))
    assert instance.budget == 300_000 and instance.vote_type == "ordinal" and instance.num_voters == 10
    assert dict(zip(instance.projects, instance.costs)) == {o.key: o.cost_cents for o in vote.options}
    assert set(instance.selected or ()) == set(vote.winners)
    assert instance.project_info[0]["district"] in ("Spangen", "Bospolder")
    outcome = mes(instance, tie_break=TieBreak(vote.tie_break_seed))
    assert list(outcome.winners) == vote.winners

    blt = client.get(f"/votes/{vote.id}/ballots.blt").get_data(as_text=True)
    profile = read_blt(blt)
    assert set(profile.candidates) == {"Buurthuis", "Bankjes", "Moestuin", "Fietsenrek"}

    rows = list(csv.DictReader(io.StringIO(client.get(f"/votes/{vote.id}/results.csv").get_data(as_text=True))))
    by_key = {r["key"]: r for r in rows}
    assert by_key[key["A"]]["funded"] == "0" and by_key[key["A"]]["greedy_funded"] == "1"
    assert by_key[key["C"]]["funded"] == "1" and by_key[key["D"]]["reason"] == "no-support"


# --- the box, receipts and downloads ------------------------------------------------------------


def test_receipt_shows_the_ballot_and_a_proof_that_verifies(client, db, board, tiers, make_account):
    voters = [make_account(tier="lid") for _ in range(7)]
    vote = make_election(board, tiers)
    trackers = cast_all(vote, voters, [["c1", "c2"], ["c2"], ["c3", "c1", "c2"], ["c1"], ["c4"], ["c2", "c3"], ["c1"]])
    services.close_vote(vote, by=board)
    mine = trackers[2]
    typed = " " + mine.lower().replace("-", " ") + " "
    response = client.get(f"/votes/{vote.id}/receipt", query_string={"tracker": typed})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Checked: your ballot is in the ballot box." in html
    names = {o.key: o.label for o in vote.options}
    assert re.search(r"<ol class=\"ranking\">\s*<li>%s</li>\s*<li>%s</li>\s*<li>%s</li>" % (names["c3"], names["c1"], names["c2"]), html)
    # Redo the check by hand from what the page shows: leaf, then each step, to the root on the record.
    body = re.search(r'<pre class="body" tabindex="0">(.*?)</pre>', html, re.S).group(1).replace("&#34;", '"').replace("&quot;", '"')
    assert json.loads(body) == {"tracker": mine, "ranking": ["c3", "c1", "c2"], "weight": 1}
    h = merkle.leaf_hash(body.encode())
    steps = re.findall(r"<p>SHA-256\(01 ‖ (this hash ‖ the hash so far|the hash so far ‖ this hash)\):</p>\s*"
                       r"<p>Hash from the proof: <code class=\"hash\">([0-9a-f]{64})</code></p>\s*"
                       r"<p>Result: <code class=\"hash\">([0-9a-f]{64})</code></p>", html)
    assert steps
    for side, sibling, result in steps:
        s = bytes.fromhex(sibling)
        h = merkle.node_hash(s, h) if side.startswith("this") else merkle.node_hash(h, s)
        assert h.hex() == result
    assert h.hex() == vote.ballot_box_root
    receipt = services.receipt(vote, mine)
    merkle.verify_inclusion(receipt.index, receipt.size, bytes.fromhex(receipt.leaf_hash),
                            [bytes.fromhex(p) for p in receipt.proof], bytes.fromhex(vote.ballot_box_root))


def test_unknown_or_empty_tracker_gets_a_clear_message(client, db, board, tiers, make_account):
    voters = [make_account(tier="lid") for _ in range(2)]
    vote = make_election(board, tiers)
    cast_all(vote, voters, [["c1"], ["c2"]])
    services.close_vote(vote, by=board)
    response = client.get(f"/votes/{vote.id}/receipt", query_string={"tracker": "aaaa bbbb-cccc dddd"})
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "We did not find this code" in html and "AAAA-BBBB-CCCC-DDDD" in html and 'aria-invalid="true"' in html
    assert client.get(f"/votes/{vote.id}/receipt", query_string={"tracker": "<script>" * 50}).status_code == 404
    empty = client.get(f"/votes/{vote.id}/receipt")
    assert empty.status_code == 200 and "We did not find" not in empty.get_data(as_text=True)


def test_box_is_sorted_paged_and_points_at_the_record(client, db, board, tiers, make_account, monkeypatch):
    from govern.voting import results

    monkeypatch.setattr(results, "BOX_PAGE", 3)
    voters = [make_account(tier="lid") for _ in range(7)]
    vote = make_election(board, tiers)
    trackers = cast_all(vote, voters, [["c1", "c2"]] * 3 + [["c2"]] * 2 + [["c3"]] * 2)
    services.close_vote(vote, by=board)
    html = client.get(f"/votes/{vote.id}/box").get_data(as_text=True)
    assert vote.ballot_box_root in html and f'href="/audit/{vote.closed_seq}"' in html
    assert "Ballots 1 to 3 of 7" in html and "Page 1 of 3" in html
    shown = re.findall(r"<code>([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})</code>", html)
    assert shown == sorted(trackers)[:3]
    last = client.get(f"/votes/{vote.id}/box?page=3").get_data(as_text=True)
    assert re.findall(r"<code>([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})</code>", last) == sorted(trackers)[6:]
    assert "Member</th>" not in html  # secret: no names


def test_box_downloads_rebuild_the_root_and_recount(client, db, board, tiers, make_account):
    voters = [make_account(tier="lid", name=f"Stemmer {i}") for i in range(5)]
    vote = make_election(board, tiers, secret=False)
    cast_all(vote, voters, [["c1", "c2"], ["c2", "c1"], ["c3", "c2"], ["c1"], ["c2"]])
    services.close_vote(vote, by=board)

    response = client.get(f"/votes/{vote.id}/box.json")
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == f'attachment; filename="vote-{vote.id}-box.json"'
    data = response.get_data()
    box = json.loads(data)
    assert canonical_json(box) == data  # canonical bytes
    assert [b["tracker"] for b in box["ballots"]] == sorted(b["tracker"] for b in box["ballots"])
    assert {b["member"] for b in box["ballots"]} == {f"Stemmer {i}" for i in range(5)}  # a roll call names its members
    leaves = [merkle.leaf_hash(services.ballot_leaf(b["tracker"], b["ranking"], b["weight"])) for b in box["ballots"]]
    assert merkle.root(leaves).hex() == box["root"] == vote.ballot_box_root

    rows = list(csv.DictReader(io.StringIO(client.get(f"/votes/{vote.id}/box.csv").get_data(as_text=True))))
    assert len(rows) == 5 and {"tracker", "weight", "ranking", "ranking_labels", "member"} <= set(rows[0])

    count = client.get(f"/votes/{vote.id}/count.json")
    assert count.mimetype == "application/json" and "vote-%d-count.json" % vote.id in count.headers["Content-Disposition"]
    assert recount(json.loads(count.get_data())).to_json() == vote.outcome
    outcome = client.get(f"/votes/{vote.id}/outcome.json")
    assert outcome.get_data() == vote.outcome

    blt = client.get(f"/votes/{vote.id}/ballots.blt")
    assert blt.mimetype == "text/plain" and f'filename="vote-{vote.id}.blt"' in blt.headers["Content-Disposition"]
    profile = read_blt(blt.get_data(as_text=True))
    by_label = {o.label: o.key for o in vote.options}
    recounted = irv(profile, tie_break=TieBreak(vote.tie_break_seed))
    assert [by_label[w] for w in recounted.winners] == vote.winners
    assert client.get(f"/votes/{vote.id}/ballots.pb").status_code == 404  # budget votes only

    results_csv = client.get(f"/votes/{vote.id}/results.csv")
    assert results_csv.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(results_csv.get_data(as_text=True))))
    first = {r["key"]: r["votes"] for r in rows if r["round"] == "1"}
    assert first == {k: str(v) for k, v in services.outcome_dict(vote)["rounds"][0]["votes"].items()}


def test_stv_blt_recounts_to_the_same_winners(client, db, board, tiers, make_account):
    voters = [make_account(tier="lid") for _ in range(9)]
    vote = make_election(board, tiers, seats=2)
    cast_all(vote, voters, [["c1", "c2"]] * 4 + [["c2", "c1"]] * 2 + [["c3", "c4"]] * 3)
    services.close_vote(vote, by=board)
    profile = read_blt(client.get(f"/votes/{vote.id}/ballots.blt").get_data(as_text=True))
    assert profile.seats == 2
    by_label = {o.label: o.key for o in vote.options}
    assert [by_label[w] for w in stv_scottish(profile, tie_break=TieBreak(vote.tie_break_seed)).winners] == vote.winners


# --- nothing shows while a vote is open -------------------------------------------------------


@pytest.mark.parametrize("hidden", [True, False])
def test_nothing_leaks_while_the_vote_is_open(client, db, board, tiers, make_account, hidden):
    voters = [make_account(tier="lid") for _ in range(3)]
    vote = make_election(board, tiers, results_hidden=hidden)
    trackers = cast_all(vote, voters, [["c1"], ["c1", "c2"], ["c2"]])
    for path in ("results", "box", f"receipt?tracker={trackers[0]}"):
        response = client.get(f"/votes/{vote.id}/{path}")
        html = response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert "The results come after closing" in html
        html = html[html.index("<main"):html.index("</main>")]  # the footer repeats the visitor's own URL
        assert "<svg" not in html and "<table" not in html and trackers[0] not in html
        assert not re.search(r"Anouk\W+\d", html)
    for path in ("box.json", "box.csv", "count.json", "outcome.json", "ballots.blt", "ballots.pb", "results.csv"):
        assert client.get(f"/votes/{vote.id}/{path}").status_code == 404, path


def test_drafts_and_unknown_votes_are_not_found(client, db, board, tiers):
    draft = make_election(board, tiers, open_=False)
    for path in ("results", "box", "receipt", "box.json", "results.csv"):
        assert client.get(f"/votes/{draft.id}/{path}").status_code == 404
    assert client.get("/votes/999999/results").status_code == 404


def test_empty_closed_vote_renders(client, db, board, tiers, make_account):
    make_account(tier="lid")
    vote = make_election(board, tiers)
    services.close_vote(vote, by=board)
    for path in ("results", "box", "receipt", "box.json", "results.csv", "ballots.blt"):
        assert client.get(f"/votes/{vote.id}/{path}").status_code == 200, path
    assert "Nobody was elected." in client.get(f"/votes/{vote.id}/results").get_data(as_text=True)


def test_ties_are_explained(client, db, board, tiers, make_account):
    voters = [make_account(tier="lid") for _ in range(2)]
    vote = make_motion(board, tiers)
    cast_all(vote, voters, [["yes"], ["no"]])
    services.close_vote(vote, by=board)
    html = client.get(f"/votes/{vote.id}/results").get_data(as_text=True)
    assert "Not carried" in html
    assert "Result: Against and For were tied; Against was chosen (the rule decides)." in html
