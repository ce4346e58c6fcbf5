"""The states of follow-ups and reminders, and the outbox's slot keys: one copy for everyone.

Pure: the planner, the reconciliation, the web app, the outbox and the dispatcher all read
these names from here.
"""

from __future__ import annotations

from datetime import datetime

ASSIGNMENT_STATUSES = ("pending", "open", "in_progress", "completed", "missed", "cancelled")
# A follow-up the patient can still answer (if its window is open).
LIVE_ASSIGNMENT_STATUSES = ("pending", "open", "in_progress")
# A follow-up not yet started, which a re-plan may still move or cancel.
UNSTARTED_ASSIGNMENT_STATUSES = ("pending", "open")
# A follow-up that is over: answered, or its window closed unanswered.
DONE_ASSIGNMENT_STATUSES = ("completed", "missed")

REMINDER_STATUSES = ("pending", "sending", "sent", "failed", "cancelled", "expired")

RELINK_PREFIX = "relink/"  # a patient asked for a fresh link
RESEND_PREFIX = "resend/"  # a coordinator pressed "send again"
# Reminders a person asked for: never cancelled by a re-plan, never skipped for a later step.
MANUAL_PREFIXES = (RELINK_PREFIX, RESEND_PREFIX)


def reminder_slot_key(course_id: int, planned_key: str, send_at: datetime) -> str:
    """Return the outbox's unique key: one reminder per course, step, channel and send time.

    The send time is part of the key, so a reminder that moves (a session moved, a new time
    zone, a new reminder time) is a new row and the old one is cancelled, while a reminder that
    was sent is never added again.
    """
    return f"c{course_id}/{planned_key}@{send_at:%Y%m%dT%H%MZ}"


def relink_slot_key(assignment_id: int, now: datetime) -> str:
    """Return the key of a patient's fresh-link request (microseconds: several may queue)."""
    return f"{RELINK_PREFIX}{assignment_id}/{now:%Y%m%d%H%M%S.%f}"


def resend_slot_key(assignment_id: int, now: datetime) -> str:
    """Return the key of a coordinator's resend (one per follow-up per second)."""
    return f"{RESEND_PREFIX}{assignment_id}/{now:%Y%m%d%H%M%S}"


def retired_slot_key(slot_key: str, now: datetime) -> str:
    """Return a cancelled reminder's new key, which frees its old key for the re-plan."""
    return f"{slot_key}~retired{now:%Y%m%d%H%M%S}"[:160]


def is_manual(slot_key: str) -> bool:
    """Tell whether a reminder was asked for by a person rather than planned."""
    return slot_key.startswith(MANUAL_PREFIXES)
