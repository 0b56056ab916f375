"""The whole overlay of one recording: flash, caption and timeline, each switchable."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np

from ..errors import ValidationError
from ..model import Event
from .annotators import CaptionAnnotator, FlashAnnotator, TimelineAnnotator
from .canvas import BGRCanvas, Canvas
from .marks import Mark, MarkIndex
from .subtitles import SubtitleAnnotator


@dataclass(frozen=True)
class OverlayOptions:
    """What the overlay shows. ``flash_s``: fade length; ``caption_s``: how long a caption stays;
    ``tint``: the flash tint's opacity on the first frame (0 for none), fading in ``tint_steps`` steps;
    ``flash_tab``: a tab with the short name on each flash (None: only when captions are off, so that
    colour is never the only cue); ``subtitles``: the transcript's line said at each frame, at the bottom
    (when the overlay is given the lines)."""

    flash: bool = True
    captions: bool = True
    timeline: bool = True
    flash_s: float = 0.8
    caption_s: float = 2.5
    tint: float = 0.15
    tint_steps: int = 4
    flash_tab: bool | None = None
    subtitles: bool = False

    def __post_init__(self) -> None:
        if not 0 < self.flash_s <= 60:
            raise ValidationError(f"flash length {self.flash_s} s is out of range; use a value above 0 and up to 60 seconds")
        if not 0 < self.caption_s <= 600:
            raise ValidationError(f"caption length {self.caption_s} s is out of range; use a value above 0 and up to 600 seconds")
        if not 0 <= self.tint <= 1:
            raise ValidationError(f"tint {self.tint} is out of range; use 0 to 1")

    @property
    def anything(self) -> bool:
        """Return True if at least one element is switched on."""
        return self.flash or self.captions or self.timeline or self.subtitles


class Overlay:
    """Every element of the overlay for one recording's events, configured once.

    ``draw(canvas, t, next_t, band)`` paints the frame at ``t`` (seconds from the first
    frame; ``next_t`` the next frame's time, None for "shown only at t"). With ``band`` > 0 the
    canvas's bottom ``band`` rows are a band added below the picture: the timeline strip fills it and
    the picture above keeps every pixel the flash and captions leave alone (its bottom rows included).
    ``annotate(frame, t, next_t, band)`` does the same on a BGR image, in place, and returns it.
    """

    def __init__(self, events: Iterable[Event | Mark], duration_s: float, options: OverlayOptions | None = None,
                 subtitles: Iterable[tuple[float, float, str]] = ()):
        self.options = options or OverlayOptions()
        o = self.options
        window = max(o.flash_s if o.flash else 0.0, o.caption_s if o.captions else 0.0)
        self.index = MarkIndex(events, window)
        tab = (not o.captions) if o.flash_tab is None else o.flash_tab
        self.flash = FlashAnnotator(o.flash_s, o.tint, o.tint_steps, tab=tab) if o.flash else None
        self.caption = CaptionAnnotator(o.caption_s) if o.captions else None
        self.timeline = TimelineAnnotator(self.index.marks, duration_s) if o.timeline else None
        self.band_timeline = TimelineAnnotator(self.index.marks, duration_s, below=True) if o.timeline else None
        lines = list(subtitles) if o.subtitles else []
        self.subtitles = SubtitleAnnotator(lines) if lines else None

    @property
    def marks(self) -> list[Mark]:
        return self.index.marks

    def changes(self, t: float, next_t: float | None = None) -> bool:
        """Return True if drawing the frame at ``t`` would change any pixel."""
        return (self.timeline is not None or bool(self.index.near(t, next_t))
                or (self.subtitles is not None and self.subtitles.changes(t)))

    def draw(self, canvas: Canvas, t: float, next_t: float | None = None, band: int = 0, slot: tuple | None = None) -> None:
        """Paint every switched-on element of the frame at ``t`` onto ``canvas`` (``band``: see the class note;
        ``slot`` names the band's frame and buffer when it is one drawn on before, see
        :meth:`TimelineAnnotator.draw`)."""
        picture, strip, timeline = canvas, canvas, self.timeline
        if band > 0:
            split = canvas.height - band
            picture, strip, timeline = canvas.rows(0, split), canvas.rows(split, canvas.height), self.band_timeline
        near = self.index.near(t, next_t)
        if self.flash is not None and near:
            self.flash.draw(picture, t, near, next_t)
        if timeline is not None:
            timeline.draw(strip, t, near, next_t, slot=slot if band > 0 else None)
        if self.caption is not None and near:
            self.caption.draw(picture, t, near, next_t)
        if self.subtitles is not None:
            self.subtitles.draw(picture, t)

    def annotate(self, frame: np.ndarray, t: float, next_t: float | None = None, band: int = 0) -> np.ndarray:
        """Draw on the BGR ``frame`` in place and return it."""
        self.draw(BGRCanvas(frame), t, next_t, band)
        return frame
