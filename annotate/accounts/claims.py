"""Roles from an identity provider's claims (``--auth oidc``).

The provider says who someone is (``sub``, ``email``, ``name``) and which groups
they are in; ``ANNOTATE_OIDC_ROLES`` maps groups to roles, for example
``cx-admins=admin,cx-coders=reviewer,cx-coders=analyst``. Someone in no mapped group
gets no role and may not open any page.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from ..errors import ValidationError
from .roles import ROLES


def parse_role_map(text: str) -> dict[str, frozenset[str]]:
    """Return ``group=role,...`` as {group: roles}.

    Raises ValidationError for an entry without ``=`` or with an unknown role.
    """
    mapping: dict[str, set[str]] = {}
    for item in filter(None, (part.strip() for part in re.split(r"[,;\n]", text or ""))):
        group, sep, role = item.partition("=")
        role = role.strip().lower()
        if not sep or not group.strip():
            raise ValidationError(f"role map entry {item!r} is not group=role: write e.g. cx-coders=reviewer")
        if role not in ROLES:
            raise ValidationError(f"role map entry {item!r} names unknown role {role!r}: use one of {', '.join(ROLES)}")
        mapping.setdefault(group.strip(), set()).add(role)
    return {group: frozenset(roles) for group, roles in mapping.items()}


def roles_from_claims(claims: Mapping[str, Any], role_map: Mapping[str, frozenset[str]],
                      claim: str = "groups") -> frozenset[str]:
    """Return the roles the groups in ``claims[claim]`` map to (a list, or one space/comma-separated string)."""
    value = claims.get(claim)
    if isinstance(value, str):
        groups = [g for g in re.split(r"[\s,]+", value) if g]
    elif isinstance(value, (list, tuple, set, frozenset)):
        groups = [str(g) for g in value]
    else:
        groups = []
    roles: set[str] = set()
    for group in groups:
        roles |= role_map.get(group, frozenset())
    return frozenset(roles)


def identity(claims: Mapping[str, Any]) -> tuple[str, str, str]:
    """Return (external id, login, display name) from OpenID Connect claims.

    Raises ValidationError when the claims carry no subject (``sub``).
    """
    sub = str(claims.get("sub") or "").strip()
    if not sub:
        raise ValidationError("the identity provider sent no subject (sub claim): check its client settings")
    issuer = str(claims.get("iss") or "").strip()
    login_src = str(claims.get("preferred_username") or claims.get("email") or sub)
    login = re.sub(r"[^a-z0-9._@-]+", "-", login_src.strip().casefold()).strip("-._@")[:64] or "user"
    if not login[0].isalnum():
        login = "u" + login[:63]
    name = str(claims.get("name") or claims.get("email") or login)
    return f"{issuer}|{sub}", login, name
