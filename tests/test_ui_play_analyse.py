"""The Play and Analyse pages and the plain logic behind them (annotate.app.analysis, annotate.app.playback).

The logic is tested directly on hand-made events with hand-computed answers; renders
are decoded with PyAV. The pages run under Streamlit's AppTest against a SQLite file in
a temporary data directory; download buttons are read back through a spy on Streamlit's
media file manager (eager bytes) and its deferred callables (files made on click).
"""

from __future__ import annotations

import csv
import io
import json
import time
import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image
from starlette.applications import Starlette
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from annotate.app import analysis, playback
from annotate.config import Settings, sqlite_url
from annotate.errors import RenderError, ValidationError
from annotate.jobs import board, queue
from annotate.model import Codebook, Event, Kind, Recording
from annotate.store import Store
from annotate.testing import make_clip
from annotate.testing.asgi import asgi_request
from annotate.timebase import seconds_from_ms
from annotate.ui import play_routes, services

APP = str(Path(__file__).resolve().parents[1] / "app.py")
MOT, INT, DEC = Kind.MOMENT_OF_TRUTH, Kind.INTERNAL_INTERACTION, Kind.DECISION_POINT
SVG_NS = "{http://www.w3.org/2000/svg}"


# --- hand-made events across three recordings -----------------------------------------------------


def ev(eid, rid, kind, t, label, stage="", channel="", actor="", emotion=None, reviewer=""):
    return Event(kind=kind, start_s=t, recording_id=rid, label=label, stage=stage, channel=channel, actor=actor,
                 emotion=emotion, reviewer=reviewer, id=eid)


@pytest.fixture
def dataset() -> analysis.Dataset:
    recs = {
        1: Recording(path="/v/a.mp4", title="A", id=1, duration_s=100.0),
        2: Recording(path="/v/b.mp4", title="B", id=2, duration_s=60.0),
        3: Recording(path="/v/c.mp4", title="C", id=3, duration_s=30.0),
    }
    events = [
        ev("e1", 1, MOT, 10.0, "Greeting", "Care", "Chat", "frontline", 1, "ann"),
        ev("e2", 1, INT, 20.0, "Lookup", "care", "Chat", "back office", None, "ann"),
        ev("e3", 1, DEC, 70.0, "Continue", "Acquisition", "Web", "customer", 2, "bob"),
        ev("e4", 2, MOT, 5.0, "Payment declined", "Acquisition", "Web", "system", -2, "bob"),
        ev("e5", 2, MOT, 9.0, "greeting", "", "", "", -1, ""),
        ev("e6", 3, INT, 1.0, "Hand-off", "Care", "Phone", "Frontline", 0, "ann"),
    ]
    return analysis.Dataset(recordings=recs, events=events, codebook=Codebook())


def ids(events) -> list[str]:
    return [e.id for e in events]


@pytest.mark.parametrize(
    "filters, expected",
    [
        (dict(), ["e1", "e2", "e3", "e4", "e5", "e6"]),
        (dict(kinds=["MOT"]), ["e1", "e4", "e5"]),
        (dict(recording_ids=[1, 3]), ["e1", "e2", "e3", "e6"]),
        (dict(stages=["Care"]), ["e1", "e2", "e6"]),  # "care" is the codebook's Care
        (dict(stages=[""]), ["e5"]),
        (dict(channels=["web"]), ["e3", "e4"]),
        (dict(actors=["frontline"]), ["e1", "e6"]),
        (dict(reviewers=["ann"]), ["e1", "e2", "e6"]),
        (dict(reviewers=[""]), ["e5"]),
        (dict(text="greet"), ["e1", "e5"]),
        (dict(text="  PAY "), ["e4"]),
        (dict(emotion=(-2, -1), blank_emotion=False), ["e4", "e5"]),
        (dict(emotion=(-2, -1), blank_emotion=True), ["e2", "e4", "e5"]),
        (dict(emotion=(-2, 2), blank_emotion=False), ["e1", "e3", "e4", "e5", "e6"]),
        (dict(kinds=[MOT], recording_ids=[2], text="greeting"), ["e5"]),
        (dict(kinds=[DEC], stages=["Care"]), []),
    ],
)
def test_filters_select_the_hand_picked_events(dataset, filters, expected):
    chosen = analysis.filter_events(dataset.events, analysis.Filters.make(**filters), dataset.codebook)
    assert ids(chosen) == expected


