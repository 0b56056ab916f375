"""Z undoes one reviewer action through the real command route and says what it undid: the end of a
duration (the duration is open again), a mark (removed), a delete (brought back)."""

from __future__ import annotations

import json
import sqlite3
from fractions import Fraction

import pytest
from starlette.applications import Starlette

from annotate.model import Status
from annotate.app.review_session import ReviewSession
from annotate.testing.asgi import asgi_request
from annotate.ui import marking, services
from annotate.ui.player_data import player_data
from annotate.ui.routes import media_routes

_ids = iter(range(1, 10**6))


def hex32() -> str:
    return f"{next(_ids):032x}"


@pytest.fixture
def rec(review_recording):
    return review_recording([Fraction(i, 25) for i in range(400)])  # 16 s


@pytest.fixture
def session(rec):
    return ReviewSession(rec.id, reviewer="Rita", shown_status=Status.NEW)


def post(rec_id: int, token: str, *commands: dict) -> dict:
    status, _, body = asgi_request(Starlette(routes=media_routes()), f"/cx/commands/{rec_id}",
                                   {"Content-Type": "application/json", "X-CX-Token": token}, method="POST",
                                   body=json.dumps({"commands": list(commands)}).encode())
    assert status == 200, body
    return json.loads(body)


def db_rows(sql: str, *args):
    with sqlite3.connect(services.settings().data_dir / "annotate.sqlite") as conn:
        return conn.execute(sql, args).fetchall()


def undo() -> dict:
    return {"id": hex32(), "op": "undo"}


def test_undo_after_ending_a_duration_reopens_it_and_says_so(rec, session):
    token = marking.register(session)
    start = {"id": hex32(), "op": "mark", "kind": "MOT", "t": 2.0, "event_id": hex32(), "mode": "start",
             "label": "Greeting"}
    post(rec.id, token, start)
    post(rec.id, token, {"id": hex32(), "op": "end", "event_id": start["event_id"], "t": 12.4})
    assert db_rows("select start_ms, end_ms from events") == [(2000, 12400)]

    z = undo()
    answer = post(rec.id, token, z)
    [result] = answer["results"]
    assert result["message"] == ("Undid: end of MOT 'Greeting' at 00:00:12.400; "
                                 "the duration from 00:00:02.000 is open again")
    assert result["ok"] and result["op"] == "undo" and z["id"] in answer["acked"]
    # Just the end is gone; the duration is open again, so the next Shift+key ends it (not a new start).
    assert db_rows("select id, start_ms, end_ms, deleted_at from events") == [(start["event_id"], 2000, None, None)]
    assert answer["open"] == {"moment_of_truth": start["event_id"]}
    # The page shows the message too, when the undo came by a rerun.
    assert session.notice == {"id": z["id"], "message": result["message"]}

    post(rec.id, token, {"id": hex32(), "op": "end", "event_id": start["event_id"], "t": 8.0})
    assert db_rows("select start_ms, end_ms from events") == [(2000, 8000)]


def test_each_z_undoes_one_action_and_names_it(rec, session):
    token = marking.register(session)
    point = {"id": hex32(), "op": "mark", "kind": "DEC", "t": 1.0, "event_id": hex32(), "mode": "point"}
    start = {"id": hex32(), "op": "mark", "kind": "INT", "t": 3.0, "event_id": hex32(), "mode": "start"}
    post(rec.id, token, point, start)
    post(rec.id, token, {"id": hex32(), "op": "end", "event_id": start["event_id"], "t": 5.0})
    post(rec.id, token, {"id": hex32(), "op": "delete", "event_id": point["event_id"]})

    messages = [post(rec.id, token, undo())["results"][0]["message"] for _ in range(3)]
    assert messages == [
        "Undid: DEC at 00:00:01.000 (deleted, brought back)",
        "Undid: end of INT at 00:00:05.000; the duration from 00:00:03.000 is open again",
        "Undid: INT at 00:00:03.000 (removed)",
    ]
    assert db_rows("select id, end_ms from events where deleted_at is null") == [(point["event_id"], None)]
    answer = post(rec.id, token, undo())
    assert answer["results"][0]["message"] == "Undid: DEC at 00:00:01.000 (removed)"
    assert answer["open"] == {} and db_rows("select count(*) from events where deleted_at is null") == [(0,)]
    # Nothing left: said as an error, in one line.
    answer = post(rec.id, token, undo())
    assert answer["results"][0]["ok"] is False and "nothing" in answer["errors"][0] and "\n" not in answer["errors"][0]


def test_the_player_is_handed_the_latest_undo_message(rec, session):
    store = services.store()
    start = {"id": hex32(), "op": "mark", "kind": "MOT", "t": 2.0, "event_id": hex32(), "mode": "start"}
    end = {"id": hex32(), "op": "end", "event_id": start["event_id"], "t": 4.0}
    z = undo()
    marking.apply_for(store, rec, session, [start, end, z])  # the rerun path
    data = player_data(rec, session.snapshot(store), store.get_codebook(), session,
                       src="/x", frames_url=None, start_offset_s=0.0)
    assert data["notice"]["id"] == z["id"] and data["notice"]["message"].startswith("Undid: end of MOT")
    assert data["open"] == {"moment_of_truth": start["event_id"]}
