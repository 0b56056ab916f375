"""Signing in and knowing who is asking: passwords, limits and cookies in one place.

:class:`Gate` is what the app's sign-in route and every page and route call:
:meth:`Gate.sign_in` checks a name and password (rate-limited per name and
address) and returns a cookie value; :meth:`Gate.user_for` turns a cookie back
into the account, refusing a forged, expired, stale or disabled one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import NotFoundError, SignInError
from . import passwords
from .limits import AttemptLimiter
from .roles import User
from .sessions import SessionSigner

if TYPE_CHECKING:
    from ..store.accounts import Accounts

_REFUSED = "wrong name or password: try again, or ask an admin to reset it"


class Gate:
    """Signs users in and reads their session cookies."""

    def __init__(self, accounts: Accounts, signer: SessionSigner, limiter: AttemptLimiter | None = None):
        self.accounts = accounts
        self.signer = signer
        self.limiter = limiter or AttemptLimiter()

    def sign_in(self, login: str, password: str, address: str) -> tuple[User, str]:
        """Return the account and a new session cookie value for ``login`` / ``password``.

        Raises TooManyAttemptsError when the name or address has failed too often,
        SignInError for a wrong name or password or a disabled account (one
        message for all three, so it tells nothing about which names exist).
        """
        self.limiter.check(login, address)
        encoded = self.accounts.password_hash(login)
        if not passwords.verify(encoded, password):
            self.limiter.failed(login, address)
            raise SignInError(_REFUSED)
        user = self.accounts.find(login)
        if user is None or user.disabled:
            self.limiter.failed(login, address)
            raise SignInError(_REFUSED)
        self.limiter.succeeded(login)
        if encoded and passwords.needs_rehash(encoded):
            user = self.accounts.set_password(login, passwords.hash_password(password), actor=user.login)
        return user, self.signer.issue(user.id, user.epoch)

    def user_for(self, cookie: str | None) -> User:
        """Return the signed-in account of session cookie ``cookie``.

        Raises SignInError when there is no cookie, it is forged or expired, the
        account is gone or disabled, or its password changed after the cookie was issued.
        """
        claim = self.signer.read(cookie)
        try:
            user = self.accounts.get(claim.user_id)
        except NotFoundError:
            raise SignInError("your account no longer exists: ask an admin") from None
        if user.disabled:
            raise SignInError("your account is disabled: ask an admin")
        if user.epoch != claim.epoch:
            raise SignInError("your session has ended (password changed): sign in again")
        return user

    def session_for(self, user: User) -> str:
        """Return a new session cookie value for ``user`` (after an identity provider signed them in)."""
        return self.signer.issue(user.id, user.epoch)
