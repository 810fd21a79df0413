"""Deliberation pages: the thread, replies, edits and history, reports, the moderation queue, notifications."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from govern.deliberation import services
from govern.deliberation.models import Comment, CommentReport
from tests.conftest import csrf_token
from tests.deliberation.conftest import counts

THREAD = "/threads/motion:4"


def _comment_data(body: str, stance: str = "idea", prefix: str = "comment", **extra: Any) -> dict[str, Any]:
    return {f"{prefix}-body": body, f"{prefix}-stance": stance, **extra}


def test_anyone_may_read_a_thread(client: Any, db: Any, ama: Any, bram: Any) -> None:
    top = services.post_comment("motion:4", author=ama, body="Ik ben **voor**.", stance="for")
    services.post_comment("motion:4", author=bram, body="Waarom?", stance="question", parent_id=top.id)
    html = client.get(THREAD).get_data(as_text=True)
    assert "Ama Mensah" in html and "Bram de Vries" in html
    assert "<strong>voor</strong>" in html
    assert f'id="comment-{top.id}"' in html
    assert "/sign-in?next=" in html  # visitors are asked to sign in to take part
    assert 'name="comment-body"' not in html


def test_unknown_subject_is_not_found(client: Any, db: Any) -> None:
    assert client.get("/threads/nonsense:1").status_code == 404
    assert client.get("/threads/proposal:abc").status_code == 404
    assert client.get("/threads/proposal:999999").status_code == 404  # no such proposal


def test_member_posts_a_comment(client: Any, auth: Any, ama: Any) -> None:
    auth.as_account(ama)
    token = csrf_token(client, THREAD)
    response = client.post(THREAD, data={"csrf_token": token, **_comment_data("Goed idee!", "for", **{"comment-next": THREAD})})
    assert response.status_code == 302
    comment = services.db.session.scalar(sa.select(Comment))
    assert response.headers["Location"].endswith(f"{THREAD}#comment-{comment.id}")
    html = client.get(THREAD).get_data(as_text=True)
    assert "Goed idee!" in html


def test_next_must_stay_on_the_site(client: Any, auth: Any, ama: Any) -> None:
    auth.as_account(ama)
    token = csrf_token(client, THREAD)
    response = client.post(THREAD, data={"csrf_token": token, **_comment_data("Hoi", **{"comment-next": "https://evil.example/"})})
    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]


def test_bad_comments_get_a_clear_message_and_nothing_is_stored(client: Any, auth: Any, db: Any, ama: Any) -> None:
    auth.as_account(ama)
    before = counts(db)
    for body, message in [
        ("", "Write your comment first"),
        ("x" * 5001, "too long"),
        ("<script>alert(1)</script>", "scripts"),
        ("<b></b>", "no words"),
    ]:
        token = csrf_token(client, THREAD)
        response = client.post(THREAD, data={"csrf_token": token, **_comment_data(body)})
        html = response.get_data(as_text=True)
        assert response.status_code == 422, body
        assert message in html, body
        assert 'id="form-errors"' in html
        assert "<script>alert" not in html
    assert counts(db) == before


def test_reply_page_and_reply(client: Any, auth: Any, db: Any, ama: Any, bram: Any) -> None:
    top = services.post_comment("motion:4", author=ama, body="Wat denken jullie?", stance="question")
    auth.as_account(bram)
    url = f"/comments/{top.id}/reply"
    page = client.get(url)
    assert page.status_code == 200 and "Wat denken jullie?" in page.get_data(as_text=True)
    response = client.post(url, data={"csrf_token": csrf_token(client, url), **_comment_data("Ik ben tegen.", "against", "reply")})
    assert response.status_code == 302
    reply = db.session.scalar(sa.select(Comment).where(Comment.parent_id == top.id))
    assert reply.stance.value == "against" and reply.author_id == bram.id
    # The thread shows it as a reply, and Ama sees "Meldingen (1)" in the header.
    auth.as_account(ama)
    html = client.get(THREAD).get_data(as_text=True)
    assert 'class="replies"' in html
    assert re.search(r'href="/notifications"[^>]*>[^<]*\(1\)', html)


def test_reply_to_hidden_or_unknown_comment(client: Any, auth: Any, db: Any, ama: Any, bram: Any, moderator: Any) -> None:
    top = services.post_comment("motion:4", author=ama, body="Onaardig")
    services.hide_comment(top, by=moderator, reason="Niet vriendelijk")
    auth.as_account(bram)
    url = f"/comments/{top.id}/reply"
    assert 'name="reply-body"' not in client.get(url).get_data(as_text=True)
    before = counts(db)
    response = client.post(url, data={"csrf_token": csrf_token(client, url), **_comment_data("Toch", prefix="reply")})
    assert response.status_code == 422
    assert "hidden" in response.get_data(as_text=True)
    assert counts(db) == before
    assert client.get("/comments/999999/reply").status_code == 404


def test_edit_own_comment_and_see_the_history(client: Any, auth: Any, db: Any, ama: Any, bram: Any) -> None:
    comment = services.post_comment("motion:4", author=ama, body="Eerste tekst", stance="idea")
    url = f"/comments/{comment.id}/edit"
    auth.as_account(bram)
    assert client.get(url).status_code == 403
    assert client.post(url, data={"csrf_token": csrf_token(client), **_comment_data("Gekaapt", prefix="edit")}).status_code == 403
    auth.as_account(ama)
    form = client.get(url).get_data(as_text=True)
    assert "Eerste tekst" in form
    response = client.post(url, data={"csrf_token": csrf_token(client, url), **_comment_data("Tweede tekst", "for", "edit")})
    assert response.status_code == 302
    db.session.refresh(comment)
    assert comment.body == "Tweede tekst" and comment.revision == 2
    html = client.get(THREAD).get_data(as_text=True)
    assert f'href="/comments/{comment.id}/history"' in html  # "edited", with the history one click away
    history = client.get(f"/comments/{comment.id}/history").get_data(as_text=True)
    assert "Eerste tekst" in history and "Tweede tekst" in history
    # An edit without a change, or an empty one: a message, nothing stored.
    before = counts(db)
    for body in ("Tweede tekst", ""):
        response = client.post(url, data={"csrf_token": csrf_token(client, url), **_comment_data(body, "for", "edit")})
        assert response.status_code == 422
    assert counts(db) == before


def test_report_and_moderate(client: Any, auth: Any, db: Any, ama: Any, bram: Any, moderator: Any) -> None:
    comment = services.post_comment("motion:4", author=bram, body="Iets gemeens over de buren")
    url = f"/comments/{comment.id}/report"
    auth.as_account(ama)
    before = counts(db)
    response = client.post(url, data={"csrf_token": csrf_token(client, url), "reason": "  "})
    assert response.status_code == 422 and "Tell the moderators" in response.get_data(as_text=True)
    assert counts(db) == before
    response = client.post(url, data={"csrf_token": csrf_token(client, url), "reason": "Kwetsend"})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CommentReport)) == 1
    # Twice: a clear message.
    response = client.post(url, data={"csrf_token": csrf_token(client, url), "reason": "Nog steeds"})
    assert response.status_code == 422 and "already reported" in response.get_data(as_text=True)

    auth.as_account(moderator)
    queue = client.get("/moderation").get_data(as_text=True)
    assert "Kwetsend" in queue and "Iets gemeens" in queue
    assert re.search(r'href="/moderation"[^>]*>[^<]*\(1\)', queue)
    hide_url = f"/comments/{comment.id}/hide"
    response = client.post(hide_url, data={"csrf_token": csrf_token(client, hide_url), "reason": ""})
    assert response.status_code == 422
    response = client.post(hide_url, data={"csrf_token": csrf_token(client, hide_url), "reason": "Kwetsend voor buren"})
    assert response.status_code == 302
    assert "There are no open reports" in client.get("/moderation").get_data(as_text=True)

    # Everyone sees the placeholder and the reason, not the words.
    auth.sign_out()
    html = client.get(THREAD).get_data(as_text=True)
    assert "Kwetsend voor buren" in html and "Iets gemeens" not in html
    history = client.get(f"/comments/{comment.id}/history").get_data(as_text=True)
    assert "Iets gemeens" not in history
    auth.as_account(moderator)
    assert "Iets gemeens" in client.get(f"/comments/{comment.id}/history").get_data(as_text=True)


def test_keep_from_the_queue(client: Any, auth: Any, db: Any, ama: Any, bram: Any, moderator: Any) -> None:
    comment = services.post_comment("motion:4", author=bram, body="Scherp")
    services.report_comment(comment, by=ama, reason="Te scherp")
    auth.as_account(moderator)
    response = client.post(f"/comments/{comment.id}/keep", data={"csrf_token": csrf_token(client, "/moderation")})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(CommentReport)).resolution == "kept"


def test_members_cannot_hide(client: Any, auth: Any, db: Any, ama: Any, bram: Any) -> None:
    comment = services.post_comment("motion:4", author=bram, body="Tekst")
    auth.as_account(ama)
    url = f"/comments/{comment.id}/hide"
    assert client.get(url).status_code == 403
    assert client.post(url, data={"csrf_token": csrf_token(client), "reason": "Weg"}).status_code == 403
    db.session.refresh(comment)
    assert not comment.is_hidden


def test_notifications_page_mark_read_and_digest_setting(client: Any, auth: Any, db: Any, ama: Any, bram: Any) -> None:
    top = services.post_comment("motion:4", author=ama, body="Vraag")
    services.post_comment("motion:4", author=bram, body="Antwoord", parent_id=top.id)
    services.notify(ama.member_id, "proposal_status", "proposal:3", {"status": "funded", "title": "Bankjes"})
    db.session.commit()
    auth.as_account(ama)
    html = client.get("/notifications").get_data(as_text=True)
    assert "Bram de Vries" in html and "Bankjes" in html
    assert re.search(r'href="/notifications"[^>]*>[^<]*\(2\)', html)
    ids = [int(i) for i in re.findall(r'action="/notifications/(\d+)/read"', html)]
    assert len(ids) == 2
    token = csrf_token(client, "/notifications")
    assert client.post(f"/notifications/{ids[0]}/read", data={"csrf_token": token}).status_code == 302
    assert re.search(r'href="/notifications"[^>]*>[^<]*\(1\)', client.get("/notifications").get_data(as_text=True))
    # Someone else's notification: not found, and left alone.
    auth.as_account(bram)
    assert client.post(f"/notifications/{ids[1]}/read", data={"csrf_token": csrf_token(client)}).status_code == 404
    auth.as_account(ama)
    assert client.post("/notifications/read", data={"csrf_token": token}).status_code == 302
    html = client.get("/notifications").get_data(as_text=True)
    assert not re.search(r'href="/notifications"[^>]*>[^<]*\(\d+\)', html)
    assert client.post("/notifications/settings", data={"csrf_token": token, "daily_digest": "y"}).status_code == 302
    assert services.digest_enabled(ama)
    assert 'checked' in client.get("/notifications").get_data(as_text=True)
    client.post("/notifications/settings", data={"csrf_token": token})
    assert not services.digest_enabled(ama)


def test_thread_on_the_proposal_page_posts_back_to_it(client: Any, auth: Any, db: Any, ama: Any) -> None:
    """A page that includes the thread passes its own path as `next`; errors show on the thread page."""
    auth.as_account(ama)
    html = client.get(THREAD).get_data(as_text=True)
    assert f'name="comment-next" type="hidden" value="{THREAD}"' in html or f'value="{THREAD}"' in html
