"""Deterministic demo data: staff logins, the scleroderma case and a synthetic cohort.

Everything is placed relative to `today` so the demo always has history, open windows and
upcoming reminders; the random generator has a fixed seed, and patients that already exist
(by study code) are skipped, so seeding twice changes nothing. Who the patients are is planned
in webapp.demo.plans; this module writes them through the app's own code.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from webapp.auth.users import create_user
from webapp.care.records import add_treatment_session, record_procedure
from webapp.demo.accounts import DEMO_ADMIN_TOTP_SECRET, DEMO_PASSWORDS
from webapp.demo.answers import answer_assignment
from webapp.demo.plans import (
    COHORT_SIZE,
    DEMO_PATIENT_CODE,
    DEMO_PATIENTS_ABROAD,
    SCLERODERMA_CODE,
    SCLERODERMA_REGIONS,
    PlannedPatient,
    demo_patient,
    demo_patients_abroad,
    scleroderma_case,
    synthetic_cohort,
)
from webapp.followup import outbox
from webapp.followup.replan import replan_course
from webapp.models import (
    Patient,
    StaffUser,
    SurveyAssignment,
    TreatmentCourse,
    TreatmentSession,
)
from webapp.patients.enrolment import enrol_patient
from webapp.protocols.store import ensure_default_protocol
from webapp.survey.links import issue_link, link_url

__all__ = ["DEMO_PATIENTS_ABROAD", "DEMO_PATIENT_CODE", "SCLERODERMA_CODE", "SCLERODERMA_REGIONS",
           "demo_patient_link", "seed_demo", "seed_staff"]


@dataclass
class SeedSummary:
    created: dict[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        """Say in one line what seeding did."""
        if not any(self.created.values()):
            return "Demo data already present: nothing changed."
        parts = ", ".join(f"{n} {what}" for what, n in self.created.items() if n)
        return f"Seeded demo data: {parts}."


def seed_staff(session: Session) -> int:
    """Create the demo staff users that do not exist yet; return how many were made."""
    made = 0
    for role, (email, password) in DEMO_PASSWORDS.items():
        if session.exec(select(StaffUser).where(StaffUser.email == email)).first() is None:
            user = create_user(session=session, email=email, name=f"Demo {role}", role=role,
                               password=password)
            if role == "admin":
                user.totp_secret, user.totp_enabled = DEMO_ADMIN_TOTP_SECRET, True
            made += 1
    return made


def seed_demo(*, session: Session, today: date | None = None,
              cohort_size: int = COHORT_SIZE) -> SeedSummary:
    """Seed everything the demo shows; running it again changes nothing."""
    today = today or datetime.now(UTC).date()
    summary = SeedSummary()
    summary.created["staff users"] = seed_staff(session)
    version = ensure_default_protocol(session)
    session.commit()
    planned = [scleroderma_case(today), demo_patient(today), *demo_patients_abroad(today),
               *synthetic_cohort(today, cohort_size)]
    made = 0
    for patient in planned:
        if session.exec(select(Patient).where(Patient.study_code == patient.code)).first():
            continue
        _create_patient(session, patient, version.id, today)
        session.commit()
        made += 1
    summary.created["patients"] = made
    return summary


def _local_dt(day: date, hour: int, tz: str) -> datetime:
    return datetime.combine(day, time(hour), ZoneInfo(tz)).astimezone(UTC)


def _create_patient(session: Session, p: PlannedPatient, version_id: int, today: date) -> None:
    enrolled = p.first_session - timedelta(days=10)
    course = enrol_patient(
        session, study_code=p.code, first_name=p.first_name, timezone=p.timezone,
        regions=list(p.regions), protocol_version_id=version_id, enrolled_on=enrolled,
        email=f"{p.code.lower()}@example.org", phone="+15550100" + p.code[-3:],
        preferred_channel=p.channel, consent_date=enrolled, synthetic=p.synthetic,
        language=p.language)
    session.get(Patient, course.patient_id).tags = list(p.tags)
    course.index_region_code = p.index_region
    _add_sessions(session, course, p, today)
    now = datetime.combine(today, time(8), ZoneInfo(p.timezone)).astimezone(UTC)
    replan_course(session, course.id, now=_local_dt(enrolled - timedelta(days=30), 0, "UTC"))
    _play_history(session, course, p, now)
    last_session = p.first_session + timedelta(days=p.session_gap_days * (p.session_count - 1))
    if last_session < today:
        course.status = "ended"
        course.ended_on = last_session
        session.add(course)
    replan_course(session, course.id, now=now)


def _add_sessions(session: Session, course: TreatmentCourse, p: PlannedPatient,
                  today: date) -> None:
    rng = random.Random(p.trajectory.seed)
    for number in range(p.session_count):
        day = p.first_session + timedelta(days=p.session_gap_days * number)
        at = _local_dt(day, 10, p.timezone)
        performed = day < today
        note = p.notes[number] if performed and number < len(p.notes) else None
        row = add_treatment_session(session, course=course, scheduled_at=at,
                                    performed_at=at if performed else None,
                                    status="performed" if performed else "scheduled", notes=note)
        if not performed:
            continue
        for code in p.regions:
            record_procedure(session, treatment_session=row, region_code=code,
                             **_procedure_fields(rng, p, code, number))


CONCENTRATIONS = {"D5W": "5%", "D15W": "15%", "saline": "0.9%", "lidocaine": "1%"}


def _volume(rng: random.Random, p: PlannedPatient, code: str) -> float:
    if p.volume_ml is not None:
        return p.volume_ml
    big = code.startswith(("sciatic", "lateral-femoral"))
    return round(rng.uniform(8, 10) if big else rng.uniform(3, 5), 1)


def _procedure_fields(rng: random.Random, p: PlannedPatient, code: str, number: int) -> dict:
    big = code.startswith(("sciatic", "lateral-femoral"))
    # The case's trigger points next to the forearm nerve got 15% dextrose at the first visit.
    trigger = p.injectate == "D5W" and code.startswith("median-forearm") and number == 0
    injectate = "D15W" if trigger else p.injectate
    return {
        "injectate": injectate,
        "concentration": CONCENTRATIONS.get(injectate),
        "volume_ml": _volume(rng, p, code),
        "approach": "in-plane short axis" if rng.random() < 0.7 else "in-plane long axis",
        "needle": "25G 38 mm" if not big else "22G 70 mm",
        "csa_mm2": round(max(6.0, rng.uniform(12, 16) - 0.8 * number), 1),
        "contralateral_csa_mm2": round(rng.uniform(7.5, 9.5), 1),
        "echotexture": "hypoechoic" if number < 3 else "near normal",
        "fascia": "thickened" if number < 2 else "normal",
        "glide": "restricted" if number < 3 else "free",
        "doppler": "none",
        "immediate_relief_pct": int(rng.uniform(40, 90)),
    }


def _play_history(session: Session, course: TreatmentCourse, p: PlannedPatient,
                  now: datetime) -> None:
    """Answer past windows (or miss them), mark their reminders sent, open current ones."""
    rng = random.Random(p.trajectory.seed + 1)
    adverse_slot = _adverse_slot(session, course, p)
    rows = session.exec(select(SurveyAssignment).where(SurveyAssignment.course_id == course.id)
                        .order_by(SurveyAssignment.opens_at)).all()
    first_session = _local_dt(p.first_session, 10, p.timezone)
    for row in rows:
        if row.opens_at > now:
            continue
        outbox.record_sent_history(session, row.id, now=now)
        if row.closes_at > now:
            row.status = "open"
            session.add(row)
            continue
        if rng.random() < p.miss_rate:
            row.status = "missed"
            session.add(row)
            continue
        answered_at = min(row.opens_at + timedelta(hours=rng.randint(9, 60)),
                          row.closes_at - timedelta(minutes=5))
        weeks = (answered_at - first_session).total_seconds() / 604800
        answer_assignment(session, row, p.trajectory, weeks, answered_at,
                          adverse=row.slot == adverse_slot)


def _adverse_slot(session: Session, course: TreatmentCourse, p: PlannedPatient) -> str | None:
    """The after-session check in which this patient reports a serious adverse event."""
    if p.adverse_week is None:
        return None
    ids = session.exec(select(TreatmentSession.id).where(TreatmentSession.course_id == course.id)
                       .order_by(TreatmentSession.scheduled_at)).all()
    return f"after-session:{ids[p.adverse_week]}" if p.adverse_week < len(ids) else None


def demo_patient_link(*, session: Session, base_url: str, now: datetime | None = None,
                      code: str = DEMO_PATIENT_CODE) -> str:
    """Return a fresh single-use survey link for a demo patient's open survey."""
    now = now or datetime.now(UTC)
    patient = session.exec(select(Patient).where(Patient.study_code == code)).one()
    assignment = session.exec(select(SurveyAssignment).where(
        SurveyAssignment.patient_id == patient.id, SurveyAssignment.opens_at <= now,
        SurveyAssignment.closes_at > now,
        SurveyAssignment.status.in_(("pending", "open", "in_progress")))
        .order_by(SurveyAssignment.opens_at)).first()
    if assignment is None:
        return f"{base_url}/p/ (no survey is open for this demo patient today)"
    token = issue_link(session, patient_id=patient.id, assignment_id=assignment.id,
                       expires_at=assignment.closes_at, now=now)
    session.commit()
    return link_url(base_url, token)
