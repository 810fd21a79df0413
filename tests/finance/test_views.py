"""The project pages and their forms: real numbers, exact writes, clear messages for bad input, access.

Projects are made through the services (tests/finance/factories.py): the test round's one
plan "Moestuin op het plein" costs € 1.500,50 with two budget lines (Houten bakken
€ 1.200, Aarde en zaden € 300,50), and is carried out by the ``initiative`` account.
Pages are in English here (tests/finance/conftest.py): money reads "€1,500.50".
"""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
import sqlalchemy as sa

from govern.audit.log import AuditEntry
from govern.finance import services
from govern.finance.forms import AmountError, parse_amount
from govern.finance.models import BoardDecision, MoneyDocument, MoneyEntry, MoneyKind, ProgressUpdate, ProjectStatus
from govern.membership.models import MemberKind
from tests.conftest import audit_count, csrf_token
from tests.finance.factories import make_project, make_projects, spend

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def png(size: tuple[int, int] = (40, 30)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (20, 120, 60)).save(out, "PNG")
    return out.getvalue()


def text(response: Any) -> str:
    return response.get_data(as_text=True)


def count(db: Any, model: Any) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def send(client: Any, url: str, data: dict[str, Any] | None = None, files: dict[str, tuple[bytes, str]] | None = None) -> Any:
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    fields: dict[str, Any] = {"csrf_token": csrf_token(client), **(data or {})}
    if not files:
        return client.post(url, data=fields)
    for name, (content, filename) in files.items():
        fields[name] = FileStorage(io.BytesIO(content), filename=filename)
    boundary, body = encode_multipart(fields)
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def field_error(html: str, field: str) -> str:
    """The text of the message shown next to ``field`` (empty when there is none)."""
    match = re.search(rf'<p class="field-error" id="{field}-error">(.*?)</p>', html, re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split()) if match else ""


@pytest.fixture()
def initiative(make_account: Any) -> Any:
    return make_account(kind=MemberKind.ORGANISATION, name="Buurttuin Spangen")


@pytest.fixture()
def stranger(make_account: Any) -> Any:
    return make_account(name="Iemand Anders")


@pytest.fixture()
def project(db: Any, board: Any, tiers: Any, initiative: Any) -> Any:
    return make_project(board, tiers, initiative)


def money_form(**overrides: Any) -> dict[str, Any]:
    data = {
        "kind": "commitment",
        "booked_on": "2026-05-04",
        "amount": "250,00",
        "payee": "Bouwmarkt Delfshaven BV",
        "description": "Hout voor de bakken",
        "invoice_ref": "OR-2026-7",
        "line_id": "",
        "commitment_id": "",
    }
    data.update(overrides)
    return data


# --- the amount parser ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed, cents",
    [
        ("1234", 123400),
        ("1234,56", 123456),
        ("1234,5", 123450),
        ("1234.56", 123456),
        ("1.234,56", 123456),
        ("1,234.56", 123456),
        ("1.234", 123400),
        ("1.234.567,89", 123456789),
        ("€ 1.500", 150000),
        ("25,-", 2500),
        ("1 234,56", 123456),
        ("0,99", 99),
        ("0", 0),
        ("-5", -500),
        ("", None),
        ("   ", None),
    ],
)
def test_amounts_as_people_type_them(typed: str, cents: int | None) -> None:
    assert parse_amount(typed) == cents


@pytest.mark.parametrize("typed", ["abc", "12,345", "1,999", "12.3456", "1.234.56", "1,2,3", ".5", "5.", "1e5", "١٢", "1.2345,00"])
def test_what_is_not_an_amount_is_refused(typed: str) -> None:
    with pytest.raises(AmountError):
        parse_amount(typed)


def test_an_amount_that_could_mean_thousands_or_cents_says_so() -> None:
    with pytest.raises(AmountError) as caught:
        parse_amount("12,345")
    assert "thousands or cents" in str(caught.value.message)


