"""The Review page's handlers as plain functions over a real SQLite store (no browser, no Streamlit)."""

from __future__ import annotations

import io
import sqlite3
from fractions import Fraction

import pytest

from annotate.app import codebook_io, review
from annotate.app.commands import apply_commands
from annotate.config import Settings, sqlite_url
from annotate.errors import (
    ConflictError,
    EmptyMediaError,
    NothingToUndoError,
    NotAVideoError,
    UploadTooLargeError,
    ValidationError,
)
from annotate.model import Codebook, CodeLabel, Kind, Recording, Status
from annotate.app.review_session import ReviewSession
from annotate.store import Store
from annotate.timebase import browser_time_to_start_s, nearest_frame, seconds_from_ms, step_frame, time_to_ms
from annotate.ui.player_data import events_signature, player_data, stored_state

NTSC = Fraction(30000, 1001)
TIMES = [Fraction(i) / NTSC for i in range(300)]  # 10 s of 29.97 fps
VFR_TIMES = [Fraction(0), Fraction(1, 50), Fraction(7, 100), Fraction(1, 10), Fraction(37, 100), Fraction(2, 5)]


@pytest.fixture
def store(tmp_path):
    s = Store(sqlite_url(tmp_path / "annotate.sqlite"))
    yield s
    s.close()


@pytest.fixture
def rec(store):
    return store.add_recording(
        Recording(path="/videos/call.mp4", title="Call", duration_s=10.01, fps="30000/1001", frame_count=300,
                  width=320, height=240, content_hash="a" * 40)
    )


def rows(tmp_path, sql):
    with sqlite3.connect(tmp_path / "annotate.sqlite") as conn:
        return conn.execute(sql).fetchall()


def mark_cmd(kind, t, mode="point", label=""):
    return {"id": _hex(), "op": "mark", "kind": kind, "t": t,
            "event_id": _hex(), "mode": mode, "label": label}


_counter = iter(range(1, 10**6))


def _hex():
    return f"{next(_counter):032x}"


# --- time conversion -----------------------------------------------------------


def test_browser_time_is_snapped_to_the_frame_and_rounded_up():
    # Frame 31 of 29.97 fps is at 1.0343666.. s; Chrome reports microseconds.
    start = browser_time_to_start_s(1.034366, 0.0, TIMES)
    assert start == 1.035
    assert start == seconds_from_ms(time_to_ms(TIMES[31]))
    # A time a hair *below* the frame (float error) still gives that frame, not the one before.
    assert browser_time_to_start_s(float(TIMES[30]) - 2e-6, 0.0, TIMES) == seconds_from_ms(time_to_ms(TIMES[30]))


def test_browser_time_minus_the_start_offset():
    # A file whose first frame sits at 10.007 s on its own clock.
    start = browser_time_to_start_s(10.007 + float(TIMES[45]), 10.007, TIMES)
    assert start == seconds_from_ms(time_to_ms(TIMES[45]))
    # Without frame times: rounded up to whole ms after removing the offset.
    assert browser_time_to_start_s(12.5003, 2.0, None) == 10.501


def test_browser_time_on_variable_frame_rate_uses_the_real_frames():
    assert browser_time_to_start_s(0.0700004, 0.0, VFR_TIMES) == 0.07
    assert browser_time_to_start_s(0.369999, 0.0, VFR_TIMES) == 0.37
    assert browser_time_to_start_s(99.0, 0.0, VFR_TIMES, duration_s=0.42) == 0.4


def test_browser_time_must_be_a_number():
    with pytest.raises(ValidationError):
        browser_time_to_start_s("soon", 0.0, TIMES)
    with pytest.raises(ValidationError):
        browser_time_to_start_s(float("nan"), 0.0, TIMES)


