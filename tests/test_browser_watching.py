"""A real headless Chromium on the Review page: the filmstrip and the waveform above the timeline, and the
player remembering where the reviewer stopped (with the pitch kept at 2x).

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
    from annotate.testing.bursts import burst_clip

    base, settings, store = browser_store
    clip = burst_clip(base / "call.mov", video_start_s=Fraction(0), audio_delay_s=Fraction(0), bursts=[(4.0, 5.0)],
                      seconds=8)
    rec, _ = add_recording(store, settings, clip)
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
        t_ms = wait_for(stored, what="the position to be stored")[0]
        assert abs(t_ms / 1000 - stopped) < 0.2
        page.reload()
        video = open_player(page, f"{url}/review?rec={rec.id}", log, "Browser Test")
        button = page.locator("[data-act=resume]")
        wait_for(lambda: button.count() and button.is_visible(), what="the resume button")
        assert video.evaluate("v => v.currentTime") < 0.5  # offered, not done behind the reviewer's back
        button.click()
        wait_for(lambda: abs(video.evaluate("v => v.currentTime") - t_ms / 1000) < 0.15, what="resuming")
    finally:
        page.close()
