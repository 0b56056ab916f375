"""Colours survive every re-encode: BT.601 and full-range sources come out the same colours in BT.709 files.

Each source is four flat bars of known RGB, encoded with a given Y'CbCr matrix,
range and tag. The overlay render and the browser proxy (both tagged BT.709
limited range) and the reader's BGR frames must show the bars' RGB within
codec noise; before the conversion was added, BT.601 sources drifted by up to
21 levels.
"""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

from annotate.export import render_overlay
from annotate.media import VideoReader
from annotate.export import make_proxy

BARS = [(200, 40, 40), (40, 180, 60), (50, 70, 210), (230, 200, 40)]
TOL = 5  # levels of 255: x264 at crf 10 plus 4:2:0 rounding
BT601, BT709, UNSPECIFIED = 6, 1, 2
CASES = {
    # name: (colorspace tag, full range, pixel format, matrix the pixels were made with)
    "bt601-limited": (BT601, False, "yuv420p", "ITU601"),
    "bt601-full-tagged": (5, True, "yuv420p", "ITU601"),
    "mjpeg-style-yuvj": (5, True, "yuvj420p", "ITU601"),
    "bt709-limited": (BT709, False, "yuv420p", "ITU709"),
    "untagged-sd": (UNSPECIFIED, False, "yuv420p", "ITU601"),
}


def make_bars(path, colorspace: int, full: bool, fmt: str, matrix: str, width=320, height=240):
    with av.open(str(path), "w") as out:
        s = out.add_stream("libx264", rate=25)
        s.width, s.height, s.pix_fmt = width, height, fmt
        s.codec_context.colorspace = colorspace
        s.codec_context.color_range = 2 if full else 1
        s.options = {"crf": "10"}
        rgb = np.zeros((height, width, 3), np.uint8)
        step = width // len(BARS)
        for j, c in enumerate(BARS):
            rgb[:, j * step:(j + 1) * step] = c
        for i in range(5):
            f = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(
                format=fmt, dst_colorspace=matrix, dst_color_range="JPEG" if full else "MPEG"
            )
            f.colorspace, f.color_range = colorspace, 2 if full else 1
            f.pts, f.time_base = i, Fraction(1, 25)
            for p in s.encode(f):
                out.mux(p)
        for p in s.encode():
            out.mux(p)
    return path


def bars_of(rgb: np.ndarray) -> np.ndarray:
    h, w = rgb.shape[:2]
    step = w // len(BARS)
    return np.array([rgb[h // 2, j * step + step // 2] for j in range(len(BARS))], dtype=int)


def first_frame(path):
    with av.open(str(path)) as c:
        frame = next(c.decode(video=0))
        return frame, frame.to_ndarray(format="rgb24")


@pytest.fixture(params=list(CASES))
def source(request, tmp_path):
    return make_bars(tmp_path / f"{request.param}.mp4", *CASES[request.param])


def test_overlay_render_keeps_the_colours_and_tags_bt709(source, tmp_path):
    out = render_overlay(source, [], tmp_path / "out.mp4")
    frame, rgb = first_frame(out)
    assert (frame.colorspace, frame.color_range) == (BT709, 1)
    assert np.abs(bars_of(rgb) - np.array(BARS)).max() <= TOL, bars_of(rgb)


def test_proxy_keeps_the_colours_and_tags_bt709(source, tmp_path):
    make_proxy(source, tmp_path / "proxy.mp4")
    frame, rgb = first_frame(tmp_path / "proxy.mp4")
    assert (frame.colorspace, frame.color_range) == (BT709, 1)
    assert np.abs(bars_of(rgb) - np.array(BARS)).max() <= TOL, bars_of(rgb)


def test_reader_frames_have_the_source_colours(source):
    with VideoReader(source) as reader:
        image = reader.frame_at(0).image
    assert np.abs(bars_of(image[..., ::-1]) - np.array(BARS)).max() <= TOL, bars_of(image[..., ::-1])


def test_hd_untagged_video_is_read_as_bt709(tmp_path):
    path = make_bars(tmp_path / "hd.mp4", UNSPECIFIED, False, "yuv420p", "ITU709", width=1280, height=720)
    with VideoReader(path) as reader:
        image = reader.frame_at(0).image
    assert np.abs(bars_of(image[..., ::-1]) - np.array(BARS)).max() <= TOL
    out = render_overlay(path, [], tmp_path / "out.mp4")
    assert np.abs(bars_of(first_frame(out)[1]) - np.array(BARS)).max() <= TOL
