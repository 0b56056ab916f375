"""Password hashes: Argon2id through argon2-cffi, with its RFC 9106 low-memory profile.

A password is never stored, logged or returned; only its encoded hash is kept.
:func:`verify` spends the same work on an unknown name as on a known one, so the
time of an answer does not tell which names exist.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ..errors import ValidationError

MIN_LENGTH = 8
MAX_LENGTH = 1024  # a longer "password" is an attack on the hasher, not a password

_HASHER = PasswordHasher()  # Argon2id, t=3, m=64 MiB, p=4
_DUMMY = _HASHER.hash("cx-annotate: no such user")


def check_strength(password: str) -> None:
    """Raise ValidationError when ``password`` is too short, too long or blank."""
    if len(password) > MAX_LENGTH:
        raise ValidationError(f"the password is longer than {MAX_LENGTH} characters: choose a shorter one")
    if len(password.strip()) < MIN_LENGTH:
        raise ValidationError(f"the password is shorter than {MIN_LENGTH} characters: choose a longer one")


def hash_password(password: str) -> str:
    """Return the encoded Argon2id hash of ``password``.

    Raises ValidationError for a password :func:`check_strength` refuses.
    """
    check_strength(password)
    return _HASHER.hash(password)


def verify(encoded: str | None, password: str) -> bool:
    """Return True when ``password`` matches ``encoded`` (None: an unknown user, always False)."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _HASHER.verify(encoded or _DUMMY, password) and encoded is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(encoded: str) -> bool:
    """Return True when ``encoded`` was made with weaker parameters than today's."""
    return _HASHER.check_needs_rehash(encoded)
