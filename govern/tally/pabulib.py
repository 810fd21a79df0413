"""Participatory budgeting instances: the pabulib ``.pb`` format and :class:`PBInstance`.

A pabulib file has three sections, each a ``;``-separated table with a header line:

- ``META`` (``key;value``): budget, vote_type, rule, min_project_score_threshold ...
- ``PROJECTS`` (``project_id;cost;...``): the ``selected`` column, when present, is
  the official result (1 = funded);
- ``VOTES`` (``voter_id;vote;...``): ``vote`` lists project ids separated by
  commas; ``points`` carries the points for cumulative and scoring ballots.

:func:`read_pb` keeps the META values and the extra project columns as written
(strings), merges identical ballots (with multiplicities) and turns project ids
into indices. Budgets and costs must be whole numbers: the counting rules use
exact integer money. The extra VOTES columns (age, sex, district ...) are not
kept: no rule uses them, and dropping them keeps voters anonymous in outcomes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .formats import FormatError
from .profile import Profile

__all__ = ["FormatError", "PBInstance", "VOTE_TYPES", "read_pb", "write_pb"]

#: The ballot kinds pabulib knows. ``ordinal`` ballots are rankings, best first.
VOTE_TYPES = ("approval", "ordinal", "cumulative", "scoring")

_INT = re.compile(r"[+-]?\d+(?:\.0*)?")


@dataclass(frozen=True)
class PBInstance:
    """A participatory budgeting vote: projects with costs, a budget and the ballots.

    Ballots refer to projects by index (position in :attr:`projects`). Identical
    ballots are stored once with their multiplicity; rules do not depend on the
    order in which ballots are listed.
    """

    #: Project ids as written in the source; index = position.
    projects: tuple[str, ...]
    #: Cost of each project, whole currency units.
    costs: tuple[int, ...]
    #: The money to spend, whole currency units.
    budget: int
    #: The projects on each distinct ballot: a sorted set for approval ballots, a
    #: ranking (best first) for ordinal ones, the written order for points ballots.
    ballots: tuple[tuple[int, ...], ...]
    #: How many voters cast each ballot; positive integers.
    multiplicities: tuple[int, ...]
    #: ``approval``, ``ordinal``, ``cumulative`` or ``scoring``.
    vote_type: str = "approval"
    #: Cumulative / scoring ballots: the points given, parallel to :attr:`ballots`; else ``()``.
    points: tuple[tuple[int, ...], ...] = ()
    #: Ordinal ballots: the rank of each listed project (1 = best; tied projects share
    #: a rank), parallel to :attr:`ballots`; else ``()``.
    ranks: tuple[tuple[int, ...], ...] = ()
    #: META section as written (strings), in file order.
    meta: Mapping[str, str] = field(default_factory=dict)
    #: The other PROJECTS columns per project (name, votes, selected ...), as written.
    project_info: tuple[Mapping[str, str], ...] = ()
    #: The official result (the ``selected`` column), or None when the source has none.
    selected: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        m = len(self.projects)
        if len(set(self.projects)) != m:
            raise ValueError("project ids must be unique")
        if len(self.costs) != m:
            raise ValueError("one cost per project is needed")
        for c in self.costs:
            if type(c) is not int or c < 0:
                raise ValueError(f"costs must be non-negative integers, not {c!r}")
        if type(self.budget) is not int or self.budget < 0:
            raise ValueError(f"the budget must be a non-negative integer, not {self.budget!r}")
        if self.vote_type not in VOTE_TYPES:
            raise ValueError(f"unknown vote type {self.vote_type!r}")
        if len(self.ballots) != len(self.multiplicities):
            raise ValueError("ballots and multiplicities differ in length")
        for w in self.multiplicities:
            if type(w) is not int or w <= 0:
                raise ValueError(f"multiplicities must be positive integers, not {w!r}")
        valid = set(range(m))
        for b in self.ballots:
            if len(set(b)) != len(b) or not set(b) <= valid:
                raise ValueError(f"malformed ballot {b!r}")
        for name, extra in (("points", self.points), ("ranks", self.ranks)):
            if extra:
                if len(extra) != len(self.ballots) or any(len(x) != len(b) for x, b in zip(extra, self.ballots)):
                    raise ValueError(f"{name} must run parallel to the ballots")
                if any(type(v) is not int for x in extra for v in x):
                    raise ValueError(f"{name} must be integers")
        if self.vote_type in ("cumulative", "scoring") and not self.points and self.ballots:
            raise ValueError(f"{self.vote_type} ballots need points")
        if self.project_info and len(self.project_info) != m:
            raise ValueError("project_info must have one entry per project")
        if self.selected is not None and not set(self.selected) <= set(self.projects):
            raise ValueError("selected names an unknown project")

    # -- derived views -------------------------------------------------------

    @property
    def num_voters(self) -> int:
        return sum(self.multiplicities)

    def weights(self) -> Iterator[tuple[tuple[int, ...], tuple[int, ...], int]]:
        """(projects, weight per project, multiplicity) per distinct ballot.

        The weight is the points given for points ballots and 1 otherwise (ranked
        projects count as approved). Projects given zero points are left out.
        """
        if self.points:
            for b, pts, m in zip(self.ballots, self.points, self.multiplicities):
                if all(pts):
                    yield b, pts, m
                else:
                    kept = [(p, x) for p, x in zip(b, pts) if x]
                    yield tuple(p for p, _ in kept), tuple(x for _, x in kept), m
        else:
            for b, m in zip(self.ballots, self.multiplicities):
                yield b, (1,) * len(b), m

    def support(self) -> tuple[int, ...]:
        """Votes per project: approvers (or rankers), or total points for points ballots."""
        s = [0] * len(self.projects)
        for b, w, m in self.weights():
            for p, x in zip(b, w):
                s[p] += x * m
        return tuple(s)

    @property
    def min_project_score_threshold(self) -> int | None:
        raw = self.meta.get("min_project_score_threshold")
        if raw is None or not str(raw).strip():
            return None
        if not _INT.fullmatch(str(raw).strip()):
            raise ValueError(f"min_project_score_threshold is not a whole number: {raw!r}")
        return int(str(raw).strip().split(".")[0])

    def digest(self) -> str:
        """SHA-256 (hex) of the canonical content; independent of the order of the ballots.

        Seeds lots when no seed was published, so nobody can steer them by
        reordering the ballot file.
        """
        rows = sorted(
            [list(b), list(self.points[i]) if self.points else [], list(self.ranks[i]) if self.ranks else [], w]
            for i, (b, w) in enumerate(zip(self.ballots, self.multiplicities))
        )
        merged: list[list[Any]] = []
        for row in rows:
            if merged and merged[-1][:3] == row[:3]:
                merged[-1][3] += row[3]
            else:
                merged.append(row)
        doc = {
            "projects": list(self.projects),
            "costs": list(self.costs),
            "budget": self.budget,
            "vote_type": self.vote_type,
            "ballots": merged,
        }
        data = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        return hashlib.sha256(data).hexdigest()

    # -- construction --------------------------------------------------------

    @classmethod
    def from_profile(cls, profile: Profile, costs: Mapping[str, int], budget: int) -> PBInstance:
        """A PB instance from a ranked govern profile: ranked proposals count as approvals.

        The ranks are kept (:attr:`ranks`, tied proposals sharing a rank) for rules
        that use them; withdrawn proposals are dropped from every ballot.
        """
        missing = [c for c in profile.candidates if c not in costs]
        if missing:
            raise ValueError(f"no cost given for {missing!r}")
        unknown = sorted(set(costs) - set(profile.candidates))
        if unknown:
            raise ValueError(f"costs given for unknown proposals {unknown!r}")
        merged: dict[tuple[tuple[int, ...], tuple[int, ...]], int] = {}
        for ballot, weight in zip(profile.ballots, profile.weights):
            order: list[int] = []
            ranks: list[int] = []
            for position, rank in enumerate((r for r in ballot if set(r) - profile.withdrawn), start=1):
                for c in sorted(rank):
                    if c not in profile.withdrawn:
                        order.append(c)
                        ranks.append(position)
            key = (tuple(order), tuple(ranks))
            merged[key] = merged.get(key, 0) + weight
        return cls(
            projects=tuple(profile.candidates),
            costs=tuple(costs[c] for c in profile.candidates),
            budget=budget,
            ballots=tuple(k[0] for k in merged),
            multiplicities=tuple(merged.values()),
            vote_type="ordinal",
            ranks=tuple(k[1] for k in merged),
            meta={"description": profile.title} if profile.title else {},
        )


# -- reading --------------------------------------------------------------------


def _source_text(source: str | os.PathLike[str]) -> str:
    if isinstance(source, os.PathLike):
        path = Path(source)
    elif isinstance(source, str) and "\n" not in source and len(source) < 4096 and source.strip() \
            and os.path.isfile(source):
        path = Path(source)
    elif isinstance(source, str):
        return source
    else:
        raise TypeError(f"expected text or a path, not {type(source).__name__}")
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FormatError(f"{path}: not UTF-8 text ({exc.reason})") from None


def _whole(value: str, what: str, line: int) -> int:
    v = value.strip()
    if not _INT.fullmatch(v):
        raise FormatError(f"line {line}: {what} must be a whole number, not {value!r}")
    return int(v.split(".")[0])


def read_pb(source: str | os.PathLike[str]) -> PBInstance:
    """Parse a pabulib file (a path, or the text itself) into a :class:`PBInstance`.

    Raises :class:`FormatError` naming the line for a malformed file.
    """
    text = _source_text(source)
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(io.StringIO(text), delimiter=";")
    section = None
    header: list[str] | None = None
    meta: dict[str, str] = {}
    project_rows: list[tuple[int, list[str]]] = []
    project_header: list[str] = []
    vote_rows: list[tuple[int, list[str]]] = []
    vote_header: list[str] = []
    seen_sections: list[str] = []
    try:
        for row in reader:
            line = reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            first = row[0].strip()
            if len(row) == 1 and first.upper() in ("META", "PROJECTS", "VOTES"):
                section = first.upper()
                if section in seen_sections:
                    raise FormatError(f"line {line}: section {section} appears twice")
                if not seen_sections and section != "META":
                    raise FormatError(f"line {line}: the file must start with the META section")
                if section == "VOTES" and "PROJECTS" not in seen_sections:
                    raise FormatError(f"line {line}: VOTES before PROJECTS")
                seen_sections.append(section)
                header = None
                continue
            if section is None:
                raise FormatError(f"line {line}: expected META, PROJECTS or VOTES, found {first!r}")
            if header is None:
                header = [h.strip() for h in row]
                if section == "META" and header[:2] != ["key", "value"]:
                    raise FormatError(f"line {line}: the META header must be 'key;value'")
                if section == "PROJECTS":
                    if header[0] != "project_id" or "cost" not in header:
                        raise FormatError(f"line {line}: the PROJECTS header needs project_id and cost")
                    project_header = header
                if section == "VOTES":
                    if header[0] != "voter_id" or "vote" not in header:
                        raise FormatError(f"line {line}: the VOTES header needs voter_id and vote")
                    vote_header = header
                continue
            if len(row) != len(header):
                raise FormatError(f"line {line}: {len(row)} fields where the header has {len(header)}")
            if section == "META":
                key = first
                if key in meta:
                    raise FormatError(f"line {line}: META key {key!r} appears twice")
                meta[key] = row[1].strip()
            elif section == "PROJECTS":
                project_rows.append((line, row))
            else:
                vote_rows.append((line, row))
    except csv.Error as exc:
        raise FormatError(f"line {reader.line_num}: {exc}") from None
    for needed in ("META", "PROJECTS"):
        if needed not in seen_sections:
            raise FormatError(f"line {reader.line_num}: no {needed} section")
    if "budget" not in meta:
        raise FormatError("line 1: META has no budget")
    budget = _whole(meta["budget"], "budget", _meta_line(text, "budget"))
    vote_type = meta.get("vote_type", "approval").strip() or "approval"
    if vote_type not in VOTE_TYPES:
        raise FormatError(f"line {_meta_line(text, 'vote_type')}: unknown vote_type {vote_type!r}")

    cost_col = project_header.index("cost")
    sel_col = project_header.index("selected") if "selected" in project_header else None
    projects: list[str] = []
    costs: list[int] = []
    info: list[dict[str, str]] = []
    selected: list[str] = []
    index: dict[str, int] = {}
    for line, row in project_rows:
        pid = row[0].strip()
        if not pid:
            raise FormatError(f"line {line}: empty project_id")
        if pid in index:
            raise FormatError(f"line {line}: project {pid!r} listed twice")
        index[pid] = len(projects)
        projects.append(pid)
        costs.append(_whole(row[cost_col], "cost", line))
        if costs[-1] < 0:
            raise FormatError(f"line {line}: negative cost")
        info.append({h: v.strip() for h, v in zip(project_header[1:], row[1:]) if h != "cost"})
        if sel_col is not None:
            s = row[sel_col].strip()
            if s not in ("", "0") and _INT.fullmatch(s) and int(s.split(".")[0]) != 0:
                selected.append(pid)
            elif s not in ("", "0") and not _INT.fullmatch(s):
                raise FormatError(f"line {line}: selected must be a number, not {s!r}")

    vote_col = vote_header.index("vote") if vote_header else 1
    points_col = vote_header.index("points") if "points" in vote_header else None
    with_points = vote_type in ("cumulative", "scoring")
    if with_points and vote_rows and points_col is None:
        raise FormatError(f"line {vote_rows[0][0] - 1}: {vote_type} votes need a points column")
    merged: dict[tuple[tuple[int, ...], tuple[int, ...]], int] = {}
    voter_ids: set[str] = set()
    for line, row in vote_rows:
        vid = row[0].strip()
        if vid in voter_ids:
            raise FormatError(f"line {line}: voter {vid!r} appears twice")
        voter_ids.add(vid)
        raw = row[vote_col].strip()
        names = [x.strip() for x in raw.split(",")] if raw else []
        try:
            ballot = [index[x] for x in names]
        except KeyError as exc:
            raise FormatError(f"line {line}: unknown project {exc.args[0]!r}") from None
        if len(set(ballot)) != len(ballot):
            raise FormatError(f"line {line}: a project appears twice on one ballot")
        extra: tuple[int, ...] = ()
        if with_points:
            assert points_col is not None
            praw = row[points_col].strip()
            pts = [x.strip() for x in praw.split(",")] if praw else []
            if len(pts) != len(ballot):
                raise FormatError(f"line {line}: {len(pts)} points for {len(ballot)} projects")
            extra = tuple(_whole(x, "points", line) for x in pts)
            if any(x < 0 for x in extra):
                raise FormatError(f"line {line}: negative points")
        elif vote_type == "approval":
            ballot.sort()
        key = (tuple(ballot), extra)
        merged[key] = merged.get(key, 0) + 1
    ballots = tuple(k[0] for k in merged)
    try:
        return PBInstance(
            projects=tuple(projects),
            costs=tuple(costs),
            budget=budget,
            ballots=ballots,
            multiplicities=tuple(merged.values()),
            vote_type=vote_type,
            points=tuple(k[1] for k in merged) if with_points else (),
            ranks=tuple(tuple(range(1, len(b) + 1)) for b in ballots) if vote_type == "ordinal" else (),
            meta=meta,
            project_info=tuple(info),
            selected=tuple(selected) if sel_col is not None else None,
        )
    except ValueError as exc:  # pragma: no cover - the checks above should catch everything first
        raise FormatError(f"line {reader.line_num}: {exc}") from None


def _meta_line(text: str, key: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.split(";", 1)[0].strip() == key:
            return number
    return 1


# -- writing --------------------------------------------------------------------


def write_pb(instance: PBInstance) -> str:
    """The instance as pabulib text; ``read_pb(write_pb(x))`` has the same content as ``x``.

    Merged ballots are written out once per voter, with voter ids ``1``, ``2`` ...;
    ``budget``, ``vote_type``, ``num_projects`` and ``num_votes`` in META follow the
    instance, the other META entries are written as kept. pabulib rankings have no
    ties: proposals tied on a govern ballot are written in index order.
    """
    out = io.StringIO()
    w = csv.writer(out, delimiter=";", lineterminator="\n")
    meta = dict(instance.meta)
    meta.update(
        budget=str(instance.budget),
        vote_type=instance.vote_type,
        num_projects=str(len(instance.projects)),
        num_votes=str(instance.num_voters),
    )
    w.writerow(["META"])
    w.writerow(["key", "value"])
    for k, v in meta.items():
        w.writerow([k, v])
    columns: list[str] = []
    for info in instance.project_info:
        for k in info:
            if k not in columns and k not in ("selected", "cost"):
                columns.append(k)
    with_selected = instance.selected is not None
    w.writerow(["PROJECTS"])
    w.writerow(["project_id", "cost", *columns, *(["selected"] if with_selected else [])])
    chosen = set(instance.selected or ())
    for i, (pid, cost) in enumerate(zip(instance.projects, instance.costs)):
        info = instance.project_info[i] if instance.project_info else {}
        row = [pid, str(cost), *(info.get(k, "") for k in columns)]
        if with_selected:
            row.append("1" if pid in chosen else "0")
        w.writerow(row)
    w.writerow(["VOTES"])
    with_points = instance.vote_type in ("cumulative", "scoring")
    w.writerow(["voter_id", "vote", *(["points"] if with_points else [])])
    voter = 0
    for i, (b, m) in enumerate(zip(instance.ballots, instance.multiplicities)):
        vote = ",".join(instance.projects[p] for p in b)
        pts = ",".join(str(x) for x in instance.points[i]) if with_points else None
        for _ in range(m):
            voter += 1
            w.writerow([str(voter), vote, *([pts] if with_points else [])])
    return out.getvalue()

