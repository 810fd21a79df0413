"""Importing expenditures from a bookkeeping export: reading files, guessing the columns, every
problem listed by line with nothing written, the file checked between the steps, and who may import."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import io
import random
import re
import zlib
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import pytest
from flask_babel import force_locale
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from govern.audit.log import AuditEntry
from govern.finance import importer, services
from govern.finance.models import MoneyEntry, MoneyKind
from govern.membership.models import MemberKind
from tests.conftest import audit_count, csrf_token
from tests.finance.factories import make_project, make_projects, spend

# --- helpers -----------------------------------------------------------------------------------------


class _Fields(HTMLParser):
    """The values a browser would send from the page's first POST form with an action under /money/import."""

    def __init__(self, action: str | None) -> None:
        super().__init__()
        self.action = action
        self.values: dict[str, str] = {}
        self.inside = False
        self.done = False
        self.select: str | None = None
        self.first_option: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and not self.done and a.get("method") == "post" and (self.action is None or a.get("action") == self.action):
            self.inside = True
        if not self.inside:
            return
        if tag == "input" and a.get("name") and a.get("name") != "edit":
            if a.get("type") == "radio":
                if "checked" in a:
                    self.values[a["name"]] = a.get("value", "")
            else:
                self.values[a["name"]] = a.get("value", "")
        elif tag == "select":
            self.select = a.get("name")
            self.values.setdefault(self.select or "", "")
        elif tag == "option" and self.select and "selected" in a:
            self.values[self.select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self.select = None
        if tag == "form" and self.inside:
            self.inside, self.done = False, True


def form_values(html: str, action: str | None = None) -> dict[str, str]:
    parser = _Fields(action)
    parser.feed(html)
    return parser.values


def text(response: Any) -> str:
    return response.get_data(as_text=True)


def count(db: Any, model: Any) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def upload(client: Any, data: bytes, filename: str = "export.csv", project: int | None = None) -> Any:
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    form: dict[str, Any] = {"csrf_token": csrf_token(client, "/money/import"), "file": FileStorage(io.BytesIO(data), filename=filename)}
    if project is not None:
        form["project"] = str(project)
    # Encoded in memory: the test client would spool a large body to a temporary file it never closes.
    boundary, body = encode_multipart(form)
    return client.post("/money/import", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def check(client: Any, values: dict[str, str], **changes: str) -> Any:
    return client.post("/money/import/check", data={**values, **changes})


def confirm(client: Any, values: dict[str, str], **changes: str) -> Any:
    return client.post("/money/import/confirm", data={**values, **changes})


def through_check(client: Any, data: bytes, **changes: str) -> tuple[Any, dict[str, str]]:
    """Upload and check with the guessed columns (and any changes); returns the check response and the mapping values."""
    page = upload(client, data)
    assert page.status_code == 200, text(page)
    values = form_values(text(page), "/money/import/check")
    values.update(changes)
    return check(client, values), values


def day(d: dt.date) -> str:
    return d.strftime("%d-%m-%Y")


def csv_bytes(rows: list[list[str]], delimiter: str = ";", encoding: str = "cp1252", newline: str = "\r\n") -> bytes:
    """Rows as a bookkeeping program writes them: quotes only around values that hold the separator."""
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=newline).writerows(rows)
    return out.getvalue().encode(encoding)


HEADER = ["Datum", "Bedrag", "Relatie", "Omschrijving", "Factuurnummer", "Project"]


@pytest.fixture()
def initiative(make_account: Any) -> Any:
    return make_account(kind=MemberKind.ORGANISATION, name="Stichting Moestuin West")


@pytest.fixture()
def project(board: Any, tiers: Any, initiative: Any) -> Any:
    # Allocation € 1.500,50 (the proposal's two lines).
    return make_project(board, tiers, initiative)


# --- a good file ------------------------------------------------------------------------------------


def test_a_dutch_semicolon_file_in_windows_1252_imports_every_row(client, auth, db, project, initiative):
    auth.as_account(initiative)
    data = csv_bytes([
        HEADER,
        ["14-03-2026", "€ 1.234,56", "Bouwmarkt Delfshaven BV", "Hout voor de bakken", "F-2026-031", f"P{project.id}"],
        ["02-04-2026", "€ 12,50", "Café De Ster", "Koffie voor de vrijwilligers", "F-2026-040", f"#{project.id}"],
        ["", "", "", "", "", ""],
        ["15-04-2026", "100", "Tuincentrum De Schie", "Zaden en aarde; twee zakken", "", str(project.id)],
    ])
    assert "é".encode("cp1252") in data and "€".encode("cp1252") in data
    sha = hashlib.sha256(data).hexdigest()
    entries, audits = count(db, MoneyEntry), audit_count(db)

    page = upload(client, data)
    assert page.status_code == 200, text(page)
    html = text(page)
    assert "Which column is what?" in html and "Windows-1252" in html and "semicolon" in html
    assert "Café De Ster" in html  # decoded as Windows-1252
    values = form_values(html, "/money/import/check")
    assert values["sha256"] == sha
    assert (values["date_column"], values["amount_column"], values["payee_column"], values["description_column"],
            values["invoice_column"], values["project"]) == ("0", "1", "2", "3", "4", "column:5")
    assert values["date_format"] == "dd-mm-yyyy"

    checked = check(client, values)
    assert checked.status_code == 200, text(checked)
    summary = text(checked)
    assert "All rows are correct" in summary and "Import 3 expenditures" in summary
    assert "€1,347.06" in summary  # 1.234,56 + 12,50 + 100,00
    assert count(db, MoneyEntry) == entries and audit_count(db) == audits  # checking writes nothing

    done = confirm(client, form_values(summary, "/money/import/confirm"))
    assert done.status_code == 302, text(done)
    assert done.headers["Location"].endswith(f"/money/import/{sha}")

    rows = db.session.scalars(sa.select(MoneyEntry).where(MoneyEntry.project_id == project.id).order_by(MoneyEntry.id)).all()
    assert [(r.booked_on, r.amount_cents, r.payee, r.invoice_ref, r.kind) for r in rows] == [
        (dt.date(2026, 3, 14), 123456, "Bouwmarkt Delfshaven BV", "F-2026-031", MoneyKind.EXPENDITURE),
        (dt.date(2026, 4, 2), 1250, "Café De Ster", "F-2026-040", MoneyKind.EXPENDITURE),
        (dt.date(2026, 4, 15), 10000, "Tuincentrum De Schie", "", MoneyKind.EXPENDITURE),
    ]
    assert rows[2].description == "Zaden en aarde; twee zakken"
    assert all(r.import_sha256 == sha and r.account_id == initiative.id for r in rows)
    assert count(db, MoneyEntry) == entries + 3

    spent = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.type == "money.spent").order_by(AuditEntry.seq)).all()
    assert [e.data["import_sha256"] for e in spent[-3:]] == [sha] * 3
    imported = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.type == "money.imported")).all()
    assert len(imported) == 1
    assert imported[0].data["file_sha256"] == sha and imported[0].data["rows"] == 3
    assert imported[0].data["total_cents"] == 134706 and imported[0].data["entries"] == [r.id for r in rows]
    assert audit_count(db) == audits + 4

    result = client.get(done.headers["Location"])
    assert result.status_code == 200
    page = text(result)
    assert "3 expenditures imported" in page and sha in page and f"/audit/{imported[0].seq}" in page
    assert f"P{project.id}" in page and "Café De Ster" in page


