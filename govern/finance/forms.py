"""Forms for projects: money entries, corrections, board decisions and progress.

Amounts are typed as people write them ("1.234,56", "1234,56", "1234.56", "€ 1.500") and
become integer cents by :func:`parse_amount`, which reads digits as text and never uses
floats. Whether an amount is allowed (more than zero, not too large, within the money of
the project) is for the services to say; the form only says when it is not an amount.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from .models import MoneyKind, ProjectStatus


class AmountError(ValueError):
    """Not an amount; ``message`` says why, for the person who typed it."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


_DIGITS = re.compile(r"^\d+$")
_GROUPED = re.compile(r"^\d{1,3}(?:[.,]\d{3})+$")


def parse_amount(text: str | None) -> int | None:
    """An amount in euros as typed → integer cents; None when empty; :class:`AmountError` when not an amount.

    - one mark followed by one or two digits is the decimal mark: "1234,56", "1234.5";
    - both marks: the last one is the decimal mark, the other groups thousands: "1.234,56", "1,234.56";
    - a dot followed by groups of three digits groups thousands, as in Dutch: "1.500" is fifteen hundred;
    - a comma followed by exactly three digits ("12,345") could be either way, so it is refused;
    - a leading minus is kept, so that the service can say why a negative amount is wrong.
    """
    if text is None:
        return None
    s = "".join(str(text).replace("€", "").split())
    if not s:
        return None
    sign = 1
    if s[0] in "-−":
        sign, s = -1, s[1:]
    elif s[0] == "+":
        s = s[1:]
    if s.endswith((",-", ".-")):  # "25,-" is how Dutch prices write whole euros
        s = s[:-2]
    invalid = AmountError(_l("Fill in an amount in euros, for example 125,50."))
    if not s or not all(c in "0123456789.," for c in s) or not s[0].isdigit():
        raise invalid
    last = max(s.rfind("."), s.rfind(","))
    whole, frac = s, ""
    if last >= 0:
        tail = s[last + 1 :]
        head = s[:last]
        mark = s[last]
        other = "," if mark == "." else "."
        if 1 <= len(tail) <= 2 and _DIGITS.match(tail):
            # Decimal mark: what comes before is digits, or thousands grouped with the other mark.
            if head.isdigit() or (other in head and mark not in head and _GROUPED.match(head) and _grouped_by(head, other)):
                whole, frac = head, tail
            else:
                raise invalid
        elif len(tail) == 3 and _DIGITS.match(tail):
            if mark == "," and "." not in head and "," not in head:
                raise AmountError(
                    _l(
                        "It is not clear whether %(text)s means thousands or cents. "
                        "Write it without a thousands separator, for example 12345 or 12,34.",
                        text=text.strip(),
                    )
                )
            if _GROUPED.match(s) and _grouped_by(s, mark):
                whole = s
            else:
                raise invalid
        else:
            raise invalid
    whole_digits = whole.replace(".", "").replace(",", "")
    if not whole_digits or len(whole_digits) > 15:
        raise invalid
    return sign * (int(whole_digits) * 100 + int((frac + "00")[:2]))


def _grouped_by(text: str, mark: str) -> bool:
    """Every separator in ``text`` is ``mark`` (thousands are grouped one way only)."""
    return all(c == mark for c in text if not c.isdigit())


