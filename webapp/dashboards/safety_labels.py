"""Safety flags in plain words: kind, severity, region and times in the clinic's and patient's zone.

Flags store codes (`adverse_event`, `worsening`, region codes inside a worsening flag's detail);
the triage page shows only these labels. Nothing here reads the database or the clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from surveys.catalogue import get_region
from webapp.care.trajectory import region_label

KIND_LABELS = {"adverse_event": "Adverse event after a session",
               "worsening": "Worse than baseline or last time"}
SEVERITY_LABELS = {"serious": "Serious", "watch": "Watch"}
NO_REGION = "Not region-specific"
# A region code is lower-case words joined by hyphens; only catalogue codes are replaced.
CODE_RE = re.compile(r"\b[a-z0-9]+(?:-[a-z0-9]+)+\b")
TRAILING_REGION_RE = re.compile(r"\s+in\s+([a-z0-9]+(?:-[a-z0-9]+)+)\s*$")


def kind_label(kind: str) -> str:
    """Return a flag kind in plain words (an unknown kind is de-underscored, never raw)."""
    return KIND_LABELS.get(kind) or kind.replace("_", " ").capitalize()


def severity_label(severity: str) -> str:
    """Return a flag severity in plain words."""
    return SEVERITY_LABELS.get(severity) or severity.replace("_", " ").capitalize()


def _is_region(code: str) -> bool:
    try:
        get_region(code)
    except KeyError:
        return False
    return True


def plain_detail(detail: str) -> tuple[str, str]:
    """Split a flag's detail into (text with region codes in words, the region's label).

    A worsening flag reads "pain 7 (baseline 4, previous 5) in <region code>": the region moves
    to its own column. Any other catalogue code left in the text is replaced by its label.
    """
    region = NO_REGION
    match = TRAILING_REGION_RE.search(detail)
    if match and _is_region(match.group(1)):
        region = region_label(match.group(1))
        detail = detail[:1].upper() + detail[1:match.start()]  # "pain 7 ..." -> "Pain 7 ..."
    text = CODE_RE.sub(lambda m: region_label(m.group(0)) if _is_region(m.group(0))
                       else m.group(0), detail)
    return text, region


def zone_or_utc(name: str | None) -> ZoneInfo:
    """Return the named time zone, or UTC when the name is missing or unknown."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_time(instant: datetime, zone: ZoneInfo) -> str:
    """Return '03 Mar 2026 09:14 GMT': an instant on the wall clock of a zone."""
    local = instant.astimezone(zone)
    return f"{local:%d %b %Y %H:%M} {local:%Z}"


@dataclass(frozen=True)
class FlagRow:
    """One flag as the triage page shows it, in plain words."""

    id: int
    severity: str
    severity_label: str
    kind_label: str
    region: str
    detail: str
    raised_clinic: str
    raised_patient: str | None  # None when the patient's clock reads the same as the clinic's
    patient_zone: str
    is_new: bool
    patient_id: int
    study_code: str
    synthetic: bool
    acknowledged_clinic: str | None
    ack_note: str | None


def flag_row(flag, patient, clinic: ZoneInfo, since: datetime | None) -> FlagRow:
    """Return the plain-words view of a (SafetyFlag, Patient) pair."""
    detail, region = plain_detail(flag.detail)
    patient_zone = zone_or_utc(patient.timezone)
    clinic_text, patient_text = (local_time(flag.raised_at, z) for z in (clinic, patient_zone))
    same_clock = (flag.raised_at.astimezone(clinic).replace(tzinfo=None)
                  == flag.raised_at.astimezone(patient_zone).replace(tzinfo=None))
    return FlagRow(
        id=flag.id, severity=flag.severity, severity_label=severity_label(flag.severity),
        kind_label=kind_label(flag.kind), region=region, detail=detail,
        raised_clinic=clinic_text, raised_patient=None if same_clock else patient_text,
        patient_zone=patient.timezone, is_new=since is None or flag.raised_at > since,
        patient_id=patient.id, study_code=patient.study_code, synthetic=patient.synthetic,
        acknowledged_clinic=(local_time(flag.acknowledged_at, clinic)
                             if flag.acknowledged_at else None),
        ack_note=flag.ack_note)
