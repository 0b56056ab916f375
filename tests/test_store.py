"""The store suite: every test runs against a fresh SQLite file and against each URL in ANNOTATE_TEST_DB_URLS.

ANNOTATE_TEST_DB_URLS is a comma-separated list of SQLAlchemy URLs of PostgreSQL
databases (``postgresql+psycopg://user@host:port/db``); each test gets a fresh
schema there, dropped afterwards. What is really stored is read back without
the store: with the sqlite3 module for SQLite, with a plain connection for
PostgreSQL.
"""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from annotate import config
from annotate.errors import (
    ConflictError,
    DuplicateError,
    NothingToUndoError,
    NotFoundError,
    StoreError,
    UnknownKindError,
    ValidationError,
)
from annotate.model import CodeLabel, Codebook, Event, Kind, Recording, Status
from annotate.store import Change, Store
from annotate.store import schema
from annotate.store.migrations import MIGRATIONS
from annotate.testing.databases import backend_id, empty_database, raw_rows, server_urls

MOT, INT, DEC = Kind.MOMENT_OF_TRUTH, Kind.INTERNAL_INTERACTION, Kind.DECISION_POINT


@pytest.fixture(params=server_urls(), ids=backend_id)
def db_url(request, tmp_path):
    """Return the URL of an empty database: a new SQLite file, or a new PostgreSQL schema."""
    with empty_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def open_store(db_url):
    """Return a function opening a Store on the test database; every store is closed at the end."""
    opened: list[Store] = []

    def _open(**kwargs) -> Store:
        store = Store(db_url, **kwargs)
        opened.append(store)
        return store

    yield _open
    for store in opened:
        store.close()


@pytest.fixture
def store(open_store) -> Store:
    return open_store()


raw = raw_rows  # the rows read straight from the database, not through the Store


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def rec(path: str = "/videos/call.mp4", duration_s: float = 120.0, content_hash: str | None = None, **kw) -> Recording:
    return Recording(path=path, duration_s=duration_s, content_hash=content_hash or uuid.uuid4().hex, **kw)


def ev(recording_id: int, kind=MOT, start_s: float = 1.0, **kw) -> Event:
    return Event(kind=kind, start_s=start_s, recording_id=recording_id, **kw)


# --- recordings and events ----------------------------------------------------------


def test_add_list_get_events(store, db_url):
    r = store.add_recording(
        rec(title="Checkout call", fps="30000/1001", width=1280, height=720, info={"codec": "h264"})
    )
    assert r.id is not None and r.version == 1 and r.status is Status.NEW
    assert store.get_recording(r.id) == r
    assert r.fps == "30000/1001" and r.info == {"codec": "h264"}

    late = store.add_event(ev(r.id, DEC, 62.5, label="Choose delivery", emotion=1), reviewer="alice")
    early = store.add_event(ev(r.id, MOT, 0.001, end_s=2.25, label="Greeting", stage="Care"), reviewer="alice")
    mid = store.add_event(ev(r.id, INT, 10.0, label="Hand-off", actor="back office"), reviewer="bob")

    assert [e.id for e in store.list_events(r.id)] == [early.id, mid.id, late.id]
    assert [e.id for e in store.list_events(r.id, kinds=["MOT", "decision_point"])] == [early.id, late.id]
    assert [e.id for e in store.list_events(kinds=INT)] == [mid.id]
    got = store.get_event(early.id)
    assert got == early
    assert (got.kind, got.start_s, got.end_s, got.label, got.stage) == (MOT, 0.001, 2.25, "Greeting", "Care")
    assert got.reviewer == "alice" and got.version == 1
    assert got.created_at.tzinfo is not None and got.created_at.utcoffset() == timedelta(0)

    stored = dict(raw(db_url, "SELECT id, start_ms FROM events"))
    assert stored == {early.id: 1, mid.id: 10000, late.id: 62500}
    assert all(isinstance(v, int) for v in stored.values())
    assert raw(db_url, f"SELECT end_ms, emotion FROM events WHERE id = '{early.id}'") == [(2250, None)]
    assert raw(db_url, f"SELECT end_ms, emotion FROM events WHERE id = '{late.id}'") == [(None, 1)]


def test_millisecond_times_round_trip_exactly(store, db_url):
    r = store.add_recording(rec(duration_s=4000.0))
    times = [0.0, 0.001, 0.033, 1 / 3, 2 / 3, 59.999, 1001 / 30000 * 7, 3599.999, 3999.9996]
    added = [store.add_event(ev(r.id, MOT, t)) for t in times]
    expected_ms = [0, 1, 33, 333, 667, 59999, 234, 3599999, 4000000]
    stored = dict(raw(db_url, "SELECT id, start_ms FROM events"))
    assert [stored[e.id] for e in added] == expected_ms
    assert [store.get_event(e.id).start_s for e in added] == [ms / 1000 for ms in expected_ms]


