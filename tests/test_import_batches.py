"""Batched imports: reviewers' marks are stored while a long import runs; a failed import leaves nothing behind."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import timedelta

import pytest

from annotate.errors import ValidationError
from annotate.formats import csv_stream, loads_events
from annotate.app.importing import import_events
from annotate.model import Event, Kind, Recording, Status, utcnow
from annotate.store import Store
from annotate.store.schema import change_log, events, imports

MOT, INT = Kind.MOMENT_OF_TRUTH, Kind.INTERNAL_INTERACTION


@pytest.fixture
def paths(tmp_path):
    path = tmp_path / "store.sqlite"
    return f"sqlite:///{path}", path


def _count(path, sql: str) -> int:
    con = sqlite3.connect(path)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


def _csv(n: int) -> bytes:
    rows = "".join(f"{('MOT', 'INT', 'DEC')[i % 3]},{i / 1000:.3f},label {i % 40},customer\n" for i in range(n))
    return ("kind,start_s,label,actor\n" + rows).encode()


def test_a_mark_is_stored_within_seconds_while_a_long_import_runs(paths):
    url, path = paths
    with Store(url) as importer, Store(url) as reviewer:
        rec = importer.add_recording(Recording(path="/v/a.mp4", title="a"))
        reviewer.add_event(Event(INT, 0.5, rec.id, label="before"))
        data = _csv(120_000)
        outcome: dict = {}

        def run() -> None:
            try:
                outcome["result"] = import_events(importer, rec.id, data, "big.csv", reviewer="importer")
            except BaseException as exc:  # pragma: no cover - reported below
                outcome["error"] = exc

        thread = threading.Thread(target=run)
        thread.start()
        deadline = time.monotonic() + 60
        while not _count(path, "SELECT count(*) FROM events WHERE import_id IS NOT NULL") and time.monotonic() < deadline:
            time.sleep(0.05)
        running = _count(path, "SELECT count(*) FROM imports WHERE state = 'pending'")
        started = time.monotonic()
        mark = reviewer.add_event(Event(Kind.DECISION_POINT, 7.25, rec.id, label="mark"), reviewer="bob")
        took = time.monotonic() - started
        seen = reviewer.list_events(rec.id)
        still_running = thread.is_alive()
        thread.join(300)
        assert "error" not in outcome, outcome.get("error")
        assert running == 1 and still_running, "the mark was not made during the import"
        assert took < 5.0, f"the mark waited {took:.1f} s for the import"
        assert [e.label for e in seen] == ["before", "mark"]  # the unfinished import's rows are hidden
        assert outcome["result"].added == 120_000
        assert reviewer.get_event(mark.id).label == "mark"
        assert len(reviewer.list_events(rec.id)) == 120_002
        assert _count(path, "SELECT count(*) FROM imports WHERE state = 'pending'") == 0


def test_a_failing_import_leaves_no_events_and_no_changes(paths):
    url, path = paths
    with Store(url) as store:
        rec = store.add_recording(Recording(path="/v/a.mp4", title="a", duration_s=100.0))
        kept = store.add_event(Event(MOT, 1.0, rec.id, label="kept"), reviewer="alice")
        batch = [Event(INT, (i % 90_000) / 1000, rec.id, label=f"e{i}") for i in range(12_000)]
        batch[11_990] = Event(INT, 250.0, rec.id, label="too late")  # in the third batch of 5,000
        with pytest.raises(ValidationError, match=r"^event 11991 of 12000: start_s 250.0 s is outside"):
            store.import_events(batch, reviewer="importer")
        assert [e.id for e in store.list_events(rec.id)] == [kept.id]
        assert _count(path, "SELECT count(*) FROM events") == 1
        assert _count(path, "SELECT count(*) FROM change_log WHERE entity = 'event'") == 1
        assert _count(path, "SELECT count(*) FROM imports") == 0
        assert store.get_recording(rec.id).status is Status.IN_REVIEW  # set by alice's event, not the import
        assert store.undo().entity_id == kept.id  # the failed import left nothing to undo


def test_a_batched_import_is_one_change_to_undo_and_skips_what_is_stored(paths):
    url, _ = paths
    with Store(url) as store:
        rec = store.add_recording(Recording(path="/v/a.mp4", title="a"))
        batch = [Event(MOT, i / 10, rec.id, label=f"e{i}") for i in range(23)]
        assert store.import_events(batch[:5], reviewer="importer", batch_size=4) == 5
        assert store.get_recording(rec.id).status is Status.IN_REVIEW
        assert store.import_events(batch, reviewer="importer", batch_size=4) == 18
        assert len(store.list_events(rec.id)) == 23
        store.undo(reviewer="importer")
        assert len(store.list_events(rec.id)) == 5
        store.undo(reviewer="importer")
        assert store.list_events(rec.id) == [] and store.get_recording(rec.id).status is Status.NEW


def test_rows_of_an_import_that_died_are_removed_by_the_next_one(paths):
    url, path = paths
    with Store(url) as store:
        rec = store.add_recording(Recording(path="/v/a.mp4", title="a"))
        old = utcnow() - timedelta(hours=1)
        with store._write_conn() as conn:  # what a killed process leaves: a pending import and some rows
            conn.execute(imports.insert().values(id="d" * 32, reviewer="", state="pending", started_at=old,
                                                 touched_at=old))
            conn.execute(events.insert().values(id="e" * 32, recording_id=rec.id, kind=MOT.value, start_ms=0,
                                                end_ms=None, label="", stage="", channel="", actor="", expectation="",
                                                emotion=None, note="", reviewer="", created_at=old, updated_at=old,
                                                deleted_at=None, version=1, import_id="d" * 32))
            conn.execute(change_log.insert().values(txn="d" * 32, at=old, reviewer="", action="create",
                                                    entity="event", entity_id="e" * 32, recording_id=rec.id))
        assert store.list_events(rec.id) == [] and store.history(recording_id=rec.id)[0].entity == "recording"
        assert store.import_events([Event(MOT, 1.0, rec.id)]) == 1
        assert _count(path, f"SELECT count(*) FROM events WHERE import_id = '{'d' * 32}'") == 0
        assert _count(path, f"SELECT count(*) FROM change_log WHERE txn = '{'d' * 32}'") == 0
        assert _count(path, "SELECT count(*) FROM imports WHERE state = 'pending'") == 0


def test_a_csv_import_with_a_bad_row_near_the_end_stores_nothing(paths):
    url, path = paths
    with Store(url) as store:
        rec = store.add_recording(Recording(path="/v/a.mp4", title="a"))
        store.add_event(Event(MOT, 1.0, rec.id, label="kept"))
        data = _csv(20_000) + b"purple,3.0,x,y\n" + _csv(3)[len(b"kind,start_s,label,actor\n"):]
        with pytest.raises(Exception, match="line 20002: unknown kind 'purple'"):
            import_events(store, rec.id, data, "big.csv")
        assert [e.label for e in store.list_events(rec.id)] == ["kept"]
        assert _count(path, "SELECT count(*) FROM events") == 1
        assert len(loads_events(_csv(3), recording=rec)) == 3


def test_column_milliseconds_are_nearest_ms_of_each_time():
    import random

    from annotate.store.bulk import ms_column
    from annotate.timebase import nearest_ms

    rng = random.Random(13)
    times = [rng.uniform(0, 86_400) for _ in range(20_000)] + [round(rng.uniform(0, 5000), 3) for _ in range(20_000)]
    times += [0.0005, 0.0015, 2.675, 1.0005, 4_503_599_627.3705, 0, 7]  # halves, near the exact limit, ints
    for column in (times, times + [None], [None, 1.0005, None], [], [1e300, 0.5], [float(2**60), None]):
        assert ms_column(column) == [None if t is None else nearest_ms(t) for t in column]


def test_a_streamed_import_stores_the_rows_an_event_import_does_and_leaves_checkpoints_as_they_were(paths, tmp_path):
    url, path = paths
    data = b"".join([b"kind,start_s,end_s,label,stage,emotion,note,reviewer\n"] + [_varied_row(i) for i in range(40_000)])
    other = f"sqlite:///{tmp_path / 'other.sqlite'}"
    with Store(url) as streamed, Store(other) as whole:
        for store in (streamed, whole):
            store.add_recording(Recording(path="/v/a.mp4", title="a", duration_s=60.0))
        chunks = csv_stream.stream_chunks(data, streamed.get_recording(1), None, "big.csv")
        assert sum(chunk.count for chunk in chunks) == 40_000  # the file takes the streamed path (columns)
        result = import_events(streamed, 1, data, "big.csv", reviewer="bob")
        events_in = loads_events(data, recording=whole.get_recording(1), source="big.csv")
        assert result.added == whole.import_events(events_in, reviewer="bob") == 40_000
        columns = ("id", "recording_id", "kind", "start_ms", "end_ms", "label", "stage", "channel", "actor",
                   "expectation", "emotion", "note", "reviewer", "version", "deleted_at")
        sql = f"SELECT {', '.join(columns)} FROM events ORDER BY id"
        assert _rows(path, sql) == _rows(tmp_path / "other.sqlite", sql)
        with streamed._engine.connect() as conn:  # the pooled connection checkpoints as SQLite does by default
            assert conn.connection.driver_connection.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000


def _rows(path, sql: str) -> list:
    con = sqlite3.connect(path)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _varied_row(i: int) -> bytes:
    """Return line ``i`` of a CSV with every kind of cell: points and spans, blanks, quoted notes, own reviewers."""
    end = "" if i % 2 else f"{i * 0.0007 + 1.25:.4f}"
    note = '"n, b' + "x" * 120 + '"' if i % 7 == 0 else "y" * (i % 150)
    emotion = str((i % 5) - 2) if i % 3 else ""
    cells = [("MOT", "INT", "DEC")[i % 3], f"{i * 0.0007:.4f}", end, f"l {i % 9}", f"s{i % 4}", emotion, note,
             "" if i % 2 else "ann"]
    return (",".join(cells) + "\n").encode()


class _Chunk:
    """Validated columns of ``count`` events, as ``csv_stream.Chunk`` gives them to ``import_chunks``."""

    def __init__(self, first: int, count: int):
        self.count = count
        self.columns = {"id": [f"c{i:031d}" for i in range(first, first + count)],
                        "kind": [MOT] * count, "start_s": [i / 1000 for i in range(first, first + count)]}


def _chunks_then(action, blocks: int = 3, rows: int = 15_000):
    """Yield ``blocks`` chunks of ``rows`` rows (many write batches each), calling ``action`` after the first.

    The first chunk's write is then under way on the writer thread.
    """
    for n in range(blocks):
        yield _Chunk(n * rows, rows)
        if n == 0:
            action()


@pytest.mark.parametrize("failure", ["reading", "writing"])
def test_an_import_failing_while_a_chunk_is_written_stores_nothing(paths, failure):
    from annotate.errors import NotFoundError
    from annotate.store.bulk import import_chunks

    url, path = paths
    with Store(url) as store, Store(url) as other:
        rec = store.add_recording(Recording(path="/v/a.mp4", title="a", duration_s=600.0))

        def fail() -> None:
            if failure == "reading":
                raise ValueError("the file went bad")  # while the writer thread still writes the first chunk
            other.delete_recording(rec.id)  # the next batch's write finds the recording gone

        with pytest.raises(ValueError if failure == "reading" else NotFoundError):
            import_chunks(store, rec.id, _chunks_then(fail), reviewer="ann")
        time.sleep(0.3)  # a write left running after the import was dropped would land now
        assert _count(path, "SELECT count(*) FROM events") == 0
        assert _count(path, "SELECT count(*) FROM imports") == 0
        assert _count(path, "SELECT count(*) FROM change_log WHERE entity = 'import'") == 0


@pytest.mark.parametrize("variable_limit", [None, 100])
def test_rows_written_as_columns_are_the_rows_a_plain_executemany_stores(paths, tmp_path, variable_limit):
    """Constant columns bound once, the rest numbered column by column: the same table as row-by-row inserts."""
    from annotate.store.batches import ROWS_PER_INSERT
    from annotate.store.rows import EVENT_COLUMNS

    url, path = paths
    count = 2 * ROWS_PER_INSERT + 37  # whole statements and a shorter last one
    stamp = "2026-01-01T00:00:00.000000+00:00"
    with Store(url) as store:
        rid = store.add_recording(Recording(path="/v/a.mp4", title="a", duration_s=600.0)).id
        with store.import_batches("ann") as batches:
            def rows(first: int) -> list[tuple]:
                return [(f"r{(first + i - (i == 5)) % (count + 5):031d}", rid, ("MOT", "INT")[i % 2], 10 * i,
                         None if i % 3 else 10 * i + 5, f"label {i % 7}", "", "", "agent" if i < 40 else "customer",
                         "", (i % 5) - 2 if i % 4 else None, "", "ann", stamp, stamp if i % 9 else "2026-02-02",
                         None, 1, batches.import_id) for i in range(count)]

            # Row 5 repeats row 4's id (the first counts); the second batch repeats 25 stored ids.
            first, again = rows(0), rows(count - 20)
            with store._engine.connect() as conn:
                if variable_limit:
                    conn.connection.driver_connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, variable_limit)
                conn.close()
            added = batches.write(list(zip(*first)), [rid]) + batches.write(list(zip(*again)), [rid])
    plain = sqlite3.connect(tmp_path / "plain.sqlite")
    plain.execute(f"CREATE TABLE events ({', '.join(EVENT_COLUMNS)}, UNIQUE (id))")
    plain.executemany(f"INSERT OR IGNORE INTO events VALUES ({', '.join('?' * len(EVENT_COLUMNS))})", first + again)
    names = ", ".join(c for c in EVENT_COLUMNS if c != "import_id")
    expected = plain.execute(f"SELECT {names} FROM events ORDER BY id").fetchall()
    assert added == len(expected) == count + 5
    assert _rows(path, f"SELECT {names} FROM events ORDER BY id") == expected
    assert _rows(path, "SELECT typeof(start_ms), typeof(end_ms), typeof(emotion) FROM events WHERE id = 'r" + "0" * 31 + "'") \
        == [("integer", "integer", "null")]
