"""Membership through HTTP: forms, messages in the user's language, nothing written on bad input."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from govern.membership.models import Account, Member, MemberStatus
from tests.conftest import PASSWORD, audit_count, csrf_token


def apply_data(tiers, **kw):
    data = {
        "kind": "person",
        "name": "Noor de Wit",
        "email": "noor@example.org",
        "password": "mijn-wijk-is-mooi-7",
        "password_confirm": "mijn-wijk-is-mooi-7",
        "neighbourhood": "spangen",
        "tier": str(tiers["bewoner"].id),
        "description": "",
    }
    data.update(kw)
    return data


def count(db, model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_apply_form_creates_pending_member_and_signs_in(client, db, tiers, post):
    response = post("/apply", apply_data(tiers), page="/apply")
    assert response.status_code == 302
    member = db.session.scalar(sa.select(Member).where(Member.name == "Noor de Wit"))
    assert member.status == MemberStatus.PENDING
    home = client.get("/").get_data(as_text=True)
    assert "Noor de Wit" in home


@pytest.mark.parametrize(
    "change, message_en",
    [
        ({"email": "board@example.org"}, "There is already an account with this e-mail address"),
        ({"password": "kort", "password_confirm": "kort"}, "at least 10 characters"),
        ({"password_confirm": "iets-anders-dan-dit"}, "The two passwords are not the same"),
        ({"tier": "987654"}, "Choose one of the participation levels"),
        ({"tier": "abc"}, "Choose one of the participation levels"),
        ({"neighbourhood": "jordaan"}, "Choose your neighbourhood from the list"),
        ({"name": "x" * 121}, "Use at most 120 characters"),
        ({"description": "y" * 2001}, "Use at most 2000 characters"),
        ({"email": "geen-email"}, "This is not a valid e-mail address"),
        ({"kind": ""}, "Choose whether you join as a person or as an organisation"),
    ],
)
def test_bad_applications_get_a_clear_message_and_write_nothing(client, db, tiers, board, post, change, message_en):
    client.post("/language", data={"csrf_token": csrf_token(client), "language": "en"})
    members, accounts, entries = count(db, Member), count(db, Account), audit_count(db)
    response = post("/apply", apply_data(tiers, **change), page="/apply")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message_en in html
    assert 'aria-invalid="true"' in html or 'role="alert"' in html
    assert (count(db, Member), count(db, Account), audit_count(db)) == (members, accounts, entries)


def test_errors_are_in_dutch_by_default(client, db, tiers, post):
    response = post("/apply", apply_data(tiers, password="kort", password_confirm="kort"), page="/apply")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'lang="nl"' in html
    assert "tekens" in html  # "at least 10 characters" in Dutch


def test_post_without_csrf_token_is_refused(client, db, tiers):
    members = count(db, Member)
    response = client.post("/apply", data=apply_data(tiers))
    assert response.status_code == 400
    assert count(db, Member) == members


def test_tampered_csrf_token_is_refused(client, db, tiers):
    token = csrf_token(client, "/apply")
    response = client.post("/apply", data={**apply_data(tiers), "csrf_token": token[:-3] + "abc"})
    assert response.status_code == 400


def test_sign_in_remember_and_sign_out(client, db, make_account, auth):
    account = make_account(email="fatima@example.org")
    response = auth.sign_in("FATIMA@example.org ", remember="y")
    assert response.status_code == 302
    assert "remember_token" in response.headers.get("Set-Cookie", "") or any(
        "remember_token" in h for h in response.headers.getlist("Set-Cookie")
    )
    assert account.display_name in client.get("/").get_data(as_text=True)
    auth.sign_out()
    assert account.display_name not in client.get("/").get_data(as_text=True)


def test_wrong_password_message_and_rate_limit(client, db, make_account, auth, app):
    account = make_account()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        response = auth.sign_in(account.email, "niet-het-goede-wachtwoord")
        assert response.status_code == 422
        assert "klopt niet" in response.get_data(as_text=True)
    response = auth.sign_in(account.email, PASSWORD)
    assert response.status_code == 429
    assert "15" in response.get_data(as_text=True)


def test_password_reset_through_the_outbox(client, db, make_account, outbox, post):
    account = make_account()
    response = post("/password/forgot", {"email": account.email}, page="/password/forgot")
    assert response.status_code == 302
    mail = next(outbox.glob("*.eml")).read_text()
    link = re.search(r"http://\S+/password/reset/\S+", mail).group(0)
    path = link.split("localhost", 1)[-1]
    assert client.get(path).status_code == 200
    response = post(path, {"password": "zomer-in-spangen-99", "password_confirm": "zomer-in-spangen-99"}, page=path)
    assert response.status_code == 302
    assert client.get(path).status_code == 404  # one time only


def test_language_switch_when_signed_out_and_persisted_when_signed_in(client, db, make_account, auth):
    assert 'lang="nl"' in client.get("/").get_data(as_text=True)
    client.post("/language", data={"csrf_token": csrf_token(client), "language": "en", "next": "/members"})
    assert 'lang="en"' in client.get("/").get_data(as_text=True)
    account = make_account(language="nl")
    auth.sign_in(account.email)
    # Signed in, the account's own language wins.
    assert 'lang="nl"' in client.get("/").get_data(as_text=True)
    client.post("/language", data={"csrf_token": csrf_token(client), "language": "en"})
    db.session.refresh(account)
    assert account.language == "en"
    auth.sign_out()
    assert 'lang="en"' in client.get("/").get_data(as_text=True)


def test_language_switch_refuses_open_redirects(client, db):
    response = client.post(
        "/language", data={"csrf_token": csrf_token(client), "language": "en", "next": "https://evil.example/"}
    )
    assert response.headers["Location"] == "/"


def test_board_approves_an_application_through_the_page(client, db, tiers, board, auth, make_account):
    applicant = make_account(status=MemberStatus.PENDING, name="Wachtend Initiatief")
    auth.sign_in(board.email)
    page = client.get("/board/applications").get_data(as_text=True)
    assert "Wachtend Initiatief" in page
    url = f"/board/applications/{applicant.member_id}"
    response = client.post(
        url, data={"csrf_token": csrf_token(client, url), "tier": tiers["lid"].id, "reason": "", "decision": "approve"}
    )
    assert response.status_code == 302
    db.session.refresh(applicant.member)
    assert applicant.member.status == MemberStatus.ACTIVE


def test_board_reject_needs_a_reason(client, db, tiers, board, auth, make_account):
    applicant = make_account(status=MemberStatus.PENDING)
    auth.sign_in(board.email)
    url = f"/board/applications/{applicant.member_id}"
    entries = audit_count(db)
    response = client.post(url, data={"csrf_token": csrf_token(client, url), "tier": tiers["lid"].id, "reason": "", "decision": "reject"})
    assert response.status_code == 422
    assert audit_count(db) == entries


def test_directory_shows_public_fields_only(client, db, make_account):
    account = make_account(name="Zichtbaar Initiatief", email="geheim@example.org")
    make_account(name="Nog Niet Zichtbaar", status=MemberStatus.PENDING)
    html = client.get("/members").get_data(as_text=True)
    assert "Zichtbaar Initiatief" in html and "geheim@example.org" not in html
    assert "Nog Niet Zichtbaar" not in html
    profile = client.get(f"/members/{account.member_id}").get_data(as_text=True)
    assert "geheim@example.org" not in profile


def test_settings_change_password_keeps_user_signed_in(client, db, make_account, auth):
    account = make_account()
    auth.sign_in(account.email)
    token = csrf_token(client, "/account")
    response = client.post(
        "/account",
        data={"csrf_token": token, "pw-current_password": PASSWORD, "pw-password": "een-nieuw-wachtwoord", "pw-password_confirm": "een-nieuw-wachtwoord"},
    )
    assert response.status_code == 302
    assert client.get("/account").status_code == 200


def test_money_and_dates_are_formatted_for_the_locale(app):
    import datetime as dt

    from flask_babel import force_locale

    from govern.i18n import money, when

    with app.test_request_context("/"):
        with force_locale("nl"):
            assert money(123456) == "€\xa01.234,56"
            # 11:30 UTC in winter is 12:30 in Amsterdam.
            assert "12:30" in when(dt.datetime(2026, 1, 15, 11, 30, tzinfo=dt.UTC))
        with force_locale("en"):
            assert money(123456) == "€1,234.56"
