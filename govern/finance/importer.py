"""Reading expenditures from a bookkeeping export (CSV) and mapping its columns to money entries.

The file comes from Exact, Twinfield, e-Boekhouden or a spreadsheet: one row per payment,
a header row with the column names. This module reads it (encoding, separator, header),
guesses which column is what, parses Dutch and English amounts and dates, and turns every
row into a :class:`~govern.finance.services.ImportRow`; the rules of the cooperative
(permission, ceiling, dates) stay in ``services.check_rows``/``import_expenditures``.
Nothing here reads the Flask request: the views pass bytes and choices in.

Line numbers are those of the file as a text editor shows them (the header is line 1 when
the file starts with it), so "Line 7" points at the row a person sees in the file.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..budgeting.models import Party, ProposalParty
from ..db import begin_write
from ..extensions import db
from ..services import ServiceError
from . import services
from .models import MoneyEntry, MoneyKind, Project

#: A bookkeeping export of a year of a project is far below this; larger files are refused.
MAX_BYTES = 2 * 1024 * 1024
#: Rows below the header, at most.
MAX_ROWS = 5000
#: How many rows the mapping page shows.
PREVIEW_ROWS = 5

FIELDS = ("date", "amount", "payee", "description", "invoice_ref", "project")
REQUIRED = ("date", "amount", "payee", "description")

#: Date formats the mapping page offers (the key is what the form sends). ISO (2026-03-14) is always understood.
DATE_FORMATS = ("dd-mm-yyyy", "yyyy-mm-dd", "d/m/yyyy", "m/d/yyyy")
DEFAULT_DATE_FORMAT = "dd-mm-yyyy"

DELIMITERS = (";", ",", "\t", "|")

#: Words in column names, per field, most telling first (compared without case, spaces or punctuation).
HEADER_WORDS: dict[str, tuple[str, ...]] = {
    "date": ("datum", "date", "boekdatum", "factuurdatum", "betaaldatum", "transactiedatum", "valutadatum", "boekingsdatum"),
    "amount": ("bedrag", "amount", "debet", "debit", "bedragincl", "bedragexcl", "totaal", "total", "saldo"),
    "payee": (
        "relatie", "crediteur", "leverancier", "payee", "naam", "relatienaam", "crediteurnaam", "tegenpartij",
        "naamtegenpartij", "supplier", "vendor", "name", "begunstigde",
    ),
    "description": ("omschrijving", "description", "boekingsomschrijving", "toelichting", "memo", "mededelingen", "details"),
    "invoice_ref": (
        "factuurnummer", "factuur", "boekstuk", "invoice", "boekstuknummer", "factuurnr", "invoicenumber", "referentie",
        "reference", "kenmerk",
    ),
    "project": ("project", "kostenplaats", "projectnummer", "projectcode", "kostendrager", "costcentre", "costcenter"),
}
#: A column whose name holds one of these words is not guessed as another field by a partial match
#: ("Factuurdatum" is a date, not an invoice number).
_TYPE_WORDS = {"date": ("datum", "date"), "amount": ("bedrag", "amount")}


class FileRefused(ServiceError):
    """The file cannot be read as a bookkeeping export; nothing was stored. Shown next to the file field."""

    def __init__(self, message: Any) -> None:
        super().__init__(message, "file")


# --- reading the file ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """A CSV file as read: its column names and its data rows with their line numbers in the file."""

    header: tuple[str, ...]
    #: (line number in the file, cells); rows with only empty cells are left out.
    rows: tuple[tuple[int, tuple[str, ...]], ...]
    delimiter: str
    encoding: str

    @property
    def columns(self) -> list[tuple[int, str]]:
        """(index, name) of every column; an unnamed column is called by its position."""
        return [(i, name or str(_l("Column %(n)d", n=i + 1))) for i, name in enumerate(self.header)]

    def preview(self, n: int = PREVIEW_ROWS) -> list[tuple[int, list[str]]]:
        width = len(self.header)
        return [(line, [*cells[:width], *[""] * (width - len(cells))]) for line, cells in self.rows[:n]]

    def column(self, index: int | None, limit: int = 200) -> list[str]:
        if index is None:
            return []
        return [cells[index] for _, cells in self.rows[:limit] if index < len(cells) and cells[index].strip()]


ONE_COLUMN = _l("We found only one column in this file. Each row needs the date, amount, payee and description in separate columns, separated by ; or , or a tab.")

_SIGNATURES = (
    (b"PK\x03\x04", _l("This is a spreadsheet file (Excel or LibreOffice), not a CSV file. In your spreadsheet or bookkeeping, choose “Save as” or “Export” and then CSV.")),
    (b"\xd0\xcf\x11\xe0", _l("This is an old Excel file, not a CSV file. In Excel, choose “Save as” and then “CSV (semicolon separated)”.")),
    (b"%PDF", _l("This is a PDF file. Export the payments from your bookkeeping as a CSV file.")),
)


def _decode(data: bytes) -> tuple[str, str]:
    """The text and the name of its encoding: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8):].decode("utf-8"), "UTF-8"
        except UnicodeDecodeError:
            raise FileRefused(_l("This file is not readable text. Export it again as CSV.")) from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode text" export.
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            raise FileRefused(_l("This file is not readable text. Export it again as CSV.")) from None
    for magic, message in _SIGNATURES:
        if data.startswith(magic):
            raise FileRefused(message)
    if b"\x00" in data:
        raise FileRefused(_l("This is not a text file. Export the payments from your bookkeeping as a CSV file."))
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        raise FileRefused(_l("This file is not readable text. Export it again as CSV.")) from None


