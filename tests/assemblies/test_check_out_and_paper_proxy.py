"""Check-out (self and by a teller) and proxies the board records from paper: services and pages."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from govern.assemblies import queries, services
from govern.assemblies.models import Attendance, Proxy
from govern.audit.log import AuditEntry
from govern.services import ServiceError
from govern.voting import services as voting
from govern.voting.models import Participation
from tests.assemblies.factories import settings
from tests.conftest import audit_count, csrf_token


def count(db: Any, model: Any) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def last_entry(db: Any) -> AuditEntry:
    return db.session.scalar(sa.select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1))


def send(client: Any, url: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(url, data={"csrf_token": csrf_token(client), **(data or {})})


def text(response: Any) -> str:
    return response.get_data(as_text=True)


def refused(db: Any, call: Any, message: str) -> ServiceError:
    """The call is refused with ``message`` and writes nothing (no audit entry, no attendance or proxy change)."""
    before = (audit_count(db), count(db, Attendance), count(db, Proxy))
    with pytest.raises(ServiceError) as error:
        call()
    assert message in str(error.value.message)
    db.session.rollback()
    assert (audit_count(db), count(db, Attendance), count(db, Proxy)) == before
    return error.value


# --- check-out: services ----------------------------------------------------------------------------------


def test_a_member_checks_itself_out_and_the_quorum_drops(db, board, assembly, make_account):
    members = [make_account() for _ in range(3)]  # with the board member: 4 votes, 2 needed
    services.open_assembly(assembly, by=board)
    services.check_in(assembly, by=members[0])
    services.check_in(assembly, by=members[1])
    q = queries.quorum_view(assembly)
    assert (q.present, q.weight, q.met) == (2, 2, True)
    before = audit_count(db)
    member = services.check_out(assembly, by=members[1])
    assert member.id == members[1].member_id
    assert not services.is_checked_in(assembly, members[1].member_id)
    assert count(db, Attendance) == 1 and audit_count(db) == before + 1
    entry = last_entry(db)
    assert entry.type == "assembly.checked_out" and entry.subject == assembly.subject
    assert entry.data == {"member": members[1].member_id, "method": "self"}
    q = queries.quorum_view(assembly)
    assert (q.present, q.weight, q.met) == (1, 1, False)
    # Checking in again after checking out is possible.
    services.check_in(assembly, by=members[1])
    assert queries.quorum_view(assembly).weight == 2


def test_a_teller_checks_out_someone_and_the_proxy_they_hold_stops_counting(db, board, assembly, make_account, teller):
    holder, grantor, other = make_account(name="Houder"), make_account(), make_account()
    services.give_proxy(assembly, by=grantor, holder_id=holder.member_id)
    services.open_assembly(assembly, by=board)
    services.check_in(assembly, by=teller, member_id=holder.member_id)
    q = queries.quorum_view(assembly)
    assert (q.present, q.represented, q.weight) == (1, 1, 2)
    refused(db, lambda: services.check_out(assembly, by=other, member_id=holder.member_id), "Only tellers and the board")
    before = audit_count(db)
    services.check_out(assembly, by=teller, member_id=holder.member_id)
    assert count(db, Attendance) == 0 and audit_count(db) == before + 1
    assert last_entry(db).data == {"member": holder.member_id, "method": "teller"}
    q = queries.quorum_view(assembly)
    assert (q.present, q.represented, q.weight) == (0, 0, 0)


def test_check_out_refusals_write_nothing(db, board, assembly, make_account, teller):
    member = make_account(name="Nog Niet")
    refused(db, lambda: services.check_out(assembly, by=member), "only while the meeting is open")
    services.open_assembly(assembly, by=board)
    refused(db, lambda: services.check_out(assembly, by=member), "Nog Niet is not checked in.")
    refused(db, lambda: services.check_out(assembly, by=teller, member_id=member.member_id), "Nog Niet is not checked in.")
    refused(db, lambda: services.check_out(assembly, by=teller, member_id=999_999), "Choose a member from the list.")
    services.check_in(assembly, by=member)
    services.close_assembly(assembly, by=board)
    refused(db, lambda: services.check_out(assembly, by=member), "only while the meeting is open")
    assert count(db, Attendance) == 1


def test_a_ballot_cast_before_checking_out_stays(db, board, assembly, make_account):
    member = make_account()
    vote = services.add_vote(assembly.agenda[1], by=board, kind="motion", title="Jaarrekening")
    services.open_assembly(assembly, by=board)
    services.check_in(assembly, by=member)
    voting.open_vote(vote, by=board)
    voting.cast_ballot(vote, by=member, member_id=member.member_id, ranking=["yes"])
    services.check_out(assembly, by=member)
    assert db.session.scalar(
        sa.select(sa.func.count()).select_from(Participation).where(Participation.vote_id == vote.id)
    ) == 1


# --- paper proxies: services ---------------------------------------------------------------------------------


def test_the_board_records_a_paper_proxy(db, board, assembly, make_account):
    grantor, holder = make_account(name="Gever"), make_account(name="Houder")
    before = audit_count(db)
    proxy = services.record_paper_proxy(assembly, by=board, grantor_id=grantor.member_id, holder_id=holder.member_id)
    assert (proxy.grantor_id, proxy.holder_id, proxy.created_by_id) == (grantor.member_id, holder.member_id, board.id)
    assert services.is_paper(proxy) and count(db, Proxy) == 1 and audit_count(db) == before + 1
    entry = last_entry(db)
    assert entry.type == "assembly.proxy_given" and entry.actor == f"account:{board.id}"
    assert entry.data == {"proxy": proxy.id, "grantor": grantor.member_id, "holder": holder.member_id, "paper": True}
    # It counts like any proxy.
    services.open_assembly(assembly, by=board)
    services.check_in(assembly, by=holder)
    assert queries.quorum_view(assembly).represented == 1


def test_a_proxy_given_online_is_not_paper(db, assembly, make_account):
    a, b = make_account(), make_account()
    proxy = services.give_proxy(assembly, by=a, holder_id=b.member_id)
    assert not services.is_paper(proxy)
    assert "paper" not in last_entry(db).data


def test_paper_proxies_obey_every_proxy_rule(db, board, assembly, make_account):
    a, b, c, d = (make_account(name=n) for n in ("A", "B", "C", "D"))
    participant = make_account(tier="deelnemer", name="Deelnemer")

    def paper(grantor: Any, holder: Any) -> Any:
        return lambda: services.record_paper_proxy(
            assembly, by=board, grantor_id=getattr(grantor, "member_id", grantor), holder_id=getattr(holder, "member_id", holder)
        )

    assert refused(db, paper(a, a), "cannot give a proxy to itself").field == "holder"
    assert refused(db, paper(participant, a), "Choose a member who may vote").field == "grantor"
    assert refused(db, paper(a, participant), "Choose a member who may vote").field == "holder"
    assert refused(db, paper(None, a), "Choose a member who may vote").field == "grantor"
    assert refused(db, paper(a, 999_999), "Choose a member who may vote").field == "holder"
    services.record_paper_proxy(assembly, by=board, grantor_id=a.member_id, holder_id=b.member_id)
    # The holder's maximum (1).
    assert refused(db, paper(c, b), "B already holds as many proxies as one member may hold at this meeting (1)").field == "holder"
    # No chains: B holds one, so cannot give its own away; A gave its own, so cannot hold one.
    assert refused(db, paper(b, c), "B holds a proxy for another member").field == "grantor"
    assert refused(db, paper(c, a), "A has given their own proxy to someone else").field == "holder"
    # One live proxy per grantor.
    assert refused(db, paper(a, c), "A has already authorised B").field == "grantor"
    # Online and on paper share the rules: C gives online to D, then D cannot give on paper.
    services.give_proxy(assembly, by=c, holder_id=d.member_id)
    refused(db, paper(d, a), "D holds a proxy for another member")
    e, f = make_account(name="E"), make_account(name="F")
    services.update_assembly(assembly, by=board, **settings(max_proxies=0))
    refused(db, paper(e, f), "No proxies at this meeting.")
    assert count(db, Proxy) == 2


def test_paper_proxies_only_by_the_board_and_only_before_opening(db, board, assembly, make_account, teller):
    a, b = make_account(), make_account()
    refused(
        db,
        lambda: services.record_paper_proxy(assembly, by=teller, grantor_id=a.member_id, holder_id=b.member_id),
        "Only the board can do this.",
    )
    refused(
        db,
        lambda: services.record_paper_proxy(assembly, by=a, grantor_id=a.member_id, holder_id=b.member_id),
        "Only the board can do this.",
    )
    services.open_assembly(assembly, by=board)
    refused(
        db,
        lambda: services.record_paper_proxy(assembly, by=board, grantor_id=a.member_id, holder_id=b.member_id),
        "Proxies can be given until the meeting opens.",
    )


def test_the_board_revokes_a_paper_proxy_until_opening(db, board, assembly, make_account):
    a, b, c, d = (make_account() for _ in range(4))
    online = services.give_proxy(assembly, by=c, holder_id=d.member_id)
    refused(db, lambda: services.revoke_proxy(online, by=board), "Only the member who gave the proxy")  # not on paper
    proxy = services.record_paper_proxy(assembly, by=board, grantor_id=a.member_id, holder_id=b.member_id)
    refused(db, lambda: services.revoke_proxy(proxy, by=b), "Only the member who gave the proxy")
    before = audit_count(db)
    services.revoke_proxy(proxy, by=board)
    assert proxy.revoked_at is not None and audit_count(db) == before + 1
    entry = last_entry(db)
    assert entry.type == "assembly.proxy_revoked" and entry.actor == f"account:{board.id}"
    assert entry.data == {"proxy": proxy.id, "grantor": a.member_id, "holder": b.member_id, "paper": True}
    # The grantor may revoke its own paper proxy too; after opening nobody can.
    again = services.record_paper_proxy(assembly, by=board, grantor_id=a.member_id, holder_id=b.member_id)
    services.revoke_proxy(again, by=a)
    third = services.record_paper_proxy(assembly, by=board, grantor_id=a.member_id, holder_id=b.member_id)
    services.open_assembly(assembly, by=board)
    refused(db, lambda: services.revoke_proxy(third, by=board), "proxies are fixed now")
    assert third.revoked_at is None


# --- pages ------------------------------------------------------------------------------------------------------


def test_check_out_through_the_pages(client, auth, db, board, assembly, make_account, teller):
    member = make_account(name="Samira Benali")
    other = make_account(name="Ayşe Yılmaz")
    services.open_assembly(assembly, by=board)
    auth.as_account(member)
    assert "Check out" not in text(client.get(f"/assemblies/{assembly.id}"))
    send(client, f"/assemblies/{assembly.id}/check-in")
    page = text(client.get(f"/assemblies/{assembly.id}"))
    assert "You are checked in." in page and f'action="/assemblies/{assembly.id}/check-out"' in page
    assert "A vote you already cast still counts." in page
    response = send(client, f"/assemblies/{assembly.id}/check-out")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/assemblies/{assembly.id}")
    page = text(client.get(f"/assemblies/{assembly.id}"))
    assert "You are checked out. A vote you already cast still counts." in page and "Check in: I am here" in page
    assert count(db, Attendance) == 0
    before = audit_count(db)
    send(client, f"/assemblies/{assembly.id}/check-out")
    assert "Samira Benali is not checked in." in text(client.get(f"/assemblies/{assembly.id}"))
    assert audit_count(db) == before
    # A member cannot check out someone else through the teller form.
    services.check_in(assembly, by=other)
    assert send(client, f"/assemblies/{assembly.id}/attendance/check-out", {"member": str(other.member_id)}).status_code == 403
    # A teller checks out from the attendance list.
    auth.as_account(teller)
    listing = text(client.get(f"/assemblies/{assembly.id}/attendance"))
    assert f'action="/assemblies/{assembly.id}/attendance/check-out"' in listing and "1 member present" in listing
    response = send(client, f"/assemblies/{assembly.id}/attendance/check-out", {"member": str(other.member_id), "q": "ayse"})
    assert response.status_code == 302 and "q=ayse" in response.headers["Location"]
    listing = text(client.get(f"/assemblies/{assembly.id}/attendance"))
    assert "Ayşe Yılmaz is checked out. A vote already cast still counts." in listing and "0 members present" in listing
    assert "Quorum not reached: 0 of the" in listing
    before = audit_count(db)
    send(client, f"/assemblies/{assembly.id}/attendance/check-out", {"member": ""})
    assert "Choose a member from the list." in text(client.get(f"/assemblies/{assembly.id}/attendance"))
    assert audit_count(db) == before


def test_paper_proxy_through_the_pages(client, auth, db, board, assembly, make_account):
    grantor, holder, late = make_account(name="Gever"), make_account(name="Houder"), make_account(name="Laat")
    make_account(tier="deelnemer", name="Deelnemer Zonder Stem")
    auth.as_account(grantor)
    assert client.get(f"/assemblies/{assembly.id}/paper-proxy").status_code == 403
    assert send(client, f"/assemblies/{assembly.id}/paper-proxy", {"grantor": str(grantor.member_id), "holder": str(holder.member_id)}).status_code == 403
    assert count(db, Proxy) == 0
    auth.as_account(board)
    assert "Record a proxy on paper" in text(client.get(f"/assemblies/{assembly.id}"))
    page = text(client.get(f"/assemblies/{assembly.id}/paper-proxy"))
    assert "Houder" in page and "Deelnemer Zonder Stem" not in page
    response = send(client, f"/assemblies/{assembly.id}/paper-proxy", {"grantor": str(grantor.member_id), "holder": str(holder.member_id)})
    assert response.status_code == 302
    page = text(client.get(f"/assemblies/{assembly.id}/paper-proxy"))
    assert "The paper proxy is recorded." in page and "on paper" in page
    before = audit_count(db)
    response = send(client, f"/assemblies/{assembly.id}/paper-proxy", {"grantor": str(late.member_id), "holder": str(holder.member_id)})
    assert response.status_code == 422
    assert "Houder already holds as many proxies as one member may hold at this meeting (1)." in text(response)
    response = send(client, f"/assemblies/{assembly.id}/paper-proxy", {"grantor": "", "holder": str(holder.member_id)})
    assert response.status_code == 422 and "Choose a member who may vote at general meetings." in text(response)
    assert audit_count(db) == before and count(db, Proxy) == 1
    # The grantor sees it on its own page; the board revokes it.
    proxy = db.session.scalar(sa.select(Proxy))
    response = send(client, f"/assemblies/proxies/{proxy.id}/revoke")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/assemblies/{assembly.id}/paper-proxy")
    assert proxy.revoked_at is not None
    assert "The paper proxy is revoked." in text(client.get(f"/assemblies/{assembly.id}/paper-proxy"))
    # An online proxy is not the board's to revoke.
    online = services.give_proxy(assembly, by=late, holder_id=holder.member_id)
    assert send(client, f"/assemblies/proxies/{online.id}/revoke").status_code == 403
    assert online.revoked_at is None
