"""Who is asking: accounts, roles, passwords, signed sessions and sign-in limits.

The layer under the app's pages and routes that decides whether a request may see
a recording. Nothing here imports streamlit: the UI asks :mod:`.roles` what a user
may do and :mod:`.sessions` who a cookie belongs to; the users themselves live in
the store (``annotate.store.accounts``).
"""

from __future__ import annotations

from .roles import ROLES, User, allowed, parse_roles

__all__ = ["ROLES", "User", "allowed", "parse_roles"]
