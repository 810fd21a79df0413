"""Membership operations: every transition changes state and writes its entry, or neither."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from govern.audit.log import AuditEntry, verify_chain
from govern.audit import canonical
from govern.membership import services
from govern.membership.models import Account, Member, MemberStatus, Role, Tier
from govern.services import ServiceError
from tests.conftest import audit_count


def last_entry(db):
    return db.session.scalar(sa.select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1))


def apply(tiers, **kw):
    values = dict(
        name="Buurtmoestuin Spangen",
        email="moestuin@example.org",
        password="tomaten-en-bonen-2026",
        neighbourhood="spangen",
        kind="organisation",
        tier_id=tiers["lid"].id,
    )
    values.update(kw)
    return services.apply(**values)


def test_apply_creates_pending_member_and_entry_without_personal_data(db, tiers):
    account = apply(tiers)
    assert account.member.status == MemberStatus.PENDING
    assert account.password_hash.startswith("$argon2id$")
    entry = last_entry(db)
    assert (entry.type, entry.subject) == ("member.applied", f"member:{account.member_id}")
    body = entry.body.decode()
    assert "Spangen" not in body.replace("spangen", "") and "moestuin@example.org" not in body
    assert entry.data == {"kind": "organisation", "neighbourhood": "spangen", "tier": tiers["lid"].id, "account": account.id}


@pytest.mark.parametrize(
    "change, field",
    [
        ({"email": "board@example.org"}, "email"),  # duplicate (board fixture)
        ({"password": "kort"}, "password"),
        ({"password": "aaaaaaaaaaaaaa"}, "password"),
        ({"password": "moestuin-wachtwoord", "email": "moestuin@example.org"}, "password"),
        ({"tier_id": 999999}, "tier"),
        ({"neighbourhood": "amsterdam"}, "neighbourhood"),
        ({"kind": "robot"}, "kind"),
    ],
)
def test_bad_applications_are_refused_and_write_nothing(db, tiers, board, change, field):
    members, entries = db.session.scalar(sa.select(sa.func.count()).select_from(Member)), audit_count(db)
    with pytest.raises(ServiceError) as info:
        apply(tiers, **change)
    assert info.value.field == field
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Member)) == members
    assert audit_count(db) == entries


def test_duplicate_email_ignores_case_and_spaces(db, tiers):
    apply(tiers)
    with pytest.raises(ServiceError):
        apply(tiers, email="  MoesTuin@Example.org ")


def test_closed_tier_cannot_be_asked_for(db, tiers):
    tiers["lid"].open_for_applications = False
    db.session.commit()
    with pytest.raises(ServiceError):
        apply(tiers)


def test_approve_and_reject(db, tiers, board, outbox):
    a = apply(tiers)
    b = apply(tiers, email="b@example.org", name="B")
    services.approve(a.member, by=board, tier_id=tiers["deelnemer"].id)
    assert a.member.status == MemberStatus.ACTIVE and a.member.tier.slug == "deelnemer"
    entry = last_entry(db)
    assert (entry.type, entry.actor, entry.data) == ("member.approved", f"account:{board.id}", {"tier": tiers["deelnemer"].id})
    with pytest.raises(ServiceError):
        services.reject(b.member, by=board, reason="   ")
    assert b.member.status == MemberStatus.PENDING
    services.reject(b.member, by=board, reason="Geen initiatief in Delfshaven")
    assert b.member.status == MemberStatus.REJECTED
    assert last_entry(db).data == {"reason": "Geen initiatief in Delfshaven"}
    # A decided application cannot be decided again.
    with pytest.raises(ServiceError):
        services.approve(b.member, by=board)
    mails = sorted(outbox.glob("*.eml"))
    assert len(mails) == 2
    texts = [m.read_text() for m in mails]
    assert any("Geen initiatief in Delfshaven" in t for t in texts)
    # Dutch by default.
    assert any("goedgekeurd" in t.lower() or "welkom" in t.lower() for t in texts)


def test_rejected_account_cannot_sign_in(db, tiers, board):
    a = apply(tiers)
    services.reject(a.member, by=board, reason="Buiten het werkgebied")
    with pytest.raises(ServiceError):
        services.sign_in("moestuin@example.org", "tomaten-en-bonen-2026", ip="1.2.3.4")


def test_lifecycle_change_tier_suspend_reinstate_end(db, tiers, board, make_account):
    account = make_account(tier="bewoner")
    member = account.member
    services.change_tier(member, by=board, tier_id=tiers["lid"].id, reason="Nu een initiatief")
    assert member.tier.slug == "lid"
    assert last_entry(db).data == {"from": tiers["bewoner"].id, "to": tiers["lid"].id, "reason": "Nu een initiatief"}
    services.suspend(member, by=board, reason="Betaling mist")
    assert member.status == MemberStatus.SUSPENDED and not member.has(services.Right.VOTE_ASSEMBLY) if hasattr(services, "Right") else True
    assert not member.is_active
    services.reinstate(member, by=board, reason="Betaald")
    assert member.is_active
    services.end(member, by=board, reason="Opgezegd")
    assert member.status == MemberStatus.ENDED
    assert not account.is_active
    types = db.session.scalars(sa.select(AuditEntry.type).order_by(AuditEntry.seq)).all()[-4:]
    assert types == ["member.tier_changed", "member.suspended", "member.reinstated", "member.ended"]
    with pytest.raises(ServiceError):
        services.suspend(member, by=board, reason="x")


def test_delegates_act_for_one_organisation(db, tiers, board, make_account, outbox):
    from govern.membership.models import MemberKind

    org = make_account(kind=MemberKind.ORGANISATION, name="Taalcafé")
    delegate = services.add_delegate(org.member, by=org, email="tweede@example.org", display_name="Tweede")
    assert delegate.member_id == org.member_id
    assert last_entry(db).type == "account.password_reset_requested"
    assert len(list(outbox.glob("*.eml"))) == 1
    person = make_account()
    with pytest.raises(ServiceError):
        services.add_delegate(person.member, by=person, email="derde@example.org", display_name="Derde")


def test_roles_are_granted_and_revoked_on_the_record(db, board, make_account):
    account = make_account()
    services.grant_role(account, Role.AUDITOR, by=board)
    assert account.has_role(Role.AUDITOR)
    with pytest.raises(ServiceError):
        services.grant_role(account, Role.AUDITOR, by=board)
    services.revoke_role(account, Role.AUDITOR, by=board)
    assert not account.roles
    assert last_entry(db).data == {"role": "auditor"}
    with pytest.raises(ServiceError):
        services.revoke_role(board, Role.BOARD, by=board)  # the last board member stays


def test_tiers_are_data(db, board):
    tier = services.create_tier(
        by=board, slug="jongeren", name_nl="Jongeren", name_en="Youth", can_deliberate=True, vote_weight=0
    )
    entry = last_entry(db)
    assert entry.type == "tier.created" and entry.data["rights"] == ["deliberate"]
    services.update_tier(tier, by=board, can_vote_budget=True, vote_weight=2)
    assert last_entry(db).data == {"rights": ["deliberate", "vote_budget"], "vote_weight": 2}
    with pytest.raises(ServiceError):
        services.create_tier(by=board, slug="jongeren", name_nl="x", name_en="x")
    with pytest.raises(ServiceError):
        services.update_tier(tier, by=board, vote_weight=-1)


def test_password_change_invalidates_sessions(db, make_account):
    account = make_account()
    old = account.get_id()
    with pytest.raises(ServiceError):
        services.change_password(account, current="fout-wachtwoord", new="nieuw-wachtwoord-123")
    services.change_password(account, current="een-goed-wachtwoord-42", new="nieuw-wachtwoord-123")
    assert account.get_id() != old
    assert services.sign_in(account.email, "nieuw-wachtwoord-123", ip="x") == account


def test_password_reset_token_is_one_time(db, make_account, outbox):
    import re

    account = make_account()
    services.request_password_reset(account.email.upper())
    services.request_password_reset("onbekend@example.org")  # says nothing, sends nothing
    mails = list(outbox.glob("*.eml"))
    assert len(mails) == 1
    token = re.search(r"/password/reset/([A-Za-z0-9_-]+)", mails[0].read_text()).group(1)
    assert services.find_reset(token) is not None
    services.reset_password(token, "een-heel-nieuw-wachtwoord")
    assert services.find_reset(token) is None
    with pytest.raises(ServiceError):
        services.reset_password(token, "nog-een-ander-wachtwoord")


def test_sign_in_rate_limit(db, make_account, app):
    account = make_account()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        with pytest.raises(ServiceError) as info:
            services.sign_in(account.email, "fout-fout-fout", ip="10.0.0.1")
        assert not isinstance(info.value, services.TooManyAttempts)
    with pytest.raises(services.TooManyAttempts):
        services.sign_in(account.email, "een-goed-wachtwoord-42", ip="10.0.0.1")


def test_every_entry_chains_and_the_chain_verifies(db, tiers, board):
    a = apply(tiers)
    services.approve(a.member, by=board)
    checked, bad, _ = verify_chain(db.session)
    assert bad is None and checked == audit_count(db) >= 2
    for entry in db.session.scalars(sa.select(AuditEntry)):
        assert canonical.encode(canonical.decode(entry.body)) == entry.body
