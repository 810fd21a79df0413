"""The pages: forms with clear messages for bad input, check-in, proxies, quorum, paper ballots and minutes."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import sqlalchemy as sa

from govern.assemblies import services
from govern.assemblies.models import AgendaItem, Assembly, AssemblyDocument, AssemblyStatus, Attendance, Proxy
from govern.voting import services as voting
from govern.voting.models import Ballot, PaperSlip
from tests.assemblies.test_services import PDF, run_meeting
from tests.conftest import audit_count, csrf_token


def send(client: Any, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    return client.post(url, data={"csrf_token": csrf_token(client), **(data or {})}, **kwargs)


def count(db: Any, model: Any) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def text(response: Any) -> str:
    return response.get_data(as_text=True)


FORM = {
    "title": "ALV najaar 2027",
    "day": "2027-10-07",
    "time": "20:00",
    "place": "Het Klooster",
    "online_url": "https://meet.example.org/alv",
    "description": "Welkom",
    "quorum": "1/2",
    "max_proxies": "1",
}


def test_board_plans_a_meeting_through_the_form(client, auth, db, board):
    auth.as_account(board)
    assert client.get("/assemblies/new").status_code == 200
    response = send(client, "/assemblies/new", FORM)
    assert response.status_code == 302, text(response)
    assembly = db.session.scalar(sa.select(Assembly))
    assert assembly.starts_at == dt.datetime(2027, 10, 7, 18, 0, tzinfo=dt.UTC)  # 20:00 summer time in Amsterdam
    page = text(client.get(f"/assemblies/{assembly.id}"))
    assert "ALV najaar 2027" in page and "Open the meeting" in page
    assert "Thursday 7 October 2027, 20:00" in page  # shown in Amsterdam time
    edit = text(client.get(f"/assemblies/{assembly.id}/edit"))
    assert 'value="2027-10-07"' in edit and 'value="20:00"' in edit


def test_bad_settings_give_a_message_and_store_nothing(client, auth, db, board):
    auth.as_account(board)
    before = audit_count(db)
    cases = [
        ({"day": "2027-02-30"}, "Not a valid date value"),
        ({"day": ""}, "Fill in the date"),
        ({"time": "25:99"}, "Not a valid time value"),
        ({"day": "2020-01-01"}, "Choose a date and time in the future."),
        ({"quorum": "de helft"}, "Write the quorum as a share of the votes"),
        ({"quorum": "3/2"}, "Write the quorum as a share of the votes"),
        ({"max_proxies": "veel"}, "Fill in a whole number from 0 to 10."),
        ({"online_url": "ftp://x"}, "Fill in a web address that starts with https://"),
    ]
    for overrides, message in cases:
        response = send(client, "/assemblies/new", {**FORM, **overrides})
        assert response.status_code == 422, overrides
        assert message in text(response), (overrides, text(response))
    assert count(db, Assembly) == 0 and audit_count(db) == before


def test_agenda_through_the_pages(client, auth, db, board, assembly):
    auth.as_account(board)
    response = send(client, f"/assemblies/{assembly.id}/agenda/new", {"title": "Rondvraag", "thread": "y"})
    assert response.status_code == 302
    item = db.session.scalar(sa.select(AgendaItem).where(AgendaItem.title == "Rondvraag"))
    assert item.has_thread and item.position == 2
    assert send(client, f"/assemblies/{assembly.id}/agenda/new", {"title": ""}).status_code == 422
    send(client, f"/agenda/{item.id}/move", {"direction": "up"})
    db.session.expire_all()
    assert [i.title for i in assembly.agenda] == ["Opening", "Rondvraag", "Jaarrekening 2026"]
    page = text(client.get(f"/agenda/{item.id}"))
    assert "Discussion" in page and f'/threads/agenda:{item.id}' in page
    send(client, f"/agenda/{item.id}/remove")
    db.session.expire_all()
    assert [i.title for i in assembly.agenda] == ["Opening", "Jaarrekening 2026"]
    # A motion under an item; the item page links to the vote.
    target = assembly.agenda[1]
    assert client.get(f"/agenda/{target.id}/vote").status_code == 200
    response = send(client, f"/agenda/{target.id}/vote", {"kind": "election", "title": "Bestuur", "seats": "1", "candidates": "Anouk"})
    assert response.status_code == 422 and "at least two candidates" in text(response)
    response = send(client, f"/agenda/{target.id}/vote", {"kind": "motion", "title": "Vaststellen jaarrekening", "secret": "y"})
    assert response.status_code == 302
    db.session.refresh(target)
    assert target.vote_id is not None
    assert f"/votes/{target.vote_id}" in text(client.get(f"/agenda/{target.id}"))


def upload(client: Any, url: str, data: bytes, name: str = "jaarrekening.pdf", title: str = "Jaarrekening") -> Any:
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    # Encoded in memory: the test client would spool a large body to a temporary file it never closes.
    boundary, body = encode_multipart(
        {"csrf_token": csrf_token(client), "title": title, "file": FileStorage(io.BytesIO(data), filename=name)}
    )
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def test_documents_upload_list_and_download(client, auth, db, board, assembly):
    auth.as_account(board)
    url = f"/assemblies/{assembly.id}/documents/new"
    assert client.get(url).status_code == 200
    response = upload(client, url, PDF)
    assert response.status_code == 302
    doc = db.session.scalar(sa.select(AssemblyDocument))
    assert "Jaarrekening" in text(client.get(f"/assemblies/{assembly.id}")) and doc.sha256 in text(client.get(f"/assemblies/{assembly.id}"))
    auth.sign_out()
    download = client.get(f"/assemblies/documents/{doc.id}")
    assert download.status_code == 200 and download.data == PDF and download.mimetype == "application/pdf"
    assert 'attachment; filename="jaarrekening.pdf"' == download.headers["Content-Disposition"]


def test_bad_uploads_give_a_message_and_store_nothing(client, auth, db, board, assembly):
    auth.as_account(board)
    url = f"/assemblies/{assembly.id}/documents/new"
    before = audit_count(db)
    response = upload(client, url, b"MZ\x90\x00 not a pdf", name="virus.pdf")
    assert response.status_code == 422 and "This file is not a PDF, PNG or JPEG" in text(response)
    big = b"%PDF-" + b"0" * services.MAX_DOCUMENT_BYTES  # 10 MB and 5 bytes
    response = upload(client, url, big)
    assert response.status_code == 422 and "This file is too large. A document can be at most 10 MB." in text(response)
    response = client.post(url, data={"csrf_token": csrf_token(client), "title": "Leeg"}, content_type="multipart/form-data")
    assert response.status_code == 422 and "Choose a file" in text(response)
    assert count(db, AssemblyDocument) == 0 and audit_count(db) == before


def test_check_in_by_the_member_and_by_a_teller(client, auth, db, board, assembly, make_account, teller):
    member = make_account(name="Samira Benali")
    auth.as_account(member)
    response = send(client, f"/assemblies/{assembly.id}/check-in")
    assert response.status_code == 302
    assert "Check-in is possible only while the meeting is open." in text(client.get(f"/assemblies/{assembly.id}"))
    services.open_assembly(assembly, by=board)
    page = text(client.get(f"/assemblies/{assembly.id}"))
    assert "Check in: I am here" in page
    send(client, f"/assemblies/{assembly.id}/check-in")
    assert "You are checked in." in text(client.get(f"/assemblies/{assembly.id}"))
    assert client.get(f"/assemblies/{assembly.id}/attendance").status_code == 403
    # A teller finds someone by name (accents and case do not matter) and checks them in.
    other = make_account(name="Ayşe Yılmaz")
    auth.as_account(teller)
    listing = text(client.get(f"/assemblies/{assembly.id}/attendance", query_string={"q": "ayse"}))
    assert "Ayşe Yılmaz" in listing and "Samira Benali" in listing  # in the search result, and present
    response = send(client, f"/assemblies/{assembly.id}/attendance", {"member": str(other.member_id), "q": "ayse"})
    assert response.status_code == 302 and "q=ayse" in response.headers["Location"]
    assert count(db, Attendance) == 2
    listing = text(client.get(f"/assemblies/{assembly.id}/attendance"))
    assert "by a teller" in listing and "2 members present" in listing
    send(client, f"/assemblies/{assembly.id}/attendance", {"member": str(other.member_id)})
    assert "Ayşe Yılmaz is already checked in." in text(client.get(f"/assemblies/{assembly.id}/attendance"))


def test_live_quorum_on_the_page(client, auth, db, board, assembly, make_account):
    members = [make_account() for _ in range(3)]
    services.open_assembly(assembly, by=board)
    services.check_in(assembly, by=members[0])
    page = text(client.get(f"/assemblies/{assembly.id}"))
    assert "Quorum not reached: 1 of the 4 votes present or represented; needed: 2." in page
    assert re.search(r'<meter id="quorum-meter" min="0" max="4" low="2" high="2" optimum="4" value="1">', page)
    services.check_in(assembly, by=members[1])
    assert "Quorum reached: 2 of the 4 votes present or represented; needed: 2." in text(client.get(f"/assemblies/{assembly.id}"))


def test_proxy_pages(client, auth, db, board, assembly, make_account):
    holder, grantor, late = make_account(name="Houder"), make_account(name="Gever"), make_account(name="Laat")
    auth.as_account(grantor)
    page = text(client.get(f"/assemblies/{assembly.id}/proxy"))
    assert "Houder" in page and "Gever" not in page.split('id="holder"')[1]
    response = send(client, f"/assemblies/{assembly.id}/proxy", {"holder": str(holder.member_id)})
    assert response.status_code == 302
    assert "Houder votes for you at this meeting" in text(client.get(f"/assemblies/{assembly.id}"))
    auth.as_account(late)
    response = send(client, f"/assemblies/{assembly.id}/proxy", {"holder": str(holder.member_id)})
    assert response.status_code == 422 and "Houder already holds as many proxies as one member may hold at this meeting (1)." in text(response)
    response = send(client, f"/assemblies/{assembly.id}/proxy", {"holder": "not-a-number"})
    assert response.status_code == 422 and "Choose a member who may vote at general meetings." in text(response)
    proxy = db.session.scalar(sa.select(Proxy))
    assert send(client, f"/assemblies/proxies/{proxy.id}/revoke").status_code == 403  # not the grantor
    auth.as_account(grantor)
    assert send(client, f"/assemblies/proxies/{proxy.id}/revoke").status_code == 302
    assert proxy.revoked_at is not None
    # Participants (no vote at assemblies) cannot use the page.
    auth.as_account(make_account(tier="deelnemer"))
    assert client.get(f"/assemblies/{assembly.id}/proxy").status_code == 403


def test_paper_ballots_through_the_pages(client, auth, db, board, assembly, make_account, teller, teller2):
    members = [make_account(name=f"Lid {i}") for i in range(2)]
    vote = services.add_vote(assembly.agenda[1], by=board, kind="motion", title="Jaarrekening")
    services.open_assembly(assembly, by=board)
    for m in members:
        services.check_in(assembly, by=m)
    voting.open_vote(vote, by=board)
    auth.as_account(teller)
    page = text(client.get(f"/votes/{vote.id}/paper"))
    assert "Lid 0" in page and "Mark: voted on paper" in page
    for m in members:
        assert send(client, f"/votes/{vote.id}/paper/voters", {"member": str(m.member_id)}).status_code == 302
    send(client, f"/votes/{vote.id}/paper/voters", {"member": str(members[0].member_id)})
    assert "Lid 0 has already voted" in text(client.get(f"/votes/{vote.id}/paper"))
    assert client.get(f"/votes/{vote.id}/paper/slips").status_code == 200
    response = send(client, f"/votes/{vote.id}/paper/slips", {"number": "1"})
    assert response.status_code == 422 and "Choose yes, no or abstain." in text(response)
    response = send(client, f"/votes/{vote.id}/paper/slips", {"number": "", "choice": "yes"})
    assert response.status_code == 422 and "Fill in the number written on the slip" in text(response)
    send(client, f"/votes/{vote.id}/paper/slips", {"number": "1", "choice": "yes"})
    response = send(client, f"/votes/{vote.id}/paper/slips", {"number": "2", "choice": "no"})
    assert response.status_code == 302 and "next=3" in response.headers["Location"]
    auth.as_account(teller2)
    send(client, f"/votes/{vote.id}/paper/slips", {"number": "1", "choice": "yes"})
    send(client, f"/votes/{vote.id}/paper/slips", {"number": "2", "choice": "abstain"})
    page = text(client.get(f"/votes/{vote.id}/paper"))
    assert 'class="slip-state-mismatch"' in page and "the entries differ" in page
    assert "Accept the slips" not in page
    send(client, f"/votes/{vote.id}/paper/accept")
    assert count(db, Ballot) == 0
    # Teller 2 opens their own entry and corrects it.
    form = text(client.get(f"/votes/{vote.id}/paper/slips", query_string={"number": "2"}))
    assert "You are correcting your own entry of slip 2." in form and 'value="abstain" checked' in form
    send(client, f"/votes/{vote.id}/paper/slips", {"number": "2", "choice": "no"})
    page = text(client.get(f"/votes/{vote.id}/paper"))
    assert "slip-state-mismatch" not in page and "Accept the slips" in page
    response = send(client, f"/votes/{vote.id}/paper/accept")
    assert response.status_code == 302
    assert "2 ballots are in the box" in text(client.get(f"/votes/{vote.id}/paper"))
    assert count(db, Ballot) == 2 and all(s.accepted for s in db.session.scalars(sa.select(PaperSlip)))
    # Members cannot see the teller pages.
    auth.as_account(members[0])
    assert client.get(f"/votes/{vote.id}/paper").status_code == 403


def test_minutes_page_download_and_adoption(client, auth, db, board, assembly, make_account):
    run_meeting(db, board, assembly, make_account)
    page = text(client.get(f"/assemblies/{assembly.id}/minutes"))
    assert "Draft: the board has not adopted these minutes yet." in page
    assert "Quorum reached: 4 of the 4 votes present or represented; needed: 2." in page
    assert "The motion is adopted." in page and "assemblies.css" in page and "Adopt these minutes" not in page
    download = client.get(f"/assemblies/{assembly.id}/minutes.md")
    assert download.mimetype == "text/markdown" and download.get_data(as_text=True).startswith("# Minutes: ")
    auth.as_account(board)
    page = text(client.get(f"/assemblies/{assembly.id}/minutes"))
    assert "Adopt these minutes" in page
    response = send(client, f"/assemblies/{assembly.id}/minutes", {"text": ""})
    assert response.status_code == 422 and "The minutes are empty." in text(response)
    assert assembly.minutes is None
    body = download.get_data(as_text=True) + "\nDe voorzitter sluit om 22:00 uur.\n"
    assert send(client, f"/assemblies/{assembly.id}/minutes", {"text": body}).status_code == 302
    db.session.refresh(assembly)
    assert assembly.minutes is not None
    page = text(client.get(f"/assemblies/{assembly.id}/minutes"))
    assert "Adopted by the board on" in page and "De voorzitter sluit om 22:00 uur." in page and "Adopt these minutes" not in page
    assert client.get(f"/assemblies/{assembly.id}/minutes.md").get_data(as_text=True) == assembly.minutes


def test_open_and_end_the_meeting_from_the_page(client, auth, db, board, assembly):
    auth.as_account(board)
    send(client, f"/assemblies/{assembly.id}/open")
    assert assembly.status == AssemblyStatus.OPEN and assembly.total_weight == 1
    response = send(client, f"/assemblies/{assembly.id}/close")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/assemblies/{assembly.id}/minutes")
    assert assembly.status == AssemblyStatus.CLOSED
    listing = text(client.get("/assemblies"))
    assert "Earlier meetings" in listing and "not adopted yet" in listing


def test_demo_meeting(db, board, tiers):
    from govern.assemblies import demo

    demo.load(board)
    demo.load(board)  # twice: nothing added
    assembly = db.session.scalars(sa.select(Assembly)).one()
    assert assembly.title == "Algemene Ledenvergadering voorjaar 2027" and assembly.status == AssemblyStatus.PLANNED
    assert len(assembly.agenda) == 6
    kinds = sorted(v.kind.value for v in voting_votes(db, assembly))
    assert kinds == ["election", "motion"]


def voting_votes(db: Any, assembly: Any) -> list[Any]:
    from govern.voting.models import VoteItem

    return list(db.session.scalars(sa.select(VoteItem).where(VoteItem.assembly_id == assembly.id)))