def test_one_project_for_all_rows_an_english_file_and_a_suggested_project(client, auth, db, board, tiers, initiative):
    first, second = make_projects(board, tiers, initiative, titles=("Moestuin", "Speeltuin"))
    auth.as_account(initiative)
    data = ("\ufeffDate,Payee,Amount,Description,Invoice\n"
            "2026-03-14,Bouwmarkt Delfshaven BV,\"1,234.56\",Wood,F1\n"
            "2026-03-15,Drukkerij Spangen,12.5,Posters,F2\n").encode("utf-8")
    page = upload(client, data)
    values = form_values(text(page), "/money/import/check")
    assert "UTF-8" in text(page) and "comma" in text(page)
    assert values["project"] == "" and values["date_format"] == "yyyy-mm-dd"
    assert (values["date_column"], values["payee_column"], values["amount_column"], values["description_column"],
            values["invoice_column"]) == ("0", "1", "2", "3", "4")
    # Without a project column, the page asks for the project.
    missing = check(client, values)
    assert missing.status_code == 422 and "Choose the project column, or the project all rows belong to." in text(missing)
    assert f'value="project:{second.id}"' in text(missing)
    values["project"] = f"project:{second.id}"
    summary = check(client, values)
    assert summary.status_code == 200, text(summary)
    assert confirm(client, form_values(text(summary), "/money/import/confirm")).status_code == 302
    amounts = db.session.scalars(sa.select(MoneyEntry.amount_cents).where(MoneyEntry.project_id == second.id)).all()
    assert sorted(amounts) == [1250, 123456]
    assert db.session.scalar(sa.select(MoneyEntry.id).where(MoneyEntry.project_id == first.id)) is None

    # Coming from a project page (?project=...), that project is chosen for all rows.
    other = csv_bytes([["Datum", "Bedrag", "Naam", "Omschrijving"], ["01-05-2026", "5,00", "Bakker", "Brood"]])
    assert f'name="project" type="hidden" value="{first.id}"' in text(client.get(f"/money/import?project={first.id}"))
    page = upload(client, other, project=first.id)
    assert form_values(text(page), "/money/import/check")["project"] == f"project:{first.id}"


