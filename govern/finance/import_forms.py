"""Forms of the import of expenditures: the upload, and the mapping of the file's columns.

The mapping form also carries the file itself (compressed, base64) with its SHA-256 and a
signature, so no draft is kept on the server between the steps; the view checks them.
The column and project choices depend on the file and the person, so the view fills them in.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, RadioField, SelectField
from wtforms.validators import InputRequired, ValidationError

from .importer import DATE_FORMATS, DEFAULT_DATE_FORMAT

#: The date formats as the page names them (Dutch: dd-mm-jjjj; the catalogue translates).
DATE_FORMAT_LABELS = {
    "dd-mm-yyyy": _l("dd-mm-yyyy, for example 14-03-2026"),
    "yyyy-mm-dd": _l("yyyy-mm-dd, for example 2026-03-14"),
    "d/m/yyyy": _l("d/m/yyyy, for example 14/3/2026"),
    "m/d/yyyy": _l("m/d/yyyy (American), for example 3/14/2026"),
}

#: Field name on the form for each field of a money entry.
COLUMN_FIELDS = {
    "date": "date_column",
    "amount": "amount_column",
    "payee": "payee_column",
    "description": "description_column",
    "invoice_ref": "invoice_column",
}


class UploadForm(FlaskForm):
    file = FileField(
        _l("File from the bookkeeping (CSV)"),
        description=_l("A CSV file of at most 2 MB, with at most 5.000 rows."),
    )
    #: When the person comes from a project page: all rows belong to that project (a suggestion).
    project = HiddenField()


def _column(label: Any, description: Any, message: Any | None) -> SelectField:
    validators = [InputRequired(message=message)] if message else []
    return SelectField(label, description=description, choices=[], validators=validators, validate_choice=True)


class MappingForm(FlaskForm):
    """Which column holds what, the project, the date format; and the file, carried along."""

    content = HiddenField()
    filename = HiddenField()
    sha256 = HiddenField()
    signature = HiddenField()

    date_column = _column(_l("Date"), _l("The date of the invoice or payment."), _l("Choose the column with the date."))
    amount_column = _column(_l("Amount"), _l("The amount paid, in euros."), _l("Choose the column with the amount."))
    payee_column = _column(
        _l("Who is paid"), _l("The name of the shop, company or organisation."), _l("Choose the column with who is paid.")
    )
    description_column = _column(
        _l("Description"), _l("What the money was for."), _l("Choose the column with the description.")
    )
    invoice_column = _column(_l("Invoice number (optional)"), _l("The number of the invoice or booking."), None)
    project = SelectField(
        _l("Project"),
        description=_l("A column with the project number (for example P12 or 12), or one project for all rows."),
        choices=[],
        validators=[InputRequired(message=_l("Choose the project column, or the project all rows belong to."))],
    )
    date_format = RadioField(
        _l("How are the dates written?"),
        choices=[(key, DATE_FORMAT_LABELS[key]) for key in DATE_FORMATS],
        default=DEFAULT_DATE_FORMAT,
        validators=[InputRequired(message=_l("Choose how the dates are written."))],
    )

    def set_choices(self, columns: list[tuple[int, str]], projects: list[Any]) -> None:
        """The file's columns in every column select; the project select offers a column or one project."""
        column_choices = [(str(i), name) for i, name in columns]
        for name in COLUMN_FIELDS.values():
            field = self[name]
            empty = _l("— not in the file —") if name == "invoice_column" else _l("— choose a column —")
            field.choices = [("", empty), *column_choices]
        groups: dict[str, list[tuple[str, Any]]] = {"": [("", _l("— choose —"))]}
        if columns:
            groups[str(_l("A column in the file"))] = [(f"column:{i}", name) for i, name in columns]
        if projects:
            groups[str(_l("All rows belong to one project"))] = [(f"project:{p.id}", f"P{p.id} · {p.title}") for p in projects]
        self.project.choices = groups

    def validate_project(self, field: Any) -> None:
        value = field.data or ""
        if not value.startswith(("column:", "project:")):
            raise ValidationError(_l("Choose the project column, or the project all rows belong to."))

    def chosen(self) -> dict[str, Any]:
        """The choices as plain values: columns by field, project id or column, date format."""
        columns: dict[str, int | None] = {}
        for key, name in COLUMN_FIELDS.items():
            value = self[name].data
            columns[key] = int(value) if value not in (None, "") else None
        project_id = None
        kind, _, value = (self.project.data or "").partition(":")
        if kind == "column":
            columns["project"] = int(value)
        else:
            columns["project"] = None
            project_id = int(value) if value.isdigit() else None
        return {"columns": columns, "project_id": project_id, "date_format": self.date_format.data or DEFAULT_DATE_FORMAT}

    def fill(self, guess: dict[str, int | None], project_id: int | None, date_format: str) -> None:
        """Put the guessed mapping in the form (the first page after the upload)."""
        for key, name in COLUMN_FIELDS.items():
            self[name].data = "" if guess.get(key) is None else str(guess[key])
        if project_id is not None:
            self.project.data = f"project:{project_id}"
        elif guess.get("project") is not None:
            self.project.data = f"column:{guess['project']}"
        else:
            self.project.data = ""
        self.date_format.data = date_format
