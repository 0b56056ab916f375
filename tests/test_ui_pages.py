"""Every page under Streamlit's AppTest: on an empty store, on the sample, and the widgets that change data.

Pages run for real against a SQLite file in a temporary data directory; what
they store is read back with the sqlite3 module.
"""

from __future__ import annotations

import json
import sqlite3
from fractions import Fraction
from pathlib import Path

import time

import pytest
from streamlit.testing.v1 import AppTest

from annotate.app import review
from annotate.model import Kind
from annotate.testing import make_clip
from annotate.ui import services

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PAGES = ("review", "library", "play", "analyse", "settings")


def db_rows(data_dir: Path, sql: str):
    with sqlite3.connect(data_dir / "annotate.sqlite") as conn:
        return conn.execute(sql).fetchall()


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def image_caption(at: AppTest) -> str:
    [image] = at.get("image")
    return image.proto.imgs[0].caption


def player_data(at: AppTest, rec_id: int) -> dict:
    [el] = [e for e in at.get("bidi_component") if e.key == f"cx_player_{rec_id}"]
    return json.loads(el.proto.json)


@pytest.fixture
def clip(tmp_path):
    return make_clip(tmp_path / "clips" / "call.mp4", n_frames=45, fps=Fraction(15), audio=False)


@pytest.fixture
def added(data_dir, no_sample, clip):
    from annotate.app.recordings import add_recording

    store = services.store()
    rec, created = add_recording(store, services.settings(), clip, title="Call <b>42</b>")
    assert created
    return rec


# --- empty store ----------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_an_empty_store(data_dir, no_sample, page, run_page):
    at = run_page(page)
    assert_clean(at)
    assert at.title[0].value == page.capitalize()
    assert not at.error


def test_review_on_an_empty_store_points_to_the_library(data_dir, no_sample, run_page):
    at = run_page("review")
    assert "library is empty" in at.info[0].value


def test_settings_shows_where_the_data_lives_and_the_queue(data_dir, no_sample, run_page, monkeypatch):
    import re

    monkeypatch.setenv("ANNOTATE_QUEUE", "sqlite")
    at = run_page("settings")
    text = " ".join(m.value for m in at.text)  # plain text elements: a path may hold Markdown characters
    assert f"Data directory: {data_dir}" in text and "annotate.sqlite" in text
    assert f"(SQLite {sqlite3.sqlite_version})" in text
    assert re.search(r"Free space: \d+\.\d GB of \d+\.\d GB", text)
    assert "Queue: sqlite; workers: none seen in the last minute" in text
    assert "Jobs: 0 waiting, 0 running, 0 failed, 0 done" in text


# --- the sample --------------------------------------------------------------------------


@pytest.fixture
def sample(data_dir):
    from annotate.app.sample import sample_dir

    if sample_dir() is None:
        pytest.fail("sample_media/ with the sample recording is missing")
    return sample_dir()


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_the_sample(sample, page, run_page):
    at = run_page(page)
    assert_clean(at)
    assert not at.error


def test_first_run_opens_the_sample_with_its_events(sample, data_dir, run_page):
    at = run_page("review")
    assert_clean(at)
    from annotate.app.sample import SAMPLE_TITLE

    pick = at.selectbox(key="cx_review_pick")
    assert pick.value == 1 and SAMPLE_TITLE in pick.options[0]
    data = player_data(at, 1)
    assert data["rec"]["title"] == SAMPLE_TITLE
    assert data["src"].startswith("/cx/media/1")
    stored = db_rows(data_dir, "select count(*) from events where deleted_at is null")[0][0]
    assert stored >= 8 and len(data["events"]) == stored
    assert {e[1] for e in data["events"]} == {0, 1, 2}  # every kind, as its index in KINDS


# --- review page -----------------------------------------------------------------------------


def test_review_asks_the_reviewer_name_once(added, data_dir, run_page):
    at = run_page("review", reviewer=None)
    assert_clean(at)
    assert all(e.key != f"cx_player_{added.id}" for e in at.get("bidi_component"))  # no marking without a name
    at.text_input(key="cx_reviewer_input").input("Ann Reviewer")
    [start] = [b for b in at.button if b.label == "Start reviewing"]
    start.click().run()
    assert_clean(at)
    assert at.session_state["cx_reviewer"] == "Ann Reviewer"
    assert player_data(at, added.id)["rec"]["id"] == added.id
    assert not [t for t in at.text_input if t.key == "cx_reviewer_input"]  # not asked again


