"""Safety triage queries: allow-listed filters, stable paging, and the clinician's last visit.

"New since my last visit" uses the audit trail (no extra column): the last visit is the latest
`safety_flags_viewed` event of this clinician from before their current sign-in, so it stays
put while they page, filter and acknowledge, and moves on at their next sign-in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, func, select

from webapp.dashboards.safety_labels import KIND_LABELS, SEVERITY_LABELS
from webapp.models import AuditEvent, Patient, SafetyFlag

PAGE_SIZE = 25
MAX_PAGE = 100_000
ACKNOWLEDGED_SHOWN = 50
VIEWED = "safety_flags_viewed"
ID_RE = re.compile(r"[1-9][0-9]{0,8}")  # a positive id that fits any integer column


class FilterError(ValueError):
    """A filter value that is not one of the allowed ones, with a message for the clinician."""


@dataclass(frozen=True)
class TriageFilters:
    """What the clinician asked to see: every field comes from an allow-list or is a bounded id."""

    severity: str = ""
    kind: str = ""
    patient: int | None = None
    new: bool = False
    page: int = 1

    def args(self, **changes) -> dict:
        """Return the query-string arguments of these filters, with changes (defaults left out)."""
        f = replace(self, **changes)
        values = {"severity": f.severity, "kind": f.kind, "patient": f.patient,
                  "new": "1" if f.new else "", "page": f.page if f.page > 1 else None}
        return {k: v for k, v in values.items() if v not in ("", None)}

    @property
    def active(self) -> bool:
        """Whether any filter (not the page) narrows the list."""
        return bool(self.severity or self.kind or self.patient or self.new)


def _choice(args: Mapping[str, str], name: str, allowed, message: str) -> str:
    value = args.get(name, "")
    if value and value not in allowed:
        raise FilterError(message)
    return value


def _number(args: Mapping[str, str], name: str, message: str) -> int | None:
    value = args.get(name, "")
    if not value:
        return None
    if not ID_RE.fullmatch(value):
        raise FilterError(message)
    return int(value)


def parse_filters(args: Mapping[str, str]) -> TriageFilters:
    """Return the filters of a query string; FilterError for a value outside the allow-lists."""
    severity = _choice(args, "severity", SEVERITY_LABELS, "Choose a severity from the list.")
    kind = _choice(args, "kind", KIND_LABELS, "Choose a kind of flag from the list.")
    new = _choice(args, "new", ("1",), "'New since my last visit' is either ticked or not.")
    patient = _number(args, "patient", "Choose a patient from the list.")
    page = _number(args, "page", "The page must be a whole number from 1.") or 1
    return TriageFilters(severity, kind, patient, bool(new), min(page, MAX_PAGE))


def last_visit(db: Session, user_id: int) -> datetime | None:
    """Return when this clinician last opened the safety list before the current sign-in."""
    signed_in = db.exec(select(func.max(AuditEvent.at)).where(
        AuditEvent.action == "sign_in", AuditEvent.actor_type == "staff",
        AuditEvent.actor_id == user_id)).one()
    query = select(func.max(AuditEvent.at)).where(
        AuditEvent.action == VIEWED, AuditEvent.actor_type == "staff",
        AuditEvent.actor_id == user_id)
    if signed_in is not None:
        query = query.where(AuditEvent.at < signed_in)
    return db.exec(query).one()


def _where(filters: TriageFilters, since: datetime | None) -> list:
    clauses = [Patient.erased_at.is_(None)]
    if filters.severity:
        clauses.append(SafetyFlag.severity == filters.severity)
    if filters.kind:
        clauses.append(SafetyFlag.kind == filters.kind)
    if filters.patient:
        clauses.append(SafetyFlag.patient_id == filters.patient)
    if filters.new and since is not None:
        clauses.append(SafetyFlag.raised_at > since)
    return clauses


@dataclass(frozen=True)
class FlagPage:
    """One page of open flags and where it sits in the whole filtered list."""

    rows: list
    total: int
    page: int
    pages: int

    @property
    def first(self) -> int:
        """The 1-based position of the page's first row (0 when there is none)."""
        return (self.page - 1) * PAGE_SIZE + 1 if self.rows else 0


def open_flags(db: Session, filters: TriageFilters, since: datetime | None) -> FlagPage:
    """Return a page of open flags: serious first, newest first, then by id (stable paging)."""
    clauses = [*_where(filters, since), SafetyFlag.acknowledged_at.is_(None)]
    joined = select(SafetyFlag, Patient).join(Patient, Patient.id == SafetyFlag.patient_id)
    total = db.exec(select(func.count()).select_from(SafetyFlag)
                    .join(Patient, Patient.id == SafetyFlag.patient_id).where(*clauses)).one()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(filters.page, pages)  # past the end: the last page, not an empty one
    rows = db.exec(joined.where(*clauses)
                   .order_by(sa.case((SafetyFlag.severity == "serious", 0), else_=1),
                             SafetyFlag.raised_at.desc(), SafetyFlag.id.desc())
                   .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    return FlagPage(list(rows), total, page, pages)


def acknowledged_flags(db: Session, filters: TriageFilters) -> list:
    """Return the latest acknowledged flags that match the filters (not 'new')."""
    clauses = [*_where(replace(filters, new=False), None),
               SafetyFlag.acknowledged_at.is_not(None)]
    return list(db.exec(select(SafetyFlag, Patient)
                        .join(Patient, Patient.id == SafetyFlag.patient_id).where(*clauses)
                        .order_by(SafetyFlag.acknowledged_at.desc(), SafetyFlag.id.desc())
                        .limit(ACKNOWLEDGED_SHOWN)).all())


def flagged_patients(db: Session) -> list[tuple[int, str]]:
    """Return (id, study code) of the live patients with an open flag, for the patient filter."""
    return list(db.exec(select(Patient.id, Patient.study_code).distinct()
                        .join(SafetyFlag, SafetyFlag.patient_id == Patient.id)
                        .where(Patient.erased_at.is_(None), SafetyFlag.acknowledged_at.is_(None))
                        .order_by(Patient.study_code, Patient.id)).all())
