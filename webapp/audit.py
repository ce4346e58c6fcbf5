"""The audit trail: every staff action on patient data, every sign-in, every reminder sent."""

from __future__ import annotations

from sqlmodel import Session

from webapp.models import AuditEvent


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
    from flask import g, request
    from flask_login import current_user

    if getattr(current_user, "is_authenticated", False):
        kwargs.setdefault("actor_type", "staff")
        kwargs.setdefault("actor_id", current_user.id)
        kwargs.setdefault("actor_label", current_user.email)
    elif g.get("patient_id"):
        kwargs.setdefault("actor_type", "patient")
        kwargs.setdefault("actor_id", g.patient_id)
    kwargs.setdefault("ip", request.remote_addr if request else None)
    return add_event(session, action, **kwargs)
