"""WTForms for the clinician: a treatment session with one sub-form per course region.

Forms check format and ranges only; whether a date is in the future for the patient's time
zone, and which regions belong to the course, are checked by the view.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FloatField,
    Form,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from webapp.models import APPROACHES, INJECTATES, SESSION_STATUSES

TEXT_FIELDS = ("concentration", "needle", "echotexture", "fascia", "glide", "doppler",
               "adverse_events")
NUMBER_FIELDS = ("volume_ml", "csa_mm2", "contralateral_csa_mm2", "immediate_relief_pct")
PROCEDURE_FIELDS = ("injectate", "approach", *TEXT_FIELDS, *NUMBER_FIELDS)


def _short(label: str, size: int = 40) -> StringField:
    return StringField(label, validators=[Optional(), Length(max=size)])


def _csa(label: str) -> FloatField:
    return FloatField(label, validators=[
        Optional(), NumberRange(1, 60, message="Cross-sectional area must be 1 to 60 mm².")])


class RegionForm(Form):
    """What was done to one nerve region in the session (ignored unless 'treated' is ticked)."""

    treated = BooleanField("Treated in this session")
    injectate = SelectField("Injectate", choices=list(INJECTATES))
    concentration = _short("Concentration", 20)
    volume_ml = FloatField("Volume (mL)", validators=[
        Optional(), NumberRange(0.1, 30, message="Volume must be 0.1 to 30 mL.")])
    approach = SelectField("Approach", choices=[SelectChoice("", "(not recorded)"), *APPROACHES],
                           validators=[Optional()])
    needle = _short("Needle")
    csa_mm2 = _csa("CSA (mm²)")
    contralateral_csa_mm2 = _csa("Contralateral CSA (mm²)")
    echotexture = _short("Echotexture")
    fascia = _short("Fascia")
    glide = _short("Nerve glide")
    doppler = _short("Doppler")
    immediate_relief_pct = IntegerField("Immediate relief (%)", validators=[
        Optional(), NumberRange(0, 100, message="Relief must be 0 to 100 %%.")])
    adverse_events = TextAreaField("Adverse events", validators=[Optional(), Length(max=1000)])

    def validate(self, extra_validators=None) -> bool:
        """Check the fields only when the region is ticked: an untreated region is never stored."""
        if not self.treated.data:
            return True
        return super().validate(extra_validators)


class SessionForm(FlaskForm):
    """A treatment session: when (patient's local time), status, notes and per-region records."""

    date = DateField("Date", validators=[DataRequired(message="Enter the date.")])
    time = TimeField("Time", validators=[DataRequired(message="Enter the time.")])
    status = SelectField("Status", choices=list(SESSION_STATUSES))
    notes = TextAreaField("Note (shown on the patient's timeline)",
                          validators=[Optional(), Length(max=2000)])
    # Rendered as a checkbox whose value names the entered instant, so a confirmation given
    # for one time does not carry over to another (see session_views).
    confirm_duplicate = StringField("Confirm", validators=[Optional(), Length(max=40)])


def session_form(region_count: int, **kwargs) -> SessionForm:
    """Return a SessionForm with exactly one region sub-form per course region."""

    class BoundSessionForm(SessionForm):
        regions = FieldList(FormField(RegionForm), min_entries=region_count,
                            max_entries=region_count)

    return BoundSessionForm(**kwargs)


def treated_indexes(form: SessionForm) -> list[int]:
    """Return the positions of the region sub-forms ticked as treated."""
    return [i for i, entry in enumerate(form.regions.entries) if entry.form.treated.data]


def procedure_values(entry: RegionForm) -> dict:
    """Return ProcedureRecord column values from a region sub-form (blank text -> None)."""
    values = {}
    for name in PROCEDURE_FIELDS:
        value = entry[name].data
        if isinstance(value, str):
            value = value.strip() or None
        values[name] = value
    return values


def region_data(record) -> dict:
    """Return sub-form data pre-filled from a stored ProcedureRecord (or an untreated blank)."""
    if record is None:
        return {"treated": False}
    data = {name: getattr(record, name) for name in PROCEDURE_FIELDS}
    data["approach"] = data["approach"] or ""
    data["treated"] = True
    return data

