"""Voting in a real browser, in Dutch, on a phone-sized screen.

1. A budget vote from opening to results: the board moves a round to voting, a resident
   votes WITHOUT JavaScript (a ballot with a gap is refused with a Dutch message next to the
   plan; fixed, checked, cast: a tracker code), another resident orders plans with the
   "Omhoog"/"Omlaag" buttons by keyboard (with JavaScript), the board moves the round to
   results, the results page shows the funded plans and the "meeste stemmen eerst"
   comparison, and the resident checks their tracker code: the proof holds.
2. A two-seat STV election: set up by the board through /votes/new, opened, most ballots
   cast through the services, one in the browser, closed: round-by-round charts and tables
   and two elected candidates.
3. A ballot of 60 plans at 390 px: no horizontal scrolling and the submit button reachable.

The setup that is not under test (a small round with reviewed plans, other members' ballots)
goes through the services on the live server's own database, as in govern.demo.
Buttons and links are found by their Dutch accessible names where the wording is the point,
otherwise by stable attributes (href, id, name).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LIVE_APPS, SCREENSHOTS, check_page

DEMO_PASSWORD = "welkom-in-delfshaven"
BOARD = "bestuur@demo.govern.nl"
RESIDENT = "bewoner@demo.govern.nl"  # Noor Hendriks, level Bewoner: votes on budgets
RESIDENT_2 = "samira.benali@demo.govern.nl"
RESIDENT_3 = "ricardo.martina@demo.govern.nl"
VOTER = "jongerenpodium.delfshaven@demo.govern.nl"  # an initiative, level Lid: votes at assemblies


# --- helpers -------------------------------------------------------------------------------------


@contextmanager
def on_server(base: str) -> Iterator[Any]:
    """An app context on the live server's database, for setup through the services."""
    app = LIVE_APPS[base]
    with app.test_request_context("/", base_url=base):
        from govern.extensions import db

        try:
            yield db
        finally:
            db.session.remove()


def account(email: str) -> Any:
    import sqlalchemy as sa

    from govern.extensions import db
    from govern.membership.models import Account

    found = db.session.scalar(sa.select(Account).where(Account.email == email))
    assert found is not None, email
    return found


def initiative(index: int) -> Any:
    from govern.demo import INITIATIVES, _slugify

    return account(f"{_slugify(INITIATIVES[index][0])}@demo.govern.nl")


@pytest.fixture()
def open_page(browser: Any) -> Iterator[Any]:
    """open_page(js=True) → a new page in a context of its own (its own cookies: one person)."""
    contexts: list[Any] = []

    def make(*, js: bool = True, width: int = 390, storage_state: Any = None) -> Any:
        context = browser.new_context(
            viewport={"width": width, "height": 844}, locale="nl-NL", bypass_csp=True, java_script_enabled=js,
            storage_state=storage_state,
        )
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


class Axe:
    """check_page for every page; a page with violations fails the test at its end, so that
    one finding does not hide the rest of the flow (and the findings after it).

    A page in a context without JavaScript cannot run axe-core, so its HTML is served once
    more, as it is, to a page with JavaScript (voting.js blocked: the DOM stays the one
    without JavaScript) and checked there.
    """

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.mirror: Any = None

    def check(self, page: Any, name: str, *, js: bool = True) -> None:
        try:
            check_page(page if js else self._mirrored(page), name)
        except AssertionError as error:
            self.problems.append(str(error).split("\nassert ")[0])

    def _mirrored(self, page: Any) -> Any:
        html, url = page.content(), page.url
        if self.mirror is None:
            context = page.context.browser.new_context(viewport=page.viewport_size, locale="nl-NL", bypass_csp=True)
            self.mirror = context.new_page()
            self.mirror.route("**/voting.js", lambda route: route.abort())
        else:
            self.mirror.unroute("**/*")
            self.mirror.set_viewport_size(page.viewport_size)
        self.mirror.route(
            "**/*",
            lambda route: route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)
            if route.request.url == url and route.request.resource_type == "document"
            else route.fallback(),
        )
        self.mirror.goto(url)
        return self.mirror

    def done(self) -> None:
        if self.mirror is not None:
            self.mirror.context.close()
        assert not self.problems, "\n\n".join(self.problems)


