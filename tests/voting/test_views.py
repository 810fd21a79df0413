"""Vote pages: the list, a vote's page, the board's set-up, open and close, and casting a ballot."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import sqlalchemy as sa

from govern.assemblies.models import Assembly, AssemblyStatus, Attendance, Proxy
from govern.audit.log import AuditEntry
from govern.extensions import db as _db
from govern.voting import services
from govern.voting.models import Ballot, Channel, Participation, VoteItem, VoteKind, VoteStatus
from tests.conftest import audit_count, csrf_token
from tests.voting.factories import make_election, make_motion


def count(db: Any, model: Any, *where: Any) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def send(client: Any, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    return client.post(url, data={"csrf_token": csrf_token(client, "/votes"), **(data or {})}, **kwargs)


def text(response: Any) -> str:
    return response.get_data(as_text=True)


@pytest.fixture()
def voter(make_account: Any) -> Any:
    return make_account(tier="lid", name="Fatima")


# --- casting ---------------------------------------------------------------------------------


def test_review_then_confirm_casts_exactly_one_ballot(db, client, auth, board, tiers, voter):
    election = make_election(board, tiers)
    auth.as_account(voter)
    url = f"/votes/{election.id}/ballot"
    form = {"member": voter.member_id, "rank-c1": "2", "rank-c2": "", "rank-c3": "1", "rank-c4": ""}
    review = send(client, url, {**form, "step": "review"})
    html = text(review)
    assert review.status_code == 200 and "Check your ballot" in html
    assert re.search(r"<ol class=\"review-list\">\s*<li><strong>Chantal</strong>.*?<li><strong>Anouk</strong>", html, re.S)
    assert "Go back to change it" in html and "Cast my vote" in html
    # The review page carries the ranking in hidden fields, in order.
    assert 'name="rank-c3" value="1"' in html and 'name="rank-c1" value="2"' in html
    assert count(db, Ballot) == 0  # the review writes nothing
    # Back to change it: the ballot again, with the choices kept.
    back = send(client, url, {**form, "step": "edit"})
    assert back.status_code == 200 and re.search(r'<select id="rank-c3".*?value="1" selected', text(back), re.S)

    confirm = send(client, url, {"member": voter.member_id, "rank-c3": "1", "rank-c1": "2", "step": "confirm"})
    assert confirm.status_code == 303 and confirm.headers["Location"].endswith(f"/votes/{election.id}/done")
    ballots = list(db.session.scalars(sa.select(Ballot).where(Ballot.vote_id == election.id)))
    assert len(ballots) == 1 and ballots[0].ranking == ["c3", "c1"]
    assert ballots[0].member_id is None and ballots[0].cast_at is None  # secret
    assert count(db, Participation, Participation.vote_id == election.id) == 1

    # The done page shows the tracker once.
    done = client.get(f"/votes/{election.id}/done")
    assert done.status_code == 200 and ballots[0].tracker in text(done)
    assert "no-store" in done.headers["Cache-Control"]
    assert f"/votes/{election.id}/results" in text(done)
    again = client.get(f"/votes/{election.id}/done")
    assert ballots[0].tracker not in text(again) and "You have voted" in text(again)


def test_second_confirm_is_refused_with_409_and_writes_nothing(db, client, auth, board, tiers, voter):
    motion = make_motion(board, tiers)
    auth.as_account(voter)
    url = f"/votes/{motion.id}/ballot"
    first = send(client, url, {"member": voter.member_id, "choice": "yes", "step": "confirm"})
    assert first.status_code == 303
    before = audit_count(db)
    second = send(client, url, {"member": voter.member_id, "choice": "no", "step": "confirm"})
    assert second.status_code == 409
    assert "already voted" in text(second)
    assert count(db, Ballot, Ballot.vote_id == motion.id) == 1
    assert db.session.scalar(sa.select(Ballot.ranking).where(Ballot.vote_id == motion.id)) == ["yes"]
    assert audit_count(db) == before
    # The ballot page itself says so, too.
    page = client.get(url)
    assert page.status_code == 200 and "You have already voted" in text(page)
    assert "You have voted." in text(client.get(f"/votes/{motion.id}"))


def test_race_in_the_service_still_gives_409(db, client, auth, board, tiers, voter, monkeypatch):
    motion = make_motion(board, tiers)
    auth.as_account(voter)
    # Another device was a moment faster: the page saw "not voted", the service refuses.
    services.cast_ballot(motion, by=voter, member_id=voter.member_id, ranking=["no"])
    real = services.voters_for

    def stale(vote: Any, account: Any) -> list[Any]:
        return [services.Voter(member=v.member, weight=v.weight, via_proxy=v.via_proxy, voted=False, reason=v.reason)
                for v in real(vote, account)]

    monkeypatch.setattr(services, "voters_for", stale)
    response = send(client, f"/votes/{motion.id}/ballot", {"member": voter.member_id, "choice": "yes", "step": "confirm"})
    assert response.status_code == 409 and "already been cast" in text(response)
    assert count(db, Ballot, Ballot.vote_id == motion.id) == 1


def test_closed_and_draft_votes_refuse_ballots(db, client, auth, board, tiers, voter):
    motion = make_motion(board, tiers)
    services.close_vote(motion, by=board)
    draft = make_motion(board, tiers, open_=False, opens_at=dt.datetime(2030, 1, 1, 10, tzinfo=dt.UTC))
    auth.as_account(voter)
    for vote, words in ((motion, "This vote is closed"), (draft, "not open yet")):
        page = client.get(f"/votes/{vote.id}/ballot")
        assert page.status_code == 200 and words in text(page)
        response = send(client, f"/votes/{vote.id}/ballot", {"member": voter.member_id, "choice": "yes", "step": "confirm"})
        assert response.status_code == 409 and words in text(response)
    assert count(db, Ballot) == 0 and count(db, Participation) == 0


def test_anonymous_visitors_are_sent_to_sign_in(client, board, tiers):
    motion = make_motion(board, tiers)
    response = client.get(f"/votes/{motion.id}/ballot")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_roll_call_ballot_names_the_member(db, client, auth, board, tiers, voter):
    motion = make_motion(board, tiers, secret=False)
    auth.as_account(voter)
    review = send(client, f"/votes/{motion.id}/ballot", {"member": voter.member_id, "choice": "abstain", "step": "review"})
    assert "roll call" in text(review)
    send(client, f"/votes/{motion.id}/ballot", {"member": voter.member_id, "choice": "abstain", "step": "confirm"})
    ballot = db.session.scalars(sa.select(Ballot).where(Ballot.vote_id == motion.id)).one()
    assert ballot.member_id == voter.member_id and ballot.ranking == ["abstain"]


# --- proxies at an assembly --------------------------------------------------------------------


@pytest.fixture()
def assembly_vote(db: Any, board: Any, tiers: Any, make_account: Any) -> dict[str, Any]:
    holder = make_account(tier="lid", name="Henk Houder")
    grantor = make_account(tier="lid", name="Greet Gever")
    absent = make_account(tier="lid", name="Ali Afwezig")
    assembly = Assembly(title="ALV voorjaar", starts_at=dt.datetime(2027, 4, 1, 18, tzinfo=dt.UTC), status=AssemblyStatus.OPEN)
    _db.session.add(assembly)
    _db.session.flush()
    _db.session.add(Attendance(assembly_id=assembly.id, member_id=holder.member_id, method="self"))
    _db.session.add(Proxy(assembly_id=assembly.id, grantor_id=grantor.member_id, holder_id=holder.member_id))
    _db.session.commit()
    vote = make_motion(board, tiers, assembly_id=assembly.id)
    return {"holder": holder, "grantor": grantor, "absent": absent, "vote": vote, "assembly": assembly}


def test_proxy_holder_sees_two_ballots_and_each_counts_once(db, client, auth, assembly_vote):
    holder, grantor, vote = assembly_vote["holder"], assembly_vote["grantor"], assembly_vote["vote"]
    auth.as_account(holder)
    url = f"/votes/{vote.id}/ballot"
    page = text(client.get(url))
    assert "Vote for:" in page
    assert f'name="member" value="{holder.member_id}" checked' in page
    assert "Greet Gever (proxy)" in page and f'name="member" value="{grantor.member_id}"' in page
    assert f'value="{holder.member_id}"' in page

    assert send(client, url, {"member": holder.member_id, "choice": "yes", "step": "confirm"}).status_code == 303
    # After voting for itself, the page offers the proxy's ballot.
    page = text(client.get(url))
    assert f'name="member" value="{grantor.member_id}" checked' in page
    assert send(client, url, {"member": grantor.member_id, "choice": "no", "step": "confirm"}).status_code == 303
    done = text(client.get(f"/votes/{vote.id}/done"))
    assert "Your tracker code" in done and "Tracker code for Greet Gever (proxy)" in done

    channels = dict(db.session.execute(sa.select(Participation.member_id, Participation.channel).where(Participation.vote_id == vote.id)).all())
    assert channels == {holder.member_id: Channel.ONLINE, grantor.member_id: Channel.PROXY}
    assert count(db, Ballot, Ballot.vote_id == vote.id) == 2
    # Each once: a second ballot for the grantor is refused.
    again = send(client, url, {"member": grantor.member_id, "choice": "yes", "step": "confirm"})
    assert again.status_code == 409 and count(db, Ballot, Ballot.vote_id == vote.id) == 2


def test_a_member_not_checked_in_is_told_so(db, client, auth, assembly_vote):
    auth.as_account(assembly_vote["absent"])
    response = client.get(f"/votes/{assembly_vote['vote'].id}/ballot")
    assert response.status_code == 403 and "Check in at the assembly first" in text(response)


# --- the list and the vote page ----------------------------------------------------------------


def test_vote_page_shows_no_counts_while_results_are_hidden(db, client, auth, board, tiers, make_account):
    voters = [make_account(tier="lid") for _ in range(3)]
    motion = make_motion(board, tiers)
    for v in voters:
        services.cast_ballot(motion, by=v, member_id=v.member_id, ranking=["yes"])
    html = text(client.get(f"/votes/{motion.id}"))
    assert "First choices so far" not in html and "For: 3" not in html
    assert f"3 of {motion.electorate_count}" in html  # turnout is not a result
    assert f"/votes/{motion.id}/results" not in html
    # A vote whose results are not hidden shows first choices while open.
    shown = make_motion(board, tiers, results_hidden=False)
    services.cast_ballot(shown, by=voters[0], member_id=voters[0].member_id, ranking=["no"])
    html = text(client.get(f"/votes/{shown.id}"))
    assert "First choices so far" in html and "Against: 1" in html


def test_vote_page_and_list(db, client, auth, board, tiers, voter):
    motion = make_motion(board, tiers, closes_at=dt.datetime(2030, 6, 1, 16, 0, tzinfo=dt.UTC))
    election = make_election(board, tiers, open_=False, opens_at=dt.datetime(2030, 5, 1, 8, 0, tzinfo=dt.UTC))
    hidden = make_motion(board, tiers, open_=False, title="Nog geheim concept")
    closed = make_motion(board, tiers, title="Gesloten motie")
    services.close_vote(closed, by=board)

    listing = text(client.get("/votes"))
    assert motion.title in listing and election.title in listing and closed.title in listing
    assert hidden.title not in listing  # a draft without a time is the board's
    assert "6:00:00\u202fPM" in listing or "6:00:00 PM" in listing  # 16:00 UTC is 18:00 in Amsterdam (summer time)
    assert f"0 of {motion.electorate_count}" in listing
    assert client.get(f"/votes/{hidden.id}").status_code == 404

    auth.as_account(voter)
    page = text(client.get(f"/votes/{motion.id}"))
    assert "Artikel 4" in page and "Secret" in page and "Hidden until the vote closes" in page
    assert f'href="/votes/{motion.id}/ballot"' in page
    assert "more than half of the votes cast" in page
    assert f'href="/votes/{closed.id}/results"' in text(client.get(f"/votes/{closed.id}"))
    page = text(client.get(f"/votes/{election.id}"))
    assert "Anouk" in page and "Penningmeester" in page and "not open yet" in page

    auth.as_account(board)
    assert hidden.title in text(client.get("/votes"))
    assert client.get(f"/votes/{hidden.id}").status_code == 200


# --- the board: create, edit, open, close ------------------------------------------------------


def election_form(tiers: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    data = {
        "kind": "election",
        "title": "Nieuw bestuur 2027",
        "description": "We kiezen twee bestuursleden.",
        "candidates": "Anouk — Penningmeester\nBilal - Secretaris\nChantal\n\nDaan: ervaren voorzitter",
        "seats": "2",
        "ranks": "0",
        "secret": "y",
        "results_hidden": "y",
        "quorum": "1/3",
        "opens_at": "2030-03-01T19:30",
        "closes_at": "2030-03-08T12:00",
        "tiers-0-tier_id": str(tiers["lid"].id),
        "tiers-0-weight": "2",
        "tiers-1-tier_id": str(tiers["deelnemer"].id),
        "tiers-1-weight": "0",
    }
    data.update(overrides)
    return data


def test_board_creates_and_edits_an_election(db, client, auth, board, tiers):
    auth.as_account(board)
    page = client.get("/votes/new?kind=election")
    assert page.status_code == 200 and re.search(r'<input checked id="kind-\d" name="kind"[^>]* value="election">', text(page))
    assert 'name="tiers-0-weight"' in text(page)
    response = send(client, "/votes/new", election_form(tiers))
    assert response.status_code == 302, text(response)
    vote = db.session.scalars(sa.select(VoteItem).where(VoteItem.title == "Nieuw bestuur 2027")).one()
    assert vote.kind == VoteKind.ELECTION and vote.status == VoteStatus.DRAFT
    assert vote.rule == "stv-scottish" and vote.seats == 2 and vote.quorum == "1/3"
    assert [(o.key, o.label, o.note) for o in vote.options] == [
        ("c1", "Anouk", "Penningmeester"), ("c2", "Bilal", "Secretaris"), ("c3", "Chantal", ""), ("c4", "Daan", "ervaren voorzitter"),
    ]
    assert [(t.tier_id, t.weight) for t in vote.tiers] == [(tiers["lid"].id, 2)]
    # Amsterdam time in the form, UTC in the database (CET in March: UTC+1).
    assert vote.opens_at == dt.datetime(2030, 3, 1, 18, 30, tzinfo=dt.UTC)
    assert vote.secret and vote.results_hidden

    edit = client.get(f"/votes/{vote.id}/edit")
    html = text(edit)
    assert edit.status_code == 200 and "Anouk — Penningmeester" in html and 'value="2030-03-01T19:30"' in html
    response = send(client, f"/votes/{vote.id}/edit", election_form(tiers, seats="1", title="Nieuwe voorzitter"))
    assert response.status_code == 302
    assert vote.title == "Nieuwe voorzitter" and vote.rule == "irv" and vote.seats == 1
    assert count(db, AuditEntry, AuditEntry.subject == vote.subject, AuditEntry.type == "vote.updated") == 1


def test_board_creates_a_motion(db, client, auth, board, tiers):
    auth.as_account(board)
    data = {
        "kind": "motion", "title": "Contributie omhoog", "threshold": "two-thirds", "abstentions": "counted",
        "results_hidden": "y", "tiers-0-tier_id": str(tiers["lid"].id), "tiers-0-weight": "1",
    }
    assert send(client, "/votes/new", data).status_code == 302
    vote = db.session.scalars(sa.select(VoteItem).where(VoteItem.title == "Contributie omhoog")).one()
    assert vote.rule == "motion" and vote.threshold == "two-thirds" and vote.abstentions == "counted"
    assert not vote.secret  # the box was not ticked: a roll call
    assert [o.key for o in vote.options] == ["yes", "no", "abstain"]


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"title": ""}, "Fill in a title."),
        ({"candidates": "Anouk"}, "An election needs at least two candidates."),
        ({"candidates": "Anouk\nBilal", "seats": "2"}, "There must be more candidates than seats."),
        ({"quorum": "veel"}, "Write the quorum as a fraction"),
        ({"tiers-0-weight": "0"}, "Choose at least one tier that may vote."),
        ({"closes_at": "2030-02-01T12:00"}, "The vote must close after it opens."),
        ({"opens_at": "morgen"}, "Not a valid datetime value."),
    ],
)
def test_bad_settings_are_shown_and_nothing_is_saved(db, client, auth, board, tiers, overrides, message):
    auth.as_account(board)
    before = audit_count(db)
    response = send(client, "/votes/new", election_form(tiers, **overrides))
    assert response.status_code == 422
    assert message in text(response)
    assert count(db, VoteItem) == 0 and audit_count(db) == before


def test_board_opens_and_closes_with_a_confirm_step(db, client, auth, board, tiers, voter):
    vote = make_motion(board, tiers, open_=False)
    auth.as_account(board)
    confirm = client.get(f"/votes/{vote.id}/open")
    assert confirm.status_code == 200 and "Yes, open the vote now" in text(confirm)
    assert vote.status == VoteStatus.DRAFT  # the GET changes nothing
    response = send(client, f"/votes/{vote.id}/open")
    assert response.status_code == 302 and vote.status == VoteStatus.OPEN and vote.electorate_count >= 2
    # Opening twice: a clear message, nothing changes.
    again = send(client, f"/votes/{vote.id}/open")
    assert again.status_code == 409 and "not a draft any more" in text(again)
    assert client.get(f"/votes/{vote.id}/edit").status_code == 302  # an open vote cannot change

    services.cast_ballot(vote, by=voter, member_id=voter.member_id, ranking=["yes"])
    confirm = client.get(f"/votes/{vote.id}/close")
    assert confirm.status_code == 200 and "Yes, close the vote now" in text(confirm) and "1 of" in text(confirm)
    response = send(client, f"/votes/{vote.id}/close")
    assert response.status_code == 302 and vote.status == VoteStatus.CLOSED and vote.winners == ["yes"]
    assert send(client, f"/votes/{vote.id}/close").status_code == 409


def test_open_errors_are_shown_on_the_confirm_page(db, client, auth, board, tiers):
    # Only the "deelnemer" tier, which may not vote at assemblies: nobody may vote.
    vote = make_motion(board, tiers, open_=False, tier_weights={tiers["deelnemer"].id: 1})
    auth.as_account(board)
    response = send(client, f"/votes/{vote.id}/open")
    assert response.status_code == 422 and "Nobody may vote on this" in text(response)
    assert vote.status == VoteStatus.DRAFT


def test_budget_votes_are_not_edited_here(db, client, auth, board, tiers):
    from govern.budgeting import services as budgeting
    from govern.budgeting.models import Phase
    from tests.budgeting.factories import make_proposal, make_round, move_to

    round_ = make_round(board, tiers)
    proposal = make_proposal(round_, board)
    move_to(round_, board, Phase.REVIEW)
    reviewer = board  # the board may review, but not its own proposal
    from tests.support.factories import make_account
    from govern.membership.models import Role

    moderator = make_account(tiers, roles=[Role.MODERATOR])
    budgeting.review(proposal, by=moderator, eligible=True, reason="Haalbaar.")
    move_to(round_, reviewer, Phase.VOTING)
    vote = services.budget_vote(round_)
    auth.as_account(board)
    response = client.get(f"/votes/{vote.id}/edit")
    assert response.status_code == 302
    assert client.get(f"/votes/{vote.id}/close").status_code == 200
    assert send(client, f"/votes/{vote.id}/close").status_code == 302
    assert vote.status == VoteStatus.CLOSED


def test_members_may_not_use_the_board_pages(client, auth, board, tiers, voter):
    vote = make_motion(board, tiers, open_=False)
    auth.as_account(voter)
    for url in ("/votes/new", f"/votes/{vote.id}/edit", f"/votes/{vote.id}/open", f"/votes/{vote.id}/close"):
        assert client.get(url).status_code == 403
    assert send(client, f"/votes/{vote.id}/open").status_code == 403
    assert vote.status == VoteStatus.DRAFT