def test_filters_know_when_they_filter_and_reject_bad_ranges():
    assert not analysis.Filters.make().active
    assert not analysis.Filters.make(text="  ", emotion=(-2, 2)).active  # the full range with blanks is no filter
    assert analysis.Filters.make(emotion=(-2, 2), blank_emotion=False).active
    assert analysis.Filters.make(kinds=["DEC"]).kinds == frozenset({DEC})
    with pytest.raises(ValidationError, match="-2..2"):
        analysis.Filters.make(emotion=(1, -1))
    with pytest.raises(ValidationError):
        analysis.Filters.make(emotion=(-3, 0))


def test_filter_options_follow_the_codebook_then_the_rest_then_blank(dataset):
    options = analysis.filter_options(dataset)
    assert options["recordings"] == [1, 2, 3]
    assert options["kinds"] == [MOT, INT, DEC]
    assert options["stages"] == ["Acquisition", "Care", ""]
    assert options["channels"] == ["Web", "Phone", "Chat", ""]
    assert options["actors"] == ["customer", "frontline", "back office", "system", ""]
    assert options["reviewers"] == ["ann", "bob", ""]


def test_events_frame_has_one_row_per_event_in_codebook_spelling(dataset):
    frame = analysis.events_frame(dataset.events, dataset.recordings, dataset.codebook)
    assert list(frame.columns) == analysis.TABLE_COLUMNS
    assert len(frame) == 6
    row = frame.set_index("id").loc["e2"]
    assert (row["recording"], row["kind"], row["time"], row["stage"], row["actor"]) == ("A", "INT", "0:20.000", "Care", "back office")
    assert frame["emotion"].isna().tolist() == [False, True, False, False, False, False]
    assert frame.set_index("id").loc["e6", "actor"] == "frontline"


def test_events_files_hold_exactly_the_filtered_events(dataset):
    mots = analysis.filter_events(dataset.events, analysis.Filters.make(kinds=[MOT]))
    csv_file = analysis.events_file(mots, dataset, "csv")
    assert csv_file.file_name == "events.csv" and csv_file.mime.startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(csv_file.data.decode("utf-8-sig"))))
    assert sorted((r["kind"], float(r["start_s"]), r["label"]) for r in rows) == [
        ("moment_of_truth", 5.0, "Payment declined"), ("moment_of_truth", 9.0, "greeting"),
        ("moment_of_truth", 10.0, "Greeting"),
    ]
    data = json.loads(analysis.events_file(mots, dataset, "json").data)
    assert sorted(e["id"] for e in data["events"]) == ["e1", "e4", "e5"]
    vtt = analysis.events_file(mots, dataset, "vtt").data.decode("utf-8")
    assert vtt.startswith("WEBVTT") and vtt.count("-->") == 3
    with pytest.raises(Exception, match="unknown format"):
        analysis.events_file(mots, dataset, "docx")


def test_csv_bytes_are_spreadsheet_safe():
    import pandas as pd

    data = analysis.csv_bytes(pd.DataFrame({"label": ["=1+2", "ok"], "n": [1, None]}))
    assert data.decode("utf-8") == "label,n\n'=1+2,1.0\nok,\n"


def test_map_of_one_recording_draws_one_marker_per_filtered_event(dataset):
    chosen = analysis.filter_events(dataset.events, analysis.Filters.make(kinds=[MOT, DEC]))
    picture, table = analysis.map_files(dataset, 1, chosen)
    root = ET.fromstring(picture.svg.encode("utf-8"))
    markers = [el for el in root.iter() if "marker" in (el.get("class") or "").split()]
    assert sorted(m.get("data-event-id") for m in markers) == ["e1", "e3"]
    assert list(table["kind"]) == ["MOT", "DEC"]
    png = Image.open(io.BytesIO(picture.png(width=600)))
    assert png.size[0] == 600
    with pytest.raises(ValidationError):
        analysis.map_files(dataset, 9, chosen)


