"""``annotate serve --auth oidc`` end to end against a real OpenID Connect provider started here.

The provider is oidc-provider-mock (a Flask app on Authlib, from PyPI) on a free
localhost port, with three people whose ``groups`` claim differs. The app runs as a
real ``annotate serve --auth oidc`` subprocess whose ``.streamlit/secrets.toml``
(``[auth]``) points Streamlit's ``st.login`` at that provider; Chromium signs in
through the provider's own authorisation page and comes back through Streamlit's
``/oauth2callback``. The tests then look at the pages each person's groups open, the
account the store made, and our media route with and without the identity cookie.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings
from fractions import Fraction

import pytest

from annotate.app.recordings import add_recording
from annotate.testing import make_clip
from annotate.testing.browser import ROOT, free_port, wait_for

pytest.importorskip("authlib.deprecate")  # first: importing it turns its warnings on ("always")
with warnings.catch_warnings():  # the mock imports Authlib's deprecated jose module
    warnings.simplefilter("ignore", DeprecationWarning)
    oidc_provider_mock = pytest.importorskip("oidc_provider_mock")
pytestmark = [pytest.mark.browser,  # the mock provider calls a deprecated Authlib hook
              pytest.mark.filterwarnings("ignore::DeprecationWarning:authlib")]
ROLE_MAP = "cx-coders=reviewer,cx-trainers=trainer,cx-admins=admin"
PEOPLE = {
    "ana": {"name": "Ana Lima", "preferred_username": "ana", "email": "ana@example.org", "groups": ["cx-coders"]},
    "tom": {"name": "Tom Trainer", "preferred_username": "tom", "email": "tom@example.org", "groups": ["cx-trainers"]},
    "eve": {"name": "Eve Outsider", "preferred_username": "eve", "email": "eve@example.org", "groups": ["sales"]},
}


def _health(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def server(browser_store, tmp_path_factory):
    base, settings, store = browser_store
    clip = make_clip(base / "Private call.mp4", frame_times=[Fraction(i, 25) for i in range(50)], audio=False)
    rec, _ = add_recording(store, settings, clip)
    users = [oidc_provider_mock.User(sub=f"sub-{login}", claims=claims) for login, claims in PEOPLE.items()]
    with oidc_provider_mock.run_server_in_thread(user_claims=users) as provider:
        port, home = free_port(), tmp_path_factory.mktemp("oidc-home")
        (home / ".streamlit").mkdir()
        (home / ".streamlit" / "secrets.toml").write_text(
            f'[auth]\nredirect_uri = "http://localhost:{port}/oauth2callback"\n'
            f'cookie_secret = "{secrets.token_urlsafe(32)}"\nclient_id = "cx-annotate"\nclient_secret = "not-public"\n'
            f'server_metadata_url = "http://localhost:{provider.server_port}/.well-known/openid-configuration"\n')
        env = dict(os.environ, ANNOTATE_DATA_DIR=str(settings.data_dir), ANNOTATE_DB=settings.db_url, HOME=str(home),
                   ANNOTATE_OIDC_ROLES=ROLE_MAP, ANNOTATE_QUEUE="inline", PYTHONPATH=str(ROOT))
        log = open(base / "oidc-app.log", "wb")
        proc = subprocess.Popen([sys.executable, "-m", "annotate", "serve", "--auth", "oidc", "--port", str(port),
                                 "--no-worker"], cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://localhost:{port}"
        try:
            deadline = time.monotonic() + 90
            while not _health(url):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((base / "oidc-app.log").read_text(errors="replace")[-3000:])
                time.sleep(0.3)
            yield url, store, rec, clip.read_bytes()
        finally:
            proc.terminate()
            proc.wait(timeout=20)
            log.close()


def sign_in(browser, url: str, login: str):
    """Sign ``login`` in through the provider's page; return (context, page) on the app."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.goto(url + "/")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda u: "/oauth2/authorize" in u, timeout=30000)
    page.get_by_role("button", name=f"sub-{login}").click()
    page.wait_for_url(lambda u: u.startswith(url) and "oauth2callback" not in u, timeout=30000)
    return context, page


def nav_titles(page) -> set[str]:
    wait_for(lambda: page.locator("[data-testid=stSidebarNav] a").count() > 0, timeout=60, what="the page menu")
    return {t.strip().splitlines()[-1] for t in page.locator("[data-testid=stSidebarNav] a").all_inner_texts()}


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_groups_claim_sets_the_roles_and_the_pages(server, browser):
    url, store, rec, media = server
    seen = {}
    for login in ("ana", "tom"):
        context, page = sign_in(browser, url, login)
        try:
            seen[login] = nav_titles(page)
            page.get_by_text(f"Signed in as {PEOPLE[login]['name']}").wait_for(timeout=30000)
            response = context.request.get(f"{url}/cx/media/{rec.id}", headers={"Range": "bytes=0-1023"})
            assert response.status == 206 and response.body() == media[:1024]
        finally:
            context.close()
    assert seen["ana"] == {"Library", "Review", "Play", "Settings"}
    assert seen["tom"] == {"Library", "Play", "Settings"}
    accounts = {u.login: u for u in store.accounts.all()}
    assert accounts["ana"].roles == {"reviewer"} and accounts["ana"].external
    assert accounts["ana"].display_name == "Ana Lima" and accounts["ana"].reviewer.login == "ana"
    assert accounts["tom"].roles == {"trainer"}
    status, body = fetch(f"{url}/cx/media/{rec.id}")
    assert status == 401 and media[:1024] not in body


def test_no_mapped_group_opens_nothing_and_disable_ends_the_session(server, browser):
    url, store, rec, media = server
    context, page = sign_in(browser, url, "eve")
    try:
        page.get_by_text("your groups give you no role").wait_for(timeout=30000)
        assert page.locator("[data-testid=stSidebarNav] a").count() == 0
        assert context.request.get(f"{url}/cx/media/{rec.id}").status == 403
    finally:
        context.close()
    assert "eve" not in {u.login for u in store.accounts.all()}
    context, page = sign_in(browser, url, "ana")
    try:
        nav_titles(page)
        assert context.request.get(f"{url}/cx/media/{rec.id}").status in (200, 206)
        store.accounts.set_disabled("ana", True, actor="admin")
        response = context.request.get(f"{url}/cx/media/{rec.id}")
        assert response.status == 401 and media[:1024] not in response.body()
        page.reload()
        page.get_by_text("your account is disabled").wait_for(timeout=30000)
        assert page.locator("video").count() == 0
    finally:
        context.close()
        store.accounts.set_disabled("ana", False, actor="admin")
