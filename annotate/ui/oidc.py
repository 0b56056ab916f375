"""Sign-in through an organisation's identity provider (``--auth oidc``): Streamlit's ``st.login``.

The app's secrets configure Streamlit's OpenID Connect client (``[auth]``:
``client_id``, ``client_secret``, ``server_metadata_url``, ``redirect_uri`` ending in
``/oauth2callback``, ``cookie_secret``; docs/team.md). Signed out, every page shows
one button that calls ``st.login``; the provider sends the browser back to
Streamlit's ``/oauth2callback``, which sets Streamlit's signed identity cookie.
A page reads the claims from ``st.user``; the middleware reads the same signed
cookie for our routes (``/cx/media``, ``/cx/frames``, ...). Either way
:func:`annotate.accounts.oidc.account_for` turns the claims into the account, read
from the store on every request, so an admin's disable ends the session at once.
"""

from __future__ import annotations

import json
from typing import Any

import streamlit as st

from ..accounts.oidc import account_for, rules_from_env
from ..accounts.roles import User
from . import signin


def claims_of_headers(headers: list[tuple[bytes, bytes]]) -> dict[str, Any] | None:
    """Return the identity claims in Streamlit's signed identity cookie of raw ASGI ``headers``.

    None when there is no such cookie, its signature or age fails, or it was issued
    for another origin than the configured ``redirect_uri``'s.
    """
    from streamlit.auth_util import get_cookie_with_chunks, get_origin_from_redirect_uri
    from streamlit.web.server.server_util import get_cookie_secret
    from streamlit.web.server.starlette.starlette_app_utils import decode_signed_value
    from streamlit.web.server.starlette.starlette_server_config import USER_COOKIE_NAME

    cookies = signin.cookies_of(headers)
    secret = get_cookie_secret()

    def one(name: str) -> bytes | None:
        value = cookies.get(name)
        return None if value is None else decode_signed_value(secret, name, value.encode("latin-1"))

    raw = get_cookie_with_chunks(one, USER_COOKIE_NAME)
    if not raw:
        return None
    try:
        payload = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(payload, dict) or not payload.get("is_logged_in"):
        return None
    if payload.get("origin") != get_origin_from_redirect_uri():
        return None
    return payload


def user_of_headers(headers: list[tuple[bytes, bytes]]) -> User | None:
    """Return the account of a request's identity cookie, or None when it carries none.

    Raises SignInError for a disabled account, ValidationError for claims without a subject.
    """
    claims = claims_of_headers(headers)
    return None if claims is None else account_for(signin.gate().accounts, claims, rules_from_env())


def page_user() -> User | None:
    """Return the account ``st.user`` names in this page run, or None when nobody signed in.

    Raises SignInError for a disabled account, ValidationError for claims without a subject.
    """
    if not st.user.is_logged_in:
        return None
    return account_for(signin.gate().accounts, st.user.to_dict(), rules_from_env())


def sign_in_screen() -> None:
    """Draw the signed-out page: one button that starts the provider's sign-in (``st.login``)."""
    st.title("cx-annotate")
    st.write("Sign in with your organisation's account to review recordings.")
    if st.button("Sign in", type="primary", icon=":material/login:", key="cx_oidc_login"):
        st.login()


def sign_out_button() -> None:
    """Draw a button that signs out of the provider's session (``st.logout``)."""
    if st.button("Sign out", icon=":material/logout:", key="cx_oidc_logout"):
        st.logout()
