"""General meetings in a real browser, in Dutch, on a phone-sized screen.

3. Check-in and a proxy: the board plans a meeting with an agenda item and a motion (all
   through the pages), a member gives a proxy to another member before the meeting, the board
   opens it, the holder checks in, a teller checks in someone else, the live quorum turns from
   "niet gehaald" to "gehaald"; the holder casts two ballots on the motion: their own and the
   grantor's.
4. A motion without quorum: with one member present the motion closes as not valid.
5. Paper ballots by double entry: two tellers each type in the slips; one slip differs, the
   overview shows it, the teller corrects their entry, the slips are accepted and counted.

Setup that is not under test goes through the services on the live server's database.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.test_voting import (  # noqa: F401 - fixtures used by name
    BOARD,
    DEMO_PASSWORD,
    Axe,
    account,
    axe,
    initiative,
    on_server,
    no_horizontal_scroll,
    open_page,
    sign_in,
)

TELLER = "teller@demo.govern.nl"  # Winston Doelwijt, a delegate of Schiemond Sport & Spel
GRANTOR = "voedseltuin.spangen@demo.govern.nl"  # initiative 1
HOLDER = "speeltuinvereniging.het.witte.dorp@demo.govern.nl"  # initiative 4
GRANTOR_NAME = "Voedseltuin Spangen"
HOLDER_NAME = "Speeltuinvereniging Het Witte Dorp"
CHECKED_IN_BY_TELLER = "Moeders van Middelland"  # initiative 5
TOTAL_WEIGHT = 12  # the twelve demo initiatives are "Lid": one vote each at general meetings


def planned_meeting(title: str, motion: str, *, present: list[int], open_vote: bool = True) -> tuple[int, int, int]:
    """A meeting with one agenda item holding a secret motion, opened, ``present`` initiatives checked in.

    Returns (assembly id, agenda item id, vote id).
    """
    from govern.assemblies import services as assemblies
    from govern.voting import services as voting

    board = account(BOARD)
    assembly = assemblies.create_assembly(
        by=board, title=title, starts_at=assemblies.amsterdam(dt.date.today() + dt.timedelta(days=30), dt.time(19, 30)),
        place="Huis van de Wijk Bospolder, Schiedamseweg 95", online_url="", description="", quorum="1/2", max_proxies=1,
    )
    item = assemblies.add_item(assembly, by=board, title=motion)
    vote = assemblies.add_vote(item, by=board, kind="motion", title=motion, secret=True)
    assemblies.open_assembly(assembly, by=board)
    for index in present:
        assemblies.check_in(assembly, by=board, member_id=initiative(index).member_id)
    if open_vote:
        voting.open_vote(vote, by=board)
    return assembly.id, item.id, vote.id


def quorum_sentence(page: Any) -> Any:
    return page.locator("#quorum p strong").first


# --- 3. check-in and a proxy -----------------------------------------------------------------------


def test_check_in_proxy_and_two_ballots(live_server: str, open_page: Any, axe: Axe) -> None:
    base = live_server
    board = open_page()
    sign_in(board, base, BOARD)

    # The board plans the meeting, an agenda item and a motion under it.
    board.goto(f"{base}/assemblies")
    board.get_by_role("link", name="Algemene ledenvergadering plannen").click()
    axe.check(board, "assembly-01-new")
    board.get_by_label("Titel", exact=True).fill("Extra ledenvergadering zomer")
    board.get_by_label("Datum").fill((dt.date.today() + dt.timedelta(days=60)).isoformat())
    board.get_by_label("Begint om (Nederlandse tijd)").fill("19:30")
    board.get_by_label("Plaats").fill("Huis van de Wijk Bospolder, Schiedamseweg 95")
    board.get_by_role("button", name="Opslaan").click()
    expect(board.locator("h1")).to_have_text("Extra ledenvergadering zomer")
    assembly_url = board.url
    assembly_id = int(re.search(r"/assemblies/(\d+)", assembly_url).group(1))  # type: ignore[union-attr]
    board.get_by_role("link", name="Agendapunt toevoegen").click()
    board.get_by_label("Titel", exact=True).fill("Voorstel: een buurtfeest in september")
    board.get_by_label("Uitleg (niet verplicht)").fill("Het bestuur stelt voor om **€ 2.000** uit te geven aan een buurtfeest.")
    axe.check(board, "assembly-02-new-item")
    board.get_by_role("button", name="Opslaan").click()
    board.get_by_role("link", name="Voorstel: een buurtfeest in september", exact=True).click()
    board.get_by_role("link", name="Stemming toevoegen aan dit agendapunt").click()
    expect(board.get_by_label("Titel van de stemming")).to_have_value("Voorstel: een buurtfeest in september")
    axe.check(board, "assembly-03-new-vote")
    board.get_by_role("button", name="Stemming opslaan").click()
    expect(board.locator(".flashes")).to_be_visible()
    item_url = board.url.split("?")[0]
    axe.check(board, "assembly-04-item-with-vote")

    # Before the meeting: a member who cannot come gives a proxy.
    grantor = open_page()
    sign_in(grantor, base, GRANTOR)
    grantor.goto(assembly_url)
    grantor.get_by_role("link", name="Kun je niet komen? Laat een ander lid voor je stemmen (volmacht)").click()
    axe.check(grantor, "assembly-05-proxy-form")
    grantor.get_by_label("Wie stemt voor jou?").select_option(label=HOLDER_NAME)
    grantor.get_by_role("button", name="Mijn volmacht geven").click()
    expect(grantor.locator(".flashes")).to_contain_text("Je volmacht is gegeven")
    expect(grantor.locator("#proxy")).to_contain_text(f"{HOLDER_NAME} stemt voor jou bij deze vergadering (volmacht).")
    axe.check(grantor, "assembly-06-proxy-given")

    # The chair opens the meeting.
    board.goto(assembly_url)
    axe.check(board, "assembly-07-planned")
    board.get_by_role("button", name="Vergadering openen").click()
    expect(board.locator(".flashes")).to_contain_text("De vergadering is open")
    expect(quorum_sentence(board)).to_have_text(
        f"Quorum niet gehaald: 0 van de {TOTAL_WEIGHT} stemmen aanwezig of vertegenwoordigd; nodig: 6."
    )

    # The holder checks in: present, and the grantor represented.
    holder = open_page()
    sign_in(holder, base, HOLDER)
    holder.goto(assembly_url)
    holder.get_by_role("button", name="Aanmelden: ik ben er").click()
    expect(holder.locator(".flashes")).to_contain_text("Welkom")
    expect(quorum_sentence(holder)).to_contain_text(f"Quorum niet gehaald: 2 van de {TOTAL_WEIGHT}")
    expect(holder.locator("#quorum")).to_contain_text("1 lid vertegenwoordigd")
    axe.check(holder, "assembly-08-checked-in")

    with on_server(base):  # three more members walk in
        from govern.assemblies import services as assemblies
        from govern.assemblies.models import Assembly
        from govern.extensions import db

        meeting = db.session.get(Assembly, assembly_id)
        for index in (2, 6, 9):
            assemblies.check_in(meeting, by=account(BOARD), member_id=initiative(index).member_id)

    # A teller checks in someone in the room: now the quorum is reached.
    teller = open_page()
    sign_in(teller, base, TELLER)
    teller.goto(assembly_url)
    teller.get_by_role("link", name="Presentielijst en aanmelden").click()
    expect(teller.locator("main > p strong").first).to_contain_text(f"Quorum niet gehaald: 5 van de {TOTAL_WEIGHT}")
    teller.get_by_label("Naam van het lid").fill("Moeders")
    teller.get_by_role("button", name="Zoeken").click()
    # "Aanmelden" with the member's name for screen readers (visually hidden).
    teller.get_by_role("button", name=re.compile(rf"^Aanmelden\W+{CHECKED_IN_BY_TELLER}$")).click()
    expect(teller.locator(".flashes")).to_contain_text(f"{CHECKED_IN_BY_TELLER} is aangemeld")
    expect(teller.locator("main > p strong").first).to_contain_text(f"Quorum gehaald: 6 van de {TOTAL_WEIGHT}")
    expect(teller.get_by_role("cell", name=CHECKED_IN_BY_TELLER, exact=True)).to_be_visible()
    no_horizontal_scroll(teller)
    axe.check(teller, "assembly-09-attendance")
    # A mistake, undone: the teller checks the member out (the quorum drops) and in again.
    teller.get_by_role("button", name=re.compile(rf"^Afmelden\W+{CHECKED_IN_BY_TELLER}$")).click()
    expect(teller.locator("main > p strong").first).to_contain_text(f"Quorum niet gehaald: 5 van de {TOTAL_WEIGHT}")
    expect(teller.get_by_role("cell", name=CHECKED_IN_BY_TELLER, exact=True)).to_have_count(0)
    teller.get_by_label("Naam van het lid").fill("Moeders")
    teller.get_by_role("button", name="Zoeken").click()
    teller.get_by_role("button", name=re.compile(rf"^Aanmelden\W+{CHECKED_IN_BY_TELLER}$")).click()
    expect(teller.locator("main > p strong").first).to_contain_text(f"Quorum gehaald: 6 van de {TOTAL_WEIGHT}")
    holder.reload()
    expect(quorum_sentence(holder)).to_have_text(
        f"Quorum gehaald: 6 van de {TOTAL_WEIGHT} stemmen aanwezig of vertegenwoordigd; nodig: 6."
    )

    # The chair opens the motion.
    board.goto(item_url)
    board.locator('a[href$="/open"]').click()
    board.get_by_role("button", name="Ja, open de stemming nu").click()
    expect(board.locator(".flashes")).to_be_visible()
    vote_id = int(re.search(r"/votes/(\d+)", board.url).group(1))  # type: ignore[union-attr]

    # The holder votes twice: for themselves and for the grantor.
    holder.goto(f"{base}/votes/{vote_id}")
    holder.get_by_role("link", name="Naar het stembiljet").click()
    expect(holder.locator("form.voter-choice input[type=radio]")).to_have_count(2)
    holder.get_by_role("button", name="Mijn stembiljet controleren").click()  # nothing chosen
    expect(holder.locator("#choice-error")).to_contain_text("Kies voor, tegen of onthouding.")
    axe.check(holder, "assembly-10-ballot-error")
    holder.get_by_label("Voor", exact=True).check()
    holder.get_by_role("button", name="Mijn stembiljet controleren").click()
    expect(holder.locator(".review-choice")).to_have_text("Voor")
    holder.get_by_role("button", name="Mijn stem uitbrengen").click()
    expect(holder.locator("p.tracker code")).to_have_count(1)
    holder.get_by_role("link", name=f"{GRANTOR_NAME} (volmacht)").click()
    expect(holder.locator("main")).to_contain_text(f"Dit stembiljet is voor {GRANTOR_NAME} (volmacht).")
    axe.check(holder, "assembly-11-proxy-ballot")
    holder.get_by_label("Tegen", exact=True).check()
    holder.get_by_role("button", name="Mijn stembiljet controleren").click()
    expect(holder.locator("main")).to_contain_text(f"Dit stembiljet is voor {GRANTOR_NAME} (volmacht).")
    holder.get_by_role("button", name="Mijn stem uitbrengen").click()
    expect(holder.get_by_role("heading", name=f"Bonnetjescode voor {GRANTOR_NAME} (volmacht)")).to_be_visible()
    axe.check(holder, "assembly-12-proxy-ballot-done")
    holder.goto(f"{base}/votes/{vote_id}/ballot")
    expect(holder.locator("h1")).to_have_text("Al gestemd")

    with on_server(base):
        import sqlalchemy as sa

        from govern.extensions import db
        from govern.voting import services as voting
        from govern.voting.models import Participation, VoteItem

        vote = db.session.get(VoteItem, vote_id)
        channels = dict(db.session.execute(
            sa.select(Participation.member_id, Participation.channel).where(Participation.vote_id == vote_id)
        ).all())
        assert {initiative(4).member_id: "online", initiative(1).member_id: "proxy"} == {k: v.value for k, v in channels.items()}
        for index in (2, 6):
            who = initiative(index)
            voting.cast_ballot(vote, by=who, member_id=who.member_id, ranking=["yes"])

    board.goto(f"{base}/votes/{vote_id}/close")
    board.get_by_role("button", name="Ja, sluit de stemming nu").click()
    board.goto(f"{base}/votes/{vote_id}/results")
    expect(board.locator(".outcome .verdict")).to_have_text("Aangenomen")
    expect(board.locator(".outcome")).to_contain_text("Quorum gehaald")
    expect(board.locator("#count-heading ~ p")).to_contain_text("Uitgebrachte stemmen: 4.")
    axe.check(board, "assembly-13-motion-carried")
    axe.done()


# --- 4. a motion without quorum ---------------------------------------------------------------------


def test_motion_without_quorum_is_not_valid(live_server: str, open_page: Any, axe: Axe) -> None:
    base = live_server
    with on_server(base):
        assembly_id, item_id, vote_id = planned_meeting(
            "Ledenvergadering in de vakantie", "Voorstel: nieuwe kleuren voor het logo", present=[], open_vote=False
        )
    board = open_page()
    sign_in(board, base, BOARD)
    board.goto(f"{base}/assemblies/{assembly_id}")
    board.get_by_role("button", name="Aanmelden: ik ben er").click()  # the board's own member, alone
    expect(quorum_sentence(board)).to_contain_text(f"Quorum niet gehaald: 1 van de {TOTAL_WEIGHT}")
    board.goto(f"{base}/agenda/{item_id}")
    board.locator(f'a[href="/votes/{vote_id}/open"]').click()
    board.get_by_role("button", name="Ja, open de stemming nu").click()
    board.get_by_role("link", name="Naar het stembiljet").click()
    board.get_by_label("Voor", exact=True).check()
    board.get_by_role("button", name="Mijn stembiljet controleren").click()
    board.get_by_role("button", name="Mijn stem uitbrengen").click()
    board.goto(f"{base}/votes/{vote_id}")
    board.locator(f'a[href="/votes/{vote_id}/close"]').click()
    board.get_by_role("button", name="Ja, sluit de stemming nu").click()
    board.locator(f'a[href="/votes/{vote_id}/results"]').first.click()
    expect(board.locator(".outcome .verdict")).to_have_text("Niet geldig: quorum niet gehaald")
    expect(board.locator(".outcome")).to_contain_text(
        f"Quorum niet gehaald: 1 van de {TOTAL_WEIGHT} stemmen waren aanwezig of vertegenwoordigd"
    )
    no_horizontal_scroll(board)
    axe.check(board, "assembly-14-motion-not-valid")
    axe.done()


# --- 5. paper ballots, double entry ------------------------------------------------------------------


def enter_slip(page: Any, number: int, choice: str) -> None:
    expect(page.locator("h1")).to_have_text("Stembriefje invoeren")
    page.get_by_label("Nummer op het stembriefje").fill(str(number))
    page.get_by_label(choice, exact=True).check()
    page.get_by_role("button", name="Dit stembriefje opslaan").click()
    expect(page.locator(".flashes")).to_contain_text(f"{number}")


def test_paper_ballots_double_entry(live_server: str, open_page: Any, axe: Axe) -> None:
    base = live_server
    with on_server(base):
        from govern.membership import services as membership
        from govern.membership.models import Role

        assembly_id, item_id, vote_id = planned_meeting(
            "Ledenvergadering in de zaal", "Voorstel: de jaarrekening vaststellen", present=[2, 3, 6, 9, 10, 11]
        )
        second = membership.add_delegate(
            initiative(10).member, by=account(BOARD), email="teller2@demo.govern.nl",
            display_name="Ilse de Wit (teller)", password=DEMO_PASSWORD,
        )
        membership.grant_role(second, Role.TELLER, by=account(BOARD))
        voters = [initiative(i).member.name for i in (2, 6, 11)]

    # The first teller marks who votes on paper and enters the slips: voor, tegen, voor.
    first = open_page()
    sign_in(first, base, TELLER)
    first.goto(f"{base}/agenda/{item_id}")
    first.locator(f'a[href="/votes/{vote_id}/paper"]').click()
    axe.check(first, "assembly-15-paper")
    for name in voters:
        first.get_by_label("Lid (aanwezig, of vertegenwoordigd door iemand die aanwezig is)").select_option(label=name)
        first.get_by_role("button", name="Aanvinken: stemt op papier").click()
        expect(first.locator(".flashes")).to_contain_text(name)
    first.get_by_role("link", name="Stembriefje invoeren").click()
    axe.check(first, "assembly-16-slip-form")
    for number, choice in ((1, "Voor"), (2, "Tegen"), (3, "Voor")):
        enter_slip(first, number, choice)

    # The second teller enters the same slips, and reads slip 3 wrongly.
    second_page = open_page()
    sign_in(second_page, base, "teller2@demo.govern.nl")
    second_page.goto(f"{base}/votes/{vote_id}/paper/slips")
    for number, choice in ((1, "Voor"), (2, "Tegen"), (3, "Onthouding")):
        enter_slip(second_page, number, choice)
    second_page.get_by_role("link", name="Terug naar het overzicht").click()
    row = second_page.locator("table.slips tbody tr", has=second_page.locator("th", has_text=re.compile(r"^3$")))
    expect(row).to_have_class(re.compile("slip-state-mismatch"))
    expect(row).to_contain_text("de invoer verschilt")
    expect(row).to_contain_text("Winston Doelwijt (teller): Voor")
    expect(row).to_contain_text("Ilse de Wit (teller): Onthouding")
    expect(second_page.locator("#counts-heading ~ .notice.error")).to_contain_text("De invoer van deze stembriefjes is niet hetzelfde: 3.")
    expect(second_page.get_by_role("button", name="Stembriefjes aannemen")).to_have_count(0)
    no_horizontal_scroll(second_page)
    axe.check(second_page, "assembly-17-paper-mismatch")

    # The second teller looks at the slip again and corrects their own entry.
    row.get_by_role("link", name=re.compile(r"^mijn invoer verbeteren\s+van stembriefje 3$")).click()
    expect(second_page.locator("main .notice")).to_contain_text("Je verbetert je eigen invoer van stembriefje 3.")
    expect(second_page.get_by_label("Onthouding", exact=True)).to_be_checked()
    axe.check(second_page, "assembly-18-slip-correct")
    second_page.get_by_label("Voor", exact=True).check()
    second_page.get_by_role("button", name="Dit stembriefje opslaan").click()
    second_page.get_by_role("link", name="Terug naar het overzicht").click()
    expect(second_page.locator("#counts-heading ~ .notice.success")).to_contain_text(
        "Alles klopt: 3 stembriefjes kunnen worden aangenomen."
    )
    second_page.get_by_role("button", name="Stembriefjes aannemen").click()
    expect(second_page.locator(".flashes")).to_contain_text("er zitten 3 stembiljetten in de stembus")
    expect(second_page.locator("table.slips tbody tr strong")).to_have_text(["aangenomen"] * 3)
    axe.check(second_page, "assembly-19-paper-accepted")

    with on_server(base):
        from govern.extensions import db
        from govern.voting import services as voting
        from govern.voting.models import VoteItem

        voting.close_vote(db.session.get(VoteItem, vote_id), by=account(BOARD))

    first.goto(f"{base}/votes/{vote_id}/results")
    expect(first.locator(".outcome .verdict")).to_have_text("Aangenomen")
    expect(first.locator(".outcome")).to_contain_text("2 stemmen voor, 1 stem tegen")
    expect(first.locator("#turnout-heading ~ dl")).to_contain_text("3")
    axe.check(first, "assembly-20-paper-results")
    axe.done()
