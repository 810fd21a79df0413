"""The yearly report as a PDF (fpdf2: pure Python, no system libraries).

The same content as the printable page: a title page with the cooperative's name, when it
was made (Amsterdam time) and which part of the record it counts; then rounds and votes,
the money, corrections, board decisions and open commitments, and how to check it all.
Tables have right-aligned amounts; every page has its number.

Fonts: DejaVu Sans (embedded, subset) when the machine has it — Debian's fonts-dejavu-core,
or a folder named by GOVERN_PDF_FONTS — so names such as Şükrü or Łukasz print exactly;
a character the font lacks (emoji) becomes "?". Without DejaVu the built-in PDF fonts
(Helvetica) are used with the Windows-1252 encoding, which holds the euro sign and the
letters of Dutch, English and most Western European names; other letters lose their
accent there. The HTML page always shows every name exactly.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import unicodedata
from pathlib import Path
from collections.abc import Callable, Sequence
from typing import Any

from flask_babel import get_locale, gettext as _, ngettext
from fpdf import FPDF, FontFace
from fpdf.enums import XPos, YPos

from ..i18n import day as long_day, money, when
from .report import YearReport

ENCODING = "windows-1252"
FONT = "helvetica"
INK = (27, 31, 36)
MUTED = (74, 83, 96)
BRAND = (11, 93, 59)
LINE = (201, 207, 214)
VERIFY_COMMAND = "python -m govern.audit.verify record.zip --trusted-checkpoint my-saved.note"


#: Where Debian keeps DejaVu (package fonts-dejavu-core).
DEJAVU_DIR = "/usr/share/fonts/truetype/dejavu"
UNICODE_FONT_FILES = {"sans": "DejaVuSans.ttf", "sans-bold": "DejaVuSans-Bold.ttf", "mono": "DejaVuSansMono.ttf"}


@functools.cache
def unicode_fonts() -> dict[str, Path] | None:
    """The DejaVu files, from GOVERN_PDF_FONTS or Debian's folder; None when they are not all there."""
    for folder in (os.environ.get("GOVERN_PDF_FONTS", ""), DEJAVU_DIR):
        if folder:
            paths = {key: Path(folder) / name for key, name in UNICODE_FONT_FILES.items()}
            if all(p.is_file() for p in paths.values()):
                return paths
    return None


@functools.cache
def _covered(path: Path) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(str(path), lazy=True) as font:
        return frozenset(font.getBestCmap())


def pdf_text(text: Any) -> str:
    """Text the PDF's fonts can show: with DejaVu every character it has (others "?"); with the core
    fonts Windows-1252, accents dropped where a letter has no code there."""
    fonts = unicode_fonts()
    if fonts is not None:
        covered = _covered(fonts["sans"])
        return "".join(c if ord(c) in covered or c in "\n\t" else "?" for c in str(text))
    out = []
    for char in str(text):
        try:
            char.encode(ENCODING)
            out.append(char)
            continue
        except UnicodeEncodeError:
            pass
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        try:
            base.encode(ENCODING)
            out.append(base or "?")
        except UnicodeEncodeError:
            out.append("?")
    return "".join(out)


