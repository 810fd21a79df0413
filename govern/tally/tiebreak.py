"""Explicit, recorded tie-breaking.

A round publishes its seed before voting opens. The seeded order of candidates is
the ascending order of SHA-256(seed ‖ 0x00 ‖ name): anyone can recompute it, and
nobody can steer it after the seed is fixed. Without a seed, a rule uses its own
prescribed method (the Scottish rules look back to earlier stages, then draw lots
with this same seeded order on a seed derived from the ballots).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
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

    def pick(self, tied: Sequence[str], *, purpose: str, seed: str | None = None) -> tuple[str, dict[str, Any]]:
        """Choose one of ``tied`` and return it with the record of how it was chosen."""
        ordered = self.order(tied, seed)
        record = {
            "purpose": purpose,
            "tied": sorted(tied),
            "method": "seeded-order",
            "seed": self.seed if seed is None else seed,
            "order": ordered,
            "chosen": ordered[0],
        }
        return ordered[0], record
