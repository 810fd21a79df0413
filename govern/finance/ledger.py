"""The money trail's arithmetic, with no Flask or SQLAlchemy: the service and the verifier share it.

:func:`compute_totals` turns a project's entries into its totals. :func:`replay` reads the
record's money entries in order (as the standalone verifier does from an audit bundle)
and reports every way the trail breaks the cooperative's rules: money for a project that
was never funded, an allocation that differs from the vote's, a correction that does not
cancel what it names, and spending past the allocation without a board decision.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

COMMITMENT = "commitment"
EXPENDITURE = "expenditure"

#: Record entry types that make up the money trail (and the funding they rest on).
TRAIL_TYPES = (
    "round.results_recorded",
    "proposal.funded",
    "project.created",
    "project.overspend_allowed",
    "money.committed",
    "money.spent",
    "money.reversed",
)

#: (id, kind, amount_cents, commitment id, reverses id)
EntryRow = tuple[int, str, int, "int | None", "int | None"]


@dataclass(frozen=True)
class Totals:
    """A project's money, in cents. ``in_use`` = spent + open commitments; ``left`` = ceiling − in use."""

    allocated: int = 0
    extra: int = 0
    committed: int = 0
    spent: int = 0
    open_commitments: int = 0

    @property
    def ceiling(self) -> int:
        return self.allocated + self.extra

    @property
    def in_use(self) -> int:
        return self.spent + self.open_commitments

    @property
    def left(self) -> int:
        return self.ceiling - self.in_use

    @property
    def over(self) -> int:
        return max(0, -self.left)

    def __add__(self, other: Totals) -> Totals:
        return Totals(
            self.allocated + other.allocated,
            self.extra + other.extra,
            self.committed + other.committed,
            self.spent + other.spent,
            self.open_commitments + other.open_commitments,
        )

    @classmethod
    def sum(cls, items: Iterable[Totals]) -> Totals:
        """The totals of several projects (or groups) added up."""
        return sum(items, cls())

    def as_dict(self) -> dict[str, int]:
        return {
            "allocated_cents": self.allocated,
            "extra_cents": self.extra,
            "committed_cents": self.committed,
            "spent_cents": self.spent,
            "open_commitments_cents": self.open_commitments,
            "left_cents": self.left,
        }


def compute_totals(allocated: int, extra: int, entries: Iterable[EntryRow]) -> Totals:
    """Totals from (id, kind, amount, commitment id, reverses id) rows.

    A commitment's open amount is its net amount (0 once reversed) minus the net of the
    expenditures that pay it (reversals of those carry the same commitment), never below 0.
    """
    committed = spent = 0
    commitment_net: dict[int, int] = {}
    settled: dict[int, int] = {}
    for entry_id, kind, amount, commitment_id, reverses_id in entries:
        if kind == COMMITMENT:
            committed += amount
            key = reverses_id if reverses_id is not None else entry_id
            commitment_net[key] = commitment_net.get(key, 0) + amount
        else:
            spent += amount
            if commitment_id is not None:
                settled[commitment_id] = settled.get(commitment_id, 0) + amount
    open_commitments = sum(max(0, net - settled.get(cid, 0)) for cid, net in commitment_net.items())
    return Totals(allocated, extra, committed, spent, open_commitments)


# --- replaying the record -------------------------------------------------------------------------


@dataclass
class ProjectTrail:
    id: int
    proposal: int
    round: int
    allocated: int
    created_seq: int
    extra: int = 0
    #: entry id → (kind, amount, commitment, reverses, project)
    rows: list[EntryRow] = field(default_factory=list)

    def totals(self) -> Totals:
        return compute_totals(self.allocated, self.extra, self.rows)


@dataclass
class Problem:
    seq: int
    code: str
    params: dict[str, Any]


