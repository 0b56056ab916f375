"""A streamed import's rows written straight from columns: no Event objects, one executemany per batch.

``Store.import_events`` takes Event objects, validates each again, turns each
into a dict for the change log and JSON-encodes it one by one: most of an
import's time. A streamed CSV (``annotate.formats.csv_stream``) arrives as
columns already validated for its recording, so :func:`import_chunks` builds
the ``events`` rows and the ``create`` change-log rows (the very JSON
``Event.to_dict`` gives, so history, undo and the review page read them as
before: one create per event, all sharing the import's ``txn``) from the
columns, and writes them with the same hidden batched import as
``Store.import_events``: short transactions of IMPORT_BATCH rows tagged with the
import's id, made visible by one last short transaction, removed on any error.
"""

from __future__ import annotations

import contextlib
import json
from datetime import datetime, timezone
from typing import Any, Iterable

import sqlalchemy as sa

from ..model import clean_text, utcnow
from .rows import _EVENT_COLUMNS, _LOG_COLUMNS, as_utc
from .schema import events, imports

# The change-log JSON of an imported event: Event.to_dict() as JSONText writes it (sorted keys).
_AFTER = ('{{"actor": {actor}, "channel": {channel}, "created_at": {created}, "emotion": {emotion}, '
          '"end_s": {end}, "expectation": {expectation}, "id": "{id}", "kind": "{kind}", "label": {label}, '
          '"note": {note}, "recording_id": {rid}, "reviewer": {reviewer}, "stage": {stage}, "start_s": {start}, '
          '"updated_at": {updated}, "version": 1}}')
_TEXTS = ("label", "stage", "channel", "actor", "expectation", "note")


def import_chunks(store: Any, recording_id: int, chunks: Iterable[Any], reviewer: str = "") -> int:
    """Store the rows of ``chunks`` (``csv_stream.Chunk``: validated columns with ids) as ONE import; return how many were added.

    All or nothing: whatever a chunk raises (a bad block, NotStreamable) or a
    write raises removes the rows written so far, then is raised again. Events
    already stored are skipped. Raises NotFoundError for an unknown recording.
    """
    from .store import IMPORT_BATCH

    with store._read() as conn:
        store._recording_row(conn, recording_id)
    import_id = store._begin_import(reviewer)
    try:
        added, who = 0, clean_text(reviewer)
        for chunk in chunks:
            columns = _in_id_order(chunk.columns)
            for first in range(0, chunk.count, IMPORT_BATCH):
                last = min(first + IMPORT_BATCH, chunk.count)
                rows, logs = batch_rows(columns, first, last, recording_id, import_id, utcnow(), who)
                added += _write_batch(store, import_id, reviewer, recording_id, rows, logs)
        store._finish_import(import_id, reviewer, {recording_id} if added else set())
    except BaseException:
        with contextlib.suppress(Exception):  # if even that fails, the next import removes the rows (stale)
            store._drop_import(import_id)
        raise
    return added