def format_amount(cents: int | None) -> str:
    """Cents as a form writes them back so that they parse again: "1234,56"."""
    if cents is None:
        return ""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100},{cents % 100:02d}" if cents % 100 else f"{sign}{cents // 100}"


def choice_id(value: object) -> int | None:
    """A select's value: empty → None, a number → that id, anything else (tampered) → -1, which no record has."""
    if value in (None, ""):
        return None
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return -1


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _max(n: int) -> Length:
    return Length(max=n, message=_l("Use at most %(max)d characters.", max=n))


class DayField(DateField):
    """A date: the browser's date picker sends 2026-03-14; typed by hand 14-03-2026 works too."""

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        super().__init__(label, validators, format=["%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y"], **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not "".join(valuelist).strip():
            self.data = None
            return
        text = " ".join(valuelist).strip()
        for fmt in self.strptime_format:
            try:
                self.data = dt.datetime.strptime(text, fmt).date()
                return
            except ValueError:
                continue
        self.data = None
        raise ValueError(_l("Fill in a date, for example 14-03-2026."))


class AmountField(StringField):
    """Euros as typed; ``cents`` holds the parsed amount after validation (None when empty or wrong)."""

    cents: int | None = None

    def post_validate(self, form: Any, validation_stopped: bool) -> None:
        self.cents = None
        if validation_stopped:
            return
        try:
            self.cents = parse_amount(self.data)
        except AmountError as error:
            raise ValidationError(error.message) from None


def _check_day(form: Any, field: Any) -> None:
    """The service's date rules (not in the future, not before 2000), shown with the other field errors at once."""
    from ..services import ServiceError
    from .services import check_date

    if field.data is not None:
        try:
            check_date(field.data)
        except ServiceError as error:
            raise ValidationError(str(error.message)) from None


def _date_required() -> InputRequired:
    return InputRequired(message=_l("Fill in a date, for example 14-03-2026."))


class MoneyForm(FlaskForm):
    kind = RadioField(
        _l("What do you record?"),
        choices=[
            (MoneyKind.COMMITMENT.value, _l("A commitment: money promised (an order, a signed quote)")),
            (MoneyKind.EXPENDITURE.value, _l("An expenditure: money paid (an invoice or a receipt)")),
        ],
        validators=[InputRequired(message=_l("Choose commitment or expenditure."))],
    )
    booked_on = DayField(
        _l("Date on the invoice or order"),
        description=_l("For example 14-03-2026. Not in the future."),
        validators=[_date_required(), _check_day],
    )
    amount = AmountField(
        _l("Amount in euros"),
        description=_l("For example 125,50 or 1.234,56."),
        validators=[InputRequired(message=_l("Fill in an amount in euros, for example 125,50."))],
        filters=[_strip],
        render_kw={"inputmode": "decimal"},
    )
    payee = StringField(
        _l("Who is paid"),
        description=_l("The name of the shop, company or organisation. Never the name of a private person."),
        validators=[Optional(), _max(200)],
        filters=[_strip],
    )
    description = StringField(
        _l("What is the money for"), validators=[Optional(), _max(500)], filters=[_strip]
    )
    invoice_ref = StringField(
        _l("Invoice or order number (optional)"),
        description=_l("As in the books of the cooperative, so the treasurer can find it."),
        validators=[Optional(), _max(100)],
        filters=[_strip],
    )
    line_id = SelectField(_l("Budget line"), coerce=choice_id, validate_choice=False)
    commitment_id = SelectField(
        _l("Does this pay an open commitment? (optional)"),
        description=_l("Only for an expenditure: choose the order or quote that this invoice pays."),
        coerce=choice_id,
        validate_choice=False,
    )
    document = FileField(
        _l("Document (optional)"),
        description=_l(
            "The invoice, receipt or order as PDF, PNG or JPEG, at most 10 MB. Everyone can see it: "
            "first black out personal data, such as names, addresses and bank account numbers of people."
        ),
        render_kw={"accept": ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"},
    )
    overspend_reason = TextAreaField(
        _l("Reason for the board decision (only if this goes over the money)"),
        description=_l(
            "If this entry makes the project use more than its money, the board allows it with this entry. "
            "Write why; the reason goes on the public record. Leave empty otherwise."
        ),
        validators=[Optional(), _max(2000)],
    )


class CorrectionForm(FlaskForm):
    reason = TextAreaField(
        _l("Why is this entry wrong?"),
        description=_l("For example: the amount was typed wrong, it was 12,34 and not 123,40."),
        validators=[InputRequired(message=_l("Say why this entry is corrected.")), _max(500)],
    )


class DecisionForm(FlaskForm):
    amount = AmountField(
        _l("Extra money in euros"),
        description=_l("How much more than its allocation the project may use, for example 750 or 1.250,00."),
        validators=[InputRequired(message=_l("Fill in an amount in euros, for example 125,50."))],
        filters=[_strip],
        render_kw={"inputmode": "decimal"},
    )
    reason = TextAreaField(
        _l("Reason"),
        description=_l("Why the board allows it, and where it was decided. Everyone can read this."),
        validators=[InputRequired(message=_l("Give the reason for the board's decision.")), _max(2000)],
    )
    decided_on = DayField(
        _l("Date of the decision"), description=_l("For example 14-09-2026."), validators=[_date_required(), _check_day]
    )


class ProgressForm(FlaskForm):
    status = RadioField(
        _l("How far is the project?"),
        choices=[
            (ProjectStatus.PLANNED.value, _l("Planned: not started yet")),
            (ProjectStatus.STARTED.value, _l("Started")),
            (ProjectStatus.DONE.value, _l("Done")),
            (ProjectStatus.STOPPED.value, _l("Stopped")),
        ],
        validators=[InputRequired(message=_l("Choose how far the project is."))],
    )
    text = TextAreaField(
        _l("What happened?"),
        description=_l("A few sentences for the neighbourhood: what is done, what comes next."),
        validators=[Optional(), _max(2000)],
    )
    photo = FileField(
        _l("Photo (optional)"),
        description=_l("A JPEG, PNG, WebP or GIF picture of at most 5 MB. Everyone can see it: only show people who agreed to it."),
        render_kw={"accept": "image/jpeg,image/png,image/webp,image/gif"},
    )
    photo_alt = StringField(
        _l("Describe the photo in one sentence"),
        description=_l("Needed with a photo, for people who cannot see it. For example: Ten neighbours plant trees in the new garden."),
        validators=[Optional(), _max(300)],
        filters=[_strip],
    )
