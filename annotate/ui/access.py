"""Who is using this page, and whether their roles let them (the Streamlit side of annotate.accounts).

With ``--auth none`` everyone is the local user with every role. With ``--auth local``
the middleware has already let the browser in; a page reads the same session cookie
(``st.context.cookies``) to know the account, shows only what its roles allow, and
stamps the account's display name on what it marks.
"""

from __future__ import annotations

import streamlit as st

from ..accounts.mode import auth_mode
from ..accounts.roles import LOCAL_USER, User
from ..accounts.sessions import COOKIE_NAME
from ..errors import SignInError
from . import signin

# page url -> the action that opens it (annotate.accounts.roles.PERMISSIONS)
PAGE_ACTIONS = {"library": "library", "review": "review", "play": "play", "analyse": "analyse",
                "settings": "library", "consensus": "assign"}


def accounts_on() -> bool:
    """Return True when people sign in (``--auth local`` or ``oidc``)."""
    return auth_mode() != "none"


def current_user() -> User:
    """Return the signed-in account (LOCAL_USER with ``--auth none``); stops the page when there is none."""
    if not accounts_on():
        return LOCAL_USER
    try:
        return signin.gate().user_for(st.context.cookies.get(COOKIE_NAME))
    except SignInError as exc:
        st.error(str(exc), icon=":material/lock:")
        st.link_button("Sign in", signin.LOGIN_PATH)
        st.stop()


def require(action: str) -> User:
    """Return the current account when it may do ``action``; otherwise say so and stop the page."""
    user = current_user()
    if not user.can(action):
        roles = ", ".join(sorted(user.roles)) or "no role"
        st.warning(f"Your account ({roles}) may not use this page. Ask an admin for the role.",
                   icon=":material/block:")
        st.stop()
    return user


def visible(url_path: str, user: User) -> bool:
    """Return True when ``user`` may open the page at ``url_path``."""
    return user.can(PAGE_ACTIONS.get(url_path, "library"))
