"""Forms for setting up a vote (board) and the small action forms around it.

The ballot itself is not a WTForms form: its fields (``rank-<option key>``, ``choice``,
``member``, ``step``) depend on the vote and the voter, and the services parse them
(``services.parse_ranks`` / ``services.parse_choice``). Times are typed in Amsterdam
time and become aware UTC datetimes in the view.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    Form,
    FormField,
    FieldList,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp

from ..membership.forms import int_or_none

AMSTERDAM = ZoneInfo("Europe/Amsterdam")

#: The separators a board member may type between a candidate's name and statement.
CANDIDATE_SEPARATORS = (" — ", " – ", " - ", "—", "–", " | ", ": ")


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _max(n: int) -> Length:
    return Length(max=n, message=_l("Use at most %(max)d characters.", max=n))


def to_utc(local: dt.datetime | None) -> dt.datetime | None:
    """A wall-clock time typed in Amsterdam, as an aware UTC datetime."""
    if local is None:
        return None
    return local.replace(tzinfo=AMSTERDAM).astimezone(dt.UTC)


def to_local(moment: dt.datetime | None) -> dt.datetime | None:
    """An aware datetime as the naive Amsterdam wall-clock time a datetime-local input shows."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(AMSTERDAM).replace(tzinfo=None, second=0, microsecond=0)


def parse_candidates(text: str | None) -> list[tuple[str, str]]:
    """One candidate per line: "Name — statement" (the statement may be left out)."""
    candidates = []
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line:
            continue
        name, statement = line, ""
        for sep in CANDIDATE_SEPARATORS:
            if sep in line:
                name, _, statement = line.partition(sep)
                break
        candidates.append((name.strip(), statement.strip()))
    return candidates


def format_candidates(candidates: list[tuple[str, str]]) -> str:
    return "\n".join(f"{name} — {statement}" if statement else name for name, statement in candidates)


class TierWeightForm(Form):
    """One tier's weight in this vote; 0 means the tier does not vote."""

    tier_id = HiddenField(filters=[int_or_none])
    weight = IntegerField(
        _l("Weight"),
        default=0,
        validators=[
            Optional(),
            NumberRange(min=0, max=1000, message=_l("Fill in a whole number from 0 to 1000.")),
        ],
    )


class VoteForm(FlaskForm):
    kind = RadioField(
        _l("What kind of vote is this?"),
        choices=[
            ("motion", _l("A motion: members vote for, against, or abstain")),
            ("election", _l("An election: members put candidates in order of preference")),
        ],
        default="motion",
        validators=[InputRequired(message=_l("Choose a motion or an election."))],
    )
    title = StringField(
        _l("Title"), validators=[InputRequired(message=_l("Fill in a title.")), _max(200)], filters=[_strip]
    )
    description = TextAreaField(
        _l("What is decided?"),
        description=_l("In plain words: what happens if the motion is carried, or what the elected people will do."),
        validators=[Optional(), _max(20000)],
    )
    # --- motions
    threshold = RadioField(
        _l("When is the motion carried?"),
        choices=[
            ("majority", _l("More than half of the votes cast are for it")),
            ("two-thirds", _l("At least two thirds of the votes cast are for it")),
        ],
        default="majority",
        validators=[Optional()],
    )
    abstentions = RadioField(
        _l("Abstentions"),
        choices=[
            ("excluded", _l("Do not count abstentions as votes cast")),
            ("counted", _l("Count abstentions as votes cast (abstaining then works like voting against)")),
        ],
        default="excluded",
        validators=[Optional()],
    )
    # --- elections
    candidates = TextAreaField(
        _l("Candidates"),
        description=_l('One candidate per line: "Name — short statement". The statement is optional.'),
        validators=[Optional(), _max(20000)],
    )
    seats = IntegerField(
        _l("How many seats?"),
        description=_l("One seat is counted by instant run-off; more seats by single transferable vote (Scottish rules)."),
        default=1,
        validators=[Optional(), NumberRange(min=1, max=50, message=_l("Fill in a whole number from 1 to 50."))],
    )
    ranks = IntegerField(
        _l("How many candidates can a voter put in order?"),
        description=_l("0 means: as many as there are candidates."),
        default=0,
        validators=[Optional(), NumberRange(min=0, max=100, message=_l("Fill in a whole number from 0 to 100."))],
    )
    # --- both
    tiers = FieldList(FormField(TierWeightForm), min_entries=0, max_entries=50)
    secret = BooleanField(
        _l("Secret ballot"),
        description=_l("Nobody can see who voted what. Without it, the vote is a roll call: every ballot shows the member's name."),
        default=True,
    )
    results_hidden = BooleanField(
        _l("Hide the results until the vote closes"),
        description=_l("Recommended: nobody sees any count while people are still voting."),
        default=True,
    )
    quorum = StringField(
        _l("Quorum (optional)"),
        description=_l('The share of all vote weight that must take part, for example "1/2" or "2/3". Leave empty for no quorum.'),
        validators=[
            Optional(),
            _max(20),
            Regexp(r"^\s*\d+\s*/\s*\d+\s*$", message=_l('Write the quorum as a fraction, for example "1/2".')),
        ],
        filters=[_strip],
    )
    assembly = SelectField(_l("At which assembly? (optional)"), coerce=int_or_none, validate_choice=False)
    opens_at = DateTimeLocalField(
        _l("Opens at (optional)"),
        description=_l("Amsterdam time. Leave empty to open it yourself."),
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        validators=[Optional()],
    )
    closes_at = DateTimeLocalField(
        _l("Closes at (optional)"),
        description=_l("Amsterdam time. Leave empty to close it yourself."),
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        validators=[Optional()],
    )


class ActionForm(FlaskForm):
    """A button that changes state: only the CSRF token."""
