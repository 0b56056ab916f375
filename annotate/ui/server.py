"""What app.py's ``st.App`` serves beside Streamlit: our routes, and sign-in when it is on.

With ``ANNOTATE_AUTH=local`` (``annotate serve --auth local``) every request first
passes :class:`annotate.ui.signin.SignInMiddleware`, and the sign-in routes are mounted.
With ``oidc`` the middleware reads Streamlit's identity cookie instead and Streamlit
mounts its own ``st.login`` routes (``/auth/login``, ``/oauth2callback``) from the secrets.
(app.py must keep the literal ``app = st.App(...)``: ``streamlit run`` finds the ASGI
app by reading the file, not by running it.)
"""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.routing import Route

from ..accounts.mode import auth_mode
from .routes import media_routes
from .signin import SignInMiddleware, signin_routes


def app_routes() -> list[Route]:
    """Return the routes to mount: the media, script and command routes, and sign-in with ``--auth local``."""
    return media_routes() + (signin_routes() if auth_mode() == "local" else [])


def app_middleware() -> list[Middleware]:
    """Return the middleware in front of everything: sign-in with ``--auth local`` or ``oidc``, none otherwise."""
    mode = auth_mode()
    return [] if mode == "none" else [Middleware(SignInMiddleware, mode=mode)]