def _looks_binary(text: str) -> bool:
    controls = sum(1 for ch in text[:100_000] if unicodedata.category(ch) == "Cc" and ch not in "\t\r\n\f\x1a")
    return controls > max(2, len(text[:100_000]) // 200)


def _rows(text: str, delimiter: str, limit: int | None = None) -> Iterable[tuple[int, list[str]]]:
    """(first line number, cells) of every row that has any content; a quoted value may span lines."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', doublequote=True, strict=False)
    previous = 0
    count = 0
    for cells in reader:
        start, previous = previous + 1, reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        yield start, cells
        count += 1
        if limit is not None and count >= limit:
            return


def _width(cells: Sequence[str]) -> int:
    """Number of cells without empty ones at the end (exports often end rows with a separator)."""
    n = len(cells)
    while n and not cells[n - 1].strip():
        n -= 1
    return n


def _sniff_delimiter(text: str) -> str:
    """The separator: csv.Sniffer's guess when it fits, else the one that gives most columns, consistently.

    The sniffer alone picks "," in a Dutch ";" file whose amounts all hold one decimal comma,
    so every candidate is scored on a sample: the header must split into at least two
    columns, and the data rows should have as many cells as the header.
    """
    sample = text[:65536]
    if len(text) > len(sample) and "\n" in sample:
        sample = sample[: sample.rindex("\n")]
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        sniffed = None
    best: tuple[float, int, bool] | None = None
    chosen = None
    for delimiter in DELIMITERS:
        try:
            rows = [cells for _, cells in _rows(sample, delimiter, limit=51)]
        except csv.Error:
            continue
        if not rows or _width(rows[0]) < 2:
            continue
        width = _width(rows[0])
        body = rows[1:]
        # A row fits when it has the header's cells, give or take empty ones at the end.
        consistent = sum(1 for cells in body if len(cells) >= width >= _width(cells)) / len(body) if body else 1.0
        score = (round(consistent, 2), width, delimiter == sniffed)
        if best is None or score > best:
            best, chosen = score, delimiter
    if chosen is None:
        raise FileRefused(ONE_COLUMN)
    return chosen


_DATA_LIKE = re.compile(r"^\s*(?:[-+€(]|eur)?\s*[\d.,/\-\s]+\)?\s*$", re.IGNORECASE)


def _looks_like_data(cells: Sequence[str]) -> bool:
    """A first row of dates and amounts is data, not column names."""
    values = [c for c in cells if c.strip()]
    return bool(values) and sum(1 for c in values if _DATA_LIKE.match(c) and any(ch.isdigit() for ch in c)) * 2 >= len(values)


def read_table(data: bytes) -> Table:
    """Read a bookkeeping export, or refuse it with a message that says what to do."""
    if not data or not data.strip():
        raise FileRefused(_l("This file is empty. Export the payments again and choose the file that has them."))
    if len(data) > MAX_BYTES:
        raise FileRefused(_l("This file is too large: at most 2 MB. Split it, for example per quarter."))
    text, encoding = _decode(data)
    text = text.rstrip("\x1a")  # an old DOS end-of-file mark
    if _looks_binary(text):
        raise FileRefused(_l("This is not a text file. Export the payments from your bookkeeping as a CSV file."))
    delimiter = _sniff_delimiter(text)
    header: tuple[str, ...] | None = None
    rows: list[tuple[int, tuple[str, ...]]] = []
    try:
        for line, cells in _rows(text, delimiter, limit=MAX_ROWS + 2):
            if header is None:
                if _looks_like_data(cells):
                    raise FileRefused(
                        _l("The first row of the file must hold the column names (for example Datum, Bedrag, Relatie, Omschrijving). Add that row and try again.")
                    )
                header = tuple(" ".join(c.split()) for c in cells[: _width(cells)])
                continue
            rows.append((line, tuple(c.strip() for c in cells)))
    except csv.Error:
        raise FileRefused(_l("This file could not be read as CSV. Export it again as CSV.")) from None
    if header is None or len(header) < 2:
        raise FileRefused(ONE_COLUMN)
    if not rows:
        raise FileRefused(_l("The file has column names but no rows with payments below them."))
    if len(rows) > MAX_ROWS:
        raise FileRefused(_l("This file has more than %(n)s rows. Split it into smaller files, for example per quarter.", n="5.000"))
    return Table(header=header, rows=tuple(rows), delimiter=delimiter, encoding=encoding)


# --- guessing the mapping ---------------------------------------------------------------------------


def _normal(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", unicodedata.normalize("NFKD", name).casefold())


def guess_columns(header: Sequence[str]) -> dict[str, int | None]:
    """Which column is which field, from the column names (Dutch and English); None where nothing fits."""
    names = [_normal(h) for h in header]
    scores: list[tuple[int, int, str, int]] = []  # (score, -column, field, column)
    for name_field, words in HEADER_WORDS.items():
        others = [w for f, ws in _TYPE_WORDS.items() if f != name_field for w in ws]
        for column, name in enumerate(names):
            if not name:
                continue
            for rank, word in enumerate(words):
                if name == word:
                    scores.append((200 - rank, -column, name_field, column))
                    break
                if word in name and not any(o in name for o in others):
                    scores.append((100 - rank, -column, name_field, column))
                    break
    guess: dict[str, int | None] = dict.fromkeys(FIELDS)
    used: set[int] = set()
    for _score, _col, name_field, column in sorted(scores, reverse=True):
        if guess[name_field] is None and column not in used:
            guess[name_field] = column
            used.add(column)
    return guess


_YMD = re.compile(r"^(\d{4})[-./](\d{1,2})[-./](\d{1,2})$")
_XYZ = re.compile(r"^(\d{1,2})[-./](\d{1,2})[-./](\d{4})$")


def _date_part(text: str) -> str:
    """The date without a time after it ("14-03-2026 00:00:00", "2026-03-14T10:00")."""
    return re.split(r"[ T]", text.strip(), maxsplit=1)[0] if text else ""


def guess_date_format(values: Iterable[str]) -> str:
    """The format most of the column's values are written in; day first when nothing tells."""
    day_first = month_first = year_first = slashes = 0
    for value in values:
        text = _date_part(value)
        if _YMD.match(text) or re.fullmatch(r"\d{8}", text):
            year_first += 1
            continue
        match = _XYZ.match(text)
        if not match:
            continue
        slashes += "/" in text
        first, second = int(match.group(1)), int(match.group(2))
        if first > 12 >= second:
            day_first += 1
        elif second > 12 >= first:
            month_first += 1
    if year_first and not (day_first or month_first or slashes):
        return "yyyy-mm-dd"
    if month_first and not day_first:
        return "m/d/yyyy"
    if slashes:
        return "d/m/yyyy"
    return DEFAULT_DATE_FORMAT


# --- parsing values ---------------------------------------------------------------------------------------


class ValueProblem(ValueError):
    """A value that could not be read; ``kind`` says why (the caller words the message)."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def parse_date(text: str, fmt: str = DEFAULT_DATE_FORMAT) -> dt.date:
    """A date in the chosen format (any of - . / between the parts), or ISO 2026-03-14. Raises ValueProblem."""
    value = _date_part(text or "")
    if not value:
        raise ValueProblem("empty")
    try:
        match = _YMD.match(value)
        if match:
            return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        if fmt == "yyyy-mm-dd" and re.fullmatch(r"\d{8}", value):
            return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
        match = _XYZ.match(value)
        if match and fmt != "yyyy-mm-dd":
            a, b, year = int(match.group(1)), int(match.group(2)), int(match.group(3))
            return dt.date(year, a, b) if fmt == "m/d/yyyy" else dt.date(year, b, a)
    except ValueError:
        raise ValueProblem("invalid") from None
    if re.fullmatch(r"\d{1,2}[-./]\d{1,2}[-./]\d{2}", value):
        raise ValueProblem("short_year")
    raise ValueProblem("format")


_CURRENCY = re.compile(r"^(?:€|eur(?:o)?\b)\s*|\s*(?:€|eur(?:o)?)$", re.IGNORECASE)
_GROUPED = {".": re.compile(r"^\d{1,3}(?:\.\d{3})+$"), ",": re.compile(r"^\d{1,3}(?:,\d{3})+$")}


def _decimal_mark(body: str) -> str | None:
    """Which mark is the decimal one in a number without sign or currency, when the number itself says so."""
    if "." in body and "," in body:
        return "." if body.rindex(".") > body.rindex(",") else ","
    for mark in (",", "."):
        if mark in body:
            if body.count(mark) > 1:
                return "," if mark == "." else "."  # several marks: they group thousands
            decimals = len(body) - body.index(mark) - 1
            return mark if decimals != 3 else None  # "1.234" or "1,234": thousands or three decimals?
    return None


def _clean_amount(text: str) -> tuple[str, bool]:
    """The digits and marks of an amount, and whether it is negative. Raises ValueProblem."""
    s = (text or "").replace("\u00a0", " ").replace("\u202f", " ").replace("\u2212", "-").replace("\u2013", "-").strip()
    for _ in range(2):
        s = _CURRENCY.sub("", s).strip()
    if s in ("", "-", "--"):
        raise ValueProblem("empty" if not s else "zero")
    negative = False
    if s.startswith("(") and s.endswith(")"):
        negative, s = True, s[1:-1].strip()
    s = _CURRENCY.sub("", s).strip()
    if s.startswith(("-", "+")):
        negative, s = s[0] == "-", s[1:].strip()
        s = _CURRENCY.sub("", s).strip()
    s = re.sub(r"[.,]-{1,2}$", "", s)  # "12,-" is twelve euros
    if s.endswith("-"):
        negative, s = True, s[:-1].strip()  # some bookkeeping writes credit as "12,50-"
    s = s.replace(" ", "").replace("'", "")
    if not s or len(s) > 24 or not re.fullmatch(r"[\d.,]*\d[\d.,]*", s):
        raise ValueProblem("garbage")
    return s, negative


def parse_amount(text: str, decimal_mark: str | None = None) -> int:
    """Euros as written in a bookkeeping file → integer cents (Decimal, never float). Raises ValueProblem.

    Dutch "€ 1.234,56", "1234,56", "12,-" and English "1,234.56" are understood. A number that could be
    either ("1.234": thousands or three decimals?) needs ``decimal_mark`` (from the rest of the column),
    else it is refused as unclear. Negative amounts come back negative; the caller decides.
    """
    body, negative = _clean_amount(text)
    mark = _decimal_mark(body) or decimal_mark
    if mark is None:
        if "." in body or "," in body:
            raise ValueProblem("unclear")
        whole, fraction = body, ""
    else:
        thousands = "," if mark == "." else "."
        if body.count(mark) > 1:
            raise ValueProblem("garbage")
        whole, _, fraction = body.partition(mark)
        if thousands in fraction:
            raise ValueProblem("garbage")
        if thousands in whole and not _GROUPED[thousands].match(whole):
            raise ValueProblem("garbage")
        whole = whole.replace(thousands, "") or "0"
    try:
        euros = Decimal(f"{whole}.{fraction or '0'}")
    except InvalidOperation:
        raise ValueProblem("garbage") from None
    cents = euros * 100
    if cents != cents.to_integral_value():
        raise ValueProblem("decimals")
    return -int(cents) if negative else int(cents)


def column_decimal_mark(values: Iterable[str]) -> str | None:
    """The decimal mark the column's amounts use, when the unambiguous ones agree."""
    marks = set()
    for value in values:
        try:
            body, _ = _clean_amount(value)
        except ValueProblem:
            continue
        mark = _decimal_mark(body)
        if mark:
            marks.add(mark)
    return marks.pop() if len(marks) == 1 else None


_PROJECT_REF = re.compile(r"^(?:p|project|#|nr\.?)?\s*[-.:#]?\s*(\d{1,9})$", re.IGNORECASE)


def parse_project_ref(text: str) -> int | None:
    """A project number as written in a file: "12", "P12", "#12", "P-012", "project 12"."""
    match = _PROJECT_REF.match((text or "").strip())
    return int(match.group(1)) if match else None


# --- rows -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choices:
    """What the person chose on the mapping page: a column per field, or one project for all rows."""

    columns: Mapping[str, int | None]
    project_id: int | None = None
    date_format: str = DEFAULT_DATE_FORMAT


class LineProblems:
    """Every problem of one row, shown as one sentence after "Line 7:" (translated when shown)."""

    def __init__(self, problems: Sequence[Any]) -> None:
        self.problems = list(problems)

    def __str__(self) -> str:
        return " ".join(str(p) for p in self.problems)

    def __repr__(self) -> str:
        return f"LineProblems({self.problems!r})"


_DATE_EXAMPLE = {"dd-mm-yyyy": "14-03-2026", "yyyy-mm-dd": "2026-03-14", "d/m/yyyy": "14/3/2026", "m/d/yyyy": "3/14/2026"}


def _date_problem(kind: str, value: str, column: str, fmt: str) -> Any:
    example = _DATE_EXAMPLE.get(fmt, "14-03-2026")
    if kind == "empty":
        return _l("The date (column “%(column)s”) is empty.", column=column)
    if kind == "invalid":
        return _l("“%(value)s” (column “%(column)s”) is not a date that exists.", value=value, column=column)
    if kind == "short_year":
        return _l("Write the year in four digits: “%(value)s” should look like %(example)s.", value=value, example=example)
    return _l("“%(value)s” (column “%(column)s”) is not a date like %(example)s. Check the date format you chose.",
              value=value, column=column, example=example)


def _amount_problem(kind: str, value: str, column: str) -> Any:
    if kind == "empty":
        return _l("The amount (column “%(column)s”) is empty.", column=column)
    if kind == "zero":
        return _l("The amount is € 0. Leave this row out of the file.")
    if kind == "unclear":
        return _l("The amount “%(value)s” is unclear: write 1234 or 1.234,00 for one thousand two hundred thirty-four euros.", value=value)
    if kind == "decimals":
        return _l("The amount “%(value)s” has more than two digits after the comma.", value=value)
    return _l("“%(value)s” (column “%(column)s”) is not an amount in euros, like 1.234,56.", value=value, column=column)


NEGATIVE = _l("Negative amounts cannot be imported; record a correction on the project page.")


def _find_projects(refs: Iterable[str]) -> tuple[dict[int, Project], dict[str, Project]]:
    """Projects named in the file: by number, and (when unique) by exact title."""
    ids, titles = set(), set()
    for ref in refs:
        number = parse_project_ref(ref)
        if number is not None:
            ids.add(number)
        elif ref.strip():
            titles.add(" ".join(ref.split()).casefold())
    by_id = {p.id: p for p in db.session.scalars(sa.select(Project).where(Project.id.in_(ids)))} if ids else {}
    by_title: dict[str, Project] = {}
    if titles:
        seen: dict[str, list[Project]] = {}
        for project in db.session.scalars(sa.select(Project).where(sa.func.lower(Project.title).in_(titles))):
            seen.setdefault(" ".join(project.title.split()).casefold(), []).append(project)
        by_title = {key: found[0] for key, found in seen.items() if len(found) == 1}
    return by_id, by_title


def build_rows(table: Table, choices: Choices) -> list[services.ImportRow]:
    """Every data row as an ImportRow: the values read, or all the problems of the row."""
    columns = dict(choices.columns)
    names = dict(table.columns)
    width = len(table.header)

    def cell(cells: Sequence[str], name_field: str) -> str:
        index = columns.get(name_field)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    amount_column = columns.get("amount")
    decimal_mark = column_decimal_mark(table.column(amount_column, limit=MAX_ROWS)) if amount_column is not None else None
    fixed = db.session.get(Project, choices.project_id) if choices.project_id is not None else None
    by_id: dict[int, Project] = {}
    by_title: dict[str, Project] = {}
    if fixed is None and columns.get("project") is not None:
        by_id, by_title = _find_projects(cell(cells, "project") for _, cells in table.rows)

    rows = []
    for line, cells in table.rows:
        problems: list[Any] = []
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            problems.append(
                _l("This row has more columns than the first row. A value may hold the separator “%(sep)s”: put that value between quotes.",
                   sep=_l("tab") if table.delimiter == "\t" else table.delimiter)
            )
        booked_on = None
        try:
            booked_on = parse_date(cell(cells, "date"), choices.date_format)
        except ValueProblem as problem:
            problems.append(_date_problem(problem.kind, cell(cells, "date"), names.get(columns.get("date"), ""), choices.date_format))
        amount = None
        try:
            amount = parse_amount(cell(cells, "amount"), decimal_mark)
        except ValueProblem as problem:
            problems.append(_amount_problem(problem.kind, cell(cells, "amount"), names.get(amount_column, "")))
        else:
            if amount < 0:
                problems.append(NEGATIVE)
            elif amount == 0:
                problems.append(_amount_problem("zero", "", ""))
        payee, description = cell(cells, "payee"), cell(cells, "description")
        if not payee:
            problems.append(_l("Who is paid (column “%(column)s”) is empty.", column=names.get(columns.get("payee"), "")))
        if not description:
            problems.append(_l("The description (column “%(column)s”) is empty.", column=names.get(columns.get("description"), "")))
        project = fixed
        if fixed is None:
            ref = cell(cells, "project")
            number = parse_project_ref(ref)
            project = by_id.get(number) if number is not None else by_title.get(" ".join(ref.split()).casefold())
            if not ref:
                problems.append(_l("The project (column “%(column)s”) is empty.", column=names.get(columns.get("project"), "")))
            elif project is None:
                problems.append(_l("Unknown project “%(value)s”. Use the project number, for example P12.", value=ref))
        if problems:
            rows.append(services.ImportRow(line, project, None, LineProblems(problems)))
            continue
        assert booked_on is not None and amount is not None
        values = services.MoneyInput(MoneyKind.EXPENDITURE, booked_on, amount, payee, description, cell(cells, "invoice_ref"))
        rows.append(services.ImportRow(line, project, values))
    return rows


# --- the same money twice -------------------------------------------------------------------------------


def _not_reversed() -> Any:
    reversed_ids = sa.select(MoneyEntry.reverses_id).where(MoneyEntry.reverses_id.is_not(None))
    return sa.and_(MoneyEntry.reverses_id.is_(None), MoneyEntry.id.not_in(reversed_ids))


def imported_on(file_sha256: str) -> dt.datetime | None:
    """When this exact file was imported before (and not corrected since), if it was."""
    return db.session.scalar(
        sa.select(sa.func.min(MoneyEntry.created_at)).where(MoneyEntry.import_sha256 == file_sha256, _not_reversed())
    )


def duplicate_errors(rows: Sequence[services.ImportRow]) -> list[tuple[int, Any]]:
    """Rows already on a project: the same date, amount and invoice number as a recorded expenditure."""
    keyed = [r for r in rows if r.error is None and r.project is not None and r.values is not None and r.values.invoice_ref.strip()]
    if not keyed:
        return []
    existing = set(
        db.session.execute(
            sa.select(MoneyEntry.project_id, MoneyEntry.booked_on, MoneyEntry.amount_cents, MoneyEntry.invoice_ref).where(
                MoneyEntry.project_id.in_(sorted({r.project.id for r in keyed if r.project is not None})),
                MoneyEntry.kind == MoneyKind.EXPENDITURE,
                MoneyEntry.invoice_ref != "",
                _not_reversed(),
            )
        ).tuples()
    )
    errors = []
    for row in keyed:
        assert row.project is not None and row.values is not None
        ref = " ".join(row.values.invoice_ref.split())
        if (row.project.id, row.values.booked_on, row.values.amount_cents, ref) in existing:
            errors.append(
                (row.line, _l("This expenditure is already recorded for project %(n)d (same date, amount and invoice number).", n=row.project.id))
            )
    return errors


# --- checking and importing -------------------------------------------------------------------------


@dataclass
class Checked:
    """The outcome of checking a file with the person's choices: the rows, and every problem by line."""

    rows: list[services.ImportRow]
    errors: list[tuple[int, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def already_imported_message(when: dt.datetime) -> Any:
    from ..i18n import day

    return _l("This file was already imported on %(day)s. Importing it again would count the same money twice.", day=day(when))


def check(table: Table, choices: Choices, *, by: Any, file_sha256: str) -> Checked:
    """Apply the choices to every row and collect every problem; nothing is written."""
    when = imported_on(file_sha256)
    if when is not None:
        raise FileRefused(already_imported_message(when))
    rows = build_rows(table, choices)
    errors = services.check_rows(rows, by=by) + duplicate_errors(rows)
    errors.sort(key=lambda e: e[0])
    return Checked(rows, errors)


#: Serializes imports on PostgreSQL (a transaction-level advisory lock), so a double click on
#: "Import" cannot import one file twice; on SQLite the request's write transaction already runs alone.
IMPORT_LOCK_KEY = 0x60_76_E2_17


def import_file(table: Table, choices: Choices, *, by: Any, file_sha256: str, filename: str) -> list[MoneyEntry]:
    """Check again and import every row, or none (raises ImportRefused with every problem, or FileRefused)."""
    begin_write(db.session)  # SQLite: BEGIN IMMEDIATE before the check reads (a POST request has begun so already)
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": IMPORT_LOCK_KEY})
    checked = check(table, choices, by=by, file_sha256=file_sha256)
    if not checked.ok:
        raise services.ImportRefused(checked.errors)
    return services.import_expenditures(checked.rows, by=by, file_sha256=file_sha256, filename=filename)


# --- summary, access and results -------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectSum:
    project: Project
    rows: int
    total_cents: int
    left_after_cents: int


@dataclass(frozen=True)
class Summary:
    projects: list[ProjectSum]
    rows: int
    total_cents: int


def summarize(rows: Sequence[services.ImportRow]) -> Summary:
    """Rows and money per project, and what each project has left after the import."""
    per: dict[int, tuple[Project, int, int]] = {}
    for row in rows:
        if row.project is None or row.values is None:
            continue
        project, count, total = per.get(row.project.id, (row.project, 0, 0))
        per[row.project.id] = (project, count + 1, total + row.values.amount_cents)
    projects = [p for p, _, _ in per.values()]
    current = services.totals_for(projects) if projects else {}
    sums = [ProjectSum(p, n, total, current[p.id].left - total) for p, n, total in sorted(per.values(), key=lambda v: v[0].id)]
    return Summary(sums, sum(s.rows for s in sums), sum(s.total_cents for s in sums))


def manageable_projects(account: Any) -> list[Project]:
    """The projects the account may record money for: all for the board, else its initiative's."""
    if not getattr(account, "is_authenticated", False) or not account.is_active:
        return []
    query = sa.select(Project).order_by(Project.id.desc())
    if not services.is_board(account):
        if not account.member.is_active:
            return []
        own = sa.select(ProposalParty.proposal_id).where(
            ProposalParty.member_id == account.member_id, ProposalParty.party.in_([Party.PROPOSER, Party.CO_PROPOSER])
        )
        query = query.where(sa.or_(Project.member_id == account.member_id, Project.proposal_id.in_(own)))
    return [p for p in db.session.scalars(query) if services.may_manage(p, account)]


def may_import(account: Any) -> bool:
    """The board, or an account that may record money for at least one project."""
    if not getattr(account, "is_authenticated", False) or not account.is_active:
        return False
    return services.is_board(account) or bool(manageable_projects(account))


def imported_entries(file_sha256: str) -> list[MoneyEntry]:
    return list(db.session.scalars(sa.select(MoneyEntry).where(MoneyEntry.import_sha256 == file_sha256).order_by(MoneyEntry.id)))


def import_record(file_sha256: str) -> Any:
    """The ``money.imported`` entry on the record for this file (newest first), if any."""
    from ..audit.log import AuditEntry

    query = sa.select(AuditEntry).where(AuditEntry.type == "money.imported").order_by(AuditEntry.seq.desc()).limit(500)
    for entry in db.session.scalars(query):
        if entry.data.get("file_sha256") == file_sha256:
            return entry
    return None