def test_review_player_gets_the_events_and_the_edit_form_saves(added, data_dir, run_page):
    store = services.store()
    event = review.mark(store, added, Kind.MOMENT_OF_TRUTH, 1.0, "Tess", label="Greeting")
    session = review.ReviewSession(added.id, reviewer="Tess", selected=event.id)
    at = run_page("review", **{f"cx_session_{added.id}": session})
    assert_clean(at)
    data = player_data(at, added.id)
    assert data["columns"][:5] == ["id", "kind", "s", "e", "label"]
    assert [(e[1], e[2], e[4]) for e in data["events"]] == [(0, 1.0, "Greeting")]
    assert data["selected"] == event.id
    prefix = f"cx_ed_{event.id}_{event.version}"
    at.selectbox(key=f"{prefix}_stage").select("Care")
    at.text_input(key=f"{prefix}_expectation").input("a quick answer")
    at.text_area(key=f"{prefix}_note").input("customer <sighs>")
    [save] = [b for b in at.button if b.label == "Save details"]
    save.click().run()
    assert_clean(at)
    assert db_rows(data_dir, "select stage, expectation, note, reviewer, version from events") == [
        ("Care", "a quick answer", "customer <sighs>", "Tess", 2)
    ]
    # The player is told to take the keyboard back after the form was used.
    assert player_data(at, added.id)["blur"] == 1


def test_fine_tune_steps_through_frames_and_applies(added, data_dir, run_page):
    store = services.store()
    event = review.mark(store, added, Kind.DECISION_POINT, 1.0, "Tess")  # frame 15 of 15 fps
    session = review.ReviewSession(added.id, reviewer="Tess", selected=event.id)
    at = run_page("review", **{f"cx_session_{added.id}": session})
    assert_clean(at)
    assert "frame 16 of 45" in image_caption(at)
    [plus] = [b for b in at.button if b.label == "+1"]
    plus.click().run()
    plus = [b for b in at.button if b.label == "+1"][0]
    plus.click().run()
    assert "frame 18 of 45" in image_caption(at)
    [apply] = [b for b in at.button if b.label.startswith("Apply to start")]
    apply.click().run()
    assert_clean(at)
    assert db_rows(data_dir, "select start_ms from events") == [(1134,)]  # 17/15 s rounded up to whole ms


def test_delete_and_undo_buttons(added, data_dir, run_page):
    store = services.store()
    event = review.mark(store, added, Kind.MOMENT_OF_TRUTH, 0.5, "Tess")
    session = review.ReviewSession(added.id, reviewer="Tess", selected=event.id)
    at = run_page("review", **{f"cx_session_{added.id}": session})
    at.button(key=f"cx_del_{event.id}").click().run()
    assert_clean(at)
    assert db_rows(data_dir, "select deleted_at is not null from events") == [(1,)]
    assert player_data(at, added.id)["events"] == []
    session.selected = event.id  # select it again so the undo button shows
    at.run()
    review.undo_last(store, added.id, "Tess")
    at.run()
    assert db_rows(data_dir, "select deleted_at is null from events") == [(1,)]


def test_mark_reviewed(added, data_dir, run_page):
    at = run_page("review")
    at.button(key="cx_mark_reviewed").click().run()
    assert_clean(at)
    assert db_rows(data_dir, "select status from recordings") == [("reviewed",)]


def test_missing_video_file_is_an_error_not_a_traceback(added, data_dir, clip, run_page):
    clip.unlink()
    at = run_page("review")
    assert_clean(at)
    assert "missing" in at.error[0].value


# --- library ----------------------------------------------------------------------------------


def test_library_lists_recordings_with_counts_and_escapes_titles(added, run_page):
    review.mark(services.store(), added, Kind.DECISION_POINT, 1.0, "Tess")
    at = run_page("library")
    assert_clean(at)
    html = " ".join(h.proto.body for h in at.get("html"))
    assert "DEC 1" in html and "MOT 0" in html and "#2CA02C" in html
    text = " ".join(m.value for m in at.markdown)
    assert "<b>42</b>" not in text  # the title is shown as text, not markup


def test_library_adds_by_server_path_and_finds_duplicates(data_dir, no_sample, clip, run_page):
    at = run_page("library")
    at.text_input(key="cx_add_path").input(str(clip))
    at.button(key="cx_add_file").click().run()
    assert_clean(at)
    assert db_rows(data_dir, "select title from recordings") == [("call",)]
    assert "Added #1" in at.success[0].value
    at.text_input(key="cx_add_path").input(str(clip))
    at.button(key="cx_add_file").click().run()
    assert "already in the library as #1" in at.info[0].value
    assert db_rows(data_dir, "select count(*) from recordings") == [(1,)]


