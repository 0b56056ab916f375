"""Who is using this page, and whether their roles let them (the Streamlit side of annotate.accounts).

With ``--auth none`` everyone is the local user with every role. With ``--auth local``
the middleware has already let the browser in; a page reads the same session cookie
(``st.context.cookies``) to know the account, shows only what its roles allow, and
stamps the account's display name on what it marks. With ``--auth oidc`` the account
comes from the identity provider's claims (``st.user``, annotate.ui.oidc).

A page run asks who is signed in several times (the menu, the page, the sidebar,
each action); the answer is kept for the rest of that one run only, so the cookie is
verified and the account read once per run, and a disable or password change still
ends an open session at its very next run (a click, a fragment's tick).
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from ..accounts.mode import auth_mode
from ..accounts.roles import LOCAL_USER, User
from ..accounts.sessions import COOKIE_NAME
from ..errors import SignInError, ValidationError
from . import signin

# page url -> the action that opens it (annotate.accounts.roles.PERMISSIONS)
PAGE_ACTIONS = {"library": "library", "review": "review", "play": "play", "analyse": "analyse",
                "users": "users", "settings": "library", "consensus": "assign"}
_RUN_KEY = "cx_account_this_run"


def accounts_on() -> bool:
    """Return True when people sign in (``--auth local`` or ``oidc``)."""
    return auth_mode() != "none"


def _this_run() -> object | None:
    """Return an object that is new at every script run (the run context's widget cursors), or None."""
    ctx = get_script_run_ctx()
    return None if ctx is None else ctx.cursors


def current_user() -> User:
    """Return the signed-in account (LOCAL_USER with ``--auth none``); stops the page when there is none."""
    if not accounts_on():
        return LOCAL_USER
    run = _this_run()
    cached = st.session_state.get(_RUN_KEY)
    if run is not None and cached is not None and cached[0] is run:
        return cached[1]
    user = _signed_in()
    st.session_state[_RUN_KEY] = (run, user)
    return user


def _signed_in() -> User:
    """Return the account of this browser session, read now; stops the page (after saying why) when there is none."""
    oidc_mode = auth_mode() == "oidc"
    try:
        if oidc_mode:
            from . import oidc

            user = oidc.page_user()
        else:
            user = signin.gate().user_for(st.context.cookies.get(COOKIE_NAME))
    except (SignInError, ValidationError) as exc:
        st.error(str(exc), icon=":material/lock:")
        _sign_out_or_in(oidc_mode)
        st.stop()
    if user is None:
        from . import oidc

        oidc.sign_in_screen()
        st.stop()
    if not user.roles:
        st.warning(f"Signed in as {user.display_name}, but your groups give you no role in cx-annotate: "
                   "ask an admin to add you to a group the server maps to a role.", icon=":material/block:")
        _sign_out_or_in(oidc_mode)
        st.stop()
    return user


def _sign_out_or_in(oidc_mode: bool) -> None:
    if oidc_mode:
        from . import oidc

        oidc.sign_out_button()
    else:
        st.link_button("Sign in", signin.LOGIN_PATH)


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