@pytest.fixture()
def axe() -> Axe:
    return Axe()


def sign_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/sign-in")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    expect(page.locator(".account-menu")).to_be_visible()


def no_horizontal_scroll(page: Any) -> None:
    width, inner = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"{page.url}: the page is {width}px wide in a {inner}px window"


# --- setup through the services ---------------------------------------------------------------------


CATEGORIES = ["green", "play", "culture", "sport", "care", "food", "language", "safety", "meeting"]
HOODS = ["bospolder", "tussendijken", "spangen", "nieuwe-westen", "middelland", "oud-mathenesse", "witte-dorp", "schiemond"]


def make_round(title: str, plans: list[tuple[str, int]], *, budget_cents: int, ranks: int) -> int:
    """A round with these plans (title, cost in cents), all reviewed eligible, in the deliberation phase."""
    import sqlalchemy as sa

    from govern.budgeting import services as budgeting
    from govern.budgeting.demo import _reviewer
    from govern.budgeting.models import Phase
    from govern.extensions import db
    from govern.membership.models import Tier

    board = account(BOARD)
    moderator = account("moderator@demo.govern.nl")
    tiers = {t.slug: t for t in db.session.scalars(sa.select(Tier))}
    round_ = budgeting.create_round(
        by=board, title=title, description="Een proefronde voor de browsertest.", budget_cents=budget_cents,
        neighbourhoods=HOODS, submission_opens=None, review_opens=None, deliberation_opens=None, voting_opens=None,
        results_on=None, implementation_starts=None, ranks=ranks, counting_rule="mes",
        support_enabled=False, support_threshold=0,
        proposer_tier_ids=[tiers["lid"].id, tiers["deelnemer"].id],
        voter_tier_ids=[tiers["lid"].id, tiers["deelnemer"].id, tiers["bewoner"].id],
    )
    budgeting.advance_phase(round_, by=board, to=Phase.SUBMISSION)
    proposals = []
    for i, (plan, cents) in enumerate(plans):
        author = initiative(1 + i % 11)
        proposal = budgeting.create_proposal(
            round_, by=author,
            values=budgeting.ProposalInput(
                plan, f"{plan}: een plan van de buurt, voor de buurt.", f"Meer over **{plan}**.",
                HOODS[i % len(HOODS)], CATEGORIES[i % len(CATEGORIES)], [("Kosten", cents)],
            ),
        )
        budgeting.submit(proposal, by=author)
        proposals.append(proposal)
    budgeting.advance_phase(round_, by=board, to=Phase.REVIEW)
    for proposal in proposals:
        budgeting.review(proposal, by=_reviewer(proposal, board, moderator), eligible=True, reason="Haalbaar.")
    budgeting.advance_phase(round_, by=board, to=Phase.DELIBERATION)
    return round_.id


def round_vote(round_id: int) -> Any:
    from govern.budgeting.models import BudgetRound
    from govern.extensions import db
    from govern.voting import services as voting

    vote = voting.budget_vote(db.session.get(BudgetRound, round_id))
    assert vote is not None
    return vote


def cast_ranked(vote: Any, email_or_account: Any, labels: list[str]) -> None:
    """Cast a ballot for the account's own member: ``labels`` in order, minus plans it may not rank."""
    from govern.voting import services as voting

    who = account(email_or_account) if isinstance(email_or_account, str) else email_or_account
    keys = {o.label: o.key for o in vote.options}
    excluded = voting.excluded_options(vote, who.member_id)
    ranking = [keys[label] for label in labels if keys[label] not in excluded][: voting.max_ranks(vote)]
    voting.cast_ballot(vote, by=who, member_id=who.member_id, ranking=ranking)


# --- 1. a budget vote, from opening to results -------------------------------------------------------


