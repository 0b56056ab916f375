"""A streamed import's rows written straight from columns: no Event objects, one executemany per batch.

A streamed CSV (``annotate.formats.csv_stream``) arrives as columns already
validated for its recording, so :func:`import_chunks` builds the ``events``
rows (driver values) from the columns and writes them through the store's one
import writer (``Store.import_batches``): short hidden transactions of
IMPORT_BATCH rows, made visible by one last short transaction, removed on any
error, logged as one change of the import (see ``store.batches``).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Iterable, Protocol

from ..model import utcnow
from ..timebase import nearest_ms
from .batches import IMPORT_BATCH
from .rows import as_utc

if TYPE_CHECKING:
    from .store import Store

_TEXTS = ("label", "stage", "channel", "actor", "expectation")


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
    with store.import_batches(reviewer) as batches:
        for chunk in chunks:
            columns = _in_id_order(chunk.columns)
            for first in range(0, chunk.count, IMPORT_BATCH):
                last = min(first + IMPORT_BATCH, chunk.count)
                rows = batch_rows(columns, first, last, recording_id, batches.import_id, utcnow(), batches.who)
                batches.write(rows, [recording_id])
    return batches.added


def _in_id_order(columns: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """Return the columns with their rows sorted by id.

    Written in id order, each batch updates one stretch of the events' key
    index instead of pages all over it.
    """
    ids = columns["id"]
    order = sorted(range(len(ids)), key=ids.__getitem__)
    return {name: list(map(values.__getitem__, order)) for name, values in columns.items()}


def ms_column(seconds: list[float | None]) -> list[int | None]:
    """Return a column of validated times in seconds as ``timebase.nearest_ms`` gives each; None stays None."""
    return [None if s is None else nearest_ms(s) for s in seconds]


def batch_rows(columns: dict[str, list[Any]], first: int, last: int, rid: int, import_id: str, now: datetime,
               who: str) -> list[tuple]:
    """Return the ``events`` rows (driver values, ``rows.EVENT_COLUMNS`` order) of rows first..last of ``columns``."""
    count = last - first

    def col(name: str, default: Any) -> list[Any]:
        values = columns.get(name)
        return values[first:last] if values is not None else [default] * count

    kinds = [k.value for k in columns["kind"][first:last]]
    reviewers = [r or who for r in col("reviewer", "")]
    created = [as_utc(c) or now for c in col("created_at", None)]
    updated = [as_utc(u) if u is not None else c for u, c in zip(col("updated_at", None), created)]
    stored = {v: v.isoformat(timespec="microseconds") for v in set(created + updated)}  # as UTCDateTime writes
    return list(zip(columns["id"][first:last], [rid] * count, kinds, ms_column(columns["start_s"][first:last]),
                    ms_column(col("end_s", None)), *(col(n, "") for n in _TEXTS), col("emotion", None),
                    col("note", ""), reviewers, map(stored.__getitem__, created), map(stored.__getitem__, updated),
                    [None] * count, [1] * count, [import_id] * count))
