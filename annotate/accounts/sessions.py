"""Signed, expiring session cookies.

A cookie holds the user's id and the account's ``epoch`` signed with the server's
secret (itsdangerous, HMAC-SHA1 over a timestamped payload). It is checked on every
page and route: a forged or altered cookie fails the signature, an old one fails
its age, and one issued before a password change or a disable fails the epoch.
The secret lives in the data directory (``session.key``, mode 0600), so every
process of one server, and every worker, agrees on it; ``ANNOTATE_SECRET`` overrides it.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..errors import SignInError
from ..fsutil import atomic_write_text

COOKIE_NAME = "cx_session"
DEFAULT_MAX_AGE_S = 12 * 3600
_SALT = "cx-annotate-session-v1"
_KEY_FILE = "session.key"


@dataclass(frozen=True)
class SessionClaim:
    """What a valid cookie says: the user's id and the account epoch it was issued for."""

    user_id: int
    epoch: int


def load_secret(data_dir: str | os.PathLike) -> str:
    """Return the signing secret: ``ANNOTATE_SECRET``, else the data directory's key file (created once)."""
    env = os.environ.get("ANNOTATE_SECRET", "").strip()
    if env:
        return env
    path = Path(data_dir) / _KEY_FILE
    try:
        text = path.read_text(encoding="ascii").strip()
        if text:
            return text
    except FileNotFoundError:
        pass
    key = secrets.token_urlsafe(48)
    old = os.umask(0o077)
    try:
        atomic_write_text(path, key + "\n", encoding="ascii")
    finally:
        os.umask(old)
    os.chmod(path, 0o600)
    return path.read_text(encoding="ascii").strip()


class SessionSigner:
    """Issues and reads session cookies with one secret and one lifetime."""

    def __init__(self, secret: str, max_age_s: int = DEFAULT_MAX_AGE_S):
        if len(secret) < 16:
            raise ValueError("a session secret needs at least 16 characters")
        self._serializer = URLSafeTimedSerializer(secret, salt=_SALT)
        self.max_age_s = max_age_s

    def issue(self, user_id: int, epoch: int) -> str:
        """Return the cookie value for ``user_id`` at account ``epoch``."""
        return self._serializer.dumps([int(user_id), int(epoch)])

    def read(self, value: str | None) -> SessionClaim:
        """Return the claim of cookie ``value``.

        Raises SignInError when there is no cookie, it is forged or altered, or older than max_age_s.
        """
        if not value:
            raise SignInError("not signed in: sign in first")
        try:
            user_id, epoch = self._serializer.loads(value, max_age=self.max_age_s)
        except SignatureExpired:
            raise SignInError("your session has expired: sign in again") from None
        except (BadSignature, ValueError, TypeError):
            raise SignInError("your session is not valid: sign in again") from None
        if not isinstance(user_id, int) or not isinstance(epoch, int):
            raise SignInError("your session is not valid: sign in again")
        return SessionClaim(user_id, epoch)

    def cookie_header(self, value: str, secure: bool = False) -> str:
        """Return a ``Set-Cookie`` header value: HttpOnly, SameSite=Strict, the whole site, max_age_s."""
        parts = [f"{COOKIE_NAME}={value}", "Path=/", f"Max-Age={self.max_age_s}", "HttpOnly", "SameSite=Strict"]
        if secure:
            parts.append("Secure")
        return "; ".join(parts)


def clear_cookie_header() -> str:
    """Return a ``Set-Cookie`` header value that removes the session cookie (sign out)."""
    return f"{COOKIE_NAME}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"
