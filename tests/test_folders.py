"""Bringing a library in: a folder added recursively (by content, not extension), and the watched inbox."""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from annotate import config
from annotate.app.folders import INBOX, REFUSED, Inbox, add_folder
from annotate.store import Store
from annotate.testing import make_clip


@pytest.fixture
def lib(tmp_path):
    settings = config.resolve(tmp_path / "data").ensure_dirs()
    with Store.open(settings) as store:
        yield store, settings


def titles(settings) -> list[str]:
    with sqlite3.connect(settings.data_dir / "annotate.sqlite") as conn:
        return [r[0] for r in conn.execute("select title from recordings order by id")]


def test_a_folder_is_added_recursively_by_content(lib, tmp_path, bad_media):
    store, settings = lib
    folder = tmp_path / "calls"
    (folder / "week 2" / "monday").mkdir(parents=True)
    (folder / ".cache").mkdir()
    make_clip(folder / "a call.mp4", n_frames=12, audio=False, seed=1)
    make_clip(folder / "week 2" / "monday" / "b call.mov", n_frames=12, audio=False, seed=2)
    make_clip(tmp_path / "renamed video.mp4", n_frames=12, audio=False, seed=3)
    (tmp_path / "renamed video.mp4").rename(folder / "week 2" / "renamed video.txt")
    shutil.copy(folder / "a call.mp4", folder / "week 2" / "copy of a.mp4")
    shutil.copy(bad_media["truncated"], folder / "week 2" / "broken.mp4")
    (folder / "notes.mp4").write_text("not a video, whatever its name says")
    make_clip(folder / ".cache" / "hidden.mp4", n_frames=12, audio=False, seed=4)
    seen = []
    result = add_folder(store, settings, folder, make_proxy=False, on_file=lambda p, o, r: seen.append((p.name, o)))
    assert titles(settings) == ["a call", "renamed video", "b call"]  # each folder's files, then its folders
    assert [p.name for p in result.already] == ["copy of a.mp4"]
    assert [(p.name, "truncated" in m or "ends early" in m) for p, m in result.refused] == [("broken.mp4", True)]
    assert result.skipped == 1 and len(result.added) == 3
    assert [name for name, _ in seen] == ["a call.mp4", "broken.mp4", "copy of a.mp4", "renamed video.txt",
                                         "b call.mov"]


def test_a_missing_folder_is_one_clear_error(lib, tmp_path):
    store, settings = lib
    with pytest.raises(Exception, match="is not a folder"):
        add_folder(store, settings, tmp_path / "nope")


def test_the_inbox_takes_files_once_they_stop_growing(lib, tmp_path, bad_media):
    store, settings = lib
    inbox = Inbox(store, settings, make_proxy=False)
    folder = settings.data_dir / INBOX
    folder.mkdir()
    make_clip(tmp_path / "drop.mp4", n_frames=12, audio=False, seed=9)
    shutil.copy(tmp_path / "drop.mp4", folder / "drop.mp4")
    shutil.copy(bad_media["truncated"], folder / "bad.mp4")
    (folder / "readme.mp4").write_text("hello")
    assert inbox.scan() == []  # first sight: sizes noted, nothing taken
    outcomes = {p.name: o for p, o in inbox.scan()}
    assert outcomes["drop.mp4"] == "added" and "bad.mp4" in outcomes and "readme.mp4" in outcomes
    assert titles(settings) == ["drop"]
    assert (settings.media_dir / "drop.mp4").is_file() and not (folder / "drop.mp4").exists()
    refused = sorted(p.name for p in (folder / REFUSED).iterdir())
    assert refused == ["bad.mp4", "bad.mp4.txt", "readme.mp4", "readme.mp4.txt"]
    assert "not a video file" in (folder / REFUSED / "readme.mp4.txt").read_text()
    shutil.copy(tmp_path / "drop.mp4", folder / "again.mp4")
    inbox.scan()
    assert [o for _, o in inbox.scan()] == ["already"] and titles(settings) == ["drop"]
    assert not (settings.media_dir / "again.mp4").exists()


def cli(tmp_path, *args: str, env: dict | None = None):
    import os
    import subprocess
    import sys

    clean = {k: v for k, v in os.environ.items() if not k.startswith("ANNOTATE_")}
    return subprocess.run([sys.executable, "-m", "annotate", "--data-dir", str(tmp_path / "data"), *args],
                          capture_output=True, text=True, env={**clean, **(env or {})}, timeout=300)


def test_annotate_add_takes_a_folder_and_says_one_line_per_refusal(tmp_path, bad_media):
    folder = tmp_path / "calls"
    (folder / "b").mkdir(parents=True)
    make_clip(folder / "one.mp4", n_frames=12, audio=False, seed=21)
    make_clip(folder / "b" / "two.mp4", n_frames=12, audio=False, seed=22)
    shutil.copy(bad_media["truncated"], folder / "b" / "bad.mp4")
    (folder / "notes.txt").write_text("hello")
    first = cli(tmp_path, "add", str(folder))
    assert first.returncode == 2, first.stderr
    lines = first.stdout.strip().splitlines()
    assert [line.split("\t")[2] for line in lines] == ["one", "two"]
    errors = [e for e in first.stderr.splitlines() if e.startswith("Error:")]
    assert len(errors) == 2 and "bad.mp4" in errors[0] and "1 of 3 videos could not be added" in errors[1]
    again = cli(tmp_path, "add", str(folder))
    assert again.stdout.count("(already added)") == 2


def test_annotate_add_with_a_queue_marks_recordings_preparing_until_wait_sees_the_proxy(tmp_path):
    import json

    video = make_clip(tmp_path / "cam.avi", codec="mjpeg", n_frames=20, audio=False)
    queued = cli(tmp_path, "add", str(video), env={"ANNOTATE_QUEUE": "sqlite"})
    assert queued.returncode == 0 and "queued 1 browser proxy" in queued.stderr
    listed = json.loads(cli(tmp_path, "list", "--json", env={"ANNOTATE_QUEUE": "sqlite"}).stdout)
    assert [r["status"] for r in listed] == ["preparing"]
    worker = __import__("subprocess").Popen(
        [__import__("sys").executable, "-m", "annotate", "--data-dir", str(tmp_path / "data"), "worker"],
        env={k: v for k, v in __import__("os").environ.items() if not k.startswith("ANNOTATE_")})
    try:
        other = make_clip(tmp_path / "cam2.avi", codec="mjpeg", n_frames=20, audio=False, seed=5)
        waited = cli(tmp_path, "add", "--wait", str(other), env={"ANNOTATE_QUEUE": "sqlite"})
        assert waited.returncode == 0, waited.stderr
        listed = json.loads(cli(tmp_path, "list", "--json").stdout)
        assert listed[1]["status"] == "new" and listed[1]["id"] == 2
    finally:
        worker.terminate()
        worker.wait(30)
