"""Reads in columns: a library's events a chunk of columns at a time, without an Event object per row.

For exports, maps, metrics and the Analyse page at library scale: the rows of
:meth:`ColumnsMixin.event_columns` are exactly those ``list_events`` returns, in
the same order, with the same values (``kind`` as its stored value), read with
a server-side cursor on PostgreSQL (``stream_results``) so memory is bounded by
the chunk size. :meth:`ColumnsMixin.event_tables` gives the same rows as Arrow
tables of the stored values, without a Python object per value on SQLite
files (``store.arrow_read``): what the CSV export writes. Aggregates (events
per recording and kind) are ``RecordingsMixin.event_counts``: one GROUP BY.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Sequence

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..model import Kind
from ..timebase import seconds_from_ms
from . import arrow_read, tie_order
from .events import EventsMixin
from .schema import events

if TYPE_CHECKING:
    import pyarrow as pa

COLUMN_CHUNK = 50_000  # rows per chunk of columns: a few tens of MB of Python values at most

# The columns of a chunk, in this order: the Event fields (kind as text, times in seconds).
EVENT_COLUMN_NAMES = ("id", "recording_id", "kind", "start_s", "end_s", "label", "stage", "channel", "actor",
                      "expectation", "emotion", "note", "reviewer", "created_at", "updated_at", "version")
_STAMPS = ("created_at", "updated_at")
# The columns of ``event_tables``: as stored (times in ms, stamps their ISO text).
STORED_COLUMN_NAMES = ("id", "recording_id", "kind", "start_ms", "end_ms", "label", "stage", "channel", "actor",
                       "expectation", "emotion", "note", "reviewer", "created_at", "updated_at", "version")
_INTEGERS = ("recording_id", "start_ms", "end_ms", "emotion", "version")
_EXACT = 2**53  # integers below this are exact doubles


def _selected() -> list[Any]:
    """Return the selected columns: stamps as their stored text (converted once per distinct value per chunk)."""
    out: list[Any] = []
    for name in EVENT_COLUMN_NAMES:
        if name in ("start_s", "end_s"):
            out.append(events.c[name.replace("_s", "_ms")])
        elif name in _STAMPS:
            out.append(sa.type_coerce(events.c[name], sa.String).label(name))
        else:
            out.append(events.c[name])
    return out


def _stored_selected() -> list[Any]:
    """Return the selected columns of ``event_tables``: integers cast, text never NULL (ADBC infers a column's type
    from its first rows, and a NULL reads as an integer)."""
    out: list[Any] = []
    for name in STORED_COLUMN_NAMES:
        column = events.c[name]
        if name in _INTEGERS:
            out.append(sa.cast(column, sa.BigInteger).label(name))
        else:
            out.append(sa.func.coalesce(sa.cast(column, sa.Text), "").label(name))
    return out


def _tables(batches: Iterator[Any]) -> Iterator[pa.Table]:
    """Yield each RecordBatch as a Table (with ``STORED_COLUMN_NAMES``, whatever SQL called them)."""
    import pyarrow as pa

    for batch in batches:
        yield pa.Table.from_batches([batch]).rename_columns(list(STORED_COLUMN_NAMES))


def _stamp_values(texts: list[str]) -> list[datetime]:
    """Return the stored ISO texts as aware UTC datetimes (as ``schema.UTCDateTime`` reads them), each distinct once."""
    cache = {t: datetime.fromisoformat(t).astimezone(timezone.utc) for t in set(texts)}
    return list(map(cache.__getitem__, texts))


def _seconds(values: list[int | None]) -> list[float | None]:
    """Return stored milliseconds as seconds, exactly as ``timebase.seconds_from_ms`` gives each; None stays None.

    One numpy division for the column: ``ms / 1000.0`` is the double nearest the
    three-decimal value, which is what ``round(ms / 1000.0, 3)`` returns, while
    every value is an exact double (under 2**53); other columns go value by value.
    """
    holes = [i for i, v in enumerate(values) if v is None] if None in values else []
    filled = [0 if v is None else v for v in values] if holes else values
    try:
        ms = np.array(filled, dtype=np.int64)
    except (OverflowError, TypeError, ValueError):
        ms = None
    if ms is None or (len(ms) and int(np.abs(ms).max()) >= _EXACT):
        return [None if v is None else seconds_from_ms(v) for v in values]
    out: list[float | None] = (ms / 1000.0).tolist()
    for i in holes:
        out[i] = None
    return out


def _chunk_columns(rows: list[Any]) -> dict[str, list[Any]]:
    """Return a partition of result rows as {column name: list of values}."""
    raw = dict(zip(EVENT_COLUMN_NAMES, map(list, zip(*rows)))) if rows else {n: [] for n in EVENT_COLUMN_NAMES}
    raw["start_s"], raw["end_s"] = _seconds(raw["start_s"]), _seconds(raw["end_s"])
    for name in _STAMPS:
        raw[name] = _stamp_values(raw[name])
    return raw


def _partitions(conn: Connection, q: sa.Select, size: int) -> Iterator[Sequence[Any]]:
    """Yield the rows of ``q`` a list of ``size`` (the last one shorter) at a time.

    PostgreSQL: a server-side cursor (``stream_results``), SQLAlchemy Rows.
    SQLite steps through the result as it is fetched anyway, so there the
    driver's own tuples are read: no column here has a result processor
    (stamps are read as text), so they hold what Rows would, without a Row
    object per event. (A streamed SQLAlchemy result buffers a row ahead, so
    that path keeps its Rows.)
    """
    if conn.dialect.name != "sqlite":
        result = conn.execute(q, execution_options={"stream_results": True, "max_row_buffer": size})
        yield from result.partitions(size)
        return
    result = conn.execute(q)
    try:
        while rows := result.cursor.fetchmany(size):
            yield rows
    finally:
        result.close()


def _by_recording(q: sa.Select) -> sa.Select:
    """Return ``q`` ordered by recording, then in list order."""
    return q.order_by(None).order_by(events.c.recording_id, events.c.start_ms, events.c.created_at, events.c.id)


class ColumnsMixin(EventsMixin):
    """Column reads (see the module docstring)."""

    def event_columns(
        self,
        recording_ids: Iterable[int] | None = None,
        kinds: Iterable[Kind | str] | Kind | str | None = None,
        chunk_size: int = COLUMN_CHUNK,
        include_deleted: bool = False,
        by_recording: bool = False,
    ) -> Iterator[dict[str, list[Any]]]:
        """Yield the events ``list_events`` would return, as chunks of columns: {name: list} per chunk.

        Names are ``EVENT_COLUMN_NAMES``; every chunk holds ``chunk_size`` rows
        but the last (no chunk when there is no event). ``recording_ids`` None
        means every recording; ``kinds`` and ``include_deleted`` as in
        ``list_events``. ``by_recording`` orders by recording id first, then in
        list order: the rows a ``list_events`` per recording (in id order, as
        ``list_recordings``) would give, in one read. One read transaction stays
        open while the chunks are consumed. Raises NotFoundError for an unknown
        recording and UnknownKindError for an unknown kind (before the first chunk).
        """
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be 1 or more, not {chunk_size}")
        with self._read() as conn:
            q = self._events_query(conn, _selected(), recording_ids, kinds, include_deleted)
            if by_recording:
                q = _by_recording(q)
            yield from map(_chunk_columns, _partitions(conn, q, chunk_size))

    def event_tables(
        self,
        recording_ids: Iterable[int] | None = None,
        kinds: Iterable[Kind | str] | Kind | str | None = None,
        chunk_size: int = COLUMN_CHUNK,
        include_deleted: bool = False,
        by_recording: bool = False,
    ) -> Iterator[pa.Table]:
        """Yield the rows :meth:`event_columns` would, as pyarrow Tables of the stored values, never a Python
        object per value: ``STORED_COLUMN_NAMES``, times in whole ms (int64; no end: null), emotion int64 (or
        null), stamps their stored ISO text, every other column text (NULL as ""). Arguments, chunks and
        errors as :meth:`event_columns`.

        A SQLite file is read through ADBC (``store.arrow_read``), a batch read
        ahead on another thread, in index order with ties sorted in Arrow
        (``store.tie_order``); other stores through SQLAlchemy, as event_columns.
        """
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be 1 or more, not {chunk_size}")
        with self._read() as conn:
            q = self._events_query(conn, _stored_selected(), recording_ids, kinds, include_deleted)
            path = arrow_read.sqlite_file(conn)
            if path is None:
                for rows in _partitions(conn, _by_recording(q) if by_recording else q, chunk_size):
                    yield arrow_read.rows_table(rows, STORED_COLUMN_NAMES, _INTEGERS)
                return
            q, keys = tie_order.index_order(q, by_recording)
            sql = arrow_read.sql_text(conn, q)
        yield from tie_order.in_list_order(_tables(arrow_read.adbc_batches(path, sql, chunk_size)), keys, chunk_size)
