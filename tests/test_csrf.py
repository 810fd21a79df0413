"""Every form is protected against cross-site requests: a POST without a valid token gets 400 and changes nothing."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tests.test_access_matrix import MATRIX


def test_every_post_route_refuses_a_missing_or_forged_token(app: Any, client: Any, db: Any, board: Any, auth: Any) -> None:
    from govern.audit.log import AuditEntry

    auth.as_account(board)
    posts = {rule.rule for rule in app.url_map.iter_rules() if "POST" in (rule.methods or set())}
    assert posts, "no POST routes found"
    entries = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    for rule in app.url_map.iter_rules():
        if "POST" not in (rule.methods or set()):
            continue
        # Fill every URL argument with 1; the token check comes before any lookup.
        url = rule.rule
        for arg in rule.arguments:
            url = url.replace(f"<int:{arg}>", "1").replace(f"<path:{arg}>", "x:1").replace(f"<{arg}>", "x")
        for data in ({}, {"csrf_token": "forged"}):
            response = client.post(url, data=data)
            assert response.status_code == 400, f"POST {url} with {data or 'no token'}: {response.status_code}"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == entries
    assert len(MATRIX) >= len(posts)
