"""In Dutch, on a phone-sized screen: a resident drafts and submits a proposal, changes it
(a new version with a visible diff), and a moderator marks it eligible with a change of cost.

Fields and buttons of the budgeting pages are found by their ids and form actions, so the test
holds whatever the Dutch wording becomes; the sign-in form is found by its Dutch labels.
"""

from __future__ import annotations

import re
from typing import Any

from tests.browser.conftest import check_page

DEMO_PASSWORD = "welkom-in-delfshaven"
RESIDENT = "fatima.el.idrissi@demo.govern.nl"  # level Deelnemer: may propose
MODERATOR = "moderator@demo.govern.nl"


def sign_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/sign-in")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Inloggen").click()


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="Uitloggen").click()


def test_resident_proposes_and_moderator_reviews(live_server: str, page: Any) -> None:
    base = live_server
    sign_in(page, base, RESIDENT)
    page.locator(f'nav a[href="/rounds"]').click()
    assert page.locator("html").get_attribute("lang") == "nl"
    check_page(page, "budget-01-rounds")
    page.get_by_role("link", name="Wijkbudget Delfshaven 2027").click()
    check_page(page, "budget-02-round")
    page.locator('a[href$="/proposals/new"]').first.click()
    check_page(page, "budget-03-new-proposal")

    # Bad input: no title, and a description that is only a script → clear messages, nothing stored.
    page.locator("#summary").fill("Een buurtbibliotheek in een oude telefooncel, voor kinderen en ouderen.")
    page.locator("#description").fill("<script>alert('hoi')</script>")
    page.locator("#neighbourhood").select_option("oud-mathenesse")
    page.locator("#category").select_option("language")
    page.locator("#lines-0-description").fill("Telefooncel en boekenplanken")
    page.locator("#lines-0-amount").fill("1.250")
    page.locator("form.stack button[type=submit]").first.click()
    assert page.locator("#form-errors").is_visible() and page.locator("#title-error").is_visible()
    check_page(page, "budget-04-new-proposal-errors")
    page.locator("#title").fill("Boekenruil in de telefooncel")
    page.locator("form.stack button[type=submit]").first.click()
    assert page.locator("#description-error").is_visible()
    assert page.locator("#title").input_value() == "Boekenruil in de telefooncel"  # what was typed stays
    check_page(page, "budget-04b-script-refused")
    page.locator("#description").fill(
        "We maken van een oude telefooncel een **boekenruil**.\n\n- boeken brengen\n- boeken lenen\n- voorleesmiddag op woensdag"
    )
    page.locator("#lines-1-description").fill("Verf en verlichting")
    page.locator("#lines-1-amount").fill("350,50")
    page.locator("form.stack button[type=submit]").first.click()
    assert page.locator("h1").inner_text() == "Boekenruil in de telefooncel"
    assert re.search(r"1\.600,50", page.locator("#cost-heading").inner_text())
    check_page(page, "budget-05-draft")

    page.locator('form[action$="/submit"] button').click()
    assert page.locator(".flashes").is_visible()
    check_page(page, "budget-06-submitted")
    proposal_url = page.url

    # A change after submission is a new version, with a visible diff.
    page.locator('a[href$="/edit"]').first.click()
    check_page(page, "budget-07-edit")
    page.locator("#lines-1-amount").fill("450,50")
    page.locator("form.stack button[type=submit]").first.click()
    page.locator('a[href$="/versions/2"]').click()
    assert "450,50" in " ".join(page.locator("pre ins").all_inner_texts())
    assert "350,50" in " ".join(page.locator("pre del").all_inner_texts())
    check_page(page, "budget-08-version-diff")
    sign_out(page)

    # A moderator marks it eligible and changes the cost, with a public reason.
    sign_in(page, base, MODERATOR)
    page.goto(proposal_url)
    page.locator('a[href$="/review"]').click()
    check_page(page, "budget-09-review")
    page.locator("#decision-0").check()
    page.locator("#reason").fill("Haalbaar: de telefooncel mag blijven staan.")
    page.locator("#cost").fill("1.900")
    page.locator("#cost_reason").fill("Een elektricien moet de verlichting aansluiten.")
    page.locator("form.stack button[type=submit]").first.click()
    assert "Een elektricien moet de verlichting aansluiten." in page.content()
    assert re.search(r"1\.900,00", page.locator("#cost-heading").inner_text())
    check_page(page, "budget-10-reviewed")

    # Everyone finds it in the list.
    page.goto(base + "/rounds")
    page.get_by_role("link", name="Wijkbudget Delfshaven 2027").click()
    page.locator('a[href$="/proposals"]').first.click()
    page.locator("#q").fill("telefooncel")
    page.locator("form.filters button").click()
    assert page.get_by_role("link", name="Boekenruil in de telefooncel").is_visible()
    check_page(page, "budget-11-search")


def test_budgeting_pages_for_visitors_are_accessible(live_server: str, page: Any) -> None:
    page.goto(live_server + "/rounds")
    page.get_by_role("link", name="Wijkbudget Delfshaven 2027").click()
    page.locator('a[href$="/proposals"]').first.click()
    check_page(page, "budget-12-proposals")
    page.locator("#neighbourhood").select_option("spangen")
    page.locator("#sort").select_option("cost_high")
    page.locator("form.filters button").click()
    check_page(page, "budget-13-proposals-filtered")
    page.locator(".cards a").first.click()
    check_page(page, "budget-14-proposal")
    # The proposal that was not eligible shows its public reason.
    page.goto(live_server + "/rounds")
    page.get_by_role("link", name="Wijkbudget Delfshaven 2027").click()
    page.locator('a[href$="/proposals"]').first.click()
    page.locator("#status").select_option("not_eligible")
    page.locator("form.filters button").click()
    page.locator(".cards a").first.click()
    assert "fruitbomen" in page.content()
    check_page(page, "budget-15-not-eligible")


def test_board_pages_are_accessible(live_server: str, page: Any) -> None:
    sign_in(page, live_server, "bestuur@demo.govern.nl")
    page.goto(live_server + "/rounds/new")
    check_page(page, "budget-16-new-round")
    page.goto(live_server + "/rounds")
    page.get_by_role("link", name="Wijkbudget Delfshaven 2027").click()
    page.locator('a[href$="/edit"]').first.click()
    check_page(page, "budget-17-edit-round")