def test_validation_errors_store_nothing(store, db_url):
    r = store.add_recording(rec(duration_s=30.0))
    with pytest.raises(ValidationError, match="outside the recording"):
        store.add_event(ev(r.id, MOT, 30.5))
    with pytest.raises(ValidationError, match="end_s"):
        store.add_event(ev(r.id, MOT, 5.0, end_s=31.0))
    with pytest.raises(ValidationError, match="before start_s"):
        store.add_event(ev(r.id, MOT, 5.0, end_s=4.0))
    with pytest.raises(ValidationError, match="emotion"):
        store.add_event(ev(r.id, MOT, 5.0, emotion=3))
    with pytest.raises(UnknownKindError):
        store.add_event(ev(r.id, "purple", 5.0))
    with pytest.raises(ValidationError, match="negative"):
        store.add_event(ev(r.id, MOT, -1.0))
    with pytest.raises(ValidationError, match="no recording_id"):
        store.add_event(Event(kind=MOT, start_s=1.0))
    with pytest.raises(NotFoundError, match="no recording 999"):
        store.add_event(ev(999, MOT, 1.0))
    with pytest.raises(ValidationError, match="event id"):
        store.add_event(ev(r.id, MOT, 1.0, id="x" * 33))
    assert store.add_event(ev(r.id, MOT, 30.0)).start_s == 30.0  # the last instant is inside

    assert raw(db_url, "SELECT count(*) FROM events") == [(1,)]
    actions = raw(db_url, "SELECT action, entity FROM change_log ORDER BY id")
    assert actions == [("create", "recording"), ("status", "recording"), ("create", "event")]
    assert store.get_recording(r.id).status is Status.IN_REVIEW


def test_recording_without_duration_accepts_any_time(store):
    r = store.add_recording(rec(duration_s=0.0))
    assert store.add_event(ev(r.id, MOT, 5000.0)).start_s == 5000.0


def test_update_event_checks_fields_and_values(store):
    r = store.add_recording(rec(duration_s=60.0))
    e = store.add_event(ev(r.id, MOT, 1.0), reviewer="alice")
    with pytest.raises(ValidationError, match="no editable field colour"):
        store.update_event(e.id, 1, colour="red")
    with pytest.raises(ValidationError, match="outside the recording"):
        store.update_event(e.id, 1, start_s=61.0)
    assert store.get_event(e.id).version == 1
    same = store.update_event(e.id, 1, label="")  # nothing changes: nothing written
    assert same.version == 1 and len(store.history(event_id=e.id)) == 1
    moved = store.update_event(e.id, 1, kind="DEC", start_s=2.5, end_s=3.0, label="Abandon", reviewer="bob")
    assert (moved.kind, moved.start_s, moved.end_s, moved.label, moved.version) == (DEC, 2.5, 3.0, "Abandon", 2)
    assert moved.reviewer == "alice"  # the event keeps its author; the change log names bob
    assert store.history(event_id=e.id)[0].reviewer == "bob"
    with pytest.raises(NotFoundError):
        store.update_event("0" * 32, 1, label="x")


# --- conflicts --------------------------------------------------------------------


def test_two_stores_on_one_database_conflict_instead_of_losing_an_update(open_store, db_url):
    app, cli = open_store(), open_store()
    r = app.add_recording(rec())
    e = app.add_event(ev(r.id, MOT, 3.0, label="Greeting"), reviewer="alice")
    seen_by_app, seen_by_cli = app.get_event(e.id), cli.get_event(e.id)
    assert seen_by_app.version == seen_by_cli.version == 1

    app.update_event(e.id, seen_by_app.version, reviewer="alice", label="Warm greeting")
    with pytest.raises(ConflictError) as info:
        cli.update_event(e.id, seen_by_cli.version, reviewer="bob", label="Cold greeting")
    message = str(info.value)
    assert "was changed by alice at" in message and "reload and apply your change again" in message
    assert "\n" not in message
    assert raw(db_url, f"SELECT label, version FROM events WHERE id = '{e.id}'") == [("Warm greeting", 2)]

    with pytest.raises(ConflictError):
        cli.delete_event(e.id, reviewer="bob", expected_version=1)
    fresh = cli.get_event(e.id)
    assert cli.update_event(e.id, fresh.version, reviewer="bob", label="Cold greeting").version == 3
    assert [c.reviewer for c in app.history(event_id=e.id)] == ["bob", "alice", "alice"]


def test_update_recording_conflict_and_fields(open_store):
    one, two = open_store(), open_store()
    r = one.add_recording(rec(title="Old"))
    changed = one.update_recording(r.id, reviewer="alice", expected_version=1, title="New", proxy_path="/p.mp4")
    assert (changed.title, changed.proxy_path, changed.version) == ("New", "/p.mp4", 2)
    with pytest.raises(ConflictError, match="recording .* was changed by alice"):
        two.update_recording(r.id, reviewer="bob", expected_version=1, title="Other")
    with pytest.raises(ValidationError, match="no editable field"):
        two.update_recording(r.id, id=5)
    with pytest.raises(ValidationError):
        two.update_recording(r.id, width=-3)
    assert two.get_recording(r.id).title == "New"


def _increment_note(url: str, event_id: str, times: int, name: str, results) -> None:
    """Worker of the two-process test: add 1 to the number in the event's note, ``times`` times."""
    store = Store(url)
    conflicts = 0
    try:
        done = 0
        while done < times:
            current = store.get_event(event_id)
            try:
                store.update_event(event_id, current.version, reviewer=name, note=str(int(current.note) + 1))
                done += 1
            except ConflictError:
                conflicts += 1
    finally:
        store.close()
    results.put((name, conflicts))


