"""The protocol builder's WTForms: the protocol's settings and one row form per timepoint.

The forms convert types only (whole numbers, dates); the rules, worded for a coordinator and
shown on the row concerned, live in ``builder_checks``.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

ANCHOR_WORDS = {"enrolment": "enrolment", "first_session": "the first session",
                "every_session": "every session", "last_session": "the last session"}
UNIT_WORDS = {"days": "days", "weeks": "weeks", "months": "months (calendar)"}
CHANNEL_WORDS = {"email": "Email", "sms": "SMS (text message)"}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _whole_number(label: str) -> IntegerField:
    return IntegerField(label, validators=[Optional()])


class TimepointRow(Form):
    """One timepoint: what is asked, when, and how the patient is reminded."""

    key = HiddenField(filters=[_strip])
    label = StringField("Name", filters=[_strip])
    anchor = SelectField("Counted from", validate_choice=False,
                         choices=[SelectChoice(k, v) for k, v in ANCHOR_WORDS.items()])
    amount = _whole_number("Due (negative: before)")
    unit = SelectField("Unit", validate_choice=False,
                       choices=[SelectChoice(k, v) for k, v in UNIT_WORDS.items()])
    opens = _whole_number("Opens, days before")
    closes = _whole_number("Closes, days after")
    q = SelectMultipleField("Questionnaires", validate_choice=False)
    on_open = BooleanField("On opening")
    later = StringField("Days after opening", filters=[_strip])
    close = StringField("Days before closing", filters=[_strip])
    repeat = _whole_number("Repeat every … days until the last session")
    skip = SelectField("Skip when this one is due nearby", validate_choice=False)
    skip_days = _whole_number("… within days")


class ProtocolBuilderForm(FlaskForm):
    """A protocol: its name, channels, reminder time, quiet hours and timepoints."""

    name = StringField("Protocol name", filters=[_strip])
    channels = SelectMultipleField("Reminders go by", validate_choice=False)
    reminder_time = StringField("Reminder time (patient's local time)", filters=[_strip])
    quiet_start = StringField("Quiet hours from", filters=[_strip])
    quiet_end = StringField("Quiet hours until", filters=[_strip])
    sample_first = DateField("Sample course: first of six weekly sessions on",
                             validators=[Optional()])
    tp = FieldList(FormField(TimepointRow), min_entries=0)


def ordered_choices(chosen: list[str], available: dict[str, str]) -> list[SelectChoice]:
    """The chosen values first, in their order (it matters), then the rest of the library."""
    first = [SelectChoice(v, available.get(v, v)) for v in dict.fromkeys(chosen)]
    rest = [SelectChoice(v, name) for v, name in available.items() if v not in chosen]
    return first + rest


def set_choices(form: ProtocolBuilderForm, instruments: dict[str, str]) -> None:
    """Give each row its questionnaire boxes and the earlier rows it may skip near."""
    form.channels.choices = ordered_choices(list(form.channels.data or []), CHANNEL_WORDS)
    names = {e.form.key.data: e.form.label.data or e.form.key.data for e in form.tp}
    earlier: list[SelectChoice] = [SelectChoice("", "never")]
    for entry in form.tp:
        row = entry.form
        row.q.choices = ordered_choices(list(row.q.data or []), instruments)
        row.skip.choices = list(earlier)
        if row.skip.data and row.skip.data not in {c.value for c in earlier}:
            # Kept so the choice is not lost silently; the checks say it must move up.
            name = names.get(row.skip.data, row.skip.data)
            row.skip.choices.append(SelectChoice(row.skip.data, f"{name} (not above this one)"))
        if row.key.data and row.label.data:
            earlier.append(SelectChoice(row.key.data, row.label.data))


def set_value(field, value: str) -> None:
    """Change a submitted field's value so that the page shows the new one."""
    field.data = value
    field.raw_data = [value]
