"""Notifications: who is told what, read marks, and the daily e-mail digest (once per day)."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes
from email.policy import default as email_policy
from typing import Any

import pytest
import sqlalchemy as sa

from govern.db import utcnow
from govern.deliberation import services
from govern.deliberation.models import Notification, NotificationDigest, NotificationKind
from govern.membership.models import MemberKind, MemberStatus


def notifications_of(db: Any, account: Any) -> list[Notification]:
    return list(
        db.session.scalars(sa.select(Notification).where(Notification.account_id == account.id).order_by(Notification.id))
    )


def test_a_reply_tells_the_author_of_the_parent(db: Any, ama: Any, bram: Any) -> None:
    top = services.post_comment("motion:1", author=ama, body="Vraag?", stance="question")
    reply = services.post_comment("motion:1", author=bram, body="Antwoord", parent_id=top.id)
    [n] = notifications_of(db, ama)
    assert n.kind == NotificationKind.REPLY and n.subject == "motion:1"
    assert n.params == {"comment": reply.id, "parent": top.id} and n.read_at is None
    assert notifications_of(db, bram) == []


def test_replying_to_yourself_tells_nobody(db: Any, ama: Any) -> None:
    top = services.post_comment("motion:1", author=ama, body="Een")
    services.post_comment("motion:1", author=ama, body="Twee", parent_id=top.id)
    assert notifications_of(db, ama) == []


def test_notify_reaches_every_active_account_of_the_member(db: Any, make_account: Any) -> None:
    first = make_account(kind=MemberKind.ORGANISATION, name="Buurthuis")
    second = make_account(member=first.member, name="Tweede delegate")
    gone = make_account(member=first.member, name="Vertrokken")
    gone.disabled = True
    db.session.commit()
    services.notify(first.member_id, "proposal_status", "proposal:4", {"status": "eligible", "title": "Bankjes"})
    db.session.commit()
    assert [len(notifications_of(db, a)) for a in (first, second, gone)] == [1, 1, 0]


def test_notify_does_not_commit_on_its_own(db: Any, ama: Any) -> None:
    db.session.begin_nested()
    services.notify(ama.member_id, "proposal_status", "proposal:4", {"status": "funded"})
    db.session.rollback()
    assert notifications_of(db, ama) == []


def test_notify_refuses_an_unknown_kind(db: Any, ama: Any) -> None:
    with pytest.raises(ValueError):
        services.notify(ama.member_id, "gossip", "proposal:4", {})


def test_notify_skips_members_who_ended(db: Any, make_account: Any) -> None:
    ended = make_account(status=MemberStatus.ENDED)
    services.notify(ended.member_id, "proposal_status", "proposal:4", {"status": "funded"})
    db.session.commit()
    assert notifications_of(db, ended) == []


def test_a_comment_on_a_proposal_tells_its_proposers(db: Any, ama: Any, bram: Any, make_account: Any, monkeypatch: Any) -> None:
    import govern.budgeting.queries as budgeting_queries

    co = make_account(name="Mede-indiener")
    monkeypatch.setattr(services, "subject_exists", lambda subject: True)
    monkeypatch.setattr(budgeting_queries, "proposer_member_ids", lambda pid: [bram.member_id, co.member_id] if pid == 5 else [])
    comment = services.post_comment("proposal:5", author=ama, body="Mooi plan", stance="for")
    for proposer in (bram, co):
        [n] = notifications_of(db, proposer)
        assert n.kind == NotificationKind.COMMENT_ON_MY_PROPOSAL and n.params == {"comment": comment.id}
    # A proposer who replies to a comment is not told about their own words; the one they answer is, once.
    reply = services.post_comment("proposal:5", author=bram, body="Dank je", parent_id=comment.id)
    assert len(notifications_of(db, bram)) == 1
    kinds = [n.kind for n in notifications_of(db, ama)]
    assert kinds == [NotificationKind.REPLY]
    assert [n.params for n in notifications_of(db, co)][-1] == {"comment": reply.id}
    # Other threads tell the proposers nothing.
    services.post_comment("motion:5", author=ama, body="Over de motie")
    assert len(notifications_of(db, co)) == 2


def test_with_a_real_proposal_proposers_hear_of_comments_and_status_changes(
    db: Any, ama: Any, board: Any, tiers: Any, make_account: Any
) -> None:
    """The whole way through budgeting: proposer_member_ids() for comments, notify() for a review."""
    from govern.budgeting import services as budgeting
    from govern.budgeting.models import Phase
    from govern.deliberation.queries import describe
    from tests.budgeting.factories import make_proposal, make_round, move_to

    round_ = make_round(board, tiers)
    proposer = make_account(tier="deelnemer", name="Voedseltuin")
    proposal = make_proposal(round_, proposer, title="Moestuin op het plein")
    services.post_comment(proposal.subject, author=ama, body="Wanneer begint het?", stance="question")
    kinds = [n.kind for n in notifications_of(db, proposer)]
    assert NotificationKind.COMMENT_ON_MY_PROPOSAL in kinds
    move_to(round_, board, Phase.REVIEW)
    budgeting.review(proposal, by=board, eligible=True, reason="Past binnen de regels.")
    status = [n for n in notifications_of(db, proposer) if n.kind == NotificationKind.PROPOSAL_STATUS]
    assert status and status[-1].subject == proposal.subject
    texts = [d.text for d in describe(notifications_of(db, proposer))]
    assert any("Moestuin op het plein" in t for t in texts)
    assert any("Ama Mensah" in t for t in texts)


def test_describe_turns_notifications_into_sentences_and_links(db: Any, ama: Any, bram: Any) -> None:
    from govern.deliberation.queries import describe

    top = services.post_comment("motion:1", author=ama, body="Vraag?")
    reply = services.post_comment("motion:1", author=bram, body="Antwoord", parent_id=top.id)
    services.notify(ama.member_id, "proposal_status", "proposal:1", {"status": "on_ballot", "title": "Speeltuin"})
    db.session.commit()
    described = describe(notifications_of(db, ama))
    assert len(described) == 2
    assert "Bram de Vries" in described[0].text
    assert described[0].url.endswith(f"#comment-{reply.id}")
    assert "Speeltuin" in described[1].text


def test_mark_read_only_touches_your_own(db: Any, ama: Any, bram: Any) -> None:
    services.notify(ama.member_id, "proposal_status", "proposal:1", {"status": "funded"})
    services.notify(ama.member_id, "proposal_status", "proposal:2", {"status": "funded"})
    services.notify(bram.member_id, "proposal_status", "proposal:3", {"status": "funded"})
    db.session.commit()
    first, second = notifications_of(db, ama)
    [theirs] = notifications_of(db, bram)
    assert services.mark_read(ama, [first.id, theirs.id]) == 1
    db.session.expire_all()
    assert first.read_at is not None and second.read_at is None and theirs.read_at is None
    assert services.mark_read(ama) == 1
    assert services.mark_read(ama) == 0


# --- the daily digest ------------------------------------------------------------------------


def _mails(outbox: Any) -> list[Any]:
    return [message_from_bytes(p.read_bytes(), policy=email_policy) for p in sorted(outbox.glob("*.eml"))]


def test_digest_setting_goes_on_the_record(db: Any, ama: Any) -> None:
    from govern.audit.log import AuditEntry

    assert not services.digest_enabled(ama)
    services.set_daily_digest(ama, True)
    services.set_daily_digest(ama, True)  # no change, no entry
    assert services.digest_enabled(ama)
    [entry] = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.type == "account.digest_changed")).all()
    assert entry.subject == f"account:{ama.id}" and entry.data == {"daily_digest": True}


def test_digest_mails_opted_in_accounts_once_a_day(db: Any, app: Any, ama: Any, bram: Any, outbox: Any) -> None:
    services.set_daily_digest(ama, True)
    top = services.post_comment("motion:1", author=ama, body="Vraag?")
    services.post_comment("motion:1", author=bram, body="Antwoord", parent_id=top.id)
    services.post_comment("motion:1", author=ama, body="Bram, wat vind jij?", parent_id=top.id)  # tells nobody
    reply_to_bram = services.post_comment("motion:1", author=ama, body="Bram?", parent_id=top.id)
    assert reply_to_bram
    # Bram has a notification too, but did not ask for e-mail.
    assert services.send_digests() == 1
    [mail] = _mails(outbox)
    assert mail["To"] == ama.email
    text = mail.get_content()
    assert "Bram de Vries" in text and "/threads/motion:1#comment-" in text
    assert services.send_digests() == 0  # the same day: nothing new
    assert len(_mails(outbox)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NotificationDigest)) == 1


def test_digest_skips_read_and_old_notifications(db: Any, ama: Any, outbox: Any) -> None:
    services.set_daily_digest(ama, True)
    services.notify(ama.member_id, "proposal_status", "proposal:1", {"status": "funded"})
    db.session.commit()
    [n] = notifications_of(db, ama)
    n.created_at = utcnow() - dt.timedelta(days=2)
    db.session.commit()
    assert services.send_digests() == 0
    services.notify(ama.member_id, "proposal_status", "proposal:2", {"status": "funded"})
    db.session.commit()
    services.mark_read(ama)
    assert services.send_digests() == 0
    assert _mails(outbox) == []


def test_digest_next_day_sends_again(db: Any, ama: Any, outbox: Any) -> None:
    services.set_daily_digest(ama, True)
    services.notify(ama.member_id, "proposal_status", "proposal:1", {"status": "funded"})
    db.session.commit()
    now = utcnow()
    assert services.send_digests(now) == 1
    services.notify(ama.member_id, "proposal_status", "proposal:2", {"status": "not_funded"})
    db.session.commit()
    assert services.send_digests(now + dt.timedelta(minutes=1)) == 0
    assert services.send_digests(now + dt.timedelta(days=1)) == 1
    assert len(_mails(outbox)) == 2


def test_digest_command(db: Any, app: Any, ama: Any, outbox: Any) -> None:
    services.set_daily_digest(ama, True)
    services.notify(ama.member_id, "proposal_status", "proposal:1", {"status": "eligible", "title": "Buurtmoestuin"})
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["notifications", "digest"])
    assert result.exit_code == 0, result.output
    assert "1 e-mail" in result.output
    [mail] = _mails(outbox)
    text = mail.get_content()
    assert "Buurtmoestuin" in text
    assert app.config["GOVERN_BASE_URL"] in text or "http://" in text
    again = runner.invoke(args=["notifications", "digest"])
    assert "0 e-mail" in again.output
