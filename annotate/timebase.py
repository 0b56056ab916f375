"""Exact time: fractions, timecodes, milliseconds and frame lookup. No I/O.

Event times are stored in whole milliseconds measured from the first video
frame. A frame's presentation time is rarely a whole millisecond
(frame 1 of 29.97 fps video is at 1001/30000 s = 33.3667 ms), so a frame time is
turned into milliseconds by rounding *up*: the stored time is then >= the frame's
time and, for any frame longer than 1 ms, < the next frame's time, so "the frame
shown at start_s" is exactly the frame that was marked.
"""

from __future__ import annotations

import bisect
import math
import re
from fractions import Fraction
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    import numpy as np

from .errors import ValidationError

Number = int | float | Fraction


def to_fraction(value: Number | str) -> Fraction:
    """Return ``value`` as a Fraction; strings may be ``"30000/1001"``, ``"29.97"`` or ``"30"``.

    Raises ValidationError for text that is not a number or fraction.
    """
    if isinstance(value, Fraction):
        return value
    if isinstance(value, float):
        return Fraction(value).limit_denominator(1_000_000)
    if isinstance(value, int):
        return Fraction(value)
    text = str(value).strip()
    try:
        return Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise ValidationError(f"'{value}' is not a number or fraction such as 30000/1001") from None


def fraction_str(value: Fraction | None) -> str | None:
    """Return ``"30000/1001"`` for 30000/1001 and ``"30"`` for 30 (None stays None)."""
    if value is None:
        return None
    return str(Fraction(value))


def time_to_ms(t: Number) -> int:
    """Return the whole milliseconds at or after time ``t`` (seconds), see the module note."""
    f = t if isinstance(t, Fraction) else Fraction(t).limit_denominator(10**9)
    return math.ceil(f * 1000)


def seconds_from_ms(ms: int) -> float:
    """Return milliseconds as float seconds with exactly three decimals of meaning."""
    return round(ms / 1000.0, 3)


def nearest_ms(seconds: Number) -> int:
    """Return ``seconds`` as the nearest whole milliseconds (half to even, as ``round``): a stored time's ms."""
    return int(round(seconds * 1000))


def nearest_ms_array(seconds: np.ndarray) -> np.ndarray:
    """Return a numpy float array of seconds as int64 nearest milliseconds, as :func:`nearest_ms` gives each."""
    return (seconds * 1000.0).round().astype("int64")


def round_seconds(t: Number) -> float:
    """Return ``t`` rounded to the nearest millisecond, as float seconds."""
    return round(float(t) + 0.0, 3)


def format_timecode(t: Number) -> str:
    """Return ``HH:MM:SS.mmm`` for ``t`` seconds (t >= 0), rounded to the nearest millisecond."""
    ms = int(round(float(t) * 1000))
    if ms < 0:
        raise ValidationError(f"time {t} is negative; times count from the first frame at 0")
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


_TC = re.compile(r"^\s*(?:(?:(\d+):)?(\d{1,2}):)?(\d+(?:[.,]\d+)?)\s*$")


def parse_time(text: str | Number) -> float:
    """Return seconds from ``"12.5"``, ``"01:02.5"``, ``"00:01:02.500"`` or a number.

    Raises ValidationError for anything else or a negative time.
    """
    if isinstance(text, (int, float, Fraction)):
        value = float(text)
    else:
        match = _TC.match(str(text))
        if not match:
            raise ValidationError(
                f"'{text}' is not a time; write seconds (62.5) or a timecode (00:01:02.500)"
            )
        h, m, s = match.groups()
        value = int(h or 0) * 3600 + int(m or 0) * 60 + float(s.replace(",", "."))
    if math.isnan(value) or math.isinf(value):
        raise ValidationError(f"'{text}' is not a finite time")
    if value < 0:
        raise ValidationError(f"time {text} is negative; times count from the first frame at 0")
    return round_seconds(value)


def frame_index(t: Number, frame_times: Sequence[Number] | None = None, fps: Fraction | None = None) -> int:
    """Return the index of the frame shown at ``t``: the last frame whose time is <= t.

    With ``frame_times`` (sorted, first = 0) the lookup is exact for any frame
    rate; with only ``fps`` it assumes constant frame rate. Times before the
    first frame give 0.
    """
    if frame_times is not None and len(frame_times) > 0:
        i = bisect.bisect_right(frame_times, t) - 1
        return max(i, 0)
    if fps is None or fps <= 0:
        raise ValidationError("a frame number needs the frame times or the frame rate")
    f = t if isinstance(t, Fraction) else Fraction(t).limit_denominator(10**9)
    return max(math.floor(f * Fraction(fps)), 0)
