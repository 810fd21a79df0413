"""Forms for deliberation. The services check everything again; these give the first, quick message."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, TextAreaField
from wtforms.validators import InputRequired, Length

from .services import MAX_COMMENT, MAX_REASON

STANCES = [
    ("for", _l("For it")),
    ("against", _l("Against it")),
    ("question", _l("A question")),
    ("idea", _l("An idea or remark")),
]


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class CommentForm(FlaskForm):
    stance = RadioField(
        _l("What kind of comment is this?"),
        choices=STANCES,
        default="idea",
        validators=[InputRequired(message=_l("Choose what kind of comment this is."))],
        validate_choice=False,  # the service says which choices exist, in our own words
    )
    body = TextAreaField(
        _l("Your comment"),
        description=_l("Plain text. You may use Markdown: **bold**, *italic*, lists and links. At most %(max)s characters.", max=MAX_COMMENT),
        validators=[
            InputRequired(message=_l("Write your comment first.")),
            Length(max=MAX_COMMENT, message=_l("Your comment is too long: use at most %(max)s characters.", max=MAX_COMMENT)),
        ],
        filters=[_strip],
    )
    #: Where to go back to after posting (the page that shows the thread).
    next = HiddenField()


class ReportForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for your report"),
        description=_l("What is wrong with this comment? Only the moderators read this."),
        validators=[
            InputRequired(message=_l("Tell the moderators what is wrong with this comment.")),
            Length(max=MAX_REASON, message=_l("Use at most %(max)d characters.", max=MAX_REASON)),
        ],
        filters=[_strip],
    )


class HideForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for hiding"),
        description=_l("Everyone sees this reason in the place of the comment, and it stays on the record. Do not write personal details."),
        validators=[
            InputRequired(message=_l("Give a reason. Everyone sees it in the place of the comment.")),
            Length(max=MAX_REASON, message=_l("Use at most %(max)d characters.", max=MAX_REASON)),
        ],
        filters=[_strip],
    )


class KeepForm(FlaskForm):
    """Only the CSRF token: the moderator keeps the comment as it is."""


class MarkReadForm(FlaskForm):
    """Only the CSRF token."""


class DigestForm(FlaskForm):
    daily_digest = BooleanField(_l("Send me an e-mail once a day with my new notifications"))