# --- public pages ---------------------------------------------------------------------------------


def test_project_list_shows_allocation_spent_and_left_and_filters(client, db, board, tiers, initiative):
    garden, benches = make_projects(board, tiers, initiative, titles=("Moestuin op het plein", "Bankjes aan de Schie"))
    spend(garden, initiative, 50_000)
    spend(benches, initiative, 20_000, kind=MoneyKind.COMMITMENT)
    services.post_progress(benches, by=initiative, status="done", text="Klaar.")
    html = text(client.get("/projects"))
    assert "Moestuin op het plein" in html and "Bankjes aan de Schie" in html
    assert f'href="/projects/{garden.id}"' in html
    assert "€1,500.50" in html  # the allocation
    assert "€500.00" in html and "€1,000.50" in html  # spent, left
    assert "+ €200.00 promised" in html and "€1,300.50" in html  # the open commitment is kept out of "left"
    assert "€3,001.00" in html and "€2,301.00" in html  # both together: got, left
    done = text(client.get("/projects?status=done"))
    assert "Bankjes aan de Schie" in done and "Moestuin op het plein" not in done
    other_round = text(client.get(f"/projects?round={garden.round_id + 1000}"))
    assert "Moestuin op het plein" not in other_round and "There are no projects here yet" in other_round


def test_project_page_shows_the_money_lines_entries_and_timeline(client, db, board, tiers, initiative):
    project = make_project(board, tiers, initiative)
    wood, soil = project.lines
    order = spend(project, initiative, 100_000, kind=MoneyKind.COMMITMENT, line_id=wood.id, payee="Houthandel West")
    spend(project, initiative, 60_000, line_id=wood.id, commitment_id=order.id, payee="Houthandel West",
          description="Factuur hout", document=services.Upload("factuur.pdf", PDF))
    wrong = spend(project, initiative, 12_340, line_id=soil.id, payee="Tuincentrum De Schie", description="Potgrond")
    services.reverse(wrong, by=initiative, reason="Bedrag verkeerd overgenomen")
    services.allow_overspend(project, by=board, amount_cents=10_000, reason="Hout is duurder geworden", decided_on=dt.date(2026, 6, 1))
    services.post_progress(project, by=initiative, status="started", text="De bakken staan er.", photo=png(), photo_alt="Tien houten bakken")

    html = text(client.get(f"/projects/{project.id}"))
    # The money in words and numbers: € 1.500,50 + € 100 extra; € 600 spent; € 400 still promised; € 600,50 left.
    assert "The vote gave this project €1,500.50." in html
    assert "The board allowed €100.00 extra, so it may use €1,600.50." in html
    assert "€600.00 is spent, and €400.00 is promised but not paid yet." in html
    assert "€600.50 is left." in html
    assert "Hout is duurder geworden" in html
    # Budget lines: the wood line has € 1.000 committed and € 600 spent; the soil line nets to zero after the correction.
    lines = html[html.index('id="lines-heading"'):html.index('id="entries-heading"')]
    cell = r"</t[hd]>\s*<td[^>]*>"
    assert re.search(rf"Houten bakken{cell}€1,200.00{cell}€1,000.00{cell}€600.00</td>", lines)
    assert re.search(rf"Aarde en zaden{cell}€300.50{cell}€0.00{cell}€0.00</td>", lines)
    # Entries: the correction names what it cancels; the cancelled entry is marked.
    reversal = db.session.scalar(sa.select(MoneyEntry).where(MoneyEntry.reverses_id == wrong.id))
    assert f'id="entry-{wrong.id}" class="is-corrected"' in html
    assert f'id="entry-{reversal.id}" class="is-correction"' in html
    assert f'Cancelled by correction <a href="#entry-{reversal.id}">' in html
    assert f'Cancels entry <a href="#entry-{wrong.id}">{wrong.id}</a>. Why: Bedrag verkeerd overgenomen' in html
    assert "-€123.40" in html
    doc = db.session.scalar(sa.select(MoneyDocument))
    assert f'/projects/{project.id}/documents/{doc.id}' in html
    # Open commitments: the order has € 400 left.
    open_part = html[html.index('id="open-heading"'):html.index('id="timeline-heading"')]
    assert "Houthandel West" in open_part and "€400.00" in open_part
    # The timeline, from the proposal to the photo, each step linked to its record entry.
    timeline = html[html.index('id="timeline-heading"'):]
    steps = [
        "The proposal was sent in.", "Feasibility review: eligible.", "The proposal went on the ballot.", "Voting opened.",
        "Funded: the vote gives this plan €1,500.50.", "The project started, with €1,500.50 to spend.",
        "Commitment of €1,000.00 to Houthandel West.", "Expenditure of €600.00 to Houthandel West.",
        f"Correction: entry {wrong.id} is cancelled (-€123.40).", "The board allows €100.00 extra.",
        "News: the project is started.",
    ]
    positions = [timeline.index(step) for step in steps]
    assert positions == sorted(positions)
    assert 'alt="Tien houten bakken"' in timeline
    update = db.session.scalar(sa.select(ProgressUpdate))
    assert f'src="/projects/{project.id}/progress/{update.id}/photo"' in timeline
    recorded = db.session.scalar(sa.select(AuditEntry.seq).where(AuditEntry.type == "money.reversed"))
    assert f'href="/audit/{recorded}"' in timeline
    # Visitors see no management buttons.
    assert f"/projects/{project.id}/money/new" not in html


