"""A real headless Chromium on the Play and Analyse pages.

The app runs as ``streamlit run app.py`` in a subprocess with a temporary data
directory holding the bundled sample, a late-start clip (played through its
proxy) and a small stamped clip. On Play, clicking an event's button must put
the video on that event: ``currentTime`` is the event's time on the played
file's timeline and the frame presented (``requestVideoFrameCallback``'s
``mediaTime``) is the event's frame. The overlay video of the small clip is
rendered from the page, downloaded through the browser and decoded: every frame
is there and the Moment of Truth's first frame has a red border. Analyse is
opened on its map and flow-map tabs. Screenshots of both pages, the map and
the flow map go to ``test-artifacts/``.
"""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

from annotate.model import Event, Kind
from annotate.testing import make_clip, read_stamp
from annotate.testing.browser import ROOT, decode_png, running_app, wait_for

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "test-artifacts"
MOT_BGR = np.array([0x28, 0x27, 0xD6])  # #D62728


@pytest.fixture(scope="module")
def app(browser_store):
    from annotate.app.recordings import add_recording
    from annotate.app.sample import ensure_sample

    base, settings, store = browser_store
    data = settings.data_dir
    recs = {"sample": ensure_sample(store, settings)}
    assert recs["sample"] is not None, "the sample recording is missing from sample_media/"
    late = make_clip(base / "late.mp4", fps=Fraction(25), n_frames=100, start_offset_s=2, audio=False, seed=3)
    small = make_clip(base / "small.mp4", width=320, height=240, fps=Fraction(25), n_frames=50, audio=False, seed=4)
    recs["late"], _ = add_recording(store, settings, late, title="Late start")
    recs["small"], _ = add_recording(store, settings, small, title="Small call")
    store.add_events([
        Event(kind=Kind.MOMENT_OF_TRUTH, start_s=1.2, recording_id=recs["late"].id, label="Greeting"),
        Event(kind=Kind.DECISION_POINT, start_s=2.84, recording_id=recs["late"].id, label="Choose plan"),
        Event(kind=Kind.MOMENT_OF_TRUTH, start_s=0.4, recording_id=recs["small"].id, label="Payment declined"),
        Event(kind=Kind.INTERNAL_INTERACTION, start_s=1.2, recording_id=recs["small"].id, label="Ask back office"),
    ], reviewer="seed")
    events = {name: store.list_events(rec.id) for name, rec in recs.items()}
    store.close()
    log = base / "streamlit.log"
    with running_app(data, settings.db_url, log) as url:
        yield {"url": url, "recs": recs, "events": events, "settings": settings, "log": log, "base": base}


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1100}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, errors


def shot(page, name: str, locator=None) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    (locator or page).screenshot(path=str(ARTIFACTS / name))


def ready_video(page, app, timeout_ms: int = 60_000):
    video = page.locator("video")
    video.wait_for(state="attached", timeout=timeout_ms)
    page.wait_for_function(
        "() => { const v = document.querySelector('video') ||"
        " [...document.querySelectorAll('*')].map(e => e.shadowRoot && e.shadowRoot.querySelector('video')).find(Boolean);"
        " return v && v.readyState >= 2 && v.videoWidth > 0; }",
        timeout=timeout_ms,
    )
    return video


# Installed before a click: records the frame the browser presents after the seek it causes.
WATCH = """(v) => {
  window.__cxSeen = null;
  v.requestVideoFrameCallback((now, md) => { window.__cxSeen = { mediaTime: md.mediaTime }; });
}"""
PRESENTED = """(v) => window.__cxSeen && !v.seeking ? { currentTime: v.currentTime, mediaTime: window.__cxSeen.mediaTime } : null"""


CAPTURE = """(v) => {
  const c = document.createElement('canvas');
  c.width = v.videoWidth; c.height = v.videoHeight;
  c.getContext('2d').drawImage(v, 0, 0, c.width, c.height);
  return c.toDataURL('image/png');
}"""


@pytest.mark.parametrize("name", ["sample", "late"])
def test_clicking_an_event_puts_the_video_on_its_frame(app, page, name):
    from annotate.timebase import nearest_frame
    from annotate.ui import services

    rec, events = app["recs"][name], app["events"][name]
    page.goto(f"{app['url']}/play?rec={rec.id}")
    video = ready_video(page, app)
    play = services.playable(rec)
    times = services.frame_times(play.path)  # the played file's frames, first frame = 0
    order = {e.id: e for e in (events[1], events[-1], events[0])}  # distinct: a seek to the same frame shows nothing new
    for event in order.values():
        video.evaluate(WATCH)
        page.locator(f'button.pv-jump[data-event-id="{event.id}"]').click()
        seen = wait_for(lambda: video.evaluate(PRESENTED), what=f"the frame of {event.label} on screen")
        assert seen["currentTime"] == pytest.approx(event.start_s + play.start_offset_s, abs=1e-3), event
        shown = nearest_frame(seen["mediaTime"] - play.start_offset_s, times)
        assert shown == nearest_frame(event.start_s, times), (event, seen)
        current = page.locator(".pv-row.current button.pv-jump")
        assert current.get_attribute("data-event-id") == event.id
    if name == "late":  # the frames of the test clip say their index: the picture is the event's frame
        picture = decode_png(video.evaluate(CAPTURE))
        assert read_stamp(picture) == nearest_frame(events[0].start_s, times)
    if name == "sample":
        shot(page, "play-page.png")


def test_overlay_video_renders_from_the_page_and_downloads(app, page, tmp_path):
    rec, events = app["recs"]["small"], app["events"]["small"]
    page.goto(f"{app['url']}/play?rec={rec.id}")
    ready_video(page, app)
    page.get_by_role("tab", name="Overlay video").click()
    page.get_by_role("button", name="Render the overlay video").click()
    download_button = page.get_by_role("button", name="Download the overlay video")
    download_button.wait_for(timeout=120_000)
    with page.expect_download(timeout=60_000) as info:
        download_button.click()
    saved = tmp_path / "overlay.mp4"
    info.value.save_as(saved)
    shot(page, "play-page-overlay-ready.png")

    with av.open(str(saved)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        frames = [f.to_ndarray(format="bgr24") for f in container.decode(stream)]
    assert len(frames) == rec.frame_count == 50
    mot = next(e for e in events if e.kind == Kind.MOMENT_OF_TRUTH)
    first = frames[round(mot.start_s * 25)]
    border = first[2:6, first.shape[1] // 2].astype(int)  # top edge, middle
    assert np.abs(border - MOT_BGR).max() < 40, border


def test_analyse_shows_the_map_and_the_flow_map(app, page):
    page.goto(f"{app['url']}/analyse")
    total = sum(len(events) for events in app["events"].values())
    page.get_by_text(f"{total} of {total} events").first.wait_for(timeout=60_000)
    shot(page, "analyse-page.png")

    page.get_by_role("tab", name="Process map").click()
    svg = page.locator(".cx-map svg").first
    svg.wait_for(timeout=30_000)
    markers = svg.locator(".marker")
    assert markers.count() >= 1
    shot(page, "analyse-map.png", page.locator(".cx-map").first)
    shot(page, "analyse-page-map-tab.png")

    page.get_by_role("tab", name="Flow map").click()
    flow = page.locator(".cx-map svg").last
    flow.wait_for(state="visible", timeout=30_000)
    assert flow.locator("text").count() > 0
    shot(page, "analyse-flow-map.png", page.locator(".cx-map").last)
