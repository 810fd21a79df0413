"""Assembly services: settings, agenda, documents, lifecycle, check-in, proxies, quorum and minutes."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import pytest
import sqlalchemy as sa

from govern.assemblies import queries, quorum, services
from govern.assemblies.models import Assembly, AssemblyDocument, AssemblyStatus, Attendance, Proxy
from govern.audit.checkpoints import AuditCheckpoint
from govern.audit.log import AuditEntry
from govern.membership.models import MemberStatus
from govern.services import ServiceError
from govern.voting import services as voting
from govern.voting.models import VoteItem, VoteKind, VoteStatus
from tests.assemblies.factories import make_assembly, settings
from tests.conftest import audit_count

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def count(db: Any, model: Any) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def entries(db: Any, type_: str) -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.type == type_).order_by(AuditEntry.seq)))


# --- settings --------------------------------------------------------------------------------------


def test_create_stores_amsterdam_time_as_utc_and_records_it(db, board):
    assembly = make_assembly(board, items=())
    assert assembly.starts_at == dt.datetime(2027, 4, 15, 17, 30, tzinfo=dt.UTC)  # 19:30 summer time
    winter = services.create_assembly(by=board, **settings(starts_at=services.amsterdam(dt.date(2027, 1, 20), dt.time(19, 30))))
    assert winter.starts_at == dt.datetime(2027, 1, 20, 18, 30, tzinfo=dt.UTC)
    entry = entries(db, "assembly.created")[0]
    assert entry.subject == f"assembly:{assembly.id}"
    assert entry.data["quorum"] == "1/2" and entry.data["max_proxies"] == 1
    assert entry.data["starts_at"].startswith("2027-04-15T17:30")


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"quorum": "half"}, "quorum"),
        ({"quorum": "3/2"}, "quorum"),
        ({"quorum": "1/0"}, "quorum"),
        ({"quorum": ""}, "quorum"),
        ({"title": "  "}, "title"),
        ({"starts_at": dt.datetime(2020, 1, 1, tzinfo=dt.UTC)}, "starts_at"),
        ({"starts_at": None}, "starts_at"),
        ({"online_url": "javascript:alert(1)"}, "online_url"),
        ({"place": "", "online_url": ""}, "place"),
        ({"max_proxies": -1}, "max_proxies"),
        ({"max_proxies": 11}, "max_proxies"),
    ],
)
def test_bad_settings_are_refused_and_nothing_is_stored(db, board, overrides, field):
    before = audit_count(db)
    with pytest.raises(ServiceError) as error:
        services.create_assembly(by=board, **settings(**overrides))
    assert error.value.field == field
    assert count(db, Assembly) == 0 and audit_count(db) == before


def test_quorum_text_is_normalised(db, board):
    assembly = services.create_assembly(by=board, **settings(quorum=" 2 / 3 "))
    assert assembly.quorum == "2/3"


def test_only_the_board_plans_meetings(db, make_account):
    with pytest.raises(ServiceError):
        services.create_assembly(by=make_account(), **settings())


def test_settings_are_fixed_once_the_meeting_is_open(db, board, assembly):
    assert services.update_assembly(assembly, by=board, **settings(place="Het Klooster")) is True
    assert entries(db, "assembly.updated")[-1].data == {"place": "Het Klooster"}
    services.open_assembly(assembly, by=board)
    with pytest.raises(ServiceError):
        services.update_assembly(assembly, by=board, **settings(place="Het Klooster", quorum="2/3"))
    assert assembly.quorum == "1/2"
    # A typo in the place can still be fixed.
    services.update_assembly(assembly, by=board, **settings(place="Het Klooster, zaal 2"))
    assert assembly.place == "Het Klooster, zaal 2"


# --- agenda --------------------------------------------------------------------------------------------


def titles(assembly: Assembly) -> list[str]:
    return [i.title for i in sorted(assembly.agenda, key=lambda i: i.position)]


def test_agenda_items_are_added_moved_and_removed_in_order(db, board, assembly):
    services.add_item(assembly, by=board, title="Rondvraag", description="Vragen van leden.", thread=True)
    assert titles(assembly) == ["Opening", "Jaarrekening 2026", "Rondvraag"]
    last = assembly.agenda[-1]
    assert last.has_thread and last.subject == f"agenda:{last.id}"
    services.move_item(last, by=board, direction="up")
    assert titles(assembly) == ["Opening", "Rondvraag", "Jaarrekening 2026"]
    first = next(i for i in assembly.agenda if i.title == "Opening")
    with pytest.raises(ServiceError):
        services.move_item(first, by=board, direction="up")
    services.remove_item(first, by=board)
    assert titles(assembly) == ["Rondvraag", "Jaarrekening 2026"]
    assert [i.position for i in sorted(assembly.agenda, key=lambda i: i.position)] == [0, 1]
    types = [e.type for e in db.session.scalars(sa.select(AuditEntry).where(AuditEntry.subject == assembly.subject))]
    assert types.count("assembly.item_added") == 3 and "assembly.agenda_reordered" in types and "assembly.item_removed" in types


def test_agenda_is_fixed_once_open(db, board, assembly):
    services.open_assembly(assembly, by=board)
    with pytest.raises(ServiceError):
        services.add_item(assembly, by=board, title="Nog iets")
    with pytest.raises(ServiceError):
        services.remove_item(assembly.agenda[0], by=board)
    assert len(assembly.agenda) == 2


def test_a_vote_under_an_item_uses_the_assembly_tiers(db, board, assembly, tiers):
    item = assembly.agenda[1]
    vote = services.add_vote(item, by=board, kind="motion", title="Vaststellen jaarrekening 2026")
    assert item.vote_id == vote.id and vote.assembly_id == assembly.id and vote.status == VoteStatus.DRAFT
    assert {t.tier_id: t.weight for t in vote.tiers} == {tiers["lid"].id: 1}
    election = services.add_vote(
        assembly.agenda[0], by=board, kind="election", title="Bestuur", candidates=[("Anouk", ""), ("Bilal", "")]
    )
    assert election.kind == VoteKind.ELECTION and [o.label for o in election.options] == ["Anouk", "Bilal"]
    with pytest.raises(ServiceError):
        services.add_vote(item, by=board, kind="motion", title="Nog een")
    with pytest.raises(ServiceError):  # an item with a vote stays on the agenda
        services.remove_item(item, by=board)
    assert entries(db, "assembly.vote_added")[-1].data["vote"] == election.id


# --- documents ---------------------------------------------------------------------------------------------


def test_a_pdf_is_stored_with_its_digest(db, board, assembly):
    doc = services.add_document(assembly, by=board, title="Jaarrekening 2026", filename="../jaar rekening.PDF", data=PDF)
    assert doc.content_type == "application/pdf" and doc.size == len(PDF)
    assert doc.sha256 == hashlib.sha256(PDF).hexdigest()
    assert doc.filename == "jaar_rekening.pdf"
    assert entries(db, "assembly.document_added")[-1].data["sha256"] == doc.sha256
    png = services.add_document(assembly, by=board, title="Plattegrond", filename="zaal.png", data=b"\x89PNG\r\n\x1a\n" + b"\0" * 20)
    assert png.content_type == "image/png"


@pytest.mark.parametrize(
    "data, message",
    [
        (b"GIF89a....", "not a PDF, PNG or JPEG"),
        (b"<html><script>alert(1)</script>", "not a PDF, PNG or JPEG"),
        (b"", "Choose a file"),
        (b"%PDF-" + b"0" * services.MAX_DOCUMENT_BYTES, "too large"),
    ],
)
def test_bad_documents_are_refused_and_nothing_is_stored(db, board, assembly, data, message):
    before = audit_count(db)
    with pytest.raises(ServiceError) as error:
        services.add_document(assembly, by=board, title="Stuk", filename="stuk.pdf", data=data)
    assert message in str(error.value.message) and error.value.field == "file"
    assert count(db, AssemblyDocument) == 0 and audit_count(db) == before


# --- lifecycle -----------------------------------------------------------------------------------------------


def test_opening_freezes_the_total_weight(db, board, assembly, make_account):
    make_account(tier="lid")
    make_account(tier="deelnemer")  # does not vote at assemblies
    services.open_assembly(assembly, by=board)
    assert assembly.status == AssemblyStatus.OPEN and assembly.opened_at is not None
    assert assembly.total_weight == 2  # the board member and the other "lid"
    late = make_account(tier="lid")
    assert services.presence(assembly).total == 2
    assert quorum.assembly_weights().get(late.member_id) == 1
    with pytest.raises(ServiceError):
        services.open_assembly(assembly, by=board)
    assert entries(db, "assembly.opened")[-1].data["total_weight"] == 2


def test_closing_needs_closed_votes_and_signs_a_checkpoint(db, board, assembly):
    vote = services.add_vote(assembly.agenda[1], by=board, kind="motion", title="Jaarrekening")
    with pytest.raises(ServiceError):
        services.close_assembly(assembly, by=board)  # not open yet
    services.open_assembly(assembly, by=board)
    voting.open_vote(vote, by=board)
    with pytest.raises(ServiceError) as error:
        services.close_assembly(assembly, by=board)
    assert "Close the votes first" in str(error.value.message)
    voting.close_vote(vote, by=board)
    services.close_assembly(assembly, by=board)
    assert assembly.status == AssemblyStatus.CLOSED and assembly.closed_at is not None
    closed = entries(db, "assembly.closed")[-1]
    checkpoint = db.session.scalar(sa.select(AuditCheckpoint).order_by(AuditCheckpoint.size.desc()).limit(1))
    assert checkpoint.reason == "assembly-closed" and checkpoint.size == closed.seq


# --- attendance -----------------------------------------------------------------------------------------------


def test_self_check_in_only_while_open(db, board, assembly, make_account):
    member = make_account()
    with pytest.raises(ServiceError) as error:
        services.check_in(assembly, by=member)
    assert "only while the meeting is open" in str(error.value.message)
    services.open_assembly(assembly, by=board)
    services.check_in(assembly, by=member)
    assert services.is_checked_in(assembly, member.member_id)
    with pytest.raises(ServiceError):
        services.check_in(assembly, by=member)
    assert count(db, Attendance) == 1
    entry = entries(db, "assembly.checked_in")[-1]
    assert entry.data == {"member": member.member_id, "method": "self"} and entry.subject == assembly.subject


def test_any_account_of_the_member_checks_it_in(db, board, assembly, make_account):
    from govern.membership.models import MemberKind

    first = make_account(kind=MemberKind.ORGANISATION, name="Voedseltuin")
    second = make_account(member=first.member, name="Tweede delegate")
    services.open_assembly(assembly, by=board)
    services.check_in(assembly, by=second)
    with pytest.raises(ServiceError) as error:
        services.check_in(assembly, by=first)
    assert "already checked in" in str(error.value.message)


def test_a_teller_checks_in_someone_in_the_room(db, board, assembly, make_account, teller):
    member = make_account(name="Samira")
    other = make_account()
    services.open_assembly(assembly, by=board)
    with pytest.raises(ServiceError):
        services.check_in(assembly, by=other, member_id=member.member_id)  # not a teller
    services.check_in(assembly, by=teller, member_id=member.member_id)
    row = db.session.scalar(sa.select(Attendance).where(Attendance.member_id == member.member_id))
    assert row.method == "teller" and row.account_id == teller.id
    suspended = make_account(status=MemberStatus.SUSPENDED)
    with pytest.raises(ServiceError):
        services.check_in(assembly, by=teller, member_id=suspended.member_id)
    with pytest.raises(ServiceError):
        services.check_in(assembly, by=teller, member_id=999_999)


def test_check_in_is_refused_after_the_meeting(db, board, assembly):
    services.open_assembly(assembly, by=board)
    services.close_assembly(assembly, by=board)
    with pytest.raises(ServiceError):
        services.check_in(assembly, by=board)


# --- proxies --------------------------------------------------------------------------------------------------


def test_proxy_limit_per_holder(db, board, assembly, make_account):
    holder, a, b = make_account(name="Holder"), make_account(), make_account()
    services.give_proxy(assembly, by=a, holder_id=holder.member_id)
    with pytest.raises(ServiceError) as error:
        services.give_proxy(assembly, by=b, holder_id=holder.member_id)
    assert "Holder already holds as many proxies as one member may hold at this meeting (1)" in str(error.value.message)
    assert error.value.field == "holder"
    assert count(db, Proxy) == 1
    services.update_assembly(assembly, by=board, **settings(max_proxies=2))
    services.give_proxy(assembly, by=b, holder_id=holder.member_id)
    assert len(services.live_proxies_held(assembly, holder.member_id)) == 2
    assert [e.data["holder"] for e in entries(db, "assembly.proxy_given")] == [holder.member_id] * 2


def test_proxies_cannot_be_chained_or_doubled(db, board, assembly, make_account):
    a, b, c = make_account(name="A"), make_account(name="B"), make_account(name="C")
    services.update_assembly(assembly, by=board, **settings(max_proxies=3))
    services.give_proxy(assembly, by=a, holder_id=b.member_id)
    with pytest.raises(ServiceError) as error:  # B holds one, so cannot give its own away
        services.give_proxy(assembly, by=b, holder_id=c.member_id)
    assert "cannot give your own vote away" in str(error.value.message)
    with pytest.raises(ServiceError) as error:  # A gave its own away, so cannot hold one
        services.give_proxy(assembly, by=c, holder_id=a.member_id)
    assert "A has given their own proxy to someone else" in str(error.value.message)
    with pytest.raises(ServiceError):  # one live proxy per grantor
        services.give_proxy(assembly, by=a, holder_id=c.member_id)
    with pytest.raises(ServiceError):
        services.give_proxy(assembly, by=c, holder_id=c.member_id)
    with pytest.raises(ServiceError):
        services.give_proxy(assembly, by=c, holder_id=None)
    assert count(db, Proxy) == 1


def test_only_members_who_vote_at_assemblies_give_and_hold_proxies(db, assembly, make_account):
    member, participant = make_account(), make_account(tier="deelnemer")
    with pytest.raises(ServiceError):
        services.give_proxy(assembly, by=participant, holder_id=member.member_id)
    with pytest.raises(ServiceError):
        services.give_proxy(assembly, by=member, holder_id=participant.member_id)
    assert count(db, Proxy) == 0


def test_revoke_until_the_meeting_opens(db, board, assembly, make_account):
    a, b, c = make_account(), make_account(), make_account()
    proxy = services.give_proxy(assembly, by=a, holder_id=b.member_id)
    with pytest.raises(ServiceError):
        services.revoke_proxy(proxy, by=b)  # only the grantor
    services.revoke_proxy(proxy, by=a)
    assert proxy.revoked_at is not None
    with pytest.raises(ServiceError):
        services.revoke_proxy(proxy, by=a)
    again = services.give_proxy(assembly, by=a, holder_id=c.member_id)  # a new proxy after revoking
    services.open_assembly(assembly, by=board)
    with pytest.raises(ServiceError) as error:
        services.revoke_proxy(again, by=a)
    assert "fixed" in str(error.value.message)
    with pytest.raises(ServiceError):
        services.give_proxy(assembly, by=b, holder_id=c.member_id)
    assert again.revoked_at is None
    assert [e.type for e in db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.type.startswith("assembly.proxy_")).order_by(AuditEntry.seq)
    )] == ["assembly.proxy_given", "assembly.proxy_revoked", "assembly.proxy_given"]


# --- quorum ------------------------------------------------------------------------------------------------------


def test_the_proxy_holder_present_counts_the_grantor(db, board, assembly, make_account):
    members = [make_account() for _ in range(5)]  # with the board member: 6 votes
    holder, grantor = members[0], members[1]
    services.give_proxy(assembly, by=grantor, holder_id=holder.member_id)
    q = queries.quorum_view(assembly)
    assert (q.weight, q.total, q.needed, q.met, q.frozen) == (0, 6, 3, False, False)
    services.open_assembly(assembly, by=board)
    services.check_in(assembly, by=holder)
    q = queries.quorum_view(assembly)
    assert (q.present, q.represented, q.weight, q.met) == (1, 1, 2, False)
    services.check_in(assembly, by=board)
    q = queries.quorum_view(assembly)
    assert (q.present, q.represented, q.weight, q.total, q.needed, q.met, q.frozen) == (2, 1, 3, 6, 3, True, True)
    assert queries.quorum_sentence(q) == "Quorum reached: 3 of the 6 votes present or represented; needed: 3."
    # The grantor comes after all: counted once, as present.
    services.check_in(assembly, by=grantor)
    q = queries.quorum_view(assembly)
    assert (q.present, q.represented, q.weight) == (3, 0, 3)


def test_quorum_rounds_up_and_ignores_members_without_a_vote(db, board, make_account):
    assembly = make_assembly(board, quorum="2/3")
    for _ in range(3):
        make_account()
    participant = make_account(tier="deelnemer")
    services.open_assembly(assembly, by=board)
    services.check_in(assembly, by=participant)  # may attend, does not count
    q = queries.quorum_view(assembly)
    assert (q.total, q.needed, q.weight, q.present) == (4, 3, 0, 1)
    assert queries.quorum_sentence(q) == "Quorum not reached: 0 of the 4 votes present or represented; needed: 3."


# --- minutes -------------------------------------------------------------------------------------------------------


def run_meeting(db: Any, board: Any, assembly: Assembly, make_account: Any) -> tuple[VoteItem, Any]:
    voters = [make_account() for _ in range(3)]
    vote = services.add_vote(assembly.agenda[1], by=board, kind="motion", title="Vaststellen jaarrekening 2026")
    services.open_assembly(assembly, by=board)
    for account in [board, *voters]:
        services.check_in(assembly, by=account)
    voting.open_vote(vote, by=board)
    for account, choice in zip([board, *voters], ["yes", "yes", "no", "abstain"]):
        voting.cast_ballot(vote, by=account, member_id=account.member_id, ranking=[choice])
    voting.close_vote(vote, by=board)
    services.close_assembly(assembly, by=board)
    return vote, voters


def test_minutes_are_generated_from_agenda_attendance_and_votes(db, board, assembly, make_account):
    vote, _ = run_meeting(db, board, assembly, make_account)
    text = queries.minutes_markdown(queries.minutes(assembly))
    assert text.startswith("# Minutes: Algemene Ledenvergadering voorjaar 2027\n")
    assert "- Members present: 4" in text and "- Votes present or represented: 4 / 4" in text
    assert "Quorum reached: 4 of the 4 votes present or represented; needed: 2." in text
    assert text.index("### 1. Opening") < text.index("### 2. Jaarrekening 2026")
    assert "**Vote: Vaststellen jaarrekening 2026**" in text
    assert "- The motion is adopted." in text
    assert "- Yes: 2, no: 1, abstain or blank: 1 (votes cast: 3)." in text


def test_adopting_the_minutes_puts_their_digest_on_the_record(db, board, assembly, make_account):
    with pytest.raises(ServiceError):
        services.adopt_minutes(assembly, by=board, text="Te vroeg")
    run_meeting(db, board, assembly, make_account)
    with pytest.raises(ServiceError):
        services.adopt_minutes(assembly, by=board, text="   ")
    with pytest.raises(ServiceError):
        services.adopt_minutes(assembly, by=make_account(), text="Niet van het bestuur")
    text = queries.minutes_markdown(queries.minutes(assembly)) + "\nDe voorzitter dankt iedereen.\r\n"
    digest = services.adopt_minutes(assembly, by=board, text=text)
    assert assembly.minutes.endswith("De voorzitter dankt iedereen.\n") and "\r" not in assembly.minutes
    assert digest == hashlib.sha256(assembly.minutes.encode()).hexdigest()
    entry = entries(db, "assembly.minutes_adopted")[-1]
    assert entry.data == {"sha256": digest, "length": len(assembly.minutes)} and entry.subject == assembly.subject
    assert assembly.minutes_adopted_by_id == board.id
    with pytest.raises(ServiceError):
        services.adopt_minutes(assembly, by=board, text="Nog eens")
