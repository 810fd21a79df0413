"""The output of a count, in a stable canonical JSON form."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: Recorded with every outcome so an auditor knows which counting code produced it.
#: Bump it whenever any rule could produce a different outcome for the same input.
ENGINE_VERSION = "govern-tally/1"


def _refuse_float(obj: Any) -> Any:
    raise TypeError(f"not JSON-serializable in canonical form: {type(obj).__name__}")


def _check(obj: Any) -> None:
    if isinstance(obj, float):
        raise TypeError("floats are not allowed in canonical outcomes; use integers or strings")
    if isinstance(obj, Mapping):
        for k, v in obj.items():
            if not isinstance(k, str):
                raise TypeError("object keys must be strings")
            _check(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            _check(v)


def canonical_json(obj: Any) -> bytes:
    """Sorted keys, compact separators, UTF-8, no floats: the same value gives the same bytes."""
    _check(obj)
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_refuse_float
    ).encode("utf-8")


@dataclass(frozen=True)
class Outcome:
    #: Rule name as used on the command line (``irv``, ``stv-scottish``, ``mes`` ...).
    rule: str
    #: The parameters the rule ran with (seats, budget, utility, threshold ...), JSON-able.
    params: Mapping[str, Any]
    #: All candidates (or project ids), in the order of the input.
    candidates: tuple[str, ...]
    #: Winners in order of election (or of funding).
    winners: tuple[str, ...]
    #: Round-by-round explanation; each round is a JSON-able mapping whose shape the rule documents.
    rounds: tuple[Mapping[str, Any], ...] = ()
    #: Every tie that had to be broken: what was tied, by which method, what was chosen.
    tie_breaks: tuple[Mapping[str, Any], ...] = ()
    #: Rule-specific summary (totals, money left, exhausted ballots, comparisons ...).
    summary: Mapping[str, Any] = field(default_factory=dict)
    engine: str = ENGINE_VERSION

    def to_dict(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "rule": self.rule,
            "params": dict(self.params),
            "candidates": list(self.candidates),
            "winners": list(self.winners),
            "rounds": [dict(r) for r in self.rounds],
            "tie_breaks": [dict(t) for t in self.tie_breaks],
            "summary": dict(self.summary),
        }

    def to_json(self) -> bytes:
        return canonical_json(self.to_dict())


class ParameterError(ValueError):
    """A rule was called with a missing or invalid parameter."""


def decimal_str(units: int, digits: int) -> str:
    """``units`` in 10**-digits as an exact decimal string: decimal_str(123456, 5) == "1.23456"."""
    if digits == 0:
        return str(units)
    sign = "-" if units < 0 else ""
    q, r = divmod(abs(units), 10**digits)
    return f"{sign}{q}.{r:0{digits}d}"
