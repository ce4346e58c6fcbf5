"""Deterministic demo data: staff logins, the scleroderma case and a synthetic cohort.

Everything is placed relative to `today` so the demo always has history, open windows and
upcoming reminders; the random generator has a fixed seed, and patients that already exist
(by study code) are skipped, so seeding twice changes nothing.
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
from webapp.demo.answers import Trajectory, answer_assignment
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

SEED = 20251007
SCLERODERMA_CODE = "NT-CASE-001"
DEMO_PATIENT_CODE = "NT-DEMO-001"
SCLERODERMA_REGIONS = (
    "median-forearm-left", "ulnar-elbow-left", "medial-antebrachial-cutaneous-forearm-left",
    "sciatic-gluteal-thigh-left", "common-fibular-fibular-head-left",
    "superficial-fibular-lower-leg-left", "dorsal-cutaneous-foot-dorsum-foot-right",
)
ZONES = ("Europe/London", "America/New_York", "Asia/Tehran", "Asia/Kolkata",
         "Australia/Adelaide", "Europe/Paris", "America/Los_Angeles", "Asia/Kathmandu")
FIRST_NAMES = ("Alex", "Sam", "Jordan", "Robin", "Maria", "Reza", "Priya", "Tom", "Lena",
               "Omar", "Grace", "Kenji", "Ana", "Dev", "Noor", "Eli", "Sara", "Ivan", "Mina",
               "Joe", "Leila", "Chris", "Ada", "Ben")
COMMON_REGIONS = (
    "median-carpal-tunnel-right", "median-carpal-tunnel-left", "ulnar-elbow-right",
    "ulnar-elbow-left", "lateral-femoral-cutaneous-inguinal-ligament-right",
    "tibial-tarsal-tunnel-left", "superficial-radial-distal-forearm-right",
    "common-fibular-fibular-head-right", "greater-occipital-occiput-left",
    "lesser-occipital-behind-ear-right", "sciatic-gluteal-thigh-right",
    "superficial-fibular-lower-leg-right", "medial-antebrachial-cutaneous-forearm-right",
    "dorsal-cutaneous-foot-dorsum-foot-left", "ulnar-wrist-left", "median-forearm-right",
)
# (share of the cohort, relative improvement at the end of treatment)
RESPONSE_CLASSES = (("responder", 0.45, (0.55, 0.85)), ("partial", 0.25, (0.25, 0.45)),
                    ("non-responder", 0.2, (-0.05, 0.15)), ("worse", 0.1, (-0.6, -0.3)))
COHORT_SIZE = 64


@dataclass
class SeedSummary:
    created: dict[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        """Say in one line what seeding did."""
        if not any(self.created.values()):
            return "Demo data already present: nothing changed."
        parts = ", ".join(f"{n} {what}" for what, n in self.created.items() if n)
        return f"Seeded demo data: {parts}."


@dataclass(frozen=True)
class PlannedPatient:
    """Everything needed to create one demo patient and their history."""

    code: str
    first_name: str
    timezone: str
    regions: tuple[str, ...]
    first_session: date
    session_gap_days: int
    session_count: int
    trajectory: Trajectory
    synthetic: bool = True
    miss_rate: float = 0.1
    adverse_week: int | None = None
    channel: str = "email"


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


def scleroderma_case(today: date) -> PlannedPatient:
    """The published case: 7 regions, weekly sessions weeks 0-6, well at one year."""
    first = today - timedelta(days=7 * 6 + 365 + 21)
    trajectory = Trajectory(baseline=8.0, improvement=0.92, tau_weeks=2.5, noise=0.4,
                            seed=SEED)
    return PlannedPatient(SCLERODERMA_CODE, "Case", "Asia/Tehran", SCLERODERMA_REGIONS, first,
                          7, 7, trajectory, synthetic=False, miss_rate=0.0)


def demo_patient(today: date) -> PlannedPatient:
    """A patient starting treatment in three days: their baseline survey is open now."""
    trajectory = Trajectory(baseline=7.0, improvement=0.6, tau_weeks=3, noise=0.5, seed=SEED)
    return PlannedPatient(DEMO_PATIENT_CODE, "Robin", "Europe/London",
                          ("median-carpal-tunnel-right", "median-carpal-tunnel-left"),
                          today + timedelta(days=3), 7, 4, trajectory)


def synthetic_cohort(today: date, size: int = COHORT_SIZE) -> list[PlannedPatient]:
    """A varied, seeded cohort across the nerve catalogue."""
    rng = random.Random(SEED)
    return [_synthetic_patient(rng, today, n) for n in range(1, size + 1)]


def _pick_class(rng: random.Random) -> tuple[str, tuple[float, float]]:
    roll, total = rng.random(), 0.0
    for name, share, span in RESPONSE_CLASSES:
        total += share
        if roll <= total:
            return name, span
    return RESPONSE_CLASSES[-1][0], RESPONSE_CLASSES[-1][2]


def _synthetic_patient(rng: random.Random, today: date, n: int) -> PlannedPatient:
    _, (low, high) = _pick_class(rng)
    regions = tuple(dict.fromkeys(rng.sample(COMMON_REGIONS, rng.choice((1, 1, 1, 2, 2, 3)))))
    trajectory = Trajectory(baseline=rng.uniform(4.5, 9.0), improvement=rng.uniform(low, high),
                            tau_weeks=rng.uniform(1.5, 6), noise=rng.uniform(0.3, 0.9),
                            seed=SEED + n)
    return PlannedPatient(
        code=f"NT-SYN-{n:03d}", first_name=rng.choice(FIRST_NAMES), timezone=rng.choice(ZONES),
        regions=regions, first_session=today - timedelta(days=rng.randint(-10, 420)),
        session_gap_days=rng.choice((7, 7, 7, 14)), session_count=rng.choice((1, 2, 3, 4, 6)),
        trajectory=trajectory, miss_rate=rng.choice((0.0, 0.05, 0.1, 0.2, 0.35)),
        adverse_week=rng.choice((None,) * 8 + (0, 1)),
        channel=rng.choice(("email",) * 4 + ("sms",)))


def seed_demo(*, session: Session, today: date | None = None,
              cohort_size: int = COHORT_SIZE) -> SeedSummary:
    """Seed everything the demo shows; running it again changes nothing."""
    today = today or datetime.now(UTC).date()
    summary = SeedSummary()
    summary.created["staff users"] = seed_staff(session)
    version = ensure_default_protocol(session)
    session.commit()
    planned = [scleroderma_case(today), demo_patient(today), *synthetic_cohort(today, cohort_size)]
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
        preferred_channel=p.channel, consent_date=enrolled, synthetic=p.synthetic)
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
        row = add_treatment_session(session, course=course, scheduled_at=at,
                                    performed_at=at if performed else None,
                                    status="performed" if performed else "scheduled")
        if not performed:
            continue
        for code in p.regions:
            record_procedure(session, treatment_session=row, region_code=code,
                             **_procedure_fields(rng, code, number))


def _procedure_fields(rng: random.Random, code: str, number: int) -> dict:
    big = code.startswith(("sciatic", "lateral-femoral"))
    trigger = code.startswith("median-forearm") and number == 0
    return {
        "injectate": "D15W" if trigger else "D5W",
        "concentration": "15%" if trigger else "5%",
        "volume_ml": round(rng.uniform(8, 10) if big else rng.uniform(3, 5), 1),
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


def demo_patient_link(*, session: Session, base_url: str, now: datetime | None = None) -> str:
    """Return a fresh single-use survey link for the demo patient's open survey."""
    now = now or datetime.now(UTC)
    patient = session.exec(select(Patient).where(Patient.study_code == DEMO_PATIENT_CODE)).one()
    assignment = session.exec(select(SurveyAssignment).where(
        SurveyAssignment.patient_id == patient.id, SurveyAssignment.opens_at <= now,
        SurveyAssignment.closes_at > now,
        SurveyAssignment.status.in_(("pending", "open", "in_progress")))
        .order_by(SurveyAssignment.opens_at)).first()
    if assignment is None:
        return f"{base_url}/p/ (no survey is open for the demo patient today)"
    token = issue_link(session, patient_id=patient.id, assignment_id=assignment.id,
                       expires_at=assignment.closes_at, now=now)
    session.commit()
    return link_url(base_url, token)
