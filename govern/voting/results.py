"""Read models for the results of closed votes: what the results page, the ballot box,
the receipt check and the downloads show.

Everything here reads what ``close_vote`` stored on the vote item (the canonical
outcome bytes, the counting document, the greedy comparison, the box root) and the
ballots in the box; nothing is recounted for display and nothing is written.
While a vote is not closed, :func:`published` is False and none of this is shown:
no counts leak before closing (the views check it first).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

import sqlalchemy as sa
from flask_babel import format_decimal, gettext as _, ngettext

from ..audit import merkle
from ..extensions import db
from ..i18n import money
from ..membership.models import Member
from ..tally.formats import profile_from_document, write_blt
from ..tally.outcome import canonical_json
from ..tally.pabulib import PBInstance, write_pb
from .models import Ballot, VoteItem, VoteKind, VoteOption, VoteStatus

#: Ballots per page of the published box.
BOX_PAGE = 50


def published(vote: VoteItem) -> bool:
    """Results, the box and the downloads exist only once the vote is closed and counted."""
    return vote.status == VoteStatus.CLOSED and vote.outcome is not None


def outcome_of(vote: VoteItem) -> dict[str, Any]:
    return json.loads(vote.outcome) if vote.outcome else {}


def comparison_of(vote: VoteItem) -> dict[str, Any] | None:
    return json.loads(vote.comparison) if vote.comparison else None


def document_of(vote: VoteItem) -> dict[str, Any] | None:
    return json.loads(vote.count_document) if vote.count_document else None


# -- numbers ------------------------------------------------------------------------


def number(value: Any) -> Decimal:
    """A count as the outcome writes it (an int, or an exact decimal string for STV) as a Decimal."""
    if isinstance(value, int):
        return Decimal(value)
    return Decimal(str(value))


def show_number(value: Any) -> str:
    """A count for people, in the locale: whole votes as they are, fractions to at most 5 places."""
    d = number(value)
    if d == d.to_integral_value():
        return format_decimal(int(d), format="#,##0")
    return format_decimal(d, format="#,##0.#####")


def cents(value: Any) -> int:
    """Money from an outcome ("p/q" exact string or int, in cents), rounded down to whole cents."""
    return int(Fraction(str(value)))


# -- options ------------------------------------------------------------------------


def labels(vote: VoteItem) -> dict[str, str]:
    names = {o.key: o.label for o in vote.options}
    if vote.kind == VoteKind.MOTION:
        names.update(yes=_("For"), no=_("Against"), abstain=_("Abstain"))
    return names


def words(keys: Sequence[str], names: Mapping[str, str]) -> str:
    """Option keys as a sentence of labels: "A, B and C"."""
    items = [names.get(k, k) for k in keys]
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return _("%(first)s and %(last)s", first=", ".join(items[:-1]), last=items[-1])


# -- turnout ------------------------------------------------------------------------


@dataclass
class Turnout:
    participants: int
    electorate: int
    ballots: int
    electorate_weight: int
    percent: str


def turnout(vote: VoteItem) -> Turnout:
    share = (Decimal(vote.participation_count) * 100 / vote.electorate_count) if vote.electorate_count else Decimal(0)
    return Turnout(
        participants=vote.participation_count,
        electorate=vote.electorate_count,
        ballots=vote.ballot_count,
        electorate_weight=vote.electorate_weight,
        percent=format_decimal(share.quantize(Decimal("0.1")), format="#,##0.#"),
    )


# -- charts -------------------------------------------------------------------------


@dataclass
class Bar:
    key: str
    label: str
    value: Decimal
    text: str
    #: "elected", "excluded", "winner", "continuing" (or "yes", "no", "abstain" for motions)
    status: str
    status_text: str = ""
    #: What the candidate received in this round's transfer (shown in the table).
    change: str = ""


@dataclass
class Chart:
    number: int
    heading: str
    #: One sentence saying what happened in this round (the chart's <desc> starts with it).
    summary: str
    bars: list[Bar]
    scale: Decimal
    #: A line to draw across the bars (the quota, or half of the votes still in the count).
    line: Decimal | None = None
    line_label: str = ""
    #: Extra rows for the table (exhausted ballots, non-transferable votes ...): (label, text).
    extras: list[tuple[str, str]] = field(default_factory=list)

    def width(self, bar: Bar, full: int) -> int:
        if not self.scale:
            return 0
        return int(bar.value * full / self.scale)

    @property
    def line_text(self) -> str:
        return "" if self.line is None else show_number(self.line.quantize(Decimal("0.00001")))

    def line_at(self, full: int) -> int | None:
        if self.line is None or not self.scale:
            return None
        return int(self.line * full / self.scale)

    @property
    def description(self) -> str:
        parts = [self.summary.rstrip(".")]
        parts += [f"{b.label}: {b.text}{' (' + b.status_text + ')' if b.status_text else ''}" for b in self.bars]
        if self.line is not None:
            parts.append(f"{self.line_label}: {show_number(self.line)}")
        return ". ".join(parts) + "."


def _status_text(status: str) -> str:
    return {
        "elected": _("elected"),
        "winner": _("winner"),
        "excluded": _("eliminated"),
        "continuing": "",
    }.get(status, "")


def _scale(values: Sequence[Decimal], line: Decimal | None) -> Decimal:
    top = max([*values, line or Decimal(0), Decimal(0)])
    return top


def irv_charts(outcome: Mapping[str, Any], names: Mapping[str, str]) -> list[Chart]:
    charts = []
    for rnd in outcome.get("rounds", []):
        n = rnd["round"]
        bars = []
        for key, votes in rnd["votes"].items():
            status = "continuing"
            if rnd.get("winner") == key:
                status = "winner"
            elif rnd.get("eliminated") == key:
                status = "excluded"
            bars.append(Bar(key, names.get(key, key), number(votes), show_number(votes), status, _status_text(status)))
        for bar in bars:
            got = rnd.get("transfers", {}).get(bar.key)
            if got:
                bar.change = "+" + show_number(got)
        active = number(rnd.get("active", 0))
        if "winner" in rnd:
            if rnd.get("reason") == "majority":
                what = _("%(name)s has more than half of the votes and wins.", name=names.get(rnd["winner"], rnd["winner"]))
            else:
                what = _("%(name)s is the last candidate left and wins.", name=names.get(rnd["winner"], rnd["winner"]))
        else:
            what = _(
                "Nobody has more than half of the votes. %(name)s has the fewest and is eliminated; their votes go to the next choice on each ballot.",
                name=names.get(rnd.get("eliminated", ""), rnd.get("eliminated", "")),
            )
        extras = [(_("Votes still in the count"), show_number(active)), (_("Ballots with no choice left (exhausted)"), show_number(rnd.get("exhausted", 0)))]
        if "newly_exhausted" in rnd:
            extras.append((_("Ballots exhausted in this round"), show_number(rnd["newly_exhausted"])))
        half = active / 2
        charts.append(
            Chart(n, _("Round %(n)d", n=n), what, bars, _scale([b.value for b in bars], half), half, _("Half of the votes"), extras)
        )
    return charts


def stv_charts(outcome: Mapping[str, Any], names: Mapping[str, str]) -> list[Chart]:
    charts = []
    summary = outcome.get("summary", {})
    quota_all = summary.get("quota")
    for rnd in outcome.get("rounds", []):
        n = rnd["round"]
        quota = number(rnd.get("quota", quota_all or 0))
        elected = set(rnd.get("elected", []))
        excluded = set(rnd.get("excluded", []))
        bars = []
        for key, votes in rnd["votes"].items():
            status = "elected" if key in elected else "excluded" if key in excluded else "continuing"
            bar = Bar(key, names.get(key, key), number(votes), show_number(votes), status, _status_text(status))
            got = rnd.get("transfers", {}).get(key)
            if got and number(got):
                bar.change = "+" + show_number(got)
            bars.append(bar)
        action = rnd.get("action")
        who = names.get(rnd.get("candidate", ""), rnd.get("candidate", ""))
        if action == "first-preferences":
            what = _("The first choices are counted.")
        elif action == "surplus":
            what = _("%(name)s has more votes than needed; the extra %(surplus)s votes go on to the next choices.", name=who, surplus=show_number(rnd["surplus"]))
        elif action == "exclusion":
            what = _("%(name)s has the fewest votes and is eliminated; their votes go on to the next choices.", name=who)
        else:
            what = _("The votes are shared out again with the new keep values.")
        if elected:
            what += " " + _("Elected: %(names)s.", names=words(sorted(elected, key=list(rnd["votes"]).index), names))
        extras = []
        for label, key in ((_("Votes that could not go on (non-transferable)"), "non_transferable"), (_("Lost by rounding"), "fraction_loss"),
                           (_("Exhausted so far"), "exhausted_total"), (_("Exhausted so far"), "exhausted")):
            if key in rnd:
                extras.append((label, show_number(rnd[key])))
        charts.append(Chart(n, _("Round %(n)d", n=n), what, bars, _scale([b.value for b in bars], quota), quota, _("Quota"), extras))
    return charts


def motion_chart(outcome: Mapping[str, Any], names: Mapping[str, str]) -> Chart:
    s = outcome.get("summary", {})
    bars = [Bar(k, names[k], number(s.get(k, 0)), show_number(s.get(k, 0)), k) for k in ("yes", "no", "abstain")]
    cast = number(s.get("cast", 0))
    if outcome.get("params", {}).get("threshold") == "two-thirds":
        line, label = cast * 2 / 3, _("Two-thirds of the votes cast")
    else:
        line, label = cast / 2, _("Half of the votes cast")
    return Chart(1, _("Votes"), _("Votes for, against and abstentions."), bars, _scale([b.value for b in bars], line), line, label)


# -- motion -------------------------------------------------------------------------


@dataclass
class MotionResult:
    yes: int
    no: int
    abstain: int
    cast: int
    result: str  # "carried", "not carried", "inquorate"
    result_text: str
    threshold_text: str
    abstentions_text: str
    quorum_text: str | None
    chart: Chart


def motion_result(vote: VoteItem, outcome: Mapping[str, Any], names: Mapping[str, str]) -> MotionResult:
    s = outcome.get("summary", {})
    params = outcome.get("params", {})
    result = s.get("result", "")
    if vote.valid is False or result == "inquorate":
        result = "inquorate"
    text = {"carried": _("Carried"), "not carried": _("Not carried"), "inquorate": _("Not valid: quorum not reached")}.get(result, result)
    if params.get("threshold") == "two-thirds":
        threshold = _("Carried when at least two-thirds of the votes cast are yes.")
    else:
        threshold = _("Carried when more than half of the votes cast are yes.")
    if params.get("abstentions") == "counted":
        abstentions = _("Abstentions count as votes cast.")
    else:
        abstentions = _("Abstentions do not count as votes cast.")
    return MotionResult(
        yes=s.get("yes", 0), no=s.get("no", 0), abstain=s.get("abstain", 0), cast=s.get("cast", 0),
        result=result, result_text=text, threshold_text=threshold, abstentions_text=abstentions,
        quorum_text=quorum_text(vote, outcome), chart=motion_chart(outcome, names),
    )


def quorum_text(vote: VoteItem, outcome: Mapping[str, Any]) -> str | None:
    q = vote.quorum_result
    if q:
        args = dict(weight=show_number(q.get("weight", 0)), total=show_number(q.get("electorate_weight", 0)),
                    needed=show_number(q.get("needed", 0)), share=q.get("required", ""))
        if q.get("basis") == "present":
            if q.get("met"):
                return _("Quorum reached: %(weight)s of %(total)s votes were present or represented; %(needed)s (%(share)s) were needed.", **args)
            return _("Quorum not reached: %(weight)s of %(total)s votes were present or represented; %(needed)s (%(share)s) were needed.", **args)
        if q.get("met"):
            return _("Quorum reached: %(weight)s of %(total)s votes were cast; %(needed)s (%(share)s) were needed.", **args)
        return _("Quorum not reached: %(weight)s of %(total)s votes were cast; %(needed)s (%(share)s) were needed.", **args)
    s = outcome.get("summary", {})
    if "quorum_needed" in s:
        args = dict(turnout=show_number(s.get("turnout", 0)), needed=show_number(s["quorum_needed"]))
        if s.get("quorate"):
            return _("Quorum reached: %(turnout)s votes, %(needed)s were needed.", **args)
        return _("Quorum not reached: %(turnout)s votes, %(needed)s were needed.", **args)
    return None


# -- budget -------------------------------------------------------------------------


@dataclass
class ProposalResult:
    key: str
    label: str
    option: VoteOption | None
    cost: int
    support: int
    funded: bool
    greedy_funded: bool | None
    neighbourhood: str
    reasons: list[str] = field(default_factory=list)
    #: Machine-readable reason code (for the CSV): funded / no-support / not-enough-money-among-supporters / does-not-fit / below-threshold
    code: str = ""


@dataclass
class Area:
    neighbourhood: str
    funded: int
    cents: int


@dataclass
class BudgetResult:
    rule: str
    budget: int
    used: int
    left: int
    funded: list[ProposalResult]
    not_funded: list[ProposalResult]
    areas: list[Area]
    greedy_used: int | None
    greedy_left: int | None
    only_ours: list[ProposalResult]
    only_greedy: list[ProposalResult]
    chosen: str

    @property
    def proposals(self) -> list[ProposalResult]:
        return self.funded + self.not_funded


def support_of(document: Mapping[str, Any] | None) -> dict[str, int]:
    """Votes per option: the weight of the ballots that rank it (what the budgeting rules call support)."""
    support: dict[str, int] = {}
    if not document:
        return support
    profile = document.get("profile", {})
    for key in profile.get("candidates", []):
        support[key] = 0
    for b in profile.get("ballots", []):
        w = b.get("weight", 1)
        for item in b.get("ranking", []):
            for key in [item] if isinstance(item, str) else item:
                support[key] = support.get(key, 0) + w
    return support


def _greedy_rows(outcome: Mapping[str, Any] | None, phases: tuple[str | None, ...]) -> dict[str, Mapping[str, Any]]:
    rows: dict[str, Mapping[str, Any]] = {}
    for r in (outcome or {}).get("rounds", []):
        if r.get("phase") in phases and "project" in r:
            rows[r["project"]] = r
    return rows


def budget_result(vote: VoteItem, outcome: Mapping[str, Any], comparison: Mapping[str, Any] | None,
                  document: Mapping[str, Any] | None, names: Mapping[str, str],
                  neighbourhood_name: Any = lambda key: key) -> BudgetResult:
    options = {o.key: o for o in vote.options}
    summary = outcome.get("summary", {})
    if outcome.get("rule") == "greedy":
        comparison = None  # counted by "most votes first" itself: nothing to compare with
    budget = int(outcome.get("params", {}).get("budget", summary.get("budget", 0)))
    winners = list(outcome.get("winners", []))
    costs: dict[str, int] = dict((document or {}).get("profile", {}).get("costs", {}))
    for key, o in options.items():
        if key not in costs and o.cost_cents is not None:
            costs[key] = o.cost_cents
    support = support_of(document)
    greedy_winners = set(comparison.get("winners", [])) if comparison else None
    if greedy_winners is None and outcome.get("rule") == "greedy":
        greedy_winners = set(winners)
    funded_set = set(winners)
    rule = outcome.get("rule", "")
    projects = summary.get("projects", {})
    fill = _greedy_rows(outcome, ("greedy-completion",)) if rule == "mes" else _greedy_rows(outcome, (None,))
    funded_support = [support.get(k, 0) for k in winners]
    left = budget - sum(costs.get(k, 0) for k in winners)

    def make(key: str) -> ProposalResult:
        o = options.get(key)
        return ProposalResult(
            key=key, label=names.get(key, key), option=o, cost=costs.get(key, 0), support=support.get(key, 0),
            funded=key in funded_set, greedy_funded=None if greedy_winners is None else key in greedy_winners,
            neighbourhood=(o.neighbourhood if o is not None and o.neighbourhood else ""),
        )

    funded = [make(k) for k in winners]
    for p in funded:
        p.code = "funded"
    candidates = list(outcome.get("candidates", [])) or list(options)
    not_funded = sorted((make(k) for k in candidates if k not in funded_set), key=lambda p: (-p.support, p.label))
    for p in not_funded:
        p.code, p.reasons = why_not_funded(p, rule, projects.get(p.key, {}), fill.get(p.key), funded_support, left)

    by_area: dict[str, Area] = {}
    for p in funded:
        area = by_area.setdefault(p.neighbourhood, Area(neighbourhood_name(p.neighbourhood) if p.neighbourhood else _("No neighbourhood"), 0, 0))
        area.funded += 1
        area.cents += p.cost
    areas = sorted(by_area.values(), key=lambda a: (-a.cents, a.neighbourhood))

    greedy_used = greedy_left = None
    only_ours: list[ProposalResult] = []
    only_greedy: list[ProposalResult] = []
    if comparison is not None:
        greedy_used = sum(costs.get(k, 0) for k in comparison.get("winners", []))
        greedy_left = budget - greedy_used
        only_ours = [p for p in funded if p.greedy_funded is False]
        only_greedy = [p for p in not_funded if p.greedy_funded]
    used = budget - left
    return BudgetResult(rule=rule, budget=budget, used=used, left=left, funded=funded, not_funded=not_funded, areas=areas,
                        greedy_used=greedy_used, greedy_left=greedy_left, only_ours=only_ours, only_greedy=only_greedy,
                        chosen=summary.get("chosen", rule))


def why_not_funded(p: ProposalResult, rule: str, info: Mapping[str, Any], fill: Mapping[str, Any] | None,
                   funded_support: Sequence[int], left: int) -> tuple[str, list[str]]:
    """Plain-language reasons, from the rounds of the count, why ``p`` got no money."""
    reasons: list[str] = []
    cost = money(p.cost)
    if p.support == 0:
        return "no-support", [_("Nobody put this plan on their ballot.")]
    code = info.get("why", "")
    if rule == "mes":
        if code == "not-enough-money-among-supporters":
            reasons.append(ngettext(
                "Everyone got an equal share of the budget to spend on the plans they chose. When it was this plan's turn, its %(num)d voter had only %(behind)s of their share left. The plan costs %(cost)s: %(short)s short.",
                "Everyone got an equal share of the budget to spend on the plans they chose. When it was this plan's turn, its %(num)d voters had only %(behind)s of their shares left together. The plan costs %(cost)s: %(short)s short.",
                p.support, behind=money(cents(info.get("money_behind", 0))), cost=cost, short=money(p.cost - cents(info.get("money_behind", 0)))))
        elif code == "does-not-fit":
            code = "does-not-fit"
            es = info.get("equal_shares")
            if es:
                reasons.append(ngettext(
                    "Everyone got an equal share of the budget to spend on the plans they chose. Its %(num)d voter had only %(behind)s of their share left for it. The plan costs %(cost)s: %(short)s short.",
                    "Everyone got an equal share of the budget to spend on the plans they chose. Its %(num)d voters had only %(behind)s of their shares left for it together. The plan costs %(cost)s: %(short)s short.",
                    p.support, behind=money(cents(es.get("money_behind", 0))), cost=cost, short=money(p.cost - cents(es.get("money_behind", 0)))))
            if fill is not None and fill.get("status") == "does-not-fit":
                reasons.append(_("The money left over was then given to plans with the most votes. When this plan's turn came, only %(left)s was left: less than its cost of %(cost)s.",
                                 left=money(fill.get("money_before", 0)), cost=cost))
            elif not es:
                reasons.append(_("It costs %(cost)s: more than what was left (%(left)s).", cost=cost, left=money(info.get("money_left", left))))
        else:
            code = code or "does-not-fit"
            reasons.append(_("It costs %(cost)s: more than what was left (%(left)s).", cost=cost, left=money(left)))
    else:
        status = (fill or {}).get("status")
        if status == "below-threshold":
            code = "below-threshold"
            reasons.append(_("It had fewer votes than the minimum of %(min)s.", min=fill.get("threshold")))
        else:
            code = "does-not-fit"
            before = (fill or {}).get("money_before", left)
            reasons.append(_("Plans with more votes were funded first. When this plan's turn came, only %(left)s was left: less than its cost of %(cost)s.",
                             left=money(before), cost=cost))
    if funded_support and p.support < min(funded_support):
        reasons.append(ngettext("It had %(num)d vote: fewer than every funded plan (they had at least %(least)d).",
                                "It had %(num)d votes: fewer than every funded plan (they had at least %(least)d).",
                                p.support, least=min(funded_support)))
    if p.greedy_funded and rule == "mes":
        reasons.append(_("Had the plans with the most votes simply been funded first, this plan would have got money. The cooperative chose equal shares, so that more voters get a plan they chose."))
    return code, reasons


# -- condorcet ----------------------------------------------------------------------


@dataclass
class Pairwise:
    candidates: list[str]
    labels: list[str]
    rows: list[list[str]]


def pairwise(outcome: Mapping[str, Any], names: Mapping[str, str]) -> Pairwise | None:
    for r in outcome.get("rounds", []):
        if r.get("stage") == "pairwise":
            cands = list(r.get("candidates", []))
            d = r.get("d", [])
            rows = [["" if i == j else show_number(d[i][j]) for j in range(len(cands))] for i in range(len(cands))]
            return Pairwise(cands, [names.get(c, c) for c in cands], rows)
    return None


# -- the results page as a whole ----------------------------------------------------------


@dataclass
class Results:
    vote: VoteItem
    outcome: dict[str, Any]
    names: dict[str, str]
    winners: list[str]
    winners_text: str
    valid: bool
    turnout: Turnout
    motion: MotionResult | None = None
    charts: list[Chart] = field(default_factory=list)
    budget: BudgetResult | None = None
    pairwise: Pairwise | None = None
    tie_breaks: list[dict[str, Any]] = field(default_factory=list)
    ties: list[str] = field(default_factory=list)


def tie_text(tie: Mapping[str, Any], names: Mapping[str, str]) -> str:
    tied = [names.get(k, k) for k in tie.get("tied", [])]
    chosen = tie.get("chosen") or (tie.get("order") or [""])[0]
    method = {
        "rule": _("the rule decides"),
        "earlier-rounds": _("who had fewer or more votes in an earlier round"),
        "earlier-rounds-then-lot": _("earlier rounds, then by lot"),
        "lot": _("by lot"),
        "seeded-order": _("by lot"),
        "support-then-cost": _("most votes, then lowest cost"),
        "support-then-cost-then-lot": _("most votes, then lowest cost, then by lot"),
    }.get(tie.get("method", ""), tie.get("method", ""))
    purpose = str(tie.get("purpose", ""))
    if purpose.startswith("equal shares round "):
        purpose = _("Equal shares, round %(n)s", n=purpose.rsplit(" ", 1)[-1])
    else:
        purpose = {
            "elimination": _("Who drops out"),
            "exclusion": _("Who drops out"),
            "order of election": _("Order of election"),
            "order of surplus transfers": _("Whose extra votes go on first"),
            "result": _("Result"),
            "greedy order": _("Order of plans with as many votes"),
        }.get(purpose, purpose.capitalize())
    return _("%(purpose)s: %(tied)s were tied; %(chosen)s was chosen (%(method)s).", purpose=purpose,
             tied=words(tie.get("tied", []), names) if tied else "", chosen=names.get(chosen, chosen), method=method)


def results(vote: VoteItem, neighbourhood_name: Any = lambda key: key) -> Results:
    outcome = outcome_of(vote)
    names = labels(vote)
    winners = list(vote.winners if vote.winners is not None else outcome.get("winners", []))
    valid = vote.valid is not False
    res = Results(vote=vote, outcome=outcome, names=names, winners=winners, winners_text=words(winners, names), valid=valid,
                  turnout=turnout(vote), tie_breaks=list(outcome.get("tie_breaks", [])))
    res.ties = [tie_text(t, names) for t in res.tie_breaks]
    rule = outcome.get("rule", vote.rule)
    if vote.kind == VoteKind.MOTION:
        res.motion = motion_result(vote, outcome, names)
    elif vote.kind == VoteKind.BUDGET:
        res.budget = budget_result(vote, outcome, comparison_of(vote), document_of(vote), names, neighbourhood_name)
    elif rule == "irv":
        res.charts = irv_charts(outcome, names)
    elif rule.startswith("stv"):
        res.charts = stv_charts(outcome, names)
    else:
        res.pairwise = pairwise(outcome, names)
    return res


# -- the box ------------------------------------------------------------------------


@dataclass
class BoxRow:
    tracker: str
    ranking: list[str]
    weight: int
    member: str | None


def box_query(vote: VoteItem) -> sa.Select[Any]:
    """The published box in tracker order (the order of the leaves of its Merkle tree)."""
    return sa.select(Ballot).where(Ballot.vote_id == vote.id).order_by(Ballot.tracker)


def _member_names(vote: VoteItem, ballots: Sequence[Ballot]) -> dict[int, str]:
    """Members' names for an open (roll-call) vote; nothing for a secret one."""
    if vote.secret:
        return {}
    ids = {b.member_id for b in ballots if b.member_id is not None}
    if not ids:
        return {}
    return {i: name for i, name in db.session.execute(sa.select(Member.id, Member.name).where(Member.id.in_(ids)))}


