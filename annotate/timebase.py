"""Exact time: fractions, timecodes, milliseconds, frame lookup and frame snapping. No I/O.

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
from typing import TYPE_CHECKING, Any, Sequence

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


def floor_ms(seconds: float) -> int:
    """Return ``seconds`` as whole milliseconds, the fraction cut off (``int(seconds * 1000)``)."""
    return int(seconds * 1000)


# --- whole columns of times (numpy arrays) and the parts of a clock time -----------------------

MS_EXACT_S = 2.0**52 / 1000  # seconds below which a float's nearest whole ms is exact


def seconds_from_ms_array(ms: np.ndarray) -> np.ndarray:
    """Return whole ms (an int array) as float seconds, the doubles :func:`seconds_from_ms` gives each.

    ``ms / 1000`` of a whole ms is already the double nearest three decimals, which the rounding keeps.
    """
    return ms / 1000.0


def frames_at_ms(ms: Any, fps: Fraction) -> Any:
    """Return the frame shown at each time ``ms`` (an int or an int array) at constant ``fps``: floor(ms * fps / 1000).

    Computed in integers, so a frame boundary is exact.
    """
    return ms * fps.numerator // (fps.denominator * 1000)


def seconds_and_ms(ms: Any) -> tuple[Any, Any]:
    """Return (whole seconds, ms past them) of milliseconds ``ms`` (an int or an int array)."""
    return divmod(ms, 1000)


def clock_parts(ms: Any) -> tuple[Any, Any, Any, Any]:
    """Return (hours, minutes, seconds, ms) of milliseconds ``ms`` (an int or an int array), as a clock shows them."""
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, rem = divmod(rem, 1000)
    return h, m, s, rem


def clock_ms(h: Any, m: Any, s: Any, ms: Any) -> Any:
    """Return the milliseconds of the clock time h:m:s.ms (ints or int arrays): :func:`clock_parts` backwards."""
    return ((h * 60 + m) * 60 + s) * 1000 + ms


def ms_and_micros(micros: Any) -> tuple[Any, Any]:
    """Return (whole ms, microseconds past them) of microseconds ``micros`` (an int or an int array)."""
    return divmod(micros, 1000)


def whole_ms_micros(micros: int) -> int:
    """Return microseconds ``micros`` (e.g. a datetime's) cut to whole milliseconds."""
    return micros - micros % 1000


def round_seconds(t: Number) -> float:
    """Return ``t`` rounded to the nearest millisecond, as float seconds."""
    return round(float(t) + 0.0, 3)


def format_timecode(t: Number) -> str:
    """Return ``HH:MM:SS.mmm`` for ``t`` seconds (t >= 0), rounded to the nearest millisecond."""
    ms = int(round(float(t) * 1000))
    if ms < 0:
        raise ValidationError(f"time {t} is negative; times count from the first frame at 0")
    h, m, s, ms = clock_parts(ms)
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


# --- snapping a time to a frame ------------------------------------------------


def nearest_frame(t: float, frame_times: Sequence[Number]) -> int:
    """Return the index of the frame time nearest to ``t`` (frame_times sorted, first = 0).

    Raises ValidationError when there are no frame times.
    """
    if not frame_times:
        raise ValidationError("the recording has no frame times; probe it again")
    i = bisect.bisect_left(frame_times, t)
    if i <= 0:
        return 0
    if i >= len(frame_times):
        return len(frame_times) - 1
    return i if (frame_times[i] - t) < (t - frame_times[i - 1]) else i - 1


def frame_time_to_start_s(frame_time: Number) -> float:
    """Return the stored start_s of the frame at ``frame_time``: whole ms at or after it."""
    return seconds_from_ms(time_to_ms(Fraction(frame_time) if not isinstance(frame_time, Fraction) else frame_time))


def browser_time_to_start_s(
    media_time: float,
    start_offset_s: float,
    frame_times: Sequence[Number] | None = None,
    duration_s: float | None = None,
) -> float:
    """Return the start_s of the frame a browser reports at ``media_time`` on the played file.

    ``start_offset_s`` is the played file's first-frame time (0 for a proxy that
    starts at 0). With ``frame_times`` the time is snapped to the nearest real
    frame (the browser reports microseconds, a frame time is rarely whole); the
    result is rounded up to whole ms so that the frame shown at start_s is the
    frame that was on screen. Raises ValidationError for a time that is not a
    finite number.
    """
    try:
        t = float(media_time) - float(start_offset_s)
    except (TypeError, ValueError):
        raise ValidationError(f"the player sent the time {media_time!r}, which is not a number; reload the page") from None
    if t != t or t in (float("inf"), float("-inf")):
        raise ValidationError("the player sent a time that is not finite; reload the page")
    t = max(t, 0.0)
    if frame_times:
        start = frame_time_to_start_s(frame_times[nearest_frame(t, frame_times)])
    else:
        start = seconds_from_ms(time_to_ms(Fraction(t).limit_denominator(1_000_000)))
    if duration_s is not None:
        start = min(start, round(float(duration_s), 3))
    return start


def step_frame(t: float, steps: int, frame_times: Sequence[Number]) -> tuple[int, Number]:
    """Return ``(index, time)`` of the frame ``steps`` frames after the one shown at ``t``.

    The frame shown at ``t`` is the last one whose time is <= t; the result is
    clamped to the first and last frame. Works on variable frame rate because
    it walks the real frame times. Raises ValidationError when there are no
    frame times.
    """
    if not frame_times:
        raise ValidationError("the recording has no frame times; probe it again")
    shown = max(bisect.bisect_right(frame_times, t + 1e-9) - 1, 0)
    index = min(max(shown + int(steps), 0), len(frame_times) - 1)
    return index, frame_times[index]
