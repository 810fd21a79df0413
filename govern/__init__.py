"""govern: participatory budgeting and cooperative governance.

The package root stays free of Flask imports so that ``govern.tally`` and the
standalone audit verifier can be used without the web stack installed.
"""

from __future__ import annotations

from typing import Any


def create_app(config: Any = None) -> Any:
    """Build the Flask application; see :func:`govern.app.create_app`."""
    from .app import create_app as _create_app

    return _create_app(config)
