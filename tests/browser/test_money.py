"""Where the money goes, in a real browser, in Dutch, on a phone-sized screen, without JavaScript.

1. A resident (not signed in) follows the money: "Waar gaat het geld heen?" → the round →
   a funded project → its timeline from proposal and vote to invoices; the open-data files
   and the yearly report (HTML and PDF) are there.
2. The initiative that carries out the project books an expenditure: a typo in the amount is
   refused next to the field and nothing is booked; the right amount is booked and shows on
   the page; then it is corrected (a new line cancels it) and a progress update is posted.
3. The board imports a bookkeeping CSV: a broken row is listed by its line number and nothing
   is imported; the fixed file imports every row.
axe-core (WCAG 2 A/AA) on every page. JavaScript is off throughout: these are core paths.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import LIVE_APPS, check_page

DEMO_PASSWORD = "welkom-in-delfshaven"
BOARD = "bestuur@demo.govern.nl"
PROJECT = "Kookcafé voor ouderen"


@contextmanager
def on_server(base: str) -> Iterator[Any]:
    app = LIVE_APPS[base]
    with app.test_request_context("/", base_url=base):
        from govern.extensions import db

        try:
            yield db
        finally:
            db.session.remove()


def project_facts(base: str) -> tuple[int, str, int]:
    """(project id, an e-mail of its initiative, number of money entries) from the live server's database."""
    from govern.finance.models import MoneyEntry, Project
    from govern.membership.models import Account

    with on_server(base) as db:
        project = db.session.scalar(sa.select(Project).where(Project.title == PROJECT))
        email = db.session.scalar(sa.select(Account.email).where(Account.member_id == project.member_id).order_by(Account.id))
        entries = db.session.scalar(sa.select(sa.func.count()).select_from(MoneyEntry))
        return project.id, email, entries


def entry_count(base: str) -> int:
    return project_facts(base)[2]


@pytest.fixture()
def nojs(browser: Any) -> Iterator[Any]:
    contexts: list[Any] = []

    def make() -> Any:
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="nl-NL", bypass_csp=True, java_script_enabled=False)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def sign_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/sign-in")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    expect(page.locator(".account-menu")).to_be_visible()


def axe(page: Any, name: str) -> None:
    check_page(page, name)


def axe_mirrored(mirror: Any, nojs_page: Any, name: str) -> None:
    """axe-core needs scripts: serve the page without JavaScript, as it is (styles from the server),
    to a page with JavaScript and check it there."""
    html, url = nojs_page.content(), nojs_page.url
    mirror.unroute("**/*")
    mirror.route(
        "**/*",
        lambda route: route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)
        if route.request.url == url and route.request.resource_type == "document"
        else route.fallback(),
    )
    mirror.goto(url)
    check_page(mirror, name)


def no_horizontal_scroll(page: Any) -> None:
    width, inner = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"{page.url}: the page is {width}px wide in a {inner}px window"


def test_a_resident_follows_the_money_from_the_vote_to_the_invoices(live_server, page):
    base = live_server
    project_id, _, _ = project_facts(base)
    page.goto(f"{base}/")
    page.get_by_role("navigation", name=re.compile("menu", re.I)).get_by_role("link", name="Geld").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Waar gaat het geld heen?")
    expect(page.locator("svg[role=img]").first).to_be_visible()
    expect(page.locator("table").first).to_be_visible()
    no_horizontal_scroll(page)
    axe(page, "money-overview")
    page.locator("a[href$='/money/rounds/1'], a[href*='/money/rounds/']").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Wijkbudget Delfshaven 2026")
    no_horizontal_scroll(page)
    axe(page, "money-round")
    page.locator(f"a[href$='/projects/{project_id}']").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(PROJECT)
    # The timeline runs from the proposal through the vote to the money, each step on the record.
    timeline = page.locator("#timeline, .timeline").first
    assert timeline.locator("a[href*='/audit/']").count() >= 5
    expect(page.locator("a[href*='/results']").first).to_be_visible()
    no_horizontal_scroll(page)
    axe(page, "money-project")
    # Open data and the yearly report.
    page.goto(f"{base}/money/open-data")
    axe(page, "money-open-data")
    csv = page.request.get(f"{base}/money/allocations.csv")
    assert csv.ok and PROJECT in csv.text()
    page.goto(f"{base}/money/report")
    page.locator("a[href$='/money/report/2026']").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("2026")
    expect(page.locator("main")).to_contain_text(PROJECT)
    axe(page, "money-report-2026")
    pdf = page.request.get(f"{base}/money/report/2026.pdf")
    assert pdf.ok and pdf.body().startswith(b"%PDF") and pdf.headers["content-type"] == "application/pdf"


