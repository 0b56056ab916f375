"""Writing videos: the overlay export, the browser proxy, frame-exact clips and highlight reels.

One frame loop (:mod:`.loop`) reads a source through :mod:`annotate.media`'s
streaming reader, draws the overlay on the frame's Y/U/V planes and encodes into a
:class:`VideoSink` (H.264 yuv420p mp4, ``+faststart``, BT.709, written atomically),
at one size rule (:mod:`.frames`). Nothing here imports the CLI or UI.
"""

from .loop import Window, window
from .options import ENCODERS, X264_PRESETS, ExportOptions
from .proxy import make_proxy
from .sink import VideoSink
from .source import Source
from .video import ReelItem, clip_window, reel_items, render_clip, render_overlay, render_reel

__all__ = [
    "ENCODERS",
    "ExportOptions",
    "ReelItem",
    "Source",
    "VideoSink",
    "Window",
    "X264_PRESETS",
    "clip_window",
    "make_proxy",
    "reel_items",
    "render_clip",
    "render_overlay",
    "render_reel",
    "window",
]
