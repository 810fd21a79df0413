"""Small helpers shared by the forms of every domain."""

from __future__ import annotations

from flask import flash
from flask_wtf import FlaskForm

from .services import ServiceError


def show_error(form: FlaskForm, error: ServiceError) -> None:
    """Put a service's refusal next to its field, or at the top of the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message] if isinstance(field.errors, list) else [error.message]
    else:
        flash(error.message, "error")
