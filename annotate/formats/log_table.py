"""The table of an event log's entries, and its pairing into events a whole column at a time.

A format's parse step (the CSV event log's, XES's) gives a :class:`LogTable`:
per entry its case, activity, lifecycle, timestamp text and the other fields
it holds. :func:`events_from_table` pairs the entries into events as
:func:`.pairing.events_from_rows` does (a ``start`` with the next
``complete`` of the same case and event id, else activity; times from
``start_s``/``end_s``, else the timestamp minus the case start) with numpy and
Arrow, and validates them beside the table. It returns None for a log with
anything wrong: the format then reads it entry by entry to name the line.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable, Mapping, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import ValidationError
from ..model import Codebook, Event, Recording
from . import columns as colwise
from .common import Importer, KindResolver, Problems, label_kinds, parse_iso
from .log_entries import EPOCH
from .pairing import EMOTIONS, TEXT, KindChooser, case_names

_US = timedelta(microseconds=1)


class LogTable(NamedTuple):
    """The entries of an event log in file order, as Arrow string arrays (one value per entry)."""

    case: Any  # the case id
    activity: Any
    lifecycle: Any  # lower case
    timestamp: Any  # the timestamp's text, "" for none
    field: Callable[[str], Any]  # field name -> its cells (null where an entry has none), or None when none has it


def events_from_table(table: LogTable, recording: Recording, mapping: Mapping[str, Any] | Iterable[str] | None,
                      codebook: Codebook | None, epoch: datetime | str | None, source: str) -> list[Event] | None:
    """Return the validated events of ``recording`` that the entries of ``table`` pair into.

    Returns what :func:`.pairing.events_from_rows` returns for the same
    entries, or None where it would raise (or might: a time or timestamp
    written in a way only it reads), so that it then names the bad line.
    """
    found = _stamp_micros(table.timestamp)
    rows = None if found is None else _this_case(table, recording)
    if rows is None:
        return None
    stamps, no_stamp = found[0][rows], found[1][rows]
    cases = pc.dictionary_encode(table.case.take(rows))
    case_codes = colwise.int_values(cases.indices)
    bases = _bases(table, rows, case_codes, stamps, no_stamp, epoch)
    lifecycle = table.lifecycle.take(rows)
    complete = pc.equal(lifecycle, "complete").to_numpy(zero_copy_only=False)
    start = pc.equal(lifecycle, "start").to_numpy(zero_copy_only=False)
    start_cells = _seconds(table.field("start_s"), rows)
    own = _seconds(table.field("end_s"), rows)
    if bases is None or start_cells is None or own is None:
        return None
    own = np.where(complete, own, start_cells)
    need = np.isnan(own)
    if (need & no_stamp).any():
        return None  # "timestamp is empty"
    times = _entry_times(own, need, stamps - bases[case_codes])
    if times is None:
        return None
    paired = _pair(_keys(table, rows, case_codes), complete, start, times, start_cells)
    if paired is None:
        return None
    firsts, begins, ends = paired
    return _events(table, rows[firsts], begins, ends, recording, mapping, codebook, source)


def _stamp_micros(cells: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """Return each timestamp as whole microseconds from EPOCH as ``parse_iso`` reads it, and where there is none.

    Returns None when some cell is not a time. Plain ISO 8601 at UTC is read by Arrow, any other by ``parse_iso``.
    """
    plain = pc.match_substring_regex(cells, _PLAIN_ISO).to_numpy(zero_copy_only=False)
    out = np.zeros(len(cells), dtype=np.int64)
    blank = np.zeros(len(cells), dtype=bool)
    left = plain.copy()
    for zone in ("Z", "+00:00", "z", ""):  # the zone, if any, taken off, the time read by Arrow
        take = left & pc.ends_with(cells, zone).to_numpy(zero_copy_only=False) if zone else left
        if take.any():
            left = left & ~take
            bare = pc.utf8_slice_codeunits(cells.filter(pa.array(take)), 0, -len(zone) if zone else None)
            try:
                out[take] = colwise.int_values(pc.cast(pc.cast(bare, pa.timestamp("us")), pa.int64()))
            except pa.ArrowInvalid:
                return None  # a day or hour that is not one: parse_iso refuses it
    if not plain.all():
        others = np.flatnonzero(~plain)
        try:
            values = colwise.map_unique(cells.take(pa.array(others)), _micros)
        except ValidationError:
            return None
        blank[others] = [v is None for v in values]
        out[others] = [0 if v is None else v for v in values]
    return out, blank


_PLAIN_ISO = (r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?"
              r"([Zz]|\+00:00)?$")


def _micros(text: str) -> int | None:
    """Return the time ``text`` as microseconds from EPOCH (None for blank); raises ValidationError."""
    value = parse_iso("timestamp", text)
    return None if value is None else (value - EPOCH) // _US


def _this_case(table: LogTable, recording: Recording) -> np.ndarray | None:
    """Return the entries of the case that is ``recording`` (all when the log holds one), or None for none."""
    encoded = pc.dictionary_encode(table.case)
    cases = encoded.dictionary.to_pylist()
    if len(cases) <= 1:
        return np.arange(len(table.case))
    rid = "" if recording.id is None else str(recording.id)
    keep = case_names(cases, recording)
    ids = table.field("recording_id")
    if rid and ids is not None:
        keep |= set(table.case.filter(pc.equal(ids, rid).fill_null(False)).unique().to_pylist())
    if not keep:
        return None
    wanted = np.array([c in keep for c in cases], dtype=bool)
    return np.flatnonzero(wanted[colwise.int_values(encoded.indices)])


def _bases(table: LogTable, rows: np.ndarray, case_codes: np.ndarray, stamps: np.ndarray, no_stamp: np.ndarray,
           epoch: datetime | str | None) -> np.ndarray | None:
    """Return each case's start in microseconds from EPOCH (as ``events_from_rows`` takes it), or None when bad."""
    count = int(case_codes.max()) + 1 if len(case_codes) else 0
    if isinstance(epoch, datetime):
        base = epoch if epoch.tzinfo else epoch.replace(tzinfo=timezone.utc)
        return np.full(count, (base - EPOCH) // _US, dtype=np.int64)
    if epoch == "first":
        lowest = np.full(count, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(lowest, case_codes[~no_stamp], stamps[~no_stamp])
        return np.where(lowest == np.iinfo(np.int64).max, 0, lowest)
    cells = table.field("case_start")
    if cells is None:
        return np.zeros(count, dtype=np.int64)
    _, first = np.unique(case_codes, return_index=True)  # each case's first entry
    try:
        starts = [parse_iso("case_start", c or "") for c in cells.take(pa.array(rows[first])).to_pylist()]
    except ValidationError:
        return None
    return np.array([0 if s is None else (s - EPOCH) // _US for s in starts], dtype=np.int64)


def _seconds(cells: Any, rows: np.ndarray) -> np.ndarray | None:
    """Return the cells at ``rows`` as ``round(float(cell), 3)`` (nan for none or blank), None for any other text."""
    if cells is None:
        return np.full(len(rows), np.nan)
    cells = cells.take(pa.array(rows)).fill_null("")
    quick = colwise.seconds_column(cells, blank_is_none=True)
    if quick is None:
        if not colwise.all_match(cells, r"^([0-9]{1,15}(\.[0-9]*)?)?$"):
            return None
        quick = colwise.map_unique(cells, lambda c: round(float(c), 3) if c else None)
    return np.array(quick, dtype=np.float64)  # None -> nan


def _entry_times(own: np.ndarray, need: np.ndarray, micros: np.ndarray) -> np.ndarray | None:
    """Return each entry's time in seconds: ``own`` (its seconds cell), else (``need``) its timestamp's ``micros``
    from the case start, rounded as ``events_from_rows`` rounds ``total_seconds()``; None when one is negative."""
    if not need.any():
        return own
    micros = micros[need]
    if (micros < 0).any():
        return None  # "before the case start"
    if micros.max() >= 10**15:  # from ~31 years on, leave the rounding to Python
        values = np.array([round(m / 10**6, 3) for m in micros.tolist()])
    else:
        whole, rest = np.divmod(micros, 1000)
        values = (whole + (rest > 500)) / 1000.0  # round() gives the float nearest the whole ms
        for i in np.flatnonzero(rest == 500):  # exactly half a ms: round() of the float decides
            values[i] = round(int(micros[i]) / 10**6, 3)
    out = own.copy()
    out[need] = values
    return out


def _keys(table: LogTable, rows: np.ndarray, case_codes: np.ndarray) -> np.ndarray:
    """Return per entry the code of what pairs it: its case and its event id, else its activity."""
    activity = table.activity.take(rows)
    ids = table.field("event_id")
    if ids is not None:
        ids = ids.take(pa.array(rows))
        activity = pc.if_else(pc.equal(ids, "").fill_null(True), activity, ids)
    names = colwise.int_values(pc.dictionary_encode(activity).indices).astype(np.int64)
    return case_codes.astype(np.int64) * (int(names.max()) + 1 if len(names) else 1) + names


def _pair(keys: np.ndarray, complete: np.ndarray, start: np.ndarray, times: np.ndarray,
          start_cells: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Return per event (in the order of its complete entry) its first entry, its start and end (nan: a point event).

    A complete entry takes the earliest start of its key not yet taken, as
    ``events_from_rows`` pairs them; one with none is a point event starting at
    its start_s cell, else its own time. Returns None for a start that never
    completes or a complete before its start.
    """
    order = np.flatnonzero(complete | start)
    order = order[np.argsort(keys[order], kind="stable")]  # by key, then file order
    is_start = start[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = keys[order][1:] != keys[order][:-1]
    group = np.cumsum(new) - 1
    begin = np.flatnonzero(new)
    starts_before = np.cumsum(is_start) - is_start
    starts_before -= starts_before[begin][group]
    done = np.flatnonzero(~is_start)  # the complete entries, at their place in ``order``
    g = group[done]
    k = np.arange(1, len(done) + 1) - np.searchsorted(done, begin)[g]  # the how-manieth complete of its key
    # The starts taken by the k-th complete: k + min(0, min over j <= k of (starts before the j-th - j)).
    wide = 2 * len(order) + 2  # so that each key's running minimum starts afresh
    lowest = np.minimum.accumulate(starts_before[done] - k - g * wide) + g * wide
    taken = k + np.minimum(0, lowest)
    before = np.concatenate([[0], taken[:-1]])
    before[k == 1] = 0
    pairs = taken > before
    if np.count_nonzero(pairs) != np.count_nonzero(is_start):
        return None  # "starts but never completes"
    start_at = np.flatnonzero(is_start)
    ends_at = order[done]
    firsts = ends_at.copy()
    firsts[pairs] = order[start_at[np.searchsorted(start_at, begin)[g[pairs]] + taken[pairs] - 1]]
    if (times[ends_at[pairs]] < times[firsts[pairs]]).any():
        return None  # "completes before it starts"
    own_start = np.where(np.isnan(start_cells[ends_at]), times[ends_at], start_cells[ends_at])
    begins = np.where(pairs, times[firsts], own_start)
    ends = np.where(pairs, times[ends_at], np.nan)
    by_file = np.argsort(ends_at)
    return firsts[by_file], begins[by_file], ends[by_file]


def _events(table: LogTable, firsts: np.ndarray, begins: np.ndarray, ends: np.ndarray, recording: Recording,
            mapping: Mapping[str, Any] | Iterable[str] | None, codebook: Codebook | None,
            source: str) -> list[Event] | None:
    """Return the validated events whose first entries are ``firsts``, or None when one is not valid."""
    at = pa.array(firsts)

    def cells(name: str, fn: Callable[[Any], Any] = str) -> list[Any]:
        column = table.field(name)
        if column is None:
            return [fn("")] * len(firsts)
        return colwise.map_unique(column.take(at).fill_null(""), fn)

    choose = KindChooser(KindResolver(mapping), label_kinds(codebook))
    activities, kind_texts = colwise.map_unique(table.activity.take(at), str), cells("kind")
    chosen = {pair: choose(*pair) for pair in set(zip(activities, kind_texts))}
    picks = list(map(chosen.__getitem__, zip(activities, kind_texts)))
    kinds = [pick[0] for pick in picks]
    if None in kinds:
        return None
    out: dict[str, list[Any]] = {"kind": kinds, "start_s": begins.tolist(),
                                 "end_s": [None if e != e else e for e in ends.tolist()]}
    for name in TEXT:
        out[name] = cells(name)
    labels = table.field("label")
    if labels is None:
        out["label"] = [pick[1] for pick in picks]
    elif labels.null_count:
        given = labels.take(at).to_pylist()
        out["label"] = [pick[1] if label is None else label for label, pick in zip(given, picks)]
    out["emotion"] = cells("emotion", lambda c: EMOTIONS.get(c or None, c or None))
    ids = table.field("event_id")
    sink = Importer(recording, Problems(source))
    sink.add_values(out, {}, list(range(len(firsts))), None if ids is None else ids.take(at).to_pylist(), {})
    return None if sink.problems else sink.events
