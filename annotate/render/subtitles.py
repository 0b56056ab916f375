"""Subtitles from a recording's transcript on the overlay: the line being said, at the bottom of the picture.

Configured once with the lines (start, end, text: ``Speaker: text``); a line shows on
every frame from its start up to its end, centred above the picture's bottom edge,
white on the dark caption box, wrapped to at most :data:`MAX_ROWS` rows. Each line's
text is rasterised once per frame size (a cached patch); frames only blend it, and
only the rows it covers are touched.
"""

from __future__ import annotations

import bisect
from typing import Iterable, Sequence

import numpy as np

from . import flash as spec
from .canvas import Canvas, Patch
from .flash import border_px, even_up
from .text import render_text, wrap_text

MAX_ROWS = 2
BOX_RGB = (28, 28, 30)
BOX_ALPHA = 0.8


class SubtitleAnnotator:
    """Draws the transcript line said at each frame's time (see the module docstring)."""

    def __init__(self, lines: Iterable[tuple[float, float, str]]):
        self.lines = sorted((float(s), max(float(e), float(s)), str(t)) for s, e, t in lines if str(t).strip())
        self._starts = [s for s, _, _ in self.lines]
        self._cache: dict[tuple[int, int, int], Patch] = {}

    def line_at(self, t: float) -> int | None:
        """Return the index of the line said at ``t`` (the latest one started and not ended), or None."""
        i = bisect.bisect_right(self._starts, t + 1e-9) - 1
        for j in range(i, max(i - 8, -1), -1):  # lines overlap little: a few steps back find the open one
            if self.lines[j][1] > t:
                return j
        return None

    def changes(self, t: float) -> bool:
        """Return True if a subtitle shows on the frame at ``t``."""
        return self.line_at(t) is not None

    def patch(self, i: int, width: int, height: int) -> Patch:
        """Return the cached patch of line ``i`` for a frame of this size."""
        key = (i, width, height)
        found = self._cache.get(key)
        if found is None:
            if len(self._cache) > 64:
                self._cache.clear()
            found = self._cache[key] = Patch(subtitle_rgba(self.lines[i][2], width, height))
        return found

    def draw(self, canvas: Canvas, t: float) -> None:
        """Blend the line said at ``t`` onto ``canvas`` (the picture), centred near its bottom."""
        i = self.line_at(t)
        if i is None:
            return
        w, h = canvas.width, canvas.height
        patch = self.patch(i, w, h)
        margin = border_px(w, h) + max(spec.GAP_MIN_PX, even_up(spec.GAP_SHARE * min(w, h)))
        x = even_up(max(0, (w - patch.width) / 2)) if patch.width < w else 0
        y = max(0, h - margin - patch.height) // 2 * 2
        canvas.blend(patch, x, y)


def subtitle_rgba(text: str, width: int, height: int) -> np.ndarray:
    """Return the RGBA image of one subtitle (wrapped text on a box) sized for a ``width`` x ``height`` picture."""
    size = spec.font_px(width, height)
    pad = max(spec.PAD_MIN_PX, int(round(size * spec.PAD_SHARE)))
    room = max(width - 2 * border_px(width, height) - 4 * pad, size)
    rows = [render_text(row, size) for row in wrap_text(text, size, room, MAX_ROWS)] or [render_text(" ", size)]
    box_w = max(r.shape[1] for r in rows) + 2 * pad
    box_h = sum(r.shape[0] for r in rows) + 2 * pad
    out = np.zeros((box_h, min(box_w, width), 4), np.uint8)
    out[..., :3], out[..., 3] = BOX_RGB, int(round(255 * BOX_ALPHA))
    y = pad
    for r in rows:
        x = max(0, (out.shape[1] - r.shape[1]) // 2)
        _over(out, r, y, x)
        y += r.shape[0]
    return out


def _over(dst: np.ndarray, src: np.ndarray, y: int, x: int) -> None:
    """Put white-on-transparent text ``src`` (RGBA) over the box ``dst`` at (y, x), in place."""
    h, w = min(src.shape[0], dst.shape[0] - y), min(src.shape[1], dst.shape[1] - x)
    if h <= 0 or w <= 0:
        return
    a = src[:h, :w, 3:4].astype(np.float32) / 255.0
    region = dst[y:y + h, x:x + w, :3].astype(np.float32)
    dst[y:y + h, x:x + w, :3] = np.round(src[:h, :w, :3] * a + region * (1 - a)).astype(np.uint8)
    dst[y:y + h, x:x + w, 3] = np.maximum(dst[y:y + h, x:x + w, 3], src[:h, :w, 3])  # the text itself is opaque


def lines_from(transcript_lines: Sequence) -> list[tuple[float, float, str]]:
    """Return (start_s, end_s, "Speaker: text") for transcript lines (annotate.transcripts.lines.Line)."""
    return [(ln.start_s, ln.end_s, f"{ln.speaker}: {ln.text}" if ln.speaker else ln.text) for ln in transcript_lines]
