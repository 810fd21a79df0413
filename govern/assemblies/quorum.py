"""Who is present or represented at an assembly, and whether that makes a quorum.

A member counts as present when checked in, and as represented when the holder of
its live proxy is checked in. The quorum is a share ("n/d") of a total weight.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa

from ..extensions import db
from ..membership.models import Member, MemberStatus, Tier
from ..tally.motion import share, share_needed
from .models import Attendance, Proxy


def fraction(text: str) -> tuple[int, int]:
    """``"1/2"`` → (1, 2); ValueError when it is not a share between 0 and 1 (the counting engine's rule)."""
    return share(text)


def needed(text: str, total: int) -> int:
    """The weight needed for a quorum of ``text`` of ``total`` (rounded up)."""
    return share_needed(text, total)


def assembly_weights() -> dict[int, int]:
    """Everyone who may vote at assemblies now, with the weight of their tier (counts for quorum only)."""
    rows = db.session.execute(
        sa.select(Member.id, Tier.vote_weight)
        .join(Tier, Member.tier_id == Tier.id)
        .where(
            Member.status == MemberStatus.ACTIVE,
            Tier.can_vote_assembly.is_(True),
            Tier.counts_for_quorum.is_(True),
            Tier.vote_weight > 0,
        )
    )
    return {member_id: weight for member_id, weight in rows}


def present_ids(assembly_id: int) -> set[int]:
    return set(db.session.scalars(sa.select(Attendance.member_id).where(Attendance.assembly_id == assembly_id)))


def live_proxies(assembly_id: int) -> dict[int, int]:
    """grantor member id → holder member id, for proxies not revoked."""
    rows = db.session.execute(
        sa.select(Proxy.grantor_id, Proxy.holder_id).where(Proxy.assembly_id == assembly_id, Proxy.revoked_at.is_(None))
    )
    return {grantor: holder for grantor, holder in rows}


@dataclass(frozen=True)
class Presence:
    present: frozenset[int]
    #: grantor → holder, only where the holder is present.
    represented: Mapping[int, int]
    #: Weight present or represented, among ``weights``.
    weight: int
    total: int
    share: str

    @property
    def needed(self) -> int:
        return needed(self.share, self.total)

    @property
    def met(self) -> bool:
        return self.total > 0 and self.weight >= self.needed


def presence(assembly_id: int, weights: Mapping[int, int], share: str) -> Presence:
    """Present and represented members of ``assembly_id`` among ``weights`` (member id → weight)."""
    here = present_ids(assembly_id)
    represented = {g: h for g, h in live_proxies(assembly_id).items() if h in here and g not in here}
    counted = (here | set(represented)) & set(weights)
    return Presence(
        present=frozenset(here),
        represented=represented,
        weight=sum(weights[m] for m in counted),
        total=sum(weights.values()),
        share=share,
    )
