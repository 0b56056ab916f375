"""The filmstrip and the audio peaks (annotate.preview): made from generated clips whose content is known,
read back from the files written (the sprite decoded, the peaks file read), and served by the routes."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware

from annotate.errors import MediaError
from annotate.media import VideoReader
from annotate.preview import PEAKS_PER_S, build_filmstrip, build_peaks, read_index, read_peaks
from annotate.preview.filmstrip import MAX_TILES, step_times
from annotate.testing import make_standard_clip
from annotate.testing.bursts import burst_clip
from annotate.testing.asgi import asgi_request

def loud_buckets(file: Path) -> np.ndarray:
    peaks = read_peaks(file, n=10**9)
    assert peaks.step_s == 1 / PEAKS_PER_S
    return np.flatnonzero(np.array(peaks.values) > 128)


@pytest.mark.parametrize("video_start, delay", [(Fraction(0), Fraction(0)), (Fraction(5, 2), Fraction(3, 10))])
def test_peaks_are_where_the_sound_is_heard_counted_from_the_first_frame(tmp_path, video_start, delay):
    clip = burst_clip(tmp_path / "b.mov", video_start_s=video_start, audio_delay_s=delay,
                      bursts=[(0.7, 0.9), (1.5, 2.0)])
    out = build_peaks(clip, tmp_path / "b.peaks")
    loud = loud_buckets(out)
    d = float(delay)
    want = set(range(round((0.7 + d) * 100), round((0.9 + d) * 100))) | set(range(round((1.5 + d) * 100), round((2.0 + d) * 100)))
    assert set(loud) <= {b for w in want for b in (w - 1, w, w + 1)}
    assert len(want - set(loud)) <= 2  # at most the edge buckets
    quiet = read_peaks(out, 0, 0.6 + d, n=1000).values
    assert max(quiet) == 0  # silence before the first burst, including the audio's late start


def test_peaks_shrink_to_the_width_asked_keeping_each_groups_loudest(tmp_path):
    clip = burst_clip(tmp_path / "b.mov", video_start_s=Fraction(0), audio_delay_s=Fraction(0), bursts=[(1.0, 1.02)])
    out = build_peaks(clip, tmp_path / "b.peaks")
    whole = read_peaks(out, n=10**9)
    few = read_peaks(out, n=30)
    assert len(few.values) <= 30 and few.step_s == pytest.approx(len(whole.values) / len(few.values) / 100, rel=0.1)
    assert max(few.values) == max(whole.values) > 200
    loud_at = few.start_s + few.values.index(max(few.values)) * few.step_s
    assert loud_at <= 1.0 < loud_at + few.step_s
    part = read_peaks(out, 2.0, 2.5, n=1000)
    assert part.start_s == 2.0 and len(part.values) == 50 and max(part.values) == 0


def test_a_video_without_audio_has_no_peaks(tmp_path):
    clip, _ = make_standard_clip(tmp_path, "no_audio")
    out = build_peaks(clip, tmp_path / "n.peaks")
    assert read_peaks(out).values == []


def test_an_unreadable_file_is_a_media_error_and_leaves_nothing(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00" * 5000)
    with pytest.raises(MediaError):
        build_peaks(bad, tmp_path / "bad.peaks")
    assert list(tmp_path.iterdir()) == [bad]


@pytest.mark.parametrize("name", ["vfr", "late_start", "mkv_anamorphic"])
def test_each_tile_is_the_frame_at_its_exact_time(tmp_path, name):
    clip, _ = make_standard_clip(tmp_path, name)
    strip = build_filmstrip(clip, tmp_path / "s.jpg", tmp_path / "s.json")
    assert read_index(tmp_path / "s.json") == strip
    sheet = cv2.imdecode(np.frombuffer((tmp_path / "s.jpg").read_bytes(), np.uint8), cv2.IMREAD_COLOR)
    with VideoReader(clip) as reader:
        times = reader.frame_times
        assert strip.tile_w == round(strip.tile_h * reader.info.width / reader.info.height)
        small = np.stack([cv2.resize(reader.frame(i).image, (strip.tile_w, strip.tile_h), interpolation=cv2.INTER_AREA)
                          for i in range(len(times))]).astype(int)
    for k, (index, t) in enumerate(zip(strip.frames, strip.times)):
        assert t == float(times[index])
        r, c = divmod(k, strip.columns)
        tile = sheet[r * strip.tile_h:(r + 1) * strip.tile_h, c * strip.tile_w:(c + 1) * strip.tile_w].astype(int)
        assert np.abs(small - tile).mean(axis=(1, 2, 3)).argmin() == index  # of all frames, the tile is this one
    assert len(strip.times) == len(step_times(float(reader.info.duration)))
    assert strip.tile_at(strip.times[-1]) == len(strip.times) - 1 and strip.tile_at(strip.times[-1] - 1e-6) == max(0, len(strip.times) - 2)


def test_tiles_are_spaced_a_second_or_more_and_capped():
    assert step_times(2.5) == [0.0, 1.25]
    long = step_times(3600.0)
    assert len(long) == MAX_TILES and long[1] == 15.0
    assert step_times(0) == [0.0]


# --- the routes ----------------------------------------------------------------------------------


@pytest.fixture
def served(tmp_path, monkeypatch):
    """A data directory with one recording with audio; the app's routes (with no sign-in)."""
    import annotate.app.sample as sample
    from annotate.app.recordings import add_recording
    from annotate.ui import services, signin
    from annotate.ui.routes import media_routes

    monkeypatch.setenv("ANNOTATE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("ANNOTATE_DB", raising=False)
    monkeypatch.setattr(sample, "sample_dir", lambda: None)
    services.reset()
    signin.reset()
    clip = burst_clip(tmp_path / "call.mov", video_start_s=Fraction(1), audio_delay_s=Fraction(0), bursts=[(1.0, 1.5)])
    rec, _ = add_recording(services.store(), services.settings(), clip)
    yield Starlette(routes=media_routes()), rec, services  # --auth none: as app.py mounts them on localhost
    services.reset()
    signin.reset()


def test_routes_answer_404_until_the_preview_job_made_the_files(served):
    from annotate.app.previews import preview_state

    app, rec, services = served
    for path in (f"/cx/filmstrip/{rec.id}", f"/cx/filmstrip/{rec.id}/index", f"/cx/peaks/{rec.id}"):
        status, _, body = asgi_request(app, path)
        assert status == 404 and b"not made yet" in body
    state = preview_state(services.store(), services.settings(), rec)
    assert not state.ready and state.queued
    _wait(lambda: preview_state(services.store(), services.settings(), rec, queue_missing=False).ready)
    assert preview_state(services.store(), services.settings(), rec).ready
    status, headers, body = asgi_request(app, f"/cx/filmstrip/{rec.id}")
    assert status == 200 and headers["content-type"] == "image/jpeg" and body[:2] == b"\xff\xd8"
    index = json.loads(asgi_request(app, f"/cx/filmstrip/{rec.id}/index")[2])
    assert index["times"][0] == 0.0 and len(index["times"]) == 3
    peaks = json.loads(asgi_request(app, f"/cx/peaks/{rec.id}?start=0.5&end=2&n=15")[2])
    assert peaks["start_s"] == 0.5 and len(peaks["peaks"]) == 15
    loud = [peaks["start_s"] + i * peaks["step_s"] for i, v in enumerate(peaks["peaks"]) if v > 128]
    assert loud and min(loud) >= 0.9 and max(loud) < 1.5


def test_routes_refuse_bad_queries_and_unknown_recordings_in_one_line(served):
    app, rec, _ = served
    for query in ("start=abc", "n=-4", "end=nan", "start=inf"):
        status, _, body = asgi_request(app, f"/cx/peaks/{rec.id}?{query}")
        assert status == 400 and b"must be a number" in body and b"\n" not in body.strip()
    for bad in ("999", "abc", "9" * 30):
        status, _, body = asgi_request(app, f"/cx/filmstrip/{bad}/index")
        assert status == 404 and b"Traceback" not in body


def test_signed_out_the_routes_answer_401_and_leak_nothing(served):
    from annotate.preview import build_preview
    from annotate.ui import signin

    from annotate.ui.routes import media_routes

    _, rec, services = served
    build_preview(services.settings(), rec.path, rec.content_hash)
    app = Starlette(routes=media_routes(), middleware=[Middleware(signin.SignInMiddleware)])  # --auth local
    for path in (f"/cx/filmstrip/{rec.id}", f"/cx/filmstrip/{rec.id}/index", f"/cx/peaks/{rec.id}"):
        status, _, body = asgi_request(app, path, {"Cookie": "cx_session=forged.value"})
        assert status == 401 and b"\xff\xd8" not in body and b"peaks" not in body and b"times" not in body


def _wait(predicate, timeout=30.0):
    import time

    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, "the preview job did not finish"
        time.sleep(0.1)
