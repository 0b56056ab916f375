"""Roles and what each one may do.

A user holds one or more roles. Pages and actions name the roles that may use
them in :data:`PERMISSIONS`; an admin may do everything. With ``--auth none``
(one person on localhost) the app acts as :data:`LOCAL_USER`, who holds every role.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from ..errors import ValidationError

ROLES = ("admin", "reviewer", "trainer", "analyst")

# action -> roles that may do it (admin may do everything)
PERMISSIONS: dict[str, frozenset[str]] = {
    "library": frozenset(ROLES),
    "media": frozenset(ROLES),
    "review": frozenset({"reviewer"}),
    "mark": frozenset({"reviewer"}),
    "play": frozenset({"trainer", "reviewer"}),
    "render": frozenset({"trainer", "reviewer", "analyst"}),
    "analyse": frozenset({"analyst"}),
    "export": frozenset({"analyst"}),
    "upload": frozenset({"reviewer"}),
    "codebook": frozenset(),
    "users": frozenset(),
    "assign": frozenset(),  # assign recordings, approve or return codings, settle a consensus (admins, leads)
    "settings": frozenset(),
}


class AccountName(str):
    """A display name that knows its account: events carry the name, the change log the ``login``.

    The store writes ``getattr(reviewer, "login", reviewer)`` into the change log's
    who column, so with accounts on it records the account, not a name anyone could
    type; a plain ``str`` (``--auth none``) is both, as before.
    """

    login: str

    def __new__(cls, display_name: str, login: str) -> "AccountName":
        name = super().__new__(cls, display_name)
        name.login = login
        return name


@dataclass(frozen=True)
class User:
    """An account as the app sees it: who, in which roles, and whether it may sign in."""

    id: int
    login: str
    display_name: str
    roles: frozenset[str] = field(default_factory=frozenset)
    disabled: bool = False
    epoch: int = 0  # bumped by a password change or disable: older session cookies stop working
    external: bool = False  # signed in through an identity provider (--auth oidc): its groups set the roles

    @property
    def reviewer(self) -> "AccountName":
        """Return the name this account stamps on events (its display name), carrying its login for the change log."""
        return AccountName(self.display_name, self.login)

    def can(self, action: str) -> bool:
        """Return True when this user may do ``action`` (a key of PERMISSIONS); False for a disabled user."""
        return not self.disabled and allowed(self.roles, action)


LOCAL_USER = User(id=0, login="local", display_name="", roles=frozenset(ROLES))


def allowed(roles: Iterable[str], action: str) -> bool:
    """Return True when any of ``roles`` may do ``action``.

    Raises KeyError for an action PERMISSIONS does not name (a typo must not grant access).
    """
    needed = PERMISSIONS[action]
    held = set(roles)
    return "admin" in held or bool(held & needed)


def parse_roles(values: Iterable[str]) -> frozenset[str]:
    """Return ``values`` as a set of known roles (case-insensitive, blanks ignored).

    Raises ValidationError naming the first unknown role, or when no role is given.
    """
    roles = set()
    for value in values:
        for part in str(value).split(","):
            name = part.strip().lower()
            if not name:
                continue
            if name not in ROLES:
                raise ValidationError(f"unknown role {part.strip()!r}: use one of {', '.join(ROLES)}")
            roles.add(name)
    if not roles:
        raise ValidationError(f"give at least one role ({', '.join(ROLES)})")
    return frozenset(roles)
