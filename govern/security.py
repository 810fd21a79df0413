"""Password hashing (argon2-cffi) and one-time tokens."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(
        time_cost=cfg["ARGON2_TIME_COST"], memory_cost=cfg["ARGON2_MEMORY_COST"], parallelism=cfg["ARGON2_PARALLELISM"]
    )


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def check_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


#: A hash that no password matches, checked when an e-mail is unknown so both paths take as long.
_DUMMY_HASH: dict[str, str] = {}


def check_password_or_dummy(password_hash: str | None, password: str) -> bool:
    if password_hash is None:
        key = f"{current_app.config['ARGON2_TIME_COST']}/{current_app.config['ARGON2_MEMORY_COST']}"
        if key not in _DUMMY_HASH:
            _DUMMY_HASH[key] = hash_password(secrets.token_hex(16))
        check_password(_DUMMY_HASH[key], password)
        return False
    return check_password(password_hash, password)


def new_token() -> tuple[str, str]:
    """A URL-safe secret and the SHA-256 hex we store instead of it."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_session_token() -> str:
    return secrets.token_hex(16)
