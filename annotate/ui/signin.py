"""Sign-in for ``--auth local``: an ASGI middleware in front of the whole app, and its two routes.

Every request passes :class:`SignInMiddleware` before Streamlit or our routes see
it. Without a valid session cookie nothing of a recording leaks: a page request is
sent to ``/cx/login``, any other request (the websocket that carries every page,
``/cx/media``, ``/cx/frames``, ``/cx/commands``, downloads, static files) gets 401.
With one, the account is put in the request's scope (``scope["cx_user"]``) for the
routes to check its roles. The sign-in form is plain HTML served here, so the
session cookie can be HttpOnly (a Streamlit page cannot set one). With ``--auth oidc``
the same middleware reads Streamlit's identity cookie instead (annotate.ui.oidc) and
lets a signed-out browser reach only Streamlit's own page, websocket and assets, where
the page shows the provider's sign-in button. With ``--auth none`` the middleware is
not installed.
"""

from __future__ import annotations

import html
import threading
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from ..accounts.roles import LOCAL_USER, User
from ..accounts.sessions import COOKIE_NAME, SessionSigner, clear_cookie_header, load_secret
from ..accounts.signin import Gate
from ..errors import AccessDeniedError, SignInError, TooManyAttemptsError, ValidationError

LOGIN_PATH = "/cx/login"
LOGOUT_PATH = "/cx/logout"
OPEN_PATHS = frozenset({LOGIN_PATH, LOGOUT_PATH, "/_stcore/health"})
MAX_FORM_BYTES = 8192
_GATE: Gate | None = None
_GATE_LOCK = threading.Lock()


def gate() -> Gate:
    """Return this process's Gate on the app's store (made on first use)."""
    global _GATE
    with _GATE_LOCK:
        if _GATE is None:
            from . import services

            settings = services.settings()
            _GATE = Gate(services.store(settings).accounts, SessionSigner(load_secret(settings.data_dir)))
        return _GATE


def reset() -> None:
    """Forget the Gate (tests switch data directories)."""
    global _GATE
    with _GATE_LOCK:
        _GATE = None


def cookies_of(headers: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """Return the cookies of raw ASGI ``headers`` as {name: value} (the first of a repeated name wins)."""
    found: dict[str, str] = {}
    for name, value in headers:
        if name == b"cookie":
            for part in value.decode("latin-1").split(";"):
                key, _, val = part.strip().partition("=")
                found.setdefault(key, val)
    return found


def cookie_of(headers: list[tuple[bytes, bytes]]) -> str | None:
    """Return the session cookie's value from raw ASGI ``headers``, or None."""
    return cookies_of(headers).get(COOKIE_NAME)


def user_of(scope_or_request: Any) -> User:
    """Return the account a request was let in as (LOCAL_USER when sign-in is off)."""
    scope = getattr(scope_or_request, "scope", scope_or_request)
    return scope.get("cx_user") or LOCAL_USER


def require(scope_or_request: Any, action: str) -> User:
    """Return the request's account when it may do ``action``. Raises AccessDeniedError (answer 403)."""
    user = user_of(scope_or_request)
    if not user.can(action):
        raise AccessDeniedError(f"your account ({', '.join(sorted(user.roles)) or 'no role'}) may not {action} "
                                "here: ask an admin for the role")
    return user


class SignInMiddleware:
    """Lets a request through only when it names an account (see the module docstring).

    ``mode`` ``local``: our session cookie, else refused. ``oidc``: Streamlit's identity
    cookie (annotate.ui.oidc); signed out, only Streamlit's own page, websocket and
    assets pass (the page then shows the provider's sign-in button), our routes are refused.
    """

    def __init__(self, app: Any, mode: str = "local"):
        self.app = app
        self.mode = mode

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket") or scope.get("path") in OPEN_PATHS:
            return await self.app(scope, receive, send)
        try:
            user = await run_in_threadpool(self._user, scope.get("headers", []))
        except (SignInError, ValidationError) as exc:
            user, message = None, str(exc)
        else:
            message = "not signed in: sign in first"
        if user is not None:
            scope["cx_user"] = user
        elif not (self.mode == "oidc" and _streamlit_shell(scope)):
            return await _refuse(scope, receive, send, message)
        return await self.app(scope, receive, send)

    def _user(self, headers: list[tuple[bytes, bytes]]) -> User | None:
        """Return the account the request's cookie names (None: none, with oidc). Raises SignInError."""
        if self.mode == "oidc":
            from . import oidc

            return oidc.user_of_headers(headers)
        return gate().user_for(cookie_of(headers))


def _streamlit_shell(scope: dict) -> bool:
    """Return True for what a signed-out browser needs to show the sign-in button: the page, its websocket,
    Streamlit's assets and sign-in routes (never our routes, media files or uploads)."""
    path = scope.get("path", "/")
    if scope["type"] == "websocket" or path.startswith("/static/"):
        return True
    if path.startswith("/_stcore/"):
        return not path.startswith("/_stcore/upload_file")
    return _is_page(scope)


def _is_page(scope: dict) -> bool:
    path = scope.get("path", "/")
    return scope["type"] == "http" and scope.get("method") == "GET" and not path.startswith(
        ("/cx/", "/_stcore/", "/static/", "/media/", "/component/", "/app/"))


async def _refuse(scope: dict, receive: Any, send: Any, message: str) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 4401, "reason": "sign in first"})
        return
    if _is_page(scope):
        target = scope.get("path", "/") + ("?" + scope["query_string"].decode("latin-1") if scope.get(
            "query_string") else "")
        response: Response = RedirectResponse(f"{LOGIN_PATH}?next={quote(target, safe='')}", status_code=303)
    else:
        response = PlainTextResponse(message, status_code=401, headers={"Cache-Control": "no-store"})
    await response(scope, receive, send)


