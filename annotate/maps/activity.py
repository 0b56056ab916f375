"""The process-activity table of one recording: one row per step, with the waits the map labels."""

from __future__ import annotations

from typing import Iterable

import pandas as pd

from ..model import Codebook, Event, parse_kind
from . import journey
from .journey import clock

TABLE_COLUMNS = [
    "step", "time", "start_s", "to_next_s", "wait_s", "kind", "actor", "stage",
    "label", "expectation", "emotion", "event_id",
]


def activity_table(events: Iterable[Event], codebook: Codebook | None = None) -> pd.DataFrame:
    """Return the process-activity table of one recording's events, one row per step.

    Columns: step (1-based), time (``m:ss.mmm``), start_s, to_next_s (start to
    the next step's start; NaN for the last), wait_s (idle time to the next
    step, see :mod:`annotate.maps.journey`), kind (MOT/INT/DEC), actor, stage,
    label, expectation, emotion (nullable int), event_id.
    """
    book = codebook or Codebook()
    ordered = journey.steps(events)
    gaps = journey.waits(ordered)
    rows = []
    for i, e in enumerate(ordered):
        nxt = ordered[i + 1] if i + 1 < len(ordered) else None
        rows.append(
            {
                "step": i + 1,
                "time": clock(e.start_s, ms=True),
                "start_s": e.start_s,
                "to_next_s": None if nxt is None else round(nxt.start_s - e.start_s, 3),
                "wait_s": gaps[i] if i < len(gaps) else None,
                "kind": parse_kind(e.kind).short,
                "actor": book.actor_of(e),
                "stage": book.stage_of(e),
                "label": e.label,
                "expectation": e.expectation,
                "emotion": e.emotion,
                "event_id": e.id,
            }
        )
    frame = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    frame["to_next_s"] = frame["to_next_s"].astype("float64")
    frame["wait_s"] = frame["wait_s"].astype("float64")
    frame["emotion"] = frame["emotion"].astype("Int64")
    return frame
