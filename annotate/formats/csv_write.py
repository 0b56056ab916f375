"""The event CSV's rows, written a whole column at a time from the table of events (see csv_format for the layout).

Every cell of a column is made in one step (numbers and times by Arrow and
numpy kernels, text through the spreadsheet-safe cell writer, once per
distinct value) and the columns are joined into lines in one call.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from ..model import Event, Kind, Recording
from ..timebase import frames_at_ms, nearest_ms, seconds_from_ms_array
from . import columns as colwise
from .cells import TextCells, csv_cell_writer, iso_utc
from .recording_info import recording_fps, recording_name

TEXT_FIELDS = ("label", "stage", "channel", "actor", "expectation", "reviewer", "note")


def csv_rows(events: Sequence[Event], recordings: Mapping[Any, Recording], frame_times: Mapping[int, Sequence[float]],
             delimiter: str, transcripts: Mapping[int, Any] | None = None) -> bytes:
    """Return one CSV row per event (each ending in CRLF), UTF-8, in the order of ``events``."""
    if not events:
        return b""
    with colwise.no_gc():  # building the columns makes millions of objects: no collector passes meanwhile
        return table_rows(colwise.event_columns(events), recordings, frame_times, delimiter, transcripts)


def table_rows(table: Mapping[str, list[Any]], recordings: Mapping[Any, Recording],
               frame_times: Mapping[int, Sequence[float]], delimiter: str,
               transcripts: Mapping[int, Any] | None = None) -> bytes:
    """Return one CSV row per row of the table of events (Event field -> values; the store's column chunks
    are such tables), each ending in CRLF, UTF-8, in the table's order.

    Only text cells can hold a separator, quote or line break, so only they are
    checked and quoted, exactly as csv.QUOTE_MINIMAL would. With ``transcripts`` (recording id ->
    EventTranscript) a last cell holds what was said during each event.
    """
    if not table["id"]:
        return b""
    with colwise.no_gc():
        start = ms_column(table["start_s"])
        point = np.array([e is None for e in table["end_s"]], dtype=bool)
        end = ms_column([0.0 if e is None else e for e in table["end_s"]])
        end_cells = colwise.blank_where(point, colwise.seconds_text(end))
        duration_cells = colwise.blank_where(point, colwise.seconds_text(end - start))
        end_tc = colwise.blank_where(point, colwise.timecode_text(end))
        heads, frames = _recording_cells(table["recording_id"], start, recordings, frame_times, delimiter)
        text = TextCells(csv_cell_writer(delimiter))
        texts = {name: list(map(text.__getitem__, table[name])) for name in TEXT_FIELDS}
        cells = [
            heads, table["id"], _mapped(table["kind"], lambda k: _kind_cell(k, delimiter)), colwise.seconds_text(start),
            end_cells, duration_cells, colwise.timecode_text(start), end_tc, frames,
            *(texts[name] for name in ("label", "stage", "channel", "actor", "expectation")),
            _mapped(table["emotion"], lambda e: "" if e is None else str(int(e))),
            texts["reviewer"], texts["note"], _dates(table["created_at"]), _dates(table["updated_at"]),
        ]
        if transcripts:
            cells.append([text[_said(transcripts, r, s, e)] for r, s, e in
                          zip(table["recording_id"], table["start_s"], table["end_s"])])
        return colwise.join_lines([colwise.text_array(c) if isinstance(c, list) else c for c in cells], delimiter,
                                  "\r\n")


def _said(transcripts: Mapping[int, Any], recording_id: Any, start_s: float, end_s: float | None) -> str:
    """Return what the transcript of the event's recording says during it ("" without one)."""
    found = transcripts.get(recording_id)
    return found.said_during(start_s, end_s) if found is not None else ""


def ms_column(seconds: list[Any]) -> np.ndarray:
    """Return times in seconds as whole milliseconds (int64), as ``timebase.nearest_ms`` gives each."""
    ms = colwise.ms_array(seconds)
    return ms if ms is not None else np.array([nearest_ms(s) for s in seconds], dtype=np.int64)


def _kind_cell(kind: Any, delimiter: str) -> str:
    kind = kind if isinstance(kind, Kind) else Kind(str(kind))
    return delimiter.join((kind.value, kind.short))


def _mapped(values: list[Any], fn: Any) -> list[str]:
    """Return ``[fn(v) for v in values]`` with ``fn`` called once per distinct value."""
    cells = {v: fn(v) for v in set(values)}
    return list(map(cells.__getitem__, values))


def _dates(values: list[Any]) -> Any:
    """Return the ISO 8601 cells of datetimes (None: blank), each distinct one written once when they repeat."""
    distinct = list(dict.fromkeys(values))
    if not values or len(distinct) * 4 > len(values):
        return _iso_cells(values)
    index = {value: n for n, value in enumerate(distinct)}  # the stamps of a bulk import repeat: write each once
    which = np.fromiter(map(index.__getitem__, values), dtype=np.int64, count=len(values))
    cells = _iso_cells(distinct)
    return colwise.take(colwise.text_array(cells) if isinstance(cells, list) else cells, which)


def _iso_cells(values: list[Any]) -> Any:
    """Return the ISO 8601 cell of each datetime (None: blank), a list or an Arrow string array."""
    cells = None if None in values else colwise.iso_text(values)
    return list(map(iso_utc, values)) if cells is None else cells


def _recording_cells(rids: list[Any], start: np.ndarray, recordings: Mapping[Any, Recording],
                     frame_times: Mapping[int, Sequence[float]], delimiter: str) -> tuple[Any, Any]:
    """Return the ``recording,recording_id`` cells and the ``frame`` cells of every row (str: one for all rows)."""
    write = csv_cell_writer(delimiter)

    def head(rid: Any) -> str:
        return delimiter.join((write(recording_name(recordings.get(rid))), "" if rid is None else str(rid)))

    distinct = set(rids)
    if len(distinct) == 1:
        (rid,) = distinct
        return head(rid), _frames(start, recordings.get(rid), frame_times.get(rid) if rid is not None else None)
    frames = np.empty(len(rids), dtype=object)
    index = {rid: n for n, rid in enumerate(distinct)}
    which = np.fromiter(map(index.__getitem__, rids), dtype=np.int64, count=len(rids))
    for rid, n in index.items():
        rows = np.flatnonzero(which == n)
        cells = _frames(start[rows], recordings.get(rid), frame_times.get(rid) if rid is not None else None)
        frames[rows] = cells if isinstance(cells, str) else cells.to_pylist()
    return _mapped(rids, head), frames.tolist()


def _frames(start: np.ndarray, recording: Recording | None, times: Sequence[float] | None) -> Any:
    """Return the index of the frame shown at each start (ms) as text, or ``""`` when the frame rate is unknown."""
    fps = recording_fps(recording)
    if times is not None:
        grid = np.asarray(times)
        grid = grid if grid.dtype == np.float64 and grid.ndim == 1 else np.asarray(list(times), dtype=object)
        return colwise.text_array(np.maximum(np.searchsorted(grid, seconds_from_ms_array(start), side="right") - 1, 0))
    if not fps:
        return ""
    if len(start) and int(np.abs(start).max()) * fps.numerator >= 2**62:  # past int64: in Python's integers
        return colwise.text_array([str(frames_at_ms(s, fps)) for s in start.tolist()])
    return colwise.text_array(frames_at_ms(start, fps))
