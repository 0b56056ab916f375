"""How the server decides who is asking: ``ANNOTATE_AUTH`` = ``none`` | ``local`` | ``oidc``.

``none`` (the default) is one person on their own machine: the app acts as a user
holding every role, and ``annotate serve`` refuses it on any address but localhost.
``local`` signs users in with the accounts in the store. ``oidc`` signs them in
through an organisation's identity provider (Streamlit's ``st.login``, set in the
app's secrets) and maps a claim of theirs to roles (:mod:`.oidc`).
"""

from __future__ import annotations

import ipaddress
import os

from ..errors import AnnotateError

MODES = ("none", "local", "oidc")


def auth_mode() -> str:
    """Return the configured mode. Raises AnnotateError for a value that is not one of MODES."""
    mode = os.environ.get("ANNOTATE_AUTH", "none").strip().lower() or "none"
    if mode not in MODES:
        raise AnnotateError(f"ANNOTATE_AUTH={mode!r} is not one of {', '.join(MODES)}")
    return mode


def is_local_address(host: str) -> bool:
    """Return True when ``host`` only listens on this machine (localhost, 127.x, ::1)."""
    host = host.strip().strip("[]")
    if host in ("localhost", ""):
        return host == "localhost"
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_listen(mode: str, host: str) -> None:
    """Raise AnnotateError when ``mode`` is ``none`` and ``host`` is reachable from other machines."""
    if mode == "none" and not is_local_address(host):
        raise AnnotateError(
            f"--auth none serves every recording to anyone who can reach {host}: add a user with "
            "`annotate user add NAME --role admin` and start with --auth local (or listen on localhost)"
        )
