"""WTForms for the coordinator's pages: enrolment, contact details, the course and the worklist.

Forms check format only; rules that need the database (study code in use, protocol version
exists) live in the views and in webapp.care.records. Choices that depend on the clinic (its
languages, its time zone) are set by the views.
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

from surveys.languages import LANGUAGE_CODES, Language, find_language, get_language
from webapp.care.records import CareError
from webapp.models import CHANNELS
from webapp.patients.enrolment import check_timezone, parse_tags

EMAIL_RE = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
E164_RE = r"^\+[1-9]\d{6,14}$"
STUDY_CODE_RE = r"^[A-Za-z0-9][A-Za-z0-9-]*$"
CHANNEL_CHOICES = [SelectChoice(c, "Email" if c == "email" else "SMS (text message)")
                   for c in CHANNELS]


def _check_zone(_form, field) -> None:
    try:
        check_timezone((field.data or "").strip())
    except CareError as exc:
        raise ValidationError(str(exc)) from None


def _check_tags(_form, field) -> None:
    try:
        parse_tags(field.data)
    except CareError as exc:
        raise ValidationError(str(exc)) from None


def served_languages(config) -> list[Language]:
    """The languages the clinic serves (NERVETRACK_LANGUAGES, e.g. "en,fr,es,fa"), in order."""
    raw = config.get("LANGUAGES") or ",".join(LANGUAGE_CODES)
    tags = raw.split(",") if isinstance(raw, str) else list(raw)
    found = [find_language(str(tag).strip()) for tag in tags]
    return list(dict.fromkeys(lang for lang in found if lang)) or [get_language(None)]


def language_choices(config, current: str | None = None) -> list[SelectChoice]:
    """The served languages by their own names; a patient's other language stays choosable."""
    choices = [SelectChoice(lang.code, f"{lang.native_name} ({lang.english_name})")
               for lang in served_languages(config)]
    if current and current not in {c.value for c in choices}:
        choices.append(SelectChoice(current, f"{current} (not served by the clinic)"))
    return choices


class ContactDetailsForm(FlaskForm):
    """How and when a patient is reached."""

    email = StringField("Email", validators=[Optional(), Length(max=254),
                                             Regexp(EMAIL_RE, message="Enter a valid email.")])
    phone = StringField("Mobile phone (E.164, e.g. +447700900123)", validators=[
        Optional(), Regexp(E164_RE, message="Write the number as + then digits, e.g. "
                                            "+447700900123.")])
    timezone = StringField("Time zone (type to search, e.g. Paris)",
                           validators=[DataRequired(), Length(max=64), _check_zone])
    language = SelectField("Language of questions and reminders",
                           validators=[DataRequired()])
    preferred_channel = SelectField("Preferred channel", choices=CHANNEL_CHOICES)
    tags = StringField("Tags (comma-separated, e.g. scleroderma, diabetes)",
                       validators=[Optional(), Length(max=600), _check_tags])

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
    # The region the patient came for, among those ticked (checked by the view); default first.
    index_region = HiddenField()


class IndexRegionForm(FlaskForm):
    """The region a course is analysed by, among its regions (choices set by the view)."""

    index_region = SelectField("Index region (the one the patient came for)")


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
