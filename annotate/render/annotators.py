"""The overlay's elements: flash, caption, timeline. Configured once, then applied to frames.

Each annotator has ``draw(canvas, t, marks, next_t=None)`` (any :class:`~.canvas.Canvas`)
and ``annotate(frame, t, marks, next_t=None) -> frame`` for a BGR image, which
it changes in place and returns. ``marks`` are the events (as :class:`~.marks.Mark`)
that may be visible; ``t`` is the frame's time in seconds from the first frame and
``next_t`` the next frame's time (see :mod:`.marks` for the first-frame rule).
Sizes scale with the frame, so one annotator serves any resolution.
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence

import numpy as np
from PIL import Image, ImageDraw

from ..model import Event, Kind
from . import flash as spec
from .canvas import BGRCanvas, Canvas, Patch
from .color import BLACK, KIND_COLORS, WHITE, Color
from .flash import border_px, even_up
from .marks import Mark, as_marks, fade, reached
from .text import fit_text, render_text


# Caption box and timeline strip: opaque dark grey. Opaque, because text on it reads on any picture and
# because a still, opaque patch costs the encoder nothing, where a translucent one over moving video does.
BOX_RGB = (28, 28, 30)


class _Annotator:
    def draw(self, canvas: Canvas, t: float, marks: Sequence[Mark], next_t: float | None = None) -> None:
        raise NotImplementedError

    def annotate(
        self, frame: np.ndarray, t: float, marks: Iterable[Event | Mark] = (), next_t: float | None = None
    ) -> np.ndarray:
        """Draw on the BGR ``frame`` in place and return it."""
        self.draw(BGRCanvas(frame), t, as_marks(marks), next_t)
        return frame


class FlashAnnotator(_Annotator):
    """A border in the kind's colour on all four edges plus a light tint of the picture inside it.

    The border is fully opaque on the event's first frame and fades linearly to
    nothing over ``flash_s``; the tint (opacity ``tint`` on the first frame) fades
    with it in ``tint_steps`` steps. A duration event also keeps a thin opaque border (a quarter of
    the flash border, at least 2 px) from its first frame to ``end_s``; several
    at once are nested inwards. With ``tab`` (for when captions are off, so colour is
    not the only cue) a tab with the short name (MOT/INT/DEC) hangs from the top
    border's right end while the flash lasts.
    """

    def __init__(
        self,
        flash_s: float = spec.FLASH_S,
        tint: float = spec.TINT,
        tint_steps: int = spec.TINT_STEPS,
        spans: bool = True,
        tab: bool = False,
    ) -> None:
        self.flash_s = float(flash_s)
        self.tint = float(tint)
        self.tint_steps = int(tint_steps)
        self.spans = spans
        self.tab = tab
        self._tabs: dict[tuple, Patch] = {}

    def _tint_level(self, alpha: float) -> float:
        # A tint changes every pixel of the picture. Fading it in a few steps instead of on every frame keeps
        # the encoder's work (and the export time) close to a plain transcode; 0 steps fades it every frame.
        if self.tint_steps <= 0:
            return alpha
        return math.ceil(alpha * self.tint_steps) / self.tint_steps

    def alpha(self, mark: Mark, t: float, next_t: float | None = None) -> float:
        """Return the flash opacity of ``mark`` on the frame at ``t`` (0 when not flashing)."""
        if not reached(mark.start_s, t, next_t):
            return 0.0
        return fade(mark.start_s, t, self.flash_s)

    def draw(self, canvas: Canvas, t: float, marks: Sequence[Mark], next_t: float | None = None) -> None:
        w, h = canvas.width, canvas.height
        thick = border_px(w, h)
        if self.spans:
            thin = spec.span_px(thick)
            inset = 0
            for mark in marks:
                if mark.end_s is not None and reached(mark.start_s, t, next_t) and t <= mark.end_s:
                    _frame_border(canvas, KIND_COLORS[mark.kind], inset, thin, 1.0)
                    inset += thin
        tab_right = w - 2 * thick  # tabs of simultaneous flashes line up leftwards, newest on the right
        for mark in reversed(marks):
            alpha = self.alpha(mark, t, next_t)
            if alpha > 0 and self.tab:
                tab_right -= self._tab(mark.kind, w, h).width + thick // 2
        for mark in marks:
            alpha = self.alpha(mark, t, next_t)
            if alpha <= 0:
                continue
            color = KIND_COLORS[mark.kind]
            if self.tint > 0:
                canvas.fill(thick, thick, w - thick, h - thick, color, self.tint * self._tint_level(alpha))
            _frame_border(canvas, color, 0, thick, alpha)
            if self.tab:
                patch = self._tab(mark.kind, w, h)
                tab_right += thick // 2
                canvas.blend(patch, tab_right, thick)
                tab_right += patch.width

    def _tab(self, kind: Kind, width: int, height: int) -> Patch:
        key = (kind, width, height)
        if key not in self._tabs:
            size = CaptionAnnotator.font_px(width, height)
            text = render_text(kind.short, size)
            pad = max(2, size // 4)
            rgba = np.zeros((text.shape[0] + pad, text.shape[1] + 2 * pad, 4), np.uint8)
            rgba[..., :3] = KIND_COLORS[kind].rgb
            rgba[..., 3] = 255
            paste_over(rgba, text, 0, pad)
            self._tabs[key] = Patch(rgba)
        return self._tabs[key]


def _frame_border(canvas: Canvas, color: Color, inset: int, thick: int, alpha: float) -> None:
    w, h = canvas.width, canvas.height
    a, b = inset, inset + thick
    canvas.fill(a, a, w - a, b, color, alpha)  # top
    canvas.fill(a, h - b, w - a, h - a, color, alpha)  # bottom
    canvas.fill(a, b, b, h - b, color, alpha)  # left
    canvas.fill(w - b, b, w - a, h - b, color, alpha)  # right


class CaptionAnnotator(_Annotator):
    """A caption for ``caption_s`` seconds from each event's first frame: a chip in the kind's colour
    with its short name (MOT/INT/DEC), then the label, white on a dark box so it reads on any picture
    (``box_alpha`` below 1 lets the picture show through).

    Captions stack from the top-left corner, newest last, at most ``max_rows``.
    Text is drawn once per caption into a cached patch; frames only blend it.
    """

    def __init__(self, caption_s: float = spec.CAPTION_S, max_rows: int = spec.CAPTION_ROWS, box_alpha: float = 1.0) -> None:
        self.caption_s = float(caption_s)
        self.max_rows = max_rows
        self.box_alpha = box_alpha
        self._cache: dict[tuple, Patch] = {}

    @staticmethod
    def font_px(width: int, height: int) -> int:
        """Return the caption font size for a frame: 4.5 % of the shorter side, at least 12 px."""
        return spec.font_px(width, height)

    def visible(self, mark: Mark, t: float, next_t: float | None = None) -> bool:
        """Return True if the caption of ``mark`` shows on the frame at ``t``."""
        return reached(mark.start_s, t, next_t) and t < mark.start_s + self.caption_s

    def patch(self, kind: Kind, label: str, width: int, height: int) -> Patch:
        """Return the (cached) caption patch of ``kind``/``label`` for a frame of this size."""
        key = (kind, label, width, height)
        patch = self._cache.get(key)
        if patch is None:
            if len(self._cache) > 256:
                self._cache.clear()
            patch = Patch(caption_rgba(kind, label, width, height, self.box_alpha))
            self._cache[key] = patch
        return patch

    def draw(self, canvas: Canvas, t: float, marks: Sequence[Mark], next_t: float | None = None) -> None:
        shown = [m for m in marks if self.visible(m, t, next_t)][-self.max_rows :]
        if not shown:
            return
        w, h = canvas.width, canvas.height
        margin = border_px(w, h) + max(spec.GAP_MIN_PX, even_up(spec.GAP_SHARE * min(w, h)))
        y = margin
        for mark in shown:
            patch = self.patch(mark.kind, mark.label, w, h)
            canvas.blend(patch, margin, y)
            y += patch.height + max(spec.GAP_MIN_PX, even_up(spec.GAP_SHARE * h))


def caption_rgba(kind: Kind, label: str, width: int, height: int, box_alpha: float = 1.0) -> np.ndarray:
    """Return the RGBA image of one caption sized for a ``width`` x ``height`` frame."""
    size = CaptionAnnotator.font_px(width, height)
    pad = max(spec.PAD_MIN_PX, int(round(size * spec.PAD_SHARE)))
    margin = border_px(width, height) * 2 + pad * 4
    short = render_text(kind.short, size)
    room = max(width - margin - short.shape[1] - 4 * pad, size)
    text = fit_text(label, size, room) if label else ""
    body = render_text(text, size) if text else None
    th = short.shape[0]
    chip_w = short.shape[1] + 2 * pad
    total_w = chip_w + ((body.shape[1] + 2 * pad) if body is not None else 0)
    total_h = th + 2 * pad
    out = np.zeros((total_h, total_w, 4), np.uint8)
    out[:, :chip_w, :3] = KIND_COLORS[kind].rgb
    out[:, :chip_w, 3] = 255
    if body is not None:
        out[:, chip_w:, :3] = BOX_RGB
        out[:, chip_w:, 3] = int(round(255 * box_alpha))
    paste_over(out, short, pad, pad)
    if body is not None:
        paste_over(out, body, pad, chip_w + pad)
    return out


def paste_over(dst: np.ndarray, src: np.ndarray, y: int, x: int) -> None:
    """Alpha-composite RGBA ``src`` over RGBA ``dst`` at (y, x), in place."""
    h = min(src.shape[0], dst.shape[0] - y)
    w = min(src.shape[1], dst.shape[1] - x)
    if h <= 0 or w <= 0:
        return
    s = src[:h, :w].astype(np.float32) / 255.0
    d = dst[y : y + h, x : x + w].astype(np.float32) / 255.0
    sa, da = s[..., 3:4], d[..., 3:4]
    oa = sa + da * (1 - sa)
    rgb = np.where(oa > 0, (s[..., :3] * sa + d[..., :3] * da * (1 - sa)) / np.maximum(oa, 1e-6), 0)
    dst[y : y + h, x : x + w, :3] = np.round(rgb * 255).astype(np.uint8)
    dst[y : y + h, x : x + w, 3] = np.round(oa[..., 0] * 255).astype(np.uint8)


def strip_band_px(width: int, height: int) -> int:
    """Return the height of the band added below a ``width`` x ``height`` picture to hold the timeline strip:
    at least 6 % of the picture's height and 16 rows, made up so the frame's height is a multiple of 16
    (whole H.264 macroblocks, so the encoder pads nothing; even, as yuv420p needs)."""
    least = max(16, math.ceil(0.06 * height))
    return -(-(height + least) // 16) * 16 - height + (height % 2)


class TimelineAnnotator(_Annotator):
    """A strip showing the whole recording: a marker per event in its kind's colour and shape (MOT circle,
    INT square, DEC diamond), a bar along the track for duration events, and the playhead.

    By default the strip lies along the bottom of the picture, inside the flash border. With ``below`` the
    canvas it draws on is the band added below the picture (see :func:`strip_band_px`): the strip fills the
    band, on its dark ground, and the picture is left untouched.
    The strip is drawn once per frame size into a cached patch; each frame blends it and draws the playhead
    (in a band that already holds it, only the playhead moves: see :meth:`draw`).
    """

    def __init__(self, events: Iterable[Event | Mark], duration_s: float, strip_alpha: float = 1.0, below: bool = False):
        self.marks = as_marks(events)
        self.duration_s = max(float(duration_s), 1e-6)
        self.strip_alpha = strip_alpha
        self.below = below
        self._cache: dict[tuple[int, int], tuple[Patch, tuple[int, int]]] = {}
        self._heads: dict[object, tuple[int, tuple]] = {}  # band key -> (buffer, (playhead columns, size)) drawn

    def geometry(self, width: int, height: int) -> tuple[int, int, int, int]:
        """Return the strip's (x0, y0, x1, y1) in a canvas of this size (inside the flash border; with
        ``below``, inside the band with a small margin)."""
        if self.below:
            pad = max(2, (height // 8) & ~1)
            inset = even_up(max(8.0, 0.01 * width))
            return inset, pad, width - inset, height - pad
        inset = border_px(width, height)
        strip_h = even_up(max(12.0, 0.05 * height))
        return inset, height - inset - strip_h, width - inset, height - inset

    def x_of(self, t: float, width: int, height: int) -> int:
        """Return the x pixel of time ``t`` on the strip of a canvas of this size."""
        x0, y0, x1, y1 = self.geometry(width, height)
        pad = (y1 - y0) // 2
        frac = min(max(t / self.duration_s, 0.0), 1.0)
        return int(round(x0 + pad + frac * (x1 - x0 - 2 * pad)))

    def _strip(self, width: int, height: int) -> tuple[Patch, tuple[int, int]]:
        """Return the cached patch and where it goes: the strip, or with ``below`` the whole band."""
        key = (width, height)
        if key not in self._cache:
            rgba = self._strip_rgba(width, height)
            x0, y0 = self.geometry(width, height)[:2]
            if self.below:
                band = np.zeros((height, width, 4), np.uint8)
                band[..., :3], band[..., 3] = BOX_RGB, 255
                band[y0 : y0 + rgba.shape[0], x0 : x0 + rgba.shape[1]] = rgba
                rgba, x0, y0 = band, 0, 0
            self._cache = {key: (Patch(rgba), (x0, y0))}
        return self._cache[key]

    def _strip_rgba(self, width: int, height: int, ss: int = 4) -> np.ndarray:
        x0, y0, x1, y1 = self.geometry(width, height)
        sw, sh = x1 - x0, y1 - y0
        img = Image.new("RGBA", (sw * ss, sh * ss), BOX_RGB + (int(round(255 * self.strip_alpha)),))
        draw = ImageDraw.Draw(img)
        mid = sh * ss / 2
        track = max(1, sh * ss // 10)
        draw.rectangle([0, mid - track / 2, sw * ss, mid + track / 2], fill=(200, 200, 200, 255))

        def sx(t: float) -> float:
            return (self.x_of(t, width, height) - x0) * ss

        for m in self.marks:
            if m.end_s is not None and m.end_s > m.start_s:
                bar = sh * ss / 5
                draw.rectangle([sx(m.start_s), mid - bar / 2, sx(m.end_s), mid + bar / 2], fill=KIND_COLORS[m.kind].rgb + (255,))
        radius = sh * ss * 0.34
        outline = max(1, ss)
        for m in self.marks:
            cx, color = sx(m.start_s), KIND_COLORS[m.kind].rgb + (255,)
            shape = m.kind.marker
            if shape == "circle":
                draw.ellipse([cx - radius, mid - radius, cx + radius, mid + radius], fill=color, outline=WHITE.rgb + (255,), width=outline)
            elif shape == "square":
                r = radius * 0.85
                draw.rectangle([cx - r, mid - r, cx + r, mid + r], fill=color, outline=WHITE.rgb + (255,), width=outline)
            else:
                r = radius * 1.15
                pts = [(cx, mid - r), (cx + r, mid), (cx, mid + r), (cx - r, mid)]
                draw.polygon(pts, fill=color, outline=WHITE.rgb + (255,), width=outline)
        small = img.convert("RGBa").resize((sw, sh), Image.Resampling.BOX).convert("RGBA")
        return np.asarray(small, dtype=np.uint8).copy()

    def draw(
        self, canvas: Canvas, t: float, marks: Sequence[Mark] = (), next_t: float | None = None, slot: tuple | None = None
    ) -> None:
        """Draw the strip and the playhead at ``t``. ``slot`` ``(key, buffer)`` (with ``below`` only) names the
        band being drawn on: when this annotator drew the last picture in the same key's band and the buffer
        is the same, the band still holds that strip, so only the playhead is moved (the strip put back
        where it was, the new one drawn), touching a few columns instead of the band."""
        w, h = canvas.width, canvas.height
        patch, (px, py) = self._strip(w, h)
        x0, y0, x1, y1 = self.geometry(w, h)
        x = self.x_of(t, w, h)
        head = max(2, even_up((y1 - y0) / 8))
        cols = (x - head // 2 - 2, x + head // 2 + 2)
        key, buffer = slot if (slot is not None and self.below and patch.opaque) else (None, None)
        before = self._heads.get(key) if key is not None else None
        if before is not None and before[0] == buffer and before[1] == (cols, (w, h)):
            return  # the playhead is where it already is in this band
        if before is not None and before[0] == buffer and before[1][1] == (w, h):
            canvas.blend(patch, px, py, columns=before[1][0])  # put the strip back under the old playhead
        else:
            canvas.blend(patch, px, py)
        canvas.fill(cols[0], y0, cols[1], y1, BLACK)
        canvas.fill(x - head // 2, y0, x + head // 2, y1, WHITE)
        if key is not None:
            if len(self._heads) > 64:
                self._heads.clear()
            self._heads[key] = (buffer, (cols, (w, h)))
