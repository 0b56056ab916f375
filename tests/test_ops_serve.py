"""``annotate serve`` for real: it becomes the Streamlit server (SIGTERM frees the port) and hands it the upload limit."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


@contextlib.contextmanager
def serve(tmp_path: Path, port: int, **env_extra):
    """Start ``annotate serve`` in its own session; yield the Popen once it answers HTTP; kill what is left."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANNOTATE_")}
    env.update(PYTHONPATH=str(ROOT), **env_extra)
    proc = subprocess.Popen(
        [sys.executable, "-m", "annotate", "serve", "--port", str(port), "--host", "127.0.0.1",
         "--data-dir", str(tmp_path / "data")],
        env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        deadline = time.time() + 90
        while not healthy(port):
            assert proc.poll() is None, f"annotate serve exited with {proc.returncode}"
            assert time.time() < deadline, "annotate serve did not answer within 90 s"
            time.sleep(0.25)
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_to_serve_stops_the_server_and_frees_the_port(tmp_path, sig):
    port = free_port()
    with serve(tmp_path, port) as proc:
        os.kill(proc.pid, sig)  # to the serve process only, as `kill -TERM PID` does
        deadline = time.time() + 10
        while listening(port) and time.time() < deadline:
            time.sleep(0.1)
        assert not listening(port), "the port still answers after the signal"
        assert proc.wait(timeout=10) is not None


def test_serve_gives_streamlit_the_upload_limit_and_clears_stale_partials(tmp_path):
    port = free_port()
    renders = tmp_path / "data" / "renders"
    renders.mkdir(parents=True)
    old = time.time() - 3600
    stale, mine = renders / ".rec1-overlay.partial.k3j_x9ab.mp4", renders / "rec1-overlay.partial.mp4"
    for path in (stale, mine):
        path.write_bytes(b"x")
        os.utime(path, (old, old))
    with serve(tmp_path, port, ANNOTATE_MAX_UPLOAD_MB="1234") as proc:
        assert not stale.exists() and mine.exists()
        # The process that answers on the port is the serve process itself (exec), with the limit on its command line.
        argv = Path(f"/proc/{proc.pid}/cmdline").read_bytes().split(b"\0")
        assert b"streamlit" in b" ".join(argv)
        i = argv.index(b"--server.maxUploadSize")
        assert argv[i + 1] == b"1234"