@dataclass
class Trail:
    projects: dict[int, ProjectTrail] = field(default_factory=dict)
    #: entry id → (seq, the entry's data as recorded)
    entries: dict[int, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    decisions: int = 0
    problems: list[Problem] = field(default_factory=list)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def replay(records: Iterable[tuple[int, str, str | None, Mapping[str, Any]]]) -> Trail:
    """Replay (seq, type, subject, data) of the trail's entries, in record order; collect every problem."""
    trail = Trail()
    funded: dict[int, set[int]] = {}  # round → funded proposals
    cost: dict[int, int] = {}  # proposal → cost when funded
    proposals_with_project: set[int] = set()
    kinds: dict[int, tuple[int, str, int, int | None, int | None]] = {}  # entry → (project, kind, amount, commitment, reverses)
    reversed_: set[int] = set()

    def problem(seq: int, code: str, **params: Any) -> None:
        trail.problems.append(Problem(seq, code, params))

    for seq, type_, subject, data in records:
        if type_ == "round.results_recorded":
            round_id = _int(_id_of(subject, "round"))
            if round_id is not None:
                funded[round_id] = {p for p in data.get("funded", []) if _int(p) is not None}
        elif type_ == "proposal.funded":
            proposal_id = _int(_id_of(subject, "proposal"))
            if proposal_id is not None and _int(data.get("cost_cents")) is not None:
                cost[proposal_id] = data["cost_cents"]
        elif type_ == "project.created":
            project_id = _int(_id_of(subject, "project"))
            proposal_id, round_id, allocated = _int(data.get("proposal")), _int(data.get("round")), _int(data.get("allocation_cents"))
            if project_id is None or proposal_id is None or round_id is None or allocated is None:
                problem(seq, "project_malformed")
                continue
            if project_id in trail.projects or proposal_id in proposals_with_project:
                problem(seq, "project_twice", project=project_id, proposal=proposal_id)
                continue
            if proposal_id not in funded.get(round_id, set()):
                problem(seq, "project_not_funded", project=project_id, proposal=proposal_id, round=round_id)
            elif cost.get(proposal_id) != allocated:
                problem(seq, "allocation_differs", project=project_id, allocated=allocated, cost=cost.get(proposal_id))
            trail.projects[project_id] = ProjectTrail(project_id, proposal_id, round_id, allocated, seq)
            proposals_with_project.add(proposal_id)
        elif type_ == "project.overspend_allowed":
            project = trail.projects.get(_int(data.get("project")) or -1)
            amount = _int(data.get("amount_cents"))
            if project is None:
                problem(seq, "unknown_project", project=data.get("project"))
            elif amount is None or amount <= 0:
                problem(seq, "decision_malformed", project=project.id)
            else:
                project.extra += amount
                trail.decisions += 1
        elif type_ in ("money.committed", "money.spent", "money.reversed"):
            _money(trail, seq, type_, data, kinds, reversed_, problem)
    return trail


def _money(trail: Trail, seq: int, type_: str, data: Mapping[str, Any], kinds: dict[int, Any], reversed_: set[int], problem: Any) -> None:
    entry_id, project_id, amount = _int(data.get("entry")), _int(data.get("project")), _int(data.get("amount_cents"))
    kind = data.get("kind")
    project = trail.projects.get(project_id) if project_id is not None else None
    if entry_id is None or amount is None or kind not in (COMMITMENT, EXPENDITURE):
        problem(seq, "entry_malformed")
        return
    if project is None:
        problem(seq, "unknown_project", project=project_id, entry=entry_id)
        return
    if entry_id in kinds:
        problem(seq, "entry_twice", entry=entry_id)
        return
    commitment, reverses = _int(data.get("commitment")), _int(data.get("reverses"))
    if type_ == "money.reversed":
        original = kinds.get(reverses) if reverses is not None else None
        if (
            original is None
            or original[0] != project.id
            or original[1] != kind
            or original[4] is not None
            or reverses in reversed_
            or amount != -original[2]
        ):
            problem(seq, "reversal_bad", entry=entry_id, reverses=reverses)
            return
        reversed_.add(reverses)  # type: ignore[arg-type]
    else:
        expected = "money.committed" if kind == COMMITMENT else "money.spent"
        if type_ != expected or amount <= 0 or reverses is not None:
            problem(seq, "entry_malformed")
            return
        if commitment is not None:
            target = kinds.get(commitment)
            if kind != EXPENDITURE or target is None or target[0] != project.id or target[1] != COMMITMENT or target[4] is not None:
                problem(seq, "commitment_bad", entry=entry_id, commitment=commitment)
                return
    before = project.totals()
    kinds[entry_id] = (project.id, kind, amount, commitment, reverses)
    project.rows.append((entry_id, kind, amount, commitment, reverses))
    trail.entries[entry_id] = (seq, dict(data))
    if type_ != "money.reversed":
        after = project.totals()
        if after.in_use > after.ceiling and after.in_use > before.in_use:
            problem(seq, "overspend", project=project.id, entry=entry_id, over=after.in_use - after.ceiling)


def _id_of(subject: str | None, kind: str) -> int | None:
    if not subject or not subject.startswith(kind + ":"):
        return None
    tail = subject[len(kind) + 1 :]
    return int(tail) if tail.isdigit() else None
