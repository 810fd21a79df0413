"""Motions: yes / no / abstain.

Input shape: a profile whose candidates are ``"yes"`` and ``"no"``, and
optionally ``"abstain"`` (in any order, nothing else). Each ballot is either
one rank naming one of them, or empty (a blank ballot, counted as an
abstention). Weights are the members' vote weights.

Parameters:

- ``threshold="majority"``: carried when yes > half of the votes cast
  (2*yes > cast); an equal split is not carried. ``"two-thirds"``: carried when
  yes >= two-thirds of the votes cast (3*yes >= 2*cast) and cast > 0.
- ``abstentions="excluded"`` (default): votes cast = yes + no.
  ``"counted"``: votes cast = yes + no + abstentions, so abstaining works like no.
- ``quorum`` and ``electorate``: with ``quorum="n/d"`` (a fraction, as a string)
  the vote is valid only if turnout (every ballot, abstentions and blanks
  included) >= n/d of ``electorate`` (the total weight of all who may vote,
  taken from the frozen electorate snapshot). An inquorate vote has no winner.

Winners: ``("yes",)`` when carried, ``("no",)`` when not, ``()`` when inquorate.
A yes/no result exactly on the threshold is not a tie broken by lot: the rule
itself decides (the motion fails under "majority"); it is recorded in
``tie_breaks`` all the same.
"""

from __future__ import annotations

from typing import Any

from .outcome import Outcome, ParameterError
from .profile import Profile, ProfileError
from .tiebreak import TieBreak

THRESHOLDS = ("majority", "two-thirds")
ABSTENTIONS = ("excluded", "counted")


def share(text: Any) -> tuple[int, int]:
    """A share written ``"n/d"`` (0 ≤ n ≤ d, d > 0) → (n, d); ParameterError otherwise."""
    return _fraction(text)


def share_needed(text: Any, total: int) -> int:
    """The weight that reaches ``text`` (``"n/d"``) of ``total``, rounded up."""
    num, den = _fraction(text)
    return -(-num * total // den)


def _fraction(text: Any) -> tuple[int, int]:
    if isinstance(text, str):
        num, sep, den = text.partition("/")
        if sep and num.strip().isdigit() and den.strip().isdigit() and int(den) > 0 and int(num) <= int(den):
            return int(num), int(den)
    raise ParameterError(f"quorum must be a fraction like \"1/2\", not {text!r}")


def motion(
    profile: Profile,
    *,
    tie_break: TieBreak = TieBreak(),
    threshold: str = "majority",
    abstentions: str = "excluded",
    quorum: str | None = None,
    electorate: int | None = None,
) -> Outcome:
    """Count a motion; see the module documentation for the input shape and the thresholds."""
    if threshold not in THRESHOLDS:
        raise ParameterError(f"threshold must be one of {', '.join(THRESHOLDS)}, not {threshold!r}")
    if abstentions not in ABSTENTIONS:
        raise ParameterError(f"abstentions must be one of {', '.join(ABSTENTIONS)}, not {abstentions!r}")
    names = profile.candidates
    if set(names) not in ({"yes", "no"}, {"yes", "no", "abstain"}):
        raise ProfileError('a motion\'s candidates are "yes", "no" and optionally "abstain"')
    tally = {"yes": 0, "no": 0, "abstain": 0}
    blank = 0
    for ballot, w in zip(profile.ballots, profile.weights):
        if not ballot:
            blank += w
            continue
        if len(ballot) != 1 or len(ballot[0]) != 1:
            raise ProfileError("a motion ballot names exactly one of yes, no, abstain (or is blank)")
        tally[names[ballot[0][0]]] += w
    yes, no, abstain = tally["yes"], tally["no"], tally["abstain"] + blank
    turnout = yes + no + abstain
    cast = yes + no + (abstain if abstentions == "counted" else 0)
    params: dict[str, Any] = {"threshold": threshold, "abstentions": abstentions, "tie_break": tie_break.seed}
    summary: dict[str, Any] = {"yes": yes, "no": no, "abstain": abstain, "blank": blank, "cast": cast, "turnout": turnout}
    ties: list[dict[str, Any]] = []
    if quorum is not None or electorate is not None:
        if quorum is None or electorate is None:
            raise ParameterError("a quorum needs both quorum=\"n/d\" and electorate=<total weight>")
        if type(electorate) is not int or electorate < turnout:
            raise ParameterError(f"electorate must be an integer at least the turnout ({turnout}), not {electorate!r}")
        _fraction(quorum)
        params.update(quorum=quorum, electorate=electorate)
        needed = share_needed(quorum, electorate)
        summary["quorum_needed"] = needed
        summary["quorate"] = turnout >= needed
    if not summary.get("quorate", True):
        result, winners = "inquorate", ()
    else:
        if threshold == "majority":
            carried = 2 * yes > cast
            on_line = 2 * yes == cast and cast > 0
            rule_text = "yes must be more than half of the votes cast"
        else:
            carried = cast > 0 and 3 * yes >= 2 * cast
            on_line = False
            rule_text = "yes must be at least two-thirds of the votes cast"
        if on_line:
            ties.append({"purpose": "result", "tied": ["no", "yes"], "method": "rule", "rule": rule_text, "chosen": "no"})
        result, winners = ("carried", ("yes",)) if carried else ("not carried", ("no",))
    summary["result"] = result
    rounds = ({"round": 1, "votes": {"yes": yes, "no": no, "abstain": abstain}, "cast": cast, "result": result},)
    return Outcome(rule="motion", params=params, candidates=names, winners=winners, rounds=rounds,
                   tie_breaks=tuple(ties), summary=summary)
