"""CLI messages the hardening issue asked for: refuse a render with nothing to draw, refuse a missing output
folder, say counts in proper English, and name stored recordings by their title."""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from annotate.testing import make_clip

ROOT = Path(__file__).resolve().parents[1]


def cli(*args, cwd=None) -> subprocess.CompletedProcess:
    """Run the real ``annotate`` console entry in a subprocess."""
    return subprocess.run([sys.executable, "-m", "annotate", *map(str, args)], capture_output=True, text=True,
                          timeout=300, cwd=cwd, env=_env())


def _env() -> dict:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("ANNOTATE_")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    err = proc.stderr.strip()
    assert err.startswith("Error: ") and "\n" not in err and "Traceback" not in err, err
    return err


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("ops_cli") / "checkout.mp4", n_frames=20, fps=Fraction(10), audio=False)


def test_render_without_events_or_recording_is_refused_before_rendering(video, tmp_path):
    out = tmp_path / "y.mp4"
    err = one_line_error(cli("render", video, "-o", out))
    assert "--events" in err and "--recording" in err and "checkout.mp4" in err
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_render_of_an_empty_event_file_says_so(video, tmp_path):
    events = tmp_path / "none.csv"
    events.write_text("kind,start_s,label\n", encoding="utf-8")
    out = tmp_path / "y.mp4"
    proc = cli("render", video, "--events", events, "-o", out, "--no-captions")
    assert proc.returncode == 0, proc.stderr
    assert "holds no events" in proc.stderr and "(0 events)" in proc.stdout and out.is_file()


@pytest.mark.parametrize("command", [
    ["render", "{video}", "--events", "{csv}"],
    ["clip", "{video}", "--at", "1"],
    ["reel", "{video}", "--events", "{csv}"],
    ["export"],
    ["metrics"],
])
def test_output_in_a_missing_folder_is_refused_and_nothing_created(video, tmp_path, command):
    csv = tmp_path / "e.csv"
    csv.write_text("kind,start_s,label\nMOT,0.5,x\n", encoding="utf-8")
    missing = tmp_path / "nonexistent-dir"
    args = [a.format(video=video, csv=csv) for a in command]
    suffix = ".csv" if command[0] in ("export", "metrics") else ".mp4"
    err = one_line_error(cli("--data-dir", tmp_path / "data", *args, "-o", missing / f"y{suffix}"))
    assert f"the folder {missing} does not exist; create it first or choose another" in err
    assert not missing.exists()


def test_counts_are_pluralised(video, tmp_path):
    data = tmp_path / "data"
    assert cli("--data-dir", data, "add", video, "--no-proxy").returncode == 0
    csv = tmp_path / "e.csv"
    csv.write_text("kind,start_s,label\nMOT,0.5,x\n", encoding="utf-8")
    proc = cli("--data-dir", data, "import", csv, "--recording", "1")
    assert proc.returncode == 0 and proc.stdout.startswith("Imported 1 event into recording 1"), proc.stdout
    proc = cli("--data-dir", data, "export", "-o", tmp_path / "out.csv")
    assert proc.returncode == 0, proc.stderr
    assert "Wrote 1 event from 1 recording to" in proc.stdout
    proc = cli("--data-dir", data, "render", "--recording", "1", "-o", tmp_path / "r.mp4", "--no-captions")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith("(1 event)")
    proc = cli("--data-dir", data, "reel", "--recording", "1", "--before", "0.2", "--after", "0.2",
               "-o", tmp_path / "reel.mp4")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith("(1 clip)")


def test_an_uploaded_recording_is_named_by_its_title_not_its_content_hash(video, tmp_path):
    from annotate import config
    from annotate.app.recordings import add_recording
    from annotate.store import Store
    from annotate.app.uploads import save_upload

    settings = config.resolve(tmp_path / "data")
    with open(video, "rb") as fh:
        stored, _ = save_upload(settings, "holiday call.mp4", fh)
    store = Store.open(settings.ensure_dirs())
    rec, _ = add_recording(store, settings, stored, title="holiday call", make_proxy=False)
    csv = tmp_path / "e.csv"
    csv.write_text("kind,start_s,label\nMOT,0.5,x\n", encoding="utf-8")
    assert cli("--data-dir", tmp_path / "data", "import", csv, "--recording", rec.id).returncode == 0
    proc = cli("--data-dir", tmp_path / "data", "render", "--recording", rec.id, "-o", tmp_path / "r.mp4")
    assert proc.returncode == 0, proc.stderr
    assert "Rendering holiday call" in proc.stderr and stored.stem not in proc.stderr + proc.stdout


def test_an_error_about_an_uploaded_recordings_file_names_its_title(video, tmp_path):
    from annotate import config
    from annotate.app.recordings import add_recording
    from annotate.store import Store
    from annotate.app.uploads import save_upload

    settings = config.resolve(tmp_path / "data")
    with open(video, "rb") as fh:
        stored, _ = save_upload(settings, "holiday call.mp4", fh)
    rec, _ = add_recording(Store.open(settings.ensure_dirs()), settings, stored, title="holiday call", make_proxy=False)
    stored.unlink()  # the file went missing since
    err = one_line_error(cli("--data-dir", tmp_path / "data", "clip", "--recording", rec.id, "--at", "0.5",
                             "-o", tmp_path / "c.mp4"))
    assert "'holiday call' (uploaded)" in err and stored.stem not in err
