"""The routes mounted beside Streamlit: the video with HTTP range requests, its frame times, and the
Review player's command route (marks stored in the real SQLite file, for the session a token names)."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from fractions import Fraction

import pytest
from starlette.applications import Starlette

from annotate.app import review
from annotate.errors import AccessDeniedError
from annotate.model import Status
from annotate.app.review_session import ReviewSession
from annotate.testing import make_clip
from annotate.testing.asgi import asgi_request
from annotate.ui import marking, services
from annotate.ui.player_data import stored_state
from annotate.ui.routes import media_routes


def request(path: str, headers: dict[str, str] | None = None, method: str = "GET", body: bytes = b""):
    """Call the routes as an ASGI server would; return (status, headers, body)."""
    return asgi_request(Starlette(routes=media_routes()), path, headers, method=method, body=body)


@pytest.fixture
def rec(review_recording):
    return review_recording([Fraction(0), Fraction(1, 25), Fraction(3, 25), Fraction(4, 25), Fraction(7, 25), Fraction(8, 25)])


def test_media_answers_range_requests_with_the_file_bytes(rec):
    data = open(rec.path, "rb").read()
    status, headers, body = request(f"/cx/media/{rec.id}", {"Range": "bytes=100-299"})
    assert status == 206
    assert body == data[100:300]
    assert headers["content-range"] == f"bytes 100-299/{len(data)}"
    assert headers["content-type"] == "video/mp4" and headers["accept-ranges"] == "bytes"
    status, _, body = request(f"/cx/media/{rec.id}")
    assert status == 200 and body == data


def test_media_of_an_unknown_recording_is_404(rec):
    status, _, body = request("/cx/media/999")
    assert status == 404 and b"999" in body


def test_frames_are_the_real_frame_times(rec):
    status, _, body = request(f"/cx/frames/{rec.id}")
    assert status == 200
    payload = json.loads(body)
    assert payload["times"] == [0.0, 0.04, 0.12, 0.16, 0.28, 0.32]
    assert payload["offset"] == 0.0


def test_the_component_scripts_are_served_for_the_components_to_import():
    from annotate.ui.scripts import loader_js, script_names, script_path, scripts_version

    assert {"player.js", "play_view.js", "flash.js"} <= set(script_names())
    status, headers, body = request(f"/cx/static/player.js?v={scripts_version()}")
    assert status == 200 and body == script_path("player.js").read_bytes()
    assert headers["content-type"].startswith("text/javascript") and "immutable" in headers["cache-control"]
    assert f"/cx/static/player.js?v={scripts_version()}" in loader_js("player.js")
    # Every module an entry script imports is served too (revalidated: its URL carries no version).
    for name in script_names():
        for wanted in re.findall(r'from "\./([a-z_]+\.js)"', script_path(name).read_text(encoding="utf-8")):
            status, headers, _ = request(f"/cx/static/{wanted}")
            assert status == 200 and headers["cache-control"] == "no-cache", (name, wanted)
    for bad in ("player.css", "nope.js", "..%2Froutes.py", "Player.js"):
        assert request(f"/cx/static/{bad}")[0] == 404, bad


def test_the_scripts_draw_the_flash_only_with_the_numbers_the_server_sends():
    from annotate.render import flash
    from annotate.ui.scripts import script_path

    numbers = {str(v) for k, v in vars(flash).items() if k.isupper() and isinstance(v, float)}
    assert {"0.8", "0.02", "0.045"} <= numbers
    for name in ("flash.js", "player_flash.js", "play_view.js"):  # the scripts that draw it
        text = script_path(name).read_text(encoding="utf-8")
        found = {n for n in numbers if re.search(rf"(?<![\w.]){re.escape(n)}(?![\w.])", text)}
        assert not found, f"{name} spells out flash numbers {found}: take them from data.flash"


def test_every_script_is_a_module_of_one_job_under_400_lines():
    from annotate.ui.scripts import script_names, script_path

    for name in script_names():
        lines = script_path(name).read_text(encoding="utf-8").count("\n")
        assert lines < 400, f"{name} has {lines} lines"


def test_the_route_side_of_the_app_loads_no_streamlit():
    code = ("import sys, annotate.ui.routes, annotate.ui.player_data, annotate.ui.scripts, annotate.app.commands; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'streamlit'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "[]", out.stdout[:300]


# --- POST /cx/commands/{id} ----------------------------------------------------------------------

_ids = iter(range(1, 10**6))


def hex32() -> str:
    return f"{next(_ids):032x}"


def headers_for(token) -> dict[str, str]:
    """Return the headers the player sends with its commands (the token rides in X-CX-Token)."""
    return {"Content-Type": "application/json", **({"X-CX-Token": token} if token is not None else {})}


def post(rec_id: int, token, commands) -> tuple[int, object]:
    status, _, body = request(f"/cx/commands/{rec_id}", headers_for(token), "POST",
                              json.dumps({"commands": commands}).encode())
    return status, (json.loads(body) if status == 200 else body.decode())


def db_rows(sql: str, *args):
    with sqlite3.connect(services.settings().data_dir / "annotate.sqlite") as conn:
        return conn.execute(sql, args).fetchall()


@pytest.fixture
def session(rec):
    marking.REGISTRY.clear()
    s = ReviewSession(rec.id, reviewer="Rita", shown_status=Status.NEW)
    yield s
    marking.REGISTRY.clear()


def mark(kind: str, t: float, mode: str = "point") -> dict:
    return {"id": hex32(), "op": "mark", "kind": kind, "t": t, "event_id": hex32(), "mode": mode}


def test_a_posted_mark_is_stored_at_the_frame_and_answered_as_the_list(rec, session):
    token = marking.register(session)
    cmd = mark("MOT", 0.13)  # between the frames at 0.12 and 0.16: the one at 0.12 is nearer
    status, answer = post(rec.id, token, [cmd])
    assert status == 200, answer
    assert db_rows("select id, kind, start_ms, reviewer from events where deleted_at is null") == [
        (cmd["event_id"], "moment_of_truth", 120, "Rita")
    ]
    assert cmd["id"] in answer["acked"] and answer["errors"] == []
    assert answer["results"] == [{"id": cmd["id"], "op": "mark", "ok": True, "message": "MOT marked at 00:00:00.120",
                                  "retry": False}]
    assert [(r[0], r[2]) for r in answer["events"]] == [(cmd["event_id"], 0.12)]
    # The first mark moves the recording to "in review", which the page's header shows: ask for a rerun.
    assert answer["status"] == "in_review" and answer["rerun"] is True
    latest = db_rows("select max(id) from change_log where recording_id=?", rec.id)[0][0]
    assert answer["token"] == latest
    # The page's own view of the session is the same (one session, two paths).
    assert stored_state(services.store(), session)["events"] == answer["events"]

    session.shown_status = Status.IN_REVIEW  # the header was redrawn
    second = mark("DEC", 0.30)
    status, answer2 = post(rec.id, token, [cmd, second])  # the first one again (not yet seen as acked)
    assert status == 200 and answer2["rerun"] is False
    assert [r["id"] for r in answer2["results"]] == [second["id"]]  # only the new one was applied
    assert answer2["token"] > answer["token"]
    assert db_rows("select count(*) from events") == [(2,)]


def test_end_delete_and_undo_through_the_route(rec, session):
    token = marking.register(session)
    start = mark("INT", 0.04, mode="start")
    assert post(rec.id, token, [start])[0] == 200
    assert session.open == {"internal_interaction": start["event_id"]}
    status, answer = post(rec.id, token, [{"id": hex32(), "op": "end", "event_id": start["event_id"], "t": 0.29}])
    assert status == 200 and answer["open"] == {}
    assert db_rows("select start_ms, end_ms from events where id=?", start["event_id"]) == [(40, 280)]
    point = mark("MOT", 0.16)
    post(rec.id, token, [point])
    status, answer = post(rec.id, token, [{"id": hex32(), "op": "delete", "event_id": start["event_id"]}])
    assert status == 200 and [r[0] for r in answer["events"]] == [point["event_id"]]
    assert db_rows("select deleted_at is not null from events where id=?", start["event_id"]) == [(1,)]
    undo = {"id": hex32(), "op": "undo"}
    status, answer = post(rec.id, token, [undo])  # brings the deleted duration back
    assert status == 200 and sorted(r[0] for r in answer["events"]) == sorted([start["event_id"], point["event_id"]])
    assert db_rows("select deleted_at from events where id=?", start["event_id"]) == [(None,)]


def test_a_replayed_undo_is_applied_once_across_both_paths(rec, session):
    token = marking.register(session)
    a, b = mark("MOT", 0.04), mark("INT", 0.12)
    post(rec.id, token, [a, b])
    undo = {"id": hex32(), "op": "undo"}
    store = services.store()
    marking.apply_for(store, store.get_recording(rec.id), session, [undo])  # the trigger path got it first
    status, answer = post(rec.id, token, [undo])  # ... and the POST brings it again
    assert status == 200 and answer["results"] == [] and undo["id"] in answer["acked"]
    status, answer = post(rec.id, token, [undo])
    assert db_rows("select id from events where deleted_at is null") == [(a["event_id"],)]
    assert [r[0] for r in answer["events"]] == [a["event_id"]]


def test_unknown_tokens_and_tokens_of_another_recording_are_refused(rec, session, tmp_path):
    from annotate.app.recordings import add_recording

    token = marking.register(session)
    status, body = post(rec.id, "not-a-token", [mark("MOT", 0.1)])
    assert status == 403 and "unknown or expired review token" in body and "\n" not in body.strip()
    other, _ = add_recording(services.store(), services.settings(), make_clip(tmp_path / "other.mp4", n_frames=10, audio=False))
    status, body = post(other.id, token, [mark("MOT", 0.1)])
    assert status == 403 and f"not for recording {other.id}" in body
    status, body = post(rec.id, None, [mark("MOT", 0.1)])
    assert status == 403
    assert db_rows("select count(*) from events") == [(0,)]  # nothing refused was stored


def test_malformed_bodies_and_unknown_recordings(rec, session):
    token = marking.register(session)
    status, _, body = request(f"/cx/commands/{rec.id}", headers_for(token), "POST", b"{not json")
    assert status == 400 and b"not JSON" in body
    status, body = post(rec.id, token, {"op": "mark"})
    assert status == 400 and "not a list" in body
    gone = ReviewSession(999, reviewer="Rita")
    status, body = post(999, marking.register(gone), [mark("MOT", 0.1)])
    assert status == 404 and "999" in body
    status, _, _ = request(f"/cx/commands/{rec.id}")  # only POST
    assert status == 405


def test_a_failing_command_is_answered_as_an_error_and_asks_for_a_rerun(rec, session):
    session.shown_status = Status.IN_REVIEW
    token = marking.register(session)
    bad = {"id": hex32(), "op": "mark", "kind": "NOPE", "t": 0.1, "event_id": hex32()}
    status, answer = post(rec.id, token, [bad])
    assert status == 200 and answer["rerun"] is True
    assert answer["errors"] and "NOPE" in answer["errors"][0] and bad["id"] in answer["acked"]
    assert session.messages == answer["errors"]  # the page shows it under the player on that rerun


def test_registry_keeps_one_token_per_session_expires_idle_ones_and_is_bounded():
    now = [0.0]
    reg = marking.SessionRegistry(max_size=2, idle_s=60, clock=lambda: now[0])
    a, b, c = (ReviewSession(i, reviewer="x") for i in (1, 2, 3))
    ta = reg.token_for(a)
    assert reg.token_for(a) == ta and len(ta) >= 32 and reg.lookup(ta, 1) is a
    with pytest.raises(AccessDeniedError):
        reg.lookup(ta, 2)
    now[0] = 50
    tb = reg.token_for(b)
    assert reg.token_for(a) == ta  # used again at 50
    now[0] = 100  # 50 s idle: still alive
    assert reg.lookup(ta, 1) is a
    now[0] = 200  # both idle for more than 60 s
    with pytest.raises(AccessDeniedError):
        reg.lookup(tb, 2)
    ta2 = reg.token_for(a)
    assert ta2 != ta  # a new token after expiry
    reg.token_for(b)
    reg.token_for(c)  # the third: the least recently used (a) is dropped
    assert len(reg) == 2
    with pytest.raises(AccessDeniedError):
        reg.lookup(ta2, 1)


def post_since(rec_id: int, token, commands, since) -> dict:
    status, _, body = request(f"/cx/commands/{rec_id}", headers_for(token), "POST",
                              json.dumps({"commands": commands, "since": since}).encode())
    assert status == 200, body
    return json.loads(body)


def merge(rows: list, answer: dict) -> list:
    """Apply an answer to a player's list the way player.js does."""
    if "events" in answer:
        return answer["events"]
    gone = set(answer["removed"]) | {r[0] for r in answer["upserts"]}
    return [r for r in rows if r[0] not in gone] + answer["upserts"]