PLANS = [
    ("Bankjes langs de Schie", 400_000),
    ("Buurtmoestuin Spangen", 300_000),
    ("Zomerschool voor kinderen", 500_000),
    ("Lichtjes in de Mathenesserlaan", 250_000),
    ("Dansles voor ouderen", 600_000),
]
BUDGET_ROUND = "Proefronde Delfshaven (browsertest)"


def test_budget_vote_from_opening_to_results(live_server: str, open_page: Any, axe: Axe) -> None:
    base = live_server
    with on_server(base):
        round_id = make_round(BUDGET_ROUND, PLANS, budget_cents=1_000_000, ranks=3)

    # The board moves the round from deliberation to voting.
    board = open_page()
    sign_in(board, base, BOARD)
    board.goto(f"{base}/rounds/{round_id}")
    board.get_by_role("button", name="Naar de volgende fase").click()
    expect(board.locator(".flashes")).to_be_visible()
    axe.check(board, "voting-01-round-voting")

    with on_server(base):
        vote = round_vote(round_id)
        vote_id = vote.id
        assert vote.status.value == "open"
        order = [p for p, _ in PLANS]
        for i in range(2, 12):  # ten initiatives vote, with different favourites
            cast_ranked(vote, initiative(i), order[i % 5:] + order[: i % 5])
        for email in ("kees.de.vries@demo.govern.nl", "fatima.el.idrissi@demo.govern.nl"):
            cast_ranked(vote, email, [order[1], order[3], order[0]])

    # A resident votes without JavaScript.
    resident = open_page(js=False)
    sign_in(resident, base, RESIDENT)
    resident.goto(f"{base}/votes")
    resident.get_by_role("link", name=BUDGET_ROUND).first.click()
    axe.check(resident, "voting-02-vote-page", js=False)
    resident.get_by_role("link", name="Naar het stembiljet").click()
    assert resident.url.endswith(f"/votes/{vote_id}/ballot")
    axe.check(resident, "voting-03-ballot-nojs", js=False)
    no_horizontal_scroll(resident)

    # A gap: number 1 and number 3, no 2.
    resident.get_by_label("Buurtmoestuin Spangen", exact=True).select_option("1")
    resident.get_by_label("Lichtjes in de Mathenesserlaan", exact=True).select_option("3")
    resident.get_by_role("button", name="Mijn stembiljet controleren").click()
    expect(resident.locator("#form-errors")).to_be_visible()
    gap = resident.locator("li.ballot-row.has-error .field-error")
    expect(gap).to_have_count(1)
    expect(gap).to_contain_text("nummer 2 overgeslagen")
    row = resident.locator("li.ballot-row.has-error")
    expect(row.locator(".ballot-label")).to_have_text("Lichtjes in de Mathenesserlaan")
    select = row.locator("select")
    assert select.get_attribute("aria-invalid") == "true"
    assert f"{select.get_attribute('id')}-error" in (select.get_attribute("aria-describedby") or "")
    # What was chosen stays chosen.
    assert resident.get_by_label("Buurtmoestuin Spangen", exact=True).input_value() == "1"
    axe.check(resident, "voting-04-ballot-gap", js=False)

    resident.get_by_label("Lichtjes in de Mathenesserlaan", exact=True).select_option("2")
    resident.get_by_label("Bankjes langs de Schie", exact=True).select_option("3")
    resident.get_by_role("button", name="Mijn stembiljet controleren").click()
    expect(resident.locator("h1")).to_have_text("Controleer je stembiljet")
    expect(resident.locator("ol.review-list li strong")).to_have_text(
        ["Buurtmoestuin Spangen", "Lichtjes in de Mathenesserlaan", "Bankjes langs de Schie"]
    )
    axe.check(resident, "voting-05-review", js=False)
    resident.get_by_role("button", name="Mijn stem uitbrengen").click()
    tracker = resident.locator("p.tracker code").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-9]{4}(-[A-Z2-9]{4}){3}", tracker), tracker
    axe.check(resident, "voting-06-done-tracker", js=False)
    # Shown once: the page does not show it again.
    resident.reload()
    expect(resident.locator("p.tracker")).to_have_count(0)

    # Another resident, with JavaScript, puts plans in order by keyboard only.
    other = open_page()
    sign_in(other, base, RESIDENT_2)
    other.goto(f"{base}/votes/{vote_id}/ballot")
    expect(other.locator("form.ballot.js-ranked")).to_be_visible()
    for plan in ("Bankjes langs de Schie", "Zomerschool voor kinderen", "Dansles voor ouderen"):
        other.get_by_role("button", name=re.compile(rf"^Op mijn lijst zetten\s*:\s*{plan}$")).focus()
        other.keyboard.press("Enter")
    names = other.locator("ol.ranker-list .ranker-name")
    expect(names).to_have_text(["Bankjes langs de Schie", "Zomerschool voor kinderen", "Dansles voor ouderen"])
    up = other.get_by_role("button", name=re.compile(r"^Omhoog\s*:\s*Dansles voor ouderen$"))
    up.focus()
    other.keyboard.press("Enter")
    expect(names).to_have_text(["Bankjes langs de Schie", "Dansles voor ouderen", "Zomerschool voor kinderen"])
    # The focus stays on the moved plan's button, so pressing again moves it further.
    assert other.evaluate("document.activeElement.textContent") == "Omhoog: Dansles voor ouderen"  # the same button again
    other.keyboard.press("Space")
    expect(names).to_have_text(["Dansles voor ouderen", "Bankjes langs de Schie", "Zomerschool voor kinderen"])
    expect(other.locator(".ranker [role=status]")).to_have_text("Dansles voor ouderen staat nu op plaats 1.")
    other.get_by_role("button", name=re.compile(r"^Omlaag\s*:\s*Bankjes langs de Schie$")).focus()
    other.keyboard.press("Enter")
    expect(names).to_have_text(["Dansles voor ouderen", "Zomerschool voor kinderen", "Bankjes langs de Schie"])
    # The hidden selects, which are what the form sends, follow.
    assert other.get_by_label("Dansles voor ouderen", exact=True).input_value() == "1"
    assert other.get_by_label("Bankjes langs de Schie", exact=True).input_value() == "3"
    no_horizontal_scroll(other)
    axe.check(other, "voting-07-ballot-js-ordered")
    other.get_by_role("button", name="Mijn stembiljet controleren").focus()
    other.keyboard.press("Enter")
    expect(other.locator("ol.review-list li strong")).to_have_text(
        ["Dansles voor ouderen", "Zomerschool voor kinderen", "Bankjes langs de Schie"]
    )
    other.get_by_role("button", name="Mijn stem uitbrengen").click()
    expect(other.locator("p.tracker code")).to_be_visible()

    # The board closes the vote by moving the round to results.
    board.goto(f"{base}/rounds/{round_id}")
    board.get_by_role("button", name="Naar de volgende fase").click()
    expect(board.locator(".flashes")).to_be_visible()
    board.goto(f"{base}/votes/{vote_id}/results")
    expect(board.locator("h1")).to_contain_text(BUDGET_ROUND)
    funded = board.locator("#funded-heading ~ .table-scroll table tbody tr th")
    assert funded.count() >= 1
    with on_server(base):
        vote = round_vote(round_id)
        winners = {o.label for o in vote.options if o.key in (vote.winners or [])}
    assert winners and set(funded.all_inner_texts()) == winners
    expect(board.locator("#compare-heading")).to_have_text("Vergeleken met “meeste stemmen eerst”")
    expect(board.locator("#turnout-heading ~ dl")).to_contain_text("14 van de")
    no_horizontal_scroll(board)
    axe.check(board, "voting-08-budget-results")

    # The resident checks the tracker code on the receipt page (still without JavaScript).
    resident.goto(f"{base}/votes/{vote_id}/results")
    resident.locator(f'a[href="/votes/{vote_id}/receipt"]').first.click()
    resident.get_by_label("Je bonnetjescode").fill(tracker.lower().replace("-", " "))
    resident.get_by_role("button", name="Controleren").click()
    verified = resident.locator("#ballot-heading ~ .notice.success")
    expect(verified).to_contain_text("Gecontroleerd: je stembiljet zit in de stembus.")
    expect(resident.locator("dl.facts code").first).to_have_text(tracker)
    expect(resident.locator("ol.ranking li")).to_have_text(
        ["Buurtmoestuin Spangen", "Lichtjes in de Mathenesserlaan", "Bankjes langs de Schie"]
    )
    axe.check(resident, "voting-09-receipt-verified", js=False)
    # A code that is not in the box: a clear Dutch message.
    resident.get_by_label("Je bonnetjescode").fill("ABCD-EFGH-JKMN-PQRS")
    resident.get_by_role("button", name="Controleren").click()
    expect(resident.locator("#tracker-error")).to_be_visible()
    axe.check(resident, "voting-10-receipt-unknown", js=False)
    axe.done()