# --- broken rows ------------------------------------------------------------------------------------------


def test_every_broken_row_is_listed_by_line_and_nothing_is_written(client, auth, db, board, tiers, project, initiative, make_account):
    other_initiative = make_account(kind=MemberKind.ORGANISATION, name="Buurthuis Oost")
    foreign = make_project(board, tiers, other_initiative, title="Buurthuis")
    auth.as_account(initiative)
    future = services.today() + dt.timedelta(days=10)
    p = f"P{project.id}"
    data = csv_bytes([
        HEADER,                                                                               # line 1
        ["14-03-2026", "100,00", "Bouwmarkt", "Hout", "F1", p],                               # 2: good
        ["31-02-2026", "10,00", "Bouwmarkt", "Schroeven", "F2", p],                           # 3: no such date
        [day(future), "10,00", "Bouwmarkt", "Verf", "F3", p],                                 # 4: in the future
        ["14-03-2026", "0,00", "Bouwmarkt", "Niets", "F4", p],                                # 5: zero
        ["14-03-2026", "-12,50", "Bouwmarkt", "Retour", "F5", p],                             # 6: negative
        ["14-03-2026", "twaalf", "Bouwmarkt", "Lijm", "F6", p],                               # 7: not an amount
        ["14-03-2026", "10,00", "Bouwmarkt", "Lampen", "F7", "P999999"],                      # 8: unknown project
        ["14-03-2026", "10,00", "Bouwmarkt", "Stoelen", "F8", f"P{foreign.id}"],              # 9: another initiative's
        ["14-03-2026", "10,00", "", "Tafels", "F9", p],                                       # 10: empty payee
        ["15-03-2026", "1.450,00", "Bouwmarkt", "Kas", "F10", p],                             # 11: past the ceiling with line 2
        ["14-03-26", "", "Bouwmarkt", "", "F11", p],                                          # 12: short year, no amount, no description
    ])
    entries, audits = count(db, MoneyEntry), audit_count(db)
    response, values = through_check(client, data)
    assert response.status_code == 422
    page = text(response)
    problems = dict(re.findall(r"<strong>Line (\d+):</strong> ([^<]*)</li>", page))
    assert set(problems) == {str(n) for n in range(3, 13)}, problems
    assert "not a date that exists" in problems["3"]
    assert "The date is in the future" in problems["4"]
    assert "The amount is € 0" in problems["5"]
    assert "Negative amounts cannot be imported; record a correction on the project page." in problems["6"]
    assert "“twaalf” (column “Bedrag”) is not an amount in euros" in problems["7"]
    assert "Unknown project “P999999”" in problems["8"]
    assert f"You cannot record money for project {foreign.id}." in problems["9"]
    assert "Who is paid (column “Relatie”) is empty." in problems["10"]
    assert "over the money for this project" in problems["11"]
    assert "four digits" in problems["12"] and "The amount (column “Bedrag”) is empty." in problems["12"]
    assert "The description (column “Omschrijving”) is empty." in problems["12"]
    assert "10 rows have a problem. Nothing was imported." in page
    # The choices stay as they were.
    assert form_values(page, "/money/import/check")["amount_column"] == values["amount_column"] == "1"
    # Confirming the same file anyway is refused the same way.
    refused = confirm(client, values)
    assert refused.status_code == 422 and "Line 11:" in text(refused)
    assert count(db, MoneyEntry) == entries and audit_count(db) == audits


