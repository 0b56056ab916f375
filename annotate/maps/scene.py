"""A drawing as a small tree of SVG-like elements, shared by the SVG and PNG writers.

Maps are laid out once, in Python, into a :class:`Scene`; ``svg.py`` serialises
it and ``png.py`` rasterises the same tree, so both files show the same picture.
Only a fixed subset of SVG is used: ``g``, ``rect``, ``line``, ``polyline``,
``polygon``, ``circle``, ``text`` and ``path`` (absolute ``M``/``L``/``C``/``Z``),
with presentation attributes (no CSS, no transforms).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

FONT_FAMILY = "DejaVu Sans, Verdana, Arial, sans-serif"
CHAR_WIDTH = 0.62  # average advance of a sans-serif character, in font sizes


def attr_name(key: str) -> str:
    """Return the SVG attribute name for a Python keyword: ``stroke_width`` -> ``stroke-width``, ``class_`` -> ``class``."""
    return key.rstrip("_").replace("_", "-")


@dataclass
class Element:
    """One SVG element: ``tag``, attributes, optional text content, tooltip ``title`` and children."""

    tag: str
    attrs: dict[str, Any] = field(default_factory=dict)
    text: str | None = None
    title: str | None = None
    children: list["Element"] = field(default_factory=list)

    def add(self, tag: str, text: str | None = None, title: str | None = None, **attrs: Any) -> "Element":
        """Append a child built from keyword attributes (see :func:`attr_name`); return the child."""
        child = Element(tag, {attr_name(k): v for k, v in attrs.items() if v is not None}, text, title)
        self.children.append(child)
        return child

    def group(self, title: str | None = None, **attrs: Any) -> "Element":
        """Append and return a ``g`` child."""
        return self.add("g", title=title, **attrs)

    def iter(self):
        """Yield this element and every descendant, depth first, in document order."""
        yield self
        for child in self.children:
            yield from child.iter()


@dataclass
class Scene:
    """A laid-out drawing ``width`` x ``height`` (user units = pixels at scale 1)."""

    width: float
    height: float
    root: Element = field(default_factory=lambda: Element("g"))
    background: str = "#ffffff"
    title: str = ""
    description: str = ""


class LabelPlacer:
    """Boxes (x0, y0, x1, y1) taken so far; a new label goes only where it overlaps none of them."""

    BUCKET = 64.0

    def __init__(self) -> None:
        self.buckets: dict[int, list[tuple[float, float, float, float]]] = {}

    def fits(self, box: tuple[float, float, float, float], pad: float = 3.0) -> bool:
        """Return True if ``box`` (grown by ``pad`` sideways) overlaps no box taken so far."""
        x0, y0, x1, y1 = box
        for b in range(int(x0 // self.BUCKET), int(x1 // self.BUCKET) + 1):
            for a0, b0, a1, b1 in self.buckets.get(b, ()):
                if x0 < a1 + pad and a0 < x1 + pad and y0 < b1 and b0 < y1:
                    return False
        return True

    def take(self, box: tuple[float, float, float, float]) -> None:
        """Mark ``box`` as taken."""
        for b in range(int(box[0] // self.BUCKET), int(box[2] // self.BUCKET) + 1):
            self.buckets.setdefault(b, []).append(box)


def text_width(text: str, size: float) -> float:
    """Return the estimated width of ``text`` at font ``size`` (used to thin out labels)."""
    return len(text) * size * CHAR_WIDTH


def truncate(text: str, limit: int) -> str:
    """Return ``text`` cut to ``limit`` characters with an ellipsis when it was longer."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: max(limit - 1, 1)].rstrip() + "…"


def diamond_points(x: float, y: float, r: float) -> str:
    """Return the ``points`` of a diamond centred on (x, y) with half-diagonal ``r``."""
    return points([(x, y - r), (x + r, y), (x, y + r), (x - r, y)])


def triangle_points(x: float, y: float, r: float, down: bool) -> str:
    """Return the ``points`` of a triangle centred on (x, y), pointing down or up."""
    s = 1 if down else -1
    return points([(x - r, y - s * r * 0.8), (x + r, y - s * r * 0.8), (x, y + s * r)])


def points(pts: Iterable[tuple[float, float]]) -> str:
    """Return an SVG ``points`` string for an iterable of (x, y)."""
    return " ".join(f"{num(x)},{num(y)}" for x, y in pts)


def num(value: float) -> str:
    """Return a number with at most two decimals and no trailing zeros."""
    text = f"{float(value):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
