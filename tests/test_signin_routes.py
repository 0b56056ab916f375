"""``--auth local`` in front of the real routes: nothing of a recording leaks without a valid session cookie.

The app's routes sit behind SignInMiddleware as app.py mounts them; users are real rows of the SQLite store,
cookies real signed values; the media bytes returned are compared with the file on disk.
"""

from __future__ import annotations

import asyncio
from fractions import Fraction
from urllib.parse import quote

import pytest
from itsdangerous import timed
from starlette.applications import Starlette
from starlette.middleware import Middleware

from annotate.accounts import passwords
from annotate.accounts.sessions import COOKIE_NAME, SessionSigner
from annotate.store.accounts import Accounts
from annotate.testing import make_clip
from annotate.testing.asgi import asgi_request
from annotate.ui import services, signin
from annotate.ui.routes import media_routes

PASSWORD = "correct horse"


@pytest.fixture
def app(tmp_path, monkeypatch):
    from annotate.app.recordings import add_recording

    monkeypatch.setenv("ANNOTATE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("ANNOTATE_DB", raising=False)
    monkeypatch.delenv("ANNOTATE_SECRET", raising=False)
    import annotate.app.sample as sample

    monkeypatch.setattr(sample, "sample_dir", lambda: None)
    services.reset()
    signin.reset()
    times = [Fraction(i, 25) for i in range(6)]
    clip = make_clip(tmp_path / "Secret customer call.mp4", frame_times=times, audio=False)
    recording, _ = add_recording(services.store(), services.settings(), clip)
    Accounts(services.store()).add("ana", ["reviewer"], passwords.hash_password(PASSWORD), display_name="Ana")
    app = Starlette(routes=media_routes() + signin.signin_routes(), middleware=[Middleware(signin.SignInMiddleware)])
    yield app, recording, clip.read_bytes()
    services.reset()
    signin.reset()


def call(app, path, cookie=None, **kw):
    headers = dict(kw.pop("headers", {}))
    if cookie is not None:
        headers["Cookie"] = f"{COOKIE_NAME}={cookie}"
    return asgi_request(app, path, headers, **kw)


def sign_in(app, login="ana", password=PASSWORD, next_path="/"):
    form = f"login={quote(login)}&password={quote(password)}&next={quote(next_path)}".encode()
    return call(app, signin.LOGIN_PATH, method="POST", body=form,
                headers={"Content-Type": "application/x-www-form-urlencoded"})


def cookie_from(headers) -> str:
    header = headers["set-cookie"]
    return header.split(";")[0].split("=", 1)[1]


def leaks(body: bytes, recording, media: bytes) -> bool:
    return media[:4096] in body or recording.title.encode() in body or b"Secret" in body


@pytest.mark.parametrize("path", ["/cx/media/{id}", "/cx/frames/{id}", "/cx/static/player.js"])
def test_without_a_valid_cookie_routes_answer_401_and_leak_nothing(app, path, monkeypatch):
    app, rec, media = app
    url = path.format(id=rec.id)
    good = cookie_from(sign_in(app)[1])
    forged = SessionSigner("someone-elses-secret-key").issue(1, 0)
    altered = good[:-3] + ("xyz" if not good.endswith("xyz") else "abc")
    for cookie in (None, "", forged, altered, "garbage"):
        status, _, body = call(app, url, cookie)
        assert status == 401 and not leaks(body, rec, media), (cookie, status)
    later = timed.time.time() + signin.gate().signer.max_age_s + 60
    monkeypatch.setattr(timed.time, "time", lambda: later)
    status, _, body = call(app, url, good)
    assert status == 401 and b"expired" in body and not leaks(body, rec, media)


def test_signed_in_the_media_is_the_file(app):
    app, rec, media = app
    status, headers, _ = sign_in(app, next_path="/review?rec=1")
    assert status == 303 and headers["location"] == "/review?rec=1"
    attrs = {a.strip() for a in headers["set-cookie"].split(";")}
    assert {"HttpOnly", "SameSite=Strict", "Path=/"} <= attrs
    status, _, body = call(app, f"/cx/media/{rec.id}", cookie_from(headers))
    assert status == 200 and body == media


def test_a_page_request_is_sent_to_the_sign_in_form_and_back(app):
    app, _, _ = app
    status, headers, _ = call(app, "/review?rec=1&t=2.5")
    assert status == 303 and headers["location"] == "/cx/login?next=" + quote("/review?rec=1&t=2.5", safe="")
    status, _, body = call(app, "/cx/login?next=%2Freview%3Frec%3D1")
    assert status == 200 and b'name="next" value="/review?rec=1"' in body


@pytest.mark.parametrize("login,password", [("ana", "wrong horse"), ("<b>nobody</b>", PASSWORD)])
def test_a_refused_sign_in_sets_no_cookie_and_shows_the_name_as_text(app, login, password):
    app, _, _ = app
    status, headers, body = sign_in(app, login, password)
    assert status == 401 and "set-cookie" not in headers
    assert b"wrong name or password" in body and b"<b>nobody" not in body


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "review"])
def test_next_never_leaves_the_site(app, target):
    app, _, _ = app
    status, headers, _ = sign_in(app, next_path=target)
    assert status == 303 and headers["location"] == "/"


def test_repeated_failures_are_refused_with_429_even_with_the_right_password(app):
    app, _, _ = app
    for _ in range(5):
        assert sign_in(app, password="wrong guess")[0] == 401
    status, headers, body = sign_in(app)
    assert status == 429 and "set-cookie" not in headers and b"too many failed sign-ins" in body


def test_a_huge_sign_in_form_is_refused_before_it_is_read(app):
    app, _, _ = app
    status, _, _ = call(app, signin.LOGIN_PATH, method="POST", body=b"login=" + b"a" * 100_000,
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 413


def test_the_websocket_that_carries_the_pages_is_closed_without_a_session(app):
    app, _, _ = app
    sent: list[dict] = []

    async def receive():
        return {"type": "websocket.connect"}

    async def send(message):
        sent.append(message)

    scope = {"type": "websocket", "path": "/_stcore/stream", "headers": [], "query_string": b"",
             "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80), "scheme": "ws", "root_path": "",
             "asgi": {"version": "3.0"}}
    asyncio.run(signin.SignInMiddleware(app)(scope, receive, send))
    assert sent == [{"type": "websocket.close", "code": 4401, "reason": "sign in first"}]


def test_sign_out_clears_the_cookie(app):
    app, _, _ = app
    status, headers, _ = call(app, signin.LOGOUT_PATH, cookie_from(sign_in(app)[1]))
    assert status == 303 and headers["location"] == signin.LOGIN_PATH
    assert headers["set-cookie"].startswith(f"{COOKIE_NAME}=;") and "Max-Age=0" in headers["set-cookie"]
