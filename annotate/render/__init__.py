"""Drawing: pure functions and small annotators that take a frame and return a frame.

Nothing here opens a file. Annotators are configured once and applied to many
frames, on a BGR image (``annotate``) or on a video frame's Y/U/V planes
(``draw`` with a :class:`YUVCanvas`, the fast path of the overlay export).
"""

from .annotators import CaptionAnnotator, FlashAnnotator, TimelineAnnotator, border_px, caption_rgba, strip_band_px
from .canvas import BGRCanvas, Canvas, Patch, YUVCanvas
from .card import MIN_TEXT_PX, CardFields, CardLayout, CardLine, card_layout, draw_card, event_card, title_card
from .color import KIND_COLORS, Color, rgb_to_yuv709, yuv709_to_rgb
from .marks import Mark, MarkIndex, as_marks, fade, reached
from .overlay import Overlay, OverlayOptions
from .text import fit_text, font_sources, render_text, text_width, wrap_text

__all__ = [
    "MIN_TEXT_PX",
    "CardFields",
    "CardLayout",
    "CardLine",
    "card_layout",
    "draw_card",
    "event_card",
    "BGRCanvas",
    "CaptionAnnotator",
    "Canvas",
    "Color",
    "FlashAnnotator",
    "KIND_COLORS",
    "Mark",
    "MarkIndex",
    "Overlay",
    "OverlayOptions",
    "Patch",
    "TimelineAnnotator",
    "YUVCanvas",
    "as_marks",
    "border_px",
    "caption_rgba",
    "fade",
    "fit_text",
    "font_sources",
    "reached",
    "render_text",
    "rgb_to_yuv709",
    "strip_band_px",
    "text_width",
    "title_card",
    "wrap_text",
    "yuv709_to_rgb",
]
