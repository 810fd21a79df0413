"""Deliberation services: every transition, every refusal (nothing stored), and the record."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from govern.audit.log import AuditEntry
from govern.deliberation import services
from govern.deliberation.models import Comment, CommentReport, Stance, Thread
from govern.membership.models import MemberStatus, Role, Tier
from govern.services import ServiceError
from tests.deliberation.conftest import counts


def entries(db: Any, type_: str) -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.type == type_).order_by(AuditEntry.seq)))


# --- posting ---------------------------------------------------------------------------------


def test_first_comment_makes_the_thread_and_goes_on_the_record(db: Any, ama: Any) -> None:
    assert db.session.scalar(sa.select(Thread).where(Thread.subject == "motion:12")) is None
    comment = services.post_comment("motion:12", author=ama, body="Goed plan voor **Spangen**.", stance="for")
    thread = db.session.scalar(sa.select(Thread).where(Thread.subject == "motion:12"))
    assert comment.thread is thread
    assert comment.stance == Stance.FOR and comment.revision == 1 and not comment.is_edited
    assert [r.number for r in comment.revisions] == [1]
    [entry] = entries(db, "comment.posted")
    assert entry.subject == f"comment:{comment.id}"
    assert entry.actor == f"account:{ama.id}"
    assert entry.data["thread"] == "motion:12" and entry.data["stance"] == "for" and entry.data["parent"] is None
    assert len(entry.data["sha256"]) == 64
    # Ids only: no names or e-mail addresses on the permanent record.
    assert "Ama" not in entry.body.decode() and ama.email not in entry.body.decode()


def test_second_comment_uses_the_same_thread_and_the_default_stance_is_idea(db: Any, ama: Any, bram: Any) -> None:
    first = services.post_comment("motion:3", author=ama, body="Eerste")
    second = services.post_comment("motion:3", author=bram, body="Tweede")
    assert first.thread_id == second.thread_id
    assert second.stance == Stance.IDEA
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Thread)) == 1


def test_replies_nest_two_levels_and_deeper_ones_are_drawn_flat(db: Any, ama: Any, bram: Any) -> None:
    from govern.deliberation.queries import thread_for

    top = services.post_comment("motion:1", author=ama, body="Top")
    one = services.post_comment("motion:1", author=bram, body="Level 1", stance="question", parent_id=top.id)
    two = services.post_comment("motion:1", author=ama, body="Level 2", stance="idea", parent_id=one.id)
    three = services.post_comment("motion:1", author=bram, body="Level 3", stance="against", parent_id=two.id)
    four = services.post_comment("motion:1", author=ama, body="Level 4", parent_id=three.id)
    view = thread_for("motion:1")
    assert view.count == 5
    [entry] = view.entries
    assert entry.comment.id == top.id and entry.level == 0
    [level1] = entry.replies
    assert level1.comment.id == one.id and level1.level == 1
    # Level 2 and everything deeper: one flat list under the level-1 reply, in order of time.
    assert [(e.comment.id, e.level) for e in level1.replies] == [(two.id, 2), (three.id, 2), (four.id, 2)]
    assert [e.in_reply_to.id if e.in_reply_to else None for e in level1.replies] == [None, two.id, three.id]


def test_thread_for_uses_one_query_for_comments_and_authors(db: Any, make_account: Any) -> None:
    from govern.deliberation.queries import thread_for
    from govern.extensions import db as _db

    authors = [make_account() for _ in range(5)]
    parent = None
    for i in range(12):
        comment = services.post_comment("motion:7", author=authors[i % 5], body=f"Reactie {i}", parent_id=parent)
        parent = comment.id if i % 3 else None
    db.session.expunge_all()  # nothing cached: the page starts from an empty session
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    sa.event.listen(_db.engine, "before_cursor_execute", count)
    try:
        view = thread_for("motion:7")
        names = [e.comment.author.display_name + e.comment.author.member.name for e in view.entries]
        for e in view.entries:
            for r in e.replies:
                names.append(r.comment.author.display_name)
    finally:
        sa.event.remove(_db.engine, "before_cursor_execute", count)
    assert view.count == 12 and names
    assert len(statements) == 1, statements


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("", "Write your comment first"),
        ("   \n  ", "Write your comment first"),
        ("x" * 5001, "too long"),
        ("<script>alert('hoi')</script> Leuk plan", "scripts"),
        ("Klik [hier](javascript:alert(1))", "scripts"),
        ('<img src="x" onerror="alert(1)">', "scripts"),
        ("<b></b>", "no words"),
        ("***", "no words"),
    ],
)
def test_bad_bodies_are_refused_and_nothing_is_stored(db: Any, ama: Any, body: str, words: str) -> None:
    before = counts(db)
    with pytest.raises(ServiceError) as error:
        services.post_comment("motion:2", author=ama, body=body)
    assert words in str(error.value.message)
    assert error.value.field == "body"
    assert counts(db) == before


def test_exactly_5000_characters_is_allowed(db: Any, ama: Any) -> None:
    assert services.post_comment("motion:2", author=ama, body="a" * 5000).body == "a" * 5000


def test_markdown_is_sanitized_when_shown(db: Any, ama: Any) -> None:
    from govern.deliberation.markdown import render

    comment = services.post_comment("motion:2", author=ama, body="**Vet** en <b>html</b> [link](https://example.org)")
    html = str(render(comment.body))
    assert "<strong>Vet</strong>" in html
    assert "<b>" not in html
    assert 'rel="nofollow' in html


@pytest.mark.parametrize("subject", ["", "proposal", "motion:0", "motion:abc", "nonsense:1", "motion:1/../x", "PROPOSAL:1"])
def test_unknown_subjects_are_refused(db: Any, ama: Any, subject: str) -> None:
    before = counts(db)
    with pytest.raises(ServiceError):
        services.post_comment(subject, author=ama, body="Hallo")
    assert counts(db) == before


def test_unknown_stance_is_refused(db: Any, ama: Any) -> None:
    with pytest.raises(ServiceError) as error:
        services.post_comment("motion:2", author=ama, body="Hallo", stance="maybe")
    assert error.value.field == "stance"


def test_reply_to_unknown_or_other_threads_comment_is_refused(db: Any, ama: Any, bram: Any) -> None:
    elsewhere = services.post_comment("motion:8", author=bram, body="Ergens anders")
    before = counts(db)
    for parent_id in (999999, elsewhere.id):
        with pytest.raises(ServiceError) as error:
            services.post_comment("motion:9", author=ama, body="Antwoord", parent_id=parent_id)
        assert "does not exist" in str(error.value.message)
    assert counts(db) == before


def test_reply_to_hidden_comment_is_refused(db: Any, ama: Any, bram: Any, moderator: Any) -> None:
    comment = services.post_comment("motion:3", author=bram, body="Iets onaardigs")
    services.hide_comment(comment, by=moderator, reason="Persoonlijke aanval")
    before = counts(db)
    with pytest.raises(ServiceError) as error:
        services.post_comment("motion:3", author=ama, body="Antwoord", parent_id=comment.id)
    assert "hidden" in str(error.value.message)
    assert counts(db) == before


@pytest.mark.parametrize("status", [MemberStatus.PENDING, MemberStatus.SUSPENDED, MemberStatus.ENDED])
def test_only_active_members_may_post(db: Any, make_account: Any, status: MemberStatus) -> None:
    account = make_account(status=status)
    before = counts(db)
    with pytest.raises(ServiceError):
        services.post_comment("motion:4", author=account, body="Mag dit?")
    assert counts(db) == before


def test_a_tier_without_the_right_to_deliberate_may_not_post(db: Any, make_account: Any, tiers: Any) -> None:
    tiers["kijker"] = Tier(slug="kijker", name_nl="Kijker", name_en="Watcher", can_deliberate=False)
    db.session.add(tiers["kijker"])
    db.session.commit()
    account = make_account(tier="kijker")
    with pytest.raises(ServiceError):
        services.post_comment("motion:4", author=account, body="Mag dit?")


# --- editing ---------------------------------------------------------------------------------


def test_author_edits_and_every_edit_is_a_revision(db: Any, ama: Any) -> None:
    comment = services.post_comment("motion:5", author=ama, body="Eerste versie", stance="question")
    services.edit_comment(comment, by=ama, body="Tweede versie", stance="for")
    services.edit_comment(comment, by=ama, body="Derde versie")
    assert comment.body == "Derde versie" and comment.stance == Stance.FOR and comment.revision == 3
    assert comment.is_edited and comment.edited_at is not None
    assert [(r.number, r.body, r.stance) for r in comment.revisions] == [
        (1, "Eerste versie", Stance.QUESTION),
        (2, "Tweede versie", Stance.FOR),
        (3, "Derde versie", Stance.FOR),
    ]
    assert [e.data["revision"] for e in entries(db, "comment.edited")] == [2, 3]
    assert all(e.subject == f"comment:{comment.id}" for e in entries(db, "comment.edited"))


def test_nobody_else_may_edit_and_nothing_changes(db: Any, ama: Any, bram: Any, board: Any, moderator: Any) -> None:
    comment = services.post_comment("motion:5", author=ama, body="Mijn woorden")
    before = counts(db)
    for other in (bram, board, moderator):
        with pytest.raises(ServiceError):
            services.edit_comment(comment, by=other, body="Andere woorden")
    db.session.refresh(comment)
    assert comment.body == "Mijn woorden" and comment.revision == 1
    assert counts(db) == before


def test_edit_refusals(db: Any, ama: Any, moderator: Any) -> None:
    comment = services.post_comment("motion:5", author=ama, body="Tekst", stance="idea")
    with pytest.raises(ServiceError, match="did not change"):
        services.edit_comment(comment, by=ama, body="  Tekst  ", stance="idea")
    with pytest.raises(ServiceError, match="scripts"):
        services.edit_comment(comment, by=ama, body="<script>x</script>")
    with pytest.raises(ServiceError, match="first"):
        services.edit_comment(comment, by=ama, body="")
    services.hide_comment(comment, by=moderator, reason="Test")
    with pytest.raises(ServiceError, match="hidden"):
        services.edit_comment(comment, by=ama, body="Nieuwe tekst")
    db.session.refresh(comment)
    assert comment.body == "Tekst" and comment.revision == 1


# --- reporting and hiding --------------------------------------------------------------------


def test_report_goes_on_the_record_without_the_reason(db: Any, ama: Any, bram: Any) -> None:
    comment = services.post_comment("motion:6", author=bram, body="Hm")
    report = services.report_comment(comment, by=ama, reason="Noemt het adres van Fatima")
    assert report.resolved_at is None
    [entry] = entries(db, "comment.reported")
    assert entry.subject == f"comment:{comment.id}" and entry.data == {"report": report.id}
    assert "Fatima" not in entry.body.decode()


def test_report_refusals(db: Any, ama: Any, bram: Any, make_account: Any) -> None:
    comment = services.post_comment("motion:6", author=bram, body="Hm")
    before = counts(db)
    with pytest.raises(ServiceError) as error:
        services.report_comment(comment, by=ama, reason="   ")
    assert error.value.field == "reason"
    with pytest.raises(ServiceError, match="own comment"):
        services.report_comment(comment, by=bram, reason="Oeps")
    with pytest.raises(ServiceError):
        services.report_comment(comment, by=make_account(status=MemberStatus.SUSPENDED), reason="Nee")
    with pytest.raises(ServiceError, match="1000"):
        services.report_comment(comment, by=ama, reason="x" * 1001)
    assert counts(db) == before
    services.report_comment(comment, by=ama, reason="Beledigend")
    with pytest.raises(ServiceError, match="already reported"):
        services.report_comment(comment, by=ama, reason="Nog een keer")


def test_moderator_hides_with_a_public_reason_and_open_reports_close(db: Any, ama: Any, bram: Any, moderator: Any) -> None:
    comment = services.post_comment("motion:6", author=bram, body="Scheldwoord")
    report = services.report_comment(comment, by=ama, reason="Beledigend")
    services.hide_comment(comment, by=moderator, reason="Beledigend voor een buurvrouw")
    assert comment.is_hidden and comment.hidden_by_id == moderator.id
    assert comment.hidden_reason == "Beledigend voor een buurvrouw"
    assert comment.body == "Scheldwoord"  # hidden, never deleted
    assert report.resolved_at is not None and report.resolution == "hidden" and report.resolved_by_id == moderator.id
    [entry] = entries(db, "comment.hidden")
    assert entry.subject == f"comment:{comment.id}"
    assert entry.data == {"reason": "Beledigend voor een buurvrouw", "reports": [report.id]}
    assert db.session.get(Comment, comment.id) is not None


def test_board_may_hide_too(db: Any, bram: Any, board: Any) -> None:
    comment = services.post_comment("motion:6", author=bram, body="Iets")
    services.hide_comment(comment, by=board, reason="Reclame")
    assert comment.is_hidden


def test_hide_refusals(db: Any, ama: Any, bram: Any, moderator: Any, make_account: Any) -> None:
    comment = services.post_comment("motion:6", author=bram, body="Iets")
    before = counts(db)
    for account in (ama, make_account(roles=[Role.AUDITOR]), make_account(roles=[Role.TELLER])):
        with pytest.raises(ServiceError, match="moderators"):
            services.hide_comment(comment, by=account, reason="Weg ermee")
    with pytest.raises(ServiceError) as error:
        services.hide_comment(comment, by=moderator, reason="")
    assert error.value.field == "reason"
    assert counts(db) == before and not comment.is_hidden
    services.hide_comment(comment, by=moderator, reason="Reden")
    with pytest.raises(ServiceError, match="already hidden"):
        services.hide_comment(comment, by=moderator, reason="Nog eens")
    with pytest.raises(ServiceError, match="already hidden"):
        services.report_comment(comment, by=ama, reason="Te laat")


def test_keep_closes_the_reports_and_goes_on_the_record(db: Any, ama: Any, bram: Any, moderator: Any) -> None:
    comment = services.post_comment("motion:6", author=bram, body="Scherp maar eerlijk")
    report = services.report_comment(comment, by=ama, reason="Te scherp")
    with pytest.raises(ServiceError, match="moderators"):
        services.keep_comment(comment, by=ama)
    services.keep_comment(comment, by=moderator)
    assert report.resolution == "kept" and not comment.is_hidden
    [entry] = entries(db, "comment.kept")
    assert entry.data == {"reports": [report.id]}
    with pytest.raises(ServiceError, match="no open reports"):
        services.keep_comment(comment, by=moderator)


def test_a_failing_service_leaves_no_half_written_state(db: Any, ama: Any, monkeypatch: Any) -> None:
    """The comment, its revision and its audit entry commit together or not at all."""
    import govern.deliberation.services as module

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(module, "record", broken)
    before = counts(db)
    with pytest.raises(RuntimeError):
        services.post_comment("motion:10", author=ama, body="Verdwijnt")
    assert counts(db) == before
    assert db.session.scalar(sa.select(CommentReport)) is None


# --- proposals (budgeting) -------------------------------------------------------------------


def test_a_proposal_thread_needs_a_public_proposal(db: Any, ama: Any, board: Any, tiers: Any, make_account: Any) -> None:
    from tests.budgeting.factories import make_proposal, make_round

    round_ = make_round(board, tiers)
    proposer = make_account(tier="deelnemer", name="Voedseltuin")
    draft = make_proposal(round_, proposer, submit=False)
    public = make_proposal(round_, proposer, title="Bankjes op het plein")
    before = counts(db)
    for subject in (f"proposal:{draft.id}", "proposal:999999"):
        with pytest.raises(ServiceError, match="no discussion"):
            services.post_comment(subject, author=ama, body="Hallo")
    assert counts(db) == before
    assert services.post_comment(public.subject, author=ama, body="Mooi!").thread.subject == f"proposal:{public.id}"
