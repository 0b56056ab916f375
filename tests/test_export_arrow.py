"""CSV export from Arrow tables of the stored values (Store.event_tables): ADBC on SQLite files, SQLAlchemy elsewhere.

The stored tables must write the very bytes the Event-by-Event writer gives
(dumps_events of list_events), whatever the reader, the chunk size, or a column
that is NULL in the first rows and set later; the Arrow cell kernels must give
exactly what the value-by-value writers give each value.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

from annotate.formats import dumps_events, write_event_tables
from annotate.formats.arrays import text_array
from annotate.formats.arrow_cells import stamp_cells, text_cells
from annotate.formats.cells import csv_cell_writer, iso_utc
from annotate.model import Event, Kind, Recording
from annotate.store import Store
from annotate.store.arrow_read import adbc_batches
from annotate.store.schema import UTCDateTime

TEXTS = ["", "a", "=1+2", "+x", "-3", "@a", "\tx", "\rx", "'quoted", 'say "hi"', "a,b", "a;b", "a\tb", "line\nbreak",
         "cr\r", "é😀 ünï", '=a,"b"', "'", '"', "-", "x=1", None]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_text_cells_are_what_the_cell_writer_writes_of_each_value(delimiter):
    write = csv_cell_writer(delimiter)
    assert text_cells(text_array(TEXTS), delimiter).to_pylist() == [write(v) for v in TEXTS]
    plain = ["label 1", "stage 2", ""] * 3  # nothing to neutralise or quote
    assert text_cells(text_array(plain), delimiter).to_pylist() == plain


def test_stamp_cells_are_iso_utc_of_the_stamp_read_back():
    column = UTCDateTime()
    base = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
    times = [base, base + timedelta(milliseconds=250), base + timedelta(microseconds=1234),
             datetime(1999, 12, 31, 23, 59, 59, 999000),
             datetime(2024, 5, 1, 14, 0, 0, 500000, tzinfo=timezone(timedelta(hours=2)))]
    stored = [column.process_bind_param(t, None) for t in times]
    stored += ["2024-05-01T12:00:00+00:00", "2024-05-01T14:00:00.5+02:00", None, stored[1], stored[1]]
    expected = [iso_utc(column.process_result_value(t, None)) for t in stored]
    assert stamp_cells(text_array(stored)).to_pylist() == expected
    assert expected[1] == "2024-05-01T12:00:00.250Z" and expected[2] == "2024-05-01T12:00:00.001234Z"
    with pytest.raises(ValueError):
        stamp_cells(text_array(["not a time"]))


def _fill(store: Store) -> list[Recording]:
    """Add two recordings whose first events have no end and no emotion (NULL in the first rows of those columns)."""
    recs = [store.add_recording(Recording(path=f"/v/{n}.mp4", title=t, duration_s=900.0, fps="25",
                                          content_hash=f"{n:040x}")) for n, t in ((1, "=one"), (2, 'two, "2"'))]
    for rec in recs:
        store.add_events([Event(kind=list(Kind)[i % 3], start_s=i * 0.5, recording_id=rec.id,
                                end_s=None if i < 30 else i * 0.5 + 0.25, emotion=None if i < 40 else i % 5 - 2,
                                label=f"l{i % 4}", note='a "note", here' if i % 9 == 0 else "",
                                channel="" if i < 35 else "chat")
                          for i in range(50)], reviewer="ann")
    return recs


@pytest.mark.parametrize("chunk", [1, 16, 1000])
def test_stored_tables_write_the_bytes_of_the_event_writer(store, tmp_path, chunk):
    recs = _fill(store)
    out = tmp_path / "all.csv"
    write_event_tables(out, store.event_tables(by_recording=True, chunk_size=chunk), {r.id: r for r in recs})
    events = [e for rec in recs for e in store.list_events(rec.id)]
    assert out.read_bytes() == dumps_events(events, {r.id: r for r in recs}, format="csv")
    tables = list(store.event_tables([recs[1].id], chunk_size=16))
    assert [t.num_rows for t in tables] == [16, 16, 16, 2]
    first = tables[0]
    assert first.column("end_ms").null_count == 16 and first.column("emotion").null_count == 16
    assert [v.as_py() for t in tables for v in t.column("end_ms")][30:32] == [15250, 15750]
    assert str(first.schema.field("label").type) == "string" and str(first.schema.field("start_ms").type) == "int64"


def test_an_in_memory_store_writes_the_same_bytes_through_sqlalchemy(tmp_path):
    with Store("sqlite://") as store:  # no file for ADBC: the SQLAlchemy partitions give the same tables
        recs = _fill(store)
        out = tmp_path / "memory.csv"
        write_event_tables(out, store.event_tables(by_recording=True, chunk_size=7), {r.id: r for r in recs})
        events = [e for rec in recs for e in store.list_events(rec.id)]
        assert out.read_bytes() == dumps_events(events, {r.id: r for r in recs}, format="csv")


def test_adbc_reads_a_column_null_in_the_first_rows_when_the_query_coalesces_it(tmp_path):
    path = tmp_path / "t.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (v TEXT, n INTEGER)")
        conn.executemany("INSERT INTO t VALUES (?, ?)", [(None, None)] * 30 + [("text", 7)] * 3)
    rows = [b for b in adbc_batches(str(path), "SELECT coalesce(CAST(v AS TEXT), '') AS v, CAST(n AS BIGINT) AS n "
                                               "FROM t", 10)]
    assert [b.num_rows for b in rows] == [10, 10, 10, 3]
    assert rows[-1].column(0).to_pylist() == ["text"] * 3 and rows[-1].column(1).to_pylist() == [7] * 3
    assert rows[0].column(1).null_count == 10


def test_a_read_sees_its_snapshot_while_other_connections_write(tmp_path):
    url = f"sqlite:///{tmp_path / 'wal.sqlite'}"
    with Store(url) as store, Store(url) as other:
        recs = _fill(store)
        before = sum(len(store.list_events(r.id)) for r in recs)
        tables = store.event_tables(by_recording=True, chunk_size=5)
        count = next(tables).num_rows
        other.add_event(Event(kind=Kind.MOMENT_OF_TRUTH, start_s=1.0, recording_id=recs[0].id), reviewer="bob")
        held = sqlite3.connect(tmp_path / "wal.sqlite", isolation_level=None)
        held.execute("BEGIN IMMEDIATE")  # a writer holding the write lock: the read goes on
        held.execute("UPDATE events SET label = 'changed'")
        count += sum(t.num_rows for t in tables)
        assert count == before
        assert sum(t.num_rows for t in store.event_tables(chunk_size=1000)) == before + 1
        held.execute("ROLLBACK")
        held.close()


@pytest.mark.parametrize("chunk", [1, 4, 16, 1000])
def test_rows_that_share_a_start_come_in_list_order_across_batches(store, chunk):
    recs = [store.add_recording(Recording(path=f"/v/t{n}.mp4", duration_s=60.0)) for n in range(2)]
    for round_ in range(3):  # three writes: three created_at stamps; ids at random within each
        for rec in recs:
            store.add_events([Event(kind=Kind.DECISION_POINT, start_s=s, recording_id=rec.id, label=f"r{round_}")
                              for s in [1.0] * 7 + [2.0] * 5 + [0.5 * round_]], reviewer="ann")
    for rids, by_recording in ((None, True), (None, False), ([recs[1].id], False)):
        expected = ([e.id for r in recs for e in store.list_events(r.id)] if by_recording else
                    [e.id for e in store.list_events(None if rids is None else rids[0])])
        tables = list(store.event_tables(rids, chunk_size=chunk, by_recording=by_recording))
        assert [v.as_py() for t in tables for v in t.column("id")] == expected
        assert all(t.num_rows == chunk for t in tables[:-1]) and 1 <= tables[-1].num_rows <= chunk


def test_stored_tables_leave_out_deleted_rows_and_unfinished_imports(store):
    recs = _fill(store)
    gone = store.list_events(recs[0].id)[3]
    store.delete_event(gone.id)
    dropped = store.add_recording(Recording(path="/v/dropped.mp4", duration_s=60.0))
    store.add_events([Event(kind=Kind.MOMENT_OF_TRUTH, start_s=1.0, recording_id=dropped.id)], reviewer="ann")
    store.delete_recording(dropped.id)
    expected = [e.id for r in store.list_recordings() for e in store.list_events(r.id)]
    with store.import_batches("zed") as hidden:  # a pending import: its rows stay hidden until it is done
        rows = [(f"h{i:031d}", recs[0].id, "moment_of_truth", 1000 * i, None, "hidden", "", "", "", "", None, "", "zed",
                 "2026-01-01T00:00:00.000000+00:00", "2026-01-01T00:00:00.000000+00:00", None, 1,
                 hidden.import_id) for i in range(3)]
        hidden.write([list(column) for column in zip(*rows)], [recs[0].id])  # write takes columns
        read = [v.as_py() for t in store.event_tables(by_recording=True, chunk_size=8) for v in t.column("id")]
        assert read == expected and gone.id not in read
    after = [v.as_py() for t in store.event_tables(by_recording=True) for v in t.column("id")]
    assert len(after) == len(expected) + 3 and after == [e.id for r in store.list_recordings()
                                                        for e in store.list_events(r.id)]


def test_a_read_stopped_early_ends_its_reader_and_a_bad_file_is_a_store_error(tmp_path):
    import threading

    from annotate.errors import StoreError

    with Store(f"sqlite:///{tmp_path / 'a.sqlite'}") as store:
        _fill(store)
        tables = store.event_tables(chunk_size=2)
        assert next(tables).num_rows == 2
        tables.close()
        assert not [t for t in threading.enumerate() if t.name == "annotate-adbc-read"]
    (tmp_path / "junk.sqlite").write_bytes(b"not a database" * 100)
    with pytest.raises(StoreError, match="cannot read the store"):
        list(adbc_batches(str(tmp_path / "junk.sqlite"), "SELECT 1", 10))