def test_confirm_checks_again_when_something_changed_since_the_check(client, auth, db, project, initiative):
    auth.as_account(initiative)
    data = csv_bytes([HEADER, ["14-03-2026", "1.000,00", "Bouwmarkt", "Hout", "F1", f"P{project.id}"]])
    summary, _ = through_check(client, data)
    assert summary.status_code == 200
    spend(project, initiative, 60000)  # € 600 of the € 1.500,50 recorded by hand in the meantime
    entries, audits = count(db, MoneyEntry), audit_count(db)
    response = confirm(client, form_values(text(summary), "/money/import/confirm"))
    assert response.status_code == 422
    assert "Line 2:" in text(response) and "over the money for this project" in text(response)
    assert count(db, MoneyEntry) == entries and audit_count(db) == audits


def test_the_same_file_or_the_same_invoice_twice_is_refused(client, auth, db, project, initiative):
    auth.as_account(initiative)
    data = csv_bytes([HEADER, ["14-03-2026", "100,00", "Bouwmarkt", "Hout", "F-77", f"P{project.id}"]])
    summary, values = through_check(client, data)
    assert confirm(client, form_values(text(summary), "/money/import/confirm")).status_code == 302
    entries = count(db, MoneyEntry)
    again = upload(client, data)
    assert again.status_code == 422 and "This file was already imported on" in text(again)
    # A later export that holds the same invoice again (another file): that row is refused.
    later = csv_bytes([
        HEADER,
        ["14-03-2026", "100,00", "Bouwmarkt", "Hout", "F-77", f"P{project.id}"],
        ["20-03-2026", "25,00", "Bouwmarkt", "Lijm", "F-78", f"P{project.id}"],
    ])
    response, _ = through_check(client, later)
    assert response.status_code == 422
    assert re.search(r"Line 2:</strong> This expenditure is already recorded for project \d+", text(response))
    assert "Line 3:" not in text(response)
    # Confirming the first file's form again (a double click) imports nothing more.
    twice = confirm(client, form_values(text(summary), "/money/import/confirm"))
    assert twice.status_code == 400 and "already imported" in text(twice)
    assert count(db, MoneyEntry) == entries


# --- the file between the steps ---------------------------------------------------------------------------


def test_a_changed_hidden_file_is_refused(client, auth, db, project, initiative, make_account):
    auth.as_account(initiative)
    data = csv_bytes([HEADER, ["14-03-2026", "100,00", "Bouwmarkt", "Hout", "F1", f"P{project.id}"]])
    values = form_values(text(upload(client, data)), "/money/import/check")
    assert check(client, values).status_code == 200
    forged_data = data.replace(b"100,00", b"999,00")
    forged = base64.urlsafe_b64encode(zlib.compress(forged_data)).decode()
    entries, audits = count(db, MoneyEntry), audit_count(db)
    cases = [
        {"content": forged},  # other content, old hash
        {"content": forged, "sha256": hashlib.sha256(forged_data).hexdigest()},  # other content and its hash, old signature
        {"content": "not base64 at all!"},
        {"content": base64.urlsafe_b64encode(b"plain, not compressed").decode()},
        {"signature": values["signature"][:-2] + "xx"},
        {"filename": "other.csv"},
        {"signature": ""},
    ]
    for change in cases:
        for step in (check, confirm):
            response = step(client, values, **change)
            assert response.status_code == 400, (change, step)
            assert "The file changed between the steps, so we cannot trust it. Upload the file again." in text(response)
    # Another account cannot use this account's form.
    auth.as_account(make_account(roles=[], name="Ander"))  # manages nothing: 403 first
    assert check(client, values).status_code == 403
    assert count(db, MoneyEntry) == entries and audit_count(db) == audits


def test_a_large_file_travels_through_the_steps(client, auth, db, project, initiative):
    """Near 2 MB and 5.000 rows of text that compresses badly: the form carries more than 1 MB between the steps."""
    auth.as_account(initiative)
    rng = random.Random(7)
    rows = [["Datum", "Bedrag", "Relatie", "Omschrijving"]]
    for i in range(importer.MAX_ROWS):
        words = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(340))
        rows.append([f"{1 + i % 28:02d}-03-2026", "0,10", f"Leverancier {i}", words])
    data = csv_bytes(rows)
    assert 1_700_000 < len(data) <= importer.MAX_BYTES
    page = upload(client, data, project=project.id)
    assert page.status_code == 200, text(page)[:500]
    values = form_values(text(page), "/money/import/check")
    assert len(values["content"]) > 1_000_000
    response = check(client, values)
    assert response.status_code == 200, text(response)[:2000]
    assert "Import 5000 expenditures" in text(response) and "€500.00" in text(response)