def test_timeline_shows_the_closed_vote_with_a_link_to_its_results(client, db, board, tiers, make_account, initiative):
    from govern.budgeting import services as budgeting
    from govern.budgeting.models import Phase
    from govern.voting import services as voting
    from tests.budgeting.factories import make_proposal, make_round, move_to

    voter = make_account(tier="bewoner")  # before the vote opens: the electorate is frozen then
    round_ = make_round(board, tiers)
    proposal = make_proposal(round_, initiative)
    budgeting.review(proposal, by=board, eligible=True, reason="Haalbaar")
    move_to(round_, board, Phase.VOTING)
    vote = voting.budget_vote(round_)
    voting.cast_ballot(vote, by=voter, member_id=voter.member_id, ranking=[f"p{proposal.id}"])
    budgeting.advance_phase(round_, by=board, to=Phase.RESULTS)  # closes the vote, which funds the plan
    from govern.finance.models import Project

    project = db.session.scalar(sa.select(Project).where(Project.proposal_id == proposal.id))
    html = text(client.get(f"/projects/{project.id}"))
    timeline = html[html.index('id="timeline-heading"'):]
    assert "Voting closed." in timeline and f'href="/votes/{vote.id}/results"' in timeline
    assert timeline.index("Voting closed.") < timeline.index("The project started")
    # The results page and the proposal page link to the project.
    results = text(client.get(f"/votes/{vote.id}/results"))
    assert f'href="/projects/{project.id}"' in results
    page = text(client.get(f"/proposals/{proposal.id}"))
    assert f'href="/projects/{project.id}"' in page and "Project: spending and progress" in page


def test_the_menu_leads_to_the_money(client, db):
    html = text(client.get("/"))
    assert re.search(r'<a href="/(money|projects)">Money</a>', html)


# --- recording money -------------------------------------------------------------------------------


