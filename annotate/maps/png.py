"""Rasterise a :class:`~annotate.maps.scene.Scene` to PNG with Pillow alone.

No Graphviz, cairo or browser is needed: the scene is already laid out, so
drawing it is a walk over rectangles, lines, polygons, circles, paths and
text. The picture is drawn at twice the size and downsampled for smooth edges.
Fonts: DejaVu Sans when the system has it, else the font bundled with Pillow.
"""

from __future__ import annotations

import functools
import io
import math
import re
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from ..errors import ValidationError
from .scene import Element, Scene

SUPERSAMPLE = 2
MAX_SIDE = 16000  # pixels; a bigger PNG is almost certainly a typo and would exhaust memory

_INHERITED = ("fill", "stroke", "stroke-width", "stroke-dasharray", "font-size", "font-weight", "text-anchor")
_NAMED = {"none": None, "white": "#ffffff", "black": "#000000", "transparent": None}
_PATH_TOKEN = re.compile(r"[MLCZmlcz]|-?\d+(?:\.\d+)?(?:e-?\d+)?")


def check_size(width: int | None, height: int | None) -> None:
    """Raise ValidationError unless each given side is a whole number of pixels in 16..16000."""
    for name, value in (("width", width), ("height", height)):
        if value is None:
            continue
        if int(value) != value or not 16 <= value <= MAX_SIDE:
            raise ValidationError(f"{name} {value} is not a size in pixels from 16 to {MAX_SIDE}; pick another {name}")


def to_png(scene: Scene, width: int | None = None, height: int | None = None) -> bytes:
    """Return PNG bytes of ``scene`` at exactly ``width`` x ``height`` pixels.

    A missing side follows the scene's aspect ratio; with neither, the scene's
    own size. The drawing is scaled uniformly to fit and centred on the
    background. Raises ValidationError for a size outside 16..16000 pixels.
    """
    check_size(width, height)
    if width is None and height is None:
        width, height = round(scene.width), round(scene.height)
    elif width is None:
        width = max(16, round(scene.width * height / scene.height))
    elif height is None:
        height = max(16, round(scene.height * width / scene.width))
    check_size(width, height)
    scale = min(width / scene.width, height / scene.height) * SUPERSAMPLE
    off_x = (width * SUPERSAMPLE - scene.width * scale) / 2
    off_y = (height * SUPERSAMPLE - scene.height * scale) / 2
    image = Image.new("RGB", (width * SUPERSAMPLE, height * SUPERSAMPLE), _rgb(scene.background) or (255, 255, 255))
    painter = _Painter(image, scale, off_x, off_y)
    painter.draw(scene.root, {"fill": "#000000", "stroke": "none", "stroke-width": 1, "font-size": 12}, 1.0)
    image = image.resize((width, height), Image.LANCZOS)
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=False)
    return buf.getvalue()


