"""Decoded frames made ready for the encoder: yuv420p, upright, even size, optionally letterboxed.

The one size rule of every video written (overlay export, clip, reel, browser
proxy): the picture is shown as a player shows it, the sample aspect ratio
applied to the stored width (rounded to whole pixels, the only rescale) and turned
upright; then an odd width or height loses its last column or row (a crop, never a
rescale of the whole picture: H.264 yuv420p needs even sides). So every written
pixel is the pixel at the same place in :class:`~annotate.media.VideoReader`'s
frame, with the same geometry.

Frames stay in Y'CbCr (no round trip through BGR) when the shown size is even: a
frame that is already yuv420p at the output size is used as decoded; others go
through one swscale ``reformat``; a rotation turns the three planes with numpy.
An odd shown size goes the reader's way (BGR, upright, stretched) and is cropped.
"""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np

from av.video.reformatter import VideoReformatter

from ..media.convert import is_full_range, matrix_of, to_bgr, to_bt709, upright
from ..render import YUVCanvas
from .sink import BT709, LIMITED_RANGE

BLACK_YUV = (16, 128, 128)
_RGB = frozenset({"bgr24", "rgb24", "gray", "bgra", "rgba"})  # to_bt709 converts these (rare: odd-sized input)
POOL = 8  # output frames a band-adding shaper takes turns with (see FrameShaper._reused)


def even(value: float) -> int:
    """Return the nearest even integer to ``value``, at least 2."""
    return max(2, 2 * int(round(value / 2)))


def shown_size(coded_w: int, coded_h: int, rotation: int, sar: Fraction | None) -> tuple[int, int]:
    """Return the (width, height) a player shows a picture stored as ``coded_w`` x ``coded_h`` at: sample aspect
    ratio applied to the width (rounded, as :attr:`annotate.media.VideoInfo.width`), turned upright (``rotation``
    clockwise 0/90/180/270)."""
    w, h = max(1, round(coded_w * (Fraction(sar) if sar and sar > 0 else 1))), coded_h
    return (h, w) if rotation % 180 else (w, h)


def display_size(coded_w: int, coded_h: int, rotation: int, sar: Fraction | None) -> tuple[int, int]:
    """Return the even (width, height) to encode a picture stored as ``coded_w`` x ``coded_h`` at: the shown
    size (:func:`shown_size`) with an odd side's last column or row cropped (see the module note)."""
    w, h = shown_size(coded_w, coded_h, rotation, sar)
    return max(2, w - w % 2), max(2, h - h % 2)


def fit_size(src_w: int, src_h: int, box_w: int, box_h: int) -> tuple[int, int]:
    """Return the largest even size with the aspect of ``src`` that fits in the box."""
    scale = min(Fraction(box_w, src_w), Fraction(box_h, src_h))
    return min(even(src_w * scale), box_w), min(even(src_h * scale), box_h)


