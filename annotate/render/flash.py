"""The flash that marks an event's first frame, and its caption: every number, in one place.

The rendered overlay (:mod:`annotate.render.annotators`) draws with these, and
the browser's live flashes (the Review player and the Play page's viewer) get
them as data (:func:`browser_style`) and only apply them, so a flash looks the
same wherever it is shown.

Sizes are rules over the frame's shorter side; a border is rounded up to an
even number of pixels, as the yuv420p planes of the overlay video need.
"""

from __future__ import annotations

import math

FLASH_S = 0.8  # the border fades from opaque to nothing over this many seconds
TINT = 0.15  # the opacity of the tint inside the border on the event's first frame
TINT_STEPS = 4  # the rendered tint fades in this many steps (0: every frame)
CAPTION_S = 2.5  # how long a caption stays from the event's first frame
CAPTION_ROWS = 4  # at most this many captions at once

BORDER_MIN_PX = 8  # the flash border: at least this ...
BORDER_SHARE = 0.02  # ... and at least this share of the shorter side
SPAN_MIN_PX = 2  # a duration's thin border: at least this ...
SPAN_SHARE = 0.25  # ... and at least this share of the flash border
FONT_MIN_PX = 12  # the caption font: at least this ...
FONT_SHARE = 0.045  # ... or this share of the shorter side, rounded
PAD_MIN_PX = 2  # the padding round caption text: at least this ...
PAD_SHARE = 0.35  # ... or this share of the font size
GAP_MIN_PX = 2  # the gap between captions and beside the border: at least this ...
GAP_SHARE = 0.01  # ... or this share of the frame
LIVE_BOX_ALPHA = 0.72  # the browser's caption label box lets the moving picture show through


def even_up(value: float) -> int:
    """Return ``value`` rounded up to a whole, even number of pixels."""
    n = int(math.ceil(value))
    return n + (n & 1)


def border_px(width: int, height: int) -> int:
    """Return the flash border thickness: at least max(8 px, 2 % of the shorter side), rounded up to even."""
    return even_up(max(float(BORDER_MIN_PX), BORDER_SHARE * min(width, height)))


def span_px(border: int) -> int:
    """Return the thickness of a duration's thin border beside a flash border of ``border`` px."""
    return max(SPAN_MIN_PX, even_up(border * SPAN_SHARE))


def font_px(width: int, height: int) -> int:
    """Return the caption font size for a frame: 4.5 % of the shorter side, at least 12 px."""
    return max(FONT_MIN_PX, int(round(FONT_SHARE * min(width, height))))


def browser_style() -> dict[str, float]:
    """Return the numbers the browser draws its live flashes and captions with (JSON-able).

    ``seconds``, ``tint`` and ``caption_s`` are the timing; the ``*_min_px`` and
    ``*_share`` keys are the size rules above, which the browser applies to the
    played video's size.
    """
    return {
        "seconds": FLASH_S,
        "tint": TINT,
        "caption_s": CAPTION_S,
        "caption_rows": CAPTION_ROWS,
        "border_min_px": BORDER_MIN_PX,
        "border_share": BORDER_SHARE,
        "span_min_px": SPAN_MIN_PX,
        "span_share": SPAN_SHARE,
        "font_min_px": FONT_MIN_PX,
        "font_share": FONT_SHARE,
        "pad_min_px": PAD_MIN_PX,
        "pad_share": PAD_SHARE,
        "gap_min_px": GAP_MIN_PX,
        "gap_share": GAP_SHARE,
        "live_box_alpha": LIVE_BOX_ALPHA,
    }