def box_rows(vote: VoteItem, ballots: Sequence[Ballot]) -> list[BoxRow]:
    names = labels(vote)
    members = _member_names(vote, ballots)
    return [
        BoxRow(b.tracker, [names.get(k, k) for k in b.ranking], b.weight,
               None if vote.secret else members.get(b.member_id or 0, ""))
        for b in ballots
    ]


def all_ballots(vote: VoteItem) -> list[tuple[Ballot, str | None]]:
    ballots = list(db.session.scalars(box_query(vote)))
    members = _member_names(vote, ballots)
    return [(b, None if vote.secret else members.get(b.member_id or 0, "")) for b in ballots]


# -- receipts -----------------------------------------------------------------------

def normalize_tracker(text: str | None) -> str:
    """What a voter typed, as a tracker: capitals, no spaces, dashes between groups of four."""
    from . import services

    return services.normalize_tracker((text or "")[:100])


def ballot_leaf(tracker: str, ranking: Sequence[str], weight: int) -> bytes:
    """The leaf body of one ballot in the box tree (the voting services define it)."""
    from . import services

    return services.ballot_leaf(tracker, list(ranking), weight)


@dataclass
class Step:
    #: "left": the proof hash goes left of ours; "right": it goes right.
    side: str
    sibling: str
    result: str