def test_initiative_records_a_commitment_exactly(client, auth, db, project, initiative):
    auth.as_account(initiative)
    page = text(client.get(f"/projects/{project.id}"))
    assert f"/projects/{project.id}/money/new" in page and "Allow extra money" not in page
    form = text(client.get(f"/projects/{project.id}/money/new"))
    assert "Everyone can see it" in form and "black out personal data" in form
    assert "Reason for the board decision" not in form  # only the board can pass the ceiling
    line = project.lines[0]
    before = audit_count(db)
    response = send(client, f"/projects/{project.id}/money/new", money_form(amount="1.234,56", line_id=str(line.id)))
    assert response.status_code == 302, text(response)
    entry = db.session.scalar(sa.select(MoneyEntry))
    assert count(db, MoneyEntry) == 1 and audit_count(db) == before + 1
    assert (entry.kind, entry.amount_cents, entry.booked_on, entry.line_id) == (MoneyKind.COMMITMENT, 123456, dt.date(2026, 5, 4), line.id)
    assert (entry.payee, entry.description, entry.invoice_ref, entry.account_id) == (
        "Bouwmarkt Delfshaven BV", "Hout voor de bakken", "OR-2026-7", initiative.id
    )
    recorded = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).one()
    assert recorded.type == "money.committed" and recorded.subject == f"project:{project.id}"
    assert recorded.data["amount_cents"] == 123456 and recorded.data["entry"] == entry.id
    assert response.headers["Location"].endswith(f"/projects/{project.id}#entry-{entry.id}")


@pytest.mark.parametrize("typed, cents", [("1234.56", 123456), ("1234,56", 123456), ("€ 99", 9900)])
def test_amounts_typed_either_way_are_stored_in_cents(client, auth, db, project, initiative, typed, cents):
    auth.as_account(initiative)
    response = send(client, f"/projects/{project.id}/money/new", money_form(amount=typed, booked_on="04-05-2026"))
    assert response.status_code == 302, text(response)
    entry = db.session.scalar(sa.select(MoneyEntry))
    assert entry.amount_cents == cents and entry.booked_on == dt.date(2026, 5, 4)


def test_expenditure_pays_a_commitment_with_a_document(client, auth, db, project, initiative):
    order = spend(project, initiative, 80_000, kind=MoneyKind.COMMITMENT)
    auth.as_account(initiative)
    form = text(client.get(f"/projects/{project.id}/money/new?commitment={order.id}"))
    assert f'<option selected value="{order.id}">' in form
    before = audit_count(db)
    response = send(
        client, f"/projects/{project.id}/money/new",
        money_form(kind="expenditure", amount="800", commitment_id=str(order.id), invoice_ref="F-2026-12"),
        files={"document": (PDF, "Factuur mei.pdf")},
    )
    assert response.status_code == 302, text(response)
    paid = db.session.scalar(sa.select(MoneyEntry).where(MoneyEntry.kind == MoneyKind.EXPENDITURE))
    assert paid.commitment_id == order.id and paid.amount_cents == 80_000
    assert count(db, MoneyEntry) == 2 and audit_count(db) == before + 1
    doc = db.session.get(MoneyDocument, paid.document_id)
    assert doc.content_type == "application/pdf" and doc.filename == "Factuur_mei.pdf"
    assert services.totals(project).open_commitments == 0
    download = client.get(f"/projects/{project.id}/documents/{doc.id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"] == 'attachment; filename="Factuur_mei.pdf"'


