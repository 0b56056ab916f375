"""Event-log entries for writing: the cases of some events and their ``start``/``complete`` entries, as columns.

Shared by the CSV event log (:mod:`.eventlog`) and XES (:mod:`.xes`), which
differ only in layout: :func:`cases` groups the events by recording (one case
each, named and timed), :func:`entry_columns` gives a case's entries in log
order (by time, start before complete), and :func:`seconds_cells` /
:func:`stamp_cells` write their times. Reading them back is :mod:`.pairing`.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Mapping, NamedTuple, Sequence

import numpy as np

from ..errors import ValidationError
from ..model import Event, Kind, Recording
from ..timebase import whole_ms_micros
from . import columns as colwise
from .common import iso_utc, parse_iso, recording_name
from .ordering import ms_of, sorted_fields

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def case_start(recording: Recording | None, epoch: datetime | None = None) -> datetime:
    """Return when a recording's case starts: ``epoch``, its recorded start time, or 1970-01-01 UTC."""
    if epoch is not None:
        return epoch
    if recording is not None:
        for key in ("creation_time", "start_time"):
            value = (recording.info or {}).get(key)
            if isinstance(value, datetime):
                return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
            if isinstance(value, str) and value.strip():
                try:
                    parsed = parse_iso(key, value)
                except ValidationError:
                    continue
                if parsed is not None:
                    return parsed
    return EPOCH



class Case(NamedTuple):
    """The events of one recording, as one case of a log: who, from when, and their fields in export order."""

    rid: Any  # the recording id
    name: str  # the case id: the recording's name, ``#id`` added when two cases share one
    start: datetime  # the time the case's timestamps count from
    field: Callable[[str], list[Any]]  # field name -> the values of the case's events, sorted as sort_events sorts


def cases(events: Sequence[Event], recordings: Mapping[Any, Recording], epoch: datetime | None = None) -> list[Case]:
    """Return the cases of ``events``, one per recording, in the order ``sort_events`` puts the recordings."""
    field = sorted_fields(events)
    rids = field("recording_id")
    order = list(dict.fromkeys(rids))
    # a title is clean; a file name (when there is no title) may hold control characters
    names = {rid: recording_name(recordings.get(rid)) or f"recording {rid}" for rid in order}
    counts: dict[str, int] = {}
    for name in names.values():
        counts[name] = counts.get(name, 0) + 1
    out = []
    for rid in order:
        name = names[rid] if counts[names[rid]] == 1 else f"{names[rid]} #{rid}"
        sub = field if len(order) == 1 else _subset(field, [i for i, r in enumerate(rids) if r == rid])
        out.append(Case(rid, name, case_start(recordings.get(rid), epoch), sub))
    return out


def _subset(field: Callable[[str], list[Any]], rows: list[int]) -> Callable[[str], list[Any]]:
    """Return ``get(name)``: ``field(name)`` at ``rows``."""
    return lambda name: [field(name)[i] for i in rows]


class EntryColumns(NamedTuple):
    """The log entries of a case's events as arrays: per entry its event, time and lifecycle; per event the rest."""

    event: np.ndarray  # per entry: the index of its event
    ms: np.ndarray  # per entry: its time in ms from the case start
    complete: np.ndarray  # per entry: True for complete, False for start
    kinds: list[Kind]  # per event
    start_ms: np.ndarray  # per event: start_s in ms
    end_ms: np.ndarray  # per event: end_s in ms (0 for a point event)
    point: np.ndarray  # per event: True for a point event


def entry_columns(field: Callable[[str], list[Any]]) -> EntryColumns:
    """Return the log entries of a case's events (``field`` as :class:`Case` has it), as arrays.

    Entries come by time, start before complete, then as the events come.
    Raises ValueError for a kind that is not a kind name.
    """
    kinds = [k if isinstance(k, Kind) else Kind(str(k)) for k in field("kind")]
    ends = field("end_s")
    point = np.array([e is None for e in ends], dtype=bool)
    start_ms = ms_of(field("start_s"))
    end_ms = ms_of([0.0 if e is None else e for e in ends])
    dur = np.flatnonzero(~point)
    entry_event = np.concatenate([np.arange(len(kinds)), dur])
    entry_ms = np.concatenate([start_ms, end_ms[dur]])
    entry_end = np.concatenate([point, np.ones(len(dur), dtype=bool)])
    order = np.lexsort((entry_event, entry_end, entry_ms))
    return EntryColumns(entry_event[order], entry_ms[order], entry_end[order], kinds, start_ms, end_ms, point)


def seconds_cells(seconds: list[Any], ms: np.ndarray) -> Any:
    """Return ``f"{t:.3f}"`` of each time (``ms`` holds them in ms), as an Arrow string array."""
    if colwise.only_type(seconds, float):
        values = np.array(seconds, dtype=np.float64)
        if not values.size or (values.min() >= 0 and values.max() < 1e9 and (np.round(values, 3) == values).all()):
            return colwise.seconds_text(ms)
    return colwise.text_array([f"{t:.3f}" for t in seconds])


def stamp_cells(base: datetime, ms: np.ndarray, zone: str = "Z") -> Any:
    """Return ``iso_utc(base + ms)`` of each time, ``Z`` replaced by ``zone``, as an Arrow string array."""
    if base.tzinfo is not None and whole_ms_micros(base.microsecond) == base.microsecond:
        at = (base - EPOCH) // timedelta(milliseconds=1) + ms
        if not at.size or (at.min() >= 0 and at.max() < _YEAR_10000_MS):
            return colwise.iso_from_ms(at, zone)
    return colwise.text_array([iso_utc(base + timedelta(milliseconds=m))[:-1] + zone for m in ms.tolist()])


_YEAR_10000_MS = (datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc) - EPOCH) // timedelta(milliseconds=1)
