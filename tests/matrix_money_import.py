"""Access rows for importing expenditures (govern/finance/import_views.py).

The board may import for any project; an initiative for its own projects. ``setup`` makes a
project carried out by the "lid" member, so "lid" may import; every other member manages
no project (403). POST rows send no file: the upload form comes back with its message (422),
and the later steps, missing the carried file, send the person back to the upload (400).
``{import_sha}`` is a file "lid" imported.
"""

from __future__ import annotations

from typing import Any

IMPORTERS = {"board", "lid"}


def _for_importers(ok: int) -> Any:
    def expected(p: str) -> int:
        if p == "anonymous":
            return 302
        return ok if p in IMPORTERS else 403

    return expected


ROWS: dict[str, tuple[str, str, Any, dict[str, Any] | None]] = {
    "money_import.upload": ("GET", "/money/import", _for_importers(200), None),
    "money_import.check": ("POST", "/money/import/check", _for_importers(400), {}),
    "money_import.confirm": ("POST", "/money/import/confirm", _for_importers(400), {}),
    "money_import.result": ("GET", "/money/import/{import_sha}", _for_importers(200), None),
}


def setup(people: dict[str, Any]) -> dict[str, Any]:
    import hashlib

    import sqlalchemy as sa

    from govern.extensions import db
    from govern.finance import importer
    from govern.membership.models import Tier
    from tests.finance.factories import make_project

    tiers = {t.slug: t for t in db.session.scalars(sa.select(Tier))}
    lid = people["accounts"]["lid"]
    project = make_project(people["accounts"]["board"], tiers, lid, title="Buurtkast")
    data = "Datum;Bedrag;Relatie;Omschrijving\n14-03-2026;12,50;Bakker;Brood\n".encode()
    table = importer.read_table(data)
    choices = importer.Choices({"date": 0, "amount": 1, "payee": 2, "description": 3}, project.id, "dd-mm-yyyy")
    sha = hashlib.sha256(data).hexdigest()
    importer.import_file(table, choices, by=lid, file_sha256=sha, filename="kas.csv")
    return {"import_sha": sha}
