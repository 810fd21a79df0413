"""The input of a ranked count: candidates and weighted ballots."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

#: A ballot is a tuple of ranks, best first; each rank is a tuple of candidate
#: indices (more than one index means the voter tied them). A truncated ballot
#: simply stops early; an empty ballot expresses no preference.
Ballot = tuple[tuple[int, ...], ...]


class ProfileError(ValueError):
    """The ballots do not fit the candidates (unknown index, repeated candidate, bad weight)."""


@dataclass(frozen=True)
class Profile:
    #: Names (or ids) of the candidates, as written in the source; index = position.
    candidates: tuple[str, ...]
    #: Distinct ballots; see :data:`Ballot`.
    ballots: tuple[Ballot, ...]
    #: How many times each ballot was cast, or its vote weight; positive integers.
    weights: tuple[int, ...]
    #: Seats to fill, where the source says so.
    seats: int | None = None
    #: Candidates withdrawn before the count (indices); they are skipped on every ballot.
    withdrawn: frozenset[int] = field(default_factory=frozenset)
    title: str = ""

    def __post_init__(self) -> None:
        if len(self.ballots) != len(self.weights):
            raise ProfileError("ballots and weights differ in length")
        n = len(self.candidates)
        if len(set(self.candidates)) != n:
            raise ProfileError("candidate names must be unique")
        for ballot, weight in zip(self.ballots, self.weights):
            if not isinstance(weight, int) or isinstance(weight, bool) or weight <= 0:
                raise ProfileError(f"ballot weight must be a positive integer, not {weight!r}")
            seen: set[int] = set()
            for rank in ballot:
                if not rank:
                    raise ProfileError("a rank may not be empty")
                for c in rank:
                    if not (0 <= c < n):
                        raise ProfileError(f"unknown candidate index {c}")
                    if c in seen:
                        raise ProfileError(f"candidate {self.candidates[c]!r} ranked twice on one ballot")
                    seen.add(c)

    @classmethod
    def from_rankings(
        cls,
        candidates: Sequence[str],
        rankings: Iterable[Sequence[str | Sequence[str]]],
        *,
        seats: int | None = None,
        title: str = "",
    ) -> Profile:
        """Build a profile from rankings of names, merging identical ballots.

        A ranking is a sequence whose items are a name, or a sequence of names
        tied at that rank. Identical ballots are merged and their weights added,
        in order of first appearance, so the profile does not depend on dict order.
        """
        index = {name: i for i, name in enumerate(candidates)}
        counts: dict[Ballot, int] = {}
        for ranking in rankings:
            ballot: list[tuple[int, ...]] = []
            for item in ranking:
                names = (item,) if isinstance(item, str) else tuple(item)
                try:
                    ballot.append(tuple(index[x] for x in names))
                except KeyError as exc:
                    raise ProfileError(f"unknown candidate {exc.args[0]!r}") from None
            key = tuple(ballot)
            counts[key] = counts.get(key, 0) + 1
        return cls(tuple(candidates), tuple(counts), tuple(counts.values()), seats=seats, title=title)

    @property
    def total_weight(self) -> int:
        return sum(self.weights)

    def is_strict(self) -> bool:
        """True when no ballot ties two candidates."""
        return all(len(rank) == 1 for ballot in self.ballots for rank in ballot)
