"""The yearly accountability report (verantwoording), built from the audit record.

Everything the report counts is read from the record's entries, the same bytes an
auditor finds in the export (``flask --app govern audit export``): round, vote, project,
money and board-decision entries. :func:`build` is pure (record entries in, a
:class:`YearReport` out), so anyone with the export can regenerate the numbers from the
entries up to the sequence number the report names. Only two things come from the
tables, as a convenience: a project's title as copied when it was funded (the record
has the ballot's label as fallback) and the weight of the ballots cast in a weighted
vote (from the counting document, used only if its SHA-256 is the one on the record).

Years are calendar years in Amsterdam: a money entry belongs to the year of its
``booked_on`` date, a board decision to its ``decided_on`` date, a vote to the year in
which its ``vote.closed`` entry was appended, a round to every year in which something
happened to it (created, changed, moved to a phase, results recorded) or in which it
was under way from the first of January.

Money terms are those of :mod:`govern.finance.models`: *committed* and *spent* are net of
corrections booked in the year; *open commitments* are counted over every entry booked
up to the end of the year (or today, for the year that is not over).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import format_decimal, gettext as _, lazy_gettext as _l, ngettext

from ..audit.log import AuditEntry
from ..extensions import db
from ..i18n import money
from .services import Totals, compute_totals

AMSTERDAM = ZoneInfo("Europe/Amsterdam")

#: The record entry types the report reads.
REPORT_TYPES = (
    "round.created",
    "round.updated",
    "round.phase_changed",
    "round.results_recorded",
    "vote.opened",
    "vote.closed",
    "project.created",
    "project.overspend_allowed",
    "project.progress",
    "money.committed",
    "money.spent",
    "money.reversed",
)
MONEY_TYPES = ("money.committed", "money.spent", "money.reversed")
#: Phases in which a round is under way (it counts in a year it was in one of these on 1 January).
ACTIVE_PHASES = ("submission", "review", "deliberation", "voting", "results", "implementation")

PHASES = {
    "preparation": _l("in preparation"),
    "submission": _l("sending in proposals"),
    "review": _l("feasibility review"),
    "deliberation": _l("discussion"),
    "voting": _l("voting"),
    "results": _l("results"),
    "implementation": _l("carrying out the projects"),
    "closed": _l("closed"),
}
VOTE_KINDS = {"budget": _l("Budget vote"), "motion": _l("Motion"), "election": _l("Election")}
PROJECT_STATUSES = {"planned": _l("planned"), "started": _l("started"), "done": _l("done"), "stopped": _l("stopped")}
MONEY_KINDS = {"commitment": _l("commitment"), "expenditure": _l("expenditure")}


class Record(NamedTuple):
    """One audit entry as the report reads it."""

    seq: int
    ts: dt.datetime  # UTC, aware
    type: str
    subject: str | None
    data: Mapping[str, Any]

    @property
    def subject_id(self) -> int | None:
        if not self.subject or ":" not in self.subject:
            return None
        try:
            return int(self.subject.split(":", 1)[1])
        except ValueError:
            return None

    @property
    def local(self) -> dt.datetime:
        return self.ts.astimezone(AMSTERDAM)


def parse_ts(text: str) -> dt.datetime:
    """The body's "ts" ("2026-03-14T09:30:00.000000Z") as an aware UTC datetime."""
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)


def from_body(body: bytes | str) -> Record:
    """A record entry from its canonical body (as stored, and as in the export's entries)."""
    doc = json.loads(body)
    return Record(doc["seq"], parse_ts(doc["ts"]), doc["type"], doc.get("subject"), doc.get("data") or {})


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


# --- what the report holds ---------------------------------------------------------------------


@dataclass(frozen=True)
class RoundRow:
    id: int
    title: str
    budget_cents: int
    #: At the end of the year (or now, for the current year).
    phase: str
    created_on: dt.date | None
    voting_opened_on: dt.date | None
    voting_closed_on: dt.date | None
    results_on: dt.date | None
    funded: int
    funded_cents: int

    @property
    def phase_text(self) -> str:
        return str(PHASES.get(self.phase, self.phase))


