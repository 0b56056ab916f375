"""The frame loop's threads and reused frames change nothing in what is written.

The export decodes, draws and encodes on three threads and refills a pool of output frames whose band keeps
the timeline strip, only the playhead being moved. Here a generated clip longer than the pool is exported
losslessly (crf 0) and every decoded frame's band must equal the band drawn from scratch on a new frame for
that frame's time, Y, U and V byte for byte; errors in a stage reach the caller and no thread outlives an
export.
"""

from __future__ import annotations

import threading
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from annotate.errors import RenderError
from annotate.export import ExportOptions, render_overlay
from annotate.export.frames import POOL, blank_frame
from annotate.export.pipeline import DEPTH, Writer
from annotate.export.source import Source
from annotate.model import Event, Kind
from annotate.render import Overlay, YUVCanvas
from annotate.testing.clips import make_clip

W, H, FPS = 320, 240, 10
N = 3 * POOL + 5  # the pool goes round three times
EVENTS = [Event(Kind.MOMENT_OF_TRUTH, 0.35, label="Greeting"), Event(Kind.INTERNAL_INTERACTION, 1.2, end_s=2.0, label="Hand-over"),
          Event(Kind.DECISION_POINT, 3.05, label="Pays")]


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("pipeline") / "clip.mp4"
    make_clip(path, n_frames=N, width=W, height=H, fps=Fraction(FPS), audio=True)
    return path


def _planes(frame: av.VideoFrame) -> list[np.ndarray]:
    canvas = YUVCanvas.from_frame(frame)
    return [canvas.y.copy(), canvas.u.copy(), canvas.v.copy()]


def _band_from_scratch(overlay: Overlay, t: float, next_t: float, width: int, height: int, band: int) -> list[np.ndarray]:
    frame = blank_frame(width, height)
    overlay.draw(YUVCanvas.from_frame(frame), t, next_t, band=band)
    y, u, v = _planes(frame)
    top = height - band
    return [y[top:], u[top // 2 :], v[top // 2 :]]


@pytest.mark.parametrize("threaded", [True, False], ids=["threads", "one thread"])
def test_pooled_band_is_the_band_drawn_from_scratch(clip, tmp_path, monkeypatch, threaded):
    assert POOL > DEPTH + 2  # more frames in the pool than the loop ever has in flight
    if not threaded:  # as a picture larger than 720p is written
        monkeypatch.setattr("annotate.export.loop.THREADED_MAX_PIXELS", 0)
    dst = tmp_path / "out.mp4"
    render_overlay(clip, EVENTS, dst, options=ExportOptions(crf=0, preset="ultrafast"))
    with av.open(str(dst)) as c:
        stream = c.streams.video[0]
        frames = [(f.pts * Fraction(stream.time_base), _planes(f.reformat(format="yuv420p"))) for f in c.decode(stream)]
    assert len(frames) == N
    height = frames[0][1][0].shape[0]
    band = height - H
    assert band > 0
    with Source(clip) as source:
        reference = Overlay(EVENTS, float(source.duration))  # as render_overlay makes it
    times = [t for t, _ in frames] + [Fraction(N, FPS)]
    for k, (t, planes) in enumerate(frames):
        assert t == Fraction(k, FPS)  # every frame at its own time
        want = _band_from_scratch(reference, float(t), float(times[k + 1]), W, height, band)
        got = [planes[0][H:], planes[1][H // 2 :], planes[2][H // 2 :]]
        for name, g, w in zip("YUV", got, want):
            assert np.array_equal(g, w), f"frame {k}: the band's {name} differs from the band drawn anew"


def test_the_playhead_moves_in_the_band(clip, tmp_path):
    dst = tmp_path / "out.mp4"
    render_overlay(clip, EVENTS, dst, options=ExportOptions(crf=0, preset="ultrafast"))
    with av.open(str(dst)) as c:
        bands = [YUVCanvas.from_frame(f).y[H:].copy() for f in c.decode(video=0)]
    brightest = [int(np.argmax(b.max(axis=0))) for b in bands]  # the white playhead's column
    assert brightest[0] < brightest[len(bands) // 2] < brightest[-1]


def _export_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name in ("annotate-read", "annotate-write")]


def test_an_error_while_exporting_reaches_the_caller_and_no_thread_stays(clip, tmp_path):
    dst = tmp_path / "out.mp4"

    def progress(done: int, total: int) -> None:
        if done > 5:
            raise RenderError("stopped by the test")

    with pytest.raises(RenderError, match="stopped by the test"):
        render_overlay(clip, EVENTS, dst, progress=progress)
    assert not dst.exists()
    assert list(tmp_path.iterdir()) == []
    assert _export_threads() == []
    render_overlay(clip, EVENTS, dst)
    assert dst.exists() and _export_threads() == []


def test_a_failing_write_job_is_raised_on_the_calling_thread():
    ran: list[int] = []

    def boom() -> None:
        raise ValueError("encoder broke")

    with pytest.raises(ValueError, match="encoder broke"):
        with Writer() as writer:
            writer.put(lambda: ran.append(1), now=True)
            writer.put(boom, now=True)
            for _ in range(100):  # later jobs: the error comes back at a put or at the end
                writer.put(lambda: ran.append(2), now=True)
    assert ran[:1] == [1] and 2 not in ran
    assert _export_threads() == []