def test_the_initiative_books_corrects_and_reports_progress_without_javascript(live_server, nojs, page):
    base = live_server
    project_id, email, before = project_facts(base)
    me = nojs()
    sign_in(me, base, email)
    me.goto(f"{base}/projects/{project_id}")
    me.locator(f"a[href$='/projects/{project_id}/money/new']").first.click()
    me.locator("input[name=kind][value=expenditure]").check()
    me.locator("input[name=booked_on]").fill("2026-11-02")
    me.locator("input[name=amount]").fill("12,50 euro's")
    me.locator("input[name=payee]").fill("Groothandel Oostervant")
    me.locator("input[name=description]").fill("Koffie en thee voor de kookmiddag")
    me.locator("input[name=invoice_ref]").fill("F-2026-3001")
    me.locator("main form button[type=submit]").first.click()
    # Refused next to the field, in Dutch, nothing booked.
    amount = me.locator("input[name=amount]")
    expect(amount).to_have_attribute("aria-invalid", "true")
    expect(me.locator("#amount-error")).to_contain_text("Vul een bedrag in euro in")
    assert me.locator("html").get_attribute("lang") == "nl"
    assert entry_count(base) == before
    axe_mirrored(page, me, "money-form-error")
    amount.fill("12,50")
    me.locator("main form button[type=submit]").first.click()
    expect(me).to_have_url(re.compile(rf"/projects/{project_id}"))
    row = me.locator("tr", has_text="F-2026-3001").first
    expect(row).to_contain_text("12,50")
    assert entry_count(base) == before + 1
    # A correction: a new line with the opposite amount; the first stays, struck through.
    row.locator("a[href*='/correct']").click()
    me.locator("textarea[name=reason]").fill("Verkeerde factuur: deze hoort bij een ander project.")
    me.locator("main form button[type=submit]").first.click()
    expect(me.locator("tr.is-corrected", has_text="F-2026-3001")).to_have_count(1)
    expect(me.locator("tr.is-correction", has_text="F-2026-3001")).to_contain_text("12,50")
    assert entry_count(base) == before + 2
    # Progress.
    me.locator(f"a[href$='/projects/{project_id}/progress/new']").first.click()
    me.locator("input[name=status][value=started]").check()
    me.locator("textarea[name=text]").fill("We koken weer elke dinsdag, nu ook met de buren van de Schiedamseweg.")
    me.locator("main form button[type=submit]").first.click()
    expect(me.locator("main")).to_contain_text("Schiedamseweg")
    axe_mirrored(page, me, "money-project-signed-in")


GOOD_CSV = (
    "Boekdatum;Bedrag;Relatie;Omschrijving;Factuurnummer;Kostenplaats\n"
    "03-11-2026;€ 45,00;Drukkerij Spangen;Flyers voor de kookmiddag;F-9001;P{p}\n"
    "04-11-2026;€ 1.234,56;Bouwmarkt Delfshaven BV;Nieuwe kookplaat;F-9002;P{p}\n"
)
BROKEN_CSV = GOOD_CSV + "31-02-2026;€ 10,00;Drukkerij Spangen;Nog meer flyers;F-9003;P{p}\n"


def test_the_board_imports_expenditures_all_or_nothing(live_server, nojs, page, tmp_path):
    base = live_server
    project_id, _, before = project_facts(base)
    me = nojs()
    sign_in(me, base, BOARD)
    broken = tmp_path / "boekhouding.csv"
    broken.write_bytes(BROKEN_CSV.format(p=project_id).encode("cp1252"))
    me.goto(f"{base}/money/import")
    me.locator("input[type=file]").set_input_files(str(broken))
    me.locator("main form button[type=submit]").first.click()
    # The columns are guessed from the Dutch headers; check the rows.
    expect(me.locator("select[name=amount_column] option[selected]")).to_have_text("Bedrag")
    me.locator("main form button[type=submit]").first.click()
    # Line 4 of the file (the header is line 1) is named, in Dutch, and nothing was imported.
    expect(me.locator("main")).to_contain_text("niets geïmporteerd")
    expect(me.locator("main li", has_text="Regel 4:")).to_contain_text("31-02-2026")
    assert entry_count(base) == before
    axe_mirrored(page, me, "money-import-errors")
    good = tmp_path / "boekhouding-goed.csv"
    good.write_bytes(GOOD_CSV.format(p=project_id).encode("cp1252"))
    me.goto(f"{base}/money/import")
    me.locator("input[type=file]").set_input_files(str(good))
    me.locator("main form button[type=submit]").first.click()
    me.locator("main form button[type=submit]").first.click()
    expect(me.locator("main")).to_contain_text("1.279,56")  # the total of both rows, the Dutch way
    me.locator("main form button[type=submit]").first.click()
    expect(me.locator("main")).to_contain_text(PROJECT)
    assert entry_count(base) == before + 2
    axe_mirrored(page, me, "money-import-done")