# --- 2. a two-seat STV election --------------------------------------------------------------------


CANDIDATES = ["Fatima El Idrissi", "Kees de Vries", "Ricardo Martina", "Samira Benali"]


def test_two_seat_stv_election(live_server: str, open_page: Any, axe: Axe) -> None:
    base = live_server
    board = open_page()
    sign_in(board, base, BOARD)
    board.goto(f"{base}/votes")
    board.get_by_role("link", name="Nieuwe verkiezing").click()
    expect(board.locator("#kind-1")).to_be_checked()  # "an election", from the link
    axe.check(board, "voting-11-new-election")
    board.get_by_label("Titel", exact=True).fill("Verkiezing kascommissie 2027")
    board.get_by_label("Kandidaten", exact=True).fill(
        "\n".join(f"{name} — Wil graag in de kascommissie." for name in CANDIDATES)
    )
    board.get_by_label("Hoeveel zetels?").fill("2")
    board.get_by_role("button", name="Opslaan als concept").click()
    expect(board.locator("h1")).to_have_text("Verkiezing kascommissie 2027")
    axe.check(board, "voting-12-election-draft")
    vote_id = int(re.search(r"/votes/(\d+)", board.url).group(1))  # type: ignore[union-attr]
    board.locator(f'a[href="/votes/{vote_id}/open"]').click()
    axe.check(board, "voting-13-open-confirm")
    board.get_by_role("button", name="Ja, open de stemming nu").click()
    expect(board.locator(".flashes")).to_be_visible()

    # Eight members vote through the services: candidate 1 reaches the quota at once.
    with on_server(base):
        from govern.extensions import db
        from govern.voting import services as voting
        from govern.voting.models import VoteItem

        vote = db.session.get(VoteItem, vote_id)
        assert vote.status.value == "open" and vote.seats == 2 and vote.rule == "stv-scottish"
        keys = [o.key for o in vote.options]
        ballots = [[0, 1]] * 3 + [[0, 2], [1, 0], [2, 3], [2, 3], [3, 2]]
        for index, ranking in zip(range(1, 9), ballots, strict=True):
            who = initiative(index)
            voting.cast_ballot(vote, by=who, member_id=who.member_id, ranking=[keys[i] for i in ranking])

    # One member votes in the browser: Kees de Vries first, then Ricardo Martina.
    member = open_page()
    sign_in(member, base, VOTER)
    member.goto(f"{base}/votes/{vote_id}")
    member.get_by_role("link", name="Naar het stembiljet").click()
    member.get_by_role("button", name=re.compile(r"^Op mijn lijst zetten\s*:\s*Kees de Vries$")).click()
    member.get_by_role("button", name=re.compile(r"^Op mijn lijst zetten\s*:\s*Ricardo Martina$")).click()
    expect(member.locator("ol.ranker-list .ranker-name")).to_have_text(["Kees de Vries", "Ricardo Martina"])
    axe.check(member, "voting-14-election-ballot")
    member.get_by_role("button", name="Mijn stembiljet controleren").click()
    member.get_by_role("button", name="Mijn stem uitbrengen").click()
    expect(member.locator("p.tracker code")).to_be_visible()

    board.goto(f"{base}/votes/{vote_id}")
    board.locator(f'a[href="/votes/{vote_id}/close"]').click()
    board.get_by_role("button", name="Ja, sluit de stemming nu").click()
    expect(board.locator(".flashes")).to_be_visible()
    board.locator(f'a[href="/votes/{vote_id}/results"]').first.click()

    with on_server(base):
        from govern.extensions import db
        from govern.voting.models import VoteItem

        vote = db.session.get(VoteItem, vote_id)
        elected = [o.label for o in vote.options if o.key in (vote.winners or [])]
    assert len(elected) == 2
    verdict = board.locator(".outcome .verdict")
    expect(verdict).to_contain_text("Gekozen:")
    for name in elected:
        expect(verdict).to_contain_text(name)
    expect(board.locator("#rounds-heading")).to_have_text("Telronde na telronde")
    rounds = board.locator("section.round")
    assert rounds.count() >= 2
    for i in range(rounds.count()):
        section = rounds.nth(i)
        expect(section.locator("h3")).to_have_text(f"Telronde {i + 1}")
        expect(section.locator("svg.chart-svg[role=img]")).to_have_count(1)
        expect(section.locator("table.results-table tbody tr")).to_have_count(len(CANDIDATES))
    no_horizontal_scroll(board)
    axe.check(board, "voting-15-stv-results")
    axe.done()