def test_flow_map_says_what_the_top_n_slider_hides(dataset):
    full = analysis.flow_files(dataset, dataset.events)
    assert full.graph.total_nodes == 5 and full.note == ""
    # Activities: MOT greeting x2; MOT payment declined, INT lookup, INT hand-off, DEC continue x1.
    # Kept at top 2: greeting and (tie broken by kind) payment declined. Edges (9 in all) kept among
    # Start, End, those two: Start->greeting, Start->payment, payment->greeting, greeting->End.
    top2 = analysis.flow_files(dataset, dataset.events, top=2)
    assert top2.note == (
        "Showing 2 of 5 activities and 4 of 9 connections: 3 activities (3 events) and 5 connections hidden"
    )
    assert "Payment declined" in top2.picture.svg and "Hand-off" not in top2.picture.svg
    assert "digraph" in top2.dot
    assert analysis.flow_files(dataset, dataset.events, top=5).note == ""
    with pytest.raises(ValidationError):
        analysis.flow_files(dataset, dataset.events, top=0)


def test_metrics_table_measures_only_the_recordings_in_the_selection(dataset):
    chosen = analysis.filter_events(dataset.events, analysis.Filters.make(recording_ids=[2]))
    table = analysis.metrics_table(dataset, chosen, "recording")
    assert table["recording_id"].tolist() == [2]
    assert (table.loc[0, "mot_count"], table.loc[0, "int_count"], table.loc[0, "dec_count"]) == (2, 0, 0)
    by_kind = analysis.metrics_table(dataset, dataset.events, "kind")
    assert by_kind["kind"].tolist() == ["MOT", "INT", "DEC"] and by_kind["count"].tolist() == [3, 2, 1]
    with pytest.raises(ValidationError):
        analysis.metrics_table(dataset, chosen, "week")


# --- playback: renders cached by events_version -----------------------------------------------------


