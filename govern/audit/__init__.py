"""The append-only record.

``record(...)`` is the one writer of audit entries. This package's pure modules
(canonical, merkle, checkpoint, verify) import neither Flask nor SQLAlchemy, so the
standalone verifier (``python -m govern.audit.verify``) runs without them; the
database-backed parts are imported only when first used.
"""

from __future__ import annotations

from typing import Any


def record(*args: Any, **kwargs: Any) -> Any:
    """Append an audit entry in the caller's transaction; see :func:`govern.audit.log.record`."""
    from .log import record as _record

    return _record(*args, **kwargs)
