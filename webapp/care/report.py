"""The printable one-page report's tables: regions with their outcomes, and the sessions.

Plain rows for the template (webapp/care/templates/clinician/show_report.html); the charts
are the patient page's server-drawn SVG panels.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from charts.data import CsaPoint
from charts.panels_svg import csa_cutoff
from webapp.care.patient_view import OVERALL_KINDS, PanelView, PatientView
from webapp.care.trajectory import region_label

REGION_OUTCOMES = ("pain", "paresthesia")
OUTCOME_NAMES = {"pain": "Pain", "paresthesia": "Paresthesia", "function": "Function (PSFS)",
                 "pgic": "Global change (PGIC)"}


@dataclass(frozen=True)
class ReportRegion:
    """One treated region: its number in the sessions table, sessions, CSA and outcomes."""

    number: int
    code: str
    label: str
    sessions: int
    csa: tuple[float, float] | None
    cutoff: float | None
    outcomes: dict[str, dict] = field(default_factory=dict)  # pain, paresthesia -> summary row


@dataclass(frozen=True)
class ReportSession:
    """One session's line: regions by their numbers, what was injected, the note."""

    number: int | None
    when: object
    status: str
    regions: str
    injectates: str
    volume_ml: float | None
    note: str | None


def report_regions(view: PatientView, records: Mapping[int, Sequence]) -> list[ReportRegion]:
    """Return every region with answers, CSA or a procedure, in the panels' order."""
    codes = [p.region_code for p in view.panels if p.kind not in OVERALL_KINDS]
    codes += sorted(r.region_code for rows in records.values() for r in rows)
    treated: dict[str, int] = {}
    for rows in records.values():
        for code in {r.region_code for r in rows}:
            treated[code] = treated.get(code, 0) + 1
    regions = []
    for number, code in enumerate(dict.fromkeys(codes), start=1):
        label = region_label(code)
        outcomes = {r["outcome"]: r for r in view.summary
                    if r["outcome"] in REGION_OUTCOMES and r["region_label"] == label}
        regions.append(ReportRegion(number, code, label, treated.get(code, 0),
                                    _csa_span(view.data.csa_points, code),
                                    csa_cutoff(code, label), outcomes))
    return regions


def overall_rows(view: PatientView) -> list[dict]:
    """Return the function (PSFS) and PGIC summary rows, which are not per region."""
    return [dict(r, outcome_name=OUTCOME_NAMES[r["outcome"]]) for r in view.summary
            if r["outcome"] in OVERALL_KINDS]


def report_panels(view: PatientView) -> list[PanelView]:
    """Return the panels printed: symptoms per region, function and PGIC (CSA is in the table)."""
    return [p for p in view.panels if p.kind != "csa"]


def report_sessions(sessions: Sequence, records: Mapping[int, Sequence],
                    numbers: Mapping[int, int], regions: Sequence[ReportRegion],
                    when_of) -> list[ReportSession]:
    """Return one line per session: `when_of(session)` gives its local date and time."""
    number_of = {r.code: r.number for r in regions}
    lines = []
    for session in sessions:
        rows = records.get(session.id, [])
        volumes = [r.volume_ml for r in rows if r.volume_ml is not None]
        injected = dict.fromkeys(" ".join(filter(None, (r.injectate, r.concentration)))
                                 for r in rows)
        lines.append(ReportSession(
            numbers.get(session.id), when_of(session), session.status,
            number_ranges(number_of[r.region_code] for r in rows if r.region_code in number_of),
            ", ".join(injected), round(sum(volumes), 1) if volumes else None,
            session.notes or None))
    return lines


def number_ranges(numbers: Iterable[int]) -> str:
    """Return '1–3, 5' for 1, 2, 3, 5 ('' for none)."""
    ordered = sorted(set(numbers))
    runs: list[list[int]] = []
    for number in ordered:
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    return ", ".join(f"{run[0]}–{run[-1]}" if len(run) > 2 else
                     ", ".join(str(n) for n in run) for run in runs)


def _csa_span(points: Sequence[CsaPoint], code: str) -> tuple[float, float] | None:
    ordered = sorted((p for p in points if p.region_code == code), key=lambda p: p.day)
    return (ordered[0].csa_mm2, ordered[-1].csa_mm2) if ordered else None