def other_projects_commitment(board: Any, tiers: Any, initiative: Any) -> int:
    other = make_project(board, tiers, initiative, title="Andere ronde")
    return spend(other, initiative, 10_000, kind=MoneyKind.COMMITMENT).id


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"amount": "abc"}, "amount", "Fill in an amount in euros"),
        ({"amount": "0"}, "amount", "The amount must be more than"),
        ({"amount": "-5"}, "amount", "The amount must be more than"),
        ({"amount": "12,345"}, "amount", "thousands or cents"),
        ({"amount": ""}, "amount", "Fill in an amount in euros"),
        ({"booked_on": "2099-01-01"}, "booked_on", "The date is in the future"),
        ({"booked_on": "31-02-2026"}, "booked_on", "Fill in a date, for example 14-03-2026."),
        ({"line_id": "99999"}, "line_id", "Choose a budget line of this project."),
        ({"line_id": "abc"}, "line_id", "Choose a budget line of this project."),
        ({"kind": "gift"}, "kind", "Not a valid choice"),
        ({"payee": ""}, "payee", "Fill in who is paid"),
        ({"description": ""}, "description", "Say in a few words what the money is for."),
        ({"kind": "expenditure", "commitment_id": "OTHER"}, "commitment_id", "Choose an open commitment of this project."),
        ({"kind": "commitment", "commitment_id": "OWN"}, "commitment_id", "Only an expenditure can pay a commitment."),
    ],
)
def test_bad_money_input_gets_a_message_next_to_the_field_and_writes_nothing(
    client, auth, db, board, tiers, project, initiative, overrides, field, message
):
    if overrides.get("commitment_id") == "OTHER":
        overrides = {**overrides, "commitment_id": str(other_projects_commitment(board, tiers, initiative))}
    if overrides.get("commitment_id") == "OWN":
        overrides = {**overrides, "commitment_id": str(spend(project, initiative, 10_000, kind=MoneyKind.COMMITMENT).id)}
    auth.as_account(initiative)
    entries, entries_audit = count(db, MoneyEntry), audit_count(db)
    response = send(client, f"/projects/{project.id}/money/new", money_form(**overrides))
    assert response.status_code == 422
    assert message in field_error(text(response), field), text(response)
    assert count(db, MoneyEntry) == entries and audit_count(db) == entries_audit


def test_a_future_date_and_a_bad_amount_are_both_named_at_once(client, auth, db, project, initiative):
    auth.as_account(initiative)
    before = (count(db, MoneyEntry), audit_count(db))
    response = send(client, f"/projects/{project.id}/money/new", money_form(amount="abc", booked_on="2099-01-01"))
    assert response.status_code == 422
    assert "Fill in an amount in euros" in field_error(text(response), "amount")
    assert "The date is in the future" in field_error(text(response), "booked_on")
    assert (count(db, MoneyEntry), audit_count(db)) == before


@pytest.mark.parametrize("content, name", [(b"GIF89a not allowed", "foto.gif"), (b"MZ\x90\x00", "factuur.pdf"), (b"hello", "factuur.txt")])
def test_a_document_of_the_wrong_type_is_refused(client, auth, db, project, initiative, content, name):
    auth.as_account(initiative)
    before = (count(db, MoneyEntry), count(db, MoneyDocument), audit_count(db))
    response = send(client, f"/projects/{project.id}/money/new", money_form(kind="expenditure"), files={"document": (content, name)})
    assert response.status_code == 422
    assert "not a PDF, PNG or JPEG" in field_error(text(response), "document")
    assert (count(db, MoneyEntry), count(db, MoneyDocument), audit_count(db)) == before


def test_documents_up_to_10_mb_pass_the_app_limit_and_larger_ones_get_a_message(client, auth, db, project, initiative):
    auth.as_account(initiative)
    url = f"/projects/{project.id}/money/new"
    big = PDF + b"0" * (9 * 1024 * 1024)  # more than the app's 8 MB for other forms
    response = send(client, url, money_form(kind="expenditure"), files={"document": (big, "offerte.pdf")})
    assert response.status_code == 302, text(response)
    assert db.session.scalar(sa.select(MoneyDocument.size)) == len(big)
    before = (count(db, MoneyEntry), count(db, MoneyDocument), audit_count(db))
    too_big = PDF + b"0" * (10 * 1024 * 1024)
    response = send(client, url, money_form(kind="expenditure"), files={"document": (too_big, "offerte.pdf")})
    assert response.status_code == 422 and "at most 10 MB" in field_error(text(response), "document")
    assert (count(db, MoneyEntry), count(db, MoneyDocument), audit_count(db)) == before