def finished(job, timeout: float = 180.0):
    """Return the job's row once it is done or failed (the inline queue runs it on this process's threads)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = queue.records().get(job.id)
        if row.finished:
            return row
        time.sleep(0.05)
    raise AssertionError(f"job {job.label} still {row.state} after {timeout} s")


@pytest.fixture
def small(tmp_path, monkeypatch):
    """A store with a 2 s 320x240 25 fps clip and three events: MOT 0.4 Care, INT 1.0 Care, MOT 1.6 Acquisition.
    The job queue (inline) works on the same data directory."""
    settings = Settings(data_dir=tmp_path / "data", db_url=sqlite_url(tmp_path / "data" / "a.sqlite")).ensure_dirs()
    monkeypatch.setenv("ANNOTATE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ANNOTATE_DB", settings.db_url)
    queue.reset()
    store = Store.open(settings)
    from annotate.app.recordings import add_recording

    clip = make_clip(tmp_path / "clip.mp4", fps=Fraction(25), n_frames=50, audio=False)
    rec, _ = add_recording(store, settings, clip, title="Small call")
    store.add_events([
        Event(kind=MOT, start_s=0.4, recording_id=rec.id, label="Greeting", stage="Care", id="a" * 32),
        Event(kind=INT, start_s=1.0, recording_id=rec.id, label="Lookup", stage="Care", id="b" * 32),
        Event(kind=MOT, start_s=1.6, recording_id=rec.id, label="Payment", stage="Acquisition", id="c" * 32),
    ], reviewer="t")
    yield store, settings, rec
    queue.reset()
    store.close()


def decode(path) -> tuple[str, list[np.ndarray]]:
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        return stream.codec_context.name, [f.to_ndarray(format="rgb24") for f in c.decode(stream)]


def test_overlay_is_rendered_once_and_again_only_when_events_change(small):
    store, settings, rec = small
    plan = playback.plan_overlay(store, settings, rec.id)
    assert not plan.ready and plan.path.parent == settings.render_dir
    assert plan.path.name.startswith(f"rec{rec.id}-overlay-") and plan.download_name == "Small-call-overlay.mp4"
    plan.run()
    codec, frames = decode(plan.path)
    assert codec == "h264" and len(frames) == 50
    # The MOT at 0.4 s is frame 10: its first frame has the red border; frame 0 has no border.
    corner = frames[10][2:6, 2:6].reshape(-1, 3).mean(axis=0)
    assert np.abs(corner - (214, 39, 40)).max() < 30, corner
    assert np.abs(frames[0][2:6, 2:6].reshape(-1, 3).mean(axis=0) - (214, 39, 40)).max() > 60
    mtime = plan.path.stat().st_mtime_ns

    again = playback.plan_overlay(store, settings, rec.id)
    assert again.path == plan.path and again.ready
    job = finished(board.start(again))
    assert job.state == "done" and job.fraction == 1.0
    assert plan.path.stat().st_mtime_ns == mtime  # not rendered again

    store.update_event("a" * 32, expected_version=1, reviewer="t", label="Welcome")
    changed = playback.plan_overlay(store, settings, rec.id)
    assert changed.path != plan.path and not changed.ready
    job = board.start(changed)
    assert board.start(changed).id == job.id  # a second request joins the running job
    job = finished(job)
    assert job.state == "done", job.error
    assert changed.ready and not plan.path.exists()  # the old version was removed


def test_clip_around_an_event_has_the_frames_of_its_window(small):
    store, settings, rec = small
    plan = playback.plan_clip(store, settings, "c" * 32, before_s=0.4, after_s=0.4)
    assert plan.download_name.startswith("Small-call-MOT-")
    plan.run()
    codec, frames = decode(plan.path)
    assert codec == "h264" and len(frames) == 20  # 1.20 s .. 1.96 s at 25 fps
    other = playback.plan_clip(store, settings, "c" * 32, before_s=0.4, after_s=0.8)
    assert other.path != plan.path
    with pytest.raises(ValidationError):
        playback.plan_clip(store, settings, "c" * 32, before_s=-1)


def test_reel_selection_by_kind_and_stage(small):
    store, settings, rec = small
    pick = lambda **kw: [(it.event.label, it.event.start_s) for it in playback.reel_selection(store, [rec.id], **kw)]  # noqa: E731
    assert pick() == [("Greeting", 0.4), ("Payment", 1.6)]
    assert pick(stage="care") == [("Greeting", 0.4)]
    assert pick(kinds=None, stage="Care") == [("Greeting", 0.4), ("Lookup", 1.0)]
    assert pick(kinds=[DEC]) == []
    with pytest.raises(RenderError, match="no DEC in Care"):
        playback.plan_reel(store, settings, [rec.id], kinds=[DEC], stage="Care")
    assert playback.describe_selection([MOT, DEC], "Care") == "MOT and DEC in Care"


def test_reel_is_a_title_card_and_a_clip_per_event(small):
    store, settings, rec = small
    plan = playback.plan_reel(store, settings, [rec.id], kinds=[MOT], stage="Care", before_s=0.2, after_s=0.2)
    assert plan.label == "reel of 1 × MOT in Care"
    plan.run()
    codec, frames = decode(plan.path)
    assert codec == "h264" and len(frames) == 60 + 10  # a 2 s card at 30 fps, then 0.2 s .. 0.56 s at 25 fps


def test_a_failing_render_reports_its_message_and_can_be_retried(small):
    store, settings, rec = small
    plan = playback.plan_overlay(store, settings, rec.id)
    Path(rec.path).unlink()  # the recording's file goes before the job runs
    job = finished(board.start(plan))
    assert job.state == "failed" and "missing" in job.error and "\n" not in job.error
    retry = board.start(plan)
    assert retry.id != job.id and finished(retry).state == "failed" and retry.attempts == 0
    assert not plan.path.exists()


def test_prune_keeps_the_newest_of_a_family_and_never_temporary_files(tmp_path):
    import os

    names = ["reel-a.mp4", "reel-b.mp4", "reel-c.mp4", ".reel-d.partial.x.mp4", "rec1-clip-x.mp4"]
    for i, name in enumerate(names):
        p = tmp_path / name
        p.write_bytes(b"x")
        os.utime(p, ns=(i * 10**9, i * 10**9))
    removed = playback.prune_family(tmp_path / "reel-c.mp4", "reel-*.mp4", keep=2)
    assert [p.name for p in removed] == ["reel-a.mp4"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names[1:])


# --- the render route -----------------------------------------------------------------------------


def request(path: str, headers: dict[str, str] | None = None):
    return asgi_request(Starlette(routes=play_routes.render_routes()), path, headers)


def test_render_route_serves_rendered_files_with_ranges_and_nothing_else(tmp_path, monkeypatch):
    monkeypatch.setenv("ANNOTATE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("ANNOTATE_DB", raising=False)
    render_dir = services.settings().render_dir
    data = bytes(range(256)) * 10
    (render_dir / "rec1-overlay-0123abcd.mp4").write_bytes(data)
    (tmp_path / "data" / "secret.mp4").write_bytes(b"no")
    status, headers, body = request("/cx/render/rec1-overlay-0123abcd.mp4", {"Range": "bytes=10-19"})
    assert status == 206 and body == data[10:20] and headers["content-type"] == "video/mp4"
    status, headers, body = request("/cx/render/rec1-overlay-0123abcd.mp4?download=My call: overlay.mp4")
    assert status == 200 and body == data
    assert 'attachment; filename="My-call-overlay.mp4"' in headers["content-disposition"]
    for bad in ("/cx/render/..%2Fsecret.mp4", "/cx/render/secret.mp4", "/cx/render/.rec1-overlay-x.partial.mp4",
                "/cx/render/rec1-overlay-missing.mp4"):
        assert request(bad)[0] == 404, bad
    assert play_routes.url_for(render_dir / "reel-x.mp4", download="a b.mp4") == "/cx/render/reel-x.mp4?download=a%20b.mp4"


# --- the pages under AppTest ------------------------------------------------------------------------


@pytest.fixture
def media(monkeypatch):
    """Record what download buttons and media elements hand to Streamlit; ``media(button)`` returns the bytes."""
    eager, deferred = {}, {}
    add, add_deferred = MediaFileManager.add, MediaFileManager.add_deferred

    def spy_add(self, path_or_data, mimetype, coordinates, file_name=None, is_for_static_download=False):
        url = add(self, path_or_data, mimetype, coordinates, file_name, is_for_static_download)
        eager[url] = path_or_data
        return url

    def spy_deferred(self, data_callable, mimetype, coordinates, file_name=None, **kw):
        file_id = add_deferred(self, data_callable, mimetype, coordinates, file_name, **kw)
        deferred[file_id] = data_callable
        return file_id

    monkeypatch.setattr(MediaFileManager, "add", spy_add)
    monkeypatch.setattr(MediaFileManager, "add_deferred", spy_deferred)

    def read(button) -> bytes:
        proto = button.proto
        data = deferred[proto.deferred_file_id]() if proto.deferred_file_id else eager[proto.url]
        if isinstance(data, str):
            data = Path(data).read_bytes() if not proto.deferred_file_id and Path(data).is_file() else data.encode("utf-8")
        return data

    read.eager = eager
    return read


def run_page(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["cx_reviewer"] = "Tess"
    at.run()
    at.switch_page(f"annotate/ui/pages/{page}.py").run()
    return at


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def download(at: AppTest, label_start: str):
    found = [b for b in at.get("download_button") if b.label.startswith(label_start)]
    assert len(found) == 1, [b.label for b in at.get("download_button")]
    return found[0]


def view(at: AppTest) -> dict:
    [el] = [e for e in at.get("bidi_component") if (e.key or "").startswith("cx_play_view_")]
    return json.loads(el.proto.json)


@pytest.mark.parametrize("page", ["play", "analyse"])
def test_pages_render_on_an_empty_store(data_dir, no_sample, page):
    at = run_page(page)
    assert_clean(at)
    assert at.title[0].value == page.capitalize()
    assert "No recordings yet" in at.info[0].value


@pytest.fixture
def sample(data_dir):
    from annotate.app.sample import sample_dir

    if sample_dir() is None:
        pytest.fail("sample_media/ with the sample recording is missing")
    return sample_dir()


def test_play_shows_the_sample_with_its_events_captions_and_downloads(sample, media):
    at = run_page("play")
    assert_clean(at)
    data = view(at)
    assert data["src"].startswith("/cx/media/1") and data["live"] and data["captions"]
    assert len(data["events"]) == 14
    assert [k["short"] for k in data["kinds"]] == ["MOT", "INT", "DEC"]
    assert data["vtt"].startswith("WEBVTT") and data["vtt"].count("-->") == 14
    starts = [row[2] for row in data["events"]]
    assert starts == sorted(starts) and starts[0] == 3.467
    assert {b.label for b in at.button} >= {"Render the overlay video", "Make this clip", "Make the reel of 5 × MOT"}
    vtt = media(download(at, "Download .vtt")).decode("utf-8")
    assert vtt.count("-->") == 14 and "Form error" in vtt
    # A link from the Analyse table: ?t= moves the viewer once.
    at.query_params["rec"] = "1"
    at.query_params["t"] = "21.734"
    at.run()
    assert view(at)["seek"]["t"] == 21.734


def test_analyse_filters_tables_maps_and_every_download(sample, media):
    at = run_page("analyse")
    assert_clean(at)
    assert at.markdown[0].value.startswith("**14** of 14 events")
    assert len(at.dataframe[0].value) == 14

    at.multiselect(key="cx_an_kinds").set_value([MOT]).run()
    assert_clean(at)
    assert at.markdown[0].value.startswith("**5** of 14 events") and "(filtered)" in at.markdown[0].value
    table = at.dataframe[0].value
    assert len(table) == 5 and set(table["kind"]) == {"MOT"}
    assert table["play"].iloc[0].startswith("play?rec=1&t=")

    rows = list(csv.DictReader(io.StringIO(media(download(at, "Event CSV")).decode("utf-8-sig"))))
    assert len(rows) == 5 and {r["kind"] for r in rows} == {"moment_of_truth"}
    assert len(json.loads(media(download(at, "JSON"))) ["events"]) == 5
    assert media(download(at, "WebVTT")).decode("utf-8").count("-->") == 5
    assert media(download(at, "SRT")).decode("utf-8").count("-->") == 5
    for label in ("ELAN", "XES"):
        ET.fromstring(media(download(at, label)))
    boris = media(download(at, "BORIS")).decode("utf-8-sig")
    assert "Behavior" in boris.splitlines()[0] or "behavior" in boris.lower()
    log = list(csv.DictReader(io.StringIO(media(download(at, "Process-mining")).decode("utf-8-sig"))))
    assert len(log) == 5 and "case_id" in log[0]

    # The process map of the sample draws the 5 MOTs; its PNG is made on click.
    [svg_el] = [e for e in at.get("bidi_component") if e.key == "cx_an_map_view"]
    svg = json.loads(svg_el.proto.json)["svg"]
    root = ET.fromstring(svg[svg.find("<svg"):])
    markers = [el for el in root.iter() if "marker" in (el.get("class") or "").split()]
    assert len(markers) == 5 and {m.get("data-kind") for m in markers} == {"moment_of_truth"}
    png = Image.open(io.BytesIO(media(download(at, "Map as PNG"))))
    assert png.format == "PNG" and png.size[0] > 400
    assert media(download(at, "Map as SVG")).startswith(b"<?xml")
    activity = list(csv.DictReader(io.StringIO(media(download(at, "Activity table")).decode("utf-8"))))
    assert [r["kind"] for r in activity] == ["MOT"] * 5

    # Flow map: with the slider at 2 of the 5 MOT activities, the map says what it hides.
    at.slider(key="cx_an_flow_top").set_value(2).run()
    assert_clean(at)
    notes = [w.value for w in at.warning]
    assert any(n.startswith("Showing 2 of 5 activities") for n in notes), notes
    assert Image.open(io.BytesIO(media(download(at, "Flow map as PNG")))).format == "PNG"
    assert b"digraph" in media(download(at, "Graphviz"))
    assert b"<svg" in media(download(at, "Interactive HTML"))

    # Metrics by stage: one row per codebook stage, also in the CSV.
    at.button_group(key="cx_an_metrics_by").set_value("stage").run()
    assert_clean(at)
    metrics = list(csv.DictReader(io.StringIO(media(download(at, "Metrics as CSV")).decode("utf-8"))))
    assert [r["stage"] for r in metrics] == ["Awareness", "Buy-In", "Acquisition", "Care", "Use", "Share"]
    assert sum(int(r["mot_count"]) for r in metrics) == 5

    # Label text and emotion range, then clear.
    at.text_input(key="cx_an_text").set_value("payment").run()
    assert at.markdown[0].value.startswith("**2** of 14 events")
    at.button(key="cx_an_clear").click().run()
    at.select_slider(key="cx_an_emotion").set_value((-2, -1)).run()
    at.checkbox(key="cx_an_blank_emotion").uncheck().run()
    assert_clean(at)
    assert at.markdown[0].value.startswith("**4** of 14 events")  # Form error, Payment declined, Choose channel, Hand-off


@pytest.fixture
def small_app(data_dir, no_sample, tmp_path):
    """The app's store with the small clip (see ``small``) and its three events."""
    from annotate.app.recordings import add_recording

    store, settings = services.store(), services.settings()
    clip = make_clip(tmp_path / "clip.mp4", fps=Fraction(25), n_frames=50, audio=False)
    rec, _ = add_recording(store, settings, clip, title="Small call")
    store.add_events([
        Event(kind=MOT, start_s=0.4, recording_id=rec.id, label="Greeting", stage="Care"),
        Event(kind=INT, start_s=1.0, recording_id=rec.id, label="Lookup", stage="Care"),
        Event(kind=MOT, start_s=1.6, recording_id=rec.id, label="Payment", stage="Acquisition"),
    ], reviewer="t")
    return rec


