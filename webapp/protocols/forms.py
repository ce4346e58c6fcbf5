"""The protocol editor's forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class ProtocolForm(FlaskForm):
    """A protocol definition edited as JSON text (the name field only when creating)."""

    name = StringField("Protocol name", validators=[Optional(), Length(max=120)])
    definition = TextAreaField("Definition (JSON)", validators=[DataRequired()])


class MovePatientsForm(FlaskForm):
    """Courses to move to a newer protocol version (choices set by the view)."""

    course_ids = SelectMultipleField("Courses", coerce=int, validate_choice=False)
    scope = HiddenField()
    confirm = HiddenField()  # "yes" once the coordinator has read what will happen
