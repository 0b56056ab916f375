"""Title cards that introduce each clip of a highlight reel.

A card names one event as the method lists a Moment of Truth: the kind (its short name on a chip in
its colour, then its title), the label, the stage and the emotion, the note (what happened), the
channel (how the customer and the firm interacted) and the customer's expectation, then the
recording and the time. Empty fields take no line. Long text wraps inside the frame, never below
:data:`MIN_TEXT_PX`; what still does not fit is cut with an ellipsis. :func:`card_layout` decides
every line and where it goes; :func:`title_card` draws exactly those lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ..model import Event, Kind, parse_kind
from ..timebase import format_timecode
from .annotators import paste_over, border_px
from .color import KIND_COLORS
from .text import fit_text, render_text, wrap_text

BACKGROUND = (24, 24, 28)  # RGB
MIN_TEXT_PX = 12  # the smallest font size a card uses (the captions' minimum too)
EMOTION_TEXT = {-2: "−2 very negative", -1: "−1 negative", 0: "0 neutral", 1: "+1 positive", 2: "+2 very positive"}
_EDGE = 4  # a drawn line is up to this much wider than its advance width (a pixel each side, rounding)
_WHITE, _SOFT, _DIM = (255, 255, 255), (225, 225, 225), (190, 190, 190)


@dataclass(frozen=True)
class CardFields:
    """What a card shows. Blank texts (and emotion None) are left off the card."""

    kind: Kind
    label: str = ""
    recording: str = ""
    at_s: float = 0.0
    stage: str = ""
    emotion: int | None = None
    note: str = ""
    channel: str = ""
    expectation: str = ""

    @classmethod
    def of_event(cls, event: Event, recording: str = "") -> "CardFields":
        """Return the card fields of ``event`` shown from the recording titled ``recording``."""
        return cls(
            parse_kind(event.kind), (event.label or "").strip(), recording, float(event.start_s),
            (event.stage or "").strip(), event.emotion, (event.note or "").strip(),
            (event.channel or "").strip(), (event.expectation or "").strip(),
        )


@dataclass(frozen=True)
class CardLine:
    """One line of a card: ``text`` at font ``size`` in ``rgb``, its top-left corner at (x, y).
    ``chip`` (the header only) is the kind's short name, drawn on the kind's colour left of the text."""

    text: str
    size: int
    rgb: tuple[int, int, int]
    x: int
    y: int
    chip: str = ""
    image: np.ndarray = field(default=None, repr=False, compare=False)  # type: ignore[assignment]

    @property
    def height(self) -> int:
        return self.image.shape[0]

    @property
    def right(self) -> int:
        """Return the x just past the line's text (the chip included)."""
        return self.x + self.image.shape[1]