def test_an_answer_holds_only_the_changes_since_the_list_the_player_holds(rec, session):
    store = services.store()
    token = marking.register(session)
    first = mark("MOT", 0.04)
    post(rec.id, token, [first])
    held = stored_state(store, session)  # what a rerun gave the player
    a, b = mark("INT", 0.12), mark("DEC", 0.28)
    answer = post_since(rec.id, token, [a, b], held["token"])
    assert "events" not in answer and answer["since"] == held["token"] and answer["removed"] == []
    assert sorted(r[0] for r in answer["upserts"]) == sorted([a["event_id"], b["event_id"]])
    rows = merge(held["events"], answer)
    full = stored_state(store, session)
    assert sorted(rows) == sorted(full["events"]) and answer["version"] == full["version"]

    gone = post_since(rec.id, token, [{"id": hex32(), "op": "delete", "event_id": a["event_id"]}], answer["token"])
    assert gone["upserts"] == [] and gone["removed"] == [a["event_id"]]
    # From the older list too: both changes at once.
    both = post_since(rec.id, token, [], held["token"])
    assert sorted(merge(held["events"], both)) == sorted(stored_state(store, session)["events"])
    assert [r[0] for r in both["upserts"]] == [b["event_id"]] and both["removed"] == [a["event_id"]]
    # An unknown token, or any list after an undo (the list is read afresh), gets the whole list.
    assert "events" in post_since(rec.id, token, [], 10**9)
    undone = post_since(rec.id, token, [{"id": hex32(), "op": "undo"}], gone["token"])
    assert sorted(r[0] for r in undone["events"]) == sorted([first["event_id"], a["event_id"], b["event_id"]])
    assert db_rows("select count(*) from events where deleted_at is null") == [(3,)]