def test_step_frame_walks_real_frame_times():
    assert step_frame(0.07, 1, VFR_TIMES) == (3, Fraction(1, 10))
    assert step_frame(0.0999, 1, VFR_TIMES) == (3, Fraction(1, 10))  # 0.0999 shows frame 2
    assert step_frame(0.37, -10, VFR_TIMES) == (0, 0)
    assert step_frame(0.37, 10, VFR_TIMES) == (5, Fraction(2, 5))


# --- commands from the player ---------------------------------------------------


def test_marks_are_stored_at_once_with_reviewer_and_status(store, rec, tmp_path):
    session = ReviewSession(rec.id, reviewer="Ann")
    cmds = [mark_cmd("moment_of_truth", float(TIMES[30])), mark_cmd("INT", float(TIMES[60])), mark_cmd("DEC", 3.0)]
    out = apply_commands(store, rec, session, cmds, frame_times=TIMES)
    assert [o.ok for o in out] == [True, True, True]
    got = rows(tmp_path, "select kind, start_ms, reviewer from events order by start_ms")
    assert [g[0] for g in got] == ["moment_of_truth", "internal_interaction", "decision_point"]
    assert [g[2] for g in got] == ["Ann"] * 3
    assert got[0][1] == time_to_ms(TIMES[30])
    assert store.get_recording(rec.id).status == Status.IN_REVIEW
    assert session.selected is None  # marking does not take over the edit form


def test_a_repeated_command_is_applied_once(store, rec):
    session = ReviewSession(rec.id, reviewer="Ann")
    cmd = mark_cmd("MOT", 1.0)
    apply_commands(store, rec, session, [cmd], frame_times=TIMES)
    apply_commands(store, rec, session, [cmd], frame_times=TIMES)
    # A fresh session (a reload) re-sending the same mark: the event id makes it a no-op too.
    other = ReviewSession(rec.id, reviewer="Ann")
    out = apply_commands(store, rec, other, [cmd], frame_times=TIMES)
    assert out[0].ok
    assert len(store.list_events(rec.id)) == 1


def test_undo_command_is_not_repeated(store, rec):
    session = ReviewSession(rec.id, reviewer="Ann")
    a, b = mark_cmd("MOT", 1.0), mark_cmd("DEC", 2.0)
    undo = {"id": _hex(), "op": "undo"}
    session.selected = b["event_id"]
    apply_commands(store, rec, session, [a, b, undo], frame_times=TIMES)
    apply_commands(store, rec, session, [a, b, undo], frame_times=TIMES)  # the browser retried
    left = store.list_events(rec.id)
    assert [e.kind for e in left] == [Kind.MOMENT_OF_TRUTH]
    assert session.selected is None  # the selected event was the undone one


def test_duration_event_start_and_end(store, rec):
    session = ReviewSession(rec.id, reviewer="Ann")
    start = mark_cmd("INT", float(TIMES[30]), mode="start")
    apply_commands(store, rec, session, [start], frame_times=TIMES)
    assert session.open == {"internal_interaction": start["event_id"]}
    end = {"id": _hex(), "op": "end", "kind": "internal_interaction", "t": float(TIMES[90]), "event_id": start["event_id"]}
    apply_commands(store, rec, session, [end], frame_times=TIMES)
    event = store.get_event(start["event_id"])
    assert (event.start_s, event.end_s) == (seconds_from_ms(time_to_ms(TIMES[30])), seconds_from_ms(time_to_ms(TIMES[90])))
    assert session.open == {}


def test_duration_ended_before_its_start_is_swapped(store, rec):
    session = ReviewSession(rec.id, reviewer="Ann")
    start = mark_cmd("INT", 5.0, mode="start")
    end = {"id": _hex(), "op": "end", "t": 2.0, "event_id": start["event_id"]}
    apply_commands(store, rec, session, [start, end], frame_times=TIMES)
    event = store.get_event(start["event_id"])
    assert event.start_s < event.end_s
    assert event.start_s == seconds_from_ms(time_to_ms(TIMES[nearest_frame(2.0, TIMES)]))


