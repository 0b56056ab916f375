"""``--auth local`` on a real server: signed out nothing leaks; each role sees its pages; marks carry the account.

The app runs as ``streamlit run app.py`` with ANNOTATE_AUTH=local on a data directory whose store holds four
accounts (reviewer, second reviewer, trainer, analyst) and one recording. Requests without a valid session
are made with urllib and their bytes compared with the media file; the pages are driven in headless Chromium.
"""

from __future__ import annotations

import sqlite3
import urllib.error
import urllib.request
from fractions import Fraction
from pathlib import Path

import pytest
from itsdangerous import URLSafeTimedSerializer, timed

from annotate.accounts.sessions import COOKIE_NAME, SessionSigner, load_secret
from annotate.app.recordings import add_recording
from annotate.store.accounts import Accounts
from annotate.testing import make_clip
from annotate.testing import browser as browser_helpers
from annotate.testing.browser import add_accounts, running_app, wait_for

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"
USERS = {"ana": ("Ana Lima", ["reviewer"]), "rui": ("Rui Costa", ["reviewer"]), "tom": ("Tom Trainer", ["trainer"]),
         "ali": ("Ali Analyst", ["analyst"]), "ada": ("Ada Admin", ["admin"])}


@pytest.fixture(scope="module")
def server(browser_store):
    base, settings, store = browser_store
    clip = make_clip(base / "Private call.mp4", frame_times=[Fraction(i, 25) for i in range(100)], audio=False)
    rec, _ = add_recording(store, settings, clip)
    add_accounts(store, USERS, PASSWORD)
    with running_app(settings.data_dir, settings.db_url, base / "app.log", env={"ANNOTATE_AUTH": "local"}) as url:
        yield url, settings, rec, clip.read_bytes()


