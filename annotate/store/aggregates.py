"""Reads for the maps, the metrics and the Analyse page at library scale: filtered in SQL, in columns, by GROUP BY.

:class:`Aggregates` (``store.aggregates``) answers, for a :class:`EventWhere`
(exact stored values to keep, resolved by the caller from :meth:`Aggregates.distinct`):
- :meth:`Aggregates.map_tables`: the few columns the flow map and the metrics
  read, as Arrow tables, in step order per recording (recording, start, then
  ``list_events`` order): through ADBC on a SQLite file (``store.arrow_read``,
  ties put in order by ``store.tie_order``), else a server-side cursor on PostgreSQL;
- :meth:`Aggregates.count` and :meth:`Aggregates.per_recording`: COUNT / GROUP BY;
- :meth:`Aggregates.page`: one sorted page of the events table (LIMIT/OFFSET),
  as the columns :meth:`ColumnsMixin.event_columns` gives plus the recording's title;
- :meth:`Aggregates.distinct`: each stored value of some text columns and how
  many live events hold it (one GROUP BY).
No Event object is made; only live events of live recordings (imports done) are read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterator, Sequence

import sqlalchemy as sa

from . import arrow_read, tie_order
from .base import visible_events
from .columns import (_INTEGERS, COLUMN_CHUNK, _by_recording, _chunk_columns, _partitions, _selected,
                      _stored_selected)
from .schema import events, recordings

if TYPE_CHECKING:
    import pyarrow as pa

    from .store import Store

MAP_COLUMNS = ("recording_id", "kind", "start_ms", "end_ms", "label", "stage", "actor", "emotion")
DISTINCT_COLUMNS = ("label", "stage", "channel", "actor", "reviewer")
# The sorts a page of the table offers: {name: columns, in order}.
PAGE_SORTS = {
    "recording": ("recording_id", "start_ms"),
    "kind": ("kind", "recording_id", "start_ms"),
    "label": ("label", "recording_id", "start_ms"),
    "stage": ("stage", "recording_id", "start_ms"),
    "emotion": ("emotion", "recording_id", "start_ms"),
    "updated": ("updated_at",),
}


@dataclass(frozen=True)
class EventWhere:
    """Which live events to read: for each field, the exact stored values to keep (None: any value).

    ``emotion`` is an inclusive (low, high) range; ``blank_emotion`` says whether
    events without an emotion pass when a range is set.
    """

    recording_ids: tuple[int, ...] | None = None
    kinds: tuple[str, ...] | None = None
    labels: tuple[str, ...] | None = None
    stages: tuple[str, ...] | None = None
    channels: tuple[str, ...] | None = None
    actors: tuple[str, ...] | None = None
    reviewers: tuple[str, ...] | None = None
    emotion: tuple[int, int] | None = None
    blank_emotion: bool = True

    def clauses(self) -> list[Any]:
        """Return the SQL conditions on ``events`` that select what this keeps."""
        out: list[Any] = []
        for field, column in (("recording_ids", "recording_id"), ("kinds", "kind"), ("labels", "label"),
                              ("stages", "stage"), ("channels", "channel"), ("actors", "actor"),
                              ("reviewers", "reviewer")):
            values = getattr(self, field)
            if values is not None:
                out.append(events.c[column].in_(sorted(set(values))) if values else sa.false())
        if self.emotion is not None:
            inside = events.c.emotion.between(int(self.emotion[0]), int(self.emotion[1]))
            out.append(sa.or_(inside, events.c.emotion.is_(None)) if self.blank_emotion else inside)
        return out


class Aggregates:
    """The store's library-scale reads (see the module docstring)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _live(self, columns: Sequence[Any], where: EventWhere | None) -> sa.Select:
        q = sa.select(*columns).select_from(events.join(recordings, events.c.recording_id == recordings.c.id))
        q = q.where(visible_events(), events.c.deleted_at.is_(None), recordings.c.deleted_at.is_(None))
        return q.where(*(where.clauses() if where else []))

    def map_tables(self, where: EventWhere | None = None, columns: Sequence[str] = MAP_COLUMNS,
                   chunk_size: int = COLUMN_CHUNK) -> Iterator[pa.Table]:
        """Yield pyarrow Tables of ``columns`` (of :data:`MAP_COLUMNS`) as stored, ``chunk_size`` rows each but the
        last (none when no event is kept): times in whole ms and emotion int64 (no end or emotion: null), text
        never null (NULL as ""). Raises ValueError for another column or a ``chunk_size`` under 1, StoreError when
        the store cannot be read.

        Rows come by recording, then start, then created_at and id (the order
        ``list_events`` gives each recording's events). A SQLite file is read
        through ADBC on a reader thread, SQLite walking
        ``ix_events_recording_start`` and ties sorted in Arrow; other stores
        through SQLAlchemy (a server-side cursor on PostgreSQL) while one read
        transaction stays open.
        """
        if any(n not in MAP_COLUMNS for n in columns):
            raise ValueError(f"map rows have the columns {', '.join(MAP_COLUMNS)}, not {', '.join(columns)}")
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be 1 or more, not {chunk_size}")
        stored = {c.name: c for c in _stored_selected()}  # integers cast, text coalesced: types certain for ADBC
        with self.store._read() as conn:
            path = arrow_read.sqlite_file(conn)
            if path is None:
                q = _by_recording(self._live([stored[n] for n in columns], where))
                for rows in _partitions(conn, q, chunk_size):
                    yield arrow_read.rows_table(rows, columns, _INTEGERS)
                return
            names = list(dict.fromkeys([*columns, "recording_id", "start_ms", *tie_order.TIES]))
            q, keys = tie_order.index_order(self._live([stored[n] for n in names], where), by_recording=True)
            sql = arrow_read.sql_text(conn, q)
        tables = (_table(batch, names) for batch in arrow_read.adbc_batches(path, sql, chunk_size))
        for table in tie_order.in_list_order(tables, keys, chunk_size):
            yield table.select(list(columns))

    def count(self, where: EventWhere | None = None) -> int:
        """Return how many live events ``where`` keeps (one COUNT)."""
        with self.store._read() as conn:
            return int(conn.execute(self._live([sa.func.count()], where)).scalar() or 0)

    def per_recording(self, where: EventWhere | None = None) -> dict[int, int]:
        """Return {recording id: live events kept} for the recordings with at least one (one GROUP BY)."""
        q = self._live([events.c.recording_id, sa.func.count()], where).group_by(events.c.recording_id)
        with self.store._read() as conn:
            return {int(rid): int(n) for rid, n in conn.execute(q)}

    def distinct(self, columns: Sequence[str]) -> dict[str, dict[str, int]]:
        """Return {column: {stored value: live events holding it}} for text columns of :data:`DISTINCT_COLUMNS`.

        One GROUP BY over all of ``columns`` together (one scan of the events;
        give columns with few values together, a column with many, like
        ``label``, alone). Raises ValueError for another column.
        """
        unknown = [c for c in columns if c not in DISTINCT_COLUMNS]
        if unknown:
            raise ValueError(f"no distinct values of '{unknown[0]}'; use {', '.join(DISTINCT_COLUMNS)}")
        cols = [events.c[c] for c in columns]
        q = self._live([*cols, sa.func.count()], None).group_by(*cols)
        out: dict[str, dict[str, int]] = {c: {} for c in columns}
        with self.store._read() as conn:
            for row in conn.execute(q):
                n = int(row[-1])
                for column, value in zip(columns, row):
                    key = str(value or "")
                    out[column][key] = out[column].get(key, 0) + n
        return out

    def page(self, where: EventWhere | None, sort: str = "recording", descending: bool = False,
             offset: int = 0, limit: int = 1000) -> dict[str, list]:
        """Return one page of the events ``where`` keeps, sorted over all of them, as columns.

        Columns as :meth:`ColumnsMixin.event_columns` plus ``title`` (the
        recording's); ``sort`` is a key of :data:`PAGE_SORTS`, blanks last
        either way, ties by created_at and id. Raises ValueError for another sort.
        """
        if sort not in PAGE_SORTS:
            raise ValueError(f"unknown sort '{sort}'; use one of {', '.join(PAGE_SORTS)}")
        keys = [events.c[n].desc() if descending else events.c[n].asc() for n in PAGE_SORTS[sort]]
        keys = [k.nulls_last() for k in keys] + [events.c.created_at, events.c.id]
        q = self._live([*_selected(), recordings.c.title], where).order_by(*keys)
        q = q.offset(max(int(offset), 0)).limit(max(int(limit), 0))
        with self.store._read() as conn:
            rows = conn.execute(q).all()
        titles = [r[-1] or "" for r in rows]
        out = _chunk_columns([tuple(r)[:-1] for r in rows])
        out["title"] = titles
        return out


def _table(batch: Any, names: list[str]) -> pa.Table:
    """Return a RecordBatch as a Table with ``names`` (whatever SQL called its columns)."""
    import pyarrow as pa

    return pa.Table.from_batches([batch]).rename_columns(names)
