"""What the protocol pages look up: a protocol or version (or 404), the questionnaire names."""

from __future__ import annotations

from flask import abort

from scheduler.protocol import load_default_protocol, protocol_to_dict
from webapp import params
from webapp.db import get_session
from webapp.models import Protocol, ProtocolVersion
from webapp.survey.instruments import get_library

# A valid one-timepoint skeleton to start "from scratch".
SCRATCH = {
    "name": "New protocol", "channels": ["email"], "reminder_time": "09:00",
    "quiet_hours": {"start": "21:00", "end": "08:00"},
    "timepoints": [{"key": "m1", "label": "1 month after the last session",
                    "anchor": "last_session", "offset_months": 1,
                    "window": {"opens_days": -7, "closes_days": 14},
                    "instruments": ["nt-pain"], "reminders": [{"when": "open", "days": 0}]}],
}


def protocol_or_404(protocol_id: int) -> Protocol:
    """The protocol with this id, or a 404."""
    proto = get_session().get(Protocol, protocol_id)
    if proto is None:
        abort(404)
    return proto


def version_or_404(version_id: int) -> ProtocolVersion:
    """The protocol version with this id, or a 404."""
    version = get_session().get(ProtocolVersion, version_id)
    if version is None:
        abort(404)
    return version


def instrument_titles() -> dict[str, str]:
    """{instrument id: its plain name} for every questionnaire the clinic serves."""
    return {defn.id: defn.title for defn in get_library().all()}


def starting_definition(source: str | None) -> dict:
    """A new protocol's start: a copy of a version (its id), "scratch", or the default."""
    if source and source.isdigit():
        return dict(version_or_404(params.id_or_404(source)).definition)
    if source == "scratch":
        return dict(SCRATCH)
    return protocol_to_dict(load_default_protocol())
