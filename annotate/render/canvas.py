"""Where drawing lands: a BGR image or the Y/U/V planes of a yuv420p video frame.

Annotators draw through two primitives, ``fill`` (a rectangle of one colour,
optionally translucent) and ``blend`` (a small pre-rendered RGBA :class:`Patch`).
:class:`BGRCanvas` draws on an OpenCV image; :class:`YUVCanvas` draws straight
on a decoded frame's planes with BT.709 values, touching only the pixels that
change, which is what keeps an overlay export as fast as a plain transcode.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import cv2
import numpy as np

from .color import Color, rgb_to_yuv709

if TYPE_CHECKING:  # drawing never decodes: PyAV only names the frame type here
    import av


class Patch:
    """A small RGBA image (straight alpha) to blend onto frames, with its YUV form cached.

    ``rgba`` is ``(h, w, 4)`` uint8 in RGB order. The YUV form is made on first
    use; patches are meant to be built once (per caption, per timeline) and
    blended on many frames.
    """

    def __init__(self, rgba: np.ndarray):
        rgba = np.ascontiguousarray(rgba, dtype=np.uint8)
        if rgba.ndim != 3 or rgba.shape[2] != 4:
            raise ValueError("a Patch needs an (h, w, 4) RGBA array")
        # A fully opaque patch is copied, not blended: much cheaper per frame.
        self.opaque = bool((rgba[..., 3] == 255).all())
        # Even size, so the patch covers whole 2x2 chroma blocks when placed at even positions.
        h, w = rgba.shape[:2]
        if h % 2 or w % 2:
            pad = ((0, h % 2), (0, w % 2), (0, 0))
            rgba = np.pad(rgba, pad, mode="edge") if self.opaque else np.pad(rgba, pad)
        self.rgba = rgba
        self._bgr_form: tuple[np.ndarray, np.ndarray] | None = None
        self._yuv_form: tuple[np.ndarray, ...] | None = None
        self._opaque_form: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    @property
    def width(self) -> int:
        return self.rgba.shape[1]

    @property
    def height(self) -> int:
        return self.rgba.shape[0]

    def opaque_yuv(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return the patch as uint8 Y, U, V planes (chroma averaged over 2x2 blocks); for opaque patches."""
        if self._opaque_form is None:
            yuv = rgb_to_yuv709(self.rgba[..., :3])
            h, w = yuv.shape[:2]
            uv = yuv[..., 1:].reshape(h // 2, 2, w // 2, 2, 2).mean(axis=(1, 3))
            to8 = lambda a: np.clip(np.round(a), 0, 255).astype(np.uint8)  # noqa: E731
            self._opaque_form = (to8(yuv[..., 0]), to8(uv[..., 0]), to8(uv[..., 1]))
        return self._opaque_form

    def bgr_form(self) -> tuple[np.ndarray, np.ndarray]:
        """Return (premultiplied BGR, 1 - alpha), both uint16 in 1/128 units, shaped (h, w, 3) and (h, w, 1)."""
        if self._bgr_form is None:
            alpha = self.rgba[..., 3:4].astype(np.float32) / 255.0
            pre = self.rgba[..., 2::-1].astype(np.float32) * alpha
            self._bgr_form = (_fixed(pre), _fixed(1.0 - alpha))
        return self._bgr_form

    def yuv_form(self) -> tuple[np.ndarray, ...]:
        """Return premultiplied Y, 1 - alpha for Y, premultiplied U, V and 1 - alpha for U/V
        (uint16 in 1/128 units; chroma at half size, averaged over each 2x2 block)."""
        if self._yuv_form is None:
            alpha = self.rgba[..., 3].astype(np.float32) / 255.0
            pre = rgb_to_yuv709(self.rgba[..., :3]) * alpha[..., None]
            h, w = alpha.shape
            a4 = alpha.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))
            pre_uv = pre[..., 1:].reshape(h // 2, 2, w // 2, 2, 2).mean(axis=(1, 3))
            self._yuv_form = (
                _fixed(pre[..., 0]), _fixed(1.0 - alpha), _fixed(pre_uv[..., 0]), _fixed(pre_uv[..., 1]), _fixed(1.0 - a4)
            )
        return self._yuv_form


def _fixed(values: np.ndarray) -> np.ndarray:
    """Return ``values`` in fixed point (x 128) as uint16: room for 255 * 128 + 255 * 128 without overflow."""
    return np.round(values * 128.0).astype(np.uint16)


class Canvas(Protocol):
    """The drawing surface annotators use."""

    width: int
    height: int

    def fill(self, x0: int, y0: int, x1: int, y1: int, color: Color, alpha: float = 1.0) -> None:
        """Paint the rectangle [x0, x1) x [y0, y1) with ``color`` at opacity ``alpha``."""

    def blend(self, patch: Patch, x: int, y: int, columns: tuple[int, int] | None = None) -> None:
        """Blend ``patch`` with its top-left corner at (x, y); with ``columns`` (x0, x1) only the part over
        the canvas's columns x0 .. x1 - 1."""

    def rows(self, y0: int, y1: int) -> "Canvas":
        """Return a canvas over rows ``y0`` .. ``y1 - 1`` of this one."""


def _clip_rect(x0: int, y0: int, x1: int, y1: int, w: int, h: int) -> tuple[int, int, int, int] | None:
    x0, y0 = max(int(x0), 0), max(int(y0), 0)
    x1, y1 = min(int(x1), w), min(int(y1), h)
    if x0 >= x1 or y0 >= y1:
        return None
    return x0, y0, x1, y1


def _columns(x0: int, x1: int, columns: tuple[int, int] | None) -> tuple[int, int]:
    """Return the columns x0 .. x1 narrowed to ``columns`` (None: all of them)."""
    if columns is None:
        return int(x0), int(x1)
    return max(int(x0), int(columns[0])), min(int(x1), int(columns[1]))


def _blend_const(region: np.ndarray, value, alpha: float) -> None:
    """In place: region = region * (1 - alpha) + value * alpha (uint8, saturating)."""
    if region.ndim == 3:
        solid = np.empty_like(region)
        solid[...] = value
        cv2.addWeighted(region, 1.0 - alpha, solid, alpha, 0.0, dst=region)
        return
    # convertScaleAbs computes |src * a + b| with SIMD and writes back into the view.
    cv2.convertScaleAbs(region, region, 1.0 - alpha, alpha * float(value))


def _blend_patch(region: np.ndarray, pre: np.ndarray, inv: np.ndarray) -> None:
    """In place: region = region * (1 - alpha) + pre, with ``pre`` and ``inv`` = 1 - alpha in 1/128 units."""
    out = region.astype(np.uint16)
    out *= inv
    out += pre
    out += 64
    out >>= 7
    region[...] = out


class BGRCanvas:
    """Draw on an OpenCV BGR uint8 image, in place."""

    def __init__(self, image: np.ndarray):
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError("a BGRCanvas needs an (h, w, 3) uint8 image")
        self.image = image
        self.height, self.width = image.shape[:2]

    def rows(self, y0: int, y1: int) -> "BGRCanvas":
        """Return a canvas over rows ``y0`` .. ``y1 - 1`` (a view: drawing on it draws here)."""
        return BGRCanvas(self.image[y0:y1])

    def fill(self, x0: int, y0: int, x1: int, y1: int, color: Color, alpha: float = 1.0) -> None:
        rect = _clip_rect(x0, y0, x1, y1, self.width, self.height)
        if rect is None or alpha <= 0:
            return
        x0, y0, x1, y1 = rect
        region = self.image[y0:y1, x0:x1]
        if alpha >= 1:
            region[...] = color.bgr
        else:
            _blend_const(region, color.bgr, alpha)

    def blend(self, patch: Patch, x: int, y: int, columns: tuple[int, int] | None = None) -> None:
        lo, hi = _columns(x, x + patch.width, columns)
        rect = _clip_rect(lo, y, hi, y + patch.height, self.width, self.height)
        if rect is None:
            return
        x0, y0, x1, y1 = rect
        sy, sx = y0 - y, x0 - x
        window = (slice(sy, sy + y1 - y0), slice(sx, sx + x1 - x0))
        if patch.opaque:
            self.image[y0:y1, x0:x1] = patch.rgba[window][..., 2::-1]
            return
        pre, inv = patch.bgr_form()
        _blend_patch(self.image[y0:y1, x0:x1], pre[window], inv[window])


class YUVCanvas:
    """Draw on yuv420p planes (numpy views, changed in place) with limited-range BT.709 values.

    Rectangles and patches snap outwards/downwards to even coordinates so every
    2x2 chroma block is either wholly drawn or untouched.
    """

    def __init__(self, y: np.ndarray, u: np.ndarray, v: np.ndarray):
        self.y, self.u, self.v = y, u, v
        self.height, self.width = y.shape

    def rows(self, y0: int, y1: int) -> "YUVCanvas":
        """Return a canvas over rows ``y0`` .. ``y1 - 1`` (both even; views: drawing on it draws here)."""
        if y0 % 2 or y1 % 2:
            raise ValueError("a YUVCanvas splits at even rows only (whole chroma rows)")
        return YUVCanvas(self.y[y0:y1], self.u[y0 // 2 : y1 // 2], self.v[y0 // 2 : y1 // 2])

    @classmethod
    def from_frame(cls, frame: av.VideoFrame) -> "YUVCanvas":
        """Return a canvas over a writable ``av.VideoFrame`` in yuv420p (call ``make_writable`` first)."""
        if frame.format.name != "yuv420p":
            raise ValueError(f"YUVCanvas needs a yuv420p frame, got {frame.format.name}")
        w, h = frame.width, frame.height
        planes = []
        for plane, (pw, ph) in zip(frame.planes, ((w, h), ((w + 1) // 2, (h + 1) // 2), ((w + 1) // 2, (h + 1) // 2))):
            buf = np.frombuffer(plane, np.uint8)
            planes.append(buf[: ph * plane.line_size].reshape(ph, plane.line_size)[:, :pw])
        return cls(*planes)

    def fill(self, x0: int, y0: int, x1: int, y1: int, color: Color, alpha: float = 1.0) -> None:
        x0, y0 = int(x0) & ~1, int(y0) & ~1
        x1, y1 = int(x1) + (int(x1) & 1), int(y1) + (int(y1) & 1)
        rect = _clip_rect(x0, y0, x1, y1, self.width, self.height)
        if rect is None or alpha <= 0:
            return
        x0, y0, x1, y1 = rect
        cy, cu, cv = color.yuv709
        luma = self.y[y0:y1, x0:x1]
        chroma = (slice(y0 // 2, (y1 + 1) // 2), slice(x0 // 2, (x1 + 1) // 2))
        if alpha >= 1:
            luma[...] = cy
            self.u[chroma] = cu
            self.v[chroma] = cv
        else:
            _blend_const(luma, cy, alpha)
            _blend_const(self.u[chroma], cu, alpha)
            _blend_const(self.v[chroma], cv, alpha)

    def blend(self, patch: Patch, x: int, y: int, columns: tuple[int, int] | None = None) -> None:
        x, y = int(x) & ~1, int(y) & ~1
        if columns is not None:  # whole chroma columns: widen to even edges
            columns = (int(columns[0]) & ~1, int(columns[1]) + (int(columns[1]) & 1))
        lo, hi = _columns(x, x + patch.width, columns)
        rect = _clip_rect(lo, y, hi, y + patch.height, self.width, self.height)
        if rect is None:
            return
        x0, y0, x1, y1 = rect
        y1 -= (y1 - y0) & 1  # a frame edge at an odd coordinate: keep whole chroma rows
        x1 -= (x1 - x0) & 1
        if x1 <= x0 or y1 <= y0:
            return
        sy, sx = y0 - y, x0 - x
        ywin = (slice(sy, sy + y1 - y0), slice(sx, sx + x1 - x0))
        cwin = (slice(sy // 2, (sy + y1 - y0) // 2), slice(sx // 2, (sx + x1 - x0) // 2))
        cdst = (slice(y0 // 2, y1 // 2), slice(x0 // 2, x1 // 2))
        if patch.opaque:
            py, pu, pv = patch.opaque_yuv()
            self.y[y0:y1, x0:x1] = py[ywin]
            self.u[cdst] = pu[cwin]
            self.v[cdst] = pv[cwin]
            return
        pre_y, inv_y, pre_u, pre_v, inv_uv = patch.yuv_form()
        _blend_patch(self.y[y0:y1, x0:x1], pre_y[ywin], inv_y[ywin])
        _blend_patch(self.u[cdst], pre_u[cwin], inv_uv[cwin])
        _blend_patch(self.v[cdst], pre_v[cwin], inv_uv[cwin])