@dataclass(frozen=True)
class VoteRow:
    id: int
    title: str
    kind: str
    closed_at: dt.datetime
    rule: str
    electorate: int
    electorate_weight: int
    participants: int
    ballots: int
    #: The total weight of the ballots cast, for a weighted vote (None when not known or not weighted).
    weight_cast: int | None
    valid: bool
    winners: tuple[str, ...]
    names: Mapping[str, str]
    seats: int
    quorum: Mapping[str, Any] | None
    round_id: int | None
    funded_cents: int | None
    budget_cents: int | None

    @property
    def kind_text(self) -> str:
        return str(VOTE_KINDS.get(self.kind, self.kind))

    @property
    def weighted(self) -> bool:
        return self.electorate_weight != self.electorate

    @property
    def percent(self) -> Decimal:
        if not self.electorate:
            return Decimal(0)
        return (Decimal(self.participants) * 100 / self.electorate).quantize(Decimal("0.1"))

    @property
    def percent_text(self) -> str:
        """The turnout in percent as the language writes it ("66,7" in Dutch)."""
        return format_decimal(self.percent, format="#,##0.#")

    @property
    def weight_percent(self) -> Decimal | None:
        if self.weight_cast is None or not self.electorate_weight:
            return None
        return (Decimal(self.weight_cast) * 100 / self.electorate_weight).quantize(Decimal("0.1"))

    def outcome(self) -> str:
        """The outcome in one line, in the current language."""
        if not self.valid:
            return _("Not valid: quorum not reached")
        if self.kind == "motion":
            return _("Carried") if "yes" in self.winners else _("Not carried")
        if self.kind == "budget":
            text = ngettext("%(num)d plan gets money", "%(num)d plans get money", len(self.winners))
            if self.funded_cents is not None and self.budget_cents:
                text += " " + _("(%(used)s of %(budget)s)", used=money(self.funded_cents), budget=money(self.budget_cents))
            return text
        if not self.winners:
            return _("Nobody was elected.")
        names = [self.names.get(k, k) for k in self.winners]
        listed = names[0] if len(names) == 1 else _("%(first)s and %(last)s", first=", ".join(names[:-1]), last=names[-1])
        if self.seats > 1:
            return _("Elected: %(names)s", names=listed)
        return _("Winner: %(names)s", names=listed)


@dataclass(frozen=True)
class ProjectRow:
    id: int
    title: str
    round_id: int
    #: At the end of the year (or now).
    status: str
    #: allocated, extra (board decisions up to the year's end), committed and spent in the year,
    #: open commitments at the year's end.
    totals: Totals
    funded_this_year: bool

    @property
    def status_text(self) -> str:
        return str(PROJECT_STATUSES.get(self.status, self.status))


@dataclass(frozen=True)
class RoundMoney:
    round_id: int
    title: str
    projects: list[ProjectRow]

    @property
    def totals(self) -> Totals:
        return Totals.sum(p.totals for p in self.projects)


@dataclass(frozen=True)
class Allocation:
    """A round whose results were recorded in the year, and what each funded project got."""

    round_id: int
    title: str
    budget_cents: int
    recorded_on: dt.date
    #: (project id, title, allocation in cents)
    projects: list[tuple[int, str, int]]
    #: As the "round.results_recorded" entry says.
    total_cents: int
    funded_proposals: int
    not_funded_proposals: int

    @property
    def left_cents(self) -> int:
        return self.budget_cents - self.total_cents


@dataclass(frozen=True)
class Correction:
    project_id: int
    title: str
    entry: int
    reverses: int
    kind: str
    booked_on: dt.date
    amount_cents: int
    reason: str
    original_booked_on: dt.date | None
    original_description: str

    @property
    def kind_text(self) -> str:
        return str(MONEY_KINDS.get(self.kind, self.kind))


@dataclass(frozen=True)
class Decision:
    project_id: int
    title: str
    decision: int
    decided_on: dt.date
    amount_cents: int
    reason: str
    ceiling_cents: int


@dataclass(frozen=True)
class OpenCommitment:
    project_id: int
    title: str
    entry: int
    booked_on: dt.date
    payee: str
    description: str
    open_cents: int


