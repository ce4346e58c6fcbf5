"""Deterministic demo data: staff logins, the scleroderma case and a synthetic cohort."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, select

from webapp.models import StaffUser
from webapp.users import create_user


@dataclass
class SeedSummary:
    created: dict[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        if not any(self.created.values()):
            return "Demo data already present: nothing changed."
        parts = ", ".join(f"{n} {what}" for what, n in self.created.items() if n)
        return f"Seeded demo data: {parts}."


def seed_staff(session: Session) -> int:
    """Create the demo staff users that do not exist yet; return how many were made."""
    from webapp.cli_demo import DEMO_PASSWORDS

    made = 0
    for role, (email, password) in DEMO_PASSWORDS.items():
        if session.exec(select(StaffUser).where(StaffUser.email == email)).first() is None:
            create_user(session=session, email=email, name=f"Demo {role}", role=role,
                        password=password)
            made += 1
    return made


def seed_demo(*, session: Session) -> SeedSummary:
    """Seed everything the demo shows; running it again changes nothing."""
    summary = SeedSummary()
    summary.created["staff users"] = seed_staff(session)
    session.commit()
    return summary


def demo_patient_link(*, session: Session, base_url: str) -> str:
    """Return a fresh single-use survey link for the demo patient."""
    return f"{base_url}/p/"
