"""Events in export order and their times in ms, a whole column at a time (for the writers of every format).

:func:`sorted_fields` gives the events' fields in the order ``sort_events``
puts them (by recording, start, end, id), and :func:`ms_of` their times as
``timebase.nearest_ms`` of each, as arrays.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any, Callable, Sequence

import numpy as np

from ..model import Event
from ..timebase import nearest_ms, seconds_from_ms_array
from . import columns as colwise
from .common import sort_events


def sorted_fields(events: Sequence[Event]) -> Callable[[str], list[Any]]:
    """Return ``get(name)``: field ``name`` of every event in the order of ``sort_events``.

    The fields are read in the caller's order (events far apart in memory are
    slow to visit) and, for events of one recording with finite float times and
    str ids without NUL (numpy compares such texts as Python does), sorted with
    numpy (stable, as ``sorted``); other events are sorted by ``sort_events``.
    """
    unsorted = colwise.fields_of(events)
    starts, ends, ids = unsorted("start_s"), unsorted("end_s"), unsorted("id")
    try:
        one_case = len(set(unsorted("recording_id"))) <= 1
    except TypeError:  # an unhashable recording id
        one_case = False
    if not (one_case and colwise.only_type(starts, float) and colwise.only_type(ends, float, type(None))
            and colwise.only_type(ids, str) and "\x00" not in "".join(ids)):
        return colwise.fields_of(sort_events(events))
    start = np.array(starts, dtype=np.float64)
    end = np.array([-1.0 if e is None else e for e in ends], dtype=np.float64)
    if not (np.isfinite(start).all() and np.isfinite(end).all()):
        return colwise.fields_of(sort_events(events))
    order = np.lexsort((np.array(ids, dtype=str), end, start)).tolist()
    take = itemgetter(*order) if len(order) > 1 else tuple
    columns: dict[str, list[Any]] = {}

    def get(name: str) -> list[Any]:
        if name not in columns:
            columns[name] = list(take(unsorted(name)))
        return columns[name]

    return get


def ms_of(seconds: list[Any]) -> np.ndarray:
    """Return ``timebase.nearest_ms`` of each time, as int64.

    Raises ValueError or OverflowError, as ``round`` does, for a time that is not finite.
    """
    ms = colwise.ms_array(seconds)
    if ms is None:
        ms = np.array([nearest_ms(t) for t in seconds], dtype=np.int64)
    return ms


def ms_from_seconds(t: float) -> int:
    """Return seconds ``t`` as the nearest whole ms, ``timebase.nearest_ms`` (the scalar :func:`ms_of`)."""
    return nearest_ms(t)


def seconds_of(ms: np.ndarray) -> list[float]:
    """Return whole ms as float seconds, the doubles ``timebase.seconds_from_ms`` gives each, a list.

    The array conversion gives what a call per time gives, some twenty times quicker.
    """
    return seconds_from_ms_array(ms).tolist()
