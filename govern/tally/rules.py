"""The registry of counting rules, and the recount entry point of the audit verifier.

Every rule has the signature ``rule(profile_or_instance, *, tie_break=TieBreak(), **params) -> Outcome``.
The Condorcet rules (``govern.tally.condorcet``) and the budgeting rules
(``govern.tally.budgeting``, over a ``govern.tally.pabulib.PBInstance``) are
imported only when used.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

from .formats import FormatError, profile_from_document
from .irv import irv
from .motion import motion
from .outcome import Outcome, ParameterError
from .profile import Profile
from .stv import stv_meek, stv_scottish
from .tiebreak import TieBreak

#: Rules that take a participatory-budgeting instance instead of a ranked profile.
BUDGETING_RULES = frozenset({"greedy", "mes"})


def _lazy(module: str, attr: str) -> Callable[..., Outcome]:
    def rule(*args: Any, **kwargs: Any) -> Outcome:
        try:
            fn = getattr(importlib.import_module(f"govern.tally.{module}"), attr)
        except ModuleNotFoundError as exc:
            if exc.name != f"govern.tally.{module}":
                raise
            fn = None
        except AttributeError:
            fn = None
        if fn is None:
            raise ParameterError(f"rule {attr.replace('_', '-')!r} is not available: govern.tally.{module}.{attr} is missing")
        return fn(*args, **kwargs)

    rule.__name__ = attr
    rule.__qualname__ = attr
    rule.__doc__ = f"Lazily imported ``govern.tally.{module}.{attr}``."
    return rule


#: CLI name -> rule.
RULES: dict[str, Callable[..., Outcome]] = {
    "motion": motion,
    "irv": irv,
    "stv-scottish": stv_scottish,
    "stv-meek": stv_meek,
    "schulze": _lazy("condorcet", "schulze"),
    "ranked-pairs": _lazy("condorcet", "ranked_pairs"),
    "copeland": _lazy("condorcet", "copeland"),
    "borda": _lazy("condorcet", "borda"),
    "greedy": _lazy("budgeting", "greedy"),
    "mes": _lazy("budgeting", "mes"),
}


def pb_instance(profile: Profile, costs: Mapping[str, int] | None, budget: int | None) -> Any:
    """The budgeting instance for a ranked profile with costs (``PBInstance.from_profile``)."""
    if costs is None:
        raise ParameterError("a budgeting rule needs the projects' costs (\"costs\" in the profile)")
    if budget is None:
        raise ParameterError("a budgeting rule needs a budget (\"budget\" in the profile, or --budget)")
    try:
        from .pabulib import PBInstance  # type: ignore[attr-defined]
    except ModuleNotFoundError as exc:
        if exc.name != "govern.tally.pabulib":
            raise
        raise ParameterError("budgeting rules are not available: govern.tally.pabulib is missing") from None
    return PBInstance.from_profile(profile, costs, budget)


def run(rule: str, profile: Profile, params: Mapping[str, Any] | None = None, *,
        costs: Mapping[str, int] | None = None, budget: int | None = None, instance: Any = None) -> Outcome:
    """Run ``rule`` on ``profile``; ``params`` as recorded (``tie_break`` is the seed or None).

    ``instance``: the budgeting instance of this profile, costs and budget when the caller
    already has it (counting one box by two budgeting rules builds it once).
    """
    if rule not in RULES:
        raise ParameterError(f"unknown rule {rule!r}; known: {', '.join(RULES)}")
    kwargs = dict(params or {})
    seed = kwargs.pop("tie_break", None)
    if seed is not None and not isinstance(seed, str):
        raise ParameterError("tie_break must be a seed string or null")
    fn = RULES[rule]
    if rule in BUDGETING_RULES:
        subject = instance if instance is not None and "budget" not in kwargs else pb_instance(profile, costs, kwargs.get("budget", budget))
    else:
        subject = profile
    try:
        return fn(subject, tie_break=TieBreak(seed), **kwargs)
    except TypeError as exc:
        # An unknown keyword: a parameter this rule does not take.
        if "unexpected keyword" in str(exc):
            raise ParameterError(f"{rule}: {exc}") from None
        raise


def recount(document: Mapping[str, Any]) -> Outcome:
    """Recount ``{"rule": name, "params": {...}, "profile": <govern JSON profile>}``.

    The same document always gives the same ``Outcome.to_json()`` bytes: this is
    what the audit verifier runs on exported ballots.
    """
    if not isinstance(document, Mapping):
        raise FormatError("document: expected an object with rule, params and profile")
    rule = document.get("rule")
    if not isinstance(rule, str):
        raise FormatError("rule: expected a rule name")
    params = document.get("params", {})
    if not isinstance(params, Mapping):
        raise FormatError("params: expected an object")
    profile, extras = profile_from_document(document.get("profile"))
    return run(rule, profile, params, costs=extras.get("costs"), budget=extras.get("budget"))
