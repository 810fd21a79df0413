"""Who may do what: the user loader and the decorators every route uses.

Rights come from the member's tier (and only while the member is active);
roles (board, moderator, auditor, teller) come from grants to the person's account.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Flask, abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.orm import lazyload

from .extensions import db, login_manager
from .membership.models import Account, Right, Role


def init_app(app: Flask) -> None:
    login_manager.login_view = "membership.sign_in"
    login_manager.login_message = _l("Sign in to continue.")
    login_manager.login_message_category = "info"

    @app.context_processor
    def _access() -> dict[str, Any]:
        return {"Role": Role, "Right": Right, "has_role": has_role, "has_right": has_right}


_ROLES_ON_DEMAND = lazyload(Account.role_grants)


@login_manager.user_loader
def _load_account(key: str) -> Account | None:
    try:
        account_id, token = key.split(":", 1)
        # Roles are loaded when a page first asks for them, not on every request (a ballot
        # post never does): the account, its member and tier come in one query.
        account = db.session.get(Account, int(account_id), options=[_ROLES_ON_DEMAND])
    except ValueError:
        return None
    # A changed password invalidates every session and remember-me cookie of the account.
    if account is None or account.session_token != token:
        return None
    return account


def has_role(*roles: Role) -> bool:
    return bool(current_user.is_authenticated and current_user.has_role(*roles))


def has_right(right: Right) -> bool:
    return bool(current_user.is_authenticated and current_user.has(right))


def require_role(*roles: Role) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Signed in and holding one of ``roles``; otherwise 403 (anonymous visitors go to sign-in)."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def require_right(right: Right) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Signed in as an active member whose tier grants ``right``; otherwise 403."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.has(right):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