# --- files that are not right ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "This file is empty."),
        (b"  \r\n\r\n", "This file is empty."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "This is not a text file."),
        (bytes(range(256)) * 8, "This is not a text file."),
        (b"PK\x03\x04\x14\x00\x06\x00", "This is a spreadsheet file (Excel or LibreOffice), not a CSV file."),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "This is an old Excel file"),
        (b"%PDF-1.7\n", "This is a PDF file."),
        (b"Datum\n14-03-2026\n15-03-2026\n", "We found only one column in this file."),
        (b"14-03-2026;100,00;Bouwmarkt;Hout\n15-03-2026;12,50;Bakker;Brood\n", "The first row of the file must hold the column names"),
        (b"Datum;Bedrag;Relatie;Omschrijving\n", "The file has column names but no rows with payments below them."),
        (b"Datum;Bedrag\n" + b"14-03-2026;1\n" * (importer.MAX_ROWS + 1), "This file has more than 5.000 rows."),
        (b"Datum;Omschrijving\n" + b"14-03-2026;" + b"x" * importer.MAX_BYTES + b"\n", "This file is too large: at most 2 MB."),
    ],
    ids=["empty", "blank", "png", "binary", "xlsx", "xls", "pdf", "one-column", "no-header", "no-rows", "too-many-rows", "too-large"],
)
def test_a_file_that_is_not_a_bookkeeping_export_gets_a_message(client, auth, db, project, initiative, data, message):
    auth.as_account(initiative)
    entries, audits = count(db, MoneyEntry), audit_count(db)
    response = upload(client, data, filename="betalingen.csv")
    assert response.status_code == 422
    page = text(response)
    assert message in page, page
    assert 'aria-invalid="true"' in page and 'id="file-error"' in page  # next to the file field
    assert count(db, MoneyEntry) == entries and audit_count(db) == audits


def test_no_file_chosen(client, auth, db, project, initiative):
    auth.as_account(initiative)
    response = client.post("/money/import", data={"csrf_token": csrf_token(client, "/money/import")})
    assert response.status_code == 422 and "Choose the CSV file with the payments." in text(response)


# --- who may import -----------------------------------------------------------------------------------


def test_who_may_import(client, auth, db, board, project, initiative, make_account):
    assert client.get("/money/import").status_code == 302  # anonymous: to sign-in
    assert "/sign-in" in client.get("/money/import").headers["Location"]
    nobody = make_account(name="Bewoner zonder project")
    auth.as_account(nobody)
    assert client.get("/money/import").status_code == 403
    token = csrf_token(client)
    for url in ("/money/import", "/money/import/check", "/money/import/confirm"):
        assert client.post(url, data={"csrf_token": token}).status_code == 403, url
    auth.as_account(initiative)
    page = client.get("/money/import")
    assert page.status_code == 200 and f"P{project.id}" in text(page)
    auth.as_account(board)
    assert client.get("/money/import").status_code == 200


def test_an_initiative_cannot_choose_another_initiatives_project(client, auth, db, board, tiers, project, initiative, make_account):
    foreign = make_project(board, tiers, make_account(kind=MemberKind.ORGANISATION, name="Ander"), title="Buurthuis")
    auth.as_account(initiative)
    data = csv_bytes([["Datum", "Bedrag", "Relatie", "Omschrijving"], ["14-03-2026", "5,00", "Bakker", "Brood"]])
    page = text(upload(client, data))
    assert f"project:{foreign.id}" not in page and f"project:{project.id}" in page
    values = form_values(page, "/money/import/check")
    entries = count(db, MoneyEntry)
    for step in (check, confirm):
        response = step(client, values, project=f"project:{foreign.id}")
        assert response.status_code == 422 and "Not a valid choice" in text(response)
    assert count(db, MoneyEntry) == entries


def test_the_board_imports_for_several_projects(client, auth, db, board, tiers, make_account):
    a = make_project(board, tiers, make_account(kind=MemberKind.ORGANISATION, name="Een"), title="Een")
    b = make_project(board, tiers, make_account(kind=MemberKind.ORGANISATION, name="Twee"), title="Twee")
    auth.as_account(board)
    data = csv_bytes([
        ["Boekdatum", "Debet", "Crediteur", "Boekingsomschrijving", "Boekstuk", "Kostenplaats"],
        ["14-03-2026", "10,00", "Bakker", "Brood", "M1", f"P{a.id}"],
        ["14-03-2026", "20,00", "Slager", "Worst", "M2", f"P{b.id}"],
        ["15-03-2026", "1.000,00", "Bouwmarkt", "Hout", "M3", f"P{b.id}"],
    ])
    summary, _ = through_check(client, data)
    page = text(summary)
    assert summary.status_code == 200, page
    assert "€10.00" in page and "€1,020.00" in page and "€1,030.00" in page
    assert confirm(client, form_values(page, "/money/import/confirm")).status_code == 302
    assert db.session.scalar(sa.select(sa.func.sum(MoneyEntry.amount_cents)).where(MoneyEntry.project_id == b.id)) == 102000