@dataclass
class ReceiptCheck:
    tracker: str
    ranking: list[str]
    ranking_keys: list[str]
    weight: int
    index: int
    size: int
    leaf_body: str
    leaf_hash: str
    steps: list[Step]
    root: str
    root_on_record: str
    holds: bool
    error: str = ""


def proof_steps(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> list[Step]:
    """The steps of RFC 9162 §2.1.3.2 written out, so a person can redo them by hand."""
    steps: list[Step] = []
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            break
        if fn & 1 or fn == sn:
            r = merkle.node_hash(p, r)
            steps.append(Step("left", p.hex(), r.hex()))
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = merkle.node_hash(r, p)
            steps.append(Step("right", p.hex(), r.hex()))
        fn >>= 1
        sn >>= 1
    return steps


def receipt_check(vote: VoteItem, tracker: str) -> ReceiptCheck | None:
    """The ballot with this tracker as counted, and its inclusion proof checked here; None if unknown."""
    from . import services

    found = services.receipt(vote, tracker)
    if found is None:
        return None
    body = ballot_leaf(found.tracker, found.ranking, found.weight)
    leaf = merkle.leaf_hash(body)
    proof = [bytes.fromhex(h) for h in found.proof]
    names = labels(vote)
    on_record = vote.ballot_box_root or ""
    holds, error = True, ""
    try:
        if leaf.hex() != found.leaf_hash:
            raise merkle.ProofError("the ballot does not give the leaf hash of the box")
        merkle.verify_inclusion(found.index, found.size, leaf, proof, bytes.fromhex(on_record))
    except (merkle.ProofError, ValueError) as exc:
        holds, error = False, str(exc)
    steps = proof_steps(found.index, found.size, leaf, proof)
    return ReceiptCheck(
        tracker=found.tracker, ranking=[names.get(k, k) for k in found.ranking], ranking_keys=list(found.ranking),
        weight=found.weight, index=found.index, size=found.size, leaf_body=body.decode("utf-8", "replace"),
        leaf_hash=leaf.hex(), steps=steps, root=steps[-1].result if steps else leaf.hex(), root_on_record=on_record,
        holds=holds, error=error,
    )


# -- downloads ----------------------------------------------------------------------


def box_document(vote: VoteItem) -> bytes:
    """The published box as canonical JSON: trackers, rankings (option keys), weights; member names on open votes only."""
    rows = []
    for b, name in all_ballots(vote):
        row: dict[str, Any] = {"tracker": b.tracker, "ranking": list(b.ranking), "weight": b.weight}
        if not vote.secret:
            row["member"] = name
        rows.append(row)
    rows.sort(key=lambda r: r["tracker"])
    doc = {
        "format": "govern-ballot-box",
        "version": 1,
        "vote": vote.id,
        "title": vote.title,
        "kind": vote.kind.value,
        "secret": vote.secret,
        "rule": vote.rule,
        "options": [{"key": o.key, "label": o.label} for o in vote.options],
        "size": len(rows),
        "root": vote.ballot_box_root,
        "closed_seq": vote.closed_seq,
        "ballots": rows,
    }
    return canonical_json(doc)


def _csv(rows: Sequence[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(rows)
    return out.getvalue()


def box_csv(vote: VoteItem) -> str:
    names = labels(vote)
    header = ["tracker", "weight", "ranking", "ranking_labels"] + ([] if vote.secret else ["member"])
    rows: list[list[Any]] = [header]
    for b, name in sorted(all_ballots(vote), key=lambda r: r[0].tracker):
        row = [b.tracker, b.weight, " ".join(b.ranking), " > ".join(names.get(k, k) for k in b.ranking)]
        if not vote.secret:
            row.append(name or "")
        rows.append(row)
    return _csv(rows)


def _blt_name(text: str) -> str:
    return re.sub(r"[\r\n]+", " ", text).replace('"', "'")


def blt_names(vote: VoteItem, keys: Sequence[str]) -> list[str]:
    """Option labels as BLT candidate names: no quotes or line breaks, and unique."""
    names = labels(vote)
    out = [_blt_name(names.get(k, k)) for k in keys]
    for i, (key, name) in enumerate(zip(keys, out)):
        if out.count(name) > 1:
            out[i] = f"{name} ({key})"
    return out


def blt(vote: VoteItem) -> str:
    document = document_of(vote) or {}
    profile, _extras = profile_from_document(document.get("profile"))
    names = blt_names(vote, profile.candidates)
    profile = dataclasses.replace(profile, candidates=tuple(names), title=_blt_name(vote.title))
    seats = vote.seats if vote.kind == VoteKind.ELECTION else len(vote.winners or []) or 1
    return write_blt(profile, seats=seats)


def pb(vote: VoteItem, neighbourhood_name: Any = lambda key: key) -> str:
    document = document_of(vote) or {}
    profile, extras = profile_from_document(document.get("profile"))
    outcome = outcome_of(vote)
    budget = int(outcome.get("params", {}).get("budget", extras.get("budget", 0)))
    options = {o.key: o for o in vote.options}
    costs = extras.get("costs") or {k: options[k].cost_cents or 0 for k in profile.candidates}
    instance = PBInstance.from_profile(profile, costs, budget)
    info = []
    for key in instance.projects:
        o = options.get(key)
        row = {"name": _blt_name(o.label) if o else key}
        if o is not None and o.neighbourhood:
            row["district"] = neighbourhood_name(o.neighbourhood)
        if o is not None and o.proposal_id:
            row["proposal"] = str(o.proposal_id)
        info.append(row)
    meta = {
        "description": _blt_name(vote.title),
        "country": "Netherlands",
        "unit": "Rotterdam-Delfshaven",
        "instance": str(vote.id),
        "currency": "EUR",
        "comment": "costs and budget in euro cents",
        "rule": outcome.get("rule", vote.rule),
    }
    if vote.closed_at is not None:
        meta["date_end"] = vote.closed_at.date().isoformat()
    instance = dataclasses.replace(instance, meta=meta, project_info=tuple(info), selected=tuple(outcome.get("winners", [])))
    return write_pb(instance)


def results_csv(vote: VoteItem, neighbourhood_name: Any = lambda key: key) -> str:
    res = results(vote, neighbourhood_name)
    rows: list[list[Any]] = []
    if res.motion is not None:
        m = res.motion
        rows = [["option", "votes"], ["yes", m.yes], ["no", m.no], ["abstain", m.abstain], ["cast", m.cast], ["result", m.result]]
    elif res.budget is not None:
        rows = [["key", "proposal", "neighbourhood", "cost_cents", "votes", "funded", "greedy_funded", "reason"]]
        for p in res.budget.proposals:
            rows.append([p.key, p.label, p.neighbourhood, p.cost, p.support, int(p.funded),
                         "" if p.greedy_funded is None else int(p.greedy_funded), p.code])
    elif res.charts:
        rows = [["round", "key", "candidate", "votes", "transfer", "status"]]
        for chart in res.charts:
            for bar in chart.bars:
                rows.append([chart.number, bar.key, bar.label, str(bar.value), bar.change.lstrip("+"), bar.status])
    else:
        rows = [["place", "key", "candidate"]]
        rows += [[i + 1, k, res.names.get(k, k)] for i, k in enumerate(res.winners)]
    return _csv(rows)

