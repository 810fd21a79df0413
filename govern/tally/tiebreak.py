"""Explicit, recorded tie-breaking.

A round publishes its seed before voting opens. The seeded order of candidates is
the ascending order of SHA-256(seed ‖ 0x00 ‖ name): anyone can recompute it, and
nobody can steer it after the seed is fixed. Without a seed, a rule uses its own
prescribed method (the Scottish rules look back to earlier stages, then draw lots
with this same seeded order on a seed derived from the ballots).

In a seeded order the first name is favoured: it wins a tie for the best (to be
elected, to have its surplus transferred first) and the last name loses a tie for
the worst (to be excluded).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TieBreak:
    #: The published seed, or None for the rule's own method.
    seed: str | None = None

    def key(self, name: str, seed: str | None = None) -> bytes:
        s = self.seed if seed is None else seed
        return hashlib.sha256((s or "").encode("utf-8") + b"\x00" + name.encode("utf-8")).digest()

    def order(self, names: Sequence[str], seed: str | None = None) -> list[str]:
        """The names in seeded order: the first one wins a tie 'for the best'."""
        return sorted(names, key=lambda n: self.key(n, seed))

    def pick(
        self, tied: Sequence[str], *, purpose: str, seed: str | None = None, worst: bool = False
    ) -> tuple[str, dict[str, Any]]:
        """Choose one of ``tied`` and return it with the record of how it was chosen.

        ``worst=True`` chooses the last name of the seeded order (the one that loses
        a tie for exclusion); otherwise the first.
        """
        ordered = self.order(tied, seed)
        chosen = ordered[-1] if worst else ordered[0]
        record = {
            "purpose": purpose,
            "tied": sorted(tied),
            "method": "seeded-order",
            "seed": self.seed if seed is None else seed,
            "order": ordered,
            "chosen": chosen,
        }
        return chosen, record


def ballot_seed(digest: str) -> str:
    """The seed used for lots when no seed was published: derived from the ballots' canonical digest."""
    return "ballots:" + digest


def break_tie(
    tied: Sequence[int],
    names: Sequence[str],
    *,
    purpose: str,
    lowest: bool,
    history: Sequence[Sequence[int]],
    tie_break: TieBreak,
    digest: Callable[[], str],
    look_back: bool = True,
    render: Callable[[int], Any] = str,
) -> tuple[int, dict[str, Any]]:
    """Resolve a tie among candidate indices ``tied`` and return (chosen, record).

    ``lowest=True``: the tie is for the fewest votes (exclusion); otherwise for the most.
    With ``look_back``, the earlier stages in ``history`` (vote vectors, oldest
    first, the current stage excluded) are searched from the most recent backwards
    for one where the tied candidates differed; the set narrows to those lowest
    (or highest) there and the search goes on while more than one remains. What is
    left is decided by lot: the seeded order of :class:`TieBreak` on the published
    seed, or, without one, on :func:`ballot_seed` of the ballot digest.
    """
    group = sorted(tied)
    record: dict[str, Any] = {"purpose": purpose, "tied": sorted(names[c] for c in group)}
    steps = []
    if look_back:
        for stage in range(len(history) - 1, -1, -1):
            votes = history[stage]
            best = min(votes[c] for c in group) if lowest else max(votes[c] for c in group)
            narrowed = [c for c in group if votes[c] == best]
            if len(narrowed) < len(group):
                steps.append({"round": stage + 1, "votes": {names[c]: render(votes[c]) for c in group},
                              "kept": sorted(names[c] for c in narrowed)})
                group = narrowed
                if len(group) == 1:
                    break
    if len(group) == 1:
        record.update(method="earlier-rounds", steps=steps, chosen=names[group[0]])
        return group[0], record
    seed_source = "published" if tie_break.seed is not None else "ballot-digest"
    seed = tie_break.seed if tie_break.seed is not None else ballot_seed(digest())
    chosen, lot = tie_break.pick([names[c] for c in group], purpose=purpose, seed=seed, worst=lowest)
    record.update(method="earlier-rounds-then-lot" if steps else "lot", steps=steps, lot_seed=seed,
                  seed_source=seed_source, order=lot["order"], chosen=chosen)
    if not look_back:
        record.pop("steps")
    return names.index(chosen), record
