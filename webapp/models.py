"""All NerveTrack tables, in one place.

Timestamps are timezone-aware and stored in UTC (see ``UTCDateTime``). Enumerations are
stored as short strings and checked in Python, so adding a value never needs a database
type migration. Free-form structures (protocol definitions, answers, scores) are JSON.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Field, SQLModel


class UTCDateTime(sa.types.TypeDecorator):
    """A DateTime that refuses naive values and always comes back aware in UTC."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: pass an aware datetime")
        value = value.astimezone(UTC)
        # SQLite has no time zones: store naive UTC there.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    """Return the current instant, aware, in UTC (the only clock read in the models)."""
    return datetime.now(UTC)


def _ts(nullable: bool = False, index: bool = False, default: bool = False):
    kwargs = {"sa_type": UTCDateTime, "nullable": nullable, "index": index}
    if default:
        return Field(default_factory=utcnow, **kwargs)
    return Field(default=None, **kwargs)


ROLES = ("clinician", "coordinator", "admin")
PATIENT_STATUSES = ("active", "paused", "withdrawn", "discharged")
CHANNELS = ("email", "sms")
COURSE_STATUSES = ("active", "ended")
SESSION_STATUSES = ("scheduled", "performed", "cancelled")
INJECTATES = ("D5W", "D15W", "saline", "lidocaine", "other")
APPROACHES = ("in-plane short axis", "in-plane long axis", "out-of-plane", "other")


class StaffUser(SQLModel, table=True):
    __tablename__ = "staff_user"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    name: str = Field(max_length=120)
    role: str = Field(max_length=20)
    is_active: bool = Field(default=True)
    password_hash: str = Field(max_length=255)
    totp_secret: str | None = Field(default=None, max_length=64)
    totp_enabled: bool = Field(default=False)
    # The last TOTP time step accepted, so the same code can never sign in twice.
    totp_last_step: int | None = Field(default=None)
    created_at: datetime = _ts(default=True)
    last_login_at: datetime | None = _ts(nullable=True)


class AuthSession(SQLModel, table=True):
    """A signed-in browser, held on the server so that sign-out and expiry really end it."""

    __tablename__ = "auth_session"

    id: int | None = Field(default=None, primary_key=True)
    sid_hash: str = Field(max_length=64, unique=True, index=True)
    kind: str = Field(max_length=10)  # staff | patient
    staff_user_id: int | None = Field(default=None, foreign_key="staff_user.id", index=True)
    patient_id: int | None = Field(default=None, foreign_key="patient.id", index=True)
    created_at: datetime = _ts(default=True)
    last_seen_at: datetime = _ts(default=True)
    expires_at: datetime = _ts()
    revoked_at: datetime | None = _ts(nullable=True)
    ip: str | None = Field(default=None, max_length=64)


class LoginFailure(SQLModel, table=True):
    """One failed sign-in, counted per account and per address for lockout."""

    __tablename__ = "login_failure"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, index=True)
    ip: str = Field(max_length=64, index=True)
    at: datetime = _ts(default=True, index=True)


class Patient(SQLModel, table=True):
    __tablename__ = "patient"

    id: int | None = Field(default=None, primary_key=True)
    study_code: str = Field(max_length=32, unique=True, index=True)
    first_name: str = Field(max_length=80)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=32)
    timezone: str = Field(default="UTC", max_length=64)
    language: str = Field(default="en", max_length=16)
    preferred_channel: str = Field(default="email", max_length=10)
    status: str = Field(default="active", max_length=20, index=True)
    consent_date: date | None = Field(default=None)
    synthetic: bool = Field(default=False)
    # Clinic-defined labels for subgroup analysis (e.g. the underlying condition).
    tags: list = Field(default_factory=list, sa_type=sa.JSON)
    # The patient's own choice: no reminders until then (pause), or none at all (stop).
    reminders_paused_until: datetime | None = _ts(nullable=True)
    reminders_stopped_at: datetime | None = _ts(nullable=True)
    created_at: datetime = _ts(default=True)
    updated_at: datetime = _ts(default=True)
    erased_at: datetime | None = _ts(nullable=True)


class Protocol(SQLModel, table=True):
    __tablename__ = "protocol"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    created_at: datetime = _ts(default=True)
    archived: bool = Field(default=False)


