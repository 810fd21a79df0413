"""Vote counting for govern.

Pure Python: nothing below this package imports Flask, SQLAlchemy or the rest of
govern, so the standalone audit verifier can recount outcomes with it alone.
Plain tuples go in (a :class:`Profile`), frozen dataclasses come out (an
:class:`Outcome` with its round-by-round explanation).

Rules: :func:`motion`, :func:`irv`, :func:`stv_scottish`, :func:`stv_meek` here;
the registry of all rules by name, and :func:`recount`, in :mod:`govern.tally.rules`.
"""

from .formats import FormatError
from .irv import irv
from .motion import motion
from .outcome import ENGINE_VERSION, Outcome, ParameterError, canonical_json
from .profile import Profile, ProfileError
from .stv import stv_meek, stv_scottish
from .tiebreak import TieBreak

__all__ = [
    "ENGINE_VERSION",
    "FormatError",
    "Outcome",
    "ParameterError",
    "Profile",
    "ProfileError",
    "TieBreak",
    "canonical_json",
    "irv",
    "motion",
    "stv_meek",
    "stv_scottish",
]
