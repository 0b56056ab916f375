"""Query results as Arrow record batches: SQLite files through ADBC's SQLite driver, anything else through SQLAlchemy.

ADBC (Apache Arrow's database connectivity, ``adbc-driver-sqlite``) steps
through the SQLite result in C and fills Arrow arrays directly: no Python
object per value, and the GIL is released meanwhile, so a reader thread reads
the next batch while the caller formats the last one (a 500,000-event export
reads in about a third of the CPU time the sqlite3 module takes). Its driver
infers each column's type from a batch's first rows, so the queries given here
must make every column's type certain: text columns never NULL (coalesced) and
integer columns cast. Other databases (PostgreSQL: a server-side cursor), an
in-memory SQLite, or a machine without the driver read the same query through
SQLAlchemy, and :func:`rows_table` turns each partition into the same Arrow table.
"""

from __future__ import annotations

import queue
import threading
from importlib.util import find_spec
from typing import Any, Iterator, Sequence
from urllib.parse import quote

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..errors import StoreError
from ..timebase import floor_ms
from .engine import busy_timeout_s

_AHEAD = 2  # batches read ahead of the consumer: the read of the next overlaps the formatting of this one


def sqlite_file(conn: Connection) -> str | None:
    """Return the file of a SQLite store that ADBC can read, or None (another database, in memory, no driver)."""
    if conn.dialect.name != "sqlite":
        return None
    if find_spec("adbc_driver_sqlite") is None:  # imported by the read: every command imports the store (17 ms)
        return None  # pragma: no cover - exercised only where the driver is missing
    database = conn.engine.url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return database


def sql_text(conn: Connection, q: sa.Select) -> str:
    """Return ``q`` as SQL text with its values written in (integers and SQLAlchemy-quoted strings)."""
    return str(q.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))


def adbc_batches(path: str, sql: str, rows: int) -> Iterator[Any]:
    """Yield the result of ``sql`` on the SQLite file ``path`` as pyarrow RecordBatches of up to ``rows`` rows.

    The file is opened read-only, with the store's busy timeout; one statement
    reads a consistent snapshot (WAL: writers go on meanwhile). A reader thread
    keeps up to two batches ahead. Raises StoreError when the driver fails (the
    file cannot be opened, or a value does not fit its column's type).
    """
    results: queue.Queue = queue.Queue(maxsize=_AHEAD)
    stop = threading.Event()
    thread = threading.Thread(target=_read, args=(path, sql, rows, results, stop), daemon=True,
                              name="annotate-adbc-read")
    thread.start()
    try:
        while True:
            item = results.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise StoreError(f"cannot read the store {path}: {item}") from item
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # let a reader blocked on a full queue see the stop
            try:
                results.get_nowait()
            except queue.Empty:
                thread.join(0.05)


def _read(path: str, sql: str, rows: int, results: queue.Queue, stop: threading.Event) -> None:
    """Put the batches of ``sql`` on ``results``, then None (or the exception that ended the read)."""
    import adbc_driver_manager as adbc
    import adbc_driver_sqlite
    import pyarrow as pa

    try:
        uri = f"file:{quote(path)}?mode=ro"
        with adbc_driver_sqlite.connect(uri) as db, adbc.AdbcConnection(db) as conn:
            with adbc.AdbcStatement(conn) as stmt:
                stmt.set_sql_query(f"PRAGMA busy_timeout = {floor_ms(busy_timeout_s())}")
                stmt.execute_update()
            with adbc.AdbcStatement(conn) as stmt:
                stmt.set_options(**{"adbc.sqlite.query.batch_rows": str(rows)})
                stmt.set_sql_query(sql)
                stream, _ = stmt.execute_query()
                reader = pa.RecordBatchReader._import_from_c(stream.address)
                try:
                    for batch in reader:  # read_next_batch releases the GIL while SQLite steps
                        if stop.is_set():
                            return
                        results.put(batch)
                finally:
                    reader.close()
        results.put(None)
    except Exception as exc:  # noqa: BLE001 - handed to the consumer, which raises it
        results.put(exc)


def rows_table(rows: Sequence[Sequence[Any]], names: Sequence[str], integers: Sequence[str]) -> Any:
    """Return result rows as a pyarrow Table of ``names``: the ``integers`` columns int64 (None: null), the rest
    strings, as :func:`adbc_batches` gives the same query. Raises TypeError for a value of another type."""
    import pyarrow as pa

    from ..formats.arrays import arrow_of, text_array

    columns = list(zip(*rows)) if rows else [()] * len(names)
    arrays = []
    for name, values in zip(names, columns):
        if name not in integers:
            arrays.append(text_array(list(values)))
            continue
        holes = np.fromiter((v is None for v in values), dtype=bool, count=len(values))
        ints = np.array([0 if v is None else v for v in values], dtype=np.int64)
        array = arrow_of(ints)
        if holes.any():
            array = pa.Array.from_buffers(pa.int64(), len(ints), [arrow_of(~holes).buffers()[1], array.buffers()[1]])
        arrays.append(array)
    return pa.Table.from_arrays(arrays, names=list(names))
