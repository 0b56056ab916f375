"""A real headless Chromium checks what the reviewer sees: links, layout, user text.

The app runs as ``streamlit run app.py`` in a subprocess with a temporary data
directory: a 5 s clip at 20 fps with events across the journey's stages (one
marked by a reviewer whose name is a Markdown phishing link), and a second clip.

* URLs: ``/review?rec=N&t=2.5`` opens that recording with the player on 2.5 s,
  ``/?rec=N`` lands on ``/review?rec=N``, ``/play?rec=N`` and ``/analyse?rec=N``
  open that recording; no "Page not found".
* The describe form: after a mark and Enter in the player, the Label field is
  inside the viewport at 1280x720 and 1440x900.
* The process map fits the width of its box and every event on it links to the
  Review page at its time (``review?rec=N&t=SECONDS``).
* User text: the page's DOM (shadow roots included) holds no link to the
  phishing site and shows the literal text.

Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import time
from fractions import Fraction
from urllib.parse import parse_qs, urlparse

import pytest

from annotate.model import Event, Kind
from annotate.testing import make_clip
from annotate.testing import browser as browser_helpers
from annotate.testing.browser import ROOT, running_app, wait_for

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "test-artifacts"
REVIEWER = "Layout Test"
LINK = "[Your session expired - sign in again](https://evil.example/login)"
EVIL = f"{LINK} <b>x</b>"
SIZES = [(1280, 720), (1440, 900)]

# Every element of the page, through open shadow roots (v2 components may render in one).
ALL_ELEMENTS = """() => {
  const out = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) { out.push(el); if (el.shadowRoot) walk(el.shadowRoot); }
  };
  walk(document);
  return out;
}"""
LINKS = f"""() => ({ALL_ELEMENTS})().filter(e => e.localName === 'a')
  .map(e => e.getAttribute('href') || e.getAttribute('xlink:href') || '')"""


@pytest.fixture(scope="module")
def app(browser_store):
    from annotate.app.recordings import add_recording

    base, settings, store = browser_store
    call = make_clip(base / "call.mp4", width=640, height=360, fps=Fraction(20), n_frames=100, audio=False, seed=7)
    other = make_clip(base / "other.mp4", width=320, height=240, fps=Fraction(20), n_frames=40, audio=False, seed=8)
    recs = {}
    recs["call"], _ = add_recording(store, settings, call, title="Care journey")
    recs["other"], _ = add_recording(store, settings, other, title="Other call")
    rid = recs["call"].id
    store.add_events([
        Event(kind=Kind.MOMENT_OF_TRUTH, start_s=0.3, recording_id=rid, label="Greeting", stage="Awareness", actor="Customer"),
        Event(kind=Kind.DECISION_POINT, start_s=1.1, recording_id=rid, label="Choose plan", stage="Purchase", actor="Customer"),
        Event(kind=Kind.INTERNAL_INTERACTION, start_s=2.0, recording_id=rid, label="Ask back office", stage="Care", actor="Back office"),
        Event(kind=Kind.MOMENT_OF_TRUTH, start_s=3.4, recording_id=rid, label="Refund promised", stage="Care", actor="Agent"),
        Event(kind=Kind.DECISION_POINT, start_s=4.6, recording_id=rid, label="Stay or leave", stage="Care", actor="Customer"),
    ], reviewer="seed")
    store.add_events([Event(kind=Kind.MOMENT_OF_TRUTH, start_s=2.6, recording_id=rid, label=EVIL, note=EVIL)], reviewer=EVIL)
    events = store.list_events(rid)
    store.close()
    log = base / "streamlit.log"
    with running_app(settings.data_dir, settings.db_url, log) as url:
        yield {"url": url, "recs": recs, "events": events, "log": log}


def new_page(browser, size):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return context, page, errors


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def give_name(page) -> None:
    browser_helpers.give_name(page, REVIEWER)


def open_player(page, app, path: str):
    """Go to ``path``, give the reviewer's name when asked, and return the loaded <video>."""
    return browser_helpers.open_player(page, f"{app['url']}{path}", app["log"], REVIEWER)


def picked(page) -> str:
    """Return what the page's first picker shows (its text and its input's value)."""
    box = page.locator('[data-testid="stSelectbox"]').first
    if not box.count():
        return ""
    return box.evaluate("b => b.innerText + ' ' + [...b.querySelectorAll('input')].map(i => i.value).join(' ')")


def assert_found(page) -> None:
    assert not page.get_by_text("Page not found").count(), "Streamlit said: Page not found"


# --- stable URLs ----------------------------------------------------------------------------------


def test_a_review_link_opens_that_recording_at_that_time(app, browser):
    rec = app["recs"]["call"]
    context, page, errors = new_page(browser, SIZES[0])
    try:
        video = open_player(page, app, f"/review?rec={rec.id}&t=2.5")
        assert urlparse(page.url).path == "/review"
        assert_found(page)
        wait_for(lambda: f"#{rec.id} Care journey" in picked(page), what="the recording in the picker")
        wait_for(lambda: video.evaluate("v => !v.seeking && Math.abs(v.currentTime - 2.5) < 0.05"),
                 what="the player on 2.5 s")
        assert abs(video.evaluate("v => v.currentTime") - 2.5) < 1 / 20
        shot(page, "layout-review-link.png")
        assert not errors, errors
    finally:
        context.close()


