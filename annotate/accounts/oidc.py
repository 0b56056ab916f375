"""Accounts of people an identity provider signed in (``--auth oidc``).

Streamlit's ``st.login`` does the OpenID Connect exchange (through Authlib) and
hands the app the ID token's claims. :func:`account_for` turns those claims into
an account of the store: the first sign-in creates it (linked to the provider's
``iss|sub``, no password), later ones keep its roles in step with the mapped
claim (``ANNOTATE_OIDC_ROLES``, the ``ANNOTATE_OIDC_CLAIM`` claim, ``groups`` by
default; :mod:`.claims`). An admin's disable still holds: a disabled account is
refused whatever the provider says. Someone in no mapped group gets a user
without roles and no account row, so they may open nothing.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping

from ..errors import SignInError, StoreError, ValidationError
from .claims import identity, parse_role_map, roles_from_claims
from .roles import User

if TYPE_CHECKING:
    from ..store.accounts import Accounts

ROLE_MAP_ENV = "ANNOTATE_OIDC_ROLES"
CLAIM_ENV = "ANNOTATE_OIDC_CLAIM"
ACTOR = "oidc"  # who the change log says made an account the provider's claims created or changed


@dataclass(frozen=True)
class ClaimRules:
    """Which claim names the groups, and which roles each group gives."""

    role_map: Mapping[str, frozenset[str]]
    claim: str = "groups"


def rules_from_env() -> ClaimRules:
    """Return the rules set in ``ANNOTATE_OIDC_ROLES`` / ``ANNOTATE_OIDC_CLAIM``.

    Raises ValidationError for a malformed map, or for none at all (nobody could get a role).
    """
    text = os.environ.get(ROLE_MAP_ENV, "").strip()
    if not text:
        raise ValidationError(f"--auth oidc needs {ROLE_MAP_ENV}=group=role,... (e.g. cx-admins=admin,"
                              "cx-coders=reviewer): without it nobody signed in gets a role")
    return ClaimRules(parse_role_map(text), os.environ.get(CLAIM_ENV, "").strip() or "groups")


def account_for(accounts: Accounts, claims: Mapping[str, Any], rules: ClaimRules) -> User:
    """Return the account the provider's ``claims`` describe, with the roles its groups give.

    Creates the account on first sign-in and updates its roles when the groups
    changed. Raises SignInError for a disabled account, ValidationError for claims without a subject.
    """
    external, login, name = identity(claims)
    name = name[:120]
    roles = roles_from_claims(claims, rules.role_map, rules.claim)
    user = accounts.find_external(external)
    if user is None and not roles:
        return User(id=0, login=login, display_name=name, roles=frozenset())
    if user is None:
        user = _create(accounts, external, login, name, roles)
    if user.disabled:
        raise SignInError("your account is disabled: ask an admin")
    if not roles:
        return dataclasses.replace(user, roles=frozenset())
    if roles != user.roles:
        user = accounts.set_roles(user.login, roles, actor=ACTOR)
    return user


def _create(accounts: Accounts, external: str, login: str, name: str, roles: frozenset[str]) -> User:
    """Return a new account for ``external``; a login already taken gets a number (ana, ana-2, ...)."""
    for n in range(1, 100):
        candidate = login if n == 1 else f"{login[:60]}-{n}"
        if accounts.find(candidate) is not None:
            continue
        try:
            return accounts.add(candidate, roles, None, display_name=name, external_id=external, actor=ACTOR)
        except StoreError:  # a second request of the same person created it at the same moment
            again = accounts.find_external(external)
            if again is not None:
                return again
    raise SignInError(f"no free login for {login!r}: ask an admin to rename an account")