def finish_jobs(*paths) -> None:
    for path in paths:
        job = board.get(path)
        assert job is not None, f"no job for {path}"
        assert finished(job).state == "done", job.error


def test_play_renders_and_offers_the_overlay_clip_and_reel(small_app, media, tmp_path):
    rec = small_app
    store, settings = services.store(), services.settings()
    at = run_page("play")
    assert_clean(at)
    at.button(key="cx_play_start_overlay").click().run()
    overlay = playback.plan_overlay(store, settings, rec.id)
    at.number_input(key="cx_play_before").set_value(0.4).run()
    at.number_input(key="cx_play_after").set_value(0.4).run()
    at.button(key="cx_play_start_clip").click().run()
    at.button(key="cx_play_start_reel").click().run()
    events = store.list_events(rec.id)
    clip = playback.plan_clip(store, settings, events[0].id, before_s=0.4, after_s=0.4)
    reel = playback.plan_reel(store, settings, [rec.id], before_s=0.4, after_s=0.4)
    finish_jobs(overlay.path, clip.path, reel.path)
    at.run()
    assert_clean(at)

    out = tmp_path / "overlay.mp4"
    out.write_bytes(media(download(at, "Download the overlay video")))
    codec, frames = decode(out)
    assert codec == "h264" and len(frames) == 50
    assert download(at, "Download the overlay video").proto.deferred_file_id  # made on click, not held per rerun
    out.write_bytes(media(download(at, "Download the clip around MOT")))
    assert len(decode(out)[1]) == 20  # 0.0 .. 0.76 s: 0.4 s before the MOT at 0.4 is the start
    out.write_bytes(media(download(at, "Download the reel")))
    assert len(decode(out)[1]) == 2 * 60 + 20 + 20  # two cards, 0.0..0.76 s and 1.2..1.96 s

    # The overlay is ready, so the viewer can show it: offset 0, no live flashes, the file itself.
    at.session_state[f"cx_play_mode_{rec.id}"] = "Overlay video"
    at.run()
    assert_clean(at)
    data = view(at)
    assert not data["live"] and data["offset"] == 0.0
    served = media.eager.get(data["src"]) if not data["src"].startswith("/cx/render/") else data["src"]
    assert served is not None and Path(str(served)).name == overlay.path.name


