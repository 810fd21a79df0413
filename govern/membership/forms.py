"""Forms for membership. Every validator carries its own translatable message."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, IntegerField, PasswordField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Email, EqualTo, InputRequired, Length, NumberRange, Optional, Regexp

from .models import NEIGHBOURHOODS


def neighbourhood_choices() -> list[tuple[str, str]]:
    names = {
        "bospolder": "Bospolder",
        "tussendijken": "Tussendijken",
        "spangen": "Spangen",
        "nieuwe-westen": "Nieuwe Westen",
        "middelland": "Middelland",
        "oud-mathenesse": "Oud-Mathenesse",
        "witte-dorp": "Witte Dorp",
        "schiemond": "Schiemond",
        "historisch-delfshaven": "Historisch Delfshaven",
        "coolhaveneiland": "Coolhaveneiland",
        "elders": str(_l("Elsewhere in Rotterdam")),
    }
    return [(key, names[key]) for key in NEIGHBOURHOODS]


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def int_or_none(value: object) -> int | None:
    """Coerce a select's value; a tampered, non-numeric value becomes None and the service refuses it."""
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None


def _required(message: str | None = None) -> InputRequired:
    return InputRequired(message=message or _l("Please fill this in."))


def _max(n: int) -> Length:
    return Length(max=n, message=_l("Use at most %(max)d characters.", max=n))


_email = [
    _required(_l("Fill in your e-mail address.")),
    Email(message=_l("This is not a valid e-mail address."), check_deliverability=False),
    _max(254),
]


class ApplyForm(FlaskForm):
    # Choices are checked by the service, with messages of our own (not WTForms' "Not a valid choice").
    kind = RadioField(
        _l("I join as"),
        choices=[("person", _l("a resident (a person)")), ("organisation", _l("an initiative or organisation"))],
        validators=[_required(_l("Choose whether you join as a person or as an organisation."))],
    )
    name = StringField(_l("Name"), validators=[_required(_l("Fill in a name.")), _max(120)], filters=[_strip])
    email = EmailField(_l("E-mail address"), validators=_email, filters=[_strip])
    password = PasswordField(_l("Password"), validators=[_required(_l("Choose a password.")), _max(200)])
    password_confirm = PasswordField(
        _l("Password again"),
        validators=[_required(_l("Type your password again.")), EqualTo("password", message=_l("The two passwords are not the same."))],
    )
    neighbourhood = SelectField(
        _l("Neighbourhood"), validators=[_required(_l("Choose your neighbourhood from the list."))], validate_choice=False
    )
    tier = SelectField(_l("How do you want to take part?"), coerce=int_or_none, validate_choice=False)
    description = TextAreaField(_l("Tell us briefly who you are (optional)"), validators=[Optional(), _max(2000)])


class SignInForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=_email, filters=[_strip])
    password = PasswordField(_l("Password"), validators=[_required(_l("Fill in your password.")), _max(200)])
    remember = BooleanField(_l("Stay signed in on this device"))


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=_email, filters=[_strip])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[_required(_l("Choose a password.")), _max(200)])
    password_confirm = PasswordField(
        _l("New password again"),
        validators=[_required(_l("Type your password again.")), EqualTo("password", message=_l("The two passwords are not the same."))],
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[_required(_l("Fill in your current password.")), _max(200)])
    password = PasswordField(_l("New password"), validators=[_required(_l("Choose a password.")), _max(200)])
    password_confirm = PasswordField(
        _l("New password again"),
        validators=[_required(_l("Type your password again.")), EqualTo("password", message=_l("The two passwords are not the same."))],
    )


class LanguageSettingForm(FlaskForm):
    language = RadioField(_l("Language"), choices=[("nl", "Nederlands"), ("en", "English")], validators=[_required()])


class ProfileForm(FlaskForm):
    description = TextAreaField(_l("About us"), validators=[Optional(), _max(2000)])
    neighbourhood = SelectField(
        _l("Neighbourhood"), validators=[_required(_l("Choose your neighbourhood from the list."))], validate_choice=False
    )
    listed = BooleanField(_l("Show us in the member list"))


class DelegateForm(FlaskForm):
    display_name = StringField(_l("Name of the person"), validators=[_required(_l("Fill in a name.")), _max(120)])
    email = EmailField(_l("Their e-mail address"), validators=_email, filters=[_strip])


_reason = TextAreaField(
    _l("Reason"),
    description=_l("The member sees this reason and it stays on the record. Do not write personal details."),
    validators=[Optional(), _max(1000)],
)


class DecisionForm(FlaskForm):
    tier = SelectField(_l("Level"), coerce=int_or_none, validate_choice=False)
    reason = _reason


class MemberActionForm(FlaskForm):
    action = RadioField(
        _l("What do you want to do?"),
        choices=[
            ("change_tier", _l("Change level")),
            ("suspend", _l("Suspend")),
            ("reinstate", _l("Lift the suspension")),
            ("end", _l("End the membership")),
        ],
        validators=[_required(_l("Choose what you want to do."))],
    )
    tier = SelectField(_l("New level"), coerce=int_or_none, validate_choice=False)
    reason = _reason


class RoleForm(FlaskForm):
    role = SelectField(
        _l("Role"),
        choices=[
            ("board", _l("Board")),
            ("moderator", _l("Moderator")),
            ("auditor", _l("Auditor")),
            ("teller", _l("Teller")),
        ],
        validators=[_required()],
    )
    grant = RadioField(_l("Give or take away"), choices=[("grant", _l("Give")), ("revoke", _l("Take away"))], validators=[_required()])


class TierForm(FlaskForm):
    slug = StringField(
        _l("Short name (for links)"),
        validators=[
            _required(_l("Fill in a short name.")),
            _max(40),
            Regexp(r"^[a-z0-9-]+$", message=_l("Use only small letters, digits and hyphens.")),
        ],
    )
    name_nl = StringField(_l("Name in Dutch"), validators=[_required(_l("Fill in a name.")), _max(80)])
    name_en = StringField(_l("Name in English"), validators=[_required(_l("Fill in a name.")), _max(80)])
    can_propose = BooleanField(_l("May propose projects"))
    can_deliberate = BooleanField(_l("May take part in discussions"))
    can_vote_budget = BooleanField(_l("May vote in budget rounds"))
    can_vote_assembly = BooleanField(_l("May vote in the general meeting"))
    vote_weight = IntegerField(
        _l("Vote weight in the general meeting"),
        validators=[
            InputRequired(message=_l("Fill in a whole number, 0 or more.")),
            NumberRange(min=0, max=1000, message=_l("Fill in a whole number from 0 to 1000.")),
        ],
    )
    counts_for_quorum = BooleanField(_l("Counts for the quorum"))
    open_for_applications = BooleanField(_l("New members can ask for this level"))
    position = IntegerField(
        _l("Place in lists"),
        default=0,
        validators=[Optional(), NumberRange(min=0, max=1000, message=_l("Fill in a whole number from 0 to 1000."))],
    )
