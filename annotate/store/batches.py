"""Imports: many events as ONE logical change, written in short hidden batches so reviewers' marks get through.

An import records itself in the ``imports`` table (pending), writes its event
rows in short transactions of about IMPORT_BATCH rows, each row tagged with the
import's id and hidden from every read (``base.visible_events``), then makes
them all visible in one last short transaction. Any error, or a process that
dies, leaves a pending import whose rows are removed (at once, or by the next
import once it is STALE_IMPORT_S old).

The change log holds ONE row per recording for an import, written by that last
transaction: action ``create``, entity ``import``, ``entity_id`` the import id,
``after`` ``{"events": n}``; the events themselves carry the id in
``import_id``. That keeps an import's log as small as its undo needs (undo.py
reverts it like a ``create`` per event) instead of ~450 bytes of JSON and two
index entries per event, most of an import's time before.

Two ways in, one writer (:class:`ImportBatches`): :meth:`BatchesMixin.import_events`
for Event objects (validated here) and ``store.bulk.import_chunks`` for
columns already validated by a streamed CSV reader.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import sqlite3
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Sequence

import sqlalchemy as sa

from ..model import Event, clean_text, utcnow
from .base import CHUNK, Tx, account_of
from .engine import db_errors
from .rows import EVENT_COLUMNS, as_utc, event_values, insert_sql, render_rows
from .schema import change_log, events, imports
from .undo import UndoMixin

if TYPE_CHECKING:
    from .store import Store

IMPORT_BATCH = 5000  # events per transaction of a batched import: a few tens of ms of write lock each
# Rows per multi-row INSERT on SQLite: statements of 1,800 rows took 10 MB more to compile and hold.
ROWS_PER_INSERT = 250
# Page cache of a batch's connection, in KiB (SQLite's default is 2,000): the batches fill whatever they are
# given, and the last one's count and checkpoint read the whole import again. 100,000 events, CLI over a one-row
# import: 2,000 KiB 23.8 MB, 512 KiB 21.6 MB (batches only), same time; 256 KiB +6 %.
IMPORT_CACHE_KIB = 512
STALE_IMPORT_S = 600  # a pending import untouched this long died with its process: its rows are removed


class ImportBatches:
    """One pending import: write its rows a batch at a time with :meth:`write` (see :meth:`BatchesMixin.import_batches`)."""

    def __init__(self, store: Store, import_id: str, reviewer: str):
        self.store, self.import_id, self.reviewer = store, import_id, reviewer
        self.who = clean_text(reviewer)  # the reviewer as the store keeps it
        self.added = 0

    def write(self, columns: Sequence[Sequence[Any]], recording_ids: Iterable[int]) -> int:
        """Insert rows given as ``columns`` (driver values in ``rows.EVENT_COLUMNS`` order, ``import_id`` set) in one
        short transaction.

        Rows whose id is stored already (or repeats: the first counts) are
        skipped. Returns how many were added. Raises NotFoundError when one of
        ``recording_ids`` (the recordings of the rows) is missing or deleted.
        """
        store = self.store
        with _batch_write(store, self.reviewer) as tx:
            for rid in sorted(set(recording_ids)):
                store._recording_row(tx.conn, rid, lock=True)  # still there (and locked, on PostgreSQL)
            added = 0
            if columns and len(columns[0]):
                added = _insert_columns(tx.conn, columns)
            tx.conn.execute(imports.update().where(imports.c.id == self.import_id).values(touched_at=tx.now))
        self.added += added
        return added


def _insert_columns(conn: sa.Connection, columns: Sequence[Sequence[Any]]) -> int:
    """Insert ``events`` rows given as columns (``EVENT_COLUMNS`` order), skipping ids already stored; return how
    many were added.

    SQLite: multi-row INSERTs of ROWS_PER_INSERT rows whose parameters are
    numbered column by column (:func:`_sqlite_insert`), so the values go in as
    slices of the columns (no tuple per row) and a column holding one value
    throughout (the import's id, its stamp, ...) is bound once per statement.
    A batch is a few statement steps instead of one per row, and a writer
    thread gives up the GIL a few times per batch. Other databases: the
    driver's executemany of the rows (psycopg pipelines it).
    """
    sql = insert_sql(conn, events.name, EVENT_COLUMNS, skip="id")
    count = len(columns[0])
    if conn.dialect.name != "sqlite":
        return max(conn.exec_driver_sql(sql, list(zip(*columns))).rowcount, 0)
    same = tuple(j for j, column in enumerate(columns) if column.count(column[0]) == count)
    varying = [columns[j] for j in range(len(columns)) if j not in same]
    limit = conn.connection.driver_connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    per = max(1, min((limit - len(same)) // max(len(varying), 1), ROWS_PER_INSERT))
    head = sql.split(" VALUES ")[0]
    constants = [columns[j][0] for j in same]
    added = 0
    for first in range(0, count, per):
        rows = min(per, count - first)
        params = list(constants)
        for column in varying:
            params += column[first : first + rows]
        added += max(conn.exec_driver_sql(_sqlite_insert(head, len(columns), same, rows), tuple(params)).rowcount, 0)
    return added


@functools.lru_cache(maxsize=16)
def _sqlite_insert(head: str, width: int, same: tuple[int, ...], rows: int) -> str:
    """Return ``head`` + VALUES of ``rows`` rows of ``width`` columns, parameters numbered so they are bound as
    the columns ``same`` (one value each: ?1, ?2, ...) then every other column's ``rows`` values in turn."""
    varying = [j for j in range(width) if j not in same]
    first = {j: len(same) + 1 + k * rows for k, j in enumerate(varying)}
    fixed = {j: f"?{k + 1}" for k, j in enumerate(same)}
    values = ", ".join("(" + ", ".join(fixed.get(j) or f"?{first[j] + r}" for j in range(width)) + ")"
                       for r in range(rows))
    return f"{head} VALUES {values}"


@contextlib.contextmanager
def _batch_write(store: Store, reviewer: str, checkpoint: bool = False) -> Iterator[Tx]:
    """Yield a write transaction (as ``Store._write``) whose connection, on SQLite, keeps a page cache of
    IMPORT_CACHE_KIB and, unless ``checkpoint``, commits without the WAL checkpoint.

    A checkpoint copies the pages written since the last one back into the
    database file and syncs it: every few batches, an import rewrote the same
    index pages again. So a batch's connection does not checkpoint; the
    import's last commit (``_finish_import``) does, once. The settings are the
    connection's and are restored before it goes back to the pool; other
    connections (a reviewer's mark) keep SQLite's cache and checkpoint as usual.
    """
    with db_errors(), store._engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        raw = conn.connection.driver_connection  # PRAGMAs outside the transaction: they are not transactional
        settings = {"cache_size": -IMPORT_CACHE_KIB, **({} if checkpoint else {"wal_autocheckpoint": 0})}
        kept = {name: raw.execute(f"PRAGMA {name}").fetchone()[0] for name in settings} if sqlite else {}
        try:
            for name in kept:
                raw.execute(f"PRAGMA {name} = {int(settings[name])}")
            conn.execution_options(annotate_write=True)
            with conn.begin():
                yield Tx(conn, clean_text(reviewer), account_of(reviewer))
        finally:
            for name, value in kept.items():
                raw.execute(f"PRAGMA {name} = {int(value)}")


class BatchesMixin(UndoMixin):
    """Batched imports (see the module docstring)."""

    def import_events(self, events_in: Iterable[Event], reviewer: str = "", batch_size: int = IMPORT_BATCH,
                      total: int | None = None) -> int:
        """Store many events as ONE import, a batch per short transaction: all of them or none; return how many were added.

        The rows each batch writes stay hidden (tagged with the import's id) until
        a last short transaction makes all of them visible at once, so a
        reviewer's mark waits for one batch at most, never for the whole import.
        On any error the rows written so far are removed and the error raised.
        Events already stored (or repeated) are skipped. Undo reverts the whole
        import. ``total`` (the count, if ``events_in`` has no len) is for messages.
        """
        total = len(events_in) if total is None and hasattr(events_in, "__len__") else total
        with self.import_batches(reviewer) as batches:
            done, items = 0, iter(events_in)
            while batch := list(itertools.islice(items, batch_size)):
                self._import_batch(batches, batch, done + 1, total or 0)
                done += len(batch)
        return batches.added

    @contextlib.contextmanager
    def import_batches(self, reviewer: str = "") -> Iterator[ImportBatches]:
        """Begin one import; yield its :class:`ImportBatches`; make everything it wrote visible at the end.

        All or nothing: whatever the body (or the last step) raises removes the
        rows written so far, then is raised again. Removes what dead imports
        left first. The count added is in ``batches.added`` afterwards.
        """
        import_id = self._begin_import(reviewer)
        batches = ImportBatches(self, import_id, reviewer)  # type: ignore[arg-type]  # self is a Store
        try:
            yield batches
            self._finish_import(import_id, reviewer)
        except BaseException:
            with contextlib.suppress(Exception):  # if even that fails, the next import removes the rows (stale)
                self._drop_import(import_id)
            raise

    def _import_batch(self, batches: ImportBatches, batch: list[Event], first: int, total: int) -> int:
        """Validate one batch of Events (before the write lock is taken) and write it; return how many were added."""
        with self._read() as conn:
            cleaned, _ = self._clean_events(conn, batch, first, total, lock=False)
        now = utcnow()
        for ev in cleaned:
            ev.created_at = as_utc(ev.created_at) or now
            ev.updated_at = as_utc(ev.updated_at) or ev.created_at
            ev.reviewer, ev.version = ev.reviewer or batches.who, 1
        rows = render_rows(self._engine.dialect, [event_values(ev, batches.import_id) for ev in cleaned])
        return batches.write(list(zip(*rows)), {ev.recording_id for ev in cleaned})

    def _begin_import(self, reviewer: str) -> str:
        """Remove what dead imports left, then record a new pending import; return its id."""
        cutoff = utcnow() - timedelta(seconds=STALE_IMPORT_S)
        with self._read() as conn:
            stale = conn.execute(
                sa.select(imports.c.id).where(imports.c.state == "pending", imports.c.touched_at < cutoff)
            ).scalars().all()
        for dead in stale:
            self._drop_import(dead)
        with self._write(reviewer) as tx:
            tx.conn.execute(imports.insert().values(id=tx.txn, reviewer=tx.reviewer, state="pending",
                                                    started_at=tx.now, touched_at=tx.now))
            return tx.txn

    def _finish_import(self, import_id: str, reviewer: str) -> None:
        """Make the import visible in one short transaction: status changes, one change-log row per recording, done."""
        with _batch_write(self, reviewer, checkpoint=True) as tx:  # type: ignore[arg-type]  # self is a Store
            tx.txn = import_id
            counts = dict(tx.conn.execute(
                sa.select(events.c.recording_id, sa.func.count()).where(events.c.import_id == import_id)
                .group_by(events.c.recording_id)).all())
            # Status changes first: the newest change of the import (the one undo names) is an import row.
            self._mark_in_review(tx, list(counts))
            tx.log_many([("create", "import", import_id, rid, None, {"events": int(counts[rid])})
                         for rid in sorted(counts)])
            tx.conn.execute(imports.update().where(imports.c.id == import_id).values(state="done", touched_at=tx.now))

    def _drop_import(self, import_id: str) -> None:
        """Remove an unfinished import's rows, a batch per short transaction, then its record."""
        for table, column, key in ((events, events.c.import_id, events.c.id),
                                   (change_log, change_log.c.txn, change_log.c.id)):
            while True:
                with self._write(None) as tx:
                    ids = tx.conn.execute(sa.select(key).where(column == import_id).limit(IMPORT_BATCH)).scalars().all()
                    if not ids:
                        break
                    for start in range(0, len(ids), CHUNK):
                        tx.conn.execute(table.delete().where(key.in_(ids[start : start + CHUNK])))
        with self._write(None) as tx:
            tx.conn.execute(imports.delete().where(imports.c.id == import_id, imports.c.state == "pending"))
