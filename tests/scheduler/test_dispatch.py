"""The reminder dispatcher on both databases: claiming, sending once, retries, leases, catch-up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from scheduler.channels import FileChannel, SmsHttpChannel, SmtpChannel
from scheduler.dispatch import (
    DispatchReport,
    channels_from_config,
    dispatch_due,
)
from scheduler.messages import format_deadline, message_id_for
from scheduler.retry import MAX_ATTEMPTS, PermanentFailure, TemporaryFailure, next_attempt_at
from tests.support.factories import planned_course
from webapp.auth.signin_sessions import hash_token
from webapp.followup.outbox import claim_due
from webapp.models import AuditEvent, Patient, PatientToken, Reminder, SurveyAssignment

CONFIG = {"BASE_URL": "https://clinic.example.org", "CLINIC_NAME": "Riverside Clinic"}
# The default plan of tests.support.factories.planned_course (Europe/London, sessions from
# 12 Jan 2026):
BASELINE_OPEN = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # c1/baseline/open+0, reminder id 1
BASELINE_OPEN2 = datetime(2026, 1, 7, 9, 0, tzinfo=UTC)  # c1/baseline/open+2, id 2
BASELINE_CLOSE = datetime(2026, 1, 11, 9, 0, tzinfo=UTC)  # c1/baseline/close-1, id 3
BASELINE_ENDS = datetime(2026, 1, 13, 0, 0, tzinfo=UTC)  # the baseline window's exclusive end
FORBIDDEN = ["nerve", "median", "carpal", "tunnel", "right", "pain", "paresthesia", "psfs",
             "pgic", "dextrose", "hydrodissection", "baseline", "session", "survey"]


class RecordingChannel:
    """A channel that records what it sends, or raises the failure it is given."""

    def __init__(self):
        self.sent: list[tuple] = []
        self.failure: Exception | None = None

    def send(self, message, to):
        if self.failure is not None:
            raise self.failure
        self.sent.append((message, to))
        return ""


@pytest.fixture
def channel():
    return RecordingChannel()


@pytest.fixture
def course(db):
    return planned_course(db)


def dispatch(db, now, channel, **kwargs) -> DispatchReport:
    return dispatch_due(db, now=now, channels={"email": channel, "sms": channel},
                        config=CONFIG, **kwargs)


def reminder(db, key_part: str) -> Reminder:
    db.expire_all()
    return db.exec(select(Reminder).where(Reminder.slot_key.contains(key_part))).one()


def statuses(db) -> dict[str, str]:
    db.expire_all()
    return {r.slot_key: r.status for r in db.exec(select(Reminder)).all()}


def audit(db, action: str) -> list[AuditEvent]:
    return db.exec(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_claims_only_due_rows(db, course):
    ids, lease_until = claim_due(db, now=BASELINE_OPEN, batch_size=50,
                                           lease=timedelta(minutes=5))
    assert ids == [reminder(db, "baseline/open+0").id]
    assert lease_until == BASELINE_OPEN + timedelta(minutes=5)
    by_status = statuses(db)
    assert by_status.pop("c1/baseline/open+0/email@20260105T0900Z") == "sending"
    assert set(by_status.values()) == {"pending"}


def test_batch_size_limits_the_claim_oldest_first(db, course):
    now = datetime(2026, 1, 19, 12, 0, tzinfo=UTC)
    ids, _ = claim_due(db, now=now, batch_size=2, lease=timedelta(minutes=5))
    due = db.exec(select(Reminder).where(Reminder.id.in_(ids))).all()
    assert sorted(r.send_at for r in due) == [BASELINE_OPEN, BASELINE_OPEN2]


def test_sent_once_with_audit_and_stable_message_id(db, course, channel):
    first = dispatch(db, BASELINE_OPEN, channel)
    assert (first.sent, first.claimed) == (1, 1)
    again = dispatch(db, BASELINE_OPEN + timedelta(minutes=1), channel)
    assert again.claimed == 0 and len(channel.sent) == 1
    row = reminder(db, "baseline/open+0")
    message, to = channel.sent[0]
    assert to == "sam@example.test"
    assert message.message_id == message_id_for(row.slot_key, "clinic.example.org")
    assert (row.status, row.sent_at, row.message_id) == ("sent", BASELINE_OPEN, message.message_id)
    [event] = audit(db, "reminder_sent")
    assert (event.actor_type, event.record_id, event.patient_id) == ("system", row.id,
                                                                     course.patient_id)
    assert event.detail == {"channel": "email", "reminder_id": row.id}


def test_temporary_failure_is_retried_at_backoff_and_sent_once(db, course, channel):
    channel.failure = TemporaryFailure("SMTP server not ready (451)")
    assert dispatch(db, BASELINE_OPEN, channel).retried == 1
    row = reminder(db, "baseline/open+0")
    retry_at = next_attempt_at(1, BASELINE_OPEN, row.slot_key)
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 1, retry_at)
    assert row.last_error == "SMTP server not ready (451)"
    channel.failure = None
    assert dispatch(db, retry_at - timedelta(seconds=1), channel).claimed == 0
    assert dispatch(db, retry_at, channel).sent == 1
    assert dispatch(db, retry_at + timedelta(hours=1), channel).claimed == 0
    assert len(channel.sent) == 1 and reminder(db, "baseline/open+0").status == "sent"


def test_temporary_failures_give_up_after_the_budget(db, course, channel):
    channel.failure = TemporaryFailure("SMTP server unreachable: ConnectionRefusedError")
    now = BASELINE_OPEN
    for _ in range(MAX_ATTEMPTS - 1):
        assert dispatch(db, now, channel).retried == 1
        now = reminder(db, "baseline/open+0").next_attempt_at
    assert dispatch(db, now, channel).failed == 1
    row = reminder(db, "baseline/open+0")
    assert (row.status, row.attempts) == ("failed", MAX_ATTEMPTS)
    assert row.last_error.startswith(f"gave up after {MAX_ATTEMPTS} attempts")


def test_permanent_failure_is_failed_audited_and_not_retried(db, course, channel):
    channel.failure = PermanentFailure("recipient refused: SMTP 550")
    assert dispatch(db, BASELINE_OPEN, channel).failed == 1
    channel.failure = None
    assert dispatch(db, BASELINE_OPEN + timedelta(hours=4), channel).claimed == 0
    row = reminder(db, "baseline/open+0")
    assert (row.status, row.last_error) == ("failed", "recipient refused: SMTP 550")
    [event] = audit(db, "reminder_failed")
    assert event.detail == {"channel": "email", "reminder_id": row.id,
                            "error": "recipient refused: SMTP 550"}
    assert channel.sent == []


@pytest.mark.parametrize(("channel_kind", "field", "error"), [
    ("email", "email", "no email address on file"),
    ("sms", "phone", "no phone number on file"),
])
def test_missing_contact_fails_permanently(db, course, channel, channel_kind, field, error):
    row = reminder(db, "baseline/open+0")
    patient = db.get(Patient, course.patient_id)
    setattr(patient, field, None)
    row.channel = channel_kind
    db.add_all([patient, row])
    db.commit()
    assert dispatch(db, BASELINE_OPEN, channel).failed == 1
    assert reminder(db, "baseline/open+0").last_error == error
    assert channel.sent == []


def test_lease_expiry_picks_up_a_row_stuck_in_sending(db, course, channel):
    claim_due(db, now=BASELINE_OPEN, batch_size=50, lease=timedelta(minutes=5))
    # the dispatcher that claimed it "dies" here
    assert dispatch(db, BASELINE_OPEN + timedelta(minutes=4), channel).claimed == 0
    assert dispatch(db, BASELINE_OPEN + timedelta(minutes=6), channel).sent == 1
    assert len(channel.sent) == 1 and reminder(db, "baseline/open+0").status == "sent"


def test_real_clock_past_the_lease_hands_rows_back(db, course, channel):
    now = datetime(2026, 1, 14, 9, 0, tzinfo=UTC)  # 3 baseline steps + after-session:1 open+0
    ticks = iter([now, now + timedelta(minutes=4)])  # the first send took 4 of the 5 minutes
    report = dispatch(db, now, channel, clock=lambda: next(ticks))
    assert (report.expired, report.skipped, report.sent) == (1, 3, 0)
    assert "sending" not in statuses(db).values()
    assert dispatch(db, now, channel).claimed == 3


@pytest.mark.parametrize(("assignment_status", "patient_status", "expected"), [
    ("completed", "active", "cancelled"),
    ("cancelled", "active", "cancelled"),
    ("missed", "active", "expired"),
    ("pending", "paused", "cancelled"),
    ("pending", "withdrawn", "cancelled"),
])
def test_dead_assignment_or_inactive_patient_is_not_sent(db, course, channel, assignment_status,
                                                         patient_status, expected):
    row = reminder(db, "baseline/open+0")
    assignment = db.get(SurveyAssignment, row.assignment_id)
    patient = db.get(Patient, row.patient_id)
    assignment.status, patient.status = assignment_status, patient_status
    db.add_all([assignment, patient])
    db.commit()
    assert dispatch(db, BASELINE_OPEN, channel).expired == 1
    assert reminder(db, "baseline/open+0").status == expected
    assert channel.sent == []


def test_closed_window_expires_every_overdue_step(db, course, channel):
    report = dispatch(db, BASELINE_ENDS, channel)
    assert (report.expired, report.sent) == (3, 0)
    assert {k: v for k, v in statuses(db).items() if "baseline" in k} == {
        "c1/baseline/open+0/email@20260105T0900Z": "expired",
        "c1/baseline/open+2/email@20260107T0900Z": "expired",
        "c1/baseline/close-1/email@20260111T0900Z": "expired"}
    assert channel.sent == []


def test_downtime_catch_up_sends_only_the_latest_overdue_step(db, course, channel):
    now = datetime(2026, 1, 12, 8, 0, tzinfo=UTC)  # down since 4 January
    report = dispatch(db, now, channel)
    assert (report.sent, report.expired) == (1, 2)
    [(message, _)] = channel.sent
    assert message.message_id == message_id_for("c1/baseline/close-1/email@20260111T0900Z",
                                                "clinic.example.org")
    assert reminder(db, "baseline/open+0").status == "expired"
    assert reminder(db, "baseline/open+2").status == "expired"


@pytest.mark.parametrize("prefix", ["relink/", "resend/"])
def test_manual_request_is_sent_alongside_a_regular_step(db, course, channel, prefix):
    row = reminder(db, "baseline/open+0")
    manual = f"{prefix}{row.assignment_id}/20260105090000"
    db.add(Reminder(slot_key=manual,
                    assignment_id=row.assignment_id, patient_id=row.patient_id, channel="email",
                    send_at=BASELINE_OPEN, next_attempt_at=BASELINE_OPEN))
    db.commit()
    assert dispatch(db, BASELINE_OPEN, channel).sent == 2
    assert {m.message_id for m, _ in channel.sent} == {
        message_id_for(row.slot_key, "clinic.example.org"),
        message_id_for(manual, "clinic.example.org")}


@pytest.mark.parametrize("kind", ["email", "sms"])
def test_message_content_and_link(db, course, channel, kind):
    row = reminder(db, "baseline/open+0")
    row.channel = kind
    patient = db.get(Patient, course.patient_id)
    patient.phone = "+44 7700 900123"
    db.add_all([row, patient])
    db.commit()
    dispatch(db, BASELINE_OPEN, channel)
    [(message, to)] = channel.sent
    assert to == (patient.email if kind == "email" else patient.phone)
    text = " ".join([message.subject, message.text, message.html or ""])
    short = kind == "sms" and "Sam" not in text
    assert "Riverside Clinic" in text and (short or "Sam" in text)
    assert format_deadline(BASELINE_ENDS, "Europe/London", short=kind == "sms") in text
    token = text.split("https://clinic.example.org/p/t/")[1].split()[0].split('"')[0]
    stored = db.exec(select(PatientToken).where(PatientToken.token_hash == hash_token(token))).one()
    assert (stored.assignment_id, stored.expires_at) == (row.assignment_id, BASELINE_ENDS)
    lowered = text.replace(token, "").lower()
    assert [word for word in FORBIDDEN if word in lowered] == []


def test_unconfigured_channel_is_retried_not_lost(db, course, channel):
    report = dispatch_due(db, now=BASELINE_OPEN, channels={}, config=CONFIG)
    assert report.retried == 1
    assert reminder(db, "baseline/open+0").last_error == "no email channel configured"


@pytest.mark.parametrize(("config", "expected"), [
    ({"REMINDER_CHANNEL": "file", "OUTBOX_PATH": "/tmp/o.jsonl"},
     {"email": FileChannel, "sms": FileChannel}),
    ({"SMTP_URL": "smtp://mail.example.org:25", "MAIL_SENDER": "a@b.test"},
     {"email": SmtpChannel}),
    ({"SMS_URL": "https://sms.example.org/send", "SMS_TOKEN": "t", "SMS_SENDER": "NT",
      "MAIL_SENDER": "a@b.test"}, {"sms": SmsHttpChannel}),
    ({"SMTP_URL": "smtps://u:p@mail.example.org", "MAIL_SENDER": "a@b.test",
      "SMS_URL": "https://sms.example.org/send", "SMS_TOKEN": "t", "SMS_SENDER": "NT"},
     {"email": SmtpChannel, "sms": SmsHttpChannel}),
    ({"MAIL_SENDER": "a@b.test"}, {}),
])
def test_channels_from_config(config, expected):
    built = channels_from_config(config)
    assert {k: type(v) for k, v in built.items()} == expected