@dataclass
class YearReport:
    year: int
    #: The last day counted: 31 December, or today while the year is not over.
    as_of: dt.date
    complete: bool
    #: The report counts the record's entries up to this sequence number (and its hash).
    head_seq: int
    head_hash: str
    rounds: list[RoundRow] = field(default_factory=list)
    votes: list[VoteRow] = field(default_factory=list)
    allocations: list[Allocation] = field(default_factory=list)
    money: list[RoundMoney] = field(default_factory=list)
    corrections: list[Correction] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    open_commitments: list[OpenCommitment] = field(default_factory=list)
    #: Money entries booked in the year (entries and corrections).
    entries: int = 0

    @property
    def totals(self) -> Totals:
        return Totals.sum(r.totals for r in self.money)

    @property
    def allocated_cents(self) -> int:
        return sum(a.total_cents for a in self.allocations)

    @property
    def open_cents(self) -> int:
        return sum(c.open_cents for c in self.open_commitments)

    @property
    def projects(self) -> list[ProjectRow]:
        return [p for r in self.money for p in r.projects]

    @property
    def empty(self) -> bool:
        return not (self.rounds or self.votes or self.money or self.decisions or self.allocations)


@dataclass(frozen=True)
class YearSummary:
    year: int
    rounds: int
    votes: int
    entries: int


# --- building it ----------------------------------------------------------------------------------


@dataclass
class _Round:
    id: int
    title: str = ""
    budget_cents: int = 0
    created: dt.datetime | None = None
    #: (local time, new phase)
    phases: list[tuple[dt.datetime, str]] = field(default_factory=list)
    results: Record | None = None
    touched: set[int] = field(default_factory=set)

    def phase_at(self, moment: dt.datetime) -> str:
        phase = "preparation"
        for when, to in self.phases:
            if when <= moment:
                phase = to
        return phase

    def entered(self, phase: str) -> dt.date | None:
        return next((when.date() for when, to in self.phases if to == phase), None)


def _year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime(year, 1, 1, tzinfo=AMSTERDAM)
    return start, dt.datetime(year + 1, 1, 1, tzinfo=AMSTERDAM)


def _rounds(records: Iterable[Record]) -> dict[int, _Round]:
    rounds: dict[int, _Round] = {}
    for r in records:
        if not r.type.startswith("round.") or r.subject_id is None:
            continue
        round_ = rounds.setdefault(r.subject_id, _Round(r.subject_id))
        round_.touched.add(r.local.year)
        if r.type in ("round.created", "round.updated"):
            if "title" in r.data:
                round_.title = r.data["title"]
            if "budget_cents" in r.data:
                round_.budget_cents = r.data["budget_cents"]
            if r.type == "round.created":
                round_.created = r.local
        elif r.type == "round.phase_changed":
            round_.phases.append((r.local, r.data.get("to", "")))
        elif r.type == "round.results_recorded":
            round_.results = r
    return rounds


def summaries(records: Iterable[Record]) -> list[YearSummary]:
    """Every year with something to report (rounds, closed votes or money), newest first."""
    rounds: dict[int, set[int]] = {}
    votes: dict[int, int] = {}
    entries: dict[int, int] = {}
    decisions: set[int] = set()
    for r in records:
        if r.type.startswith("round.") and r.subject_id is not None:
            rounds.setdefault(r.local.year, set()).add(r.subject_id)
        elif r.type == "vote.closed":
            votes[r.local.year] = votes.get(r.local.year, 0) + 1
        elif r.type in MONEY_TYPES:
            day = _date(r.data.get("booked_on"))
            if day:
                entries[day.year] = entries.get(day.year, 0) + 1
        elif r.type == "project.overspend_allowed":
            day = _date(r.data.get("decided_on"))
            if day:
                decisions.add(day.year)
    years = set(rounds) | set(votes) | set(entries) | decisions
    return [
        YearSummary(y, len(rounds.get(y, ())), votes.get(y, 0), entries.get(y, 0)) for y in sorted(years, reverse=True)
    ]