def _in_id_order(columns: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """Return the columns with their rows sorted by id.

    Written in id order, each batch updates one stretch of the id indexes
    (events' key, the change log's entity) instead of pages all over them: a
    quarter of the pages written per commit for a 1M-row file.
    """
    ids = columns["id"]
    order = sorted(range(len(ids)), key=ids.__getitem__)
    return {name: list(map(values.__getitem__, order)) for name, values in columns.items()}


def batch_rows(columns: dict[str, list[Any]], first: int, last: int, rid: int, import_id: str, now: datetime,
               who: str) -> tuple[list[tuple], list[tuple]]:
    """Return the ``events`` rows and change-log rows (driver values, columns in rows.py's order) of rows first..last."""
    count = last - first

    def col(name: str, default: Any) -> list[Any]:
        values = columns.get(name)
        return values[first:last] if values is not None else [default] * count

    ids, kinds = columns["id"][first:last], [k.value for k in columns["kind"][first:last]]
    starts, ends = columns["start_s"][first:last], col("end_s", None)
    texts = {name: col(name, "") for name in _TEXTS}
    emotions = col("emotion", None)
    reviewers = [r or who for r in col("reviewer", "")]
    created = [as_utc(c) or now for c in col("created_at", None)]
    updated = [as_utc(u) if u is not None else c for u, c in zip(col("updated_at", None), created)]
    stored, iso = _stamps(created + updated)
    start_ms = [int(round(s * 1000)) for s in starts]
    end_ms = [None if e is None else int(round(e * 1000)) for e in ends]
    rows = list(zip(ids, [rid] * count, kinds, start_ms, end_ms, *(texts[n] for n in _TEXTS[:5]), emotions,
                    texts["note"], reviewers, map(stored.__getitem__, created), map(stored.__getitem__, updated),
                    [None] * count, [1] * count, [import_id] * count))
    encoded = {name: _json_texts(values) for name, values in (*texts.items(), ("reviewer", reviewers))}
    after = [
        _AFTER.format(actor=a, channel=ch, created=iso[c], emotion="null" if e is None else e,
                      end="null" if en is None else repr(en), expectation=ex, id=i, kind=k, label=lb, note=nt,
                      rid=rid, reviewer=rv, stage=st, start=repr(s), updated=iso[u])
        for a, ch, c, e, en, ex, i, k, lb, nt, rv, st, s, u in zip(
            encoded["actor"], encoded["channel"], created, emotions, ends, encoded["expectation"], ids, kinds,
            encoded["label"], encoded["note"], encoded["reviewer"], encoded["stage"], starts, updated)
    ]
    at = now.astimezone(timezone.utc).isoformat(timespec="microseconds")
    logs = [(import_id, at, who, "create", "event", i, rid, None, a, None, None) for i, a in zip(ids, after)]
    return rows, logs


def _stamps(values: list[datetime]) -> tuple[dict[datetime, str], dict[datetime, str]]:
    """Return each distinct datetime as the store keeps it (UTCDateTime) and as the change log's JSON writes it."""
    distinct = set(values)
    stored = {v: v.isoformat(timespec="microseconds") for v in distinct}
    return stored, {v: json.dumps(v.isoformat()) for v in distinct}


def _json_texts(values: list[str]) -> list[str]:
    """Return each text as a JSON string (``json.dumps(..., ensure_ascii=False)``), each distinct text encoded once."""
    cache = {v: json.dumps(v, ensure_ascii=False) for v in set(values)}
    return list(map(cache.__getitem__, values))


def _write_batch(store: Any, import_id: str, reviewer: str, rid: int, rows: list[tuple], logs: list[tuple]) -> int:
    """Insert one batch in one short transaction (ids already stored are skipped); return how many were added."""
    with store._write(reviewer) as tx:
        conn = tx.conn
        store._recording_row(conn, rid, lock=True)  # still there (and locked, on PostgreSQL)
        inserted = conn.exec_driver_sql(_insert_sql(conn, events.name, _EVENT_COLUMNS, skip="id"), rows).rowcount
        if inserted != len(rows):  # some ids were stored before: log only the rows this import wrote
            mine = _rows_of(conn, import_id, [r[0] for r in rows])
            logs = [log for log in logs if log[5] in mine]
        if logs:
            conn.exec_driver_sql(_insert_sql(conn, "change_log", _LOG_COLUMNS), logs)
        conn.execute(imports.update().where(imports.c.id == import_id).values(touched_at=tx.now))
        return len(logs)


def _rows_of(conn: Any, import_id: str, ids: list[str]) -> set[str]:
    """Return which of ``ids`` the import ``import_id`` wrote."""
    mine: set[str] = set()
    for start in range(0, len(ids), 500):
        q = sa.select(events.c.id).where(events.c.import_id == import_id, events.c.id.in_(ids[start : start + 500]))
        mine.update(conn.execute(q).scalars())
    return mine


def _insert_sql(conn: Any, table: str, names: tuple[str, ...], skip: str | None = None) -> str:
    """Return the INSERT of ``names`` for the driver's executemany; with ``skip``, rows whose key is stored are skipped."""
    quote = conn.dialect.identifier_preparer.quote
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sqlite = conn.dialect.name == "sqlite"
    head = "INSERT OR IGNORE INTO" if skip and sqlite else "INSERT INTO"
    tail = f" ON CONFLICT ({quote(skip)}) DO NOTHING" if skip and not sqlite else ""
    return (f"{head} {quote(table)} ({', '.join(map(quote, names))}) VALUES ({', '.join([mark] * len(names))}){tail}")