def test_bad_commands_become_messages_not_exceptions(store, rec):
    session = ReviewSession(rec.id, reviewer="Ann")
    bad = [
        {"id": _hex(), "op": "mark", "kind": "purple", "t": 1.0, "event_id": _hex()},
        {"id": _hex(), "op": "mark", "kind": "MOT", "t": 1.0, "event_id": "not-an-id"},
        {"id": _hex(), "op": "launch"},
        {"id": _hex(), "op": "undo"},
    ]
    out = apply_commands(store, rec, session, bad, frame_times=TIMES)
    assert [o.ok for o in out] == [False] * 4
    assert "unknown kind 'purple'" in out[0].message
    assert len(session.messages) == 4
    assert store.list_events(rec.id) == []


def test_delete_and_undo_bring_it_back(store, rec):
    session = ReviewSession(rec.id, reviewer="Ann")
    cmd = mark_cmd("MOT", 1.0)
    apply_commands(store, rec, session, [cmd], frame_times=TIMES)
    apply_commands(store, rec, session, [{"id": _hex(), "op": "delete", "event_id": cmd["event_id"]}])
    assert store.list_events(rec.id) == []
    message = review.undo_last(store, rec.id, "Ann")
    assert "MOT" in message
    assert [e.id for e in store.list_events(rec.id)] == [cmd["event_id"]]


def test_undo_is_per_reviewer(store, rec):
    review.mark(store, rec, Kind.MOMENT_OF_TRUTH, 1.0, "Ann")
    review.mark(store, rec, Kind.DECISION_POINT, 2.0, "Bob")
    review.undo_last(store, rec.id, "Ann")
    assert [e.reviewer for e in store.list_events(rec.id)] == ["Bob"]
    with pytest.raises(NothingToUndoError):
        review.undo_last(store, rec.id, "Carla")


# --- the edit form, fine-tune, status --------------------------------------------


def test_save_details_writes_only_what_changed(store, rec, tmp_path):
    event = review.mark(store, rec, Kind.MOMENT_OF_TRUTH, 1.0, "Ann")
    saved = review.save_details(
        store, event.id, event.version, "Bob", label="Form error", stage="Acquisition", channel="Web",
        actor="customer", expectation="pay in one step", emotion=-1, note="<script>alert(1)</script>",
    )
    assert (saved.label, saved.stage, saved.emotion, saved.version) == ("Form error", "Acquisition", -1, 2)
    same = review.save_details(store, event.id, saved.version, "Bob", label="Form error", emotion="-1")
    assert same.version == 2  # nothing changed, nothing written
    db = rows(tmp_path, "select label, note, emotion from events")
    assert db == [("Form error", "<script>alert(1)</script>", -1)]


def test_save_details_conflict_and_validation(store, rec):
    event = review.mark(store, rec, Kind.MOMENT_OF_TRUTH, 1.0, "Ann")
    review.save_details(store, event.id, event.version, "Ann", label="Greeting")
    with pytest.raises(ConflictError):
        review.save_details(store, event.id, event.version, "Bob", label="Long wait")
    with pytest.raises(ValidationError):
        review.save_details(store, event.id, event.version + 1, "Ann", emotion=5)
    with pytest.raises(ValidationError):
        review.save_details(store, event.id, event.version + 1, "Ann", start_s=3.0)


def test_retime_moves_start_or_end_to_a_real_frame(store, rec):
    event = review.mark(store, rec, Kind.INTERNAL_INTERACTION, 1.0, "Ann")
    event = review.end_duration(store, event.id, 2.0, "Ann")
    moved = review.retime(store, event.id, event.version, "Ann", frame_time=TIMES[31])
    assert moved.start_s == seconds_from_ms(time_to_ms(TIMES[31]))
    with pytest.raises(ValidationError):
        review.retime(store, event.id, moved.version, "Ann", frame_time=TIMES[90])  # after the end
    moved = review.retime(store, event.id, moved.version, "Ann", frame_time=TIMES[90], which="end")
    assert moved.end_s == seconds_from_ms(time_to_ms(TIMES[90]))


