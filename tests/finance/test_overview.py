""""Where does the money go?": totals per round, neighbourhood, category and project, the
charts and tables of the public pages, and the open data files.

Projects are funded and spent through the services (tests/finance/factories.py); the
expected numbers are worked out by hand below, so a page or file that adds up differently
from ``services.totals_for`` fails here.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest
import sqlalchemy as sa

from govern.audit import canonical
from govern.audit.log import AuditEntry
from govern.budgeting.models import Phase
from govern.finance import overview, services
from govern.finance.models import MoneyKind
from govern.membership.models import MemberKind
from tests.budgeting.factories import make_proposal, make_round, move_to
from tests.finance.factories import make_projects, spend

COST = 150_050  # each factory proposal: € 1.200 + € 300,50


# --- reading pages ----------------------------------------------------------------------------


class Page(HTMLParser):
    """Tables (caption; rows of (cell texts, link of the first cell)) and SVG charts of a page."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[tuple[list[str], str | None]]] = {}
        self.svgs: list[dict[str, Any]] = []
        self._name = ""
        self._caption: list[str] | None = None
        self._table: list[tuple[list[str], str | None]] | None = None
        self._row: list[str] | None = None
        self._link: str | None = None
        self._cell: list[str] | None = None
        self._svg: dict[str, Any] | None = None
        self._part: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table":
            self._table, self._name = [], ""
        elif tag == "caption":
            self._caption = []
        elif tag == "tr" and self._table is not None:
            self._row, self._link = [], None
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "a" and self._row is not None and not self._row and self._cell is not None:
            self._link = a.get("href")
        elif tag == "svg":
            self._svg = {"attrs": a, "title": "", "desc": "", "texts": []}
        elif self._svg is not None and tag in ("title", "desc", "text"):
            self._part = tag
            if tag == "text":
                self._svg["texts"].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption" and self._caption is not None:
            self._name = " ".join("".join(self._caption).split())
            self._caption = None
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table is not None:
            self._table.append((self._row, self._link))
            self._row = None
        elif tag == "table" and self._table is not None:
            self.tables[self._name] = self._table
            self._table = None
        elif tag == "svg" and self._svg is not None:
            self.svgs.append(self._svg)
            self._svg = None
        elif tag in ("title", "desc", "text"):
            self._part = None

    def handle_data(self, data: str) -> None:
        if self._caption is not None:
            self._caption.append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._svg is not None and self._part:
            if self._part == "text":
                self._svg["texts"][-1] += data
            else:
                self._svg[self._part] += data


def cents(text: str) -> int:
    """"€1,234.56" (English, as these tests run) → 123456."""
    sign = -1 if "-" in text else 1
    digits = re.sub(r"[^0-9]", "", text)
    assert digits, text
    return sign * int(digits)


def amounts(row: list[str], columns: int) -> tuple[int, ...]:
    """The money columns at the end of a table row: allocated, (extra), committed, spent, open, left."""
    return tuple(cents(c) for c in row[-columns:])


# --- the projects -------------------------------------------------------------------------------


@pytest.fixture()
def initiative(make_account: Any) -> Any:
    return make_account(kind=MemberKind.ORGANISATION, name="Buurtinitiatief West")


@pytest.fixture()
def funded(db: Any, board: Any, tiers: Any, initiative: Any) -> dict[str, Any]:
    """Two rounds. The first: A (Spangen, green), B (Bospolder, play), C (Spangen, food); the second: D (Spangen, green).

    A: a € 500 order, € 300 of it paid; € 123,45 paid by mistake and corrected; € 10 paid.
    B: all its allocation paid, then € 200 more with the board's reason (overspend).
    C: the board allows € 50 extra beforehand; a € 100 order. D: nothing yet.
    """
    a, b, c = make_projects(board, tiers, initiative, titles=("Moestuin", "Speeltuin", "Kookcafé"), title="Ronde Een")
    (d,) = make_projects(board, tiers, initiative, titles=("Bloembakken",), title="Ronde Twee")
    order = spend(a, board, 50_000, kind=MoneyKind.COMMITMENT, payee="Tuincentrum De Schie")
    spend(a, board, 30_000, commitment_id=order.id, payee="Tuincentrum De Schie", description="Factuur, deel 1")
    wrong = spend(a, board, 12_345, payee="Drukkerij Spangen", description="Flyers")
    reversal = services.reverse(wrong, by=board, reason="Verkeerd bedrag overgenomen")
    spend(a, board, 1_000, payee="Drukkerij Spangen", description="Flyers")
    spend(b, board, COST, payee="Bouwmarkt Delfshaven BV")
    spend(b, board, 20_000, payee="Bouwmarkt Delfshaven BV", overspend_reason="De prijzen van hout zijn gestegen.")
    services.allow_overspend(c, by=board, amount_cents=5_000, reason="Meer buren doen mee.", decided_on=dt.date(2026, 4, 1))
    spend(c, board, 10_000, kind=MoneyKind.COMMITMENT, payee="Groothandel Oostervant")
    return {"A": a, "B": b, "C": c, "D": d, "wrong": wrong, "reversal": reversal}