def test_over_the_money_the_initiative_is_refused_and_the_board_needs_a_reason(client, auth, db, project, initiative, board):
    spend(project, initiative, 140_000)  # € 1.400 of € 1.500,50 spent
    url = f"/projects/{project.id}/money/new"
    before = (count(db, MoneyEntry), count(db, BoardDecision), audit_count(db))
    auth.as_account(initiative)
    response = send(client, url, money_form(kind="expenditure", amount="200"))
    assert response.status_code == 422
    assert "This goes €99.50 over the money for this project (€100.50 left)." in field_error(text(response), "amount")
    # Even a reason typed into a tampered form does not help the initiative.
    response = send(client, url, money_form(kind="expenditure", amount="200", overspend_reason="Graag"))
    assert response.status_code == 422
    assert (count(db, MoneyEntry), count(db, BoardDecision), audit_count(db)) == before

    auth.as_account(board)
    form = text(client.get(url))
    assert "Reason for the board decision" in form
    response = send(client, url, money_form(kind="expenditure", amount="200"))
    assert response.status_code == 422
    assert "write the reason for the board decision" in field_error(text(response), "overspend_reason")
    assert (count(db, MoneyEntry), count(db, BoardDecision), audit_count(db)) == before

    response = send(client, url, money_form(kind="expenditure", amount="200", overspend_reason="Extra aarde nodig na de storm"))
    assert response.status_code == 302, text(response)
    decision = db.session.scalar(sa.select(BoardDecision))
    assert decision.amount_cents == 9_950 and decision.reason == "Extra aarde nodig na de storm"
    assert count(db, MoneyEntry) == before[0] + 1 and audit_count(db) == before[2] + 2  # the decision and the entry
    page = text(client.get(f"/projects/{project.id}"))
    assert "Extra aarde nodig na de storm" in page and "The board allowed €99.50 extra" in page
    assert "€0.00 is left." in page and "Allowed over the money by a board decision" in page


def test_a_board_reason_is_not_asked_when_the_problem_is_elsewhere(client, auth, db, project, board):
    auth.as_account(board)
    response = send(client, f"/projects/{project.id}/money/new", money_form(amount="99999999,99"))
    assert response.status_code == 422
    assert "too large" in field_error(text(response), "amount")
    assert field_error(text(response), "overspend_reason") == ""


# --- corrections ---------------------------------------------------------------------------------


def test_correction_cancels_the_entry_and_shows_on_the_page(client, auth, db, project, initiative):
    wrong = spend(project, initiative, 12_340)
    auth.as_account(initiative)
    url = f"/projects/{project.id}/money/{wrong.id}/correct"
    form = text(client.get(url))
    assert "The entry stays on the record" in form and "€123.40" in form
    before = (count(db, MoneyEntry), audit_count(db))
    response = send(client, url, {"reason": ""})
    assert response.status_code == 422 and "Say why this entry is corrected." in field_error(text(response), "reason")
    assert (count(db, MoneyEntry), audit_count(db)) == before
    response = send(client, url, {"reason": "Het was € 12,34"})
    assert response.status_code == 302
    reversal = db.session.scalar(sa.select(MoneyEntry).where(MoneyEntry.reverses_id == wrong.id))
    assert reversal.amount_cents == -12_340 and reversal.description == "Het was € 12,34"
    assert (count(db, MoneyEntry), audit_count(db)) == (before[0] + 1, before[1] + 1)
    assert db.session.scalars(sa.select(AuditEntry.type).order_by(AuditEntry.seq.desc()).limit(1)).one() == "money.reversed"
    page = text(client.get(f"/projects/{project.id}"))
    assert f'Cancelled by correction <a href="#entry-{reversal.id}">' in page
    assert "Het was € 12,34" in page and "€0.00 is spent" in page
    assert f"/money/{wrong.id}/correct" not in page and f"/money/{reversal.id}/correct" not in page
    # A second correction, or a correction of the correction, is turned away.
    again = send(client, url, {"reason": "Nog eens"})
    assert again.status_code == 302 and count(db, MoneyEntry) == before[0] + 1
    assert client.get(f"/projects/{project.id}/money/{reversal.id}/correct").status_code == 302