def test_set_status_reviewed(store, rec):
    assert review.set_status(store, rec.id, Status.REVIEWED, "Ann").status == Status.REVIEWED


def test_player_data_is_what_the_browser_needs(store, rec):
    book = Codebook()
    book.labels[Kind.MOMENT_OF_TRUTH].append(CodeLabel("Payment failed", "p"))
    event = review.mark(store, rec, Kind.MOMENT_OF_TRUTH, 1.0, "Ann", label="<b>bold</b>")
    session = ReviewSession(rec.id, reviewer="Ann", selected=event.id)
    data = player_data(rec, session.snapshot(store), book, session, src="/cx/media/1", frames_url=None,
                       start_offset_s=0.5)
    assert data["events"][0][4] == "<b>bold</b>"  # raw text: the player sets it with textContent
    assert data["hotkeys"]["m"] == {"kind": "moment_of_truth", "label": None}
    assert data["hotkeys"]["p"] == {"kind": "moment_of_truth", "label": "Payment failed"}
    assert [k["short"] for k in data["kinds"]] == ["MOT", "INT", "DEC"]
    assert data["offset"] == 0.5 and data["selected"] == event.id
    assert data["flash"]["seconds"] > 0
    assert data["token"] == stored_state(store, session)["token"] > 0  # the list's change-log token
    assert data["commands"] is None  # no route


def test_stored_state_token_grows_and_a_session_survives_a_copy(store, rec):
    import copy
    import pickle

    session = ReviewSession(rec.id, reviewer="Ann")
    first = stored_state(store, session)
    assert first["events"] == []
    apply_commands(store, rec, session, [mark_cmd("MOT", 1.0)], frame_times=TIMES)
    second = stored_state(store, session)
    assert second["token"] > first["token"] and len(second["events"]) == 1
    assert second["version"] == events_signature(store.list_events(rec.id))
    data = player_data(rec, session.snapshot(store), Codebook(), session, src="", frames_url=None,
                       start_offset_s=0, commands={"url": "/u", "token": "t"})
    assert data["token"] == second["token"] and data["commands"] == {"url": "/u", "token": "t"}
    # Streamlit may copy session state: a copy gets a lock of its own and keeps what was applied.
    for twin in (copy.deepcopy(session), pickle.loads(pickle.dumps(session))):
        assert twin.lock is not session.lock and twin.done == session.done
        with twin.lock:
            assert apply_commands(store, rec, twin, [mark_cmd("INT", 2.0)], frame_times=TIMES)


# --- codebook as text and JSON ----------------------------------------------------


def test_codebook_form_round_trip():
    book = Codebook()
    book.labels[Kind.DECISION_POINT].append(CodeLabel("Pick slot", "s"))
    form = codebook_io.to_form(book)
    again = codebook_io.from_form(form["stages"], form["channels"], form["actors"], form["labels"], form["hotkeys"])
    assert again.to_dict() == book.to_dict()
    assert codebook_io.loads(codebook_io.dumps(book).encode()).to_dict() == book.to_dict()


def test_codebook_form_errors():
    form = codebook_io.to_form(Codebook())
    with pytest.raises(ValidationError, match="used by both"):
        keys = dict(form["hotkeys"], decision_point="M")
        codebook_io.from_form(form["stages"], form["channels"], form["actors"], form["labels"], keys)
    with pytest.raises(ValidationError, match="not valid JSON"):
        codebook_io.loads(b"{stages: oops")
    assert codebook_io.redact_url("postgresql://ann:s3cret@db/x") == "postgresql://ann:***@db/x"


# --- uploads ---------------------------------------------------------------------


def _settings(tmp_path, limit_mb=1):
    return Settings(data_dir=tmp_path / "data", db_url=sqlite_url(tmp_path / "data" / "db.sqlite"), max_upload_mb=limit_mb)