#: By hand: (allocated, extra, committed, spent, open commitments, left) per project.
EXPECTED = {
    "A": (COST, 0, 50_000, 31_000, 20_000, COST - 31_000 - 20_000),
    "B": (COST, 20_000, 0, COST + 20_000, 0, 0),
    "C": (COST, 5_000, 10_000, 0, 10_000, COST + 5_000 - 10_000),
    "D": (COST, 0, 0, 0, 0, COST),
}


def added(*names: str) -> tuple[int, ...]:
    return tuple(sum(EXPECTED[n][i] for n in names) for i in range(6))


def numbers(t: services.Totals) -> tuple[int, ...]:
    return (t.allocated, t.extra, t.committed, t.spent, t.open_commitments, t.left)


def names(key: str) -> str:
    return key


def test_totals_per_round_neighbourhood_category_and_project_are_the_hand_sums(funded: dict[str, Any]) -> None:
    view = overview.overview(None, names, names)
    assert numbers(view.total) == added("A", "B", "C", "D")
    rounds = {g.key: numbers(g.totals) for g in view.rounds}
    assert rounds == {funded["A"].round_id: added("A", "B", "C"), funded["D"].round_id: added("D")}
    assert [g.key for g in view.rounds] == [funded["D"].round_id, funded["A"].round_id]  # newest round first
    assert {g.key: numbers(g.totals) for g in view.neighbourhoods} == {"spangen": added("A", "C", "D"), "bospolder": added("B")}
    assert {g.key: numbers(g.totals) for g in view.categories} == {"green": added("A", "D"), "play": added("B"), "food": added("C")}
    assert {g.key: numbers(g.totals) for g in view.projects} == {funded[n].id: EXPECTED[n] for n in "ABCD"}
    assert {g.key: g.projects for g in view.neighbourhoods} == {"spangen": 3, "bospolder": 1}
    assert view.over == 0  # B passed its allocation, but with the board's decision
    # The same as the services say, project by project.
    projects = [funded[n] for n in "ABCD"]
    assert {pid: numbers(t) for pid, t in services.totals_for(projects).items()} == {funded[n].id: EXPECTED[n] for n in "ABCD"}

    one = overview.overview(funded["A"].round_id, names, names)
    assert numbers(one.total) == added("A", "B", "C") and len(one.rows) == 3
    assert {g.key for g in one.neighbourhoods} == {"spangen", "bospolder"}