def test_two_processes_never_lose_an_update(store, db_url):
    r = store.add_recording(rec())
    e = store.add_event(ev(r.id, MOT, 1.0, note="0"))
    per_worker = 100
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    workers = [ctx.Process(target=_increment_note, args=(db_url, e.id, per_worker, f"w{i}", results)) for i in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert [w.exitcode for w in workers] == [0, 0]
    outcomes = dict(results.get(timeout=5) for _ in workers)
    final = store.get_event(e.id)
    assert int(final.note) == 2 * per_worker, outcomes
    assert final.version == 1 + 2 * per_worker
    updates = [c for c in store.history(event_id=e.id) if c.action == "update"]
    assert len(updates) == 2 * per_worker
    # Every update starts from the value the previous one left: none overwrote another unseen.
    chain = sorted((int(c.before["note"]), int(c.after["note"])) for c in updates)
    assert chain == [(i, i + 1) for i in range(2 * per_worker)]


# --- delete and undo --------------------------------------------------------------


def test_soft_delete_and_undo_restores(store, db_url):
    r = store.add_recording(rec())
    e = store.add_event(ev(r.id, INT, 4.0, label="Hold", note="caller waits"), reviewer="alice")
    other = store.add_event(ev(r.id, MOT, 5.0), reviewer="alice")
    deleted = store.delete_event(e.id, reviewer="bob")
    assert deleted.version == 2
    with pytest.raises(NotFoundError, match="deleted by bob"):
        store.get_event(e.id)
    assert [x.id for x in store.list_events(r.id)] == [other.id]
    assert {x.id for x in store.list_events(r.id, include_deleted=True)} == {e.id, other.id}
    row = raw(db_url, f"SELECT label, deleted_at FROM events WHERE id = '{e.id}'")
    assert row[0][0] == "Hold" and row[0][1] is not None and row[0][1].endswith("+00:00")

    change = store.undo(reviewer="bob")
    assert isinstance(change, Change) and change.action == "undo" and change.entity_id == e.id
    restored = store.get_event(e.id)
    assert (restored.label, restored.note, restored.kind, restored.start_s) == ("Hold", "caller waits", INT, 4.0)
    assert restored.version == 3
    assert raw(db_url, f"SELECT deleted_at FROM events WHERE id = '{e.id}'") == [(None,)]
    delete_row = store.history(event_id=e.id)[1]
    assert delete_row.action == "delete" and delete_row.undone_by == change.id and change.undoes == delete_row.id


def test_undo_update_create_and_status_walks_back(store, db_url):
    r = store.add_recording(rec(), reviewer="lead")
    a = store.add_event(ev(r.id, MOT, 1.0, label="Greeting"), reviewer="alice")
    store.update_event(a.id, 1, reviewer="alice", label="Form error", emotion=-2)
    store.set_status(r.id, "reviewed", reviewer="alice")
    assert store.get_recording(r.id).status is Status.REVIEWED

    assert store.undo().action == "undo"
    assert store.get_recording(r.id).status is Status.IN_REVIEW
    store.undo()
    back = store.get_event(a.id)
    assert (back.label, back.emotion, back.version) == ("Greeting", None, 3)
    store.undo()  # the create, and the status change it caused
    with pytest.raises(NotFoundError):
        store.get_event(a.id)
    assert store.get_recording(r.id).status is Status.NEW
    store.undo()  # the recording itself
    assert store.list_recordings() == []
    with pytest.raises(NothingToUndoError):
        store.undo()
    actions = raw(db_url, "SELECT action, undone_by IS NOT NULL FROM change_log WHERE action <> 'undo' ORDER BY id")
    assert [a for a, _ in actions] == ["create", "status", "create", "update", "status"]
    assert all(done for _, done in actions)


def test_undo_by_reviewer_and_recording(store):
    r1, r2 = store.add_recording(rec("/v/1.mp4")), store.add_recording(rec("/v/2.mp4"))
    a = store.add_event(ev(r1.id, MOT, 1.0), reviewer="alice")
    b = store.add_event(ev(r2.id, DEC, 2.0), reviewer="bob")
    c = store.add_event(ev(r1.id, INT, 3.0), reviewer="bob")
    undone = store.undo(reviewer="alice")
    assert undone.entity_id == a.id and undone.reviewer == "alice"
    assert store.undo(recording_id=r2.id).entity_id == b.id
    assert [e.id for e in store.list_events()] == [c.id]
    with pytest.raises(NothingToUndoError, match="by alice"):
        store.undo(reviewer="alice")
    assert store.undo(reviewer="bob", by="carol").reviewer == "carol"
    assert store.list_events() == []


def test_undo_refuses_to_overwrite_a_later_change(store):
    r = store.add_recording(rec())
    e = store.add_event(ev(r.id, MOT, 1.0, label="Greeting"), reviewer="alice")
    store.update_event(e.id, 1, reviewer="bob", label="Long wait")
    with pytest.raises(ConflictError, match="bob made a later update"):
        store.undo(reviewer="alice")
    assert store.get_event(e.id).label == "Long wait"
    store.undo(reviewer="bob")
    store.undo(reviewer="alice")  # now nothing of bob's is in the way
    with pytest.raises(NotFoundError):
        store.get_event(e.id)


def test_change_log_holds_before_and_after(store, db_url):
    r = store.add_recording(rec())
    e = store.add_event(ev(r.id, MOT, 1.0, label="Greeting"), reviewer="alice")
    store.update_event(e.id, 1, reviewer="bob", label="Problem resolved", start_s=1.5)
    store.delete_event(e.id, reviewer="carol")
    log = store.history(event_id=e.id)
    assert [(c.action, c.reviewer) for c in log] == [("delete", "carol"), ("update", "bob"), ("create", "alice")]
    delete, update, create = log
    assert create.before is None and create.after["label"] == "Greeting" and create.after["version"] == 1
    assert (update.before["label"], update.after["label"]) == ("Greeting", "Problem resolved")
    assert (update.before["start_s"], update.after["start_s"]) == (1.0, 1.5)
    assert "deleted_at" not in delete.before and delete.after["deleted_at"]
    assert all(c.recording_id == r.id and c.entity == "event" and c.at.utcoffset() == timedelta(0) for c in log)
    assert log[0].at >= log[1].at >= log[2].at

    sql = f"SELECT reviewer, action, before, after, at FROM change_log WHERE entity_id = '{e.id}' ORDER BY id"
    rows = raw(db_url, sql)
    assert [(who, act) for who, act, *_ in rows] == [("alice", "create"), ("bob", "update"), ("carol", "delete")]
    assert json.loads(rows[1][2])["label"] == "Greeting" and json.loads(rows[1][3])["label"] == "Problem resolved"
    assert rows[0][2] is None
    assert datetime.fromisoformat(rows[2][4]) == delete.at
    assert [c.id for c in store.history(limit=2)] == [delete.id, update.id]
    assert {c.recording_id for c in store.history(recording_id=r.id)} == {r.id}


# --- many events at once ---------------------------------------------------------


def test_add_events_is_all_or_nothing(store, db_url):
    r = store.add_recording(rec(duration_s=60.0))
    batch = [ev(r.id, MOT, 1.0), ev(r.id, INT, 2.0), ev(r.id, DEC, 3.0), ev(r.id, MOT, 75.0), ev(r.id, MOT, 5.0)]
    with pytest.raises(ValidationError, match=r"^event 4 of 5: start_s 75.0 s is outside"):
        store.add_events(batch, reviewer="importer")
    other = store.add_recording(rec("/v/other.mp4"))
    mixed = [ev(r.id, MOT, 1.0), ev(other.id, MOT, 1.0), ev(12345, MOT, 1.0)]
    with pytest.raises(NotFoundError, match="^event 3 of 3: no recording 12345"):
        store.add_events(mixed)
    assert raw(db_url, "SELECT count(*) FROM events") == [(0,)]
    assert raw(db_url, "SELECT count(*) FROM change_log WHERE entity = 'event'") == [(0,)]
    assert store.get_recording(r.id).status is Status.NEW

    added = store.add_events(batch[:3] + batch[4:], reviewer="importer")
    assert len(added) == 4 and all(e.version == 1 and e.reviewer == "importer" for e in added)
    assert raw(db_url, "SELECT count(*) FROM events") == [(4,)]
    assert len({c.txn for c in store.history(recording_id=r.id) if c.action != "create" or c.entity == "event"}) == 1


def test_add_events_skip_existing(store, db_url):
    r = store.add_recording(rec())
    first = store.add_events([ev(r.id, MOT, t) for t in (1.0, 2.0, 3.0)])
    again = [e.replace(label="changed", created_at=None, updated_at=None) for e in first]
    new = [ev(r.id, DEC, 4.0), ev(r.id, INT, 5.0)]
    added = store.add_events(again + new + [new[0]])
    assert [e.id for e in added] == [e.id for e in new]
    assert all(store.get_event(e.id).label == "" for e in first)  # existing ones untouched
    with pytest.raises(DuplicateError, match=first[0].id):
        store.add_events([ev(r.id, MOT, 9.0), first[0]], skip_existing=False)
    with pytest.raises(DuplicateError):
        store.add_event(first[1])
    assert raw(db_url, "SELECT count(*) FROM events") == [(5,)]
    assert store.add_events(first) == []


def test_add_events_keeps_imported_stamps_and_undo_reverts_the_whole_import(store, db_url):
    r = store.add_recording(rec())
    store.add_event(ev(r.id, MOT, 0.5), reviewer="alice")
    stamp = datetime(2024, 2, 29, 23, 59, 58, 123456, tzinfo=timezone(timedelta(hours=2)))
    naive = datetime(2024, 3, 1, 8, 0, 0)
    imported = store.add_events(
        [
            ev(r.id, MOT, 1.0, created_at=stamp, updated_at=stamp, reviewer="dana"),
            ev(r.id, INT, 2.0, created_at=naive),
            ev(r.id, DEC, 3.0),
        ],
        reviewer="importer",
    )
    first = store.get_event(imported[0].id)
    assert first.created_at == stamp and first.created_at.utcoffset() == timedelta(0)
    assert first.created_at.isoformat() == "2024-02-29T21:59:58.123456+00:00" and first.reviewer == "dana"
    assert store.get_event(imported[1].id).created_at == naive.replace(tzinfo=timezone.utc)
    assert [store.get_event(e.id) for e in imported] == imported
    stored = raw(db_url, f"SELECT created_at FROM events WHERE id = '{imported[0].id}'")
    assert stored == [("2024-02-29T21:59:58.123456+00:00",)]

    store.undo(reviewer="importer")
    assert len(store.list_events(r.id)) == 1
    assert store.list_events(r.id)[0].reviewer == "alice"


# --- migrations and the file on disk ---------------------------------------------


def test_migrations_recorded_and_idempotent_on_reopen(open_store, db_url):
    first = open_store()
    assert first.schema_version() == max(n for n, _, _ in MIGRATIONS) == MIGRATIONS[-1][0]
    rows = raw(db_url, "SELECT number, name, applied_at FROM schema_migrations ORDER BY number")
    assert [(n, name) for n, name, _ in rows] == [(n, name) for n, name, _ in MIGRATIONS]
    assert all(datetime.fromisoformat(at).utcoffset() == timedelta(0) for _, _, at in rows)
    r = first.add_recording(rec())
    first.close()

    again = open_store()
    assert raw(db_url, "SELECT number, name, applied_at FROM schema_migrations ORDER BY number") == rows
    assert again.get_recording(r.id).path == r.path
    assert [n for n, _, _ in again.applied_migrations()] == [n for n, _, _ in MIGRATIONS]


def test_opening_an_older_database_applies_only_the_missing_migrations(open_store, db_url):
    old = open_store(migrations_list=MIGRATIONS[:1])
    assert old.schema_version() == 1
    assert raw(db_url, "SELECT count(*) FROM codebook") == [(0,)]  # migration 3 seeds it
    one = raw(db_url, "SELECT number, applied_at FROM schema_migrations")
    old.close()

    new = open_store()
    assert new.schema_version() == MIGRATIONS[-1][0]
    rows = raw(db_url, "SELECT number, applied_at FROM schema_migrations ORDER BY number")
    assert rows[0] == one[0] and [n for n, _ in rows] == [n for n, _, _ in MIGRATIONS]
    assert raw(db_url, "SELECT count(*) FROM codebook") == [(1,)]


def test_migrated_tables_match_the_schema_module(store, db_url):
    engine = sa.create_engine(db_url)
    try:
        inspector = sa.inspect(engine)
        for table in schema.metadata.sorted_tables:
            stored = {c["name"] for c in inspector.get_columns(table.name)}
            assert stored == {c.name for c in table.columns}, table.name
        indexes = {i["name"]: i for i in inspector.get_indexes("recordings")}
        assert indexes["ux_recordings_live_hash"]["unique"]
    finally:
        engine.dispose()


def test_sqlite_file_is_wal_with_foreign_keys_and_busy_timeout(tmp_path):
    path = tmp_path / "data" / "annotate.sqlite"
    store = Store(f"sqlite:///{path}")
    try:
        r = store.add_recording(rec())
        store.add_event(ev(r.id, MOT, 1.0))
        con = sqlite3.connect(path)
        try:
            assert con.execute("PRAGMA journal_mode").fetchone() == ("wal",)
            assert con.execute("SELECT count(*) FROM events").fetchone() == (1,)
            tables = {n for (n,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            assert {"recordings", "events", "codebook", "change_log", "schema_migrations"} <= tables
        finally:
            con.close()
        assert (tmp_path / "data" / "annotate.sqlite-wal").exists()
        with store._engine.connect() as conn:  # the store's own connections
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    finally:
        store.close()


def test_store_open_uses_the_data_directory(tmp_path, monkeypatch):
    monkeypatch.delenv("ANNOTATE_DB", raising=False)
    settings = config.resolve(data_dir=tmp_path / "annotate-data")
    store = Store.open(settings)
    try:
        assert (tmp_path / "annotate-data" / "annotate.sqlite").is_file()
        assert settings.media_dir.is_dir() and settings.proxy_dir.is_dir()
        assert store.url.endswith("annotate-data/annotate.sqlite") and store.schema_version() == MIGRATIONS[-1][0]
    finally:
        store.close()


def test_unusable_urls_are_store_errors(tmp_path):
    with pytest.raises(StoreError, match="not a database URL"):
        Store("no url at all")
    with pytest.raises(StoreError, match="not supported"):
        Store("mysql+nosuchdriver://x@localhost/db")
    (tmp_path / "dir.sqlite").mkdir()
    with pytest.raises(StoreError, match="cannot use the database"):
        Store(f"sqlite:///{tmp_path / 'dir.sqlite'}")


# --- recordings ----------------------------------------------------------------------


def test_status_moves_to_in_review_on_the_first_event_only(store):
    r = store.add_recording(rec())
    assert r.status is Status.NEW
    store.add_event(ev(r.id, MOT, 1.0))
    assert store.get_recording(r.id).status is Status.IN_REVIEW
    store.set_status(r.id, Status.REVIEWED, reviewer="lead")
    store.add_event(ev(r.id, DEC, 2.0))
    assert store.get_recording(r.id).status is Status.REVIEWED
    with pytest.raises(ValidationError, match="unknown status"):
        store.set_status(r.id, "finished")
    assert store.set_status(r.id, "In review").status is Status.IN_REVIEW


def test_recording_summaries_count_live_events_by_kind(store):
    a, b, c = (store.add_recording(rec(f"/v/{n}.mp4")) for n in "abc")
    store.add_events([ev(a.id, MOT, 1.0), ev(a.id, MOT, 2.0), ev(a.id, DEC, 3.0), ev(b.id, INT, 1.0)])
    gone = store.add_event(ev(a.id, INT, 4.0))
    store.delete_event(gone.id)
    store.delete_recording(c.id)
    summaries = store.recording_summaries()
    assert [s["recording"].id for s in summaries] == [a.id, b.id]
    assert summaries[0]["event_counts"] == {"moment_of_truth": 2, "internal_interaction": 0, "decision_point": 1}
    assert summaries[1]["event_counts"] == {"moment_of_truth": 0, "internal_interaction": 1, "decision_point": 0}
    last_a = summaries[0]["last_change"]
    assert last_a == store.history(recording_id=a.id, limit=1)[0].at and last_a.utcoffset() == timedelta(0)
    assert summaries[1]["last_change"] <= last_a


def test_events_version_changes_with_every_event_change(store):
    r, other = store.add_recording(rec("/v/r.mp4")), store.add_recording(rec("/v/o.mp4"))
    seen = [store.events_version(r.id)]
    other_version = store.events_version(other.id)
    e = store.add_event(ev(r.id, MOT, 1.0))
    seen.append(store.events_version(r.id))
    store.update_event(e.id, 1, label="Greeting")
    seen.append(store.events_version(r.id))
    assert store.events_version(r.id) == seen[-1]  # reading changes nothing
    store.delete_event(e.id)
    seen.append(store.events_version(r.id))
    store.undo()
    seen.append(store.events_version(r.id))
    store.undo()
    seen.append(store.events_version(r.id))
    assert len(set(seen)) == len(seen)
    assert store.events_version(other.id) == other_version
    with pytest.raises(NotFoundError):
        store.events_version(9999)


def test_duplicate_content_hash_names_the_existing_recording(store):
    first = store.add_recording(rec("/v/a.mp4", content_hash="f00d" * 16, title="Checkout"))
    with pytest.raises(DuplicateError, match=f"already registered as recording {first.id} \\('Checkout'\\)"):
        store.add_recording(rec("/v/copy-of-a.mp4", content_hash="f00d" * 16))
    other = store.add_recording(rec("/v/b.mp4"))
    with pytest.raises(DuplicateError):
        store.update_recording(other.id, content_hash="f00d" * 16)
    store.add_recording(rec("/v/c.mp4", content_hash=""))  # unknown hashes never clash
    store.add_recording(rec("/v/d.mp4", content_hash=""))

    store.delete_recording(first.id)
    again = store.add_recording(rec("/v/a.mp4", content_hash="f00d" * 16))
    assert again.id != first.id
    with pytest.raises(DuplicateError):  # undoing the delete would make two live copies
        store.undo(recording_id=first.id)


def test_delete_recording_hides_its_events_until_undone(store):
    r = store.add_recording(rec())
    e = store.add_event(ev(r.id, MOT, 1.0))
    store.delete_recording(r.id, reviewer="lead")
    assert store.list_recordings() == [] and store.list_events() == []
    with pytest.raises(NotFoundError, match="deleted"):
        store.get_recording(r.id)
    with pytest.raises(NotFoundError):
        store.get_event(e.id)
    with pytest.raises(NotFoundError):
        store.add_event(ev(r.id, MOT, 2.0))
    store.undo()
    assert store.get_event(e.id) == e and [x.id for x in store.list_recordings()] == [r.id]


def test_find_recording_by_id_path_or_hash(store, tmp_path, monkeypatch):
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"x")
    r = store.add_recording(rec(str(video.resolve()), content_hash="ab" * 32))
    assert store.find_recording(r.id) == r
    assert store.find_recording(str(r.id)) == r
    assert store.find_recording(str(video)) == r
    monkeypatch.chdir(tmp_path)
    assert store.find_recording("clip.mp4") == r
    assert store.find_recording("ab" * 32) == r
    with pytest.raises(NotFoundError, match="no recording matches 'nope.mp4'"):
        store.find_recording("nope.mp4")
    with pytest.raises(NotFoundError):
        store.find_recording(404)


# --- codebook ---------------------------------------------------------------------


def test_codebook_round_trip(open_store, db_url):
    store = open_store()
    assert store.get_codebook() == Codebook()
    book = Codebook(
        stages=["Arrive", "Queue", "Pay"],
        channels=["Store"],
        actors=["customer", "cashier"],
        labels={MOT: [CodeLabel("Smile", "s")], INT: [CodeLabel("Price check")], DEC: []},
        hotkeys={MOT: "m", INT: "i", DEC: "d"},
    )
    assert store.set_codebook(book, reviewer="lead") == book
    assert open_store().get_codebook() == book
    stored = json.loads(raw(db_url, "SELECT data FROM codebook")[0][0])
    assert stored["stages"] == ["Arrive", "Queue", "Pay"]
    assert stored["labels"]["moment_of_truth"] == [{"text": "Smile", "hotkey": "s"}]

    with pytest.raises(ValidationError, match="hotkey"):
        store.set_codebook(Codebook(hotkeys={MOT: "m", INT: "m", DEC: "d"}))
    assert store.get_codebook() == book
    change = store.history(limit=1)[0]
    assert (change.entity, change.action, change.reviewer) == ("codebook", "update", "lead")
    assert change.after["codebook"]["stages"] == ["Arrive", "Queue", "Pay"]
    store.undo()
    assert store.get_codebook() == Codebook()


# --- imports: one change of the import, not one per event -------------------------------


def test_an_import_is_logged_once_per_recording_and_names_its_reviewer(store, db_url):
    a, b = store.add_recording(rec()), store.add_recording(rec(path="/videos/b.mp4"))
    batch = [ev(a.id, start_s=i / 10, label=f"a{i}") for i in range(7)] + [ev(b.id, INT, 2.0, label="b")]
    assert store.import_events(batch, reviewer="ann", batch_size=3) == 8
    logged = raw(db_url, "SELECT action, entity, recording_id, reviewer FROM change_log WHERE entity != 'recording'")
    assert sorted(logged) == [("create", "import", a.id, "ann"), ("create", "import", b.id, "ann")]
    changes = [c for c in store.history() if c.entity == "import"]
    assert {c.recording_id: c.after for c in changes} == {a.id: {"events": 7}, b.id: {"events": 1}}
    assert len({c.txn for c in changes}) == 1 and changes[0].entity_id == changes[0].txn
    imported = store.list_events(a.id)[3]
    assert [c.entity for c in store.history(event_id=imported.id)] == ["import"]
    with pytest.raises(ConflictError, match=r"was changed by ann at \d{4}-"):
        store.update_event(imported.id, 0, label="stale")  # the conflict names who imported it


def test_undo_of_an_import_waits_for_later_changes_of_its_events(store):
    r = store.add_recording(rec())
    store.import_events([ev(r.id, start_s=i / 10) for i in range(5)], reviewer="ann")
    target = store.list_events(r.id)[2]
    store.update_event(target.id, target.version, reviewer="bob", label="edited")
    with pytest.raises(ConflictError, match=r"cannot undo the create of the import's event .* bob made a later update"):
        store.undo(reviewer="ann")
    assert len(store.list_events(r.id)) == 5  # nothing reverted
    store.undo(reviewer="bob")
    change = store.undo(reviewer="ann")
    assert (change.action, change.entity, change.after["events"]) == ("undo", "import", 5)
    assert store.list_events(r.id) == [] and store.get_recording(r.id).status is Status.NEW
    assert {e.version for e in store.list_events(r.id, include_deleted=True)} == {2, 4}  # each soft-deleted once
    with pytest.raises(NothingToUndoError):
        store.undo(reviewer="ann")


def test_streamed_and_event_imports_store_the_same_milliseconds_at_edge_times(store, db_url):
    from annotate.store.bulk import ms_column
    from annotate.timebase import nearest_ms, round_seconds

    edges = [0.0, 0.001, 0.0005, 0.1 + 0.2, 1.005, 2.675, 59.999, 3599.9995, 86_399.999, 1e6 + 0.123, 4_000_000.001]
    validated = [round_seconds(t) for t in edges]  # events reach the store rounded to the millisecond
    r = store.add_recording(rec(duration_s=0))
    store.import_events([ev(r.id, start_s=t, id=f"e{i:02d}") for i, t in enumerate(validated)])
    stored = [ms for (ms,) in raw(db_url, "SELECT start_ms FROM events ORDER BY id")]
    assert stored == ms_column(validated) == [nearest_ms(t) for t in validated]
    assert stored[9] == 1_000_000_123 and ms_column([None]) == [None]


# --- reads in columns -----------------------------------------------------------------------------


def _listed(events_list) -> dict:
    """Return list_events' events as the columns event_columns gives."""
    from annotate.store.columns import EVENT_COLUMN_NAMES

    def value(e: Event, name: str):
        return e.kind.value if name == "kind" else getattr(e, name)

    return {name: [value(e, name) for e in events_list] for name in EVENT_COLUMN_NAMES}


def _joined(chunks) -> dict:
    out: dict = {}
    for chunk in chunks:
        for name, values in chunk.items():
            out.setdefault(name, []).extend(values)
    return out


def test_event_columns_hold_exactly_the_rows_list_events_returns(store):
    a, b = store.add_recording(rec()), store.add_recording(rec(path="/videos/b.mp4"))
    store.import_events([ev(a.id, (MOT, INT, DEC)[i % 3], (i * 7) % 50 + 0.5, label=f"l{i}", note="n" if i % 4 else "",
                            emotion=(i % 5) - 2, end_s=None if i % 2 else 60.25) for i in range(40)], reviewer="ann")
    store.add_event(ev(b.id, INT, 3.0, label="by hand", stage="Care"), reviewer="bob")
    gone = store.add_event(ev(b.id, DEC, 4.0))
    store.delete_event(gone.id)
    for rids, kinds, deleted in [(None, None, False), ([a.id], [MOT, "dec"], False), ([b.id], None, True)]:
        expected = [e for rid in (rids or [None]) for e in store.list_events(rid, kinds, include_deleted=deleted)]
        chunks = list(store.event_columns(rids, kinds, chunk_size=7, include_deleted=deleted))
        assert [len(c["id"]) for c in chunks[:-1]] == [7] * (len(chunks) - 1) and 1 <= len(chunks[-1]["id"]) <= 7
        assert _joined(chunks) == _listed(expected)
    tables = list(store.event_tables([a.id], chunk_size=16))
    assert [t.num_rows for t in tables] == [16, 16, 8]
    assert [v.as_py() for t in tables for v in t.column("label")] == [e.label for e in store.list_events(a.id)]
    assert list(store.event_columns([b.id], kinds=[MOT])) == []  # nothing matches: no chunk
    with pytest.raises(NotFoundError):
        list(store.event_columns([999]))


def test_event_counts_group_by_recording_and_kind_in_sql(store):
    a, b = store.add_recording(rec()), store.add_recording(rec(path="/videos/b.mp4"))
    store.import_events([ev(a.id, MOT, 1.0), ev(a.id, MOT, 2.0), ev(a.id, DEC, 3.0)])
    gone = store.add_event(ev(b.id, INT, 1.0))
    store.delete_event(gone.id)
    counts = store.event_counts()
    assert counts[a.id] == {k.value: {MOT: 2, DEC: 1}.get(k, 0) for k in Kind}
    assert counts[b.id] == {k.value: 0 for k in Kind}
    assert counts == {s["recording"].id: s["event_counts"] for s in store.recording_summaries()}


def test_event_columns_by_recording_read_every_recording_at_once_in_list_order(store):
    recs = [store.add_recording(rec(path=f"/videos/{n}.mp4")) for n in range(4)]
    for n, r in enumerate(recs):  # the same start times in every recording: the order must come from the recording
        store.import_events([ev(r.id, (MOT, INT, DEC)[i % 3], float((i * 3) % 11), label=f"r{n} e{i}",
                                end_s=None if i % 2 else 11.5) for i in range(9 + n)], reviewer="ann")
    store.delete_recording(recs[2].id)
    expected = [e for r in store.list_recordings() for e in store.list_events(r.id)]
    assert len(expected) == 9 + 10 + 12
    with store.import_batches("zed") as hidden:  # a pending import: its rows stay hidden from every read
        hidden.write(list(zip(*[(f"h{i:031d}", recs[0].id, "MOT", 1000 * i, None, "hidden", "", "", "", "", None, "",
                                 "zed", "2026-01-01T00:00:00.000000+00:00", "2026-01-01T00:00:00.000000+00:00", None,
                                 1, hidden.import_id) for i in range(3)])), [recs[0].id])  # as columns
        for size in (1, 5, 31, 50_000):
            chunks = list(store.event_columns(by_recording=True, chunk_size=size))
            assert _joined(chunks) == _listed(expected)
        mots = [e for e in expected if e.kind == MOT]
        assert _joined(store.event_columns(kinds=[MOT], by_recording=True)) == _listed(mots)
    assert len(_joined(store.event_columns(by_recording=True))["id"]) == len(expected) + 3  # visible once done


def test_column_times_are_the_seconds_of_seconds_from_ms():
    from annotate.store.columns import _seconds
    from annotate.timebase import seconds_from_ms

    values = [0, 1, 999, 1001, 123_456_789, -5, 2**53 - 1, 10**15 + 7, None] + list(range(0, 3_000_000, 997))
    for column in (values, [None, None], [], [2**53 + 1, None, 3], [2**70]):
        got = _seconds(column)
        assert got == [None if v is None else seconds_from_ms(v) for v in column]
        assert [type(v) for v in got] == [type(None) if v is None else float for v in column]


class _Columns:
    """A block of validated rows as columns, as ``csv_stream.Chunk`` hands them to ``store.bulk.import_chunks``."""

    def __init__(self, columns: dict):
        self.columns, self.count = columns, len(columns["id"])


def test_an_import_from_columns_stores_each_value_and_is_one_change_to_undo(store):
    from annotate.store.bulk import import_chunks

    r = store.add_recording(rec(duration_s=600))
    stamp = datetime(2025, 5, 6, 7, 8, 9, 123000, tzinfo=timezone.utc)
    first = {"id": [f"b{i:03d}" for i in range(30, 0, -1)], "kind": [(MOT, INT, DEC)[i % 3] for i in range(30)],
             "start_s": [round(i * 1.5 + 0.001 * (i % 2), 3) for i in range(30)],  # validated: whole ms
             "end_s": [None if i % 2 else i * 1.5 + 2.25 for i in range(30)], "label": [f"l{i}" for i in range(30)],
             "emotion": [None if i % 3 else i % 5 - 2 for i in range(30)], "note": ["n, q" * (i % 2) for i in range(30)],
             "reviewer": ["" if i % 2 else "zoe" for i in range(30)], "created_at": [stamp if i % 2 else None for i in range(30)]}
    second = {"id": ["b001", "c001"], "kind": [MOT, MOT], "start_s": [9.0, 10.0]}  # b001 is stored already
    assert import_chunks(store, r.id, [_Columns(first), _Columns(second)], reviewer="ann") == 31
    got = {e.id: e for e in store.list_events(r.id)}
    assert len(got) == 31 and got["b001"].start_s == 43.501 and got["c001"].reviewer == "ann"
    for i, eid in enumerate(first["id"]):
        e = got[eid]
        assert (e.kind, e.start_s, e.end_s, e.label, e.emotion, e.note) == (
            first["kind"][i], first["start_s"][i], first["end_s"][i], first["label"][i],
            first["emotion"][i], first["note"][i])
        assert e.reviewer == (first["reviewer"][i] or "ann") and e.version == 1
        assert e.created_at == (stamp if i % 2 else e.updated_at) and e.updated_at == e.created_at
    change = store.undo(reviewer="ann")
    assert (change.entity, change.after["events"]) == ("import", 31) and store.list_events(r.id) == []
