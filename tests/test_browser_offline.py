"""The app works offline: no page asks any host but the app's own server for anything.

A real headless Chromium opens every page of ``streamlit run app.py`` (on the
bundled sample) and records every request the page makes; requests to other
hosts are aborted, as they would fail on a machine without internet. The
favicon must be served by the app itself (a ``:material/...:`` page icon makes
Streamlit point it at Google's font server).
"""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from annotate.testing.browser import running_app, wait_for

pytestmark = pytest.mark.browser

PAGES = ("", "library", "play", "analyse", "settings")


@pytest.fixture(scope="module")
def app(browser_store):
    from annotate.app.sample import ensure_sample

    base, settings, store = browser_store
    assert ensure_sample(store, settings) is not None
    store.close()
    with running_app(settings.data_dir, settings.db_url, base / "streamlit.log") as url:
        yield url


def test_no_page_reaches_outside_the_app(browser, app):
    own = urlparse(app).netloc
    outside: list[str] = []
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    context.route(lambda url: urlparse(url).netloc not in (own, ""), lambda route: (outside.append(route.request.url), route.abort()))
    page = context.new_page()
    try:
        for path in PAGES:
            page.goto(f"{app}/{path}")
            wait_for(lambda: page.locator("[data-testid='stSidebarNav'], [data-testid='stSidebar']").count(), what=f"/{path} to draw")
            page.wait_for_load_state("networkidle")
            icon = wait_for(lambda: page.evaluate("() => document.querySelector(\"link[rel*='icon']\")?.href || ''"),
                            what="the favicon link")
            assert urlparse(icon).netloc in (own, ""), f"/{path}: favicon from {icon}"
    finally:
        context.close()
    assert outside == [], f"pages asked other hosts for: {sorted(set(outside))}"
