"""Journey facts shared by the maps and the metrics: step order, waits, stage spans, lanes.

Definitions (also in docs/metrics.md):

- **steps**: a recording's events sorted by ``start_s`` (ties keep the given order); step 1 is the earliest.
- **wait** after step *i*: ``start_s[i+1] - end[i]`` floored at 0, where ``end`` is ``end_s`` for a
  duration event and ``start_s`` for a point event. It is the idle time between consecutive steps.
- **stage span**: a stage runs from its first event to the first event of the stage that starts next
  in time; the last stage runs to the end of the timeline.
- **end of timeline**: the recording's duration, or the last event's end if that is later (or the
  duration is unknown).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from ..model import CUSTOMER_FACING_ACTORS, Codebook, Event, fold_name
from ..timebase import format_timecode

NO_ACTOR = "(no actor)"
NO_STAGE = "(no stage)"


def steps(events: Iterable[Event]) -> list[Event]:
    """Return the events in step order: by ``start_s``, ties in the given order."""
    return sorted(events, key=lambda e: e.start_s)


def event_end(event: Event) -> float:
    """Return the time an event ends: ``end_s``, or ``start_s`` for a point event."""
    return event.start_s if event.end_s is None else max(event.end_s, event.start_s)


def waits(ordered: Sequence[Event]) -> list[float]:
    """Return the wait after each step but the last (len = n - 1), in seconds rounded to ms."""
    return [round(max(0.0, b.start_s - event_end(a)), 3) for a, b in zip(ordered, ordered[1:])]


def timeline_end(duration_s: float | None, events: Iterable[Event]) -> float:
    """Return the end of the timeline: max(duration, last event end); 0 when both are missing."""
    ends = [event_end(e) for e in events]
    return round(max([float(duration_s or 0.0), *ends]), 3)


def stage_order(codebook: Codebook, events: Iterable[Event] = ()) -> list[str]:
    """Return the codebook's stages, then any other stage the events use (first-seen order)."""
    out = list(codebook.stages)
    for e in events:
        s = codebook.stage_of(e)
        if s and s not in out:
            out.append(s)
    return out


@dataclass(frozen=True)
class Lane:
    """A swimlane: the actor's name and whether the customer sees what happens in it."""

    actor: str
    customer_facing: bool


def lanes(codebook: Codebook, events: Iterable[Event] = ()) -> list[Lane]:
    """Return the lanes: codebook actors in order, other actors the events use, then '(no actor)' if needed."""
    names = list(codebook.actors)
    blank = False
    events = list(events)
    for e in events:
        a = codebook.actor_of(e)
        if not a:
            blank = True
        elif a not in names:
            names.append(a)
    if blank:
        names.append(NO_ACTOR)
    facing = {fold_name(a) for a in CUSTOMER_FACING_ACTORS}
    return [Lane(n, fold_name(n) in facing) for n in names]


@dataclass(frozen=True)
class StageSpan:
    """A stage's stretch of one recording's timeline."""

    stage: str
    start_s: float
    end_s: float

    @property
    def duration_s(self) -> float:
        return round(self.end_s - self.start_s, 3)


def stage_spans(events: Iterable[Event], codebook: Codebook, end_s: float) -> list[StageSpan]:
    """Return the stage spans in time order (see module note); stages without events have none.

    Ties in first-event time are broken by codebook order.
    """
    events = list(events)
    order = stage_order(codebook, events)
    first: dict[str, float] = {}
    for e in events:
        s = codebook.stage_of(e)
        if s and (s not in first or e.start_s < first[s]):
            first[s] = e.start_s
    starts = sorted(first.items(), key=lambda kv: (kv[1], order.index(kv[0])))
    spans = []
    for i, (stage, start) in enumerate(starts):
        stop = starts[i + 1][1] if i + 1 < len(starts) else max(end_s, start)
        spans.append(StageSpan(stage, start, stop))
    return spans


def clock(seconds: float, ms: bool = False) -> str:
    """Return ``m:ss`` (or ``h:mm:ss``) for a time; with ``ms`` add ``.mmm``."""
    hms, frac = format_timecode(max(seconds, 0.0)).split(".")  # HH:MM:SS.mmm, to the nearest millisecond
    h, m, s = (int(part) for part in hms.split(":"))
    text = f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
    return f"{text}.{frac}" if ms else text


def span_text(seconds: float | None) -> str:
    """Return a duration for a label: ``45 s`` under a minute, else ``1:05`` / ``1:02:03``; '' for None."""
    if seconds is None:
        return ""
    if seconds < 60:
        text = f"{seconds:.1f}".rstrip("0").rstrip(".")
        return f"{text} s"
    return clock(seconds)