@dataclass(frozen=True)
class CardLayout:
    """Where a card's text goes: ``lines`` inside the box ``left`` .. ``right`` x ``top`` .. ``bottom`` of a
    ``width`` x ``height`` frame with bands ``band`` wide in the kind's colour at both sides; ``cut`` is True
    when some text did not fit and was cut with an ellipsis."""

    kind: Kind
    width: int
    height: int
    band: int
    left: int
    right: int
    top: int
    bottom: int
    lines: tuple[CardLine, ...] = ()
    cut: bool = False

    @classmethod
    def frame(cls, kind: Kind, width: int, height: int) -> "CardLayout":
        """Return the empty layout of a card of this size: its bands and the box the text goes in."""
        band = border_px(width, height) * 2
        left = band * 2
        margin = max(band, round(min(width, height) * 0.04))
        return cls(kind, width, height, band, left, max(width - left, left + MIN_TEXT_PX), margin, height - margin)

    @property
    def room(self) -> int:
        return self.right - self.left

    def place(self, lines: list[tuple["CardLine", int]], cut: bool = False) -> "CardLayout":
        """Return this layout with ``lines`` (each with the space above it) stacked and centred in the box."""
        total = sum(line.height + space for line, space in lines)
        y = self.top + max((self.bottom - self.top - total) // 2, 0)
        placed = []
        for line, space in lines:
            y += space
            placed.append(replace(line, x=self.left, y=y))
            y += line.height
        return replace(self, lines=tuple(placed), cut=cut)


def _blocks(f: CardFields, sizes: tuple[int, int, int]) -> list[tuple[str, str, int, tuple]]:
    """Return the card's text blocks in order: (name, text, size, colour), blank fields left out."""
    head, label, body = sizes
    meta = " · ".join(p for p in (f"Stage: {f.stage}" if f.stage else "",
                                  f"Emotion: {EMOTION_TEXT.get(f.emotion, f.emotion)}" if f.emotion is not None else "") if p)
    blocks = [
        ("label", f.label or "(no label)", label, _WHITE),
        ("meta", meta, body, _SOFT),
        ("note", f"Note: {f.note}" if f.note else "", body, _WHITE),
        ("channel", f"Channel: {f.channel}" if f.channel else "", body, _SOFT),
        ("expectation", f"Expectation: {f.expectation}" if f.expectation else "", body, _SOFT),
        ("footer", " · ".join(p for p in (f.recording, format_timecode(f.at_s)) if p), body, _DIM),
    ]
    return [("head", f.kind.title, head, KIND_COLORS[f.kind].rgb)] + [b for b in blocks if b[1]]


def _chip(short: str, size: int, rgb: tuple[int, int, int]) -> np.ndarray:
    text = render_text(short, size)
    pad = max(2, size // 4)
    out = np.zeros((text.shape[0], text.shape[1] + 2 * pad, 4), np.uint8)
    out[..., :3], out[..., 3] = rgb, 255
    paste_over(out, text, 0, pad)
    return out


def _lines(f: CardFields, sizes: tuple[int, int, int], budget: dict[str, int], room: int, gap: int) -> list[tuple[CardLine, int]]:
    """Return the lines (at y = 0) with the space to leave above each."""
    out: list[tuple[CardLine, int]] = []
    for name, text, size, rgb in _blocks(f, sizes):
        if name == "head":
            chip = _chip(f.kind.short, size, KIND_COLORS[f.kind].rgb)
            space = max(chip.shape[1] // 3, 4)
            title = wrap_text(text, size, room - chip.shape[1] - space - _EDGE, 1)
            img = chip.copy() if not title else _join(chip, render_text(title[0], size, rgb), space)
            out.append((CardLine(title[0] if title else "", size, rgb, 0, 0, f.kind.short, img), 0))
            continue
        for k, line in enumerate(wrap_text(text, size, room - _EDGE, budget.get(name, 1))):
            out.append((CardLine(line, size, rgb, 0, 0, image=render_text(line, size, rgb)), gap if k == 0 else 0))
    return out


def _join(a: np.ndarray, b: np.ndarray, space: int) -> np.ndarray:
    h = max(a.shape[0], b.shape[0])
    out = np.zeros((h, a.shape[1] + space + b.shape[1], 4), np.uint8)
    paste_over(out, a, (h - a.shape[0]) // 2, 0)
    paste_over(out, b, (h - b.shape[0]) // 2, a.shape[1] + space)
    return out


def card_layout(fields: CardFields, width: int, height: int) -> CardLayout:
    """Return where every line of the card of ``fields`` goes in a ``width`` x ``height`` frame.

    The note may take 4 lines, the label, stage and emotion, channel and expectation 2, the others 1; when that is too tall the
    budgets shrink, then the fonts (never below MIN_TEXT_PX), and last the lines that still do not fit
    are dropped, the last one kept ending with an ellipsis.
    """
    box = CardLayout.frame(fields.kind, width, height)
    short = min(width, height)
    budget = {"label": 2, "meta": 2, "note": 4, "channel": 2, "expectation": 2}
    scale = 1.0
    while True:
        sizes = tuple(max(MIN_TEXT_PX, round(short * r * scale)) for r in (0.07, 0.085, 0.05))
        gap = max(2, round(short * 0.025 * scale))
        lines = _lines(fields, sizes, budget, box.room, gap)
        if sum(line.height + space for line, space in lines) <= box.bottom - box.top:
            return box.place(lines)
        name = next((n for n in ("note", "expectation", "channel", "meta", "label") if budget[n] > 1), None)
        if name is not None:
            budget[name] -= 1
        elif max(sizes) > MIN_TEXT_PX:
            scale *= 0.9
        else:
            return _cut(box, lines)


def _cut(box: CardLayout, lines: list[tuple[CardLine, int]]) -> CardLayout:
    """Return ``box`` with the first lines that fit, the last one kept ending with an ellipsis."""
    kept, total = [], 0
    for line, space in lines:
        if total + space + line.height > box.bottom - box.top:
            break
        kept.append((line, space))
        total += space + line.height
    if 1 < len(kept) < len(lines):
        line, space = kept[-1]
        text = fit_text(line.text.rstrip("…").rstrip() + "…", line.size, box.room - _EDGE)
        kept[-1] = (replace(line, text=text, image=render_text(text, line.size, line.rgb)), space)
    return box.place(kept, cut=True)


def title_card(
    kind: Kind | str, label: str, recording: str, at_s: float, width: int, height: int, **details
) -> np.ndarray:
    """Return a ``height`` x ``width`` BGR card naming one event: bands in the kind's colour, the short name
    on a chip in that colour beside the kind's title, the label, and (keywords ``stage``, ``emotion``,
    ``note``, ``channel``, ``expectation``, each left off when blank) the rest, then the recording and time."""
    fields = CardFields(parse_kind(kind), (label or "").strip(), recording, float(at_s), **details)
    return draw_card(card_layout(fields, width, height))


def event_card(event: Event, recording: str, width: int, height: int) -> np.ndarray:
    """Return the card of ``event`` (see :func:`title_card`) shown from the recording titled ``recording``."""
    return draw_card(card_layout(CardFields.of_event(event, recording), width, height))


def draw_card(layout: CardLayout) -> np.ndarray:
    """Return the BGR image of ``layout``: the background, the kind's colour bands and every line."""
    w, h, band = layout.width, layout.height, layout.band
    rgba = np.zeros((h, w, 4), np.uint8)
    rgba[..., :3], rgba[..., 3] = BACKGROUND, 255
    rgba[:, :band, :3] = KIND_COLORS[layout.kind].rgb
    rgba[:, w - band :, :3] = KIND_COLORS[layout.kind].rgb
    for line in layout.lines:
        paste_over(rgba, line.image[:, : max(layout.right - line.x, 0)], line.y, line.x)
    return np.ascontiguousarray(rgba[..., 2::-1])
