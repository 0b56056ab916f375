"""Reading written videos back for tests: every frame's time and pixels, stream facts, the overlay's colours.

Expectations here are written from the documentation, never from the code under
test: the timeline band's height, the kinds' colours, the border's place.
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from ..model import Kind
from ..render import border_px

KIND_RGB = {Kind.MOMENT_OF_TRUTH: (214, 39, 40), Kind.INTERNAL_INTERACTION: (31, 119, 180), Kind.DECISION_POINT: (44, 160, 44)}
COLOR_TOL = 14  # codec noise on a flat colour, per channel, after BT.709 decoding


def band_rows(picture_h: int) -> int:
    """Return the rows the default export adds below a picture for the timeline strip, as documented: at
    least 6 % of the picture's height and 16 rows, up to the next multiple of 16 of the frame's height."""
    least = max(16, math.ceil(0.06 * picture_h))
    return 16 * math.ceil((picture_h + least) / 16) - picture_h


def picture_height(frame_h: int, display_h: int) -> int:
    """Return the picture's height (the source's display height made even) in a frame with the strip's band."""
    (h,) = {h for h in (display_h - display_h % 2, display_h + display_h % 2) if h + band_rows(h) == frame_h}
    return h


def decode(path: str | Path, display_h: int | None = None) -> list[dict]:
    """Return every frame of ``path``: "t" (Fraction, container clock), "rgb" (as its colour tags say) and "y"
    (the Y plane as stored) of the picture, "band" (the band's RGB) and "full" (the whole frame's RGB). With
    ``display_h`` (the source's display height) the frame is the default export's, the timeline strip's band
    below the picture; without, all picture."""
    frames = []
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        for f in c.decode(v):
            rgb = f.to_ndarray(format="rgb24")
            plane = f.planes[0]  # no range scaling
            luma = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)[: f.height, : f.width].copy()
            h = picture_height(f.height, display_h) if display_h else f.height
            frames.append({"t": f.pts * Fraction(v.time_base), "rgb": rgb[:h], "y": luma[:h], "band": rgb[h:],
                           "full": rgb})
    return frames


def stream_facts(path: str | Path) -> dict:
    """Return the video codec, pixel format, size, colour tags (primaries, transfer, matrix, range), the audio
    codec (None without audio) and the audio stream's declared duration of ``path``."""
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        a = c.streams.audio[0] if c.streams.audio else None
        cc = v.codec_context
        return {
            "codec": cc.name,
            "pix_fmt": cc.pix_fmt,
            "width": cc.width,
            "height": cc.height,
            "tags": (cc.color_primaries, cc.color_trc, cc.colorspace, cc.color_range),
            "audio_codec": a.codec_context.name if a else None,
            "audio_duration": (a.duration * Fraction(a.time_base)) if a is not None and a.duration else None,
        }


def decoded_audio_seconds(path: str | Path) -> float:
    """Return the seconds of audio decoded from the first audio stream of ``path``."""
    with av.open(str(path)) as c:
        a = c.streams.audio[0]
        return sum(f.samples for f in c.decode(a)) / a.codec_context.sample_rate


def picture_diff(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Return |a - b| per pixel of the grey of two RGB pictures (the same picture whatever matrix stored it)."""
    def grey(x: np.ndarray) -> np.ndarray:
        return cv2.cvtColor(np.ascontiguousarray(x), cv2.COLOR_RGB2GRAY).astype(int)

    return np.abs(grey(a) - grey(b))


def border_rgb(rgb: np.ndarray) -> list[np.ndarray]:
    """Return the mean colour of a patch on each of the four edges (inside the flash border's thickness)."""
    h, w = rgb.shape[:2]
    t = border_px(w, h)
    patches = [rgb[1 : t - 1, w // 3 : 2 * w // 3], rgb[h - t + 1 : h - 1, w // 3 : 2 * w // 3],
               rgb[h // 3 : 2 * h // 3, 1 : t - 1], rgb[h // 3 : 2 * h // 3, w - t + 1 : w - 1]]
    return [p.reshape(-1, 3).mean(axis=0) for p in patches]


def is_colour(rgb: np.ndarray, kind: Kind, tol: float = COLOR_TOL) -> bool:
    """Return True if all four edges of ``rgb`` show the flash colour of ``kind`` within ``tol``."""
    return all(np.abs(edge - KIND_RGB[kind]).max() <= tol for edge in border_rgb(rgb))