def fetch(url: str, cookie: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Cookie": f"{COOKIE_NAME}={cookie}"} if cookie else {})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_signed_out_every_route_refuses_and_leaks_nothing(server, monkeypatch):
    url, settings, rec, media = server
    secret = load_secret(settings.data_dir)
    forged = SessionSigner("not-the-servers-secret-key").issue(1, 0)
    old = timed.time.time() - 13 * 3600
    monkeypatch.setattr(timed.time, "time", lambda: old)
    expired = SessionSigner(secret).issue(1, 0)
    monkeypatch.undo()
    for path in (f"/cx/media/{rec.id}", f"/cx/frames/{rec.id}", "/cx/static/player.js", "/_stcore/host-config"):
        for cookie in (None, forged, expired, "garbage"):
            status, body = fetch(url + path, cookie)
            assert status == 401, (path, cookie, status)
            assert media[:2048] not in body and b"Private" not in body and b"times" not in body
    status, _ = fetch(url + "/review?rec=1")
    assert status == 303
    assert URLSafeTimedSerializer  # the cookie format the server reads is itsdangerous's


def sign_in(browser, url: str, login: str):
    return browser_helpers.sign_in(browser, url, login, PASSWORD, (1280, 720))


def nav_titles(page) -> set[str]:
    wait_for(lambda: page.locator("[data-testid=stSidebarNav] a").count() > 0, timeout=60, what="the page menu")
    return {t.strip().splitlines()[-1] for t in page.locator("[data-testid=stSidebarNav] a").all_inner_texts()}


def test_each_role_sees_only_its_pages(server, browser):
    url, _, _, _ = server
    seen = {}
    for login in ("tom", "ali", "ana"):
        context, page = sign_in(browser, url, login)
        try:
            seen[login] = nav_titles(page)
            page.goto(url + "/analyse")
            nav_titles(page)
            page.wait_for_timeout(3000)
            analyse_shown = page.get_by_role("heading", name="Analyse").count() > 0
            assert analyse_shown == (login == "ali"), login  # not in the others' navigation: not found
        finally:
            context.close()
    assert seen["tom"] == {"Library", "Play", "Settings"}
    assert seen["ali"] == {"Library", "Analyse", "Settings"}
    assert seen["ana"] == {"Library", "Review", "Play", "Settings"}


def test_marks_carry_the_account_and_another_reviewer_sees_them(server, browser):
    url, settings, rec, _ = server
    db = Path(settings.data_dir) / "annotate.sqlite"
    context, page = sign_in(browser, url, "ana")
    try:
        page.goto(f"{url}/review?rec={rec.id}")
        wait_for(lambda: page.locator("video").count() and page.locator("video").evaluate(
            "v => v.readyState >= 2"), timeout=90, what="the player")
        assert page.get_by_label("Your name").count() == 0
        page.evaluate("document.activeElement && document.activeElement.blur()")
        page.keyboard.press("m")
        wait_for(lambda: sqlite3.connect(db).execute("select count(*) from events").fetchone()[0] == 1,
                 timeout=30, what="the mark in the database")
    finally:
        context.close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("select reviewer from events").fetchall() == [("Ana Lima",)]
        # the change log records the account (login), the event the display name
        assert conn.execute("select distinct reviewer from change_log where entity='event'").fetchall() == [("ana",)]
    context, page = sign_in(browser, url, "rui")
    try:
        page.goto(f"{url}/review?rec={rec.id}")
        wait_for(lambda: page.locator("tr[data-event-id]").count() == 1, timeout=90, what="Ana's mark for Rui")
    finally:
        context.close()


def pick(page, label: str, option: str) -> None:
    """Choose ``option`` in the Streamlit select box or multiselect labelled ``label``."""
    from playwright.sync_api import Error as PlaywrightError

    for _ in range(15):  # the page may still be redrawing its list after a change: open it again until it offers it
        page.get_by_label(label, exact=True).first.click()
        try:
            page.get_by_role("option", name=option, exact=True).click(timeout=2000)
            break
        except PlaywrightError:
            page.keyboard.press("Escape")
    else:
        raise AssertionError(f"{label!r} never offered {option!r}")
    page.keyboard.press("Escape")


def test_an_admin_adds_a_user_then_disables_them_and_their_open_session_ends(server, browser, browser_store):
    url, _, rec, media = server
    accounts = Accounts(browser_store[2])
    admin_context, admin_page = sign_in(browser, url, "ada")
    try:
        assert "Users" in nav_titles(admin_page)
        admin_page.goto(url + "/users")
        admin_page.get_by_label("Login").fill("zed")
        admin_page.get_by_label("Display name (on their events)").fill("Zed Zero")
        pick(admin_page, "Roles", "reviewer")
        admin_page.get_by_role("textbox", name="Password", exact=True).fill(PASSWORD)
        admin_page.get_by_role("button", name="Add user").click()
        admin_page.get_by_text("Added zed (reviewer).").wait_for(timeout=30000)
        assert accounts.find("zed").roles == {"reviewer"} and accounts.find("zed").display_name == "Zed Zero"
        zed_context, zed_page = sign_in(browser, url, "zed")
        try:
            assert nav_titles(zed_page) == {"Library", "Review", "Play", "Settings"}
            assert zed_context.request.get(f"{url}/cx/media/{rec.id}").status in (200, 206)
            pick(admin_page, "User", "zed")
            admin_page.get_by_role("button", name="Disable zed").click()
            admin_page.get_by_text("zed is disabled").wait_for(timeout=30000)
            assert accounts.find("zed").disabled
            response = zed_context.request.get(f"{url}/cx/media/{rec.id}")
            assert response.status == 401 and media[:2048] not in response.body()
            zed_page.reload()
            zed_page.wait_for_url(lambda u: "/cx/login" in u, timeout=30000)
        finally:
            zed_context.close()
    finally:
        admin_context.close()
    who = {c.reviewer for c in browser_store[2].history() if c.entity == "user" and c.entity_id == str(
        accounts.find("zed").id)}
    assert who == {"ada"}
