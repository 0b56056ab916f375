"""Colours: hex parsing, the kinds' palette, and BT.709 Y'CbCr values for drawing on video planes.

Video is encoded as limited-range BT.709 Y'CbCr (Y' 16..235, Cb/Cr 16..240) and
tagged as such, so a colour drawn on the planes with these values shows as the
same sRGB colour in a browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..errors import ValidationError
from ..model import Kind

# BT.709 luma coefficients
KR, KB = 0.2126, 0.0722
KG = 1.0 - KR - KB


@dataclass(frozen=True)
class Color:
    """An sRGB colour with 8-bit channels."""

    r: int
    g: int
    b: int

    @classmethod
    def from_hex(cls, text: str) -> "Color":
        """Return the colour written as ``#RRGGBB`` (or ``RRGGBB``); raises ValidationError otherwise."""
        value = str(text).strip().lstrip("#")
        if len(value) != 6:
            raise ValidationError(f"colour '{text}' is not #RRGGBB; write it like #D62728")
        try:
            r, g, b = (int(value[i : i + 2], 16) for i in (0, 2, 4))
        except ValueError:
            raise ValidationError(f"colour '{text}' is not #RRGGBB; write it like #D62728") from None
        return cls(r, g, b)

    @classmethod
    def for_kind(cls, kind: Kind | str) -> "Color":
        """Return the palette colour of ``kind`` (MOT red, INT blue, DEC green)."""
        return KIND_COLORS[Kind(kind)]

    @property
    def rgb(self) -> tuple[int, int, int]:
        return (self.r, self.g, self.b)

    @property
    def bgr(self) -> tuple[int, int, int]:
        """Return (b, g, r), the channel order of OpenCV images."""
        return (self.b, self.g, self.r)

    @property
    def hex(self) -> str:
        return f"#{self.r:02X}{self.g:02X}{self.b:02X}"

    @cached_property
    def yuv709(self) -> tuple[int, int, int]:
        """Return the limited-range BT.709 (Y', Cb, Cr) of this colour, each 0..255."""
        y, u, v = rgb_to_yuv709(np.array([[self.rgb]], dtype=np.float32))[0, 0]
        return (int(round(float(y))), int(round(float(u))), int(round(float(v))))


BLACK = Color(0, 0, 0)
WHITE = Color(255, 255, 255)
KIND_COLORS: dict[Kind, Color] = {kind: Color.from_hex(kind.color) for kind in Kind}


def rgb_to_yuv709(rgb: np.ndarray) -> np.ndarray:
    """Return limited-range BT.709 Y'CbCr (float32, same shape) for an ``(..., 3)`` RGB array of 0..255."""
    rgb = np.asarray(rgb, dtype=np.float32) / 255.0
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    y = KR * r + KG * g + KB * b
    cb = (b - y) / (2.0 * (1.0 - KB))
    cr = (r - y) / (2.0 * (1.0 - KR))
    return np.stack([16.0 + 219.0 * y, 128.0 + 224.0 * cb, 128.0 + 224.0 * cr], axis=-1)


def yuv709_to_rgb(yuv: np.ndarray) -> np.ndarray:
    """Return RGB 0..255 (float32, same shape) for an ``(..., 3)`` array of limited-range BT.709 Y'CbCr."""
    yuv = np.asarray(yuv, dtype=np.float32)
    y = (yuv[..., 0] - 16.0) / 219.0
    cb = (yuv[..., 1] - 128.0) / 224.0
    cr = (yuv[..., 2] - 128.0) / 224.0
    r = y + 2.0 * (1.0 - KR) * cr
    b = y + 2.0 * (1.0 - KB) * cb
    g = (y - KR * r - KB * b) / KG
    return np.clip(np.stack([r, g, b], axis=-1) * 255.0, 0.0, 255.0)
