"""Password rules and hashing (scrypt, through Werkzeug)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

MIN_LENGTH = 12
MAX_LENGTH = 128


@cache
def _common_passwords() -> frozenset[str]:
    path = Path(__file__).parent / "data" / "common-passwords.txt"
    return frozenset(line.strip().lower() for line in path.read_text().splitlines() if line.strip())


def password_problem(password: str) -> str | None:
    """Return why a new password is not acceptable, or None if it is."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    if password.lower() in _common_passwords() or len(set(password)) < 4:
        return "That password is too common. Choose a less predictable one."
    return None


def hash_password(password: str) -> str:
    """Return a slow salted hash (scrypt) of the password."""
    return generate_password_hash(password, method="scrypt")


def verify_password(password_hash: str, password: str) -> bool:
    """Check a password against its stored hash."""
    return check_password_hash(password_hash, password)


# A fixed hash to check against when the account does not exist, so timing does not tell.
DUMMY_HASH = "scrypt:32768:8:1$abcdefghijklmnop$" + "0" * 128
