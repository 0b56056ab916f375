"""List order for Arrow reads: SQLite gives the rows in index order, ties are put in order here.

``list_events`` orders by start, then ``created_at`` and ``id``; read by
recording, by recording first. ``ix_events_recording_start`` gives (recording,
start) order as SQLite walks it, but the rest of the ORDER BY makes SQLite copy
every row into a sorter for the rare rows that share a start (0.9 s of a
500,000-event read). So the Arrow reads on SQLite (``ColumnsMixin.event_tables``)
ask only for the index's order and sort each run of rows with equal keys by
``created_at`` and ``id`` here, with Arrow's stable sort, which compares text
byte by byte as SQLite's BINARY collation does. A run that reaches the end of a
batch is held back until it is complete.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator, Sequence

import numpy as np
import sqlalchemy as sa

from ..formats.arrays import int_values
from .schema import events

if TYPE_CHECKING:
    import pyarrow as pa

TIES = ("created_at", "id")  # what orders rows of equal keys (a table read for in_list_order holds them)


def index_order(q: sa.Select, by_recording: bool) -> tuple[sa.Select, list[str]]:
    """Return ``q`` ordered only by what the index gives (recording if ``by_recording``, then start) and the names
    of those keys."""
    keys = [events.c.recording_id, events.c.start_ms] if by_recording else [events.c.start_ms]
    return q.order_by(None).order_by(*keys), [k.name for k in keys]


def in_list_order(tables: Iterator[pa.Table], keys: Sequence[str], size: int) -> Iterator[pa.Table]:
    """Yield the rows of ``tables`` (ordered by ``keys``, integer columns) in list order: by ``keys``, then
    created_at and id; ``size`` rows a table but the last (none when there is no row)."""
    import pyarrow as pa

    pending: list[pa.Table] = []
    count = 0
    carry = None
    for table in tables:
        table = table if carry is None else pa.concat_tables([carry, table])
        cut = _last_run_start(table, keys)
        carry = table.slice(cut)
        done = _ties_sorted(table.slice(0, cut), keys)
        pending.append(done)
        count += done.num_rows
        while count >= size:
            whole = pa.concat_tables(pending)
            yield whole.slice(0, size)
            pending, count = [whole.slice(size)], count - size
    if carry is not None:
        pending.append(_ties_sorted(carry, keys))
    whole = pa.concat_tables(pending) if pending else None
    for start in range(0, whole.num_rows if whole is not None else 0, size):
        yield whole.slice(start, size)


def _key_values(table: pa.Table, keys: Sequence[str]) -> list[np.ndarray]:
    return [int_values(table.column(k).combine_chunks()) for k in keys]


def _last_run_start(table: pa.Table, keys: Sequence[str]) -> int:
    """Return the index of the first row of the table's last run of rows with equal keys (0 for none)."""
    if not table.num_rows:
        return 0
    same = np.logical_and.reduce([v == v[-1] for v in _key_values(table, keys)])
    other = np.flatnonzero(~same)
    return int(other[-1]) + 1 if len(other) else 0


def _ties_sorted(table: pa.Table, keys: Sequence[str]) -> pa.Table:
    """Return ``table`` (ordered by ``keys``, every run of equal keys complete) in list order."""
    if table.num_rows < 2:
        return table
    values = _key_values(table, keys)
    if not np.logical_and.reduce([v[1:] == v[:-1] for v in values]).any():
        return table
    import pyarrow.compute as pc

    order: Any = pc.sort_indices(table, sort_keys=[(k, "ascending") for k in (*keys, *TIES)])
    return table.take(order)
