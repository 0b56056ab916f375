"""Half-written files of killed writers are removed at the next start; a live writer's and the user's files stay.

Our temporary names (annotate.fsutil): ``.<stem>.partial.<pid>-<host tag>.<8 random><suffix>`` from atomic
writes and ``.upload.partial.<8 random>`` from uploads. Stale means: written on this host by a pid that is not
running, or not written to for 30 minutes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import pytest

from annotate.fsutil import host_tag
from annotate.testing import make_clip

ROOT = Path(__file__).resolve().parents[1]
HOUR_AGO = time.time() - 3600
HOST = host_tag()


def cli(*args, **kw) -> subprocess.Popen | subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANNOTATE_")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-m", "annotate", *map(str, args)], capture_output=True, text=True,
                          timeout=300, env=env, **kw)


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def touch(path: Path, old: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\0" * 100)
    if old:
        os.utime(path, (HOUR_AGO, HOUR_AGO))
    return path


@pytest.fixture
def live_writer():
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    yield proc.pid
    proc.kill()
    proc.wait()


def make_tree(data: Path, live_pid: int) -> tuple[list[Path], list[Path]]:
    """Return (ours and stale, to keep): partials of killed writers, and files that must survive."""
    gone = dead_pid()
    stale = [
        touch(data / "renders" / f".rec1-overlay.partial.{gone}-{HOST}.k3j_x9ab.mp4"),  # writer dead, fresh
        touch(data / "proxies" / f".3.partial.{gone}-{HOST}.abcdefgh.mp4"),
        touch(data / "media" / ".upload.partial.q1w2e3r4", old=True),  # uploads carry no pid: by age
        touch(data / "renders" / ".reel.partial.a1b2c3d4.mp4", old=True),  # old-style name without pid
        touch(data / f".annotate.partial.{gone}-{HOST}.zzzzzzzz.sqlite"),
    ]
    keep = [
        touch(data / "renders" / f".rec2-overlay.partial.{live_pid}-{HOST}.abcdefgh.mp4"),  # a live writer, writing
        touch(data / "media" / ".upload.partial.t5y6u7i8"),  # a fresh upload in progress
        touch(data / "renders" / ".notes.partial.txt", old=True),  # the user's, similar names
        touch(data / "renders" / "holiday.partial.abcdefgh.mp4", old=True),
        touch(data / "media" / ".upload.partial.", old=True),
        touch(data / "media" / ".upload.partial.abc", old=True),
        touch(data / "renders" / "sub" / f".x.partial.{gone}-{HOST}.abcdefgh.mp4", old=True),  # below our folders
        touch(data.parent / f".x.partial.{gone}-{HOST}.abcdefgh.mp4", old=True),  # beside the data directory
    ]
    return stale, keep


def test_a_cli_command_on_the_data_dir_removes_only_our_stale_partials(tmp_path, live_writer):
    data = tmp_path / "data"
    stale, keep = make_tree(data, live_writer)
    proc = cli("--data-dir", data, "list")
    assert proc.returncode == 0, proc.stderr
    assert [p for p in stale if p.exists()] == []
    assert [p for p in keep if not p.exists()] == []
    # the live writer's file goes once its writer has gone and the next command runs
    os.kill(live_writer, signal.SIGKILL)
    os.waitpid(live_writer, 0)
    assert cli("--data-dir", data, "list").returncode == 0
    assert not keep[0].exists() and all(p.exists() for p in keep[1:])


def test_atomic_writes_name_their_writer():
    from annotate.fsutil import atomic_path, partial_writer

    target = Path(os.environ.get("TMPDIR", "/tmp")) / f"ops-atomic-{os.getpid()}.mp4"
    with atomic_path(target) as tmp:
        assert partial_writer(tmp.name) == (os.getpid(), HOST)
        tmp.write_bytes(b"x")
    assert target.read_bytes() == b"x"
    target.unlink()


def test_a_killed_render_leaves_a_partial_that_the_next_render_to_that_file_removes(tmp_path):
    video = make_clip(tmp_path / "long.mp4", n_frames=900, fps=Fraction(30), width=640, height=480, audio=False)
    events = tmp_path / "e.csv"
    events.write_text("kind,start_s,label\nMOT,0.5,x\n", encoding="utf-8")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    user_file = touch(out_dir / ".y.partial.mp4", old=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANNOTATE_")}
    env["PYTHONPATH"] = str(ROOT)
    render = subprocess.Popen([sys.executable, "-m", "annotate", "render", str(video), "--events", str(events),
                               "-o", str(out_dir / "y.mp4"), "--preset", "slow"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline and not [p for p in out_dir.glob(".y.partial.*.mp4") if p != user_file]:
        time.sleep(0.05)
    render.kill()
    render.wait()
    [left] = [p for p in out_dir.glob(".y.partial.*.mp4") if p != user_file]
    proc = cli("render", video, "--events", events, "-o", out_dir / "y.mp4", "--crf", "40")
    assert proc.returncode == 0, proc.stderr
    assert not left.exists() and user_file.exists() and (out_dir / "y.mp4").is_file()


def test_a_partial_of_another_host_sharing_the_data_dir_goes_only_by_age(tmp_path):
    other = "000000" if HOST != "000000" else "111111"
    data = tmp_path / "data"
    fresh = touch(data / "renders" / f".r.partial.{dead_pid()}-{other}.abcdefgh.mp4")  # its writer may be alive there
    old = touch(data / "renders" / f".s.partial.{dead_pid()}-{other}.abcdefgh.mp4", old=True)
    assert cli("--data-dir", data, "list").returncode == 0
    assert fresh.exists() and not old.exists()


def test_the_app_removes_only_our_stale_partials_when_it_first_opens_the_store(tmp_path, live_writer, monkeypatch):
    from annotate.ui import services

    data = tmp_path / "data"
    stale, keep = make_tree(data, live_writer)
    monkeypatch.setenv("ANNOTATE_DATA_DIR", str(data))
    monkeypatch.delenv("ANNOTATE_DB", raising=False)
    services.reset()
    try:
        services.store()
        assert [p for p in stale if p.exists()] == []
        assert [p for p in keep if not p.exists()] == []
    finally:
        services.reset()
