"""A person applies, the board approves in Dutch, the new member signs in and switches language."""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import check_page

DEMO_PASSWORD = "welkom-in-delfshaven"


def sign_in(page: Any, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/sign-in")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(password)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_load_state()


def test_apply_approve_sign_in_switch_language(live_server: str, page: Any) -> None:
    base = live_server
    page.goto(base + "/")
    assert page.locator("html").get_attribute("lang") == "nl"
    check_page(page, "01-home")

    # 1. A resident applies, by keyboard-reachable labels only.
    page.get_by_role("link", name="Lid worden").first.click()
    check_page(page, "02-apply")
    page.get_by_label("een bewoner (een persoon)").check()
    page.get_by_label("Naam").fill("Yasmina Haddou")
    page.get_by_label("E-mailadres").fill("yasmina@example.org")
    page.get_by_label("Wachtwoord", exact=True).fill("kort")
    page.get_by_label("Wachtwoord nog een keer").fill("kort")
    page.get_by_label("Wijk").select_option("spangen")
    page.get_by_role("button", name=re.compile("aanmelding", re.I)).click()
    # A clear Dutch message next to the field, and the error summary.
    expect(page.locator("#form-errors")).to_be_visible()
    expect(page.locator(".field-error").first).to_contain_text("tekens")
    check_page(page, "03-apply-error")
    page.get_by_label("Wachtwoord", exact=True).fill("ik-woon-in-spangen")
    page.get_by_label("Wachtwoord nog een keer").fill("ik-woon-in-spangen")
    page.get_by_role("button", name=re.compile("aanmelding", re.I)).click()
    expect(page.locator(".flashes")).to_be_visible()
    expect(page.locator("h1")).to_contain_text("Yasmina Haddou")
    check_page(page, "04-applied")
    page.get_by_role("button", name="Uitloggen").click()

    # 2. The board approves the application, in Dutch.
    sign_in(page, base, "bestuur@demo.govern.nl", DEMO_PASSWORD)
    page.get_by_role("link", name="Bestuur").first.click()
    check_page(page, "05-board-applications")
    page.get_by_role("link", name="Yasmina Haddou").click()
    check_page(page, "06-board-decide")
    page.get_by_role("button", name="Goedkeuren").click()
    expect(page.locator(".flashes")).to_contain_text("Yasmina Haddou")
    check_page(page, "07-board-approved")
    page.get_by_role("button", name="Uitloggen").click()

    # 3. The new member signs in and switches to English; the choice is kept.
    sign_in(page, base, "yasmina@example.org", "ik-woon-in-spangen")
    expect(page.locator(".account-menu")).to_contain_text("Yasmina Haddou")
    check_page(page, "08-member-home")
    page.get_by_label("Taal").select_option("en")
    page.get_by_role("button", name="Taal veranderen").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    check_page(page, "09-member-home-en")
    page.get_by_role("link", name="Settings").click()
    check_page(page, "10-settings-en")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in").first).to_be_visible()  # still English after signing out


def test_record_pages_are_accessible(live_server: str, page: Any) -> None:
    page.goto(live_server + "/audit")
    check_page(page, "11-record")
    page.locator("table a").first.click()
    expect(page.locator("h1")).to_contain_text("Regel")
    check_page(page, "12-record-entry")
    page.goto(live_server + "/members")
    check_page(page, "13-members")
    page.goto(live_server + "/bestaat-niet")
    expect(page.locator("h1")).to_contain_text("niet vinden")
    check_page(page, "14-not-found")


def test_keyboard_skip_link(live_server: str, page: Any) -> None:
    page.goto(live_server + "/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused == "#main"
