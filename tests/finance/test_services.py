"""The money services: projects from results, entries, corrections, board decisions, progress, import."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DatabaseError

from govern.audit.log import AuditEntry
from govern.budgeting import services as budgeting
from govern.finance import services
from govern.finance.models import BoardDecision, MoneyEntry, MoneyKind, ProgressPhoto, Project, ProjectStatus
from govern.services import ServiceError
from tests.conftest import audit_count
from tests.finance.factories import make_project, make_projects, spend

ALLOCATION = 150_050  # the factory proposal's two budget lines


@pytest.fixture()
def initiative(make_account: Any) -> Any:
    return make_account(tier="deelnemer", name="Voedseltuin")


@pytest.fixture()
def project(db: Any, board: Any, tiers: Any, initiative: Any) -> Project:
    return make_project(board, tiers, initiative)


def last(db: Any) -> AuditEntry:
    return db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).one()


def entry_count(db: Any) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(MoneyEntry))


def unchanged(db: Any) -> Any:
    """Context: the block must raise ServiceError and write nothing (no money entry, no record entry)."""
    import contextlib

    @contextlib.contextmanager
    def check(match: str) -> Any:
        before = (entry_count(db), audit_count(db))
        with pytest.raises(ServiceError, match=match) as info:
            yield info
        assert (entry_count(db), audit_count(db)) == before

    return check


# --- projects -----------------------------------------------------------------------------------


def test_funded_proposals_become_projects_with_their_allocation(db, board, tiers, initiative):
    projects = make_projects(board, tiers, initiative, titles=("Moestuin", "Speeltuin", "Kookcafé"), funded=2)
    assert [p.title for p in projects] == ["Moestuin", "Speeltuin"]  # the third was not funded
    project = projects[0]
    assert project.allocation_cents == project.proposal.cost_cents == ALLOCATION
    assert [(line.description, line.amount_cents) for line in project.lines] == [("Houten bakken", 120_000), ("Aarde en zaden", 30_050)]
    created = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.subject == project.subject)).one()
    assert created.type == "project.created"
    assert created.data["allocation_cents"] == ALLOCATION and created.data["proposal"] == project.proposal_id
    assert services.totals(project).left == ALLOCATION and project.status == ProjectStatus.PLANNED


# --- money ---------------------------------------------------------------------------------------


def test_commitment_then_expenditure_that_pays_it(db, project, initiative):
    order = spend(project, initiative, 100_000, kind=MoneyKind.COMMITMENT, line_id=project.lines[0].id)
    assert last(db).type == "money.committed" and last(db).data["amount_cents"] == 100_000
    t = services.totals(project)
    assert (t.committed, t.spent, t.open_commitments, t.left) == (100_000, 0, 100_000, 50_050)
    invoice = spend(project, initiative, 60_000, commitment_id=order.id)
    entry = last(db)
    assert entry.type == "money.spent" and entry.subject == project.subject
    assert entry.data == services.entry_data(invoice) and entry.data["commitment"] == order.id
    t = services.totals(project)
    assert (t.committed, t.spent, t.open_commitments, t.in_use, t.left) == (100_000, 60_000, 40_000, 100_000, 50_050)
    assert [(e.id, open_) for e, open_ in services.open_commitments(project)] == [(order.id, 40_000)]


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"amount_cents": 0}, "more than"),
        ({"amount_cents": -500}, "more than"),
        ({"amount_cents": True}, "Fill in an amount"),
        ({"amount_cents": 12.5}, "Fill in an amount"),
        ({"amount_cents": 10**13}, "too large"),
        ({"booked_on": dt.date.today() + dt.timedelta(days=2)}, "future"),
        ({"booked_on": dt.date(1999, 12, 31)}, "too long ago"),
        ({"booked_on": "2026-05-04"}, "Fill in a date"),
        ({"payee": "   "}, "who is paid"),
        ({"description": ""}, "what the money is for"),
        ({"payee": "x" * 201}, "too long"),
        ({"line_id": 999_999}, "budget line"),
        ({"kind": "gift"}, "commitment or expenditure"),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(db, project, initiative, change, match):
    values = services.MoneyInput(MoneyKind.EXPENDITURE, dt.date(2026, 5, 4), 1_000, "Drukkerij Spangen", "Flyers")
    for key, value in change.items():
        setattr(values, key, value)
    with unchanged(db)(match):
        services.record_money(project, values, by=initiative)


def test_a_commitment_of_another_project_or_too_much_cannot_be_paid(db, board, tiers, initiative):
    first, second = make_projects(board, tiers, initiative, titles=("Moestuin", "Speeltuin"))
    order = spend(first, initiative, 10_000, kind=MoneyKind.COMMITMENT)
    with unchanged(db)("open commitment"):
        spend(second, initiative, 5_000, commitment_id=order.id)
    with unchanged(db)("still has open"):
        spend(first, initiative, 10_001, commitment_id=order.id)
    with unchanged(db)("Only an expenditure"):
        spend(first, initiative, 5_000, kind=MoneyKind.COMMITMENT, commitment_id=order.id)


def test_only_the_board_and_the_initiative_may_book(db, project, initiative, board, make_account):
    stranger = make_account(tier="lid", name="Buurman")
    with unchanged(db)("Only the board or the initiative"):
        spend(project, stranger, 1_000)
    co = make_account(tier="deelnemer", name="Mede-indiener")
    assert not services.may_manage(project, co)
    spend(project, board, 1_000)  # the board may
    assert services.may_manage(project, initiative) and services.may_manage(project, board)


def test_past_the_allocation_only_the_board_with_a_reason(db, project, initiative, board):
    spend(project, initiative, ALLOCATION - 1_000)
    with unchanged(db)("over the money for this project"):
        spend(project, initiative, 1_001)
    with unchanged(db)("over the money"):
        spend(project, board, 1_001)  # the board, but without a reason
    entry = spend(project, board, 1_500, overspend_reason="Hout werd duurder; besloten in de bestuursvergadering.")
    decision = db.session.get(BoardDecision, entry.decision_id)
    assert decision.amount_cents == 500 and project.extra_cents == 500
    types = [e.type for e in db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(2))]
    assert types == ["money.spent", "project.overspend_allowed"]  # the decision comes first on the record
    t = services.totals(project)
    assert (t.ceiling, t.in_use, t.left) == (ALLOCATION + 500, ALLOCATION + 500, 0)


def test_a_board_decision_beforehand_lets_the_initiative_spend_more(db, project, initiative, board):
    with pytest.raises(ServiceError, match="Only the board"):
        services.allow_overspend(project, by=initiative, amount_cents=5_000, reason="r", decided_on=dt.date(2026, 6, 1))
    with unchanged(db)("reason"):
        services.allow_overspend(project, by=board, amount_cents=5_000, reason=" ", decided_on=dt.date(2026, 6, 1))
    services.allow_overspend(project, by=board, amount_cents=5_000, reason="Extra stoelen", decided_on=dt.date(2026, 6, 1))
    assert last(db).type == "project.overspend_allowed" and last(db).data["ceiling_cents"] == ALLOCATION + 5_000
    spend(project, initiative, ALLOCATION + 5_000)
    assert services.totals(project).left == 0


def test_a_correction_cancels_an_entry_and_keeps_it(db, project, initiative):
    wrong = spend(project, initiative, 12_340)
    with unchanged(db)("Say why"):
        services.reverse(wrong, by=initiative, reason="  ")
    reversal = services.reverse(wrong, by=initiative, reason="Bedrag verkeerd overgenomen")
    assert reversal.amount_cents == -12_340 and reversal.reverses_id == wrong.id and db.session.get(MoneyEntry, wrong.id)
    assert last(db).type == "money.reversed" and last(db).data["reverses"] == wrong.id
    assert services.totals(project).spent == 0
    with unchanged(db)("already been corrected"):
        services.reverse(wrong, by=initiative, reason="nog eens")
    with unchanged(db)("cannot be corrected"):
        services.reverse(reversal, by=initiative, reason="terug")


def test_correcting_a_payment_reopens_its_commitment_and_a_paid_commitment_waits(db, project, initiative):
    order = spend(project, initiative, 10_000, kind=MoneyKind.COMMITMENT)
    paid = spend(project, initiative, 10_000, commitment_id=order.id)
    with unchanged(db)("Correct those first"):
        services.reverse(order, by=initiative, reason="Bestelling geannuleerd")
    services.reverse(paid, by=initiative, reason="Dubbel geboekt")
    assert services.totals(project).open_commitments == 10_000
    services.reverse(order, by=initiative, reason="Bestelling geannuleerd")
    t = services.totals(project)
    assert (t.committed, t.spent, t.open_commitments) == (0, 0, 0)


def test_money_entries_cannot_be_changed_or_deleted_in_the_database(db, project, initiative):
    entry = spend(project, initiative, 1_000)
    for statement in ("UPDATE money_entry SET amount_cents = 1", "DELETE FROM money_entry"):
        with pytest.raises(DatabaseError, match="append-only"):
            with db.session.begin_nested():
                db.session.execute(sa.text(statement + " WHERE id = :id"), {"id": entry.id})
    assert db.session.get(MoneyEntry, entry.id).amount_cents == 1_000


def test_a_document_is_kept_with_its_hash_on_the_record(db, project, initiative):
    pdf = b"%PDF-1.4\n% factuur\n"
    entry = spend(project, initiative, 1_000, document=services.Upload("Factuur maart.pdf", pdf))
    assert entry.document.content_type == "application/pdf" and entry.document.filename == "Factuur_maart.pdf"
    import hashlib

    assert last(db).data["document_sha256"] == hashlib.sha256(pdf).hexdigest()
    with unchanged(db)("not a PDF"):
        spend(project, initiative, 1_000, document=services.Upload("virus.exe", b"MZ\x90\x00"))


# --- progress -------------------------------------------------------------------------------------


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (0, 128, 0)).save(out, "PNG")
    return out.getvalue()


def test_progress_with_a_photo_needs_its_description(db, project, initiative):
    before = audit_count(db)
    with pytest.raises(ServiceError, match="Describe the photo"):
        services.post_progress(project, by=initiative, status="started", text="We zijn begonnen.", photo=_png())
    with pytest.raises(ServiceError, match="picture"):
        services.post_progress(project, by=initiative, status="started", text="x", photo=b"not an image", photo_alt="x")
    with pytest.raises(ServiceError, match="how far"):
        services.post_progress(project, by=initiative, status="almost", text="x")
    assert audit_count(db) == before
    update = services.post_progress(project, by=initiative, status="started", text="We zijn begonnen.", photo=_png(),
                                    photo_alt="Kinderen planten tomaten.")
    assert project.status == ProjectStatus.STARTED and update.has_photo
    photo = db.session.get(ProgressPhoto, update.id)
    assert photo.content_type == "image/jpeg"  # re-encoded, without metadata
    data = last(db).data
    assert last(db).type == "project.progress" and data["from"] == "planned" and data["status"] == "started"
    assert data["photo_sha256"] == photo.sha256 and data["photo_alt"] == "Kinderen planten tomaten."


# --- import ---------------------------------------------------------------------------------------


def _row(line: int, project: Project | None, amount: int, **kw: Any) -> services.ImportRow:
    values = services.MoneyInput(MoneyKind.EXPENDITURE, kw.pop("booked_on", dt.date(2026, 5, 4)), amount,
                                 kw.pop("payee", "Bouwmarkt"), "Hout", f"F-{line}")
    return services.ImportRow(line, project, values, **kw)


def test_import_is_all_or_nothing_and_counts_earlier_rows_against_the_ceiling(db, project, initiative):
    rows = [
        _row(2, project, 100_000),
        _row(3, project, 0),
        _row(4, None, 1_000),
        _row(5, project, 60_000),  # with line 2 this passes the allocation
        _row(6, project, 1_000, error="Unreadable date"),
    ]
    before = (entry_count(db), audit_count(db))
    with pytest.raises(services.ImportRefused) as info:
        services.import_expenditures(rows, by=initiative, file_sha256="ab" * 32, filename="boeken.csv")
    assert [line for line, _ in info.value.errors] == [3, 4, 5, 6]
    assert "over the money" in str(info.value.errors[2][1])
    assert (entry_count(db), audit_count(db)) == before
    good = [_row(2, project, 100_000), _row(3, project, 50_050)]
    entries = services.import_expenditures(good, by=initiative, file_sha256="ab" * 32, filename="boeken.csv")
    assert [e.import_sha256 for e in entries] == ["ab" * 32] * 2 and services.totals(project).left == 0
    assert last(db).type == "money.imported" and last(db).data["rows"] == 2 and last(db).data["total_cents"] == 150_050


# --- the export carries the trail, and the verifier agrees ------------------------------------------


def test_the_export_carries_the_money_trail_and_verifies(db, app, project, initiative, board, tmp_path):
    import zipfile

    from govern.audit import canonical
    from govern.audit.export import export_bundle
    from govern.audit.verify import verify_bundle

    order = spend(project, initiative, 50_000, kind=MoneyKind.COMMITMENT)
    spend(project, initiative, 20_000, commitment_id=order.id)
    services.reverse(spend(project, initiative, 999), by=initiative, reason="Verkeerd project")
    spend(project, board, ALLOCATION, overspend_reason="Extra nodig voor de opening")
    path = tmp_path / "bundle.zip"
    export_bundle(str(path))
    document = canonical.decode(zipfile.ZipFile(path).read("money.json"))
    listed = {p["id"]: p for p in document["projects"]}[project.id]
    t = services.totals(project)
    assert listed["totals"]["spent_cents"] == t.spent == 20_000 + ALLOCATION
    assert listed["totals"]["open_commitments_cents"] == t.open_commitments == 30_000
    assert len(document["entries"]) == 5 and all(isinstance(e["seq"], int) for e in document["entries"])
    report = verify_bundle(path.read_bytes())
    assert report.ok, report.render()
    money = next(c for c in report.checks if c.message == "money_ok")
    assert money.params["decisions"] == 1 and money.params["entries"] >= 5