class ReportPDF(FPDF):
    def __init__(self, *, footer_text: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.core_fonts_encoding = ENCODING
        self.sans, self.mono = FONT, "courier"
        fonts = unicode_fonts()
        if fonts is not None:
            self.add_font("govern-sans", "", str(fonts["sans"]))
            self.add_font("govern-sans", "B", str(fonts["sans-bold"]))
            self.add_font("govern-mono", "", str(fonts["mono"]))
            self.sans, self.mono = "govern-sans", "govern-mono"
        self.footer_text = footer_text
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(True, margin=20)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(self.sans, size=8.5)
        self.set_text_color(*MUTED)
        self.cell(self.epw * 0.7, 5, pdf_text(self.footer_text), align="L")
        self.cell(self.epw * 0.3, 5, pdf_text(_("Page %(page)s of %(pages)s", page=self.page_no(), pages="{nb}")), align="R")
        self.set_text_color(*INK)

    # --- building blocks ---------------------------------------------------------------------

    def heading(self, text: str, level: int = 2) -> None:
        size = {1: 22, 2: 15, 3: 12}[level]
        if level > 1:
            # Keep a heading with at least a few lines of what follows it.
            if self.will_page_break(size * 0.5 + 30):
                self.add_page()
            self.ln(3 if level == 3 else 5)
        self.set_font(self.sans, "B", size)
        self.set_text_color(*(BRAND if level < 3 else INK))
        self.multi_cell(0, size * 0.5, pdf_text(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(*INK)
        self.ln(1.5)

    def para(self, text: str, *, size: float = 10, style: str = "", color: tuple[int, int, int] = INK, link: str = "") -> None:
        self.set_font(self.sans, style, size)
        self.set_text_color(*color)
        self.multi_cell(0, size * 0.5, pdf_text(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT, link=link or None)
        self.set_text_color(*INK)
        self.ln(1.5)

    def code(self, text: str) -> None:
        self.set_font(self.mono, "", 8.5)
        self.multi_cell(0, 4.4, pdf_text(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1.5)

    def grid(
        self,
        headings: Sequence[str],
        rows: Sequence[Sequence[Any]],
        *,
        widths: Sequence[float],
        align: Sequence[str],
        total: Sequence[Any] | None = None,
        links: Sequence[str | None] | None = None,
    ) -> None:
        """A table: headings repeated on every page, amounts right-aligned, an optional bold total row."""
        self.set_font(self.sans, size=9)
        self.set_draw_color(*LINE)
        with self.table(
            col_widths=tuple(widths),
            text_align=tuple(align),
            borders_layout="HORIZONTAL_LINES",
            headings_style=FontFace(emphasis="BOLD", color=INK),
            line_height=4.6,
            padding=(1.2, 1.5),
            v_align="TOP",
            width=self.epw,
        ) as table:
            head = table.row()
            for text, a in zip(headings, align):
                head.cell(pdf_text(text), align=a)
            for i, values in enumerate(rows):
                row = table.row()
                for j, value in enumerate(values):
                    link = links[i] if links and j == 0 else None
                    row.cell(pdf_text(value), link=link)
            if total is not None:
                row = table.row()
                for value in total:
                    row.cell(pdf_text(value), style=FontFace(emphasis="BOLD"))
        self.set_draw_color(0, 0, 0)
        self.ln(3)


def render_pdf(
    report: YearReport,
    *,
    name: str,
    generated: dt.datetime,
    page_url: str,
    vote_url: Callable[[int], str],
    record_url: str,
) -> bytes:
    year = report.year
    title = _("Accountability report %(year)s", year=year)
    pdf = ReportPDF(footer_text=f"{name} · {title}")
    pdf.set_title(pdf_text(title))
    pdf.set_author(pdf_text(name))
    pdf.set_creator("govern")
    pdf.set_lang(str(get_locale() or "nl"))

    # --- title page -------------------------------------------------------------------------------
    pdf.add_page()
    pdf.ln(30)
    pdf.para(name, size=13, style="B", color=MUTED)
    pdf.heading(title, level=1)
    pdf.para(_("Where the cooperative's money went in %(year)s: budget rounds, votes and money per project, built from the public record.", year=year), size=12)
    pdf.ln(4)
    pdf.para(_("Made on %(when)s (Amsterdam time).", when=when(generated)), size=10, color=MUTED)
    pdf.para(_("Counts the record up to entry %(seq)s.", seq=report.head_seq), size=10, color=MUTED)
    if not report.complete:
        pdf.para(_("The year is not over yet: the numbers are those of %(day)s.", day=long_day(report.as_of)), size=10, color=MUTED)
    pdf.para(_("Online: %(url)s", url=page_url), size=10, color=MUTED, link=page_url)

    pdf.ln(6)
    pdf.heading(_("The year in numbers"))
    t = report.totals
    pdf.grid(
        [_("What"), _("Amount")],
        [
            [_("Budget rounds"), str(len(report.rounds))],
            [_("Votes closed"), str(len(report.votes))],
            [_("Money allocated by votes this year"), money(report.allocated_cents)],
            [_("Committed in %(year)s", year=year), money(t.committed)],
            [_("Spent in %(year)s", year=year), money(t.spent)],
            [_("Extra allowed by the board, in total"), money(t.extra)],
            [_open_heading(report), money(t.open_commitments)],
        ],
        widths=(3, 1.4),
        align=("LEFT", "RIGHT"),
    )

    # --- rounds and votes -----------------------------------------------------------------------------
    pdf.add_page()
    pdf.heading(_("Budget rounds"))
    if report.rounds:
        pdf.grid(
            [_("Round"), _("Budget"), _phase_heading(report), _("Voting"), _("Results")],
            [
                [r.title, money(r.budget_cents), r.phase_text, _voting(r.voting_opened_on, r.voting_closed_on),
                 day(r.results_on) if r.results_on else "–"]
                for r in report.rounds
            ],
            widths=(3.2, 1.6, 2, 2.2, 1.6),
            align=("LEFT", "RIGHT", "LEFT", "LEFT", "LEFT"),
        )
    else:
        pdf.para(_("No budget round this year."))

    pdf.heading(_("Votes and turnout"))
    if report.votes:
        pdf.grid(
            [_("Vote"), _("Closed"), _("Took part"), _("Outcome")],
            [
                [f"{v.title}\n{v.kind_text}", day(v.closed_at), _turnout(v), v.outcome()]
                for v in report.votes
            ],
            widths=(3, 1.6, 2.4, 3),
            align=("LEFT", "LEFT", "LEFT", "LEFT"),
            links=[vote_url(v.id) for v in report.votes],
        )
        pdf.para(_("The full results, the ballot box and the files to recount each vote are on its results page (the link on its title)."),
                 size=9, color=MUTED)
    else:
        pdf.para(_("No vote closed this year."))

    # --- money -----------------------------------------------------------------------------------------
    pdf.add_page()
    pdf.heading(_("Money allocated"))
    if report.allocations:
        for a in report.allocations:
            pdf.heading(a.title, level=3)
            pdf.para(_allocation_line(a), size=9.5)
            pdf.grid(
                [_("Project"), _("Allocated")],
                [[project_title, money(cents)] for _pid, project_title, cents in a.projects],
                widths=(4, 1.4),
                align=("LEFT", "RIGHT"),
                total=[_("Total (budget %(budget)s, left %(left)s)", budget=money(a.budget_cents), left=money(a.left_cents)),
                       money(a.total_cents)],
            )
    else:
        pdf.para(_("No round recorded its results this year."))

    pdf.heading(_("Money per project"))
    pdf.para(_money_intro(report), size=9.5)
    money_headings = [_("Project"), _("Allocated"), _("Extra (board)"), _("Committed"), _("Spent"), _("Still open")]
    money_widths = (3.4, 1.5, 1.4, 1.5, 1.5, 1.4)
    money_align = ("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT")
    if report.money:
        for r in report.money:
            pdf.heading(r.title or _("Projects"), level=3)
            pdf.grid(
                money_headings,
                [[f"{p.title}\n" + _("Status: %(status)s", status=p.status_text), *_amounts(p.totals)] for p in r.projects],
                widths=money_widths,
                align=money_align,
                total=[_("Total for this round"), *_amounts(r.totals)],
            )
        if len(report.money) > 1:
            pdf.heading(_("All rounds together"), level=3)
            pdf.grid(money_headings, [], widths=money_widths, align=money_align,
                     total=[_("Total for %(year)s", year=year), *_amounts(report.totals)])
    else:
        pdf.para(_("No money was committed or spent this year."))

    # --- corrections, decisions, open commitments ------------------------------------------------------
    pdf.add_page()
    pdf.heading(_("Corrections"))
    pdf.para(_("A wrong entry is never changed or removed: a new entry cancels it, with the reason. Both stay on the record."), size=9.5)
    if report.corrections:
        pdf.grid(
            [_("Date"), _("Project"), _("What was corrected"), _("Amount"), _("Reason")],
            [
                [day(c.booked_on), c.title, _corrected(c), money(c.amount_cents), c.reason]
                for c in report.corrections
            ],
            widths=(1.6, 2.2, 2.6, 1.4, 3),
            align=("LEFT", "LEFT", "LEFT", "RIGHT", "LEFT"),
        )
    else:
        pdf.para(_("No corrections this year."))

    pdf.heading(_("Board decisions past the allocation"))
    pdf.para(_("A project may use more than the vote gave it only when the board decides so, with a reason."), size=9.5)
    if report.decisions:
        pdf.grid(
            [_("Date"), _("Project"), _("Extra"), _("Reason")],
            [[day(d.decided_on), d.title, money(d.amount_cents), d.reason] for d in report.decisions],
            widths=(1.6, 2.4, 1.4, 5),
            align=("LEFT", "LEFT", "RIGHT", "LEFT"),
        )
    else:
        pdf.para(_("No board decisions this year."))

    pdf.heading(_open_heading(report))
    pdf.para(_("Orders and agreements that still have to be paid."), size=9.5)
    if report.open_commitments:
        pdf.grid(
            [_("Project"), _("Date"), _("Paid to"), _("What for"), _("Still open")],
            [[c.title, day(c.booked_on), c.payee, c.description, money(c.open_cents)] for c in report.open_commitments],
            widths=(2.4, 1.6, 2.2, 2.6, 1.4),
            align=("LEFT", "LEFT", "LEFT", "LEFT", "RIGHT"),
            total=[_("Total"), "", "", "", money(report.open_cents)],
        )
    else:
        pdf.para(_("No open commitments."))

    # --- how to check ----------------------------------------------------------------------------------
    pdf.heading(_("How to check this"))
    for line in check_lines(report, record_url):
        if line.startswith("python "):
            pdf.code(line)
        else:
            pdf.para(line, size=9.5)

    return bytes(pdf.output())


def day(value: dt.date | dt.datetime | None) -> str:
    """Dates in tables: short enough not to wrap ("14 sep 2026")."""
    return long_day(value, "medium")


def _amounts(t: Any) -> list[str]:
    return [money(t.allocated), money(t.extra), money(t.committed), money(t.spent), money(t.open_commitments)]


def _phase_heading(report: YearReport) -> str:
    return _("Phase on 31 December") if report.complete else _("Phase now")


def _open_heading(report: YearReport) -> str:
    if report.complete:
        return _("Open commitments on 31 December %(year)s", year=report.year)
    return _("Open commitments now")


def _voting(opened: dt.date | None, closed: dt.date | None) -> str:
    if opened and closed:
        return _("%(start)s to %(end)s", start=day(opened), end=day(closed))
    if opened:
        return _("from %(start)s", start=day(opened))
    return "–"


def _turnout(v: Any) -> str:
    text = _("%(n)s of %(total)s members (%(percent)s%%)", n=v.participants, total=v.electorate, percent=v.percent_text)
    text += "\n" + ngettext("%(num)d ballot", "%(num)d ballots", v.ballots)
    if v.weighted and v.weight_cast is not None:
        text += "\n" + _("Weight: %(cast)s of %(total)s votes", cast=v.weight_cast, total=v.electorate_weight)
    return text


def _allocation_line(a: Any) -> str:
    return _(
        "Results recorded on %(day)s: %(funded)s of %(total)s proposals on the ballot get money.",
        day=day(a.recorded_on),
        funded=a.funded_proposals,
        total=a.funded_proposals + a.not_funded_proposals,
    )


def _money_intro(report: YearReport) -> str:
    return _(
        "Committed and spent: entries booked in %(year)s, corrections included. Still open: commitments not yet paid on %(day)s. "
        "Extra: what the board allowed on top of the allocation, up to then.",
        year=report.year,
        day=long_day(report.as_of),
    )


def _corrected(c: Any) -> str:
    text = _("Entry %(n)s (%(kind)s)", n=c.reverses, kind=c.kind_text)
    if c.original_description:
        text += ": " + c.original_description
    if c.original_booked_on:
        text += " " + _("of %(day)s", day=day(c.original_booked_on))
    return text


def check_lines(report: YearReport, record_url: str) -> list[str]:
    """The "how to check this" paragraph: the sentences of the HTML page, with the record's address written out."""
    return [
        _("Every number here comes from the public record.") + f" {record_url}: "
        + _("each vote, project, commitment, expenditure, correction and board decision is an entry there, linked to "
            "the one before it, so nothing can be changed or removed unseen."),
        _("This report counts the entries up to number %(seq)s.", seq=report.head_seq) + " "
        + _("Ask the board for the export of the record (a zip file) and check it with the verifier, as the README "
            "explains under “Verifying the record”:"),
        VERIFY_COMMAND,
        _("The verifier recounts every vote from its ballots and checks the money trail: every expenditure belongs to a "
          "funded project, the totals per project match the entries, and no project spent more than its allocation "
          "without a board decision. With the entries of the export, anyone can add up the numbers in this report again."),
    ]
