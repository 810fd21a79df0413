"""The ballot over HTTP, without JavaScript: every refusal is a clear message next to its field,
the voter's choices are kept, and nothing is written until the confirmed, valid ballot."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa

from govern.budgeting import services as budgeting
from govern.budgeting.models import Phase
from govern.voting import services
from govern.voting.models import Ballot, Participation
from tests.budgeting.factories import make_proposal, make_round, move_to
from tests.conftest import audit_count, csrf_token
from tests.voting.factories import make_election, make_motion


def count(db: Any, model: Any) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def send(client: Any, vote: Any, data: dict[str, Any]) -> Any:
    url = f"/votes/{vote.id}/ballot"
    return client.post(url, data={"csrf_token": csrf_token(client, "/votes"), **data})


def field_error(html: str, key: str) -> str:
    """The error text shown next to ``rank-<key>`` (empty when there is none)."""
    match = re.search(rf'id="rank-{re.escape(key)}-error">(.*?)</p>', html, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)).replace("Error:", "").strip() if match else ""


def selected(html: str, key: str) -> str:
    match = re.search(rf'<select id="rank-{re.escape(key)}".*?</select>', html, re.S)
    assert match, key
    chosen = re.search(r'<option value="(\d*)" selected>', match.group(0))
    return chosen.group(1) if chosen else ""


@pytest.fixture()
def voter(make_account: Any) -> Any:
    return make_account(tier="lid", name="Fatima")


@pytest.fixture()
def election(db: Any, board: Any, tiers: Any, voter: Any) -> Any:
    return make_election(board, tiers, ranks=3)


def test_ballot_shows_one_select_per_candidate_with_the_allowed_numbers(client, auth, election, voter):
    auth.as_account(voter)
    html = client.get(f"/votes/{election.id}/ballot").get_data(as_text=True)
    assert "<fieldset" in html and "<legend>" in html
    for option in election.options:
        assert f'name="rank-{option.key}"' in html and f'<label class="ballot-label" for="rank-{option.key}">' in html
    select = re.search(r'<select id="rank-c1".*?</select>', html, re.S).group(0)
    assert re.findall(r'<option value="(\d*)"', select) == ["", "1", "2", "3"]  # "—" and 1..ranks
    assert f'name="member" value="{voter.member_id}"' in html
    assert 'src="/static/voting.js"' in html and "<script>" not in html


@pytest.mark.parametrize(
    "ranks, key, message",
    [
        ({"c1": "1", "c2": "1"}, "c2", "You gave number 1 to two options"),
        ({"c1": "1", "c2": "3"}, "c2", "You skipped number 2"),
        ({"c1": "1", "c2": "4"}, "c2", "Choose a number from 1 to 3"),  # more than the vote allows
        ({"c1": "1", "c2": "two"}, "c2", "Choose a number from 1 to 3"),
    ],
)
def test_bad_rankings_are_explained_next_to_the_field_and_kept(db, client, auth, election, voter, ranks, key, message):
    auth.as_account(voter)
    before = audit_count(db)
    response = send(client, election, {"member": voter.member_id, "step": "review", **{f"rank-{k}": v for k, v in ranks.items()}})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in field_error(html, key)
    assert 'role="alert"' in html and f'href="#rank-{key}"' in html
    # The voter's choices are kept (where they are numbers the ballot offers).
    assert selected(html, "c1") == ranks["c1"]
    assert count(db, Ballot) == 0 and count(db, Participation) == 0 and audit_count(db) == before


def test_nothing_chosen(client, auth, election, voter):
    auth.as_account(voter)
    response = send(client, election, {"member": voter.member_id, "step": "review", "rank-c1": "", "rank-c2": ""})
    assert response.status_code == 422
    assert "You have not chosen anything yet" in response.get_data(as_text=True)


def test_a_tampered_option_key_is_refused(db, client, auth, election, voter):
    auth.as_account(voter)
    for step in ("review", "confirm"):
        response = send(client, election, {"member": voter.member_id, "step": step, "rank-c1": "1", "rank-zz9": "2"})
        assert response.status_code == 422
        assert "an option that is not on it" in response.get_data(as_text=True)
    assert count(db, Ballot) == 0


def test_a_tampered_member_is_refused(db, client, auth, election, voter, make_account):
    someone_else = make_account(tier="lid")
    auth.as_account(voter)
    for member in (someone_else.member_id, "abc", 999999):
        response = send(client, election, {"member": member, "step": "confirm", "rank-c1": "1"})
        assert response.status_code == 403
        assert "You cannot vote for this member" in response.get_data(as_text=True)
    assert count(db, Ballot) == 0 and count(db, Participation) == 0


def test_not_in_the_electorate(db, client, auth, election, make_account):
    outsider = make_account(tier="bewoner")
    auth.as_account(outsider)
    response = client.get(f"/votes/{election.id}/ballot")
    assert response.status_code == 403
    assert "not on the list of voters" in response.get_data(as_text=True)
    response = send(client, election, {"member": outsider.member_id, "step": "confirm", "rank-c1": "1"})
    assert response.status_code == 403 and count(db, Ballot) == 0


def test_motion_choice_is_required_and_kept(db, client, auth, board, tiers, voter):
    motion = make_motion(board, tiers)
    auth.as_account(voter)
    html = client.get(f"/votes/{motion.id}/ballot").get_data(as_text=True)
    for key, word in (("yes", "For"), ("no", "Against"), ("abstain", "Abstain")):
        assert f'type="radio" id="choice-{key}" name="choice" value="{key}"' in html
        assert f'<label for="choice-{key}">{word}</label>' in html
    response = send(client, motion, {"member": voter.member_id, "step": "review"})
    assert response.status_code == 422 and 'id="choice-error"' in response.get_data(as_text=True)
    response = send(client, motion, {"member": voter.member_id, "step": "review", "choice": "maybe"})
    assert response.status_code == 422 and "Choose yes, no or abstain" in response.get_data(as_text=True)
    # Back from the review page: the choice is kept.
    response = send(client, motion, {"member": voter.member_id, "step": "edit", "choice": "no"})
    assert response.status_code == 200 and 'value="no" checked' in response.get_data(as_text=True)
    assert count(db, Ballot) == 0


def test_budget_ballot_disables_the_voters_own_plans(db, client, auth, board, tiers, make_account):
    proposer = make_account(tier="lid", name="Moestuin Spangen")
    co = make_account(tier="lid")
    round_ = make_round(board, tiers, phase=Phase.SUBMISSION)
    own = make_proposal(round_, proposer, title="Moestuin")
    other = make_proposal(round_, co, title="Bankjes")
    move_to(round_, board, Phase.REVIEW)
    for p in (own, other):
        budgeting.review(p, by=board, eligible=True, reason="Haalbaar.")
    move_to(round_, board, Phase.VOTING)
    vote = services.budget_vote(round_)
    auth.as_account(proposer)
    html = client.get(f"/votes/{vote.id}/ballot").get_data(as_text=True)
    own_select = re.search(rf'<select id="rank-p{own.id}"[^>]*>', html).group(0)
    other_select = re.search(rf'<select id="rank-p{other.id}"[^>]*>', html).group(0)
    assert "disabled" in own_select and "disabled" not in other_select
    assert "You cannot rank a plan that you (co-)proposed." in html
    assert f'aria-describedby="rank-p{own.id}-excluded"' in own_select
    # Sending it anyway (a tampered form): refused next to that plan.
    response = send(client, vote, {"member": proposer.member_id, "step": "review", f"rank-p{own.id}": "1"})
    assert response.status_code == 422
    assert "(co-)proposed" in field_error(response.get_data(as_text=True), f"p{own.id}")
    response = send(client, vote, {"member": proposer.member_id, "step": "confirm", f"rank-p{own.id}": "1"})
    assert response.status_code == 422 and count(db, Ballot) == 0


def test_expired_form_is_refused(db, client, auth, election, voter):
    auth.as_account(voter)
    response = client.post(f"/votes/{election.id}/ballot", data={"member": voter.member_id, "step": "confirm", "rank-c1": "1"})
    assert response.status_code == 400 and count(db, Ballot) == 0