def test_chart_scales_bars_to_the_largest_amount_and_draws_the_board_extra(db: Any) -> None:
    groups = [
        overview.Group("x", "X", 1, services.Totals(allocated=100_000, extra=20_000, spent=120_000)),
        overview.Group("y", "Y", 1, services.Totals(allocated=60_000, committed=30_000)),
        overview.Group("z", "Z", 1, services.Totals()),
    ]
    c = overview.chart("c", "Heading", groups)
    x, y, z = c.rows
    assert [b.width for b in x.bars] == [overview.BAR_MAX, 0, overview.BAR_MAX]
    assert x.bars[0].extra_width == 20_000 * overview.BAR_MAX // 120_000
    assert [b.width for b in y.bars] == [overview.BAR_MAX // 2, overview.BAR_MAX // 4, 0]
    assert [b.width for b in z.bars] == [0, 0, 0]
    assert y.y > x.y and c.height > z.y
    assert c.has_extra and numbers(c.total) == (160_000, 20_000, 30_000, 120_000, 0, 60_000)


def test_money_page_has_accessible_charts_and_tables_with_the_same_numbers(client: Any, funded: dict[str, Any]) -> None:
    response = client.get("/money")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1>Where does the money go?</h1>" in html
    page = Page(html)
    svgs = {s["title"]: s for s in page.svgs if s["attrs"].get("role") == "img"}
    assert set(svgs) >= {"Money per round", "Money per neighbourhood", "Money per category", "Money per project"}
    for svg in svgs.values():
        labelled = svg["attrs"]["aria-labelledby"].split()
        assert len(labelled) == 2 and labelled[0].endswith("-title") and labelled[1].endswith("-desc")
        assert svg["desc"].strip()
    # Per neighbourhood: the table's numbers are the hand sums, and the chart writes the same amounts.
    table = page.tables["Money per neighbourhood: the numbers"]
    head, *body = table
    assert head[0][:3] == ["Neighbourhood", "Projects", "Allocated"]
    assert "Of which extra from the board" in head[0]
    rows = {cells[0]: amounts(cells, 6) for cells, _ in body}
    a_c_d, b = added("A", "C", "D"), added("B")
    ceiling = lambda t: (t[0] + t[1],) + t[1:]  # noqa: E731 - the table shows allocation + extra as "Allocated"
    assert rows["Spangen"] == ceiling(a_c_d)
    assert rows["Bospolder"] == ceiling(b)
    assert rows["Total"] == ceiling(added("A", "B", "C", "D"))
    chart = svgs["Money per neighbourhood"]
    spangen = ceiling(a_c_d)
    for amount in (spangen[0], spangen[2], spangen[3]):
        text = f"€{amount / 100:,.2f}"
        assert text in chart["desc"]
        assert any(text in t for t in chart["texts"]), text
    # Per round: linked to the round's money page.
    rounds = page.tables["Money per round: the numbers"]
    links = {cells[0]: link for cells, link in rounds[1:-1]}
    assert links == {"Ronde Een": f"/money/rounds/{funded['A'].round_id}", "Ronde Twee": f"/money/rounds/{funded['D'].round_id}"}
    # Categories by their names on the budgeting pages; projects by their titles.
    categories = {cells[0] for cells, _ in page.tables["Money per category: the numbers"][1:-1]}
    assert categories == {"Green and nature", "Play and children", "Food and cooking"}
    projects = {cells[0]: amounts(cells, 6) for cells, _ in page.tables["Money per project: the numbers"][1:-1]}
    assert projects["Speeltuin"] == ceiling(EXPECTED["B"])
    # The words explained, and the open data linked.
    assert "What the words mean" in html and 'href="/money/open-data"' in html


def test_round_page_shows_budget_allocation_and_links_to_the_vote(
    client: Any, db: Any, board: Any, tiers: Any, make_account: Any
) -> None:
    from govern.budgeting import services as budgeting
    from govern.voting import services as voting

    proposer = make_account(tier="lid", kind=MemberKind.ORGANISATION, name="Stichting Plein")
    voters = [make_account(tier="bewoner") for _ in range(3)]
    round_ = make_round(board, tiers, phase=Phase.SUBMISSION, budget_cents=300_000, title="Ronde Met Stemming")
    plans = [
        make_proposal(round_, proposer, title="Bankjes", neighbourhood="spangen", lines=[("Bankjes", 100_000)]),
        make_proposal(round_, proposer, title="Moestuin", neighbourhood="bospolder", lines=[("Bakken", 120_000)]),
    ]
    move_to(round_, board, Phase.REVIEW)
    for p in plans:
        budgeting.review(p, by=board, eligible=True, reason="Haalbaar.")
    move_to(round_, board, Phase.VOTING)
    vote = voting.budget_vote(round_)
    for voter in voters:
        voting.cast_ballot(vote, by=voter, member_id=voter.member_id, ranking=[f"p{plans[0].id}"])
    budgeting.advance_phase(round_, by=board, to=Phase.RESULTS)  # closes the vote; the funded plan becomes a project

    response = client.get(f"/money/rounds/{round_.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    page = Page(html)
    assert "Money of Ronde Met Stemming" in html
    assert "€3,000.00" in html  # the round's budget
    assert "€1,000.00 to 1 project" in html  # what the vote allocated
    assert "€2,000.00" in html  # not allocated
    assert f'href="/votes/{vote.id}/results"' in html and f'href="/votes/{vote.id}/ballots.pb"' in html
    assert f'href="/money/allocations.csv?round={round_.id}"' in html
    assert "Money per round" not in {s["title"] for s in page.svgs}  # one round: no per-round chart
    projects = page.tables["Money per project: the numbers"]
    assert [cells[0] for cells, _ in projects[1:-1]] == ["Bankjes"]
    # The .pb link works.
    assert client.get(f"/votes/{vote.id}/ballots.pb").status_code == 200


def test_round_without_projects_is_404_everywhere(client: Any, db: Any, board: Any, tiers: Any, funded: dict[str, Any]) -> None:
    empty = make_round(board, tiers, title="Ronde Zonder Projecten")
    for url in (
        f"/money/rounds/{empty.id}",
        "/money/rounds/999999",
        f"/money/allocations.csv?round={empty.id}",
        f"/money/expenditures.csv?round={empty.id}",
        f"/money/money.json?round={empty.id}",
        "/money/money.json?round=abc",
    ):
        assert client.get(url).status_code == 404, url
    assert client.get(f"/money/rounds/{funded['A'].round_id}").status_code == 200


def test_overview_without_any_project_says_so(client: Any, db: Any) -> None:
    html = client.get("/money").get_data(as_text=True)
    assert "There are no projects with money yet." in html and 'role="img"' not in html
    assert client.get("/money/open-data").status_code == 200
    rows = list(csv.reader(io.StringIO(client.get("/money/allocations.csv").get_data(as_text=True))))
    assert rows == [list(overview.ALLOCATION_FIELDS)]


def test_allocations_csv_parses_back_to_the_page_totals(client: Any, funded: dict[str, Any]) -> None:
    response = client.get("/money/allocations.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="money-allocations.csv"'
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert list(rows[0]) == list(overview.ALLOCATION_FIELDS)
    by_title = {r["title"]: r for r in rows}
    assert set(by_title) == {"Moestuin", "Speeltuin", "Kookcafé", "Bloembakken"}
    fields = ("allocation_cents", "extra_cents", "committed_cents", "spent_cents", "open_commitments_cents", "left_cents")
    for name, title in zip("ABCD", ("Moestuin", "Speeltuin", "Kookcafé", "Bloembakken")):
        row = by_title[title]
        assert tuple(int(row[f]) for f in fields) == EXPECTED[name]
        assert int(row["project_id"]) == funded[name].id and int(row["proposal_id"]) == funded[name].proposal_id
        assert row["initiative"] == "Buurtinitiatief West" and row["status"] == "planned"
    assert by_title["Moestuin"]["neighbourhood"] == "spangen" and by_title["Moestuin"]["neighbourhood_name"] == "Spangen"
    assert by_title["Speeltuin"]["category_name"] == "Play and children"
    # The file adds up to what the page's total row says.
    sums = tuple(sum(int(r[f]) for r in rows) for f in fields)
    page = Page(client.get("/money").get_data(as_text=True))
    total = amounts(page.tables["Money per project: the numbers"][-1][0], 6)
    assert total == (sums[0] + sums[1],) + sums[1:]
    # One round only.
    one = client.get(f"/money/allocations.csv?round={funded['D'].round_id}")
    assert one.headers["Content-Disposition"] == f'attachment; filename="money-allocations-round-{funded["D"].round_id}.csv"'
    assert [r["title"] for r in csv.DictReader(io.StringIO(one.get_data(as_text=True)))] == ["Bloembakken"]


def test_expenditures_csv_lists_every_entry_and_a_reversal_nets_to_zero(client: Any, db: Any, funded: dict[str, Any]) -> None:
    response = client.get("/money/expenditures.csv")
    assert response.headers["Content-Disposition"] == 'attachment; filename="money-expenditures.csv"'
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert list(rows[0]) == list(overview.EXPENDITURE_FIELDS)
    assert len(rows) == 8  # A: order, payment, mistake, correction, payment; B: two payments; C: an order
    committed = sum(int(r["amount_cents"]) for r in rows if r["kind"] == "commitment")
    spent = sum(int(r["amount_cents"]) for r in rows if r["kind"] == "expenditure")
    all_ = added("A", "B", "C", "D")
    assert (committed, spent) == (all_[2], all_[3])
    by_id = {int(r["entry_id"]): r for r in rows}
    wrong, reversal = by_id[funded["wrong"].id], by_id[funded["reversal"].id]
    assert int(wrong["amount_cents"]) + int(reversal["amount_cents"]) == 0
    assert reversal["reverses"] == str(funded["wrong"].id) and wrong["reverses"] == ""
    assert reversal["description"] == "Verkeerd bedrag overgenomen"
    paid = [r for r in rows if r["commitment"]]
    assert len(paid) == 1 and paid[0]["amount_cents"] == "30000"
    assert rows[0]["booked_on"] == "2026-05-04"
    # Every row names the record entry that wrote it.
    for r in rows:
        entry = db.session.get(AuditEntry, int(r["audit_seq"]))
        assert entry.type in overview.MONEY_RECORD_TYPES and entry.data["entry"] == int(r["entry_id"])
    one = client.get(f"/money/expenditures.csv?round={funded['D'].round_id}").get_data(as_text=True)
    assert list(csv.reader(io.StringIO(one))) == [list(overview.EXPENDITURE_FIELDS)]  # D spent nothing


def test_csv_quotes_commas_quotes_and_line_breaks(client: Any, board: Any, tiers: Any, initiative: Any) -> None:
    (p,) = make_projects(board, tiers, initiative, titles=('Plein "De Kade", fase 1',))
    spend(p, board, 1_000, payee='Bakker, "De Korenaar"', description="Brood, koffie")
    rows = list(csv.DictReader(io.StringIO(client.get("/money/expenditures.csv").get_data(as_text=True))))
    assert rows[0]["payee"] == 'Bakker, "De Korenaar"' and rows[0]["description"] == "Brood, koffie"
    titles = [r["title"] for r in csv.DictReader(io.StringIO(client.get("/money/allocations.csv").get_data(as_text=True)))]
    assert titles == ['Plein "De Kade", fase 1']


def _no_floats(value: str) -> Any:
    raise AssertionError(f"a float in the JSON: {value}")


def test_money_json_parses_and_its_totals_match(client: Any, db: Any, funded: dict[str, Any]) -> None:
    response = client.get("/money/money.json")
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == 'attachment; filename="money.json"'
    body = response.get_data()
    doc = json.loads(body, parse_float=_no_floats)
    assert canonical.decode(body) == doc  # the app's canonical JSON
    assert doc["licence"] == {"name": "CC BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"}
    assert dt.datetime.strptime(doc["generated_at"], "%Y-%m-%dT%H:%M:%SZ")
    assert doc["round"] is None and [r["title"] for r in doc["rounds"]] == ["Ronde Een", "Ronde Twee"]
    t = doc["totals"]
    fields = ("allocated_cents", "extra_cents", "committed_cents", "spent_cents", "open_commitments_cents", "left_cents")
    assert tuple(t[f] for f in fields) == added("A", "B", "C", "D")
    assert t["eur"]["allocated"] == f"{added('A', 'B', 'C', 'D')[0] // 100}.{added('A', 'B', 'C', 'D')[0] % 100:02d}"
    projects = {p["project"]: p for p in doc["projects"]}
    for name in "ABCD":
        p = projects[funded[name].id]
        assert tuple(p["totals"][f] for f in fields) == EXPECTED[name]
        # The project's entries add up to its committed and spent.
        assert sum(e["amount_cents"] for e in p["entries"] if e["kind"] == "commitment") == EXPECTED[name][2]
        assert sum(e["amount_cents"] for e in p["entries"] if e["kind"] == "expenditure") == EXPECTED[name][3]
        assert [line["amount_cents"] for line in p["lines"]] == [120_000, 30_050]
    a = projects[funded["A"].id]
    wrong = next(e for e in a["entries"] if e["entry"] == funded["wrong"].id)
    reversal = next(e for e in a["entries"] if e.get("reverses") == funded["wrong"].id)
    assert wrong["amount_cents"] + reversal["amount_cents"] == 0 and reversal["amount_eur"] == "-123.45"
    assert all(isinstance(e["audit_seq"], int) for e in a["entries"])
    # The entries say what the record says about them.
    entry = db.session.get(AuditEntry, wrong["audit_seq"])
    assert {k: v for k, v in wrong.items() if k not in ("audit_seq", "amount_eur")} == entry.data
    b, c = projects[funded["B"].id], projects[funded["C"].id]
    assert [d["amount_cents"] for d in b["decisions"]] == [20_000] and b["decisions"][0]["reason"] == "De prijzen van hout zijn gestegen."
    assert [d["decided_on"] for d in c["decisions"]] == ["2026-04-01"]
    one = json.loads(client.get(f"/money/money.json?round={funded['A'].round_id}").get_data())
    assert one["round"] == funded["A"].round_id and len(one["projects"]) == 3
    assert tuple(one["totals"][f] for f in fields) == added("A", "B", "C")


def test_open_data_page_describes_every_field_and_the_licence(client: Any, funded: dict[str, Any]) -> None:
    html = client.get("/money/open-data").get_data(as_text=True)
    for field in overview.ALLOCATION_FIELDS + overview.EXPENDITURE_FIELDS:
        assert f"<code>{field}</code>" in html, field
    assert "CC BY 4.0" in html and 'href="https://creativecommons.org/licenses/by/4.0/"' in html
    assert "whole numbers of euro cents" in html
    assert f'href="/money/money.json?round={funded["A"].round_id}"' in html


# --- a constant number of queries -----------------------------------------------------------


class Statements:
    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.count = 0

    def __call__(self, *args: Any) -> None:
        self.count += 1

    def during(self, action: Any) -> int:
        self.count = 0
        sa.event.listen(self.engine, "before_cursor_execute", self)
        try:
            action()
        finally:
            sa.event.remove(self.engine, "before_cursor_execute", self)
        return self.count


def _spent_round(board: Any, tiers: Any, make_account: Any, n: int, title: str) -> list[Any]:
    """A round with ``n`` funded projects, each by its own initiative, with orders, payments, a correction, decisions."""
    from govern.budgeting import services as budgeting
    from govern.budgeting.models import Proposal
    from govern.extensions import db
    from govern.finance.models import Project

    round_ = make_round(board, tiers, title=title)
    for i in range(n):
        initiative = make_account(kind=MemberKind.ORGANISATION, name=f"Initiatief {title} {i}")
        proposal = make_proposal(round_, initiative, title=f"Plan {title} {i}", neighbourhood=("spangen", "bospolder")[i % 2],
                                 category=("green", "play", "food", "care")[i % 4])
        budgeting.review(proposal, by=board, eligible=True, reason="Haalbaar")
    move_to(round_, board, Phase.VOTING)
    budgeting.advance_phase(round_, by=board, to=Phase.RESULTS, from_vote=True)
    funded = list(db.session.scalars(sa.select(Proposal.id).where(Proposal.round_id == round_.id)))
    budgeting.record_results(round_, by=board, funded_ids=funded)
    projects = list(db.session.scalars(sa.select(Project).where(Project.round_id == round_.id).order_by(Project.id)))
    assert len(projects) == n
    for i, p in enumerate(projects):
        order = spend(p, board, 10_000, kind=MoneyKind.COMMITMENT)
        spend(p, board, 5_000, commitment_id=order.id)
        wrong = spend(p, board, 999)
        services.reverse(wrong, by=board, reason="Dubbel geboekt")
        if i % 2:
            services.allow_overspend(p, by=board, amount_cents=1_000, reason="Meer buren.", decided_on=dt.date(2026, 4, 1))
        services.post_progress(p, by=board, status="started", text="Begonnen.")
    return projects


def test_queries_do_not_grow_with_the_number_of_projects(client: Any, db: Any, board: Any, tiers: Any, make_account: Any) -> None:
    """2 projects, then 12 more (each by another initiative, in another round): the same number of statements.

    The test's objects are expired before each request, so every row a page needs must
    really be loaded by it (nothing comes free from the identity map).
    """
    statements = Statements(db.engine)
    small = _spent_round(board, tiers, make_account, 2, "Klein")[0].round_id
    urls = ["/money", "/money/open-data", "/money/allocations.csv", "/money/expenditures.csv", "/money/money.json"]
    by_round = ["/money/rounds/{}", "/money/allocations.csv?round={}", "/money/expenditures.csv?round={}", "/money/money.json?round={}"]

    def count(url: str) -> int:
        db.session.expire_all()

        def get() -> None:
            assert client.get(url).status_code == 200, url
        return statements.during(get)

    before = {url: count(url) for url in urls}
    before_round = {url: count(url.format(small)) for url in by_round}
    large = _spent_round(board, tiers, make_account, 12, "Groot")[0].round_id
    after = {url: count(url) for url in urls}
    after_round = {url: count(url.format(large)) for url in by_round}
    assert after == before
    assert after_round == before_round
    assert max(after.values()) <= 12, after
