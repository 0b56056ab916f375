"""`annotate map`, `flow` and `metrics` against a real store in a temporary data directory."""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET

import pytest
from PIL import Image

from annotate import config
from annotate.cli import main
from annotate.testing.journeys import journeys
from annotate.store import Store

NS = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def data_dir(tmp_path):
    """A data directory whose store holds 3 synthetic recordings of 12 events each, plus one with none."""
    root = tmp_path / "data"
    store = Store.open(config.resolve(root).ensure_dirs())
    recs, events = journeys(3, 12, seed=11)
    for rec in recs:
        stored = store.add_recording(rec.__class__(path=str(tmp_path / rec.path), title=rec.title,
                                                   duration_s=rec.duration_s, content_hash=f"hash{rec.id}"))
        store.add_events([e.replace(recording_id=stored.id) for e in events if e.recording_id == rec.id])
    store.add_recording(recs[0].__class__(path=str(tmp_path / "empty.mp4"), duration_s=10, content_hash="empty"))
    store.close()
    return root


def run(data_dir, *args) -> int:
    return main(["--data-dir", str(data_dir), *args])


def test_map_svg_has_one_marker_per_stored_event(data_dir, tmp_path, capsys):
    out = tmp_path / "map.svg"
    assert run(data_dir, "map", "--recording", "2", "-o", str(out)) == 0
    assert "12 events" in capsys.readouterr().out
    root = ET.parse(out).getroot()
    assert len([el for el in root.iter() if el.get("class") == "marker"]) == 12


def test_map_png_at_the_requested_size(data_dir, tmp_path):
    out = tmp_path / "map.png"
    assert run(data_dir, "map", "--recording", "1", "-o", str(out), "--width", "900", "--height", "600") == 0
    assert Image.open(out).size == (900, 600)


def test_flow_top_reports_what_it_hid(data_dir, tmp_path, capsys):
    out = tmp_path / "flow.svg"
    assert run(data_dir, "flow", "-o", str(out), "--top", "3", "--view", "time") == 0
    said = capsys.readouterr().out
    assert "flow map of 4 recordings" not in said and "3 recordings (36 events)" in said
    assert "hidden" in said
    root = ET.parse(out).getroot()
    notes = [t for t in root.iter(NS + "text") if t.get("class") == "hidden-note"]
    assert len(notes) == 1 and int(notes[0].get("data-hidden-nodes")) > 0


def test_flow_of_chosen_recordings_as_dot(data_dir, tmp_path):
    out = tmp_path / "flow.dot"
    assert run(data_dir, "flow", "--recording", "1", "--recording", "3", "-o", str(out)) == 0
    text = out.read_text(encoding="utf-8")
    assert text.startswith("digraph") and "Flow of 2 recordings, 24 events" in text


def test_metrics_csv_by_stage_and_by_recording(data_dir, tmp_path):
    out = tmp_path / "m.csv"
    assert run(data_dir, "metrics", "-o", str(out), "--by", "stage") == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["stage"] for r in rows] == ["Awareness", "Buy-In", "Acquisition", "Care", "Use", "Share"]
    assert sum(int(r["events"]) for r in rows) == 36
    assert run(data_dir, "metrics", "-o", str(out)) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["recording_id"] for r in rows] == ["1", "2", "3", "4"]
    assert rows[3]["events"] == "0"


def test_metrics_printed_when_no_output(data_dir, capsys):
    assert run(data_dir, "metrics", "--by", "kind", "--recording", "1") == 0
    out = capsys.readouterr().out
    assert "MOT" in out and "INT" in out and "DEC" in out


@pytest.mark.parametrize(
    "args,message",
    [
        (["map", "--recording", "99", "-o", "m.svg"], "99"),
        (["map", "--recording", "1", "-o", "m.jpg"], ".svg, .png, .html"),
        (["flow", "--recording", "4", "-o", "f.svg"], "no events"),
        (["metrics", "-o", "m.xlsx"], ".csv"),
    ],
)
def test_user_errors_are_one_line_and_exit_2(data_dir, tmp_path, capsys, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    assert run(data_dir, *args) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and "Traceback" not in err
    assert not [p for p in tmp_path.iterdir() if p.suffix in (".svg", ".jpg", ".xlsx")]
