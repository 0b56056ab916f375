"""Where each reviewer stopped: the store's positions (a real SQLite file, and PostgreSQL when a server is
given) and the player's route that reports them (token first, body capped, numbers only)."""

from __future__ import annotations

import json
import sqlite3
from fractions import Fraction

import pytest
from starlette.applications import Starlette

from annotate.app.review_session import ReviewSession
from annotate.config import sqlite_url
from annotate.model import Recording
from annotate.store import Store
from annotate.testing.asgi import asgi_request
from annotate.testing.databases import backend_id, empty_database, server_urls
from annotate.ui import marking, services
from annotate.ui.routes import media_routes


@pytest.fixture(params=["sqlite", *server_urls()], ids=lambda u: backend_id(u) if "://" in u else u)
def store(request, tmp_path):
    if request.param == "sqlite":
        yield Store(sqlite_url(tmp_path / "p.sqlite"))
        return
    with empty_database(request.param, tmp_path) as url:
        yield Store(url)


def add(store: Store, name: str) -> Recording:
    rec = Recording(path=f"/videos/{name}.mp4", title=name, duration_s=60.0, fps=Fraction(25), frame_count=1500,
                    width=320, height=240, content_hash=name * 8)
    return store.add_recording(rec, reviewer="t")


def test_a_position_is_kept_per_recording_and_reviewer_and_replaced(store):
    a, b = add(store, "a"), add(store, "b")
    assert store.positions.last(a.id, "Ana") is None
    store.positions.remember(a.id, "Ana", 12.3456)
    store.positions.remember(a.id, "Ben", 40.0)
    store.positions.remember(b.id, "Ana", 5.0)
    store.positions.remember(a.id, "Ana", 20.5)
    assert store.positions.last(a.id, "Ana") == 20.5
    assert store.positions.last(a.id, "Ben") == 40.0 and store.positions.last(b.id, "Ana") == 5.0
    before = len(store.history())
    store.positions.remember(a.id, "Ana", 21.0)
    assert len(store.history()) == before  # not an annotation: nothing in the change log


def post(rec_id, token, body: bytes):
    headers = {"Content-Type": "application/json", **({"X-CX-Token": token} if token else {})}
    return asgi_request(Starlette(routes=media_routes()), f"/cx/position/{rec_id}", headers, method="POST", body=body)


def test_the_route_stores_the_sessions_reviewer_position(review_recording, tmp_path):
    rec = review_recording([Fraction(i, 25) for i in range(10)])
    token = marking.register(ReviewSession(recording_id=rec.id, reviewer="Ana"))
    status, _, _ = post(rec.id, token, json.dumps({"t": 0.28}).encode())
    assert status == 204
    with sqlite3.connect(tmp_path / "data" / "annotate.sqlite") as conn:
        assert conn.execute("SELECT recording_id, reviewer, t_ms FROM positions").fetchall() == [(rec.id, "Ana", 280)]
    assert services.store().positions.last(rec.id, "Ana") == 0.28


@pytest.mark.parametrize("body, status", [
    (b'{"t": "12"}', 400), (b'{"t": true}', 400), (b'{"t": -1}', 400), (b'{"t": NaN}', 400),
    (b'{"t": 1e400}', 400), (b"[1]", 400), (b"not json", 400), (b'{"t": 1, "pad": "' + b"x" * 2000 + b'"}', 413),
])
def test_the_route_refuses_what_is_not_a_number_of_seconds(review_recording, tmp_path, body, status):
    rec = review_recording([Fraction(i, 25) for i in range(10)])
    token = marking.register(ReviewSession(recording_id=rec.id, reviewer="Ana"))
    got, _, text = post(rec.id, token, body)
    assert got == status and b"Traceback" not in text
    assert services.store().positions.last(rec.id, "Ana") is None


def test_the_route_wants_the_token_of_that_recording(review_recording):
    rec = review_recording([Fraction(i, 25) for i in range(10)])
    other = marking.register(ReviewSession(recording_id=rec.id + 1, reviewer="Eve"))
    for token in (None, "made-up", other):
        status, _, _ = post(rec.id, token, b'{"t": 3}')
        assert status == 403
    assert services.store().positions.last(rec.id, "Eve") is None