def test_library_bad_path_is_one_line_error(data_dir, no_sample, tmp_path, run_page):
    text = tmp_path / "notes.mp4"
    text.write_text("not a video\n" * 50)
    at = run_page("library")
    at.text_input(key="cx_add_path").input(str(text))
    at.button(key="cx_add_file").click().run()
    assert_clean(at)
    assert at.error and "\n" not in at.error[0].value
    assert db_rows(data_dir, "select count(*) from recordings") == [(0,)]


def test_library_imports_an_event_file_all_or_nothing_and_once(added, data_dir, run_page):
    good = "kind,start_s,label\nMOT,0.5,Greeting\nred,1.25,=1+1\nDecision point,2.0,Choose plan\n"
    at = run_page("library")
    at.selectbox(key="cx_import_rec").set_value(added.id)
    at.file_uploader(key="cx_import_file").set_value(("events.csv", good.encode(), "text/csv")).run()
    at.button(key="cx_import_go").click().run()
    assert_clean(at)
    assert "Imported 3 events into recording" in at.success[0].value
    rows = db_rows(data_dir, "select kind, start_ms, label, reviewer from events order by start_ms")
    assert [(k, ms, label) for k, ms, label, _ in rows] == [
        ("moment_of_truth", 500, "Greeting"), ("moment_of_truth", 1250, "=1+1"), ("decision_point", 2000, "Choose plan"),
    ]
    assert {who for *_, who in rows} == {"Tess"}

    at.file_uploader(key="cx_import_file").set_value(("events.csv", good.encode(), "text/csv")).run()
    at.button(key="cx_import_go").click().run()  # the same file again adds nothing
    assert "Imported 0 events" in at.success[0].value and "3 already present" in at.success[0].value
    assert db_rows(data_dir, "select count(*) from events") == [(3,)]

    bad = "kind,start_s\nMOT,1.0\nnot a kind,1.5\nINT,99999\n"  # line 3 and line 4 are wrong
    at.file_uploader(key="cx_import_file").set_value(("more.csv", bad.encode(), "text/csv")).run()
    at.button(key="cx_import_go").click().run()
    assert_clean(at)
    assert at.error and "line 3" in at.error[0].value
    assert db_rows(data_dir, "select count(*) from events") == [(3,)]  # nothing of the bad file


def test_library_import_maps_boris_behaviours_to_kinds(added, data_dir, run_page):
    boris = (
        "Observation id\tMedia file name\tBehavior\tBehavior type\tStart (s)\tStop (s)\tComment\n"
        "obs1\tcall.mp4\tGreets customer\tPOINT\t0.4\t\t\n"
        "obs1\tcall.mp4\tChecks system\tSTATE\t1.0\t2.0\tslow\n"
    )
    at = run_page("library")
    at.file_uploader(key="cx_import_file").set_value(("obs.tsv", boris.encode(), "text/tab-separated-values")).run()
    at.text_area(key="cx_import_map").input("Greets customer=MOT\nChecks system=INT").run()
    at.button(key="cx_import_go").click().run()
    assert_clean(at)
    rows = db_rows(data_dir, "select kind, start_ms, end_ms, label from events order by start_ms")
    assert [(k, s, e) for k, s, e, _ in rows] == [("moment_of_truth", 400, None), ("internal_interaction", 1000, 2000)]


# --- settings ---------------------------------------------------------------------------------


def test_settings_saves_the_codebook(data_dir, no_sample, run_page):
    at = run_page("settings")
    areas = {a.label: a for a in at.text_area}
    areas["Stages (in journey order)"].input("Discover\nBuy\nUse")
    areas["DEC labels"].input("Pick plan | p\nQuit")
    [save] = [b for b in at.button if b.label == "Save codebook"]
    save.click().run()
    assert_clean(at)
    assert at.success[0].value == "Codebook saved."
    book = json.loads(db_rows(data_dir, "select data from codebook")[0][0])
    assert book["stages"] == ["Discover", "Buy", "Use"]
    assert book["labels"]["decision_point"] == [{"text": "Pick plan", "hotkey": "p"}, {"text": "Quit", "hotkey": None}]


def test_settings_rejects_a_clashing_hotkey_with_a_message(data_dir, no_sample, run_page):
    at = run_page("settings")
    inputs = {t.label: t for t in at.text_input}
    inputs["DEC key"].input("m")
    [save] = [b for b in at.button if b.label == "Save codebook"]
    save.click().run()
    assert_clean(at)
    assert "used by both" in at.error[0].value


