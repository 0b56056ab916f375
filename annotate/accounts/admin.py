"""What an admin does to accounts (the Users page): add, change roles, reset a password, disable.

Every action takes the account doing it (``actor``) and checks its roles first, so
a page that forgot to hide a button still cannot let a non-admin change anyone.
Every change goes through the store (``Store.accounts``), so the change log records
it under the actor's login. Two guards keep a server from locking itself out: an
admin cannot disable themselves or drop their own admin role, and the last
enabled admin stays one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from ..errors import AccessDeniedError, NotFoundError, ValidationError
from . import passwords
from .roles import User, parse_roles

if TYPE_CHECKING:
    from ..store.accounts import Accounts


def check_admin(actor: User) -> None:
    """Raise AccessDeniedError unless ``actor`` may manage users."""
    if not actor.can("users"):
        raise AccessDeniedError("only an admin can manage users: ask one for the admin role")


def add_user(accounts: Accounts, actor: User, login: str, roles: Iterable[str], password: str,
             display_name: str = "") -> User:
    """Create an account with ``roles`` and ``password``; return it.

    Raises AccessDeniedError (not an admin), ValidationError (bad login, role,
    display name or password), DuplicateError (the login is taken).
    """
    check_admin(actor)
    parsed = parse_roles(roles)
    return accounts.add(login, parsed, passwords.hash_password(password), display_name=display_name or None,
                        actor=actor.login)


def set_roles(accounts: Accounts, actor: User, login: str, roles: Iterable[str]) -> User:
    """Replace the roles of ``login``; return the account.

    Raises AccessDeniedError, ValidationError (no or unknown role, or the change
    would leave no admin / take the actor's own admin role), NotFoundError.
    """
    check_admin(actor)
    parsed = parse_roles(roles)
    target = _target(accounts, login)
    if "admin" in target.roles and "admin" not in parsed:
        if target.id == actor.id:
            raise ValidationError("you cannot take away your own admin role: ask another admin")
        _keep_an_admin(accounts, target)
    return accounts.set_roles(target.login, parsed, actor=actor.login)


def reset_password(accounts: Accounts, actor: User, login: str, password: str) -> User:
    """Give ``login`` a new password (ending its open sessions); return the account.

    Raises AccessDeniedError, ValidationError (weak password, or an identity-provider account), NotFoundError.
    """
    check_admin(actor)
    target = _target(accounts, login)
    if target.external:
        raise ValidationError(f"{target.login} signs in through the identity provider: it has no password here")
    return accounts.set_password(target.login, passwords.hash_password(password), actor=actor.login)


def set_disabled(accounts: Accounts, actor: User, login: str, disabled: bool = True) -> User:
    """Disable (ending its open sessions at once) or enable ``login``; return the account.

    Raises AccessDeniedError, ValidationError (disabling yourself or the last admin), NotFoundError.
    """
    check_admin(actor)
    target = _target(accounts, login)
    if disabled and target.id == actor.id:
        raise ValidationError("you cannot disable your own account: ask another admin")
    if disabled and "admin" in target.roles:
        _keep_an_admin(accounts, target)
    return accounts.set_disabled(target.login, disabled, actor=actor.login)


def _target(accounts: Accounts, login: str) -> User:
    """Return the account ``login``. Raises NotFoundError."""
    user = accounts.find(login)
    if user is None:
        raise NotFoundError(f"no user {login!r}: reload the list")
    return user


def _keep_an_admin(accounts: Accounts, leaving: User) -> None:
    """Raise ValidationError when ``leaving`` is the last enabled admin."""
    others = [u for u in accounts.all() if u.id != leaving.id and not u.disabled and "admin" in u.roles]
    if not others:
        raise ValidationError(f"{leaving.login} is the last enabled admin: make someone else admin first")