# --- reading and guessing ---------------------------------------------------------------------------------


def test_change_the_choices_from_the_summary_keeps_them(client, auth, db, project, initiative):
    auth.as_account(initiative)
    data = csv_bytes([HEADER, ["03-04-2026", "10,00", "Bakker", "Brood", "F1", f"P{project.id}"]])
    summary, values = through_check(client, data)
    assert "April 3, 2026" in text(summary)  # day first
    kept = form_values(text(summary), "/money/import/confirm")
    back = client.post("/money/import/check", data={**kept, "edit": "1"})
    assert back.status_code == 200 and "Which column is what?" in text(back)
    def without_token(fields):  # the CSRF token carries the second it was made
        return {k: v for k, v in fields.items() if k != "csrf_token"}

    assert without_token(form_values(text(back), "/money/import/check")) == without_token(values)
    american = check(client, values, date_format="m/d/yyyy")
    assert "March 4, 2026" in text(american)


@pytest.mark.parametrize(
    "header, expected",
    [
        (["Datum", "Bedrag", "Relatie", "Omschrijving", "Factuurnummer", "Project"], (0, 1, 2, 3, 4, 5)),
        (["date", "amount", "payee", "description", "invoice", "project"], (0, 1, 2, 3, 4, 5)),
        (["Boekdatum", "Factuurdatum", "Debet", "Credit", "Crediteurnaam", "Boekingsomschrijving", "Boekstuknummer", "Kostenplaats"],
         (0, 2, 4, 5, 6, 7)),
        (["Omschrijving", "Naam", "Bedrag (EUR)", "Datum", "Factuur"], (3, 2, 1, 0, 4, None)),
        (["Projectnummer", "Leverancier", "Transactiedatum", "Bedrag incl. btw", "Toelichting"], (2, 3, 1, 4, None, 0)),
        (["Kolom A", "Kolom B"], (None, None, None, None, None, None)),
    ],
)
def test_columns_are_guessed_from_their_names(header, expected):
    guess = importer.guess_columns(header)
    assert tuple(guess[f] for f in importer.FIELDS) == expected


@pytest.mark.parametrize(
    "values, fmt",
    [
        (["14-03-2026", "01-04-2026"], "dd-mm-yyyy"),
        (["2026-03-14", "2026-04-01 00:00:00"], "yyyy-mm-dd"),
        (["14/3/2026", "1/4/2026"], "d/m/yyyy"),
        (["3/14/2026", "4/1/2026"], "m/d/yyyy"),
        (["01-02-2026"], "dd-mm-yyyy"),
        ([], "dd-mm-yyyy"),
    ],
)
def test_date_format_is_guessed_from_the_values(values, fmt):
    assert importer.guess_date_format(values) == fmt


def test_separator_and_encoding_are_detected(app, db):
    # ";" with a decimal comma in every row: csv.Sniffer alone would choose ",".
    table = importer.read_table("Datum;Bedrag;Naam\n14-03-2026;12,50;Café\n15-03-2026;1,00;Bakker\n".encode("cp1252"))
    assert (table.delimiter, table.encoding, table.header) == (";", "Windows-1252", ("Datum", "Bedrag", "Naam"))
    assert table.rows[0] == (2, ("14-03-2026", "12,50", "Café"))
    table = importer.read_table("\ufeffDatum\tBedrag\tNaam\r\n14-03-2026\t12,50\tCafé\r\n".encode("utf-8"))
    assert (table.delimiter, table.encoding, table.header[0]) == ("\t", "UTF-8", "Datum")
    table = importer.read_table("Datum,Bedrag,Naam\n14-03-2026,\"1.234,56\",\"Bakker, De\"\n".encode("utf-16"))
    assert (table.delimiter, table.encoding, table.rows[0][1]) == (",", "UTF-16", ("14-03-2026", "1.234,56", "Bakker, De"))
    # A value over two lines keeps the line numbers of the file; trailing separators are ignored.
    table = importer.read_table(b'Datum;Bedrag;Omschrijving;\n14-03-2026;1;"twee\nregels";\n\n15-03-2026;2;drie;\n')
    assert [line for line, _ in table.rows] == [2, 5] and table.header == ("Datum", "Bedrag", "Omschrijving")


