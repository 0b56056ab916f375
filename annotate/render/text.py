"""Text to RGBA patches with Pillow, Unicode included.

OpenCV's ``putText`` only knows ASCII (a label such as "Übergabe" or "Заказ"
would come out as ``???``), so text is drawn with Pillow's FreeType fonts. The
fonts are looked up once, in this order, and each character is drawn with the
first font that has it:

1. ``$ANNOTATE_FONT`` (a .ttf/.otf/.ttc file), then ``$ANNOTATE_FALLBACK_FONTS`` (paths separated by ``os.pathsep``);
2. DejaVu Sans Bold shipped inside matplotlib's wheel, when matplotlib is installed;
3. common system fonts (DejaVu, Noto, Liberation, Arial, Segoe UI) and CJK fonts when present;
4. Source Sans 3 shipped inside streamlit's wheel (a dependency of this project, so always there:
   Latin, Greek, Cyrillic, Vietnamese);
5. Pillow's own default font (ASCII only).

A character no font has is drawn with the first font's "missing glyph" box.
"""

from __future__ import annotations

import functools
import glob
import importlib.util
import os
from pathlib import Path
from typing import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

_SYSTEM_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf",
    "/usr/share/fonts/noto/NotoSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    "/usr/share/fonts/liberation/LiberationSans-Bold.ttf",
    "/System/Library/Fonts/Supplemental/Arial Bold.ttf",
    "/Library/Fonts/Arial Bold.ttf",
    "C:/Windows/Fonts/arialbd.ttf",
    "C:/Windows/Fonts/segoeuib.ttf",
)
_WIDE_FONTS = (  # scripts the fonts above lack: CJK, Arabic, Hebrew, Devanagari, ...
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/unifont/unifont.ttf",
    "/System/Library/Fonts/PingFang.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
    "/System/Library/Fonts/Supplemental/Arial Unicode.ttf",
    "C:/Windows/Fonts/msyhbd.ttc",
    "C:/Windows/Fonts/YuGothB.ttc",
    "C:/Windows/Fonts/malgunbd.ttf",
    "C:/Windows/Fonts/seguisym.ttf",
)


