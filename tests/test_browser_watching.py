"""A real headless Chromium on the Review page: the filmstrip and the waveform above the timeline, and the
player remembering where the reviewer stopped (with the pitch kept at 2x), and the suggested moments' lane
with its keys (N, Enter, X, a kind's key) and "skip silences"; and the transcript beside the video (a WebVTT with
speakers, imported through the library): the line heard is highlighted, a click on a line shows the frame at
its start, the search keeps the lines holding a word, and a kind's button on a line marks an event there.

The app runs as ``streamlit run app.py`` with the inline queue, so opening a recording queues its preview job
and the player picks the files up when they are made. The clip's frames are stamped with their index and its
audio is a burst of noise at a known time: the filmstrip canvas must show, at the place of a time, the
thumbnail of that time's frame; the waveform must be loud there and silent elsewhere; hovering shows the
thumbnail and the time; clicking the strip seeks the video to that time. Played at 2x and paused, the
position is in the database; after a reload the player offers to resume there, and does.
"""

from __future__ import annotations

import sqlite3
from fractions import Fraction

import numpy as np
import pytest

from annotate.testing.browser import ROOT, decode_png, open_player, running_app, wait_for

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def app(browser_store):
    from annotate.app.recordings import add_recording
    from annotate.suggest.types import Suggestion
    from annotate.transcripts.cues import read_file
    from annotate.testing.bursts import burst_clip

    base, settings, store = browser_store
    clip = burst_clip(base / "call.mov", video_start_s=Fraction(0), audio_delay_s=Fraction(0), bursts=[(4.0, 5.0)],
                      seconds=8)
    rec, _ = add_recording(store, settings, clip)
    store.suggestions.replace(rec.id, [
        Suggestion("cut", 2.0, None, "screen changed", "moment_of_truth", 0.9),
        Suggestion("hold", 3.0, 5.0, "screen still for 2 s", "decision_point", 0.2),
        Suggestion("silence", 5.5, 7.5, "silence 2 s", "decision_point", 0.2),
    ], {"test": 1}, "test")
    vtt = base / "call.vtt"
    vtt.write_text("WEBVTT\n\n00:00:01.000 --> 00:00:02.500\n<v Agent>Thanks for calling, how can I help?\n\n"
                   "00:00:03.200 --> 00:00:04.800\n<v Customer>My card was charged twice.\n\n"
                   "00:00:06.000 --> 00:00:07.000\n<v Agent>Let me check that <b>now</b>.\n", encoding="utf-8")
    store.transcripts.replace(rec.id, read_file(vtt), source="call.vtt", reviewer="test")
    with running_app(settings.data_dir, settings.db_url, base / "app.log") as url:
        yield url, rec, base / "app.log", settings.data_dir


