"""Two members discuss in Dutch (a comment and a reply, with stances), one reports, a moderator hides a comment.

Labels of the deliberation pages are found by id and link target, not by their words,
so the test holds before and after the Dutch translation of the new strings.
"""

from __future__ import annotations

import re
from typing import Any

from tests.browser.conftest import check_page

DEMO_PASSWORD = "welkom-in-delfshaven"
RESIDENT = "bewoner@demo.govern.nl"
INITIATIVE = "huis.van.de.wijk.bospolder@demo.govern.nl"
MODERATOR = "moderator@demo.govern.nl"


def sign_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/sign-in")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    assert page.locator(".account-menu").is_visible()


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="Uitloggen").click()


def discussion_url(page: Any, base: str) -> str:
    """A proposal page that shows a thread, when the demo has one; otherwise a thread page of its own."""
    for proposal_id in range(1, 6):
        response = page.request.get(f"{base}/proposals/{proposal_id}")
        if response.ok and 'id="thread-heading"' in response.text():
            return f"{base}/proposals/{proposal_id}"
    return f"{base}/threads/motion:1"


def _anchor(page: Any) -> str:
    """The comment the page was sent to after posting: "#comment-<id>"."""
    match = re.search(r"#comment-(\d+)$", page.url)
    assert match, page.url
    return f"#comment-{match.group(1)}"


def test_two_members_discuss_one_reports_a_moderator_hides(live_server: str, page: Any) -> None:
    base = live_server
    url = discussion_url(page, base)

    # 1. A resident writes a comment: in favour, with a little Markdown.
    sign_in(page, base, RESIDENT)
    page.goto(url)
    assert page.locator("html").get_attribute("lang") == "nl"
    check_page(page, "deliberation-01-thread")
    before = page.locator("li.comment").count()
    page.locator("#comment-stance-0").check()  # for
    page.locator("#comment-body").fill("Goed plan! Het **speelveld** aan de Spanjaardstraat kan een opknapbeurt gebruiken.")
    page.locator("form.comment-form button[type=submit]").click()
    comment = _anchor(page)
    assert page.locator(f"{comment} > article .comment-body strong").inner_text() == "speelveld"
    assert page.locator(f"{comment} > article .stance-for").is_visible()
    assert page.locator("li.comment").count() == before + 1
    check_page(page, "deliberation-02-comment-posted")

    # An empty comment: a clear message next to the field, nothing stored.
    page.locator("form.comment-form button[type=submit]").click()
    assert page.locator("#form-errors").is_visible()
    assert page.locator("#comment-body-error").is_visible()
    assert page.locator("li.comment").count() == before + 1
    check_page(page, "deliberation-03-comment-error")
    sign_out(page)

    # 2. A delegate of an initiative replies with a question.
    sign_in(page, base, INITIATIVE)
    page.goto(url)
    page.locator(f"{comment} > article a[href$='/reply']").click()
    check_page(page, "deliberation-04-reply-form")
    page.locator("#reply-stance-2").check()  # question
    page.locator("#reply-body").fill("Wie gaat het onderhoud doen als het speelveld klaar is?")
    page.locator("main form button[type=submit]").first.click()
    reply = _anchor(page)
    assert page.locator(f"{comment} > ol.replies > {reply}").count() == 1
    assert "onderhoud" in page.locator(f"{reply} > article").inner_text()
    assert page.locator(f"{reply} > article .stance-question").is_visible()
    check_page(page, "deliberation-05-reply-posted")
    sign_out(page)

    # 3. The resident sees the count in "Meldingen (n)", follows the newest one, edits their own
    #    comment (the history keeps both versions) and reports the reply.
    sign_in(page, base, RESIDENT)
    notifications = page.locator(".account-menu a[href='/notifications']")
    assert re.search(r"\(\d+\)", notifications.inner_text())
    notifications.click()
    check_page(page, "deliberation-06-notifications")
    page.locator("ul.notifications li.unread a").first.click()
    assert page.url.endswith(reply)
    page.locator(f"{comment} > article a[href$='/edit']").click()
    page.locator("#edit-body").fill("Goed plan! Het **speelveld** aan de Spanjaardstraat is echt aan vernieuwing toe.")
    check_page(page, "deliberation-07-edit")
    page.locator("main form button[type=submit]").first.click()
    page.locator(f"{comment} > article a[href$='/history']").click()
    assert page.locator("li.revision").count() == 2
    check_page(page, "deliberation-08-history")
    page.goto(url)
    page.locator(f"{reply} > article a[href$='/report']").click()
    page.locator("main form button[type=submit]").first.click()  # no reason: refused
    assert page.locator("#reason-error").is_visible()
    check_page(page, "deliberation-09-report-error")
    page.locator("#reason").fill("Dit is geen vraag maar een verwijt aan de buurvrouw.")
    page.locator("main form button[type=submit]").first.click()
    check_page(page, "deliberation-10-reported")
    sign_out(page)

    # 4. The moderator sees the queue and hides the reply with a public reason.
    sign_in(page, base, MODERATOR)
    moderation = page.locator(".account-menu a[href='/moderation']")
    assert re.search(r"\(\d+\)", moderation.inner_text())
    moderation.click()
    item = page.locator("ol.queue > li", has_text="verwijt aan de buurvrouw")
    assert item.count() == 1
    check_page(page, "deliberation-11-moderation-queue")
    item.locator("a[href*='/hide']").click()
    check_page(page, "deliberation-12-hide-form")
    page.locator("#reason").fill("Persoonlijk verwijt; houd het bij het plan.")
    page.locator("main form button[type=submit]").first.click()
    assert "/moderation" in page.url
    assert page.locator("ol.queue > li", has_text="verwijt aan de buurvrouw").count() == 0
    page.goto(url)
    hidden = page.locator(f"{reply}.is-hidden > article")
    assert "houd het bij het plan" in hidden.inner_text()
    assert "onderhoud" not in hidden.inner_text()
    check_page(page, "deliberation-13-thread-hidden")
    sign_out(page)

    # Everyone may read, also without signing in; the placeholder and its reason stay.
    page.goto(url)
    assert "houd het bij het plan" in page.locator(f"{reply} > article").inner_text()
    check_page(page, "deliberation-14-thread-anonymous")
