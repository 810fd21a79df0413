"""Demo spending and progress for the funded projects of "Wijkbudget Delfshaven 2026".

Each project gets what a real year brings: orders placed (commitments), invoices paid
(some settling those orders), a typing error corrected by a reversing entry, progress
updates (one with a photo), and for one project a board decision to pass its allocation.
"""

from __future__ import annotations

import datetime as dt
import io
import random

import sqlalchemy as sa

from ..extensions import db
from ..membership.models import Account
from . import services
from .models import MoneyEntry, MoneyKind, Project, ProjectStatus

PAYEES = (
    "Bouwmarkt Delfshaven BV",
    "Drukkerij Spangen",
    "Tuincentrum De Schie",
    "Stichting Buurtwerk West",
    "Groothandel Oostervant",
    "Geluid & Licht Rotterdam",
    "Sportwinkel Coolhaven",
    "Boekhandel Het Wijkboek",
)

PROGRESS = {
    ProjectStatus.STARTED: "We zijn begonnen. De eerste bestellingen zijn gedaan en de vrijwilligers zijn ingedeeld.",
    ProjectStatus.DONE: "Het project is klaar. Dank aan alle buren die hebben meegeholpen!",
}


def _photo() -> bytes:
    """A small picture for the demo (a green garden under a blue sky), made here so no file is needed."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 320), (135, 190, 235))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 200, 480, 320), fill=(70, 140, 60))
    for x in range(30, 480, 70):
        draw.ellipse((x, 130, x + 50, 210), fill=(40, 110, 45))
        draw.rectangle((x + 22, 200, x + 28, 230), fill=(110, 80, 50))
    draw.ellipse((380, 30, 440, 90), fill=(250, 215, 80))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def load(board: Account, round_id: int) -> int:
    """Spending for every project of the round; returns how many entries and updates were made (0 if already there)."""
    projects = list(db.session.scalars(sa.select(Project).where(Project.round_id == round_id).order_by(Project.id)))
    if not projects:
        return 0
    if db.session.scalar(sa.select(MoneyEntry.id).where(MoneyEntry.project_id.in_([p.id for p in projects])).limit(1)):
        return 0
    rng = random.Random(1943)
    made = 0
    for number, project in enumerate(projects):
        by = _initiative_account(project) or board
        start = dt.date(2026, 3, 2) + dt.timedelta(days=7 * number)
        services.post_progress(project, by=by, status=ProjectStatus.STARTED, text=PROGRESS[ProjectStatus.STARTED])
        made += 1
        # Spend a share of the allocation: early projects are done, later ones halfway.
        share = (95, 88, 60, 40, 25, 15)[number % 6]
        budget = project.allocation_cents * share // 100
        lines = project.lines or [None]
        spent = 0
        planned = sum(line.amount_cents for line in project.lines) or 1
        for i, line in enumerate(lines):
            # Each budget line gets its own share of what is spent, as planned.
            part = budget * line.amount_cents // planned if line else budget
            if part <= 0:
                continue
            payee = PAYEES[(number + i) % len(PAYEES)]
            day = start + dt.timedelta(days=14 + 21 * i)
            order = services.record_money(
                project,
                services.MoneyInput(
                    MoneyKind.COMMITMENT, day, part, payee,
                    f"Bestelling: {line.description if line else project.title}", f"OR-2026-{100 + number * 10 + i}",
                    line.id if line else None,
                ),
                by=by,
            )
            paid = part if share >= 60 else part * rng.randint(40, 70) // 100
            services.record_money(
                project,
                services.MoneyInput(
                    MoneyKind.EXPENDITURE, day + dt.timedelta(days=30), paid, payee,
                    f"Factuur: {line.description if line else project.title}", f"F-2026-{2000 + number * 10 + i}",
                    line.id if line else None, order.id,
                ),
                by=by,
            )
            spent += paid
            made += 2
        if number == 1:
            # A typing error, corrected the only allowed way: a reversing entry, then the right amount.
            wrong = services.record_money(
                project,
                services.MoneyInput(MoneyKind.EXPENDITURE, start + dt.timedelta(days=80), 12_340, PAYEES[4],
                                    "Boodschappen voor de dinsdag", "F-2026-2099"),
                by=by,
            )
            services.reverse(wrong, by=by, reason="Bedrag verkeerd overgenomen: het was € 12,34 en niet € 123,40.")
            services.record_money(
                project,
                services.MoneyInput(MoneyKind.EXPENDITURE, start + dt.timedelta(days=80), 1_234, PAYEES[4],
                                    "Boodschappen voor de dinsdag", "F-2026-2099"),
                by=by,
            )
            made += 3
        if number == 1:
            # Prices went up: the board allows a little more, with its reason on the record.
            extra = project.allocation_cents // 20
            services.allow_overspend(
                project, by=board, amount_cents=extra, decided_on=dt.date(2026, 9, 14),
                reason="De prijzen van boodschappen zijn dit jaar sterk gestegen. Het bestuur geeft 5% extra zodat "
                       "het kookcafé tot het einde van het jaar door kan gaan (bestuursvergadering 14 september 2026).",
            )
            made += 1
        if share >= 88:
            photo = _photo() if number == 0 else None
            services.post_progress(
                project, by=by, status=ProjectStatus.DONE, text=PROGRESS[ProjectStatus.DONE],
                photo=photo,
                photo_alt="De nieuwe tuin: gras, vijf jonge bomen en een blauwe lucht." if photo else "",
            )
            made += 1
    return made


def _initiative_account(project: Project) -> Account | None:
    return db.session.scalar(sa.select(Account).where(Account.member_id == project.member_id).order_by(Account.id).limit(1))
