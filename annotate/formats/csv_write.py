"""The event CSV's rows, written a whole column at a time from the table of events (see csv_format for the layout).

Every cell of a column is made in one step (numbers and times by Arrow and
numpy kernels, text and stamps by Arrow's string kernels: formats.arrow_cells)
and the columns are joined into lines in one call, from either table of events
(lists of Event fields, or the store's Arrow tables of stored values).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

try:  # optional, as in formats.columns
    import pyarrow as _pa
    import pyarrow.compute as _pc
except ImportError:  # pragma: no cover - exercised only where pyarrow is missing
    _pa = _pc = None

from ..model import Event, Kind, Recording
from ..timebase import frames_at_ms, nearest_ms, seconds_from_ms_array
from . import columns as colwise
from .arrays import bool_values
from .arrow_cells import stamp_cells, text_cells
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


def table_rows(table: Any, recordings: Mapping[Any, Recording], frame_times: Mapping[int, Sequence[float]],
               delimiter: str, transcripts: Mapping[int, Any] | None = None) -> bytes:
    """Return one CSV row per row of a table of events, each ending in CRLF, UTF-8, in the table's order.

    The table is either Event field -> list of values (``columns.event_columns``,
    ``Store.event_columns``) or a pyarrow Table of the stored values
    (``Store.event_tables``: times in ms, stamps their stored text); both are
    written by the same column steps. Only text cells can hold a separator,
    quote or line break, so only they are checked and quoted, exactly as
    csv.QUOTE_MINIMAL would. With ``transcripts`` (recording id ->
    EventTranscript) a last cell holds what was said during each event.
    """
    cols = _stored_columns(table) if hasattr(table, "schema") else _listed_columns(table)
    if not cols["count"]:
        return b""
    with colwise.no_gc():
        start, end, point = cols["start"], cols["end"], cols["point"]
        end_cells = colwise.blank_where(point, colwise.seconds_text(end))
        duration_cells = colwise.blank_where(point, colwise.seconds_text(end - start))
        end_tc = colwise.blank_where(point, colwise.timecode_text(end))
        heads, frames = _recording_cells(cols["recording_id"], start, recordings, frame_times, delimiter)
        texts = {name: text_cells(cols[name], delimiter) for name in TEXT_FIELDS}
        cells = [
            heads, cols["id"], _mapped(cols["kind"], lambda k: _kind_cell(k, delimiter)), colwise.seconds_text(start),
            end_cells, duration_cells, colwise.timecode_text(start), end_tc, frames,
            *(texts[name] for name in ("label", "stage", "channel", "actor", "expectation")),
            cols["emotion"], texts["reviewer"], texts["note"], cols["created_at"], cols["updated_at"],
        ]
        if transcripts:
            rids, starts, ends = cols["said"]()
            text = TextCells(csv_cell_writer(delimiter))
            cells.append([text[_said(transcripts, r, s, e)] for r, s, e in zip(rids, starts, ends)])
        return colwise.join_lines([colwise.text_array(c) if isinstance(c, list) else c for c in cells], delimiter,
                                  "\r\n")


def _listed_columns(table: Mapping[str, list[Any]]) -> dict[str, Any]:
    """Return the columns ``table_rows`` writes from Event field -> values (times in seconds, stamps datetimes)."""
    ends = table["end_s"]
    out: dict[str, Any] = {name: colwise.text_array(table[name]) for name in TEXT_FIELDS}
    out.update(count=len(table["id"]), id=table["id"], recording_id=_distinct(table["recording_id"]),
               kind=_distinct(table["kind"]), start=ms_column(table["start_s"]),
               point=np.array([e is None for e in ends], dtype=bool),
               end=ms_column([0.0 if e is None else e for e in ends]),
               emotion=_mapped(_distinct(table["emotion"]), lambda e: "" if e is None else str(int(e))),
               created_at=_dates(table["created_at"]), updated_at=_dates(table["updated_at"]),
               said=lambda: (table["recording_id"], table["start_s"], ends))
    return out


def _stored_columns(table: Any) -> dict[str, Any]:
    """Return the columns ``table_rows`` writes from a pyarrow Table of stored values (``Store.event_tables``)."""
    col = {name: table.column(name).combine_chunks() for name in table.column_names}
    ends = col["end_ms"]
    point = bool_values(_pc.is_null(ends))
    out: dict[str, Any] = {name: col[name] for name in TEXT_FIELDS}
    start = colwise.int_values(col["start_ms"])
    end = colwise.int_values(_pc.fill_null(ends, colwise.arrow_of(np.zeros(1, np.int64))[0]))  # no pa.scalar: pandas
    out.update(count=table.num_rows, id=col["id"], recording_id=_distinct(col["recording_id"]),
               kind=_distinct(col["kind"]), start=start, point=point, end=end,
               emotion=_pc.fill_null(_pc.cast(col["emotion"], _pa.string()), colwise.text_scalar("")),
               created_at=stamp_cells(col["created_at"]), updated_at=stamp_cells(col["updated_at"]),
               said=lambda: (col["recording_id"].to_pylist(), seconds_from_ms_array(start).tolist(),
                             [None if p else e for p, e in zip(point.tolist(), seconds_from_ms_array(end).tolist())]))
    return out


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


def _distinct(values: Any) -> tuple[list[Any], np.ndarray]:
    """Return (the distinct values, the index of each value's among them) of a list or an Arrow array."""
    if isinstance(values, list):
        index: dict[Any, int] = {}
        which = np.fromiter((index.setdefault(v, len(index)) for v in values), dtype=np.int64, count=len(values))
        return list(index), which
    encoded = _pc.dictionary_encode(values, null_encoding="encode")  # a null: one more entry, None
    return encoded.dictionary.to_pylist(), colwise.int_values(encoded.indices)


def _mapped(distinct: tuple[list[Any], np.ndarray], fn: Any) -> Any:
    """Return ``fn`` of every value given as :func:`_distinct` (called once per distinct value): one str when all
    rows share it, else an Arrow string array."""
    values, which = distinct
    cells = [fn(v) for v in values]
    if len(cells) == 1:
        return cells[0]
    return colwise.take(colwise.text_array(cells), which)


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


def _recording_cells(rids: tuple[list[Any], np.ndarray], start: np.ndarray, recordings: Mapping[Any, Recording],
                     frame_times: Mapping[int, Sequence[float]], delimiter: str) -> tuple[Any, Any]:
    """Return the ``recording,recording_id`` cells and the ``frame`` cells of every row (str: one for all rows),
    given the recording ids as :func:`_distinct`."""
    write = csv_cell_writer(delimiter)

    def head(rid: Any) -> str:
        return delimiter.join((write(recording_name(recordings.get(rid))), "" if rid is None else str(rid)))

    def frames_of(rid: Any, rows: Any) -> Any:
        return _frames(start[rows], recordings.get(rid), frame_times.get(rid) if rid is not None else None)

    distinct, which = rids
    if len(distinct) == 1:
        return head(distinct[0]), frames_of(distinct[0], slice(None))
    order = np.argsort(which, kind="stable")  # the rows of each recording together, in their order
    bounds = np.concatenate([[0], np.cumsum(np.bincount(which, minlength=len(distinct)))])
    pieces = [frames_of(rid, order[bounds[n]:bounds[n + 1]]) for n, rid in enumerate(distinct)]
    if all(p == "" for p in pieces if isinstance(p, str)) and all(isinstance(p, str) for p in pieces):
        return _mapped(rids, head), ""
    parts = [colwise.take(colwise.text_array([p]), np.zeros(bounds[n + 1] - bounds[n], dtype=np.int64))
             if isinstance(p, str) else p for n, p in enumerate(pieces)]
    back = np.empty_like(order)
    back[order] = np.arange(len(order))
    return _mapped(rids, head), colwise.take(colwise.concat(parts), back)


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