def test_a_commitment_with_payments_cannot_be_corrected_first(client, auth, db, project, initiative):
    order = spend(project, initiative, 50_000, kind=MoneyKind.COMMITMENT)
    spend(project, initiative, 20_000, commitment_id=order.id)
    auth.as_account(initiative)
    before = (count(db, MoneyEntry), audit_count(db))
    response = send(client, f"/projects/{project.id}/money/{order.id}/correct", {"reason": "Verkeerd"})
    assert response.status_code == 422 and "Correct those first." in text(response)
    assert (count(db, MoneyEntry), audit_count(db)) == before


def test_entries_and_documents_of_another_project_are_not_found(client, auth, db, board, tiers, project, initiative):
    other = make_project(board, tiers, initiative, title="Andere ronde")
    theirs = spend(other, initiative, 1_000, document=services.Upload("bon.pdf", PDF))
    auth.as_account(initiative)
    assert client.get(f"/projects/{project.id}/money/{theirs.id}/correct").status_code == 404
    assert client.get(f"/projects/{project.id}/documents/{theirs.document_id}").status_code == 404
    assert client.get(f"/projects/{other.id}/documents/{theirs.document_id}").status_code == 200
    update = services.post_progress(other, by=initiative, status="started", text="Begonnen", photo=png(), photo_alt="Een tuin")
    assert client.get(f"/projects/{project.id}/progress/{update.id}/photo").status_code == 404
    assert client.get("/projects/99999").status_code == 404


# --- board decisions --------------------------------------------------------------------------------


def test_board_allows_extra_money_through_the_form(client, auth, db, project, board, initiative):
    url = f"/projects/{project.id}/decisions/new"
    auth.as_account(initiative)
    assert client.get(url).status_code == 403
    assert send(client, url, {"amount": "100", "reason": "Nee", "decided_on": "2026-06-01"}).status_code == 403
    auth.as_account(board)
    page = text(client.get(f"/projects/{project.id}"))
    assert url in page
    before = (count(db, BoardDecision), audit_count(db))
    for data, field, message in [
        ({"amount": "abc", "reason": "Duurder", "decided_on": "2026-06-01"}, "amount", "Fill in an amount in euros"),
        ({"amount": "0", "reason": "Duurder", "decided_on": "2026-06-01"}, "amount", "The amount must be more than"),
        ({"amount": "100", "reason": "", "decided_on": "2026-06-01"}, "reason", "Give the reason"),
        ({"amount": "100", "reason": "Duurder", "decided_on": "2099-06-01"}, "decided_on", "The date is in the future"),
    ]:
        response = send(client, url, data)
        assert response.status_code == 422, data
        assert message in field_error(text(response), field), (data, text(response))
    assert (count(db, BoardDecision), audit_count(db)) == before
    response = send(client, url, {"amount": "750,25", "reason": "Hout is duurder geworden", "decided_on": "01-06-2026"})
    assert response.status_code == 302, text(response)
    decision = db.session.scalar(sa.select(BoardDecision))
    assert (decision.amount_cents, decision.decided_on, decision.account_id) == (75_025, dt.date(2026, 6, 1), board.id)
    assert (count(db, BoardDecision), audit_count(db)) == (before[0] + 1, before[1] + 1)
    page = text(client.get(f"/projects/{project.id}"))
    assert "Hout is duurder geworden" in page and "June 1, 2026" in page and "€2,250.75" in page


# --- progress ----------------------------------------------------------------------------------------


