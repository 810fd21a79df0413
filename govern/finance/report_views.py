"""The yearly accountability report (verantwoording): the years, one year as a printable page, and as a PDF.

Public: the report says what the public record says. A year with nothing on the record is 404.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, url_for
from werkzeug.routing import BuildError

from . import report as read
from .report_pdf import render_pdf

bp = Blueprint("report", __name__, url_prefix="/money/report")


def optional_url(endpoint: str, value: Any = None, *, external: bool = False) -> str | None:
    """The URL of another area's page, or None while that page does not exist.

    The project pages and the money overview are built apart from this report; their one
    URL argument (if any) is filled in whatever it is called.
    """
    try:
        rules = list(current_app.url_map.iter_rules(endpoint))
    except KeyError:
        return None
    for rule in rules:
        arguments = sorted(rule.arguments)
        if len(arguments) != (0 if value is None else 1):
            continue
        try:
            return url_for(endpoint, _external=external, **({arguments[0]: value} if arguments else {}))
        except BuildError:
            continue
    return None


def _year(year: int) -> read.YearReport:
    report = read.year_report(year)
    if report is None:
        abort(404)
    return report


@bp.get("")
def years() -> str:
    return render_template("report/years.html", years=read.years(), overview=optional_url("money.overview"))


@bp.get("/<int:year>")
def year(year: int) -> str:
    report = _year(year)
    return render_template(
        "report/year.html",
        report=report,
        generated=read.generated_at(),
        project_url=lambda pid: optional_url("finance.project", pid),
        overview=optional_url("money.overview"),
        open_data=optional_url("money.open_data"),
    )


@bp.get("/<int:year>.pdf")
def pdf(year: int) -> Response:
    report = _year(year)
    data = render_pdf(
        report,
        name=current_app.config["GOVERN_NAME"],
        generated=read.generated_at(),
        page_url=url_for("report.year", year=year, _external=True),
        vote_url=lambda vote_id: url_for("results.results", vote_id=vote_id, _external=True),
        record_url=url_for("audit.index", _external=True),
    )
    return Response(
        data,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="verantwoording-{year}.pdf"', "Cache-Control": "no-cache"},
    )