def test_the_filmstrip_and_waveform_show_the_recording_and_seek(app, browser):
    url, rec, log, _ = app
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        open_player(page, f"{url}/review?rec={rec.id}", log, "Browser Test")
        film, wave_canvas = page.locator("canvas[data-role=film]"), page.locator("canvas[data-role=wave]")
        wait_for(lambda: film.is_visible() and wave_canvas.evaluate(
            "c => { if (!c.width) return false; const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
            " for (let i = 3; i < d.length; i += 4) if (d[i]) return true; return false; }"),
            timeout=90, what="the waveform to be drawn")
        wave = decode_png(wave_canvas.evaluate("c => c.toDataURL('image/png')"))
        w = wave.shape[1]
        ink = (wave.sum(axis=2) > 0).sum(axis=0)  # drawn pixels per column (transparent is black in the PNG)
        loud = ink[int(w * 4.2 / 8):int(w * 4.8 / 8)].mean()
        quiet = np.concatenate([ink[int(w * 0.5 / 8):int(w * 3.5 / 8)], ink[int(w * 5.5 / 8):int(w * 7.5 / 8)]]).mean()
        assert loud > 5 * max(quiet, 1)
        strip = decode_png(film.evaluate("c => c.toDataURL('image/png')"))
        left, right = strip[:, : strip.shape[1] // 8].mean(), strip[:, -strip.shape[1] // 8:].mean()
        assert abs(left - right) > 10  # the clip's picture brightens with time: the strip is not one tile repeated
        box = film.bounding_box()
        page.mouse.move(box["x"] + box["width"] * 0.7625, box["y"] + box["height"] / 2)
        tip = page.locator(".cx-scrubtip")
        wait_for(lambda: tip.is_visible(), what="the hover thumbnail")
        shown = tip.locator(".cx-scrubtime").text_content()  # HH:MM:SS.mmm
        assert shown.startswith("00:00:0") and abs(float(shown[6:]) - 6.1) < 0.05, shown
        assert tip.get_attribute("data-tile") == "6"  # one tile a second: the one taken at 6 s
        (ROOT / "test-artifacts").mkdir(exist_ok=True)
        page.screenshot(path=str(ROOT / "test-artifacts" / "review-filmstrip.png"))
        page.mouse.click(box["x"] + box["width"] * 0.25, box["y"] + box["height"] / 2)
        wait_for(lambda: abs(page.locator("video").evaluate("v => v.currentTime") - 2.0) < 0.15,
                 what="the click to seek to 2 s")
    finally:
        page.close()


def test_the_player_remembers_where_the_reviewer_stopped_and_offers_to_resume(app, browser):
    url, rec, log, data_dir = app
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        video = open_player(page, f"{url}/review?rec={rec.id}", log, "Browser Test")
        assert page.locator("[data-act=resume]").count() == 0  # never played: nothing to resume
        video.evaluate("v => { v.muted = true; v.playbackRate = 2; return v.play(); }")
        assert video.evaluate("v => v.preservesPitch") is True
        wait_for(lambda: video.evaluate("v => v.currentTime") > 4.0, what="playing past 4 s")
        stopped = video.evaluate("v => { v.pause(); return v.currentTime; }")

        def stored():
            with sqlite3.connect(data_dir / "annotate.sqlite") as conn:
                return conn.execute("SELECT t_ms FROM positions WHERE recording_id = ? AND reviewer = ?",
                                    (rec.id, "Browser Test")).fetchone()
        # the pause's report (a report while playing may land first)
        t_ms = wait_for(lambda: (row := stored()) and abs(row[0] / 1000 - stopped) < 0.2 and row[0],
                        what="the position where it paused to be stored")
        page.reload()
        video = open_player(page, f"{url}/review?rec={rec.id}", log, "Browser Test")
        button = page.locator("[data-act=resume]")
        wait_for(lambda: button.count() and button.is_visible(), what="the resume button")
        assert video.evaluate("v => v.currentTime") < 0.5  # offered, not done behind the reviewer's back
        button.click()
        wait_for(lambda: abs(video.evaluate("v => v.currentTime") - t_ms / 1000) < 0.15, what="resuming")
    finally:
        page.close()


def test_suggestions_have_a_lane_and_keys_that_answer_them(app, browser):
    url, rec, log, data_dir = app

    def db(sql, *args):
        with sqlite3.connect(data_dir / "annotate.sqlite") as conn:
            return conn.execute(sql, args).fetchall()

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        video = open_player(page, f"{url}/review?rec={rec.id}", log, "Browser Test")
        wait_for(lambda: page.locator(".cx-sg").count() == 3, what="the suggestion lane")
        now = lambda: video.evaluate("v => v.currentTime")  # noqa: E731
        page.keyboard.press("n")
        wait_for(lambda: abs(now() - 2.0) < 0.06, what="N going to the cut")
        assert "screen changed" in page.locator("[data-role=notice]").text_content()
        page.keyboard.press("Enter")
        mot = wait_for(lambda: db("SELECT kind, start_ms, reviewer FROM events WHERE deleted_at IS NULL"),
                       what="the accepted suggestion as an event")
        assert mot == [("moment_of_truth", 2000, "Browser Test")]
        page.keyboard.press("n")
        wait_for(lambda: abs(now() - 3.0) < 0.06, what="N going to the hold")
        page.keyboard.press("x")
        wait_for(lambda: db("SELECT state FROM suggestion_reviews WHERE state = 'dismissed'"), what="the dismissal")
        page.keyboard.press("n")
        wait_for(lambda: abs(now() - 5.5) < 0.06, what="N going to the silence")
        page.keyboard.press("i")  # accept as another kind
        wait_for(lambda: len(db("SELECT 1 FROM events WHERE deleted_at IS NULL")) == 2, what="the second event")
        assert db("SELECT kind, start_ms, end_ms FROM events WHERE kind = 'internal_interaction'") == [
            ("internal_interaction", 5500, 7500)]
        page.keyboard.press("Shift+N")
        wait_for(lambda: "no open suggestion before" in page.locator("[data-role=notice]").text_content(),
                 what="nothing open before: all three answered")
        page.locator("[data-act=skipsil]").click()
        video.evaluate("v => { v.muted = true; v.currentTime = 5.0; return v.play(); }")
        page.wait_for_timeout(1500)
        assert now() > 7.1  # 1.5 s of playing from 5 s, with the 2 s silence skipped
    finally:
        page.close()


def test_the_transcript_beside_the_video_follows_seeks_searches_and_marks(app, browser):
    url, rec, log, data_dir = app
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        video = open_player(page, f"{url}/review?rec={rec.id}", log, "Browser Test")
        page.locator("button[data-tab=transcript]").click()
        lines = page.locator(".cx-tline")
        wait_for(lambda: lines.count() == 3, what="the transcript's lines")
        assert lines.nth(1).locator(".cx-tspeaker").text_content() == "Customer"
        assert lines.nth(2).locator(".cx-ttext").text_content() == "Let me check that now."  # tags are not markup
        lines.nth(1).locator(".cx-ttext").click()
        wait_for(lambda: abs(video.evaluate("v => v.currentTime") - 3.2) < 0.06, what="the click to seek")
        wait_for(lambda: "cur" in (lines.nth(1).get_attribute("class") or ""), what="the line heard highlighted")
        # the frame shown is the one at the line's start: the clip is 10 fps, so frame 32 (the player's clock)
        assert "frame 33/" in page.locator("[data-role=clock]").text_content()
        page.locator("[data-role=tsearch]").fill("card")
        wait_for(lambda: lines.nth(0).is_hidden() and lines.nth(1).is_visible(), what="the search to filter")
        assert page.locator("[data-role=tcount]").text_content() == "1 of 3 lines"
        lines.nth(1).locator("button[data-act=tmark]").nth(2).click()  # DEC at the line's start

        def stored():
            with sqlite3.connect(data_dir / "annotate.sqlite") as conn:
                return conn.execute("SELECT kind, start_ms, note FROM events WHERE kind = 'decision_point' "
                                    "AND deleted_at IS NULL").fetchall()
        assert wait_for(stored, what="the event marked from the line") == [
            ("decision_point", 3200, "My card was charged twice.")]
    finally:
        page.close()
