"""A real headless Chromium marks events on the Review page; the SQLite file must hold the frames it showed.

The app runs as ``streamlit run app.py`` in a subprocess on a free port with a
temporary data directory. For each recording (the bundled sample, a constant
frame rate clip, a variable frame rate clip and a clip whose first frame is at
2 s, which the browser plays through a proxy) the test plays the video, presses
M, I and D at three moments while it plays, and captures the picture on screen
at each key press (drawn from the video element in a requestVideoFrameCallback
loop, the same notion of "on screen" the player uses). Each stored event's
frame, decoded by the library's ``frame_at(start_s)`` from the original file,
must be that picture: the frame-index stamp of the test clips must match, and
the sample's picture must match its decoded frame. Then the page is reloaded
(the events are still listed) and Z undoes the last mark. The marks and the
undo travel by the command route (``POST /cx/commands/{id}``); one more test
makes that route answer an error and checks the marks still arrive through the
Streamlit trigger. At 1280x720, Z after ending a duration must say it took back
the end (the duration is open again), and a mark refused while another
connection holds the SQLite write lock must wait visibly and be stored once the
lock is gone. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import random
import sqlite3
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

from annotate.testing import make_clip, read_stamp
from annotate.testing import browser as browser_helpers
from annotate.testing.browser import ROOT, decode_png, running_app, wait_for
from annotate.timebase import nearest_frame, seconds_from_ms, step_frame

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "test-artifacts"
REVIEWER = "Browser Test"


@dataclass
class App:
    url: str
    data_dir: Path
    recordings: dict  # name -> Recording
    log: Path

    def rows(self, sql: str, *args):
        with sqlite3.connect(self.data_dir / "annotate.sqlite") as conn:
            return conn.execute(sql, args).fetchall()


def _vfr_times(n: int, seed: int) -> list[Fraction]:
    rng = random.Random(seed)
    times = [Fraction(0)]
    for _ in range(n - 1):
        times.append(times[-1] + Fraction(rng.choice([20, 33, 40, 50, 67, 100]), 1000))
    return times


@pytest.fixture(scope="module")
def app(browser_store):
    from annotate.app.recordings import add_recording
    from annotate.app.sample import ensure_sample

    base, settings, store = browser_store
    data = settings.data_dir
    recs = {}
    sample = ensure_sample(store, settings)
    if sample is not None:
        recs["sample"] = sample
    clips = {
        "cfr": make_clip(base / "cfr.mp4", fps=Fraction(30000, 1001), n_frames=150, seed=1),
        "vfr": make_clip(base / "vfr.mp4", frame_times=_vfr_times(110, 5), seed=2),
        "late": make_clip(base / "late.mp4", fps=Fraction(25), n_frames=125, start_offset_s=2, seed=3),
    }
    for name, path in clips.items():
        recs[name], _ = add_recording(store, settings, path, title=f"{name} clip")
    assert recs["late"].start_offset_s == 2.0 and recs["late"].proxy_path, "a late start needs a proxy"
    assert recs["vfr"].vfr
    store.close()

    log = base / "streamlit.log"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ANNOTATE_DB_BUSY_TIMEOUT_S", str(BUSY_TIMEOUT_S))  # the app's own setting, read at start
        with running_app(data, settings.db_url, log) as url:
            yield App(url=url, data_dir=data, recordings=recs, log=log)


BUSY_TIMEOUT_S = 5

# --- page helpers ------------------------------------------------------------------------------

INSTALL_CAPTURE = """(v) => {
  const c = document.createElement('canvas');
  c.width = v.videoWidth; c.height = v.videoHeight;
  const g = c.getContext('2d', { willReadFrequently: true });
  g.drawImage(v, 0, 0, c.width, c.height);
  window.__cxTest = { captures: [], last: null, frames: 0 };
  const loop = (now, md) => {
    g.drawImage(v, 0, 0, c.width, c.height);
    window.__cxTest.last = md.mediaTime;
    window.__cxTest.frames += 1;
    v.requestVideoFrameCallback(loop);
  };
  v.requestVideoFrameCallback(loop);
  window.addEventListener('keydown', (e) => {
    if (['m', 'i', 'd'].includes(e.key.toLowerCase())) {
      window.__cxTest.captures.push({ key: e.key, mediaTime: window.__cxTest.last, png: c.toDataURL('image/png') });
    }
  }, true);
}"""


def open_review(page, app: App, rec_id: int):
    return browser_helpers.open_player(page, f"{app.url}/?rec={rec_id}", app.log, REVIEWER)


def watch_commands(page) -> list:
    """Record (status, ops) of every POST to the command route the page makes."""
    seen = []

    def on_response(response):
        req = response.request
        if req.method == "POST" and "/cx/commands/" in req.url:
            seen.append((response.status, [c["op"] for c in (req.post_data_json or {}).get("commands", [])]))

    page.on("response", on_response)
    return seen


def confirmed_rows(page) -> int:
    return page.locator("tr[data-event-id]:not(.pending)").count()


def grey_small(image: np.ndarray) -> np.ndarray:
    return cv2.resize(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), (160, 90), interpolation=cv2.INTER_AREA).astype(np.float32)


# --- the test ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["sample", "cfr", "vfr", "late"])
def test_marks_store_the_frames_the_browser_showed(app, browser, name):
    from annotate.ui import services

    if name not in app.recordings:
        pytest.fail("the sample recording is missing from sample_media/")
    rec = app.recordings[name]
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    posted = watch_commands(page)
    try:
        video = open_review(page, app, rec.id)
        before = wait_for(lambda: confirmed_rows(page) or (page.locator(".cx-empty").count() and -1), what="the event list")
        before = max(before, 0)
        stored_before = app.rows("select count(*) from events where recording_id=? and deleted_at is null", rec.id)[0][0]
        assert before == stored_before
        video.evaluate(INSTALL_CAPTURE)
        rng = random.Random(hash(name) & 0xFFFF)
        page.evaluate("document.activeElement && document.activeElement.blur()")  # no text field has focus
        page.keyboard.press(" ")
        wait_for(lambda: page.evaluate("window.__cxTest.frames") > 3, what="playback")
        for key in ("m", "i", "d"):
            page.wait_for_timeout(rng.uniform(350, 800))
            page.keyboard.press(key)
        page.keyboard.press(" ")
        wait_for(lambda: confirmed_rows(page) == before + 3, what="three new rows in the event list")
        captures = page.evaluate("window.__cxTest.captures")
        assert [c["key"] for c in captures] == ["m", "i", "d"]
        # The three marks went by the command route, and it stored them.
        assert sorted(op for status, ops in posted if status == 200 for op in ops).count("mark") >= 3, posted
        assert all(status == 200 for status, _ in posted), posted
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"review-{name}.png"), full_page=True)

        new = app.rows(
            "select kind, start_ms, reviewer from events where recording_id=? and deleted_at is null "
            "and reviewer=? order by created_at, start_ms", rec.id, REVIEWER,
        )
        assert [k for k, _, _ in new] == ["moment_of_truth", "internal_interaction", "decision_point"]
        times = services.frame_times(rec.path)
        for (kind, start_ms, _), capture in zip(new, captures):
            shown = decode_png(capture["png"])
            stored = services.frame_at(rec.path, seconds_from_ms(start_ms)).image
            # The stored time names the frame the browser reported on screen (requestVideoFrameCallback)...
            offset = services.playable(rec).start_offset_s
            on_screen = nearest_frame(capture["mediaTime"] - offset, times)
            assert step_frame(seconds_from_ms(start_ms), 0, times)[0] == on_screen, f"{kind} at {start_ms} ms"
            # ... and the library's decoded frame at that time is the picture that was on screen. The test's
            # canvas is drawn in its frame callback, which on a loaded machine can run after the next frame
            # is up: the picture may then be one frame later than the mediaTime it came with, never earlier.
            if name == "sample":
                diff = np.abs(grey_small(shown) - grey_small(stored)).mean()
                assert diff < 4.0, f"{kind}: the stored frame differs from the screen (mean grey diff {diff:.1f})"
            else:
                assert read_stamp(shown) - read_stamp(stored) in (0, 1), f"{kind} at {start_ms} ms is not on screen"

        # Reload: the events are still listed, read back from the store.
        page.reload()
        open_review(page, app, rec.id)
        wait_for(lambda: confirmed_rows(page) == before + 3, what="the events after a reload")

        # Z undoes the last mark (the DEC).
        page.evaluate("document.activeElement && document.activeElement.blur()")
        page.keyboard.press("z")
        wait_for(
            lambda: app.rows("select count(*) from events where recording_id=? and deleted_at is null", rec.id)[0][0]
            == stored_before + 2,
            what="undo in the store",
        )
        live = app.rows(
            "select kind from events where recording_id=? and reviewer=? and deleted_at is null", rec.id, REVIEWER
        )
        assert sorted(k for (k,) in live) == ["internal_interaction", "moment_of_truth"]
        wait_for(lambda: confirmed_rows(page) == before + 2, what="the undone row to leave the list")
        assert any(status == 200 and "undo" in ops for status, ops in posted), posted
        page.screenshot(path=str(ARTIFACTS / f"review-{name}-after-undo.png"), full_page=True)
        assert not errors, errors
    finally:
        context.close()


def test_keyboard_flow_steps_durations_and_form_focus(app, browser):
    """On the VFR clip: `.` walks the real frame times, Shift+I twice stores a duration, Enter opens the
    form, and after saving the form with Enter in a text field the marking keys work again."""
    from annotate.ui import services

    rec = app.recordings["vfr"]
    times = [float(t) for t in services.frame_times(rec.path)]
    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        video = open_review(page, app, rec.id)
        page.wait_for_timeout(500)
        page.evaluate("document.activeElement && document.activeElement.blur()")
        seen = []
        for _ in range(5):
            page.keyboard.press(".")
            page.wait_for_timeout(150)
            seen.append(video.evaluate("v => v.currentTime"))
        # Each step lands just after the next real frame time (0.1 ms), not on multiples of 1/fps.
        assert [round(t - 1e-4, 4) for t in seen] == [round(t, 4) for t in times[1:6]]

        page.keyboard.press("Shift+I")
        for _ in range(3):
            page.keyboard.press(".")
            page.wait_for_timeout(150)
        wait_for(lambda: video.evaluate("v => !v.seeking"), what="the last step")
        page.wait_for_timeout(300)
        page.keyboard.press("Shift+I")
        span = wait_for(
            lambda: app.rows(
                "select id, start_ms, end_ms from events where recording_id=? and kind='internal_interaction' "
                "and end_ms is not null and deleted_at is null", rec.id),
            what="the duration event",
        )
        [(event_id, start_ms, end_ms)] = span
        assert end_ms > start_ms
        start_index = step_frame(seconds_from_ms(start_ms), 0, times)[0]
        assert step_frame(seconds_from_ms(end_ms), 0, times)[0] - start_index in (2, 3)  # VFR seeks may show the frame before

        page.keyboard.press("Enter")  # describe the last mark
        field = page.get_by_label("What the customer expected")
        field.wait_for(timeout=20000)
        field.fill("a quick hand-off")
        field.press("Enter")  # submits the form; focus stays in the text field...
        wait_for(lambda: app.rows("select expectation from events where id=?", event_id) == [("a quick hand-off",)],
                 what="the saved form")
        page.wait_for_timeout(800)
        page.keyboard.press("d")  # ... until the player takes the keys back
        wait_for(lambda: app.rows("select count(*) from events where recording_id=? and kind='decision_point' "
                                  "and deleted_at is null", rec.id)[0][0] >= 1, what="a mark after using the form")

        page.keyboard.press("?")
        assert page.locator(".cx-help").is_visible()
        page.screenshot(path=str(ARTIFACTS / "review-help.png"))
        page.keyboard.press("Escape")
        assert not page.locator(".cx-help").is_visible()
        assert not errors, errors
    finally:
        context.close()


def test_marks_fall_back_to_the_streamlit_trigger_when_the_route_fails(app, browser):
    """The command route answers 500 (or is unreachable): the marks still reach the SQLite file, by a rerun."""
    rec = app.recordings["cfr"]
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    refused = []

    def fail(route):
        refused.append(route.request.post_data_json)
        route.fulfill(status=500, content_type="text/plain", body="the command route is broken")

    page.route("**/cx/commands/**", fail)
    try:
        open_review(page, app, rec.id)
        wait_for(lambda: confirmed_rows(page) or (page.locator(".cx-empty").count() and -1), what="the event list")
        before = app.rows("select count(*) from events where recording_id=? and deleted_at is null", rec.id)[0][0]
        assert confirmed_rows(page) == before
        page.evaluate("document.activeElement && document.activeElement.blur()")
        page.keyboard.press("Shift+ArrowRight")
        page.wait_for_timeout(300)
        page.keyboard.press("m")
        wait_for(lambda: confirmed_rows(page) == before + 1, what="the mark listed after the fallback")
        assert refused and refused[0]["commands"][0]["op"] == "mark", "the route was not tried first"
        new = app.rows("select id, kind from events where recording_id=? and deleted_at is null "
                       "and reviewer=? order by created_at desc limit 1", rec.id, REVIEWER)
        assert new and new[0][0] == refused[0]["commands"][0]["event_id"] and new[0][1] == "moment_of_truth"
        assert page.locator("tr.pending").count() == 0  # nothing left "saving…"
        assert not errors, errors
    finally:
        context.close()


def test_z_after_closing_a_duration_reopens_it_and_says_so(app, browser):
    """At 1280x720: Shift+M twice stores a duration, Z takes back just its end and the player says so in a
    status line that stays (longer than a toast) until the next command; Shift+M then ends it again."""
    rec = app.recordings["cfr"]
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        open_review(page, app, rec.id)
        wait_for(lambda: confirmed_rows(page) or (page.locator(".cx-empty").count() and -1), what="the event list")
        page.evaluate("document.activeElement && document.activeElement.blur()")
        page.keyboard.press("Shift+ArrowRight")
        page.wait_for_timeout(300)
        page.keyboard.press("Shift+M")
        for _ in range(10):
            page.keyboard.press(".")
            page.wait_for_timeout(60)
        page.wait_for_timeout(300)
        page.keyboard.press("Shift+M")
        query = ("select id, end_ms from events where recording_id=? and kind='moment_of_truth' and reviewer=? "
                 "and deleted_at is null order by created_at desc limit 1")
        [(event_id, end_ms)] = wait_for(lambda: [r for r in app.rows(query, rec.id, REVIEWER) if r[1] is not None],
                                        what="the ended duration")
        page.keyboard.press("z")
        status = page.locator('[data-role="notice"]')
        wait_for(lambda: "Undid: end of MOT" in (status.text_content() or ""), what="the undo message")
        assert "is open again" in status.text_content()
        assert app.rows("select end_ms, deleted_at from events where id=?", event_id) == [(None, None)]
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "review-undo-end-1280x720.png"))
        box = status.bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= 720, f"the message is off screen: {box}"
        page.wait_for_timeout(4000)  # longer than a toast lasts: the message is still there
        assert "Undid: end of MOT" in status.text_content()
        page.keyboard.press("Shift+M")  # the duration is open again: this ends it, it does not start a new one
        wait_for(lambda: app.rows("select end_ms is not null from events where id=?", event_id) == [(1,)],
                 what="the duration ended again")
        assert "Undid" not in (status.text_content() or "")
        assert not errors, errors
    finally:
        context.close()


def test_marks_refused_while_the_database_is_busy_wait_visibly_and_are_stored_once(app, browser):
    """Another connection holds the SQLite write lock past the app's busy timeout: the mark is not lost, the
    player says it is waiting, resends it once the lock is gone, and the event is stored exactly once.
    The app runs with a busy timeout of BUSY_TIMEOUT_S (ANNOTATE_DB_BUSY_TIMEOUT_S) instead of 30 s."""

    rec = app.recordings["vfr"]
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    answers = []
    page.on("response", lambda r: answers.append(r) if r.request.method == "POST" and "/cx/commands/" in r.url else None)
    try:
        open_review(page, app, rec.id)
        wait_for(lambda: confirmed_rows(page) or (page.locator(".cx-empty").count() and -1), what="the event list")
        page.evaluate("document.activeElement && document.activeElement.blur()")
        before = app.rows("select count(*) from events where recording_id=? and deleted_at is null", rec.id)[0][0]
        lock = sqlite3.connect(app.data_dir / "annotate.sqlite", isolation_level=None)
        lock.execute("BEGIN IMMEDIATE")
        try:
            page.keyboard.press("m")
            saving = page.locator('[data-role="waiting"]')
            wait_for(lambda: "1 mark waiting to be saved — retrying" in (saving.text_content() or ""),
                     what="the waiting notice")
            page.screenshot(path=str(ARTIFACTS / "review-marks-waiting.png"))

            def refused():
                page.wait_for_timeout(100)  # lets Playwright deliver the page's events (responses) meanwhile
                done = [(r.status, r.json()) for r in answers if r.status == 200]
                return any(x.get("retry") for _, a in done for x in a.get("results", []))

            # The POST waits out the busy timeout; a rerun the player starts meanwhile (its fallback for a POST
            # that hangs) waits for the review session and then for the database too: up to twice as long.
            wait_for(refused, timeout=2 * BUSY_TIMEOUT_S + 30, what="the route refusing the mark as busy")
            assert app.rows("select count(*) from events where recording_id=? and deleted_at is null",
                            rec.id)[0][0] == before
            assert "waiting to be saved" in saving.text_content()  # still queued, not dropped
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        wait_for(lambda: app.rows("select count(*) from events where recording_id=? and deleted_at is null",
                                  rec.id)[0][0] == before + 1, timeout=BUSY_TIMEOUT_S + 30, what="the mark stored")
        wait_for(lambda: not (saving.text_content() or ""), what="the notice to clear")
        page.wait_for_timeout(1500)
        assert app.rows("select count(*) from events where recording_id=? and deleted_at is null",
                        rec.id)[0][0] == before + 1  # once
        assert page.locator("tr.pending").count() == 0
        assert not errors, errors
    finally:
        context.close()