def build(
    year: int,
    records: Iterable[Record],
    *,
    today: dt.date,
    titles: Mapping[int, str] | None = None,
    weights_cast: Mapping[int, int] | None = None,
) -> YearReport:
    """The report for ``year`` from the record's entries (in sequence order). Pure.

    ``titles``: project id → title (the tables' copy); missing ones take the ballot's label.
    ``weights_cast``: vote id → total weight of its ballots, for weighted votes.
    """
    records = [r for r in records if r.type in REPORT_TYPES]
    titles = dict(titles or {})
    weights_cast = weights_cast or {}
    start, end = _year_bounds(year)
    last_day = dt.date(year, 12, 31)
    as_of = min(last_day, today)
    rounds = _rounds(records)
    head = max((r.seq for r in records), default=0)

    # Ballot labels (for titles and winners), electorates and settings, from "vote.opened".
    opened: dict[int, Record] = {}
    ballot_labels: dict[int, str] = {}  # proposal id -> label
    for r in records:
        if r.type == "vote.opened" and r.subject_id is not None:
            opened[r.subject_id] = r
            if r.data.get("kind") == "budget":
                for key, label in r.data.get("options", []):
                    if isinstance(key, str) and key.startswith("p") and key[1:].isdigit():
                        ballot_labels.setdefault(int(key[1:]), label)

    # Projects.
    created: dict[int, Record] = {r.subject_id: r for r in records if r.type == "project.created" and r.subject_id is not None}

    def title_of(project_id: int) -> str:
        if project_id in titles:
            return titles[project_id]
        proposal = created[project_id].data.get("proposal") if project_id in created else None
        return ballot_labels.get(proposal, "") or _("Project %(n)d", n=project_id)

    report = YearReport(year=year, as_of=as_of, complete=today > last_day, head_seq=head, head_hash="")

    # --- rounds held -----------------------------------------------------------------------------
    for round_ in sorted(rounds.values(), key=lambda x: x.id):
        active_at_start = round_.phase_at(start - dt.timedelta(microseconds=1)) in ACTIVE_PHASES and (
            round_.created is not None and round_.created < start
        )
        if year not in round_.touched and not active_at_start:
            continue
        results = round_.results
        report.rounds.append(
            RoundRow(
                id=round_.id,
                title=round_.title,
                budget_cents=round_.budget_cents,
                phase=round_.phase_at(end - dt.timedelta(microseconds=1)),
                created_on=round_.created.date() if round_.created else None,
                voting_opened_on=round_.entered("voting"),
                voting_closed_on=round_.entered("results"),
                results_on=results.local.date() if results else None,
                funded=len(results.data.get("funded", [])) if results else 0,
                funded_cents=results.data.get("total_cents", 0) if results else 0,
            )
        )

    # --- votes closed -------------------------------------------------------------------------------
    for r in records:
        if r.type != "vote.closed" or r.subject_id is None or not (start <= r.ts < end):
            continue
        o = opened.get(r.subject_id)
        od = o.data if o else {}
        round_id = od.get("round")
        round_ = rounds.get(round_id) if round_id is not None else None
        funded_cents = None
        if round_ is not None and round_.results is not None:
            funded_cents = round_.results.data.get("total_cents")
        report.votes.append(
            VoteRow(
                id=r.subject_id,
                title=od.get("title", "") or _("Vote %(n)d", n=r.subject_id),
                kind=od.get("kind", ""),
                closed_at=r.ts,
                rule=r.data.get("rule", ""),
                electorate=od.get("electorate_count", 0),
                electorate_weight=od.get("electorate_weight", 0),
                participants=r.data.get("participation_count", 0),
                ballots=r.data.get("ballot_count", 0),
                weight_cast=_weight_cast(r, od, weights_cast.get(r.subject_id)),
                valid=bool(r.data.get("valid", True)),
                winners=tuple(r.data.get("winners", [])),
                names={k: v for k, v in od.get("options", [])},
                seats=od.get("seats", 1),
                quorum=r.data.get("quorum"),
                round_id=round_id,
                funded_cents=funded_cents,
                budget_cents=round_.budget_cents if round_ is not None else None,
            )
        )

    # --- allocations: rounds whose results were recorded this year ------------------------------------
    for round_ in sorted(rounds.values(), key=lambda x: x.id):
        results = round_.results
        if results is None or not (start <= results.ts < end):
            continue
        funded = [
            (pid, title_of(pid), rec.data.get("allocation_cents", 0))
            for pid, rec in sorted(created.items())
            if rec.data.get("round") == round_.id
        ]
        report.allocations.append(
            Allocation(
                round_id=round_.id,
                title=round_.title,
                budget_cents=round_.budget_cents,
                recorded_on=results.local.date(),
                projects=funded,
                total_cents=results.data.get("total_cents", sum(a for _, _, a in funded)),
                funded_proposals=len(results.data.get("funded", [])),
                not_funded_proposals=len(results.data.get("not_funded", [])),
            )
        )

    # --- money per project ------------------------------------------------------------------------
    money_by_project: dict[int, list[Record]] = {}
    by_entry: dict[int, Mapping[str, Any]] = {}
    for r in records:
        if r.type in MONEY_TYPES:
            money_by_project.setdefault(r.data["project"], []).append(r)
            by_entry[r.data["entry"]] = r.data
    decisions_by_project: dict[int, list[Record]] = {}
    for r in records:
        if r.type == "project.overspend_allowed":
            decisions_by_project.setdefault(r.data["project"], []).append(r)
    status_at_end: dict[int, str] = {}
    for r in records:
        if r.type == "project.progress" and r.ts < end:
            status_at_end[r.data["project"]] = r.data.get("status", "")

    def row(r: Record) -> tuple[int, str, int, int | None, int | None]:
        d = r.data
        return (d["entry"], d["kind"], d["amount_cents"], d.get("commitment"), d.get("reverses"))

    by_round: dict[int, list[ProjectRow]] = {}
    project_ids = sorted(set(created) | set(money_by_project) | set(decisions_by_project))
    for pid in project_ids:
        entries = money_by_project.get(pid, [])
        booked = [(r, _date(r.data.get("booked_on"))) for r in entries]
        in_year = [r for r, day in booked if day is not None and day.year == year]
        up_to_end = [r for r, day in booked if day is not None and day <= last_day]
        decided = [(r, _date(r.data.get("decided_on"))) for r in decisions_by_project.get(pid, [])]
        decided_by_end = [r for r, day in decided if day is not None and day <= last_day]
        decided_in_year = [(r, day) for r, day in decided if day is not None and day.year == year]
        project = created.get(pid)
        allocated = project.data.get("allocation_cents", 0) if project else 0
        extra = sum(r.data.get("amount_cents", 0) for r in decided_by_end)
        year_totals = compute_totals(allocated, extra, [row(r) for r in in_year])
        end_totals = compute_totals(allocated, extra, [row(r) for r in up_to_end])
        funded_this_year = project is not None and start <= project.ts < end
        if not (in_year or decided_in_year or funded_this_year or end_totals.open_commitments):
            continue
        report.entries += len(in_year)
        title = title_of(pid)
        round_id = project.data.get("round", 0) if project else 0
        by_round.setdefault(round_id, []).append(
            ProjectRow(
                id=pid,
                title=title,
                round_id=round_id,
                status=status_at_end.get(pid, "planned"),
                totals=Totals(allocated, extra, year_totals.committed, year_totals.spent, end_totals.open_commitments),
                funded_this_year=funded_this_year,
            )
        )
        for r in in_year:
            if r.type != "money.reversed":
                continue
            original = by_entry.get(r.data.get("reverses"), {})
            report.corrections.append(
                Correction(
                    project_id=pid,
                    title=title,
                    entry=r.data["entry"],
                    reverses=r.data.get("reverses", 0),
                    kind=r.data.get("kind", ""),
                    booked_on=_date(r.data["booked_on"]) or last_day,
                    amount_cents=r.data["amount_cents"],
                    reason=r.data.get("description", ""),
                    original_booked_on=_date(original.get("booked_on")),
                    original_description=original.get("description", ""),
                )
            )
        for r, day in decided_in_year:
            report.decisions.append(
                Decision(
                    project_id=pid,
                    title=title,
                    decision=r.data.get("decision", 0),
                    decided_on=day,
                    amount_cents=r.data.get("amount_cents", 0),
                    reason=r.data.get("reason", ""),
                    ceiling_cents=r.data.get("ceiling_cents", 0),
                )
            )
        report.open_commitments.extend(_open(pid, title, up_to_end))
    for round_id in sorted(by_round):
        round_ = rounds.get(round_id)
        report.money.append(RoundMoney(round_id, round_.title if round_ else "", by_round[round_id]))
    report.corrections.sort(key=lambda c: (c.booked_on, c.entry))
    report.decisions.sort(key=lambda d: (d.decided_on, d.decision))
    return report