def test_play_shows_a_missing_video_as_an_error_not_a_traceback(small_app):
    Path(small_app.path).unlink()
    at = run_page("play")
    assert not at.exception, [e.value for e in at.exception]
    assert any("is missing" in e.value for e in at.error), [e.value for e in at.error]


def test_analyse_pages_a_long_table_sorted_over_every_row(small_app):
    store = services.store()
    many = [
        Event(kind=[MOT, INT, Kind.DECISION_POINT][i % 3], start_s=seconds_from_ms(i * 7 % 2000), recording_id=small_app.id,
              label=f"step {i:04d}")
        for i in range(2497)
    ]
    store.add_events(many, reviewer="t")  # with the 3 of small_app: 2,500 rows, 3 pages of 1,000
    at = run_page("analyse")
    assert_clean(at)
    assert len(at.dataframe[0].value) == 1000
    assert at.number_input(key="cx_an_page").label == "Page (of 3)"
    at.number_input(key="cx_an_page").set_value(3).run()
    last = at.dataframe[0].value
    assert len(last) == 500
    starts = sorted(e.start_s for e in store.list_events(small_app.id))
    assert list(last["start_s"]) == starts[2000:]  # sorted over all rows by recording and time, not per page
    at.selectbox(key="cx_an_sort").set_value("Label").run()
    at.toggle(key="cx_an_desc").set_value(True).run()
    at.number_input(key="cx_an_page").set_value(1).run()
    assert_clean(at)
    labels = sorted((e.label for e in store.list_events(small_app.id)), reverse=True)
    assert list(at.dataframe[0].value["label"]) == labels[:1000]
