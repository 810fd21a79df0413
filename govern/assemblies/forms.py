"""Forms for assemblies: settings, agenda items, votes under an item, documents, proxies, check-in, minutes.

A paper slip's fields (``rank-<option key>`` or ``choice``) depend on the vote, so the
slip is read from the request in the view and checked by ``govern.voting.paper``.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..membership.forms import int_or_none
from .services import MAX_PROXIES_LIMIT


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _max(n: int) -> Length:
    return Length(max=n, message=_l("Use at most %(max)d characters.", max=n))


class AssemblyForm(FlaskForm):
    title = StringField(
        _l("Title"),
        description=_l("For example: General meeting spring 2027."),
        validators=[InputRequired(message=_l("Fill in a title.")), _max(200)],
        filters=[_strip],
    )
    day = DateField(
        _l("Date"),
        validators=[InputRequired(message=_l("Fill in the date, for example 2027-04-15."))],
    )
    time = TimeField(
        _l("Starts at (Amsterdam time)"),
        validators=[InputRequired(message=_l("Fill in the time, for example 19:30."))],
    )
    place = StringField(
        _l("Place"), description=_l("Address or name of the building."), validators=[Optional(), _max(200)], filters=[_strip]
    )
    online_url = StringField(
        _l("Online link (optional)"),
        description=_l("If members can also join online: the link to the video meeting."),
        validators=[Optional(), _max(500)],
        filters=[_strip],
    )
    description = TextAreaField(
        _l("Invitation text"), description=_l("What members should know. You can use Markdown."), validators=[Optional(), _max(20000)]
    )
    quorum = StringField(
        _l("Quorum"),
        default="1/2",
        description=_l("From the statutes: the share of all votes that must be present or represented, for example 1/2."),
        validators=[InputRequired(message=_l("Fill in the quorum, for example 1/2.")), _max(20)],
        filters=[_strip],
    )
    max_proxies = IntegerField(
        _l("Proxies one member may hold"),
        default=1,
        description=_l("From the statutes; usually 1. 0 means: no proxies at this meeting."),
        validators=[
            InputRequired(message=_l("Fill in a whole number from 0 to %(max)d.", max=MAX_PROXIES_LIMIT)),
            NumberRange(min=0, max=MAX_PROXIES_LIMIT, message=_l("Fill in a whole number from 0 to %(max)d.", max=MAX_PROXIES_LIMIT)),
        ],
    )


class ItemForm(FlaskForm):
    title = StringField(_l("Title"), validators=[InputRequired(message=_l("Fill in a title.")), _max(200)], filters=[_strip])
    description = TextAreaField(
        _l("Explanation (optional)"),
        description=_l("What is this item about, and what is asked of the members? You can use Markdown."),
        validators=[Optional(), _max(20000)],
    )
    thread = BooleanField(_l("Members can discuss this item online before the meeting"))


class AgendaVoteForm(FlaskForm):
    kind = RadioField(
        _l("What is decided?"),
        choices=[("motion", _l("A motion: yes, no or abstain")), ("election", _l("An election: members rank candidates"))],
        default="motion",
        validators=[InputRequired(message=_l("Choose a motion or an election."))],
    )
    title = StringField(
        _l("Title of the vote"),
        description=_l("For example: Adopt the annual accounts 2026."),
        validators=[InputRequired(message=_l("Give the vote a title.")), _max(200)],
        filters=[_strip],
    )
    description = TextAreaField(
        _l("What is decided, in plain words"), validators=[Optional(), _max(20000)]
    )
    secret = BooleanField(_l("Secret vote"), default=True, description=_l("Nobody can see who voted what. Paper ballots are possible only for secret votes."))
    threshold = RadioField(
        _l("A motion is adopted with"),
        choices=[("majority", _l("more than half of the votes cast")), ("two-thirds", _l("at least two thirds of the votes cast"))],
        default="majority",
        validators=[Optional()],
    )
    abstentions = RadioField(
        _l("Abstentions"),
        choices=[("excluded", _l("do not count as votes cast")), ("counted", _l("count as votes cast"))],
        default="excluded",
        validators=[Optional()],
    )
    seats = IntegerField(
        _l("Seats (elections)"),
        default=1,
        validators=[Optional(), NumberRange(min=1, max=50, message=_l("Fill in a whole number from 1 to 50."))],
    )
    candidates = TextAreaField(
        _l("Candidates (elections)"),
        description=_l("One candidate per line: name — short statement (the statement is optional)."),
        validators=[Optional(), _max(20000)],
    )


class DocumentForm(FlaskForm):
    title = StringField(
        _l("Title"),
        description=_l("For example: Annual accounts 2026."),
        validators=[InputRequired(message=_l("Give the document a title, for example: Annual accounts 2026.")), _max(200)],
        filters=[_strip],
    )
    file = FileField(_l("File"), description=_l("A PDF, PNG or JPEG file of at most 10 MB."))


class ProxyForm(FlaskForm):
    holder = SelectField(_l("Who votes for you?"), coerce=int_or_none, validate_choice=False)


class PaperProxyForm(FlaskForm):
    grantor = SelectField(
        _l("Who gives the proxy?"),
        description=_l("The member who signed the paper form."),
        coerce=int_or_none,
        validate_choice=False,
    )
    holder = SelectField(
        _l("Who votes for them?"),
        description=_l("The member named on the form. Only members who may vote at general meetings are in the lists."),
        coerce=int_or_none,
        validate_choice=False,
    )


class CheckInForm(FlaskForm):
    member = SelectField(_l("Member"), coerce=int_or_none, validate_choice=False)


class MinutesForm(FlaskForm):
    text = TextAreaField(
        _l("Minutes"),
        description=_l("Generated from the agenda, the attendance and the votes. Add what was said where needed, then adopt."),
        validators=[InputRequired(message=_l("The minutes are empty.")), _max(200_000)],
    )


class ActionForm(FlaskForm):
    """A button that changes state: only the CSRF token."""
