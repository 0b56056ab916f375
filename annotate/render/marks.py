"""Marks: what the drawing layer needs of an event, and when a frame shows it.

A frame is shown from its presentation time ``t`` until the next frame's time
``next_t``. An event's *first frame* is the frame shown at ``start_s``: the one
with ``t <= start_s < next_t``. Every rule below is stated in those terms, so
drawing a frame depends only on (t, next_t) and is the same in any order.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Iterable

from ..model import Event, Kind, parse_kind


@dataclass(frozen=True)
class Mark:
    """An event as drawn: kind, times in seconds from the first frame, label."""

    start_s: float
    kind: Kind
    end_s: float | None = None
    label: str = ""

    @classmethod
    def from_event(cls, event: Event) -> "Mark":
        """Return the mark of ``event`` (kind parsed, label stripped)."""
        end = None if event.end_s is None else float(event.end_s)
        return cls(float(event.start_s), parse_kind(event.kind), end, (event.label or "").strip())


def as_marks(items: Iterable[Event | Mark]) -> list[Mark]:
    """Return the events/marks as marks sorted by start time."""
    return sorted((m if isinstance(m, Mark) else Mark.from_event(m) for m in items), key=_order)


def _order(m: Mark) -> tuple:
    return (m.start_s, m.kind.value, -1.0 if m.end_s is None else m.end_s, m.label)


def reached(start_s: float, t: float, next_t: float | None) -> bool:
    """Return True if a frame at ``t`` (shown until ``next_t``) is at or after the frame shown at ``start_s``.

    Without ``next_t`` the frame is taken to be shown only at ``t``.
    """
    if next_t is None:
        return t >= start_s
    return next_t > start_s


def fade(start_s: float, t: float, seconds: float) -> float:
    """Return the opacity 1 -> 0 of something that starts at ``start_s`` and fades linearly over ``seconds``.

    1.0 on the first frame (whose time is <= start_s), then 1 - (t - start_s) / seconds, never below 0.
    """
    if t <= start_s:
        return 1.0
    if seconds <= 0:
        return 0.0
    value = 1.0 - (t - start_s) / seconds
    return value if value > 1e-9 else 0.0  # float noise at the very end counts as gone


class MarkIndex:
    """Marks sorted by start, answering "which marks could be visible on this frame" quickly."""

    def __init__(self, marks: Iterable[Event | Mark], window_s: float):
        self.marks: list[Mark] = as_marks(marks)
        self._starts = [m.start_s for m in self.marks]
        self._spans = [m for m in self.marks if m.end_s is not None]
        self.window_s = window_s

    def near(self, t: float, next_t: float | None) -> list[Mark]:
        """Return the marks reached by this frame that started less than ``window_s`` before it,
        plus the duration marks whose span covers it, in start order."""
        until = t if next_t is None else next_t
        hi = bisect.bisect_right(self._starts, until)
        lo = bisect.bisect_left(self._starts, t - self.window_s)
        found = [m for m in self.marks[lo:hi] if reached(m.start_s, t, next_t)]
        spans = [m for m in self._spans if m.end_s >= t and reached(m.start_s, t, next_t) and m not in found]
        return sorted(found + spans, key=_order) if spans else found
