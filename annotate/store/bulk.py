"""A streamed import's rows written straight from columns: no Event objects, bulk inserts per batch, on a thread.

A streamed CSV (``annotate.formats.csv_stream``) arrives as columns already
validated for its recording, so :func:`import_chunks` builds the ``events``
rows (driver values) a whole column at a time (times by one numpy step, stamps
and kinds once per distinct value) and writes them through the store's one
import writer (``Store.import_batches``): short hidden transactions of
IMPORT_BATCH rows, made visible by one last short transaction, removed on any
error, logged as one change of the import (see ``store.batches``).
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import datetime
from typing import TYPE_CHECKING, Any, Iterable, Protocol

import numpy as np

from ..model import utcnow
from ..timebase import nearest_ms, nearest_ms_array
from .batches import IMPORT_BATCH
from .rows import as_utc

if TYPE_CHECKING:
    from .store import Store

_TEXTS = ("label", "stage", "channel", "actor", "expectation")
_EXACT_S = 2.0**52 / 1000  # seconds whose milliseconds numpy rounds exactly as nearest_ms does


class ColumnChunk(Protocol):
    """A block of validated rows as columns (``csv_stream.Chunk``)."""

    columns: dict[str, list[Any]]
    count: int


def import_chunks(store: Store, recording_id: int, chunks: Iterable[ColumnChunk], reviewer: str = "") -> int:
    """Store the rows of ``chunks`` (validated columns with ids) as ONE import; return how many were added.

    All or nothing: whatever a chunk raises (a bad block, NotStreamable) or a
    write raises removes the rows written so far, then is raised again. Events
    already stored are skipped. Raises NotFoundError for an unknown recording.
    """
    store.get_recording(recording_id)
    with store.import_batches(reviewer) as batches, _Writer(batches, recording_id) as writer:
        for chunk in chunks:
            writer.put(chunk_columns(chunk.columns, chunk.count, recording_id, batches.import_id, utcnow(), batches.who))
    return batches.added


class _Writer:
    """Write a chunk's rows (in IMPORT_BATCH transactions) on a thread while the next chunk is read.

    The database does most of a write with the GIL released, so reading the
    file and writing the rows overlap. At most one chunk is being written at a
    time; :meth:`put` and leaving the block raise what a write raised. Leaving
    the block waits for the write under way, so nothing is written after the
    import has finished or been dropped.
    """

    def __init__(self, batches: Any, recording_id: int):
        self.batches, self.recording_id = batches, recording_id
        self.pending: Future | None = None

    def __enter__(self) -> _Writer:
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-writer")
        return self

    def put(self, columns: list[list[Any]]) -> None:
        """Wait for the previous chunk's write (raising what it raised), then start writing the rows of ``columns``."""
        self._wait()
        self.pending = self.pool.submit(self._write, columns)

    def _write(self, columns: list[list[Any]]) -> None:
        count = len(columns[0])
        each = -(-count // -(-count // IMPORT_BATCH)) if count else 0  # even parts of at most IMPORT_BATCH rows
        for first in range(0, count, each or 1):
            self.batches.write([c[first : first + each] for c in columns], [self.recording_id])

    def _wait(self) -> None:
        pending, self.pending = self.pending, None
        if pending is not None:
            pending.result()

    def __exit__(self, kind: Any, *exc: Any) -> None:
        try:
            if kind is None:
                self._wait()
            elif self.pending is not None:
                wait([self.pending])  # the error already raised wins; this write is dropped with the import
        finally:
            self.pool.shutdown(wait=True)


def ms_column(seconds: list[float | None]) -> list[int | None]:
    """Return a column of validated times in seconds as ``timebase.nearest_ms`` gives each; None stays None.

    One numpy step for the column (the same half-to-even rounding of the same
    product) while every time is finite and small enough to round exactly;
    otherwise value by value.
    """
    holes = [i for i, s in enumerate(seconds) if s is None] if None in seconds else []
    try:
        arr = np.array([0.0 if s is None else s for s in seconds] if holes else seconds, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        arr = None
    if arr is None or arr.ndim != 1 or not np.isfinite(arr).all() or (np.abs(arr) > _EXACT_S).any():
        return [None if s is None else nearest_ms(s) for s in seconds]
    out: list[int | None] = nearest_ms_array(arr).tolist()
    for i in holes:
        out[i] = None
    return out


def chunk_columns(columns: dict[str, list[Any]], count: int, rid: int, import_id: str, now: datetime,
                  who: str) -> list[list[Any]]:
    """Return the ``events`` rows (driver values) of a chunk's columns as columns in ``rows.EVENT_COLUMNS`` order,
    the rows in id order.

    Written in id order, each batch updates one stretch of the events' key
    index instead of pages all over it. A column the chunk leaves out holds its
    one value on every row (the writer binds it once).
    """

    def col(name: str, default: Any) -> list[Any]:
        values = columns.get(name)
        return values if values is not None else [default] * count

    ids = columns["id"]
    order = sorted(range(count), key=ids.__getitem__)
    if all(i == k for k, i in enumerate(order)):  # already in id order (an export's ids, re-imported)
        order = None

    def sort(values: list[Any]) -> list[Any]:
        return values if order is None or values.count(values[0]) == count else [values[i] for i in order]

    kinds = _each_once(columns["kind"], lambda k: k.value)
    reviewers = [r or who for r in columns["reviewer"]] if "reviewer" in columns else [who] * count
    created = _each_once(col("created_at", None), lambda c: as_utc(c) or now)
    updated = [as_utc(u) if u is not None else c for u, c in zip(columns["updated_at"], created)] \
        if "updated_at" in columns else created
    stored = {v: v.isoformat(timespec="microseconds") for v in set(created + updated)}  # as UTCDateTime writes
    created_text = list(map(stored.__getitem__, created))
    updated_text = created_text if updated is created else list(map(stored.__getitem__, updated))
    out = [ids, [rid] * count, kinds, ms_column(columns["start_s"]), ms_column(col("end_s", None)),
           *(col(n, "") for n in _TEXTS), col("emotion", None), col("note", ""), reviewers, created_text,
           updated_text, [None] * count, [1] * count, [import_id] * count]
    return [sort(values) for values in out] if count else out


def _each_once(values: list[Any], fn: Any) -> list[Any]:
    """Return ``[fn(v) for v in values]`` with ``fn`` called once per distinct value."""
    done = {v: fn(v) for v in set(values)}
    return list(map(done.__getitem__, values))
