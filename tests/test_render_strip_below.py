"""The timeline strip goes in a band added below the picture, so the picture's bottom rows (a recorder's
timecode bar, an on-screen error banner) stay visible; ``strip="overlay"`` keeps today's frame size.

A generated clip carries a known pattern in its bottom 50 rows; the exported file is decoded and its
pixels compared with the source's.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from annotate.errors import RenderError
from annotate.export import ExportOptions, render_clip, render_overlay
from annotate.model import Event, Kind
from annotate.testing.decoded import band_rows

W, H, FPS, N = 640, 360, 30, 60  # 2 s
BOTTOM = 50  # rows of the source's "timecode bar"
EVENT_S = 1.5  # the only event: frames before 1.4 s have no flash and no caption
MOT_RGB = np.array((214, 39, 40))
BOX_RGB = np.array((28, 28, 30))


def bottom_pattern(index: int) -> np.ndarray:
    """BGR rows of the source's bottom bar on frame ``index``: grey blocks 16 x 10 px and a white
    tick that moves 8 px a frame (like a running timecode)."""
    yy, xx = np.mgrid[0:BOTTOM, 0:W]
    grey = (40 + 25 * ((xx // 16 + yy // 10) % 8)).astype(np.uint8)
    bar = np.repeat(grey[..., None], 3, axis=2)
    x = (8 * index) % (W - 16)
    bar[10:40, x : x + 8] = 255
    return bar


def source_frame(index: int) -> np.ndarray:
    yy, xx = np.mgrid[0:H, 0:W]
    img = np.zeros((H, W, 3), np.uint8)
    img[..., 0] = (xx * 255 // W).astype(np.uint8)
    img[..., 1] = (yy * 255 // H).astype(np.uint8)
    img[..., 2] = ((xx + yy + 4 * index) % 256).astype(np.uint8)
    img[H - BOTTOM :] = bottom_pattern(index)
    return img


@pytest.fixture(scope="module")
def banner_clip(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("strip") / "banner.mp4"
    with av.open(str(path), "w") as out:
        s = out.add_stream("libx264", rate=FPS, options={"crf": "12", "preset": "veryfast"})
        s.width, s.height, s.pix_fmt = W, H, "yuv420p"
        cc = s.codec_context  # tagged BT.709 like the export, so the comparison sees the codec only
        cc.color_primaries = cc.color_trc = cc.colorspace = 1
        cc.color_range = 1
        for i in range(N):
            frame = av.VideoFrame.from_ndarray(source_frame(i), format="bgr24")
            for p in s.encode(frame.reformat(format="yuv420p", dst_colorspace="ITU709")):
                out.mux(p)
        for p in s.encode():
            out.mux(p)
    return path


def decode_rgb(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24").astype(np.int16) for f in c.decode(c.streams.video[0])]


EVENTS = [Event(Kind.MOMENT_OF_TRUTH, EVENT_S, label="Form error")]
BEFORE_EVENT = range(0, 40)  # frames shown before 1.4 s


@pytest.fixture(scope="module")
def below(banner_clip, tmp_path_factory):
    dst = render_overlay(banner_clip, EVENTS, tmp_path_factory.mktemp("below") / "below.mp4")
    return decode_rgb(dst), decode_rgb(banner_clip)


def test_output_is_the_picture_plus_an_even_band(below):
    out, src = below
    assert len(out) == len(src) == N
    assert band_rows(H) == 24
    assert out[0].shape == (H + band_rows(H), W, 3)
    assert out[0].shape[0] % 16 == 0


def test_the_picture_is_untouched_including_its_bottom_rows(below):
    out, src = below
    for i in BEFORE_EVENT:
        diff = np.abs(out[i][:H] - src[i])
        assert diff.mean() < 2.0 and np.percentile(diff, 99) < 14, i
        bottom = np.abs(out[i][H - BOTTOM : H] - src[i][H - BOTTOM :])
        assert bottom.mean() < 2.0 and np.percentile(bottom, 99) < 14, i
    # the generated pattern itself reads back in the bottom rows (the moving white tick included)
    want = bottom_pattern(20)[..., ::-1].astype(np.int16)
    got = out[20][H - BOTTOM : H]
    assert np.abs(got - want).mean() < 4
    tick = (8 * 20) % (W - 16)
    assert (got[15:35, tick + 2 : tick + 6] > 220).all()


def test_the_strip_is_in_the_band(below):
    out, _ = below
    band = out[0][H:]
    dark = (np.abs(band - BOX_RGB).max(axis=2) <= 12).mean()
    assert dark > 0.6  # the strip's dark ground fills the band
    red = (np.abs(band - MOT_RGB).max(axis=2) <= 30).sum()
    assert red > 20  # the MOT marker
    # the white playhead moves right along the band
    def playhead_x(frame):
        cols = np.nonzero((frame[H + 6 : -6] > 225).all(axis=2).sum(axis=0) >= 6)[0]
        return cols.mean()

    assert playhead_x(out[0]) < playhead_x(out[30]) < playhead_x(out[59])
    # the marker sits where the event is in the recording: 1.5 s of 2 s, three quarters across
    red_cols = np.nonzero((np.abs(band - MOT_RGB).max(axis=2) <= 30).any(axis=0))[0]
    assert abs(red_cols.mean() / W - EVENT_S / (N / FPS)) < 0.05


def test_overlay_option_keeps_the_height_and_covers_the_bottom_rows(banner_clip, below, tmp_path):
    _, src = below
    dst = render_overlay(banner_clip, EVENTS, tmp_path / "over.mp4", options=ExportOptions(strip="overlay"))
    out = decode_rgb(dst)
    assert out[0].shape == (H, W, 3)
    assert np.abs(out[5][: H - BOTTOM] - src[5][: H - BOTTOM]).mean() < 2.0
    assert np.abs(out[5][H - BOTTOM :] - src[5][H - BOTTOM :]).mean() > 10  # the strip covers them


def test_clip_has_the_band_and_no_timeline_means_no_band(banner_clip, tmp_path):
    clip = decode_rgb(render_clip(banner_clip, 1.0, 0.2, 0.2, tmp_path / "clip.mp4", events=EVENTS))
    assert clip[0].shape == (H + band_rows(H), W, 3)
    plain = render_overlay(banner_clip, EVENTS, tmp_path / "plain.mp4", options=ExportOptions.make(timeline=False))
    assert decode_rgb(plain)[0].shape == (H, W, 3)


def test_unknown_strip_place_is_a_render_error():
    with pytest.raises(RenderError, match="below, overlay"):
        ExportOptions(strip="top")
    assert ExportOptions.make(strip="overlay").strip == "overlay"