def test_a_row_with_more_columns_than_the_header_is_reported(app, db, project):
    table = importer.read_table(f"Datum,Bedrag,Relatie,Omschrijving\n14-03-2026,1,234.56,Bakker,Brood\n14-03-2026,5,Bakker,Brood\n".encode())
    rows = importer.build_rows(table, importer.Choices({"date": 0, "amount": 1, "payee": 2, "description": 3}, project.id))
    assert "more columns than the first row" in str(rows[0].error)
    assert rows[1].error is None and rows[1].values.amount_cents == 500


# --- parsing amounts and dates ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, cents",
    [
        ("€ 1.234,56", 123456), ("1234,56", 123456), ("€ 12,50", 1250), ("1,234.56", 123456), ("12,-", 1200),
        ("1.234.567", 123456700), ("EUR 3", 300), ("12.5", 1250), ("1 234,56", 123456), ("12,3400", 1234),
        ("0,00", 0), ("-12,50", -1250), ("(12,50)", -1250), ("12,50-", -1250), ("€ -7", -700), ("−3,10", -310),
        ("12,50 €", 1250), ("+5", 500), (",50", 50),
    ],
)
def test_parse_amount(text, cents):
    assert importer.parse_amount(text) == cents


@pytest.mark.parametrize(
    "text, kind",
    [("", "empty"), ("-", "zero"), ("twaalf", "garbage"), ("1e5", "garbage"), ("1.234", "unclear"), ("1,234", "unclear"),
     ("12.345,678", "decimals"), ("1,2,3.4.5", "garbage"), ("12.50.3", "garbage"), ("1.23,4.5", "garbage")],
)
def test_parse_amount_refuses(text, kind):
    with pytest.raises(importer.ValueProblem) as problem:
        importer.parse_amount(text)
    assert problem.value.kind == kind


def test_an_unclear_amount_follows_the_rest_of_the_column():
    assert importer.column_decimal_mark(["1.234", "12,50", "€ 3"]) == ","
    assert importer.parse_amount("1.234", ",") == 123400
    assert importer.column_decimal_mark(["1,234", "12.50"]) == "."
    assert importer.parse_amount("1,234", ".") == 123400
    assert importer.column_decimal_mark(["1,5", "2.5"]) is None


def dutch(cents: int, grouped: bool, symbol: bool) -> str:
    euros, rest = divmod(cents, 100)
    whole = f"{euros:,}".replace(",", ".") if grouped else str(euros)
    return f"{'€ ' if symbol else ''}{whole},{rest:02d}"


@given(st.integers(min_value=0, max_value=services.MAX_AMOUNT_CENTS * 10), st.booleans(), st.booleans())
@settings(max_examples=300, deadline=None)
def test_cents_written_the_dutch_way_parse_back(cents, grouped, symbol):
    assert importer.parse_amount(dutch(cents, grouped, symbol)) == cents
    assert importer.parse_amount("-" + dutch(cents, grouped, False)) == -cents


@given(st.integers(min_value=0, max_value=services.MAX_AMOUNT_CENTS * 10))
@settings(max_examples=300, deadline=None)
def test_cents_written_the_english_way_parse_back(cents):
    text = f"{Decimal(cents) / 100:,.2f}"
    assert importer.parse_amount(text) == cents


@pytest.mark.parametrize(
    "text, fmt, expected",
    [
        ("14-03-2026", "dd-mm-yyyy", dt.date(2026, 3, 14)),
        ("14.3.2026", "dd-mm-yyyy", dt.date(2026, 3, 14)),
        ("14-03-2026 00:00:00", "dd-mm-yyyy", dt.date(2026, 3, 14)),
        ("2026-03-14", "dd-mm-yyyy", dt.date(2026, 3, 14)),  # ISO always
        ("2026-03-14T10:00", "m/d/yyyy", dt.date(2026, 3, 14)),
        ("20260314", "yyyy-mm-dd", dt.date(2026, 3, 14)),
        ("2026/3/14", "yyyy-mm-dd", dt.date(2026, 3, 14)),
        ("14/3/2026", "d/m/yyyy", dt.date(2026, 3, 14)),
        ("3/14/2026", "m/d/yyyy", dt.date(2026, 3, 14)),
        ("03-04-2026", "m/d/yyyy", dt.date(2026, 3, 4)),
    ],
)
def test_parse_date(text, fmt, expected):
    assert importer.parse_date(text, fmt) == expected


