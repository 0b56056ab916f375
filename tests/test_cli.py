"""The ``annotate`` command line, run for real: in-process through ``main`` and as a subprocess."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from annotate.cli import main
from annotate.app.sample import sample_dir

SAMPLE = sample_dir()


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("ANNOTATE_DB", raising=False)
    monkeypatch.delenv("ANNOTATE_DATA_DIR", raising=False)
    return tmp_path / "data"


def db_rows(data_dir: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(data_dir / "annotate.sqlite") as con:
        return con.execute(sql).fetchall()


@pytest.mark.parametrize("name", ["cfr", "vfr", "rotated", "late_start", "odd_size", "no_audio", "hevc", "mjpeg"])
def test_info_json_reports_what_the_container_holds(capsys, media_clip, name):
    path, plan = media_clip(name)
    code, out, err = run(capsys, "info", path, "--json")
    assert code == 0, err
    info = json.loads(out)
    assert Fraction(info["fps"]) == plan.fps
    assert info["frame_count"] == plan.frame_count
    assert info["duration_s"] == pytest.approx(float(plan.duration), abs=1e-3)
    assert (info["width"], info["height"]) == (plan.display_width, plan.display_height)
    assert (info["coded_width"], info["coded_height"]) == (plan.width, plan.height)
    assert info["rotation"] == plan.rotation
    assert info["start_offset_s"] == pytest.approx(float(plan.start_offset), abs=1e-3)
    assert info["vfr"] is plan.vfr
    assert info["has_audio"] is (plan.audio_codec is not None)
    # Rotation and late timestamps are baked into a proxy too: browsers disagree on both.
    assert info["browser_playable"] is (name in ("cfr", "vfr", "no_audio"))


def test_info_plain_text_lists_fields(capsys, media_clip):
    path, _ = media_clip("cfr")
    code, out, _ = run(capsys, "info", path)
    assert code == 0 and "30000/1001" in out and "frame_count" in out


@pytest.mark.parametrize("bad", ["empty", "truncated", "truncated_faststart", "text", "png", "audio_only", "undecodable", "missing"])
def test_bad_media_is_one_line_exit_2(capsys, bad_media, bad):
    if bad not in bad_media:
        pytest.fail(f"bad_media fixture lacks {bad}: {sorted(bad_media)}")
    code, out, err = run(capsys, "info", bad_media[bad])
    assert code == 2 and out == ""
    assert err.startswith("Error: ") and err.count("\n") == 1 and "Traceback" not in err


def test_add_list_import_export_round_trip(capsys, data_dir, tmp_path):
    assert SAMPLE is not None
    video = SAMPLE / "checkout.mp4"
    code, out, err = run(capsys, "--data-dir", data_dir, "add", video)
    assert code == 0, err
    rec_id = int(out.split("\t")[0])
    # Adding the same file again does not duplicate it.
    code, out, _ = run(capsys, "add", video, "--data-dir", data_dir)
    assert code == 0 and int(out.split("\t")[0]) == rec_id and "already added" in out
    assert db_rows(data_dir, "select count(*) from recordings")[0][0] == 1

    code, out, err = run(capsys, "import", SAMPLE / "checkout.events.csv", "--recording", rec_id, "--data-dir", data_dir)
    assert code == 0, err
    n_file = sum(1 for _ in csv.DictReader(open(SAMPLE / "checkout.events.csv", encoding="utf-8-sig")))
    assert f"Imported {n_file} events" in out
    # Re-import adds nothing.
    code, out, _ = run(capsys, "import", SAMPLE / "checkout.events.csv", "--recording", video, "--data-dir", data_dir)
    assert code == 0 and "Imported 0 events" in out
    assert db_rows(data_dir, "select count(*) from events")[0][0] == n_file

    code, out, _ = run(capsys, "list", "--json", "--data-dir", data_dir)
    (row,) = json.loads(out)
    assert row["id"] == rec_id and row["status"] == "in_review" and row["duration_s"] == 75.0
    assert sum(row["event_counts"].values()) == n_file and set(row["event_counts"]) == {
        "moment_of_truth", "internal_interaction", "decision_point"}

    exported = tmp_path / "out.csv"
    code, out, err = run(capsys, "export", "-o", exported, "--data-dir", data_dir)
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(exported.read_text(encoding="utf-8-sig"))))
    assert len(rows) == n_file
    stored = db_rows(data_dir, "select id, start_ms from events order by start_ms")
    assert sorted((r["event_id"], round(float(r["start_s"]) * 1000)) for r in rows) == sorted(stored)

    # The exported file imports into a fresh store with nothing lost.
    other = tmp_path / "other"
    assert run(capsys, "add", video, "--data-dir", other)[0] == 0
    code, out, err = run(capsys, "import", exported, "--recording", "1", "--data-dir", other)
    assert code == 0, err
    assert db_rows(other, "select id, kind, start_ms, end_ms, label, stage, emotion from events order by id") == db_rows(
        data_dir, "select id, kind, start_ms, end_ms, label, stage, emotion from events order by id")


def test_bad_csv_leaves_store_unchanged(capsys, data_dir, tmp_path):
    video = SAMPLE / "checkout.mp4"
    run(capsys, "add", video, "--data-dir", data_dir)
    good = tmp_path / "good.csv"
    good.write_text("kind,start_s,label\nMOT,1.5,ok\n", encoding="utf-8")
    assert run(capsys, "import", good, "--recording", "1", "--data-dir", data_dir)[0] == 0
    before = db_rows(data_dir, "select * from events")
    bad = tmp_path / "bad.csv"
    bad.write_text("kind,start_s,label\nDEC,2,fine\npurple,3,x\nMOT,999,late\n", encoding="utf-8")
    code, out, err = run(capsys, "import", bad, "--recording", "1", "--data-dir", data_dir)
    assert code == 2 and err.count("\n") == 1
    assert "line 3" in err and "purple" in err
    assert db_rows(data_dir, "select * from events") == before


def test_env_vars_choose_data_dir_and_db(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("ANNOTATE_DATA_DIR", str(tmp_path / "envdata"))
    db_file = tmp_path / "elsewhere.sqlite"
    monkeypatch.setenv("ANNOTATE_DB", f"sqlite:///{db_file}")
    assert run(capsys, "add", SAMPLE / "checkout.mp4")[0] == 0
    with sqlite3.connect(db_file) as con:
        assert con.execute("select count(*) from recordings").fetchone()[0] == 1
    assert not (tmp_path / "envdata" / "annotate.sqlite").exists()


def test_unknown_recording_and_missing_file(capsys, data_dir, tmp_path):
    code, _, err = run(capsys, "export", "-o", tmp_path / "x.csv", "--recording", "42", "--data-dir", data_dir)
    assert code == 2 and err.count("\n") == 1 and "42" in err
    code, _, err = run(capsys, "info", tmp_path / "nope.mp4")
    assert code == 2 and err.count("\n") == 1
    assert not (tmp_path / "x.csv").exists()


def test_console_script_exits_2_without_traceback(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "annotate", "info", str(tmp_path / "missing.mp4")],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr and "missing.mp4" in proc.stderr


def test_unusable_data_dir_is_one_line(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = run(capsys, "list", "--data-dir", blocker / "data")
    assert code == 2 and err.count("\n") == 1 and "--data-dir" in err
