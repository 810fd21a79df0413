"""Forms for rounds, proposals and reviews. Amounts are typed in euros and become cents in the view."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..membership.forms import int_or_none
from .models import CATEGORIES

#: Empty budget rows offered on the form (no JavaScript needed to add one).
BUDGET_ROWS = 4


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _max(n: int) -> Length:
    return Length(max=n, message=_l("Use at most %(max)d characters.", max=n))


def category_choices() -> list[tuple[str, str]]:
    names = {
        "green": _l("Green and nature"),
        "play": _l("Play and children"),
        "care": _l("Care and welfare"),
        "food": _l("Food and cooking"),
        "language": _l("Language and learning"),
        "culture": _l("Culture and history"),
        "sport": _l("Sport and exercise"),
        "meeting": _l("Meeting each other"),
        "safety": _l("Safe and clean streets"),
        "other": _l("Something else"),
    }
    return [(key, str(names[key])) for key in CATEGORIES]


class LineForm(Form):
    description = StringField(_l("What is the money for?"), validators=[Optional(), _max(200)], filters=[_strip])
    amount = StringField(_l("Amount in euros"), validators=[Optional(), _max(20)], filters=[_strip])


class ProposalForm(FlaskForm):
    title = StringField(
        _l("Title"), validators=[InputRequired(message=_l("Give your proposal a title.")), _max(200)], filters=[_strip]
    )
    summary = TextAreaField(
        _l("Summary"),
        description=_l("In two or three sentences: what do you want to do, and for whom?"),
        validators=[InputRequired(message=_l("Write a short summary: what do you want to do, and for whom?")), _max(500)],
    )
    description = TextAreaField(
        _l("Your plan"),
        description=_l("Explain the plan. You can use Markdown: **bold**, *italic*, lists with -, links."),
        validators=[InputRequired(message=_l("Describe your plan.")), _max(20000)],
    )
    neighbourhood = SelectField(_l("Neighbourhood"), validate_choice=False)
    category = SelectField(_l("Category"), validate_choice=False)
    lines = FieldList(FormField(LineForm), min_entries=BUDGET_ROWS, max_entries=30)
    image = FileField(_l("Picture (optional)"), description=_l("A JPEG, PNG, WebP or GIF picture of at most 5 MB."))
    image_alt = StringField(
        _l("What is on the picture?"),
        description=_l("A short description for people who cannot see the picture."),
        validators=[Optional(), _max(300)],
        filters=[_strip],
    )


class RoundForm(FlaskForm):
    title = StringField(_l("Title"), validators=[InputRequired(message=_l("Fill in a title.")), _max(200)], filters=[_strip])
    description = TextAreaField(
        _l("Description"),
        description=_l("What is this round for? You can use Markdown."),
        validators=[Optional(), _max(20000)],
    )
    budget = StringField(
        _l("Budget in euros"), validators=[InputRequired(message=_l("Fill in the budget: an amount in euros, more than 0.")), _max(20)]
    )
    neighbourhoods = SelectMultipleField(_l("Neighbourhoods in this round"), validate_choice=False)
    submission_opens = DateField(_l("Proposals can be sent from"), validators=[Optional()])
    review_opens = DateField(_l("Feasibility review from"), validators=[Optional()])
    deliberation_opens = DateField(_l("Discussion from"), validators=[Optional()])
    voting_opens = DateField(_l("Voting from"), validators=[Optional()])
    results_on = DateField(_l("Results on"), validators=[Optional()])
    implementation_starts = DateField(_l("Projects start from"), validators=[Optional()])
    proposer_tiers = SelectMultipleField(_l("Levels that may propose"), coerce=int_or_none, validate_choice=False)
    voter_tiers = SelectMultipleField(_l("Levels that may vote"), coerce=int_or_none, validate_choice=False)
    ranks = IntegerField(
        _l("How many proposals can a voter put in order?"),
        default=5,
        validators=[
            InputRequired(message=_l("Fill in a whole number from 1 to 50.")),
            NumberRange(min=1, max=50, message=_l("Fill in a whole number from 1 to 50.")),
        ],
    )
    counting_rule = RadioField(
        _l("Counting rule"),
        choices=[
            ("mes", _l("Method of Equal Shares: every voter gets an equal share of the budget")),
            ("greedy", _l("Most support first: the proposals with the most support, until the money runs out")),
        ],
        default="mes",
        validators=[InputRequired(message=_l("Choose one of the counting rules."))],
    )
    support_enabled = BooleanField(_l("Members can support proposals before voting"))
    support_threshold = IntegerField(
        _l("Support needed to get on the ballot"),
        description=_l("0 means: every eligible proposal gets on the ballot."),
        default=0,
        validators=[Optional(), NumberRange(min=0, max=100000, message=_l("Fill in a whole number, 0 or more."))],
    )


class ReviewForm(FlaskForm):
    decision = RadioField(
        _l("Can this proposal go on the ballot?"),
        choices=[("eligible", _l("Yes, it is feasible: eligible")), ("not_eligible", _l("No: not eligible"))],
        validators=[InputRequired(message=_l("Choose eligible or not eligible."))],
    )
    reason = TextAreaField(
        _l("Reason"),
        description=_l("Everyone can read this on the proposal, and it stays on the record. Do not write personal details."),
        validators=[Optional(), _max(2000)],
    )
    cost = StringField(
        _l("Cost in euros"),
        description=_l("Change this only if the plan really costs more or less. Explain why below."),
        validators=[Optional(), _max(20)],
    )
    cost_reason = TextAreaField(_l("Why does the cost change?"), validators=[Optional(), _max(2000)])


class CoProposerForm(FlaskForm):
    member = SelectField(_l("Member"), coerce=int_or_none, validate_choice=False)


class InterestForm(FlaskForm):
    note = TextAreaField(
        _l("What is your interest?"),
        description=_l("For example: I work for this initiative, or a family member would be paid from this budget."),
        validators=[Optional(), _max(500)],
    )


class ActionForm(FlaskForm):
    """A button that changes state: only the CSRF token."""
