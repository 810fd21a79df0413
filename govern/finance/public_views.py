"""Public pages "Where does the money go?" and the open data downloads (blueprint ``money``).

Anyone may read them, signed in or not: the cooperative renders account to the whole
neighbourhood. The views only load and render; the numbers come from
:mod:`govern.finance.overview`, which adds up ``services.totals_for``.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask_babel import gettext as _

from ..budgeting.forms import category_choices
from ..membership.forms import neighbourhood_choices
from ..voting import results as vote_results
from ..voting.services import budget_vote
from . import overview as read
from . import services

bp = Blueprint("money", __name__, url_prefix="/money")


def _neighbourhood_namer() -> read.Namer:
    names = dict(neighbourhood_choices())
    return lambda key: names.get(key, key)


def _category_namer() -> read.Namer:
    names = dict(category_choices())
    return lambda key: names.get(key, key)


def _project_url(project_id: int) -> str | None:
    """The project's own page (blueprint ``finance``), when the app has it."""
    if "finance.project" not in current_app.view_functions:
        return None
    return url_for("finance.project", project_id=project_id)


def _charts(view: read.Overview, *, rounds: bool) -> list[tuple[str, read.Chart]]:
    """(kind, chart) per breakdown; kind says what the table's first column holds."""
    charts = []
    if rounds:
        charts.append(("round", read.chart("chart-rounds", _("Money per round"), view.rounds)))
    charts += [
        ("neighbourhood", read.chart("chart-neighbourhoods", _("Money per neighbourhood"), view.neighbourhoods)),
        ("category", read.chart("chart-categories", _("Money per category"), view.categories)),
        ("project", read.chart("chart-projects", _("Money per project"), view.projects)),
    ]
    return charts


@bp.get("")
def overview() -> str:
    view = read.overview(None, _neighbourhood_namer(), _category_namer())
    return render_template(
        "money/overview.html",
        view=view,
        charts=_charts(view, rounds=True) if view.rows else [],
        project_url=_project_url,
        words=read.bar_words(),
    )


@bp.get("/rounds/<int:round_id>")
def round(round_id: int) -> str:
    round_ = read.round_with_projects(round_id)
    if round_ is None:
        abort(404)
    view = read.overview(round_.id, _neighbourhood_namer(), _category_namer())
    vote = budget_vote(round_)
    if vote is not None and not vote_results.published(vote):
        vote = None
    return render_template(
        "money/round.html",
        round=round_,
        view=view,
        vote=vote,
        charts=_charts(view, rounds=False),
        project_url=_project_url,
        words=read.bar_words(),
    )


@bp.get("/open-data")
def open_data() -> str:
    rounds = read.rounds_with_projects()
    return render_template(
        "money/open_data.html",
        rounds=rounds,
        votes=read.published_budget_votes([r.id for r in rounds]),
        licence=read.LICENCE,
        allocation_fields=read.ALLOCATION_FIELDS,
        expenditure_fields=read.EXPENDITURE_FIELDS,
    )


# --- downloads ----------------------------------------------------------------------------------


def _round_filter() -> int | None:
    """``?round=<id>``: only that round's projects; a round without projects (or a bad id) is 404."""
    raw = request.args.get("round")
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or read.round_with_projects(int(raw)) is None:
        abort(404)
    return int(raw)


def _download(data: bytes | str, mimetype: str, filename: str) -> Response:
    return Response(
        data,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-cache"},
    )


def _name(stem: str, round_id: int | None, extension: str) -> str:
    return f"{stem}-round-{round_id}.{extension}" if round_id is not None else f"{stem}.{extension}"


@bp.get("/allocations.csv")
def allocations_csv() -> Response:
    round_id = _round_filter()
    found = read.projects(round_id)
    rows = read.project_rows(found, services.totals_for(found))
    data = read.allocations_csv(rows, _neighbourhood_namer(), _category_namer())
    return _download(data, "text/csv", _name("money-allocations", round_id, "csv"))


@bp.get("/expenditures.csv")
def expenditures_csv() -> Response:
    round_id = _round_filter()
    ids = [p.id for p in read.projects(round_id)]
    data = read.expenditures_csv(read.entries(ids), read.record_numbers(ids if round_id is not None else None))
    return _download(data, "text/csv", _name("money-expenditures", round_id, "csv"))


@bp.get("/money.json")
def money_json() -> Response:
    round_id = _round_filter()
    data = read.open_data_json(round_id, _neighbourhood_namer(), _category_namer())
    return _download(data, "application/json", _name("money", round_id, "json"))