@pytest.mark.parametrize(
    "text, fmt, kind",
    [("", "dd-mm-yyyy", "empty"), ("31-02-2026", "dd-mm-yyyy", "invalid"), ("14-03-26", "dd-mm-yyyy", "short_year"),
     ("14 maart 2026", "dd-mm-yyyy", "format"), ("14-03-2026", "yyyy-mm-dd", "format"), ("3/14/2026", "d/m/yyyy", "invalid"),
     ("20260314", "dd-mm-yyyy", "format")],
)
def test_parse_date_refuses(text, fmt, kind):
    with pytest.raises(importer.ValueProblem) as problem:
        importer.parse_date(text, fmt)
    assert problem.value.kind == kind


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)), st.sampled_from(importer.DATE_FORMATS))
@settings(max_examples=200, deadline=None)
def test_dates_written_in_a_format_parse_back(day_, fmt):
    written = {
        "dd-mm-yyyy": day_.strftime("%d-%m-%Y"),
        "yyyy-mm-dd": day_.isoformat(),
        "d/m/yyyy": f"{day_.day}/{day_.month}/{day_.year}",
        "m/d/yyyy": f"{day_.month}/{day_.day}/{day_.year}",
    }[fmt]
    assert importer.parse_date(written, fmt) == day_


@pytest.mark.parametrize("text, number", [("12", 12), ("P12", 12), ("p 12", 12), ("#12", 12), ("P-012", 12), ("Project 12", 12),
                                          ("kostenplaats", None), ("", None), ("12a", None)])
def test_parse_project_ref(text, number):
    assert importer.parse_project_ref(text) == number


# --- a double click ------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_double_click_on_import_imports_the_file_once(tmp_path, database_url):
    """Several confirmations of one file at the same moment (own connections, a fresh database): one imports."""
    import threading

    from govern.audit.checkpoints import create_key
    from govern.extensions import db
    from govern.membership.models import Account, Role
    from govern.services import ServiceError
    from tests.support.database import dispose, fresh_database, migrated_app
    from tests.support.factories import make_account, make_tiers

    attempts, timeout = 4, 15
    with fresh_database(database_url, tmp_path) as url:
        app = migrated_app(url, tmp_path, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 2 * attempts, "max_overflow": 0, "pool_timeout": timeout})
        try:
            with app.test_request_context("/"):
                create_key()
                tiers = make_tiers()
                board = make_account(tiers, roles=[Role.BOARD], language="en")
                initiative = make_account(tiers, kind=MemberKind.ORGANISATION, name="Voedseltuin", language="en")
                project_id, account_id = make_project(board, tiers, initiative).id, initiative.id
                db.session.remove()
            data = csv_bytes([["Datum", "Bedrag", "Relatie", "Omschrijving"], ["14-03-2026", "10,00", "Bakker", "Brood"]])
            sha = hashlib.sha256(data).hexdigest()
            choices = importer.Choices({"date": 0, "amount": 1, "payee": 2, "description": 3}, project_id)
            barrier = threading.Barrier(attempts, timeout=timeout)
            results: list[str] = []

            def attempt() -> None:
                with app.test_request_context("/"):
                    try:
                        by = db.session.get(Account, account_id)
                        _ = by.member
                        table = importer.read_table(data)
                        db.session.rollback()
                        barrier.wait()
                        importer.import_file(table, choices, by=by, file_sha256=sha, filename="kas.csv")
                        outcome = "ok"
                    except importer.FileRefused as error:
                        with force_locale("en"):
                            outcome = "again" if "already imported" in str(error.message) else f"refused: {error}"
                    except ServiceError as error:
                        outcome = f"error: {error}"
                    finally:
                        db.session.remove()
                results.append(outcome)

            threads = [threading.Thread(target=attempt) for _ in range(attempts)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout * 2)
            assert sorted(results) == ["again"] * (attempts - 1) + ["ok"], results
            with app.app_context():
                assert db.session.scalar(sa.select(sa.func.count()).select_from(MoneyEntry)) == 1
                assert db.session.scalar(sa.select(sa.func.count()).where(AuditEntry.type == "money.imported")) == 1
                db.session.remove()
        finally:
            dispose(app)
