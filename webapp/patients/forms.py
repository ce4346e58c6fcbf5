"""WTForms for the coordinator's pages: protocols, enrolment, contact details and the worklist.

Forms check format only; rules that need the database (study code in use, protocol version
exists) live in the views and in webapp.care.records.
"""

from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DateTimeLocalField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from webapp.care.records import CareError
from webapp.models import CHANNELS
from webapp.patients.enrolment import check_timezone

EMAIL_RE = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
E164_RE = r"^\+[1-9]\d{6,14}$"
LANGUAGE_RE = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"
STUDY_CODE_RE = r"^[A-Za-z0-9][A-Za-z0-9-]*$"
CHANNEL_CHOICES = [SelectChoice(c, "Email" if c == "email" else "SMS (text message)")
                   for c in CHANNELS]


def _check_zone(_form, field) -> None:
    try:
        check_timezone((field.data or "").strip())
    except CareError as exc:
        raise ValidationError(str(exc)) from None


class ContactDetailsForm(FlaskForm):
    """How and when a patient is reached."""

    email = StringField("Email", validators=[Optional(), Length(max=254),
                                             Regexp(EMAIL_RE, message="Enter a valid email.")])
    phone = StringField("Mobile phone (E.164, e.g. +447700900123)", validators=[
        Optional(), Regexp(E164_RE, message="Write the number as + then digits, e.g. "
                                            "+447700900123.")])
    timezone = StringField("Time zone (IANA, e.g. Europe/London)",
                           validators=[DataRequired(), Length(max=64), _check_zone])
    language = StringField("Language", default="en", validators=[
        DataRequired(), Regexp(LANGUAGE_RE, message="Use a language code such as en or fr.")])
    preferred_channel = SelectField("Preferred channel", choices=CHANNEL_CHOICES)

    def validate_preferred_channel(self, field) -> None:
        """Email needs an email address and SMS a phone number."""
        if field.data == "email" and not (self.email.data or "").strip():
            raise ValidationError("Email reminders need an email address.")
        if field.data == "sms" and not (self.phone.data or "").strip():
            raise ValidationError("SMS reminders need a mobile phone number.")


class EnrolmentForm(ContactDetailsForm):
    """A new patient, the regions treated, the protocol and the first session."""

    study_code = StringField("Study code", validators=[
        DataRequired(), Length(max=32),
        Regexp(STUDY_CODE_RE, message="Use letters, digits and dashes only.")])
    first_name = StringField("First name", validators=[DataRequired(), Length(max=80)])
    consent_date = DateField("Consent date", validators=[DataRequired()])
    regions = SelectMultipleField("Nerve regions treated", validators=[
        DataRequired(message="Choose at least one nerve region.")])
    protocol_version_id = SelectField("Follow-up protocol", coerce=int)
    enrolled_on = DateField("Enrolment date", validators=[DataRequired()])
    first_session = DateTimeLocalField("First session (patient's local time, optional)",
                                       format="%Y-%m-%dT%H:%M", validators=[Optional()])


class ContactLogForm(FlaskForm):
    """A phone call or a note about a patient, optionally about one assignment."""

    kind = SelectField("Kind", choices=[SelectChoice("phone", "Contacted by phone"),
                                         SelectChoice("note", "Note")])
    note = TextAreaField("Note", validators=[Length(max=1000)])
    assignment_id = HiddenField()

    def validate_note(self, field) -> None:
        """A note must say something."""
        if self.kind.data == "note" and not (field.data or "").strip():
            raise ValidationError("Write the note before saving it.")

    def validate_assignment_id(self, field) -> None:
        """Only digits (the view checks the assignment belongs to the patient)."""
        if field.data and not re.fullmatch(r"\d{1,12}", field.data):
            raise ValidationError("Unknown follow-up.")
