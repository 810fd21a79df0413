"""Demo data: the spring general meeting of 2027, with its agenda, a motion and a board election.

Everything goes through the services, so the meeting, its agenda and its votes are on
the record, as they would be for real. Loading twice adds nothing.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from ..extensions import db
from ..membership.models import Account
from . import services
from .models import Assembly

TITLE = "Algemene Ledenvergadering voorjaar 2027"

DESCRIPTION = """\
Alle leden zijn welkom op de voorjaarsvergadering van de coöperatie.
We kijken terug op 2026, stellen de jaarrekening vast en kiezen een nieuw bestuurslid.

Kun je niet komen? Geef dan een **volmacht** aan een ander lid: die stemt dan voor jou.
De stukken staan hieronder en liggen een half uur voor de vergadering ter inzage.
"""

#: (title, explanation, discussion online?)
ITEMS = [
    ("Opening en vaststellen van de agenda", "De voorzitter opent de vergadering en stelt vast of het quorum gehaald is.", False),
    ("Verslag van de vorige vergadering", "Het verslag van de najaarsvergadering 2026. Opmerkingen kun je hieronder al geven.", True),
    (
        "Jaarrekening 2026",
        "De penningmeester licht de jaarrekening toe. De kascommissie vertelt wat zij heeft gecontroleerd. "
        "De stukken worden voor de vergadering hier geplaatst.",
        True,
    ),
    (
        "Voorstel: buurtbudget voortaan twee keer per jaar",
        "Het bestuur stelt voor om het wijkbudget in twee rondes per jaar te verdelen, "
        "zodat plannen sneller kunnen beginnen.",
        True,
    ),
    ("Verkiezing bestuurslid", "Er is één plek vrij in het bestuur. Leden zetten de kandidaten in volgorde van voorkeur.", False),
    ("Rondvraag en sluiting", "", False),
]

MOTION = (
    "Het wijkbudget wordt vanaf 2028 in twee rondes per jaar verdeeld",
    "Voor: elk half jaar een ronde met de helft van het budget. Tegen: één ronde per jaar, zoals nu.",
)
CANDIDATES = [
    ("Fatima El Idrissi", "Buurtkeuken Oud-Mathenesse; wil vooral jongeren bij de coöperatie betrekken."),
    ("Kees de Vries", "Bewoner van Spangen; oud-penningmeester van de speeltuinvereniging."),
    ("Ricardo Martina", "Repair Café Nieuwe Westen; let op eerlijke verdeling over de wijken."),
]


def load(board_account: Account) -> None:
    """Create the demo meeting, unless it exists already."""
    if db.session.scalar(sa.select(Assembly.id).where(Assembly.title == TITLE)) is not None:
        return
    assembly = services.create_assembly(
        by=board_account,
        title=TITLE,
        starts_at=services.amsterdam(dt.date(2027, 4, 15), dt.time(19, 30)),
        place="Huis van de Wijk Bospolder, Schiedamseweg 95, Rotterdam",
        online_url="",
        description=DESCRIPTION,
        quorum="1/2",
        max_proxies=1,
    )
    items = [services.add_item(assembly, by=board_account, title=t, description=d, thread=th) for t, d, th in ITEMS]
    services.add_vote(
        items[3], by=board_account, kind="motion", title=MOTION[0], description=MOTION[1], secret=True, threshold="majority"
    )
    services.add_vote(
        items[4],
        by=board_account,
        kind="election",
        title="Verkiezing van één bestuurslid",
        description="Zet de kandidaten in volgorde van voorkeur: 1 is je favoriet. We tellen met instant-runoff: valt je favoriet af, dan gaat je stem naar je volgende keuze.",
        secret=True,
        seats=1,
        candidates=CANDIDATES,
    )