def test_a_change_by_someone_else_sends_the_whole_list(rec, session):
    store = services.store()
    token = marking.register(session)
    held = post(rec.id, token, [mark("MOT", 0.04)])[1]
    theirs = review.mark(store, store.get_recording(rec.id), "DEC", 0.2, "Someone else")
    answer = post_since(rec.id, token, [mark("INT", 0.12)], held["token"])
    assert theirs.id in [r[0] for r in answer["events"]] and len(answer["events"]) == 3


# --- what the command route reads, and ids no recording can have ---------------------------------


def stream_request(path: str, headers: dict[str, str], chunks, method: str = "POST"):
    """Call the routes with a body sent in ``chunks`` (an iterator); return (status, body, bytes the app took).

    Like a server, the body is handed over one chunk per ``receive()``; what the
    app never asks for is never sent, so the count says how much it read.
    """
    import asyncio

    taken = [0]
    scope = {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"}, "http_version": "1.1",
        "method": method, "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
    }
    chunks = iter(chunks)
    sent: list[dict] = []

    async def receive() -> dict:
        chunk = next(chunks, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        taken[0] += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(Starlette(routes=media_routes())(scope, receive, send))
    status = next(m for m in sent if m["type"] == "http.response.start")["status"]
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body.decode(), taken[0]


def endless(total: int = 8 * 1024 * 1024, chunk: bytes = b" " * 65536):
    """Yield ``total`` bytes of body (twice the cap: "endless" for the route, finite for a route that reads all)."""
    for _ in range(total // len(chunk)):
        yield chunk


def test_a_large_body_without_a_good_token_is_refused_unread(rec, session):
    path = f"/cx/commands/{rec.id}"
    big = {"Content-Type": "application/json", "Content-Length": str(400 * 1024 * 1024)}
    status, body, taken = stream_request(path, big, endless())
    assert status == 403 and taken == 0 and "review token" in body
    status, body, taken = stream_request(path, {**big, "X-CX-Token": "wrong"}, endless())
    assert status == 403 and taken == 0
    # A good token with a declared 400 MB body: refused before a byte of it is read.
    token = marking.register(session)
    status, body, taken = stream_request(path, {**big, "X-CX-Token": token}, endless())
    assert status == 413 and taken == 0 and "4 MB" in body and "\n" not in body


def test_a_body_that_grows_past_the_cap_is_cut_off_while_reading(rec, session):
    from annotate.ui.routes import MAX_COMMANDS_BYTES

    token = marking.register(session)
    headers = {"Content-Type": "application/json", "X-CX-Token": token}  # no Content-Length: chunked
    status, body, taken = stream_request(f"/cx/commands/{rec.id}", headers, endless())
    assert status == 413 and MAX_COMMANDS_BYTES < taken <= MAX_COMMANDS_BYTES + 65536
    lying = {**headers, "Content-Length": "100"}  # declares 100 bytes, sends more and more
    status, _, taken = stream_request(f"/cx/commands/{rec.id}", lying, endless())
    assert status == 413 and taken <= MAX_COMMANDS_BYTES + 65536
    status, body, _ = stream_request(f"/cx/commands/{rec.id}", {**headers, "Content-Length": "lots"}, [b"{}"])
    assert status == 400 and "Content-Length" in body
    # A chunked body under the cap is read whole and applied.
    cmd = json.dumps({"commands": [mark("MOT", 0.04)]}).encode()
    status, body, _ = stream_request(f"/cx/commands/{rec.id}", headers, [cmd[:10], cmd[10:]])
    assert status == 200 and db_rows("select count(*) from events") == [(1,)]


def test_deeply_nested_json_is_a_400_not_a_500(rec, session):
    token = marking.register(session)
    for raw in (b"[" * 100000, b'{"commands": ' + b"[" * 100000 + b"]" * 100000 + b"}"):
        status, _, body = request(f"/cx/commands/{rec.id}", headers_for(token), "POST", raw)
        assert status == 400 and b"not JSON" in body and b"\n" not in body.strip()
    status, _, body = request(f"/cx/commands/{rec.id}", headers_for(token), "POST", b"[]")
    assert status == 400 and b"JSON object" in body


def test_the_token_in_the_body_is_not_enough(rec, session):
    token = marking.register(session)
    raw = json.dumps({"token": token, "commands": [mark("MOT", 0.04)]}).encode()
    status, _, body = request(f"/cx/commands/{rec.id}", {"Content-Type": "application/json"}, "POST", raw)
    assert status == 403 and db_rows("select count(*) from events") == [(0,)]


@pytest.mark.parametrize("route", ["media", "frames", "commands"])
@pytest.mark.parametrize("rec_id", ["99999999999999999999", str(2**63), "12abc", "-1"])
def test_ids_no_recording_can_have_are_404(rec, session, route, rec_id):
    method = "POST" if route == "commands" else "GET"
    status, _, body = request(f"/cx/{route}/{rec_id}", headers_for(marking.register(session)), method, b"{}")
    assert status == 404, body
    assert b"no recording" in body and b"Traceback" not in body and b"\n" not in body.strip()


def test_the_largest_id_the_database_holds_is_an_unknown_recording(rec, session):
    for route in ("media", "frames"):
        status, _, body = request(f"/cx/{route}/{2**63 - 1}")
        assert status == 404 and str(2**63 - 1).encode() in body