def _package_dir(name: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


@functools.lru_cache(maxsize=1)
def font_sources() -> tuple[str, ...]:
    """Return the font files used for text, best first (see the module note); may be empty."""
    found: list[str] = []
    env = [os.environ.get("ANNOTATE_FONT", "")] + os.environ.get("ANNOTATE_FALLBACK_FONTS", "").split(os.pathsep)
    found += [p for p in env if p]
    mpl = _package_dir("matplotlib")
    if mpl is not None:
        found.append(str(mpl / "mpl-data" / "fonts" / "ttf" / "DejaVuSans-Bold.ttf"))
    found += _SYSTEM_FONTS
    found += _WIDE_FONTS
    st = _package_dir("streamlit")
    if st is not None:
        found += sorted(glob.glob(str(st / "static" / "static" / "media" / "SourceSansVF-Upright*")))
    out, seen = [], set()
    for path in found:
        if path in seen or not os.path.isfile(path):
            continue
        seen.add(path)
        out.append(path)
    return tuple(out)


@functools.lru_cache(maxsize=64)
def _fonts(size: int) -> tuple[Font, ...]:
    fonts = []
    for path in font_sources():
        try:
            font = ImageFont.truetype(path, size)
        except OSError:
            continue
        try:  # a variable font (streamlit's Source Sans): use its bold instance
            font.set_variation_by_name("Bold")
        except (OSError, ValueError, AttributeError):
            pass
        fonts.append(font)
    try:
        fonts.append(ImageFont.load_default(size=size))
    except (TypeError, OSError):
        fonts.append(ImageFont.load_default())
    return tuple(fonts)


def _glyph_bitmap(font: Font, ch: str) -> tuple[tuple[int, int, int, int], bytes]:
    box = font.getbbox(ch)
    w, h = max(box[2] - box[0], 1), max(box[3] - box[1], 1)
    img = Image.new("L", (w, h))
    ImageDraw.Draw(img).text((-box[0], -box[1]), ch, font=font, fill=255)
    return box, img.tobytes()


@functools.lru_cache(maxsize=4096)
def _has_glyph(font: Font, ch: str) -> bool:
    """Return True if ``font`` draws ``ch`` as something other than its missing-glyph box."""
    if ch.isspace() or not ch.isprintable():
        return True
    return _glyph_bitmap(font, ch) != _glyph_bitmap(font, "\U0010fffd")


def _runs(text: str, fonts: Sequence[Font]) -> list[tuple[str, Font]]:
    """Split ``text`` into runs, each drawn with the first font that has all its characters."""
    runs: list[tuple[str, Font]] = []
    for ch in text:
        font = next((f for f in fonts if _has_glyph(f, ch)), fonts[0])
        if runs and runs[-1][1] is font:
            runs[-1] = (runs[-1][0] + ch, font)
        else:
            runs.append((ch, font))
    return runs


def text_width(text: str, size: int) -> int:
    """Return the advance width in pixels of ``text`` at font size ``size``."""
    fonts = _fonts(size)
    return int(round(sum(font.getlength(run) for run, font in _runs(text, fonts))))


def fit_text(text: str, size: int, max_width: int) -> str:
    """Return ``text``, shortened with an ellipsis if needed so it is at most ``max_width`` pixels wide."""
    if text_width(text, size) <= max_width:
        return text
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if text_width(text[:mid].rstrip() + "…", size) <= max_width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + "…" if lo else "…"


def render_text(text: str, size: int, color: tuple[int, int, int] = (255, 255, 255)) -> np.ndarray:
    """Return ``text`` drawn at font size ``size`` as an ``(h, w, 4)`` RGBA uint8 array (transparent ground).

    The height is the line height of the font (ascent + descent), so texts of one
    size line up; the width is the text's advance width.
    """
    fonts = _fonts(size)
    runs = _runs(text, fonts)
    ascent = max(f.getmetrics()[0] for f in fonts[:1] + tuple(f for _, f in runs))
    descent = max(f.getmetrics()[1] for f in fonts[:1] + tuple(f for _, f in runs))
    width = max(sum(int(np.ceil(font.getlength(run))) for run, font in runs), 1)
    mask = Image.new("L", (width + 2, ascent + descent))
    draw = ImageDraw.Draw(mask)
    x = 1
    for run, font in runs:
        draw.text((x, ascent), run, font=font, fill=255, anchor="ls")
        x += font.getlength(run)
    alpha = np.asarray(mask, dtype=np.uint8)
    out = np.zeros(alpha.shape + (4,), np.uint8)
    out[..., :3] = color
    out[..., 3] = alpha
    return out


def _longest_prefix(word: str, size: int, max_width: int) -> str:
    """Return the longest start of ``word`` (at least one character) at most ``max_width`` pixels wide."""
    lo, hi = 1, len(word)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if text_width(word[:mid], size) <= max_width:
            lo = mid
        else:
            hi = mid - 1
    return word[:lo]


def wrap_text(text: str, size: int, max_width: int, max_lines: int | None = None) -> list[str]:
    """Return ``text`` broken into lines at most ``max_width`` pixels wide at font size ``size``.

    Lines break between words (runs of whitespace count as one space); a word wider than a line is broken
    inside. With ``max_lines``, text beyond the last allowed line is cut and that line ends with an ellipsis.
    Blank text gives no lines.
    """
    words = text.split()
    lines: list[str] = []
    current = ""
    i = 0
    while i < len(words):
        trial = f"{current} {words[i]}" if current else words[i]
        if text_width(trial, size) <= max_width:
            current, i = trial, i + 1
        elif current:
            lines.append(current)
            current = ""
        else:  # one word wider than the line: break it
            head = _longest_prefix(words[i], size, max_width)
            lines.append(head)
            words[i] = words[i][len(head) :]
    if current:
        lines.append(current)
    if max_lines is not None and len(lines) > max_lines:
        keep = max(int(max_lines), 1)
        last = fit_text(" ".join(lines[keep - 1 :]), size, max_width)
        if not last.endswith("…"):
            last = fit_text(last + "…", size, max_width)
        lines = lines[: keep - 1] + [last]
    return lines