def test_the_root_url_lands_on_review_with_the_link_s_recording(app, browser):
    rec = app["recs"]["other"]
    context, page, errors = new_page(browser, SIZES[0])
    try:
        open_player(page, app, f"/?rec={rec.id}")
        wait_for(lambda: urlparse(page.url).path == "/review", what="the Review URL")
        assert parse_qs(urlparse(page.url).query)["rec"] == [str(rec.id)]
        wait_for(lambda: f"#{rec.id} Other call" in picked(page), what="the recording in the picker")
        assert_found(page)
        assert not errors, errors
    finally:
        context.close()


@pytest.mark.parametrize("where", ["play", "analyse"])
def test_play_and_analyse_links_open_that_recording(app, browser, where):
    rec = app["recs"]["other"]
    context, page, errors = new_page(browser, SIZES[0])
    try:
        page.goto(f"{app['url']}/{where}?rec={rec.id}")
        page.get_by_role("heading", name=where.capitalize()).wait_for(timeout=60_000)
        try:
            wait_for(lambda: f"#{rec.id} Other call" in picked(page), timeout=60, what="the recording in the picker")
        except AssertionError:
            shot(page, f"layout-debug-{where}.png")
            raise AssertionError(picked(page))
        assert urlparse(page.url).path == f"/{where}"
        assert_found(page)
        if where == "analyse":  # the linked recording's map is the tab shown
            page.locator(".cx-map svg").first.wait_for(timeout=30_000)
            title = page.locator(".cx-map svg .map-title").first.text_content()
            assert title.startswith(f"#{rec.id} ")
        assert not errors, errors
    finally:
        context.close()


@pytest.mark.parametrize("where", ["library", "settings"])
def test_every_other_page_has_its_own_url(app, browser, where):
    context, page, errors = new_page(browser, SIZES[0])
    try:
        page.goto(f"{app['url']}/{where}")
        page.get_by_role("heading", name=where.capitalize()).wait_for(timeout=60_000)
        assert urlparse(page.url).path == f"/{where}"
        assert_found(page)
        assert not errors, errors
    finally:
        context.close()


# --- the describe form ----------------------------------------------------------------------------


def confirmed_rows(page) -> int:
    return page.locator("tr[data-event-id]:not(.pending)").count()


def inside_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    size = page.viewport_size
    return bool(box) and box["y"] >= 0 and box["y"] + box["height"] <= size["height"] and box["x"] >= 0 \
        and box["x"] + box["width"] <= size["width"]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_enter_after_a_mark_shows_the_describe_form_in_the_viewport(app, browser, size):
    rec = app["recs"]["call"]
    context, page, errors = new_page(browser, size)
    try:
        open_player(page, app, f"/review?rec={rec.id}")
        before = wait_for(lambda: confirmed_rows(page), what="the event list")
        page.evaluate("document.activeElement && document.activeElement.blur()")  # no text field has focus
        page.keyboard.press("Shift+ArrowRight")
        page.wait_for_timeout(300)
        page.keyboard.press("m")
        wait_for(lambda: confirmed_rows(page) == before + 1, what="the mark in the list")
        page.keyboard.press("Enter")  # describe the last mark
        label = page.get_by_role("combobox", name="Label")
        label.wait_for(timeout=20_000)
        page.wait_for_timeout(1500)  # the page has settled (a scroll, if any, is done)
        shot(page, f"layout-describe-form-{size[0]}x{size[1]}.png")
        assert inside_viewport(page, label), (label.bounding_box(), page.viewport_size)
        label.fill(f"described at {size[0]}")
        label.press("Enter")
        page.get_by_role("button", name="Save details").click()  # the player takes the keys back, and is shown
        wait_for(lambda: inside_viewport(page, page.locator(".cx-stage").first), what="the player back in view")
        shot(page, f"layout-after-save-{size[0]}x{size[1]}.png")
        assert not errors, errors
    finally:
        context.close()


# --- the process map ------------------------------------------------------------------------------

