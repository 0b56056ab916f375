"""One coder's events as columns: the frame every agreement measure reads.

A *coding* is a pandas DataFrame with one row per event and the columns
``CODING_COLUMNS``: ``id``, ``recording_id`` (int), ``kind`` (the stored value),
``start_ms`` and ``end_ms`` (int64 whole milliseconds; ``end_ms`` equals
``start_ms`` for a point event), ``point`` (bool) and the descriptive fields
compared on matched pairs (``stage``, ``channel``, ``actor``, ``label``).
Times are whole milliseconds because the store keeps them so: every comparison
with a tolerance or a slice edge is then exact integer arithmetic.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

from ..errors import ValidationError
from ..model import Event
from ..timebase import nearest_ms, nearest_ms_array

TEXT_COLUMNS = ("stage", "channel", "actor", "label")
CODING_COLUMNS = ("id", "recording_id", "kind", "start_ms", "end_ms", "point", *TEXT_COLUMNS)


def _column(columns: Mapping[str, Any], name: str, count: int, default: Any) -> list[Any]:
    values = columns.get(name)
    return [default] * count if values is None else list(values)


def coding_from_columns(columns: Mapping[str, Any]) -> pd.DataFrame:
    """Return the coding of event columns ({field: values}, as ``Store.event_columns`` yields them).

    ``kind`` (stored values or Kinds), ``start_s`` and ``recording_id`` are
    required; ``end_s`` None (or missing) makes a point event. Raises
    ValidationError for a missing required column.
    """
    missing = [name for name in ("recording_id", "kind", "start_s") if name not in columns]
    if missing:
        raise ValidationError(f"the events have no {', '.join(missing)} column; give every event its recording, "
                              "kind and start")
    count = len(columns["kind"])
    start = nearest_ms_array(np.asarray(columns["start_s"], dtype=np.float64).reshape(count))
    ends = np.array(_column(columns, "end_s", count, None), dtype=np.float64).reshape(count)  # None -> NaN
    point = np.isnan(ends)
    end = np.where(point, start, nearest_ms_array(np.where(point, 0.0, ends)))
    point |= end <= start  # a duration of nothing covers what a point covers
    frame = pd.DataFrame({
        "id": _column(columns, "id", count, ""),
        "recording_id": np.asarray(columns["recording_id"], dtype=np.int64).reshape(count),
        "kind": [str(getattr(k, "value", k)) for k in columns["kind"]],
        "start_ms": start.astype(np.int64),
        "end_ms": np.where(point, start, end).astype(np.int64),
        "point": point,
    })
    for name in TEXT_COLUMNS:
        frame[name] = ["" if v is None else str(v) for v in _column(columns, name, count, "")]
    return frame


def coding_from_events(events: Iterable[Event]) -> pd.DataFrame:
    """Return the coding of ``events`` (their recording_id must be set; see coding_from_columns)."""
    rows = list(events)
    columns: dict[str, list[Any]] = {name: [getattr(e, name) for e in rows]
                                     for name in ("id", "recording_id", "kind", "start_s", "end_s", *TEXT_COLUMNS)}
    if any(rid is None for rid in columns["recording_id"]):
        raise ValidationError("an event has no recording_id; say which recording each event belongs to")
    return coding_from_columns(columns)


def empty_coding() -> pd.DataFrame:
    """Return a coding with no events."""
    return coding_from_columns({"id": [], "recording_id": [], "kind": [], "start_s": [], "end_s": []})


def tolerance_ms(seconds: float, name: str = "tolerance") -> int:
    """Return a tolerance or slice length in whole milliseconds. Raises ValidationError for a negative or
    non-finite value (and for 0 when ``name`` is ``slice``)."""
    value = float(seconds)
    if not np.isfinite(value) or value < 0 or (name == "slice" and value <= 0):
        need = "more than 0" if name == "slice" else "0 or more"
        raise ValidationError(f"the {name} {seconds} s is not usable: give a number of seconds, {need}")
    ms = nearest_ms(value)
    if name == "slice" and ms < 1:
        raise ValidationError(f"the slice {seconds} s is shorter than a millisecond: give at least 0.001 s")
    return ms
