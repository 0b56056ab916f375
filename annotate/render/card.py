"""Title cards that introduce each clip of a highlight reel."""

from __future__ import annotations

import numpy as np

from ..model import Kind, parse_kind
from ..timebase import format_timecode
from .annotators import _paste_over, border_px
from .color import KIND_COLORS
from .text import fit_text, render_text

BACKGROUND = (24, 24, 28)  # RGB


def title_card(
    kind: Kind | str, label: str, recording: str, at_s: float, width: int, height: int
) -> np.ndarray:
    """Return a ``height`` x ``width`` BGR image naming one event: a band in the kind's colour, the short
    name and kind title (e.g. "MOT  Moment of Truth"), the label, the recording title and the time."""
    kind = parse_kind(kind)
    rgba = np.zeros((height, width, 4), np.uint8)
    rgba[..., :3] = BACKGROUND
    rgba[..., 3] = 255
    band = border_px(width, height) * 2
    rgba[:, :band, :3] = KIND_COLORS[kind].rgb
    rgba[:, width - band :, :3] = KIND_COLORS[kind].rgb
    left = band * 2
    room = max(width - 2 * left, 16)
    short = min(width, height)
    lines = [
        (f"{kind.short}  {kind.title}", max(12, round(short * 0.07)), KIND_COLORS[kind].rgb),
        (label or "(no label)", max(12, round(short * 0.09)), (255, 255, 255)),
        (recording, max(10, round(short * 0.05)), (200, 200, 200)),
        (format_timecode(at_s), max(10, round(short * 0.05)), (200, 200, 200)),
    ]
    rendered = [render_text(fit_text(text, size, room), size, color) for text, size, color in lines if text]
    gap = max(2, round(short * 0.025))
    total = sum(r.shape[0] for r in rendered) + gap * (len(rendered) - 1)
    y = max((height - total) // 2, 0)
    for r in rendered:
        _paste_over(rgba, r, y, left)
        y += r.shape[0] + gap
    return np.ascontiguousarray(rgba[..., 2::-1])