class ProtocolVersion(SQLModel, table=True):
    """An immutable version of a protocol; editing a protocol adds a version."""

    __tablename__ = "protocol_version"
    __table_args__ = (sa.UniqueConstraint("protocol_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    protocol_id: int = Field(foreign_key="protocol.id", index=True)
    version: int
    definition: dict = Field(sa_type=sa.JSON)
    created_at: datetime = _ts(default=True)
    created_by_id: int | None = Field(default=None, foreign_key="staff_user.id")


class TreatmentCourse(SQLModel, table=True):
    """A patient's episode of care: the regions treated and the follow-up protocol used."""

    __tablename__ = "treatment_course"

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    enrolled_on: date
    protocol_version_id: int = Field(foreign_key="protocol_version.id")
    status: str = Field(default="active", max_length=20)
    ended_on: date | None = Field(default=None)
    # The region the patient came for (patient-level analysis); default: the first enrolled.
    index_region_code: str | None = Field(default=None, max_length=64)
    needs_replan: bool = Field(default=True, index=True)
    replanned_at: datetime | None = _ts(nullable=True)
    created_at: datetime = _ts(default=True)
    updated_at: datetime = _ts(default=True)


class CourseRegion(SQLModel, table=True):
    """A nerve region (nerve + side + site, from the surveys catalogue) under treatment."""

    __tablename__ = "course_region"
    __table_args__ = (sa.UniqueConstraint("course_id", "region_code"),)

    id: int | None = Field(default=None, primary_key=True)
    course_id: int = Field(foreign_key="treatment_course.id", index=True)
    region_code: str = Field(max_length=64)
    nerve: str = Field(max_length=40, index=True)
    side: str = Field(max_length=10)
    site: str = Field(max_length=40)
    added_at: datetime = _ts(default=True)


class TreatmentSession(SQLModel, table=True):
    __tablename__ = "treatment_session"

    id: int | None = Field(default=None, primary_key=True)
    course_id: int = Field(foreign_key="treatment_course.id", index=True)
    scheduled_at: datetime = _ts()
    performed_at: datetime | None = _ts(nullable=True)
    status: str = Field(default="scheduled", max_length=20)
    notes: str | None = Field(default=None, max_length=2000)
    created_at: datetime = _ts(default=True)
    updated_at: datetime = _ts(default=True)


class ProcedureRecord(SQLModel, table=True):
    """What was done to one nerve region in one session, with the ultrasound findings."""

    __tablename__ = "procedure_record"
    __table_args__ = (sa.UniqueConstraint("session_id", "region_code"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="treatment_session.id", index=True)
    region_code: str = Field(max_length=64)
    injectate: str = Field(max_length=20)
    concentration: str | None = Field(default=None, max_length=20)
    volume_ml: float | None = Field(default=None)
    approach: str | None = Field(default=None, max_length=40)
    needle: str | None = Field(default=None, max_length=40)
    csa_mm2: float | None = Field(default=None)
    contralateral_csa_mm2: float | None = Field(default=None)
    echotexture: str | None = Field(default=None, max_length=40)
    fascia: str | None = Field(default=None, max_length=40)
    glide: str | None = Field(default=None, max_length=40)
    doppler: str | None = Field(default=None, max_length=40)
    immediate_relief_pct: int | None = Field(default=None)
    adverse_events: str | None = Field(default=None, max_length=1000)


class SurveyAssignment(SQLModel, table=True):
    """One planned timepoint for one course: a window in which the patient answers."""

    __tablename__ = "survey_assignment"
    __table_args__ = (sa.UniqueConstraint("course_id", "slot"),)

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    course_id: int = Field(foreign_key="treatment_course.id", index=True)
    slot: str = Field(max_length=64)
    timepoint_key: str = Field(max_length=64)
    label: str = Field(max_length=120)
    due_on: date
    opens_at: datetime = _ts(index=True)
    closes_at: datetime = _ts(index=True)
    instruments: list = Field(sa_type=sa.JSON)
    regions: list = Field(sa_type=sa.JSON)
    status: str = Field(default="pending", max_length=20, index=True)
    completed_at: datetime | None = _ts(nullable=True)
    created_at: datetime = _ts(default=True)
    updated_at: datetime = _ts(default=True)


class SurveyResponse(SQLModel, table=True):
    """Answers to one instrument for one region (or once) within an assignment."""

    __tablename__ = "survey_response"
    __table_args__ = (sa.UniqueConstraint("assignment_id", "instrument_id", "region_code"),)

    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int = Field(foreign_key="survey_assignment.id", index=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    instrument_id: str = Field(max_length=64)
    instrument_version: str = Field(max_length=20)
    region_code: str = Field(default="", max_length=64)
    answers: dict = Field(default_factory=dict, sa_type=sa.JSON)
    is_complete: bool = Field(default=False)
    started_at: datetime = _ts(default=True)
    submitted_at: datetime | None = _ts(nullable=True)


class SurveyScore(SQLModel, table=True):
    """One computed score, kept in long form for dashboards, cohorts and export."""

    __tablename__ = "survey_score"
    __table_args__ = (sa.UniqueConstraint("response_id", "score_id"),)

    id: int | None = Field(default=None, primary_key=True)
    response_id: int = Field(foreign_key="survey_response.id", index=True)
    assignment_id: int = Field(foreign_key="survey_assignment.id", index=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    instrument_id: str = Field(max_length=64)
    region_code: str = Field(default="", max_length=64)
    score_id: str = Field(max_length=64)
    outcome: str = Field(max_length=20, index=True)
    value: float | None = Field(default=None)
    scored_at: datetime = _ts(default=True)


class PatientToken(SQLModel, table=True):
    """A single-use survey link; only the SHA-256 of the token is stored."""

    __tablename__ = "patient_token"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    assignment_id: int | None = Field(default=None, foreign_key="survey_assignment.id")
    created_at: datetime = _ts(default=True)
    expires_at: datetime = _ts()
    used_at: datetime | None = _ts(nullable=True)


class Reminder(SQLModel, table=True):
    """The outbox: one row per reminder slot, claimed and sent by the dispatcher."""

    __tablename__ = "reminder"
    __table_args__ = (sa.Index("ix_reminder_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    slot_key: str = Field(max_length=160, unique=True)
    assignment_id: int = Field(foreign_key="survey_assignment.id", index=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    channel: str = Field(max_length=10)
    send_at: datetime = _ts()
    next_attempt_at: datetime = _ts()
    status: str = Field(default="pending", max_length=20)
    attempts: int = Field(default=0)
    lease_until: datetime | None = _ts(nullable=True)
    last_error: str | None = Field(default=None, max_length=500)
    sent_at: datetime | None = _ts(nullable=True)
    message_id: str | None = Field(default=None, max_length=200)
    created_at: datetime = _ts(default=True)


class SafetyFlag(SQLModel, table=True):
    """Something a clinician must look at: a serious adverse event or a worsening."""

    __tablename__ = "safety_flag"

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    course_id: int | None = Field(default=None, foreign_key="treatment_course.id")
    response_id: int | None = Field(default=None, foreign_key="survey_response.id")
    kind: str = Field(max_length=20)  # adverse_event | worsening
    severity: str = Field(max_length=20)  # serious | watch
    rule_id: str = Field(max_length=64)
    detail: str = Field(max_length=500)
    raised_at: datetime = _ts(default=True, index=True)
    acknowledged_at: datetime | None = _ts(nullable=True)
    acknowledged_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    ack_note: str | None = Field(default=None, max_length=1000)


class ContactLog(SQLModel, table=True):
    """A coordinator's action on the worklist: a phone call, a note, a resend."""

    __tablename__ = "contact_log"

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    assignment_id: int | None = Field(default=None, foreign_key="survey_assignment.id")
    staff_user_id: int | None = Field(default=None, foreign_key="staff_user.id")
    kind: str = Field(max_length=20)  # phone | note | resend
    note: str | None = Field(default=None, max_length=1000)
    at: datetime = _ts(default=True)


class AuditEvent(SQLModel, table=True):
    """Append-only trail of who did what to which record, when and from where."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts(default=True, index=True)
    actor_type: str = Field(max_length=10)  # staff | patient | system
    actor_id: int | None = Field(default=None)
    actor_label: str | None = Field(default=None, max_length=254)
    action: str = Field(max_length=60, index=True)
    record_type: str | None = Field(default=None, max_length=40)
    record_id: int | None = Field(default=None)
    patient_id: int | None = Field(default=None, index=True)
    ip: str | None = Field(default=None, max_length=64)
    detail: dict = Field(default_factory=dict, sa_type=sa.JSON)


class AuditTrailIsAppendOnly(Exception):
    """Raised when code tries to change or delete an audit event."""


@event.listens_for(OrmSession, "before_flush")
def _refuse_audit_changes(session, flush_context, instances):
    for obj in session.deleted:
        if isinstance(obj, AuditEvent):
            raise AuditTrailIsAppendOnly("audit events cannot be changed or deleted")
    for obj in session.dirty:
        if isinstance(obj, AuditEvent) and session.is_modified(obj):
            raise AuditTrailIsAppendOnly("audit events cannot be changed or deleted")