def _rgb(color: Any) -> tuple[int, int, int] | None:
    if color is None:
        return None
    text = str(color).strip().lower()
    if text in _NAMED:
        text = _NAMED[text]
        if text is None:
            return None
    if text.startswith("#") and len(text) == 4:
        text = "#" + "".join(c * 2 for c in text[1:])
    if not (text.startswith("#") and len(text) == 7):
        return (0, 0, 0)
    return tuple(int(text[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


@functools.lru_cache(maxsize=64)
def font(size: int, bold: bool) -> ImageFont.FreeTypeFont:
    """Return the map font at ``size`` px: DejaVu Sans (bold if asked) when installed, else Pillow's own.

    Cached; ``font.cache_clear()`` makes the next call look the fonts up again.
    """
    names = ("DejaVuSans-Bold.ttf", "DejaVuSans.ttf") if bold else ("DejaVuSans.ttf",)
    for name in names:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size)


class _Painter:
    def __init__(self, image: Image.Image, scale: float, off_x: float, off_y: float):
        self.image = image
        self.d = ImageDraw.Draw(image, "RGBA")
        self.k = scale
        self.ox = off_x
        self.oy = off_y

    def xy(self, x: Any, y: Any) -> tuple[float, float]:
        return (float(x) * self.k + self.ox, float(y) * self.k + self.oy)

    def draw(self, el: Element, style: dict[str, Any], opacity: float) -> None:
        style = dict(style)
        for key in _INHERITED:
            if key in el.attrs:
                style[key] = el.attrs[key]
        opacity *= float(el.attrs.get("opacity", 1))
        if el.tag != "g":
            getattr(self, "_" + el.tag, lambda *_: None)(el, style, opacity)
        for child in el.children:
            self.draw(child, style, opacity)

    # colours and widths ---------------------------------------------------
    def _paint(self, el: Element, style: dict, opacity: float, key: str) -> tuple[int, int, int, int] | None:
        rgb = _rgb(style.get(key))
        if rgb is None:
            return None
        alpha = opacity * float(el.attrs.get(f"{key}-opacity", 1))
        return (*rgb, max(0, min(255, round(alpha * 255))))

    def _width(self, style: dict) -> int:
        return max(1, round(float(style.get("stroke-width", 1)) * self.k))

    def _outline(self, pts: list[tuple[float, float]], el: Element, style: dict, opacity: float, closed: bool) -> None:
        color = self._paint(el, style, opacity, "stroke")
        if color is None or len(pts) < 2:
            return
        if closed:
            pts = pts + [pts[0]]
        width = self._width(style)
        dash = str(style.get("stroke-dasharray") or "").replace(",", " ").split()
        if not dash or dash == ["none"]:
            segments = [pts]
        else:
            pattern = [max(float(v) * self.k, 1.0) for v in dash]
            if len(pattern) % 2:
                pattern *= 2
            segments = [[a, b] for a, b in _dashes(pts, pattern)]
        if color[3] == 255:
            for seg in segments:
                self.d.line(seg, fill=color, width=width, joint="curve")
            return
        # A translucent line is drawn once into a mask, so its overlapping joints do not darken.
        xs = [x for seg in segments for x, _ in seg]
        ys = [y for seg in segments for _, y in seg]
        if not xs:
            return
        x0 = max(int(min(xs)) - width - 1, 0)
        y0 = max(int(min(ys)) - width - 1, 0)
        x1 = min(int(max(xs)) + width + 2, self.image.width)
        y1 = min(int(max(ys)) + width + 2, self.image.height)
        if x1 <= x0 or y1 <= y0:
            return
        mask = Image.new("L", (x1 - x0, y1 - y0), 0)
        md = ImageDraw.Draw(mask)
        for seg in segments:
            md.line([(x - x0, y - y0) for x, y in seg], fill=color[3], width=width, joint="curve")
        self.image.paste(Image.new("RGB", mask.size, color[:3]), (x0, y0), mask)

    # elements ------------------------------------------------------------
    def _rect(self, el: Element, style: dict, opacity: float) -> None:
        a = el.attrs
        x0, y0 = self.xy(a.get("x", 0), a.get("y", 0))
        x1, y1 = x0 + float(a.get("width", 0)) * self.k, y0 + float(a.get("height", 0)) * self.k
        if x1 <= x0 or y1 <= y0:
            return
        fill = self._paint(el, style, opacity, "fill")
        outline = self._paint(el, style, opacity, "stroke")
        radius = float(a.get("rx", 0)) * self.k
        width = self._width(style) if outline else 0
        if radius > 0:
            self.d.rounded_rectangle((x0, y0, x1, y1), radius=radius, fill=fill, outline=outline, width=width)
        else:
            self.d.rectangle((x0, y0, x1, y1), fill=fill, outline=outline, width=width)

    def _circle(self, el: Element, style: dict, opacity: float) -> None:
        a = el.attrs
        cx, cy = self.xy(a.get("cx", 0), a.get("cy", 0))
        r = float(a.get("r", 0)) * self.k
        fill = self._paint(el, style, opacity, "fill")
        outline = self._paint(el, style, opacity, "stroke")
        self.d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=fill, outline=outline, width=self._width(style) if outline else 0)

    def _line(self, el: Element, style: dict, opacity: float) -> None:
        a = el.attrs
        pts = [self.xy(a.get("x1", 0), a.get("y1", 0)), self.xy(a.get("x2", 0), a.get("y2", 0))]
        self._outline(pts, el, style, opacity, closed=False)

    def _points(self, el: Element) -> list[tuple[float, float]]:
        values = [float(v) for v in re.split(r"[\s,]+", str(el.attrs.get("points", "")).strip()) if v]
        return [self.xy(values[i], values[i + 1]) for i in range(0, len(values) - 1, 2)]

    def _polyline(self, el: Element, style: dict, opacity: float) -> None:
        self._outline(self._points(el), el, style, opacity, closed=False)

    def _polygon(self, el: Element, style: dict, opacity: float) -> None:
        pts = self._points(el)
        if len(pts) < 3:
            return
        fill = self._paint(el, style, opacity, "fill")
        if fill is not None:
            self.d.polygon(pts, fill=fill)
        self._outline(pts, el, style, opacity, closed=True)

    def _path(self, el: Element, style: dict, opacity: float) -> None:
        pts, closed = _flatten_path(str(el.attrs.get("d", "")))
        pts = [self.xy(x, y) for x, y in pts]
        fill = self._paint(el, style, opacity, "fill")
        if closed and fill is not None and len(pts) >= 3:
            self.d.polygon(pts, fill=fill)
        self._outline(pts, el, style, opacity, closed=closed)

    def _text(self, el: Element, style: dict, opacity: float) -> None:
        if not el.text:
            return
        color = self._paint(el, style, opacity, "fill")
        if color is None:
            return
        size = max(1, round(float(style.get("font-size", 12)) * self.k))
        bold = str(style.get("font-weight", "")) in ("bold", "700", "800", "900")
        anchor = {"middle": "ms", "end": "rs"}.get(str(style.get("text-anchor", "start")), "ls")
        self.d.text(self.xy(el.attrs.get("x", 0), el.attrs.get("y", 0)), el.text, fill=color, font=font(size, bold), anchor=anchor)


def _flatten_path(d: str) -> tuple[list[tuple[float, float]], bool]:
    """Return the points of an absolute M/L/C/Z path (curves sampled) and whether it is closed."""
    tokens = _PATH_TOKEN.findall(d)
    pts: list[tuple[float, float]] = []
    closed = False
    i, cmd = 0, "M"
    while i < len(tokens):
        if tokens[i].isalpha():
            cmd = tokens[i].upper()
            i += 1
            if cmd == "Z":
                closed = True
            continue
        if cmd in ("M", "L"):
            pts.append((float(tokens[i]), float(tokens[i + 1])))
            i += 2
        elif cmd == "C":
            c = [float(t) for t in tokens[i : i + 6]]
            p0 = pts[-1] if pts else (c[0], c[1])
            for step in range(1, 25):
                t = step / 24
                u = 1 - t
                pts.append(
                    (
                        u**3 * p0[0] + 3 * u * u * t * c[0] + 3 * u * t * t * c[2] + t**3 * c[4],
                        u**3 * p0[1] + 3 * u * u * t * c[1] + 3 * u * t * t * c[3] + t**3 * c[5],
                    )
                )
            i += 6
        else:
            i += 1
    return pts, closed


def _dashes(pts: list[tuple[float, float]], pattern: list[float]):
    """Yield the (start, end) segments of a dashed polyline."""
    idx, left, on = 0, pattern[0], True
    for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
        seg = math.hypot(x1 - x0, y1 - y0)
        pos = 0.0
        while pos < seg:
            step = min(left, seg - pos)
            if on and seg > 0:
                a, b = pos / seg, (pos + step) / seg
                yield (x0 + (x1 - x0) * a, y0 + (y1 - y0) * a), (x0 + (x1 - x0) * b, y0 + (y1 - y0) * b)
            pos += step
            left -= step
            if left <= 1e-9:
                idx = (idx + 1) % len(pattern)
                left, on = pattern[idx], not on
