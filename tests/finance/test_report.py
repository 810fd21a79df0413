"""The yearly accountability report: built from the record, equal to the tables, as HTML and PDF."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from govern.audit.log import AuditEntry
from govern.finance import report as read, services
from govern.finance.models import MoneyKind, Project
from govern.finance import report_pdf
from govern.finance.report_pdf import pdf_text
from tests.finance.factories import make_projects, spend

ALLOCATION = 150_050  # the factory proposal's two budget lines


@pytest.fixture()
def initiative(make_account: Any) -> Any:
    return make_account(tier="deelnemer", name="Voedseltuin")


@pytest.fixture()
def year() -> int:
    return services.today().year


def projects(board: Any, tiers: Any, initiative: Any) -> list[Project]:
    return make_projects(board, tiers, initiative, titles=("Moestuin op het plein", "Kookcafé voor ouderen"))


def report_for(year: int) -> read.YearReport:
    report = read.year_report(year)
    assert report is not None
    return report


def row(report: read.YearReport, project: Project) -> read.ProjectRow:
    return next(p for p in report.projects if p.id == project.id)


def pdf_text_of(data: bytes) -> str:
    from pypdf import PdfReader

    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return text.replace("\xa0", " ")


# --- the numbers ----------------------------------------------------------------------------------


def test_money_from_the_record_equals_the_tables(db, board, tiers, initiative, year):
    garden, kitchen = projects(board, tiers, initiative)
    today = services.today()
    order = spend(garden, initiative, 60_000, kind=MoneyKind.COMMITMENT, booked_on=today)
    spend(garden, initiative, 45_000, commitment_id=order.id, booked_on=today)
    spend(garden, initiative, 12_345, booked_on=today)
    spend(kitchen, board, 30_000, kind=MoneyKind.COMMITMENT, booked_on=today)
    services.allow_overspend(kitchen, by=board, amount_cents=5_000, reason="Duurdere pannen", decided_on=today)

    report = report_for(year)
    tables = services.totals_for([garden, kitchen])
    for project in (garden, kitchen):
        assert row(report, project).totals == tables[project.id]
    assert row(report, garden).totals.spent == 57_345
    assert row(report, garden).totals.open_commitments == 15_000
    assert row(report, kitchen).totals.extra == 5_000
    assert report.totals == tables[garden.id] + tables[kitchen.id]
    assert report.open_cents == 15_000 + 30_000
    assert report.entries == 4
    # The allocation: the round's results were recorded this year.
    (allocation,) = report.allocations
    assert allocation.total_cents == 2 * ALLOCATION
    assert [(pid, title) for pid, title, _ in allocation.projects] == [(garden.id, garden.title), (kitchen.id, kitchen.title)]
    assert row(report, garden).funded_this_year
    assert [r.id for r in report.rounds] == [garden.round_id]


def test_an_auditor_regenerates_the_numbers_from_the_exported_entries(db, board, tiers, initiative, year):
    garden, kitchen = projects(board, tiers, initiative)
    spend(garden, initiative, 20_000, booked_on=services.today())
    bodies = db.session.scalars(sa.select(AuditEntry.body).order_by(AuditEntry.seq)).all()
    # Only what the export holds: every entry's body, no tables (titles come from the ballot's labels).
    regenerated = read.build(year, [read.from_body(bytes(b)) for b in bodies], today=services.today())
    report = report_for(year)
    assert regenerated.totals == report.totals
    assert [(p.id, p.title, p.totals) for p in regenerated.projects] == [(p.id, p.title, p.totals) for p in report.projects]
    assert regenerated.head_seq == report.head_seq


def test_a_correction_nets_out_and_is_listed_with_its_reason(db, board, tiers, initiative, year):
    garden, _ = projects(board, tiers, initiative)
    today = services.today()
    wrong = spend(garden, initiative, 12_340, booked_on=today, description="Boodschappen")
    services.reverse(wrong, by=initiative, reason="Bedrag verkeerd overgenomen")
    spend(garden, initiative, 1_234, booked_on=today, description="Boodschappen")

    report = report_for(year)
    assert row(report, garden).totals.spent == 1_234
    assert row(report, garden).totals == services.totals(garden)
    (correction,) = report.corrections
    assert (correction.amount_cents, correction.reverses, correction.reason) == (-12_340, wrong.id, "Bedrag verkeerd overgenomen")
    assert correction.original_description == "Boodschappen"


def test_a_board_decision_appears_with_its_reason(db, client, board, tiers, initiative, year):
    garden, _ = projects(board, tiers, initiative)
    services.allow_overspend(garden, by=board, amount_cents=25_000, decided_on=services.today(),
                             reason="De huur van de grond is verhoogd.")
    (decision,) = report_for(year).decisions
    assert (decision.project_id, decision.amount_cents, decision.reason) == (garden.id, 25_000, "De huur van de grond is verhoogd.")
    assert decision.ceiling_cents == ALLOCATION + 25_000
    page = client.get(f"/money/report/{year}").get_data(as_text=True)
    assert "De huur van de grond is verhoogd." in page


def test_money_belongs_to_the_year_it_was_booked_in(db, board, tiers, initiative, year):
    garden, _ = projects(board, tiers, initiative)
    new_year = dt.date(year, 1, 1)
    order = spend(garden, initiative, 40_000, kind=MoneyKind.COMMITMENT, booked_on=dt.date(year - 1, 12, 31))
    spend(garden, initiative, 40_000, commitment_id=order.id, booked_on=new_year)

    last = report_for(year - 1)
    assert [p.id for p in last.projects] == [garden.id]
    assert (row(last, garden).totals.committed, row(last, garden).totals.spent) == (40_000, 0)
    # Open at the end of last year; paid in this one.
    assert row(last, garden).totals.open_commitments == 40_000
    assert [c.entry for c in last.open_commitments] == [order.id]
    assert last.complete and not last.votes and not last.allocations

    this = report_for(year)
    assert (row(this, garden).totals.committed, row(this, garden).totals.spent) == (0, 40_000)
    assert row(this, garden).totals.open_commitments == 0
    assert not this.open_commitments
    assert [s.year for s in read.years()][:2] == [year, year - 1]


# --- votes and turnout ----------------------------------------------------------------------------


def closed_motion(board: Any, voters: list[Any], tier: Any, *, weight: int = 1) -> Any:
    from govern.voting import services as voting
    from govern.voting.models import VoteKind

    vote = voting.create_vote(by=board, kind=VoteKind.MOTION, title="Jaarverslag goedkeuren", tier_weights={tier.id: weight})
    voting.open_vote(vote, by=board)
    for account, choice in zip(voters, ["yes", "yes", "no"]):
        voting.cast_ballot(vote, by=account, member_id=account.member_id, ranking=[choice])
    voting.close_vote(vote, by=board)
    return vote


def test_turnout_equals_the_votes_participation_and_electorate(db, client, board, tiers, make_account, year):
    voters = [make_account(tier="lid") for _ in range(3)]
    for _ in range(2):
        make_account(tier="lid")  # could vote, did not
    vote = closed_motion(board, voters, tiers["lid"])
    report = report_for(year)
    (v,) = report.votes
    assert (v.id, v.participants, v.electorate, v.ballots) == (vote.id, vote.participation_count, vote.electorate_count, vote.ballot_count)
    assert (v.participants, v.electorate) == (3, 6)  # the board member is in "lid" too
    assert v.percent == 50
    assert v.outcome() == "Carried"
    assert not v.weighted and v.weight_cast is None
    page = client.get(f"/money/report/{year}").get_data(as_text=True)
    assert f'href="/votes/{vote.id}/results"' in page
    assert "3 of 6 members (50%)" in page


def test_a_weighted_vote_shows_the_weight_cast(db, board, tiers, make_account, year):
    voters = [make_account(tier="lid") for _ in range(3)]
    vote = closed_motion(board, voters, tiers["lid"], weight=3)
    (v,) = report_for(year).votes
    assert v.weighted
    assert (v.electorate_weight, v.weight_cast) == (vote.electorate_weight, 9)


def test_a_vote_belongs_to_the_year_it_closed_in_amsterdam() -> None:
    # 23:30 UTC on 31 December is already New Year in Amsterdam.
    def entry(seq: int, ts: str, type_: str, data: dict[str, Any]) -> read.Record:
        return read.Record(seq, read.parse_ts(ts), type_, "vote:1", data)

    records = [
        entry(1, "2025-12-31T20:00:00.000000Z", "vote.opened",
              {"title": "Motie", "kind": "motion", "electorate_count": 4, "electorate_weight": 4, "options": []}),
        entry(2, "2025-12-31T23:30:00.000000Z", "vote.closed",
              {"participation_count": 2, "ballot_count": 2, "winners": ["no"], "valid": True}),
    ]
    assert [s.year for s in read.summaries(records)] == [2026]
    report = read.build(2026, records, today=dt.date(2026, 6, 1))
    assert [(v.title, v.participants, v.electorate) for v in report.votes] == [("Motie", 2, 4)]
    assert not read.build(2025, records, today=dt.date(2026, 6, 1)).votes


# --- the pages ---------------------------------------------------------------------------------------


def test_a_year_with_nothing_is_not_found(db, client, board, tiers, initiative, year):
    projects(board, tiers, initiative)
    for url in ("/money/report/1999", "/money/report/1999.pdf", f"/money/report/{year + 1}"):
        assert client.get(url).status_code == 404, url
    assert client.get(f"/money/report/{year}").status_code == 200


def test_the_years_list_links_every_year_newest_first(db, client, board, tiers, initiative, year):
    garden, _ = projects(board, tiers, initiative)
    spend(garden, initiative, 1_000, booked_on=dt.date(year - 2, 6, 1))
    page = client.get("/money/report").get_data(as_text=True)
    found = re.findall(r'href="/money/report/(\d{4})"', page)
    assert found == [str(year), str(year - 2)]


def test_the_html_report_prints_without_navigation(db, client, app, board, tiers, initiative, year):
    projects(board, tiers, initiative)
    page = client.get(f"/money/report/{year}").get_data(as_text=True)
    assert 'href="/static/report.css"' in page
    assert f'href="/money/report/{year}.pdf"' in page
    assert 'class="report-section"' in page
    css = Path(app.static_folder, "report.css").read_text(encoding="utf-8")
    print_rules = css[css.index("@media print"):]
    assert ".site-header" in print_rules and "display: none" in print_rules
    assert "break-before: page" in print_rules


def test_the_pdf_in_dutch(db, client, app, board, tiers, initiative, year, monkeypatch):
    monkeypatch.setattr(app.extensions["babel"], "locale_selector", lambda: "nl")
    garden, kitchen = projects(board, tiers, initiative)
    spend(garden, initiative, 123_456, booked_on=services.today())
    response = client.get(f"/money/report/{year}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="verantwoording-{year}.pdf"'
    assert response.data.startswith(b"%PDF")
    text = pdf_text_of(response.data)
    assert "Moestuin op het plein" in text and "Kookcafé voor ouderen" in text
    assert "€ 1.234,56" in text  # spent, in Dutch
    assert "€ 1.500,50" in text  # each allocation
    assert "Coöperatie" in text or app.config["GOVERN_NAME"] in text
    assert re.search(r"\b1 van \d+\b|\b1 of \d+\b", text)  # page numbers


@pytest.mark.skipif(report_pdf.unicode_fonts() is None, reason="DejaVu is not on this machine (Debian: fonts-dejavu-core); the fallback is tested below")
def test_the_pdf_prints_names_exactly_with_dejavu(db, client, board, tiers, initiative, year):
    make_projects(board, tiers, initiative, titles=("Şükrü's çay bahçesi 🌱", "Łukasz en Zoë"))
    assert pdf_text("Şükrü's çay 🌱 € ë") == "Şükrü's çay ? € ë"  # only the emoji is missing from the font
    response = client.get(f"/money/report/{year}.pdf")
    assert response.status_code == 200
    text = pdf_text_of(response.data)
    assert "Şükrü's çay bahçesi ?" in text and "Łukasz en Zoë" in text and "€1,500.50" in text


def test_without_dejavu_the_pdf_falls_back_to_the_core_fonts(db, client, board, tiers, initiative, year, monkeypatch):
    monkeypatch.setattr(report_pdf, "unicode_fonts", lambda: None)
    make_projects(board, tiers, initiative, titles=("Şükrü's çay bahçesi 🌱",))
    assert pdf_text("Şükrü's çay 🌱 € ë") == "Sükrü's çay ? € ë"
    response = client.get(f"/money/report/{year}.pdf")
    assert response.status_code == 200
    assert "Sükrü's çay bahçesi ?" in pdf_text_of(response.data)