def _mp4_bytes(n=5000, seed=0):
    body = bytes((seed + i) % 251 for i in range(n))
    return b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + body


@pytest.fixture(scope="module")
def two_videos(tmp_path_factory):
    from annotate.testing.clips import make_clip

    d = tmp_path_factory.mktemp("upload_videos")
    return [make_clip(d / f"v{n}.mp4", n_frames=n, audio=False).read_bytes() for n in (12, 15)]


def test_upload_is_stored_by_content_hash_and_sniffed(tmp_path, two_videos):
    from annotate.app.recordings import content_hash

    settings = _settings(tmp_path)
    first, second = two_videos
    path, existed = review_upload(settings, "holiday.MOV.txt", first)
    assert not existed and path.suffix == ".mp4" and path.parent == settings.media_dir
    assert path.stem == content_hash(path)
    again, existed = review_upload(settings, "copy.mp4", first)
    assert existed and again == path
    other, _ = review_upload(settings, "other.mp4", second)
    assert other != path
    assert sorted(p.name for p in settings.media_dir.iterdir()) == sorted([path.name, other.name])


def test_upload_rejects_non_video_empty_and_too_large(tmp_path):
    settings = _settings(tmp_path, limit_mb=1)
    with pytest.raises(NotAVideoError, match="PNG image"):
        review_upload(settings, "clip.mp4", b"\x89PNG\r\n\x1a\n" + b"\0" * 5000)
    with pytest.raises(NotAVideoError, match="text"):
        review_upload(settings, "notes.mp4", b"hello, this is not a video\n" * 300)
    with pytest.raises(EmptyMediaError):
        review_upload(settings, "empty.mp4", b"")
    with pytest.raises(UploadTooLargeError, match="1 MB upload limit"):
        review_upload(settings, "big.mp4", _mp4_bytes(n=1_100_000))
    with pytest.raises(UploadTooLargeError):
        review_upload(settings, "big.mp4", b"", size=5 * 1024 * 1024)
    assert list(settings.media_dir.iterdir()) == []  # nothing half-written left behind


def review_upload(settings, name, data, size=None):
    from annotate.app.uploads import save_upload

    return save_upload(settings, name, io.BytesIO(data), size)


# --- the event list cache ------------------------------------------------------------


def test_event_cache_follows_own_marks_and_others_changes(store, rec):
    session = ReviewSession(rec.id, reviewer="Ann")
    assert session.snapshot(store).events == []
    apply_commands(store, rec, session, [mark_cmd("MOT", 1.0), mark_cmd("INT", 0.5)], frame_times=TIMES)
    cached = session.snapshot(store).events
    assert [(e.id, e.version, e.start_s) for e in cached] == [
        (e.id, e.version, e.start_s) for e in store.list_events(rec.id)
    ]
    assert session.snapshot(store).token > 0  # folded in, not re-read
    # Someone else edits and marks: the next use reads the store again.
    other = store.list_events(rec.id)[0]
    store.update_event(other.id, other.version, reviewer="Bob", label="Hold")
    review.mark(store, rec, Kind.DECISION_POINT, 2.0, "Bob")
    apply_commands(store, rec, session, [mark_cmd("DEC", 3.0)], frame_times=TIMES)
    fresh = session.snapshot(store).events
    assert [(e.id, e.label, e.version) for e in fresh] == [(e.id, e.label, e.version) for e in store.list_events(rec.id)]
    assert len(fresh) == 4
    # Undo and delete through commands leave the cache right too.
    apply_commands(store, rec, session, [{"id": _hex(), "op": "undo"}])
    apply_commands(store, rec, session, [{"id": _hex(), "op": "delete", "event_id": fresh[0].id}])
    assert [e.id for e in session.snapshot(store).events] == [e.id for e in store.list_events(rec.id)]
    assert len(session.snapshot(store).events) == 2
