"""The audit trail: every staff action on patient data, every sign-in, every reminder sent."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from flask import g, has_request_context, request
from flask_login import current_user
from sqlmodel import Session

from webapp.models import AuditEvent


@dataclass(frozen=True)
class Actor:
    """Who did something, for the audit trail: staff, a patient, or the system."""

    actor_type: str = "system"
    actor_id: int | None = None
    actor_label: str | None = None
    ip: str | None = None


def request_actor() -> Actor:
    """Return the current web request's actor (signed-in staff, else the patient) and address."""
    if not has_request_context():
        return Actor()
    ip = request.remote_addr
    if getattr(current_user, "is_authenticated", False):
        return Actor("staff", current_user.id, current_user.email, ip)
    if g.get("patient_id"):
        return Actor("patient", g.patient_id, None, ip)
    return Actor("system", None, None, ip)


def add_event(
    session: Session,
    action: str,
    *,
    actor_type: str = "system",
    actor_id: int | None = None,
    actor_label: str | None = None,
    record_type: str | None = None,
    record_id: int | None = None,
    patient_id: int | None = None,
    ip: str | None = None,
    detail: dict | None = None,
) -> AuditEvent:
    """Add one audit event to the session (the caller commits it with the change it records)."""
    event = AuditEvent(
        action=action,
        actor_type=actor_type,
        actor_id=actor_id,
        actor_label=actor_label,
        record_type=record_type,
        record_id=record_id,
        patient_id=patient_id,
        ip=ip,
        detail=detail or {},
    )
    session.add(event)
    return event


def record(session: Session, action: str, **kwargs) -> AuditEvent:
    """Add an audit event for the current web request's actor and address."""
    actor = request_actor()
    for name, value in asdict(actor).items():
        if name != "actor_type" or value != "system":
            kwargs.setdefault(name, value)
    return add_event(session, action, **kwargs)
