"""Access rows for the project pages and their forms (govern/finance/views.py).

The pages, documents and photos are public. The forms are for the board and the
project's own initiative (``services.may_manage``); allowing extra money is for the board
only. ``{fin_project}`` is a funded project of the "other" organisation (not a principal
here, so only the board may manage it; the initiative itself is tested in
tests/finance/test_views.py), with an expenditure ``{fin_entry}`` carrying a document
``{fin_doc}`` and a progress update ``{fin_update}`` with a photo. The forms answer GET
and POST on one endpoint, so the rows are the GETs; the POSTs go through the same check
and are tested by principal in tests/finance/test_views.py.
"""

from __future__ import annotations

from typing import Any


def public(_: str) -> int:
    return 200


def managers(p: str) -> int:
    return {"anonymous": 302, "board": 200}.get(p, 403)


ROWS: dict[str, tuple[str, str, Any, dict[str, Any] | None]] = {
    "finance.projects": ("GET", "/projects", public, None),
    "finance.project": ("GET", "/projects/{fin_project}", public, None),
    "finance.document": ("GET", "/projects/{fin_project}/documents/{fin_doc}", public, None),
    "finance.photo": ("GET", "/projects/{fin_project}/progress/{fin_update}/photo", public, None),
    "finance.new_money": ("GET", "/projects/{fin_project}/money/new", managers, None),
    "finance.correct": ("GET", "/projects/{fin_project}/money/{fin_entry}/correct", managers, None),
    "finance.new_decision": ("GET", "/projects/{fin_project}/decisions/new", managers, None),
    "finance.new_progress": ("GET", "/projects/{fin_project}/progress/new", managers, None),
}


def setup(people: dict[str, Any]) -> dict[str, Any]:
    import io

    import sqlalchemy as sa
    from PIL import Image

    from govern.extensions import db
    from govern.finance import services
    from govern.membership.models import Tier
    from tests.finance.factories import make_project, spend

    board = people["accounts"]["board"]
    tiers = {t.slug: t for t in db.session.scalars(sa.select(Tier))}
    project = make_project(board, tiers, people["other"], title="Wijkbudget Projectpagina")
    entry = spend(project, board, 12_500, document=services.Upload("factuur.pdf", b"%PDF-1.7\n%%EOF\n"))
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (20, 120, 60)).save(out, "PNG")
    update = services.post_progress(
        project, by=board, status="started", text="We zijn begonnen.", photo=out.getvalue(), photo_alt="Een groen veld."
    )
    return {"fin_project": project.id, "fin_entry": entry.id, "fin_doc": entry.document_id, "fin_update": update.id}
