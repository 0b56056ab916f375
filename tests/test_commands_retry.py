"""A command the database could not take just then (another connection holds the SQLite write lock) is
not acknowledged: the player keeps it, sends it again, and it is stored exactly once."""

from __future__ import annotations

import json
import sqlite3
import time
from fractions import Fraction

import pytest
from starlette.applications import Starlette

from annotate.app.commands import is_transient
from annotate.errors import NotFoundError, StoreError, ValidationError
from annotate.model import Status
from annotate.app.review_session import ReviewSession
from annotate.store import engine
from annotate.testing.asgi import asgi_request
from annotate.ui import marking, services
from annotate.ui.routes import media_routes

_ids = iter(range(1, 10**6))


def hex32() -> str:
    return f"{next(_ids):032x}"


def mark(kind: str, t: float, mode: str = "point") -> dict:
    return {"id": hex32(), "op": "mark", "kind": kind, "t": t, "event_id": hex32(), "mode": mode}


@pytest.fixture
def rec(review_recording):
    """A recording in a fresh data directory whose store waits 1 s (not 30) for another writer."""
    # ANNOTATE_DB_BUSY_TIMEOUT_S: the store's busy-timeout setting, read when it connects.
    return review_recording([Fraction(i, 25) for i in range(10)], ANNOTATE_DB_BUSY_TIMEOUT_S="1")


@pytest.fixture
def token(rec):
    return marking.register(ReviewSession(rec.id, reviewer="Rita", shown_status=Status.NEW))


def db_path():
    return services.settings().data_dir / "annotate.sqlite"


def db_rows(sql: str, *args):
    with sqlite3.connect(db_path()) as conn:
        return conn.execute(sql, args).fetchall()


def post(rec_id: int, token: str, commands: list) -> dict:
    status, _, body = asgi_request(Starlette(routes=media_routes()), f"/cx/commands/{rec_id}",
                                   {"Content-Type": "application/json", "X-CX-Token": token}, method="POST",
                                   body=json.dumps({"commands": commands}).encode())
    assert status == 200, body
    return json.loads(body)


class WriteLock:
    """Another connection holding the SQLite write lock (BEGIN IMMEDIATE) until released."""

    def __init__(self, path):
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        self.conn.execute("ROLLBACK")
        self.conn.close()


def test_a_mark_refused_while_the_database_is_locked_is_not_acked_and_is_stored_once_when_resent(rec, token):
    first, second = mark("MOT", 0.12), mark("INT", 0.2, mode="start")
    lock = WriteLock(db_path())
    try:
        began = time.monotonic()
        answer = post(rec.id, token, [first, second])
        assert time.monotonic() - began < 10  # the short busy timeout is in force
    finally:
        lock.release()
    assert first["id"] not in answer["acked"] and second["id"] not in answer["acked"]
    # The first one failed for a reason that passes; the second waits behind it (commands apply in order).
    assert [(r["id"], r["ok"], r["retry"]) for r in answer["results"]] == [(first["id"], False, True)]
    assert "locked" in answer["results"][0]["message"] and "try again" in answer["results"][0]["message"]
    assert answer["errors"] == [] and answer["rerun"] is False  # not an error the page shows: the player retries
    assert db_rows("select count(*) from events") == [(0,)]

    answer = post(rec.id, token, [first, second])  # the player sends its queue again
    assert first["id"] in answer["acked"] and second["id"] in answer["acked"]
    assert [r["ok"] for r in answer["results"]] == [True, True]
    answer = post(rec.id, token, [first, second])  # ... and once more: nothing new
    assert answer["results"] == []
    assert db_rows("select id, start_ms from events order by start_ms") == [(first["event_id"], 120), (second["event_id"], 200)]
    assert answer["open"] == {"internal_interaction": second["event_id"]}


def test_an_undo_refused_while_locked_undoes_once_when_resent(rec, token):
    a = mark("MOT", 0.12)
    post(rec.id, token, [a])
    undo = {"id": hex32(), "op": "undo"}
    lock = WriteLock(db_path())
    try:
        answer = post(rec.id, token, [undo])
    finally:
        lock.release()
    assert undo["id"] not in answer["acked"] and answer["results"][0]["retry"] is True
    assert db_rows("select deleted_at is null from events") == [(1,)]
    answer = post(rec.id, token, [undo])
    answer = post(rec.id, token, [undo])
    assert undo["id"] in answer["acked"] and answer["results"] == []
    assert db_rows("select deleted_at is null from events") == [(0,)]
    assert db_rows("select count(*) from change_log where action = 'undo'") == [(2,)]  # the mark and its status change, once


def test_only_driver_failures_count_as_transient():
    assert is_transient(StoreError("plain")) is False  # raised by the store itself: not the driver's
    assert is_transient(ValidationError("bad kind")) is False
    assert is_transient(NotFoundError("gone")) is False
    import sqlalchemy as sa

    try:
        with engine.db_errors():
            raise sa.exc.OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked"))
    except StoreError as exc:
        assert is_transient(exc) is True
        assert "try again" in str(exc)


@pytest.mark.parametrize("value, expected_ms", [("0.5", 500), ("7", 7000), ("nonsense", 30000), ("-1", 30000)])
def test_busy_timeout_comes_from_the_environment(tmp_path, monkeypatch, value, expected_ms):
    monkeypatch.setenv("ANNOTATE_DB_BUSY_TIMEOUT_S", value)
    eng = engine.make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    try:
        with eng.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == expected_ms
    finally:
        eng.dispose()
