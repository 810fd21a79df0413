"""Every route × every kind of visitor → the expected status.

A route that is added without a row here fails ``test_every_route_is_in_the_matrix``,
so nobody can add a page and forget to decide who may see it.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest

from govern.membership.models import MemberKind, MemberStatus, Role
from tests.conftest import csrf_token

PRINCIPALS = [
    "anonymous",
    "lid",
    "deelnemer",
    "bewoner",
    "vriend",
    "pending",
    "suspended",
    "board",
    "moderator",
    "auditor",
    "teller",
]
SIGNED_IN = [p for p in PRINCIPALS if p != "anonymous"]


def public(_: str) -> int:
    return 200


def signed_in(p: str) -> int:
    return 302 if p == "anonymous" else 200


def anonymous_only(p: str) -> int:
    return 200 if p == "anonymous" else 302


def board_only(p: str) -> int:
    return {"anonymous": 302, "board": 200}.get(p, 403)


def own_or_board(p: str) -> int:
    # The URL points at the visitor's own member (see ``{own}`` below) or, for the anonymous visitor, at another.
    return 302 if p == "anonymous" else 200


def profile_of_other(p: str) -> int:
    return 200


def deliberate(p: str, ok: int = 200) -> int:
    # Every tier in the matrix may take part in discussions; pending and suspended members may not.
    return {"anonymous": 302, "pending": 403, "suspended": 403}.get(p, ok)


def moderators(p: str) -> int:
    return {"anonymous": 302, "board": 200, "moderator": 200}.get(p, 403)


def may_propose_in_round(p: str) -> int:
    # The round lets "lid" and "deelnemer" propose; board, moderator, auditor and teller are in "lid".
    return {"anonymous": 302, "bewoner": 403, "vriend": 403, "pending": 403, "suspended": 403}.get(p, 200)


def not_the_proposer(p: str) -> int:
    # {proposal} is another member's; its own proposers are tested in tests/budgeting.
    return 302 if p == "anonymous" else 403


def may_support(p: str) -> int:
    # The round's voters are "lid", "deelnemer" and "bewoner"; success redirects back to the proposal.
    return {"vriend": 403, "pending": 403, "suspended": 403}.get(p, 302)


def active_member_post(p: str) -> int:
    return {"pending": 403, "suspended": 403}.get(p, 302)


#: (method, url pattern, expected status by principal, form data for POST)
MATRIX: dict[str, tuple[str, str, Any, dict[str, Any] | None]] = {
    "main.home": ("GET", "/", public, None),
    "main.set_language": ("POST", "/language", lambda p: 302, {"language": "nl"}),
    "membership.apply": ("GET", "/apply", anonymous_only, None),
    "membership.sign_in": ("GET", "/sign-in", anonymous_only, None),
    "membership.sign_out": ("POST", "/sign-out", lambda p: 302, {}),
    "membership.forgot_password": ("GET", "/password/forgot", public, None),
    "membership.reset_password": ("GET", "/password/reset/not-a-token", lambda p: 404, None),
    "membership.directory": ("GET", "/members", public, None),
    "membership.profile": ("GET", "/members/{other}", profile_of_other, None),
    "membership.edit_profile": ("GET", "/members/{own}/edit", own_or_board, None),
    "membership.add_delegate": (
        "POST",
        "/members/{own}/delegates",
        lambda p: {"anonymous": 302}.get(p, 403),  # persons cannot have delegates; the organisation case is tested apart
        {},
    ),
    "membership.settings": ("GET", "/account", signed_in, None),
    "board.applications": ("GET", "/board/applications", board_only, None),
    "board.decide": ("GET", "/board/applications/{other}", board_only, None),
    "board.members": ("GET", "/board/members", board_only, None),
    "board.member": ("GET", "/board/members/{other}", board_only, None),
    "board.roles": ("POST", "/board/accounts/{other_account}/roles", lambda p: {"anonymous": 302, "board": 302}.get(p, 403), {}),
    "board.tiers": ("GET", "/board/tiers", board_only, None),
    "board.new_tier": ("GET", "/board/tiers/new", board_only, None),
    "board.edit_tier": ("GET", "/board/tiers/{tier}", board_only, None),
    "audit.index": ("GET", "/audit", public, None),
    "audit.entry": ("GET", "/audit/{entry}", public, None),
    "audit.checkpoint_list": ("GET", "/audit/checkpoints", public, None),
    "audit.checkpoint_note": ("GET", "/audit/checkpoints/{checkpoint}.note", public, None),
    "audit.latest_note": ("GET", "/audit/checkpoints/latest.note", public, None),
    "audit.make_checkpoint": ("POST", "/audit/checkpoints", lambda p: {"anonymous": 302, "board": 302}.get(p, 403), {}),
    "audit.public_key": ("GET", "/audit/public-key.txt", public, None),
    "audit.about": ("GET", "/audit/about", public, None),
    # deliberation: {comment} is a comment by another member on "motion:1"; {notification} is another member's
    "deliberation.thread": ("GET", "/threads/motion:1", public, None),
    "deliberation.post_comment": ("POST", "/threads/motion:1", lambda p: deliberate(p, 422), {}),  # empty: refused
    "deliberation.reply": ("GET", "/comments/{comment}/reply", deliberate, None),
    "deliberation.edit": ("GET", "/comments/{comment}/edit", lambda p: 302 if p == "anonymous" else 403, None),  # author: tests/deliberation
    "deliberation.history": ("GET", "/comments/{comment}/history", public, None),
    "deliberation.report": ("GET", "/comments/{comment}/report", deliberate, None),
    "deliberation.moderation": ("GET", "/moderation", moderators, None),
    "deliberation.hide": ("GET", "/comments/{comment}/hide", moderators, None),
    "deliberation.keep": ("POST", "/comments/{comment}/keep", lambda p: 302 if moderators(p) == 200 else moderators(p), {}),
    "deliberation.notifications": ("GET", "/notifications", signed_in, None),
    "deliberation.mark_read": ("POST", "/notifications/{notification}/read", lambda p: 302 if p == "anonymous" else 404, {}),
    "deliberation.mark_all_read": ("POST", "/notifications/read", lambda p: 302, {}),
    "deliberation.notification_settings": ("POST", "/notifications/settings", lambda p: 302, {}),
    # budgeting: {round} is in its submission phase with support open; {proposal} is another member's, submitted, with a picture
    "budgeting.rounds": ("GET", "/rounds", public, None),
    "budgeting.new_round": ("GET", "/rounds/new", board_only, None),
    "budgeting.round": ("GET", "/rounds/{round}", public, None),
    "budgeting.edit_round": ("GET", "/rounds/{round}/edit", board_only, None),
    "budgeting.advance_phase": (  # skipping phases is refused (flash and back), so the round stays as it is
        "POST",
        "/rounds/{round}/phase",
        lambda p: {"anonymous": 302, "board": 302}.get(p, 403),
        {"to": "closed"},
    ),
    "budgeting.proposals": ("GET", "/rounds/{round}/proposals", public, None),
    "budgeting.new_proposal": ("GET", "/rounds/{round}/proposals/new", may_propose_in_round, None),
    "budgeting.proposal": ("GET", "/proposals/{proposal}", public, None),
    "budgeting.edit_proposal": ("GET", "/proposals/{proposal}/edit", not_the_proposer, None),
    "budgeting.submit_proposal": ("POST", "/proposals/{proposal}/submit", not_the_proposer, {}),
    "budgeting.withdraw_proposal": ("POST", "/proposals/{proposal}/withdraw", not_the_proposer, {}),
    "budgeting.add_co_proposer": ("POST", "/proposals/{proposal}/co-proposers", not_the_proposer, {}),
    "budgeting.review": ("GET", "/proposals/{proposal}/review", moderators, None),
    "budgeting.endorse": ("POST", "/proposals/{proposal}/endorse", may_support, {}),
    "budgeting.declare_interest": ("POST", "/proposals/{proposal}/interest", active_member_post, {"note": "Ik woon ernaast."}),
    "budgeting.version": ("GET", "/proposals/{proposal}/versions/1", public, None),
    "budgeting.image": ("GET", "/proposals/{proposal}/image", public, None),
}

#: Areas keep their rows apart (tests/matrix_<area>.py): ``ROWS`` like MATRIX above, and
#: ``setup(people) -> dict`` that makes what their URLs point at and returns the format keys.
MATRIX_AREAS = [importlib.import_module(f"tests.{p.stem}") for p in sorted(Path(__file__).parent.glob("matrix_*.py"))]
for _area in MATRIX_AREAS:
    MATRIX.update(_area.ROWS)


@pytest.fixture()
def people(db: Any, tiers: dict[str, Any], make_account: Any) -> dict[str, Any]:
    from govern.membership import services

    accounts = {
        "lid": make_account(tier="lid"),
        "deelnemer": make_account(tier="deelnemer"),
        "bewoner": make_account(tier="bewoner"),
        "vriend": make_account(tier="vriend"),
        "pending": make_account(status=MemberStatus.PENDING),
        "suspended": make_account(status=MemberStatus.SUSPENDED),
        "board": make_account(roles=[Role.BOARD]),
        "moderator": make_account(roles=[Role.MODERATOR]),
        "auditor": make_account(roles=[Role.AUDITOR]),
        "teller": make_account(roles=[Role.TELLER]),
    }
    other = make_account(kind=MemberKind.ORGANISATION, name="Ander Initiatief")
    entry = services.create_tier(by=accounts["board"], slug="extra", name_nl="Extra", name_en="Extra")
    from govern.audit.checkpoints import key_path, create_key, make_checkpoint

    if not key_path().exists():
        create_key()
    checkpoint = make_checkpoint(reason="test")
    import sqlalchemy as sa

    from govern.deliberation import services as deliberation
    from govern.deliberation.models import Notification

    comment = deliberation.post_comment("motion:1", author=other, body="Een reactie van een ander lid")
    deliberation.notify(other.member_id, "proposal_status", "proposal:1", {"status": "funded"})
    db.session.commit()
    notification = db.session.scalars(sa.select(Notification).where(Notification.account_id == other.id)).one()
    from tests.budgeting.factories import make_round, proposal_input
    from tests.budgeting.test_services import png

    from govern.budgeting import services as budgeting

    round_ = make_round(accounts["board"], tiers, support_enabled=True)
    proposal = budgeting.create_proposal(
        round_, by=other, values=proposal_input(), image=budgeting.ImageUpload(data=png(), alt="Het plein")
    )
    budgeting.submit(proposal, by=other)
    people = {
        "accounts": accounts,
        "other": other,
        "tier": tiers["lid"],
        "entry_tier": entry,
        "checkpoint": checkpoint,
        "comment": comment,
        "notification": notification,
        "round": round_,
        "proposal": proposal,
    }
    keys: dict[str, Any] = {}
    for area in MATRIX_AREAS:
        keys.update(area.setup(people))
    people["keys"] = keys
    return people


def test_every_route_is_in_the_matrix(app: Any) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint != "static"}
    assert endpoints == set(MATRIX), f"missing: {endpoints - set(MATRIX)}, stale: {set(MATRIX) - endpoints}"


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_access_matrix(app: Any, client: Any, auth: Any, people: dict[str, Any], principal: str) -> None:
    from govern.audit.log import AuditEntry
    import sqlalchemy as sa
    from govern.extensions import db

    account = people["accounts"].get(principal)
    if account is not None:
        auth.as_account(account)
    public_entry = db.session.scalar(sa.select(AuditEntry.seq).where(AuditEntry.type == "tier.created").limit(1))
    failures = []
    for endpoint, (method, pattern, expected, data) in MATRIX.items():
        own = account.member_id if account is not None else people["other"].member_id
        url = pattern.format(
            own=own,
            other=people["other"].member_id,
            other_account=people["other"].id,
            tier=people["tier"].id,
            entry=public_entry,
            checkpoint=people["checkpoint"].size,
            comment=people["comment"].id,
            notification=people["notification"].id,
            round=people["round"].id,
            proposal=people["proposal"].id,
            **people["keys"],
        )
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf_token": csrf_token(client), **(data or {})})
        want = expected(principal)
        if response.status_code != want:
            failures.append(f"{method} {url} as {principal}: {response.status_code}, expected {want}")
        if method == "POST" and endpoint == "membership.sign_out" and account is not None:
            auth.as_account(account)  # signed out by the matrix itself; sign back in
    assert not failures, "\n".join(failures)


def test_private_entries_are_hidden_from_members(client: Any, auth: Any, people: dict[str, Any]) -> None:
    import sqlalchemy as sa

    from govern.audit.log import AuditEntry
    from govern.extensions import db
    from govern.membership import services

    member = people["accounts"]["lid"].member
    services.suspend(member, by=people["accounts"]["board"], reason="Test")
    seq = db.session.scalar(sa.select(AuditEntry.seq).where(AuditEntry.type == "member.suspended"))
    for principal, status in [("anonymous", 404), ("bewoner", 404), ("auditor", 200), ("board", 200)]:
        if principal != "anonymous":
            auth.as_account(people["accounts"][principal])
        assert client.get(f"/audit/{seq}").status_code == status, principal
        listing = client.get("/audit").get_data(as_text=True)
        assert ("member.suspended" in listing) == (status == 200), principal


def test_organisation_delegate_may_add_a_delegate(client: Any, auth: Any, people: dict[str, Any], outbox: Any) -> None:
    org = people["other"]
    auth.as_account(org)
    url = f"/members/{org.member_id}/delegates"
    response = client.post(
        url, data={"csrf_token": csrf_token(client), "display_name": "Tweede", "email": "tweede@example.org"}
    )
    assert response.status_code == 302
    # Someone else's organisation: refused.
    auth.as_account(people["accounts"]["lid"])
    response = client.post(
        url, data={"csrf_token": csrf_token(client), "display_name": "Derde", "email": "derde@example.org"}
    )
    assert response.status_code == 403
