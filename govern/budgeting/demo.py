"""Demo data: the round "Wijkbudget Delfshaven 2027", with proposals by the demo initiatives.

Everything goes through the services, so the round, the proposals, the reviews, the
support and the comments are all on the record, as they would be for real.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..membership.models import Account, Role, Tier
from . import services
from .models import BudgetRound, Phase, Proposal

TITLE = "Wijkbudget Delfshaven 2027"

DESCRIPTION = """\
Dit jaar is er **€ 150.000** voor plannen van bewoners en initiatieven uit Delfshaven.
Lokaal, tenzij het echt niet lokaal kan.

- Een plan is voor een of meer wijken van Delfshaven.
- Het plan is binnen een jaar uit te voeren en staat open voor iedereen uit de buurt.
- De toetsers kijken of het plan haalbaar is en of de kosten kloppen. Hun reden is openbaar.

Leden zetten de plannen in volgorde van voorkeur. We tellen met de *Method of Equal Shares*:
zo krijgt elke stem een eerlijk deel van het geld.
"""

#: Index in govern.demo.INITIATIVES (or a resident's name), title, summary, plan, neighbourhood, category,
#: budget lines (what, cents), review: None (waiting), ("eligible", reason[, cost, why]) or ("not_eligible", reason).
PROPOSALS: list[tuple[Any, ...]] = [
    (0, "Buurtkamer elke dag open", "De huiskamer van Bospolder ook op zaterdag en zondag open, met vrijwilligers als gastvrouw of gastheer.",
     "Veel ouderen zijn in het weekend alleen. We openen de buurtkamer **ook in het weekend**.\n\n- koffie en thee\n- een krant en spelletjes\n- hulp bij brieven",
     "bospolder", "meeting", [("Vrijwilligersvergoedingen (52 weekenden)", 780000), ("Koffie, thee en boodschappen", 210000)],
     ("eligible", "Haalbaar. De ruimte is in het weekend vrij en de vergoedingen passen binnen de regels.")),
    (1, "Kas voor de voedseltuin", "Een kleine kas, zodat we het hele jaar groente kunnen kweken met de buurt.",
     "In de winter staat de tuin stil. Met een kas kunnen **kinderen en ouderen** het hele jaar zaaien en oogsten.",
     "spangen", "green", [("Kas van 6 bij 4 meter", 890000), ("Fundering en plaatsen", 240000), ("Zaden en potgrond", 60000)],
     ("eligible", "Haalbaar op het terrein van de tuin.", 1320000, "De gemeente vraagt een vergunning en een stevigere fundering; dat kost € 1.300 meer.")),
    (2, "Taalmaatjes voor nieuwkomers", "Elke nieuwkomer in Tussendijken een taalmaatje uit de buurt, met een training voor de maatjes.",
     "We koppelen **40 nieuwkomers** aan een maatje. De maatjes krijgen drie trainingsavonden.",
     "tussendijken", "language", [("Training voor maatjes", 180000), ("Materiaal en boeken", 95000), ("Koffie en uitjes", 120000)],
     ("eligible", "Haalbaar. Past goed bij het taalcafé.")),
    (3, "Repair Café op school", "Eén keer per maand repareren we samen met kinderen van de basisschool.",
     "Kinderen leren **solderen, naaien en plakken**. Zo gooien we minder weg.",
     "nieuwe-westen", "culture", [("Gereedschap en veiligheid", 145000), ("Onderdelen", 60000)], None),
    (4, "Nieuwe schommels in de speeltuin", "De oude schommels zijn versleten. We willen twee nieuwe schommels en een nestschommel.",
     "De speeltuin is elke dag open. De schommels zijn **25 jaar oud** en mogen niet meer gebruikt worden.",
     "witte-dorp", "play", [("Twee schommels en een nestschommel", 1150000), ("Valondergrond", 480000), ("Plaatsen en keuring", 220000)],
     ("eligible", "Haalbaar. Een keuring na het plaatsen is verplicht en zit in de kosten.")),
    (5, "Moedercafé met kinderopvang", "Elke week een ochtend voor moeders, met opvang voor de kleintjes in de kamer ernaast.",
     "Moeders praten over **geld, werk en opvoeding**. Een pedagogisch medewerker past op de kinderen.",
     "middelland", "care", [("Pedagogisch medewerker (40 ochtenden)", 640000), ("Speelgoed en boeken", 75000)],
     ("eligible", "Haalbaar.")),
    (6, "Kookles voor jongeren", "Jongeren leren gezond en goedkoop koken, en koken daarna voor de buren.",
     "Tien lessen van twee uur. Aan het eind koken de jongeren een **buurtmaaltijd voor 60 mensen**.",
     "oud-mathenesse", "food", [("Boodschappen", 180000), ("Kok als docent", 250000)], None),
    (7, "Sportdag op het plein", "Een grote sportdag voor alle leeftijden op het plein in Schiemond.",
     "Met **voetbal, jeu de boules en stoelyoga**. Iedereen doet mee, jong en oud.",
     "schiemond", "sport", [("Materiaal en huur", 210000), ("Muziek en geluid", 80000), ("Eten en drinken", 120000)],
     ("eligible", "Haalbaar. Een evenementenvergunning is nodig; die vraagt de organisatie zelf aan.")),
    (8, "Verhalen van Delfshaven", "Oudere bewoners vertellen hun verhaal; jongeren maken er een wandeling met audio van.",
     "We nemen **twintig verhalen** op. Met een QR-code op de gevels kun je ze onderweg horen.",
     "historisch-delfshaven", "culture", [("Opnames en montage", 320000), ("Bordjes met QR-code", 140000)],
     ("eligible", "Haalbaar. Toestemming van de gevel-eigenaren is geregeld.")),
    (9, "Studio voor jonge muzikanten", "Een kleine opnamestudio in het jongerenhuis, met begeleiding.",
     "Jongeren nemen hun eigen muziek op en leren van een **producer uit de wijk**.",
     "bospolder", "culture", [("Apparatuur", 980000), ("Geluidsisolatie", 650000), ("Begeleiding (1 jaar)", 520000)], None),
    (10, "Geveltuinen in de Schietbaanstraat", "Samen met de bewoners 40 geveltuinen aanleggen.",
     "Meer groen, minder hitte. We leveren **tegels eruit, planten erin** en helpen bij het aanleggen.",
     "tussendijken", "green", [("Planten en aarde", 240000), ("Afvoer van tegels", 60000)],
     ("eligible", "Haalbaar.", 360000, "De afvoer van de tegels kost volgens de gemeente € 600 meer.")),
    (11, "Klusbus voor ouderen", "Kleine klussen in huis voor ouderen met weinig geld: een lamp, een kraan, een drempel.",
     "Twee vaste klussers en een **bus met gereedschap**. Bewoners bellen of lopen binnen.",
     "spangen", "care", [("Onderhoud van de bus", 180000), ("Materiaal", 220000), ("Vrijwilligersvergoedingen", 300000)],
     ("eligible", "Haalbaar.")),
    (0, "Hulp bij post en formulieren", "Elke week een spreekuur voor hulp bij brieven, toeslagen en formulieren.",
     "Vrijwilligers helpen bij **brieven van de gemeente en de Belastingdienst**. Vertrouwelijk en gratis.",
     "bospolder", "care", [("Training vrijwilligers", 120000), ("Laptop en printer", 90000)], None),
    (1, "Fruitbomen in het park", "Twaalf fruitbomen in het Spangense park, waar iedereen van mag plukken.",
     "Appels, peren en pruimen. Buurtbewoners **adopteren een boom**.",
     "spangen", "green", [("Bomen", 180000), ("Planten en palen", 90000)],
     ("not_eligible", "Het park is van de gemeente en daar mogen geen fruitbomen komen (vallend fruit op het pad). Kijk samen met ons naar een andere plek.")),
    (2, "Computerles voor ouderen", "Ouderen leren omgaan met de telefoon, DigiD en videobellen.",
     "Acht lessen in kleine groepjes, met **geduldige jonge vrijwilligers**.",
     "tussendijken", "language", [("Tablets om te oefenen", 150000), ("Koffie en materiaal", 40000)],
     ("eligible", "Haalbaar.")),
    (3, "Fietsenmaker voor iedereen", "Een gratis fietsenmaker op zaterdag, en les in zelf repareren.",
     "Veel mensen laten hun fiets staan als die kapot is. Wij helpen ze **weer op weg**.",
     "nieuwe-westen", "other", [("Gereedschap en onderdelen", 160000)], None),
    (4, "Waterspeelplaats", "Een kleine waterspeelplek voor hete zomerdagen.",
     "Met een **pomp en een goot** spelen kinderen veilig met water.",
     "witte-dorp", "play", [("Pomp en goot", 1650000), ("Aanleg", 780000)],
     ("eligible", "Haalbaar, maar duurder dan gedacht.", 2750000, "Een waterspeelplek moet aan de hygiëne-eisen voldoen; de filterinstallatie kost € 3.200 extra.")),
    (5, "Fietsles voor vrouwen", "Vrouwen die nooit hebben leren fietsen, leren het in tien lessen.",
     "Op een rustig plein, met **fietsen van ons** en een diploma aan het eind.",
     "middelland", "sport", [("Fietsen (10)", 250000), ("Docent", 200000)], None),
    (6, "Buurtmaaltijd voor 1 euro", "Elke dinsdag een warme maaltijd voor één euro, voor wie dat nodig heeft.",
     "We koken met **overgebleven groente van de markt**. Iedereen eet mee.",
     "oud-mathenesse", "food", [("Boodschappen (50 weken)", 650000), ("Gas en licht", 120000)],
     ("eligible", "Haalbaar.")),
    (7, "Beweegtuin voor ouderen", "Drie beweegtoestellen bij het bankje op het plein.",
     "Ouderen blijven **fit en in contact** met elkaar. Een fysiotherapeut geeft les.",
     "schiemond", "sport", [("Toestellen", 1280000), ("Plaatsen", 310000), ("Lessen (een jaar)", 180000)], None),
    (8, "Open monumentendag voor kinderen", "Kinderen ontdekken de oude gebouwen van Delfshaven met een speurtocht.",
     "Een **speurtocht langs tien plekken** met verhalen en opdrachten.",
     "historisch-delfshaven", "culture", [("Drukwerk", 60000), ("Gidsen", 90000)], None),
    (9, "Zomerpodium", "Vier avonden muziek en theater van jongeren in de zomer.",
     "Op het plein, **gratis voor iedereen**. Jongeren organiseren het zelf.",
     "bospolder", "culture", [("Podium en geluid", 420000), ("Vergoedingen artiesten", 300000)], None),
    (10, "Boomspiegels vol bloemen", "Bewoners adopteren de boomspiegels in hun straat en planten bloemen.",
     "We geven **bloembollen en plantjes** en een korte cursus.",
     "tussendijken", "green", [("Bloembollen en plantjes", 90000)], None),
    (11, "Rookmelders bij ouderen", "Gratis rookmelders ophangen bij ouderen die dat niet zelf kunnen.",
     "Samen met de brandweer hangen we **200 rookmelders** op.",
     "spangen", "safety", [("Rookmelders", 300000), ("Vrijwilligers", 80000)], None),
    ("Ayşe Yılmaz", "Huiswerkklas in Middelland", "Hulp bij huiswerk voor kinderen van groep 6 tot de brugklas, twee middagen per week.",
     "Studenten uit de buurt helpen kinderen met **rekenen en begrijpend lezen**.",
     "middelland", "language", [("Vergoeding studenten", 480000), ("Materiaal", 40000)], None),
]

COMMENTS = [
    ("for", "Goed idee! Hier hebben we in de buurt echt iets aan."),
    ("question", "Wie zorgt ervoor dat dit na het eerste jaar ook blijft bestaan?"),
    ("idea", "Misschien kunnen jullie samenwerken met de school om de hoek?"),
    ("for", "Mijn moeder zou hier zeker naartoe gaan. Ik help graag mee."),
    ("against", "Het is een mooi plan, maar ik vind het veel geld voor zo weinig mensen."),
    ("question", "Is het ook toegankelijk voor mensen met een rolstoel?"),
    ("idea", "Zet het ook in de nieuwsbrief van de wijk, dan weten meer mensen ervan."),
    ("for", "Dit missen we al jaren in onze straat."),
]

#: Residents and initiatives who write comments and give support, by e-mail.
VOICES = [
    "samira.benali@demo.govern.nl",
    "kees.de.vries@demo.govern.nl",
    "ricardo.martina@demo.govern.nl",
    "bewoner@demo.govern.nl",
    "thijs.bakker@demo.govern.nl",
]


def _account(email: str) -> Account | None:
    return db.session.scalar(sa.select(Account).where(Account.email == email))


def load_round(board: Account) -> int:
    """Create the demo round (if it is not there yet); return how many things were added."""
    from ..demo import INITIATIVES, RESIDENTS, _slugify

    if db.session.scalar(sa.select(BudgetRound.id).where(BudgetRound.title == TITLE)) is not None:
        return 0
    tiers = {t.slug: t for t in db.session.scalars(sa.select(Tier))}
    round_ = services.create_round(
        by=board,
        title=TITLE,
        description=DESCRIPTION,
        budget_cents=15_000_000,
        neighbourhoods=[
            "bospolder", "tussendijken", "spangen", "nieuwe-westen", "middelland",
            "oud-mathenesse", "witte-dorp", "schiemond", "historisch-delfshaven",
        ],
        submission_opens=dt.date(2026, 11, 2),
        review_opens=dt.date(2027, 1, 11),
        deliberation_opens=dt.date(2027, 2, 8),
        voting_opens=dt.date(2027, 3, 8),
        results_on=dt.date(2027, 3, 29),
        implementation_starts=dt.date(2027, 4, 19),
        ranks=5,
        counting_rule="mes",
        support_enabled=True,
        support_threshold=3,
        proposer_tier_ids=[tiers[s].id for s in ("lid", "deelnemer") if s in tiers],
        voter_tier_ids=[tiers[s].id for s in ("lid", "deelnemer", "bewoner") if s in tiers],
    )
    services.advance_phase(round_, by=board, to=Phase.SUBMISSION)
    created = 2
    moderator = _account("moderator@demo.govern.nl")
    residents = {name: f"{_slugify(name)}@demo.govern.nl" for name, _, _ in RESIDENTS}
    voices = [a for a in (_account(e) for e in VOICES) if a is not None]
    comment = _comment_poster()
    for i, (who, title, summary, plan, hood, category, lines, review) in enumerate(PROPOSALS):
        email = residents[who] if isinstance(who, str) else f"{_slugify(INITIATIVES[who][0])}@demo.govern.nl"
        author = _account(email)
        if author is None:
            continue
        proposal = services.create_proposal(
            round_,
            by=author,
            values=services.ProposalInput(title, summary, plan, hood, category, list(lines)),
        )
        services.submit(proposal, by=author)
        created += 1
        if review is not None:
            reviewer = _reviewer(proposal, board, moderator)
            kind, reason, *cost = review
            services.review(
                proposal,
                by=reviewer,
                eligible=kind == "eligible",
                reason=reason,
                cost_cents=cost[0] if cost else None,
                cost_reason=cost[1] if cost else "",
            )
        # Support: the first proposals are popular, later ones less so.
        for voice in [v for v in voices if round_.may_vote(v.member)][: max(0, 5 - i // 5)]:
            if review is None or review[0] == "eligible":
                services.endorse(proposal, by=voice)
        if comment is not None:
            for k in range(3):
                stance, text = COMMENTS[(i + k * 3) % len(COMMENTS)]
                writer = voices[(i + k) % len(voices)] if voices else author
                comment(proposal.subject, author=writer, body=text, stance=stance)
    # A draft: only its proposers see it ("Your proposals" on the round page of the board's initiative).
    author = _account(f"{_slugify(INITIATIVES[0][0])}@demo.govern.nl")
    if author is not None:
        services.create_proposal(
            round_,
            by=author,
            values=services.ProposalInput(
                "Wijkfeest Bospolder",
                "Een feest voor de hele buurt op de laatste zaterdag van de zomervakantie.",
                "Nog uitwerken: muziek, eten van de buurtkeuken, spelletjes voor kinderen.",
                "bospolder",
                "meeting",
                [("Muziek en podium", 250000)],
            ),
        )
        created += 1
    return created


def _reviewer(proposal: Proposal, board: Account, moderator: Account | None) -> Account:
    """Someone who is not involved in the proposal reviews it."""
    involved = {p.member_id for p in proposal.parties}
    for candidate in (moderator, board):
        if candidate is not None and candidate.member_id not in involved and candidate.has_role(Role.BOARD, Role.MODERATOR):
            return candidate
    return board


def _comment_poster() -> Any:
    try:
        from ..deliberation.services import post_comment
    except ImportError:  # deliberation has not landed: no comments in the demo
        return None
    return post_comment