def test_a_file_the_browser_cannot_play_gets_a_proxy_with_progress(data_dir, no_sample, tmp_path, run_page):
    from annotate.app.recordings import add_recording

    avi = make_clip(tmp_path / "cam.avi", codec="mjpeg", n_frames=20, fps=Fraction(10), audio=False)
    rec, _ = add_recording(services.store(), services.settings(), avi, make_proxy=False)
    assert not rec.browser_playable and rec.proxy_path is None
    at = run_page("review")
    assert_clean(at)
    assert "cannot play" in at.warning[0].value
    assert not at.get("bidi_component") or all(e.key != f"cx_player_{rec.id}" for e in at.get("bidi_component"))
    at.button(key=f"cx_proxy_make_{rec.id}").click().run()  # queued: made on the (inline) queue's thread
    assert_clean(at)
    deadline = time.monotonic() + 120
    while not db_rows(data_dir, "select proxy_path from recordings")[0][0] and time.monotonic() < deadline:
        time.sleep(0.1)
    [(proxy,)] = db_rows(data_dir, "select proxy_path from recordings")
    assert proxy and Path(proxy).is_file() and Path(proxy).parent == data_dir / "proxies"
    assert db_rows(data_dir, "select kind, state from jobs") == [("proxy", "done")]
    at.run()
    assert_clean(at)
    assert player_data(at, rec.id)["src"].startswith(f"/cx/media/{rec.id}")


def test_review_opens_the_recording_in_the_url_and_follows_the_picker(data_dir, no_sample, tmp_path):
    from annotate.app.recordings import add_recording

    store = services.store()
    first, _ = add_recording(store, services.settings(), make_clip(tmp_path / "a.mp4", n_frames=20, audio=False))
    second, _ = add_recording(store, services.settings(), make_clip(tmp_path / "b.mp4", n_frames=25, audio=False))
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["cx_reviewer"] = "Tess"
    at.query_params["rec"] = str(second.id)
    at.run()
    assert_clean(at)
    assert at.selectbox(key="cx_review_pick").value == second.id
    assert player_data(at, second.id)["rec"]["frames"] == 25
    at.selectbox(key="cx_review_pick").select(first.id).run()
    assert at.query_params["rec"] == [str(first.id)] or at.query_params["rec"] == str(first.id)
    assert player_data(at, first.id)["rec"]["frames"] == 20


def test_library_upload_of_a_video_added_by_path_finds_it_and_keeps_no_copy(added, data_dir, clip, run_page):
    at = run_page("library")
    at.file_uploader(key="cx_upload").set_value(("copy of call.mp4", clip.read_bytes(), "video/mp4")).run()
    at.button(key="cx_add_upload").click().run()
    assert_clean(at)
    assert f"already in the library as #{added.id}" in at.info[0].value
    assert db_rows(data_dir, "select count(*) from recordings") == [(1,)]
    assert [p.name for p in (data_dir / "media").iterdir()] == []


def test_library_upload_adds_a_new_video_under_the_name_given(data_dir, no_sample, clip, run_page):
    at = run_page("library")
    at.file_uploader(key="cx_upload").set_value(("Call 0412.mp4", clip.read_bytes(), "video/mp4")).run()
    at.button(key="cx_add_upload").click().run()
    assert_clean(at)
    assert "Added #1 Call 0412" in at.success[0].value
    [(title, path)] = db_rows(data_dir, "select title, path from recordings")
    assert title == "Call 0412" and Path(path).parent == (data_dir / "media").resolve()
    kinds = {k for (k,) in db_rows(data_dir, "select kind from jobs where recording_id = 1")}
    assert {"suggest", "preview"} <= kinds  # its suggested moments, filmstrip and waveform are on the queue


def test_analyse_link_names_the_map_on_every_run_and_follows_the_picker(data_dir, no_sample, tmp_path):
    from annotate.app.recordings import add_recording

    store = services.store()
    first, _ = add_recording(store, services.settings(), make_clip(tmp_path / "a.mp4", n_frames=20, audio=False))
    second, _ = add_recording(store, services.settings(), make_clip(tmp_path / "b.mp4", n_frames=25, audio=False))
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["cx_reviewer"] = "Tess"
    at.run()
    at.switch_page("annotate/ui/pages/analyse.py")
    at.query_params["rec"] = str(second.id)
    at.session_state["cx_an_map_rec"] = first.id  # what a rerun from the browser may still carry
    at.session_state["cx_an_linked"] = first.id
    at.run()
    assert_clean(at)
    linked = at.selectbox(key=f"cx_an_map_rec_{second.id}")
    assert linked.value == second.id
    linked.select(first.id).run()
    assert at.query_params["rec"] in ([str(first.id)], str(first.id))
    at.run()  # the link now names the first recording, and so does its picker
    assert at.selectbox(key=f"cx_an_map_rec_{first.id}").value == first.id
