"""What every service shares: the unit of work and the error a user sees."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from .db import begin_write
from .extensions import db

P = ParamSpec("P")
R = TypeVar("R")


class ServiceError(Exception):
    """A rule of the cooperative refused the action. ``message`` is shown to the user, translated.

    ``field`` names the form field the message belongs next to, when there is one.
    """

    def __init__(self, message: Any, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field


def unit_of_work(fn: Callable[P, R]) -> Callable[P, R]:
    """Run a service as one transaction: it validates, changes state, records, and commits.

    The state change and its audit entry commit together; any exception rolls back
    both. A service called from inside another joins the outer unit of work.
    """

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        session = db.session
        depth = session.info.get("uow_depth", 0)
        if depth == 0:
            begin_write(session)
        session.info["uow_depth"] = depth + 1
        try:
            result = fn(*args, **kwargs)
            if depth == 0:
                session.commit()
                for callback in session.info.pop("after_commit", []):
                    callback()
            return result
        except BaseException:
            if depth == 0:
                session.info.pop("after_commit", None)
                session.rollback()
            raise
        finally:
            session.info["uow_depth"] = depth

    return wrapper


def after_commit(callback: Callable[[], Any]) -> None:
    """Run ``callback`` once the current unit of work has committed (e.g. send a mail); never if it rolls back."""
    db.session.info.setdefault("after_commit", []).append(callback)