MAP_STATE = """(box) => {
  const svg = box.querySelector('svg');
  const events = [...svg.querySelectorAll('[data-event-id]')].map(el => {
    const a = el.closest('a');
    return { id: el.getAttribute('data-event-id'), cls: el.getAttribute('class'), start: el.getAttribute('data-start-s'),
             href: a ? a.getAttribute('href') : null };
  });
  return { svgWidth: svg.getBoundingClientRect().width, boxWidth: box.clientWidth, scrollWidth: box.scrollWidth, events };
}"""


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_process_map_fits_the_width_and_links_every_event_to_review(app, browser, size):
    rec = app["recs"]["call"]
    context, page, errors = new_page(browser, size)
    try:
        page.goto(f"{app['url']}/analyse?rec={rec.id}")
        box = page.locator(".cx-map").first
        box.locator("svg .marker").first.wait_for(timeout=60_000)
        state = box.evaluate(MAP_STATE)
        assert state["svgWidth"] <= state["boxWidth"] + 0.5, state
        assert state["scrollWidth"] <= state["boxWidth"] + 0.5, "the map needs sideways scrolling"
        markers = [e for e in state["events"] if "marker" in (e["cls"] or "")]
        assert len(markers) >= len(app["events"])
        for e in state["events"]:
            assert e["href"], f"{e} has no link"
            url = urlparse(e["href"])
            query = parse_qs(url.query)
            assert url.path == "review" and query["rec"] == [str(rec.id)], e
            if e["start"] is not None:  # the marker: its link's time is its start (the attribute has 2 decimals)
                assert abs(float(query["t"][0]) - float(e["start"])) < 0.006, e
        shot(page, f"layout-map-{size[0]}x{size[1]}.png")

        page.get_by_role("button", name="+").first.click()  # zoom in: wider than the box, scrollable
        wait_for(lambda: box.evaluate(MAP_STATE)["scrollWidth"] > box.evaluate(MAP_STATE)["boxWidth"] * 1.1,
                 what="the zoomed map")
        page.get_by_role("button", name="Fit").first.click()
        wait_for(lambda: box.evaluate(MAP_STATE)["svgWidth"] <= box.evaluate(MAP_STATE)["boxWidth"] + 0.5,
                 what="the map fitted again")
        assert not errors, errors
    finally:
        context.close()


def test_clicking_an_event_on_the_map_opens_review_at_its_frame(app, browser):
    rec = app["recs"]["call"]
    [refund] = [e for e in app["events"] if e.label == "Refund promised"]
    context, page, errors = new_page(browser, SIZES[1])
    try:
        page.goto(f"{app['url']}/analyse?rec={rec.id}")
        marker = page.locator(f'.cx-map svg .marker[data-event-id="{refund.id}"]')
        marker.wait_for(timeout=60_000)
        with context.expect_page() as opened:
            marker.click()
        review_page = opened.value
        review_page.on("pageerror", lambda exc: errors.append(str(exc)))
        review_page.wait_for_load_state()
        url = urlparse(review_page.url)
        assert url.path == "/review" and parse_qs(url.query)["rec"] == [str(rec.id)]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            give_name(review_page)
            video = review_page.locator("video")
            if video.count() and video.evaluate("v => v.readyState >= 2 && !v.seeking && Math.abs(v.currentTime - 3.4) < 0.05"):
                break
            review_page.wait_for_timeout(250)
        else:
            raise AssertionError("the Review page did not show the event's frame")
        assert_found(review_page)
        assert not errors, errors
    finally:
        context.close()


# --- user text is text ----------------------------------------------------------------------------


PAGE_TEXT = """() => {
  const parts = [];
  const walk = (root) => {
    const w = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = w.nextNode(); n; n = w.nextNode()) parts.push(n.nodeValue);
    for (const el of root.querySelectorAll('*')) if (el.shadowRoot) walk(el.shadowRoot);
  };
  walk(document.body);
  return parts.join('');
}"""


def page_text(page) -> str:
    """The text the page shows, through shadow roots, without the invisible word joiners md_text adds."""
    return page.evaluate(PAGE_TEXT).replace("\u2060", "")


def assert_no_phishing_link(page) -> None:
    links = page.evaluate(LINKS)
    assert not [h for h in links if "evil.example" in h], links
    assert not page.locator("b", has_text="x").count(), "user text was rendered as HTML"


def test_a_reviewer_name_written_as_a_link_is_shown_as_text(app, browser):
    rec = app["recs"]["call"]
    [evil] = [e for e in app["events"] if e.reviewer == EVIL]
    context, page, errors = new_page(browser, SIZES[1])
    try:
        page.goto(f"{app['url']}/review?rec={rec.id}")
        name = page.get_by_label("Your name")
        name.wait_for(timeout=60_000)
        name.fill(EVIL)  # the reviewer's own name, shown in the sidebar
        name.press("Enter")
        page.locator(f'tr[data-event-id="{evil.id}"]').click(timeout=60_000)  # the edit form of the evil event
        wait_for(lambda: f"by {EVIL}" in page_text(page), what="the by-line of the evil event")
        assert f"Reviewer: {EVIL}" in page_text(page)
        assert_no_phishing_link(page)
        shot(page, "layout-user-text-review.png")

        for where in ("play", "analyse"):
            page.goto(f"{app['url']}/{where}?rec={rec.id}")
            page.get_by_role("heading", name=where.capitalize()).wait_for(timeout=60_000)
            wait_for(lambda: LINK in page_text(page), what=f"the evil label on {where}")
            assert_no_phishing_link(page)
        assert not errors, errors
    finally:
        context.close()