def _weight_cast(closed: Record, opened: Mapping[str, Any], from_document: int | None) -> int | None:
    """The weight of the ballots cast, for a weighted vote: from the recorded quorum, else the counting document."""
    if opened.get("electorate_weight", 0) == opened.get("electorate_count", 0):
        return None
    quorum = closed.data.get("quorum") or {}
    if quorum.get("basis") == "turnout" and isinstance(quorum.get("weight"), int):
        return quorum["weight"]
    return from_document


def _open(project_id: int, title: str, entries: list[Record]) -> list[OpenCommitment]:
    """The project's commitments still open after ``entries`` (the same arithmetic as compute_totals)."""
    net: dict[int, int] = {}
    first: dict[int, Mapping[str, Any]] = {}
    settled: dict[int, int] = {}
    for r in entries:
        d = r.data
        if d["kind"] == "commitment":
            key = d.get("reverses") or d["entry"]
            net[key] = net.get(key, 0) + d["amount_cents"]
            if d.get("reverses") is None:
                first[key] = d
        elif d.get("commitment") is not None:
            settled[d["commitment"]] = settled.get(d["commitment"], 0) + d["amount_cents"]
    out = []
    for key, amount in net.items():
        left = amount - settled.get(key, 0)
        if left > 0 and key in first:
            d = first[key]
            out.append(
                OpenCommitment(project_id, title, key, _date(d["booked_on"]) or dt.date.min, d.get("payee", ""),
                               d.get("description", ""), left)
            )
    return out