def test_progress_with_a_photo_and_its_description(client, auth, db, project, initiative):
    auth.as_account(initiative)
    url = f"/projects/{project.id}/progress/new"
    assert re.search(r'<input checked [^>]*value="planned"', text(client.get(url)))  # the project's status now
    before = (count(db, ProgressUpdate), audit_count(db))
    response = send(client, url, {"status": "started", "text": "De bakken staan er.", "photo_alt": ""}, files={"photo": (png(), "tuin.png")})
    assert response.status_code == 422
    assert "Describe the photo" in field_error(text(response), "photo_alt")
    response = send(client, url, {"status": "started", "text": "", "photo_alt": ""})
    assert response.status_code == 422 and "Write a few sentences" in field_error(text(response), "text")
    response = send(client, url, {"status": "started", "text": "Hallo", "photo_alt": "Iets"}, files={"photo": (b"not a picture", "tuin.png")})
    assert response.status_code == 422 and "not a picture we can use" in field_error(text(response), "photo")
    assert (count(db, ProgressUpdate), audit_count(db)) == before
    response = send(
        client, url, {"status": "started", "text": "De bakken staan er.", "photo_alt": "Tien houten bakken op het plein"},
        files={"photo": (png(), "tuin.png")},
    )
    assert response.status_code == 302, text(response)
    update = db.session.scalar(sa.select(ProgressUpdate))
    assert (update.status, update.text, update.has_photo, update.photo_alt) == (
        ProjectStatus.STARTED, "De bakken staan er.", True, "Tien houten bakken op het plein"
    )
    assert (count(db, ProgressUpdate), audit_count(db)) == (before[0] + 1, before[1] + 1)
    db.session.refresh(project)
    assert project.status == ProjectStatus.STARTED
    page = text(client.get(f"/projects/{project.id}"))
    assert "Status: <strong>started</strong>" in page and "De bakken staan er." in page
    assert 'alt="Tien houten bakken op het plein"' in page
    photo = client.get(f"/projects/{project.id}/progress/{update.id}/photo")
    assert photo.status_code == 200 and photo.mimetype in ("image/png", "image/jpeg") and photo.data[:4] in (b"\x89PNG", b"\xff\xd8\xff\xe0", b"\xff\xd8\xff\xdb")


# --- access ------------------------------------------------------------------------------------------


FORMS = ("money/new", "money/{entry}/correct", "decisions/new", "progress/new")


def test_strangers_get_403_and_anonymous_visitors_sign_in_and_nothing_is_written(client, auth, db, project, initiative, stranger):
    entry = spend(project, initiative, 1_000)
    before = (count(db, MoneyEntry), count(db, ProgressUpdate), count(db, BoardDecision), audit_count(db))
    data = {**money_form(), "reason": "x", "status": "started", "text": "x"}
    for path in FORMS:
        url = f"/projects/{project.id}/" + path.format(entry=entry.id)
        response = client.get(url)
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"], url
        response = send(client, url, data)
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"], url
    auth.as_account(stranger)
    for path in FORMS:
        url = f"/projects/{project.id}/" + path.format(entry=entry.id)
        assert client.get(url).status_code == 403, url
        assert send(client, url, data).status_code == 403, url
    assert (count(db, MoneyEntry), count(db, ProgressUpdate), count(db, BoardDecision), audit_count(db)) == before
    assert f"/projects/{project.id}/money/new" not in text(client.get(f"/projects/{project.id}"))
    # The pages themselves are public.
    assert client.get("/projects").status_code == 200 and client.get(f"/projects/{project.id}").status_code == 200


def test_initiative_and_board_may_use_the_forms(client, auth, db, project, initiative, board):
    entry = spend(project, initiative, 1_000)
    for account, decisions in ((initiative, 403), (board, 200)):
        auth.as_account(account)
        assert client.get(f"/projects/{project.id}/money/new").status_code == 200
        assert client.get(f"/projects/{project.id}/money/{entry.id}/correct").status_code == 200
        assert client.get(f"/projects/{project.id}/progress/new").status_code == 200
        assert client.get(f"/projects/{project.id}/decisions/new").status_code == decisions
