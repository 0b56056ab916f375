"""Decoded frames to pictures: BGR conversion and the turn/stretch a player would apply."""

from __future__ import annotations

import threading

import av
import cv2
import numpy as np
from av.video.reformatter import VideoReformatter

_ROTATE = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}


# AVColorSpace values swscale can convert from, by the name PyAV's reformat takes.
_MATRICES = {1: "ITU709", 4: "FCC", 5: "ITU601", 6: "ITU601", 7: "SMPTE240M"}
_FULL_RANGE = 2  # AVCOL_RANGE_JPEG


def matrix_of(frame: av.VideoFrame) -> str:
    """Return the Y'CbCr matrix ``frame`` was made with: its tag, else BT.709 from 720 lines up, else BT.601.

    Untagged video is read as players read it (SD as BT.601, HD as BT.709).
    """
    tagged = _MATRICES.get(frame.colorspace)
    if tagged:
        return tagged
    return "ITU709" if frame.height >= 720 or frame.width >= 1280 else "ITU601"


def is_full_range(frame: av.VideoFrame) -> bool:
    """Return True for full-range (JPEG) Y'CbCr: tagged so, or a ``yuvj`` pixel format."""
    return frame.color_range == _FULL_RANGE or frame.format.name.startswith("yuvj")


def to_bgr(frame: av.VideoFrame) -> np.ndarray:
    """Return the frame's picture as BGR uint8, as stored (not rotated), with its own matrix and range.

    Limited-range BT.601 4:2:0 of even size goes through OpenCV's SIMD conversion
    (about twice as fast as swscale at 720p; OpenCV only knows BT.601); anything
    else through swscale, told the frame's matrix and range.
    """
    fmt, full, matrix = frame.format.name, is_full_range(frame), matrix_of(frame)
    if fmt == "yuv420p" and not full and matrix == "ITU601" and frame.width % 2 == 0 and frame.height % 2 == 0:
        return cv2.cvtColor(frame.to_ndarray(), cv2.COLOR_YUV2BGR_I420)
    if fmt in ("bgr24", "rgb24", "gray", "bgra", "rgba"):
        return frame.to_ndarray(format="bgr24")
    return _reformatter().reformat(
        frame, format="bgr24", src_colorspace=matrix, src_color_range="JPEG" if full else "MPEG"
    ).to_ndarray()


_LOCAL = threading.local()


def _reformatter() -> VideoReformatter:
    # frame.reformat() builds a new swscale context per frame (about 1 ms at 720p); one kept per
    # thread is reused while the size and format stay the same, and is as fast as OpenCV's path.
    r = getattr(_LOCAL, "reformatter", None)
    if r is None:
        r = _LOCAL.reformatter = VideoReformatter()
    return r


def to_bt709(
    frame: av.VideoFrame, width: int | None = None, height: int | None = None, interpolation: str | None = None
) -> av.VideoFrame:
    """Return ``frame`` as limited-range BT.709 yuv420p of ``width`` x ``height`` (default: its own size).

    The same frame object comes back when it already is that; a source made with
    another matrix (BT.601 SD, webcams' full-range MJPEG) is converted, so the
    colours stay the same once the output is tagged BT.709.
    """
    width, height = width or frame.width, height or frame.height
    fmt, full, matrix = frame.format.name, is_full_range(frame), matrix_of(frame)
    if fmt == "yuv420p" and not full and matrix == "ITU709" and (width, height) == (frame.width, frame.height):
        return frame
    if fmt in ("bgr24", "rgb24", "gray", "bgra", "rgba"):
        matrix, full = "ITU709", False  # RGB in: only the destination matrix matters
    out = frame.reformat(
        width=width, height=height, format="yuv420p", interpolation=interpolation,
        src_colorspace=matrix, dst_colorspace="ITU709",
        src_color_range="JPEG" if full else "MPEG", dst_color_range="MPEG",
    )
    out.colorspace, out.color_range = 1, 1
    return out


def upright(image: np.ndarray, rotation: int, display_size: tuple[int, int] | None = None) -> np.ndarray:
    """Return ``image`` turned ``rotation`` degrees clockwise, then resized to ``display_size`` (w, h) if given.

    ``display_size`` is for non-square pixels: the stored picture is stretched to
    the size a player shows.
    """
    if rotation in _ROTATE:
        image = cv2.rotate(image, _ROTATE[rotation])
    if display_size is not None and (image.shape[1], image.shape[0]) != display_size:
        image = cv2.resize(image, display_size, interpolation=cv2.INTER_AREA)
    return image