# --- from the database ---------------------------------------------------------------------------


def load_records(upto: int | None = None) -> list[Record]:
    """The report's entries from the record, in order (up to entry ``upto``, if given)."""
    query = sa.select(AuditEntry.body).where(AuditEntry.type.in_(REPORT_TYPES)).order_by(AuditEntry.seq)
    if upto is not None:
        query = query.where(AuditEntry.seq <= upto)
    rows = db.session.execute(query).scalars()
    return [from_body(bytes(body)) for body in rows]


def _head() -> tuple[int, str]:
    row = db.session.execute(sa.select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)).first()
    return (row.seq, row.hash) if row else (0, "")


def _titles() -> dict[int, str]:
    from .models import Project

    return dict(db.session.execute(sa.select(Project.id, Project.title)).tuples().all())


def _weights_cast(records: list[Record], year: int) -> dict[int, int]:
    """The weight cast in each weighted vote closed in the year, from counting documents the record vouches for."""
    from ..voting.models import VoteItem

    opened = {r.subject_id: r.data for r in records if r.type == "vote.opened"}
    start, end = _year_bounds(year)
    wanted = {
        r.subject_id: r.data.get("ballots_digest")
        for r in records
        if r.type == "vote.closed" and start <= r.ts < end and r.subject_id in opened
        and opened[r.subject_id].get("electorate_weight") != opened[r.subject_id].get("electorate_count")
    }
    out: dict[int, int] = {}
    for vote_id, digest in wanted.items():
        document = db.session.scalar(sa.select(VoteItem.count_document).where(VoteItem.id == vote_id))
        if not document or hashlib.sha256(bytes(document)).hexdigest() != digest:
            continue
        ballots = json.loads(document).get("profile", {}).get("ballots", [])
        out[vote_id] = sum(int(b.get("weight", 1)) for b in ballots)
    return out


def years() -> list[YearSummary]:
    return summaries(load_records())


def year_report(year: int, *, today: dt.date | None = None) -> YearReport | None:
    """The report for ``year`` as the record stands now; None for a year with nothing to report."""
    from .services import today as amsterdam_today

    head_seq, head_hash = _head()
    records = load_records(upto=head_seq)
    if year not in {s.year for s in summaries(records)}:
        return None
    report = build(
        year,
        records,
        today=today or amsterdam_today(),
        titles=_titles(),
        weights_cast=_weights_cast(records, year),
    )
    # The newest entry of any kind: the report counts everything up to it.
    report.head_seq, report.head_hash = max(head_seq, report.head_seq), head_hash
    return report


def generated_at() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
