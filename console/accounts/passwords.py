"""Password hashing with argon2id; hashes only, a password is never stored or logged."""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 10


def default_hasher() -> PasswordHasher:
    """argon2-cffi's recommended parameters (RFC 9106 low-memory profile), argon2id."""
    return PasswordHasher(type=Type.ID)


def check_password_quality(password: str) -> None:
    """Reject passwords too short or too blank to protect a clinical record."""
    if not password.strip():
        raise ValueError("a password may not be empty or only spaces")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters, "
                         f"got {len(password)}")


def verify_password(hasher: PasswordHasher, stored_hash: str, password: str) -> bool:
    try:
        return hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False
