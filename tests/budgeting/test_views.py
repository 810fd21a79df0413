"""The pages: forms, clear messages for bad input, filters, versions, and a constant number of queries."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
import sqlalchemy as sa

from govern.budgeting import services
from govern.budgeting.models import BudgetRound, Phase, Proposal, ProposalImage, ProposalStatus
from govern.budgeting.queries import parse_euros
from tests.budgeting.factories import BUDGET, make_proposal, make_round
from tests.conftest import csrf_token


def proposal_form(**overrides: Any) -> dict[str, Any]:
    data = {
        "title": "Buurtbankjes",
        "summary": "Vijf bankjes op het plein, zodat ouderen kunnen uitrusten.",
        "description": "We zetten **vijf bankjes** neer.",
        "neighbourhood": "bospolder",
        "category": "meeting",
        "lines-0-description": "Bankjes",
        "lines-0-amount": "2.500",
        "lines-1-description": "Plaatsen",
        "lines-1-amount": "499,99",
    }
    data.update(overrides)
    return data


def send(client: Any, url: str, data: dict[str, Any], **kwargs: Any) -> Any:
    return client.post(url, data={"csrf_token": csrf_token(client), **data}, **kwargs)


def count(db: Any, model: Any) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.mark.parametrize(
    "text, cents",
    [("1250", 125000), ("1.250,50", 125050), ("1250,5", 125050), ("1250.50", 125050), ("€ 1.500", 150000), ("0,99", 99), ("", None)],
)
def test_parse_euros(text, cents):
    assert parse_euros(text) == cents


@pytest.mark.parametrize("text", ["abc", "-5", "1,2,3", "12.345.6", "1,999"])
def test_parse_euros_refuses(text):
    with pytest.raises(ValueError):
        parse_euros(text)


def test_board_creates_a_round_through_the_form(client, auth, db, board, tiers):
    auth.as_account(board)
    assert client.get("/rounds/new").status_code == 200
    data = {
        "title": "Wijkbudget 2027",
        "description": "Voor *de buurt*.",
        "budget": "150.000",
        "neighbourhoods": ["bospolder", "spangen"],
        "proposer_tiers": [str(tiers["lid"].id)],
        "voter_tiers": [str(tiers["lid"].id), str(tiers["bewoner"].id)],
        "ranks": "5",
        "counting_rule": "greedy",
        "submission_opens": "2027-01-10",
        "voting_opens": "2027-03-01",
    }
    response = send(client, "/rounds/new", data)
    assert response.status_code == 302
    round_ = db.session.scalar(sa.select(BudgetRound).where(BudgetRound.title == "Wijkbudget 2027"))
    assert round_.budget_cents == 15_000_000 and round_.counting_rule == "greedy"
    assert [t.slug for t in round_.voter_tiers] == ["lid", "bewoner"]
    # Bad input: a clear message, nothing stored.
    response = send(client, "/rounds/new", {**data, "budget": "veel", "title": "Ander"})
    assert response.status_code == 422 and "Fill in an amount in euros" in response.get_data(as_text=True)
    response = send(client, "/rounds/new", {**data, "neighbourhoods": [], "title": "Ander"})
    assert response.status_code == 422 and "Choose at least one neighbourhood" in response.get_data(as_text=True)
    assert count(db, BudgetRound) == 1
    # The board moves it on; the page says where it stands.
    response = send(client, f"/rounds/{round_.id}/phase", {"to": "submission"})
    assert response.status_code == 302 and round_.phase == Phase.SUBMISSION
    response = send(client, f"/rounds/{round_.id}/phase", {"to": "voting"})
    assert round_.phase == Phase.SUBMISSION
    html = client.get(f"/rounds/{round_.id}").get_data(as_text=True)
    assert "The round can only move on to its next phase." in html


@pytest.fixture()
def en(app):
    """Pages in English, so that tests can read the msgids."""
    return None


def test_resident_drafts_submits_and_edits(client, auth, db, round_, proposer, make_account):
    auth.as_account(proposer)
    page = client.get(f"/rounds/{round_.id}")
    assert "Write a proposal" in page.get_data(as_text=True) or "Schrijf" in page.get_data(as_text=True)
    assert client.get(f"/rounds/{round_.id}/proposals/new").status_code == 200
    response = send(client, f"/rounds/{round_.id}/proposals/new", proposal_form())
    assert response.status_code == 302, response.get_data(as_text=True)
    proposal = db.session.scalar(sa.select(Proposal).where(Proposal.title == "Buurtbankjes"))
    assert proposal.status == ProposalStatus.DRAFT and proposal.requested_cents == 299_999
    assert client.get(f"/proposals/{proposal.id}").status_code == 200
    # Nobody else sees the draft.
    auth.as_account(make_account(tier="lid"))
    assert client.get(f"/proposals/{proposal.id}").status_code == 404
    assert "Buurtbankjes" not in client.get(f"/rounds/{round_.id}/proposals").get_data(as_text=True)
    auth.as_account(proposer)
    assert send(client, f"/proposals/{proposal.id}/submit", {}).status_code == 302
    assert proposal.status == ProposalStatus.SUBMITTED
    edit = client.get(f"/proposals/{proposal.id}/edit").get_data(as_text=True)
    assert 'value="2500"' in edit and 'value="499,99"' in edit
    response = send(client, f"/proposals/{proposal.id}/edit", proposal_form(**{"lines-0-amount": "3.000"}))
    assert response.status_code == 302 and proposal.version == 2
    diff = client.get(f"/proposals/{proposal.id}/versions/2").get_data(as_text=True)
    assert re.search(r"<del>.*Bankjes: €\s?2,500\.00", diff) and re.search(r"<ins>.*Bankjes: €\s?3,000\.00", diff)
    assert client.get(f"/proposals/{proposal.id}/versions/3").status_code == 404
    assert send(client, f"/proposals/{proposal.id}/withdraw", {}).status_code == 302
    assert proposal.status == ProposalStatus.WITHDRAWN


@pytest.mark.parametrize(
    "change, message",
    [
        ({"title": ""}, "Give your proposal a title."),
        ({"description": "<script>alert(1)</script>"}, "Nothing is left of your description"),
        ({"lines-0-amount": "50.000", "lines-1-amount": "1"}, "more than the whole round"),
        ({"lines-0-amount": "twee euro"}, "Every budget line needs a description"),
        ({"lines-0-description": "", "lines-1-description": "", "lines-0-amount": "", "lines-1-amount": ""}, "Add at least one budget line"),
        ({"neighbourhood": "middelland"}, "Choose a neighbourhood of this round"),
    ],
)
def test_bad_proposals_get_a_clear_message_and_store_nothing(client, auth, db, round_, proposer, change, message):
    auth.as_account(proposer)
    before = count(db, Proposal)
    response = send(client, f"/rounds/{round_.id}/proposals/new", proposal_form(**change))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html and 'id="form-errors"' in html
    assert count(db, Proposal) == before


def test_an_upload_that_is_not_an_image(client, auth, db, round_, proposer):
    auth.as_account(proposer)
    data = proposal_form(image=(io.BytesIO(b"MZ\x90\x00 not a picture"), "plein.jpg"), image_alt="Het plein")
    response = send(client, f"/rounds/{round_.id}/proposals/new", data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "This file is not a picture we can use" in response.get_data(as_text=True)
    assert count(db, Proposal) == 0 and count(db, ProposalImage) == 0


def test_an_image_is_served(client, auth, db, round_, proposer):
    from PIL import Image

    raw = io.BytesIO()
    Image.new("RGB", (20, 10), (200, 30, 30)).save(raw, "PNG")
    raw.seek(0)
    auth.as_account(proposer)
    data = proposal_form(image=(raw, "plein.png"), image_alt="Een rood vlak")
    assert send(client, f"/rounds/{round_.id}/proposals/new", data, content_type="multipart/form-data").status_code == 302
    proposal = db.session.scalar(sa.select(Proposal))
    html = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert 'alt="Een rood vlak"' in html
    response = client.get(f"/proposals/{proposal.id}/image")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"


def test_proposing_outside_the_submission_phase(client, auth, db, board, tiers, proposer):
    round_ = make_round(board, tiers, phase=Phase.REVIEW)
    auth.as_account(proposer)
    response = client.get(f"/rounds/{round_.id}/proposals/new", follow_redirects=True)
    assert "submission phase is closed" in response.get_data(as_text=True)
    response = send(client, f"/rounds/{round_.id}/proposals/new", proposal_form())
    assert response.status_code == 302 and count(db, Proposal) == 0


def test_reviewer_marks_eligible_with_a_cost_change(client, auth, db, round_, proposer, reviewer):
    proposal = make_proposal(round_, proposer)
    auth.as_account(reviewer)
    page = client.get(f"/proposals/{proposal.id}/review").get_data(as_text=True)
    assert 'value="1500,50"' in page
    response = send(client, f"/proposals/{proposal.id}/review", {"decision": "eligible", "reason": "Haalbaar.", "cost": "1.750", "cost_reason": ""})
    assert response.status_code == 422 and "Explain why the cost changes" in response.get_data(as_text=True)
    response = send(
        client,
        f"/proposals/{proposal.id}/review",
        {"decision": "eligible", "reason": "Haalbaar.", "cost": "1.750", "cost_reason": "Hout is duurder."},
    )
    assert response.status_code == 302
    assert proposal.status == ProposalStatus.ELIGIBLE and proposal.cost_cents == 175_000
    html = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "Hout is duurder." in html and "Haalbaar." in html


def test_conflicts_of_interest_are_shown(client, auth, db, round_, proposer, make_account):
    proposal = make_proposal(round_, proposer)
    neighbour = make_account(tier="bewoner", name="Buurman Jan")
    auth.as_account(neighbour)
    response = send(client, f"/proposals/{proposal.id}/interest", {"note": "Ik verhuur de bankjes."})
    assert response.status_code == 302
    html = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "Buurman Jan" in html and "Ik verhuur de bankjes." in html and "Voedseltuin" in html


def test_endorse_through_the_page(client, auth, db, board, tiers, proposer, make_account):
    round_ = make_round(board, tiers, support_enabled=True, support_threshold=1)
    proposal = make_proposal(round_, proposer)
    auth.as_account(make_account(tier="bewoner"))
    assert send(client, f"/proposals/{proposal.id}/endorse", {}).status_code == 302
    assert proposal.endorsements == 1
    auth.as_account(make_account(tier="vriend"))
    assert send(client, f"/proposals/{proposal.id}/endorse", {}).status_code == 403


def _fill(round_: Any, account: Any, n: int) -> None:
    hoods, cats = ["bospolder", "spangen"], ["green", "play", "care"]
    for i in range(n):
        make_proposal(
            round_,
            account,
            title=f"Plan {i:03d}",
            neighbourhood=hoods[i % 2],
            category=cats[i % 3],
            lines=[("Kosten", 10_000 * (i + 1))],
        )


def test_filters_search_sort_and_pages(client, db, round_, proposer):
    _fill(round_, proposer, 25)
    base = f"/rounds/{round_.id}/proposals"
    html = client.get(base).get_data(as_text=True)
    assert "25 proposals found." in html and 'rel="next"' in html
    html = client.get(base + "?q=plan+007").get_data(as_text=True)
    assert "1 proposal found." in html and "Plan 007" in html
    html = client.get(base + "?neighbourhood=spangen&category=green").get_data(as_text=True)
    # i odd and i % 3 == 0: 3, 9, 15, 21
    assert "4 proposals found." in html
    html = client.get(base + "?min=1.000&max=2000,00").get_data(as_text=True)  # plan i costs € 100 × (i + 1): i = 9..19
    assert "11 proposals found." in html and "Plan 009" in html and "Plan 008" not in html
    html = client.get(base + "?sort=cost_high").get_data(as_text=True)
    assert html.index("Plan 024") < html.index("Plan 023")
    html = client.get(base + "?min=veel").get_data(as_text=True)
    assert "Fill in an amount in euros" in html and "25 proposals found." in html
    html = client.get(base + "?q=%25").get_data(as_text=True)  # a LIKE wildcard is searched as text
    assert "0 proposals found." in html
    html = client.get(base + "?page=2").get_data(as_text=True)
    assert 'rel="prev"' in html and 'rel="next"' not in html and "Plan 000" in html


def _queries_for(client: Any, url: str) -> int:
    from govern.extensions import db

    seen: list[str] = []
    db.session.expire_all()  # the test's session is shared by its requests: start each one from the database

    def listen(conn, cursor, statement, *args):  # noqa: ANN001
        seen.append(statement)

    engine = db.session.get_bind()
    engine = getattr(engine, "engine", engine)
    sa.event.listen(engine, "before_cursor_execute", listen)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", listen)
    return len([s for s in seen if not s.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN"))])


def test_list_and_round_pages_do_not_grow_with_the_number_of_proposals(client, auth, db, round_, proposer):
    auth.as_account(proposer)
    # More than one page both times (a single page skips the count query, which is not the point here).
    _fill(round_, proposer, 21)
    few = {u: _queries_for(client, u) for u in (f"/rounds/{round_.id}/proposals", f"/rounds/{round_.id}")}
    _fill(round_, proposer, 40)
    many = {u: _queries_for(client, u) for u in few}
    assert many == few, (few, many)
    assert few[f"/rounds/{round_.id}/proposals"] <= 8


def test_search_ignores_case_and_accents_and_a_page_past_the_end(client, db, round_, proposer):
    make_proposal(round_, proposer, title="Taalcafé voor NIEUWKOMERS", summary="Één keer per week oefenen.")
    _fill(round_, proposer, 2)
    base = f"/rounds/{round_.id}/proposals"
    for q in ("taalcafe", "TAALCAFÉ", "nieuwkomers", "een keer"):
        html = client.get(base, query_string={"q": q}).get_data(as_text=True)
        assert "1 proposal found." in html and "Taalcafé voor NIEUWKOMERS" in html, q
    html = client.get(base + "?page=99").get_data(as_text=True)
    assert "3 proposals found." in html and "Plan 001" in html