# --- 3. sixty plans on a phone ----------------------------------------------------------------------


def test_sixty_option_ballot_fits_a_phone(live_server: str, open_page: Any, axe: Axe) -> None:
    base = live_server
    plans = [(f"Plan {i:02d}: {CATEGORIES[i % 9]} in {HOODS[i % 8]}, met een wat langere naam", 100_000 + i * 1_000)
             for i in range(1, 61)]
    with on_server(base):
        from govern.budgeting import services as budgeting
        from govern.budgeting.models import BudgetRound, Phase
        from govern.extensions import db

        round_id = make_round("Zestig plannen (browsertest)", plans, budget_cents=2_000_000, ranks=5)
        budgeting.advance_phase(db.session.get(BudgetRound, round_id), by=account(BOARD), to=Phase.VOTING)
        vote_id = round_vote(round_id).id

    page = open_page()
    sign_in(page, base, RESIDENT_3)
    state = page.context.storage_state()
    for js in (True, False):
        if not js:  # the same voter, signed in, without JavaScript
            page = open_page(js=False, storage_state=state)
        page.goto(f"{base}/votes/{vote_id}/ballot")
        expect(page.locator("li.ballot-row")).to_have_count(60)
        assert page.evaluate("window.innerWidth") == 390
        no_horizontal_scroll(page)
        submit = page.get_by_role("button", name="Mijn stembiljet controleren")
        submit.scroll_into_view_if_needed()
        box = submit.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
        # Nothing lies on top of it.
        on_top = page.evaluate(
            "([x, y]) => document.elementFromPoint(x, y).closest('button')?.textContent.trim()",
            [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
        )
        assert on_top == "Mijn stembiljet controleren"
        if js:
            axe.check(page, "voting-16-sixty-plans-js")
            # Reachable by keyboard: from the last plan's button, Tab lands on it.
            page.locator("li.ballot-row").last.locator("button.ranker-toggle").focus()
            for _ in range(5):
                page.keyboard.press("Tab")
                if page.evaluate("document.activeElement.textContent.trim()") == "Mijn stembiljet controleren":
                    break
            else:
                pytest.fail("Tab does not reach the submit button after the last plan")
            page.keyboard.press("Enter")
        else:
            # The template without JavaScript is checked by axe in the budget test; here the layout.
            page.screenshot(path=str(SCREENSHOTS / "voting-17-sixty-plans-nojs.png"))
            submit.click()
        # Nothing chosen: refused, with the Dutch message, still no sideways scrolling.
        expect(page.locator("#form-errors")).to_contain_text("Je hebt nog niets gekozen")
        no_horizontal_scroll(page)
    axe.done()
