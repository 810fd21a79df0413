"""Vote counting for govern.

Pure Python: nothing below this package imports Flask, SQLAlchemy or the rest of
govern, so the standalone audit verifier can recount outcomes with it alone.
Plain tuples go in (a :class:`Profile`), frozen dataclasses come out (an
:class:`Outcome` with its round-by-round explanation).
"""

from .outcome import ENGINE_VERSION, Outcome, canonical_json
from .profile import Profile
from .tiebreak import TieBreak

__all__ = ["ENGINE_VERSION", "Outcome", "Profile", "TieBreak", "canonical_json"]