def rotate_frame(frame: av.VideoFrame, rotation: int) -> av.VideoFrame:
    """Return a yuv420p ``frame`` turned ``rotation`` degrees clockwise, as a new frame."""
    planes = YUVCanvas.from_frame(frame)
    k = -(rotation // 90)  # np.rot90 turns counter-clockwise
    y, u, v = (np.rot90(p, k) for p in (planes.y, planes.u, planes.v))
    out = av.VideoFrame(y.shape[1], y.shape[0], "yuv420p")
    dst = YUVCanvas.from_frame(out)
    dst.y[...], dst.u[...], dst.v[...] = y, u, v
    return out


def blank_frame(width: int, height: int) -> av.VideoFrame:
    """Return a black yuv420p frame (limited range)."""
    frame = av.VideoFrame(width, height, "yuv420p")
    planes = YUVCanvas.from_frame(frame)
    planes.y[...], planes.u[...], planes.v[...] = BLACK_YUV
    return frame


class FrameShaper:
    """Turns decoded frames of one source into writable yuv420p frames of ``out_size`` (upright).

    ``rotation`` is clockwise-to-display; ``size`` the picture (even, :func:`display_size`); ``shown``
    the size a player shows (:func:`shown_size`; default ``size``): when it differs, its last column or row
    is cropped. ``box`` an optional larger canvas: the picture is then fitted inside it, centred on black.
    ``band`` (even) adds that many rows below the picture (or the box) for the timeline strip, black in a
    new frame and otherwise as last drawn (see :meth:`_reused`); the picture itself is copied as is.
    """

    def __init__(
        self,
        size: tuple[int, int],
        rotation: int = 0,
        box: tuple[int, int] | None = None,
        band: int = 0,
        shown: tuple[int, int] | None = None,
    ):
        if band < 0 or band % 2:
            raise ValueError("the band below the picture needs an even number of rows (yuv420p)")
        self.rotation = rotation % 360
        self.size = size
        self.shown = tuple(shown) if shown and tuple(shown) != tuple(size) else None
        self.box = box if box and tuple(box) != tuple(size) else None
        self.band = int(band)
        self._pool: list[av.VideoFrame] = []
        self._sws = VideoReformatter()
        self._turn = 0
        self.slot: tuple | None = None  # the last frame's pool slot and buffer (see _reused), None if not pooled
        if self.box is not None:
            self.size = fit_size(size[0], size[1], *self.box)
        w, h = self.size
        self._coded_target = (h, w) if self.rotation % 180 else (w, h)

    @property
    def picture_size(self) -> tuple[int, int]:
        """Return the (width, height) of the picture area: the box, else the picture."""
        return self.box or self.size

    @property
    def out_size(self) -> tuple[int, int]:
        """Return the (width, height) of the frames this shaper makes (the band included)."""
        w, h = self.picture_size
        return w, h + self.band

    def __call__(self, frame: av.VideoFrame, writable: bool = True) -> av.VideoFrame:
        """Return ``frame`` ready to encode (and, if ``writable``, to draw on): possibly the same object."""
        self.slot = None
        if self.shown is not None:
            frame = self._cropped(frame)
        else:
            frame = self._bt709(frame)  # the sink tags its stream BT.709
        if self.rotation and self.shown is None:
            frame = rotate_frame(frame, self.rotation)
        elif writable and self.box is None and not self.band:
            frame.make_writable()  # decoded frames share buffers with the decoder's reference frames
        if self.box is not None or self.band:
            frame = self._place(frame)
        return frame

    def _bt709(self, frame: av.VideoFrame) -> av.VideoFrame:
        """Return ``frame`` as :func:`~annotate.media.convert.to_bt709` does at the coded target size, with one
        swscale context kept for the shaper's frames (a new one per frame costs more than the conversion)."""
        width, height = self._coded_target
        fmt, full, matrix = frame.format.name, is_full_range(frame), matrix_of(frame)
        if fmt in _RGB or (fmt == "yuv420p" and not full and matrix == "ITU709" and (width, height) == (frame.width, frame.height)):
            return to_bt709(frame, width, height, interpolation="BICUBIC")
        out = self._sws.reformat(
            frame, width=width, height=height, format="yuv420p", interpolation="BICUBIC",
            src_colorspace=matrix, dst_colorspace="ITU709",
            src_color_range="JPEG" if full else "MPEG", dst_color_range="MPEG",
        )
        out.colorspace, out.color_range = BT709, LIMITED_RANGE
        return out

    def _cropped(self, frame: av.VideoFrame) -> av.VideoFrame:
        """Return the upright picture as the reader shows it, its odd side's last column/row cropped, at ``size``."""
        w, h = self.shown
        image = upright(to_bgr(frame), self.rotation, self.shown)  # resized only for non-square pixels
        cw, ch = w - w % 2, h - h % 2
        picture = av.VideoFrame.from_ndarray(np.ascontiguousarray(image[:ch, :cw]), format="bgr24")
        return to_bt709(picture, *self.size, interpolation="BICUBIC")

    def _place(self, frame: av.VideoFrame) -> av.VideoFrame:
        """Return a frame of ``out_size``: ``frame`` centred in the box (or at the top), black elsewhere (the
        band: see :meth:`_reused`)."""
        bw, bh = self.picture_size
        x, y = ((bw - frame.width) // 2) & ~1, ((bh - frame.height) // 2) & ~1
        out = blank_frame(*self.out_size) if self.box is not None else self._reused()
        src, dst = YUVCanvas.from_frame(frame), YUVCanvas.from_frame(out)
        dst.y[y : y + frame.height, x : x + frame.width] = src.y
        dst.u[y // 2 : y // 2 + src.u.shape[0], x // 2 : x // 2 + src.u.shape[1]] = src.u
        dst.v[y // 2 : y // 2 + src.v.shape[0], x // 2 : x // 2 + src.v.shape[1]] = src.v
        return out

    def _reused(self) -> av.VideoFrame:
        """Return the next of the :data:`POOL` output frames this shaper refills in turn, writable.

        Frames are handed to the encoder's thread while later ones are drawn, so a frame comes round again
        only after ``POOL - 1`` others (more than the frame loop ever has in flight). Only the picture is
        copied in: the band keeps what was drawn there when the frame was last used (black at first), and
        :attr:`slot` says which frame and buffer it is, ``((shaper, turn), buffer address)``, so the
        timeline strip is drawn into a frame once and afterwards only its playhead moves. Encoders copy a
        frame's pictures or keep a reference (then ``make_writable`` copies, contents included)."""
        if len(self._pool) < POOL:
            self._pool.append(blank_frame(*self.out_size))
            self._turn = len(self._pool) - 1
        else:
            self._turn = (self._turn + 1) % POOL
        frame = self._pool[self._turn]
        frame.make_writable()  # a no-op unless the encoder still holds this picture
        self.slot = ((id(self), self._turn), frame.planes[0].buffer_ptr)
        return frame