def _safe_next(value: str | None) -> str:
    """Return ``value`` when it is a path on this site; "/" otherwise (no open redirect)."""
    if not value:
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


_FORM = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in - cx-annotate</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
<style>body{{font-family:system-ui,sans-serif;background:#f6f7f9;display:flex;justify-content:center;
margin-top:12vh}}form{{background:#fff;padding:2rem 2.2rem;border-radius:10px;box-shadow:0 1px 4px #0002;
width:20rem}}label{{display:block;margin:.8rem 0 .2rem}}input{{width:100%;padding:.5rem;font-size:1rem;
box-sizing:border-box}}button{{margin-top:1.2rem;width:100%;padding:.6rem;font-size:1rem;background:#d62728;
color:#fff;border:0;border-radius:6px}}.err{{color:#b00020;margin:.6rem 0 0}}</style></head><body>
<form method="post" action="{action}"><h2>cx-annotate</h2><p>Sign in to review recordings.</p>
<label for="login">Name</label><input id="login" name="login" autocomplete="username" value="{login}" autofocus>
<label for="password">Password</label><input id="password" name="password" type="password"
 autocomplete="current-password"><input type="hidden" name="next" value="{next}">
<p class="err" role="alert">{error}</p><button type="submit">Sign in</button></form></body></html>"""


def _form(next_path: str, login: str = "", error: str = "", status: int = 200) -> HTMLResponse:
    page = _FORM.format(action=LOGIN_PATH, login=html.escape(login), next=html.escape(next_path),
                        error=html.escape(error))
    return HTMLResponse(page, status_code=status, headers={"Cache-Control": "no-store",
                                                           "Content-Security-Policy": "default-src 'none'; "
                                                           "style-src 'unsafe-inline'; form-action 'self'"})


async def login(request: Request) -> Response:
    """GET: the sign-in form. POST: check name and password; set the session cookie and go to ``next``."""
    if request.method == "GET":
        return _form(_safe_next(request.query_params.get("next")))
    declared = request.headers.get("content-length", "")
    if not declared.isdigit() or int(declared) > MAX_FORM_BYTES:
        return PlainTextResponse("the sign-in form is too large or has no length; reload the page", status_code=413)
    fields = parse_qs((await request.body())[:MAX_FORM_BYTES].decode("utf-8", "replace"))
    name = (fields.get("login") or [""])[0][:200]
    password = (fields.get("password") or [""])[0]
    target = _safe_next((fields.get("next") or ["/"])[0])
    address = request.client.host if request.client else "?"
    try:
        _user, cookie = await run_in_threadpool(gate().sign_in, name, password, address)
    except TooManyAttemptsError as exc:
        return _form(target, name, str(exc), status=429)
    except SignInError as exc:
        return _form(target, name, str(exc), status=401)
    secure = request.url.scheme == "https"
    response = RedirectResponse(target, status_code=303)
    response.headers.append("set-cookie", gate().signer.cookie_header(cookie, secure=secure))
    return response


async def logout(request: Request) -> Response:
    """Remove the session cookie and show the sign-in form."""
    response = RedirectResponse(LOGIN_PATH, status_code=303)
    response.headers.append("set-cookie", clear_cookie_header())
    return response


def signin_routes() -> list[Route]:
    """Return the sign-in and sign-out routes (mounted only with ``--auth local``)."""
    return [Route(LOGIN_PATH, login, methods=["GET", "POST"]), Route(LOGOUT_PATH, logout, methods=["GET", "POST"])]
