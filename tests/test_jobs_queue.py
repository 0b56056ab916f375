"""Jobs on a real queue: a real redis-server (and the default SQLite queue file), real ``annotate worker``
processes, renders queued from the app's Play page and decoded after they finish, and a worker killed
with SIGKILL in the middle of one."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import av
import pytest

from annotate import config
from annotate.export import ExportOptions
from annotate.app import playback
from annotate.jobs import board, kinds, queue
from annotate.model import Event, Kind
from annotate.app.recordings import add_recording
from annotate.store import Store
from annotate.store.jobs import JobRecords
from annotate.testing import make_clip
from annotate.testing.clips import repeat_clip

pytestmark = pytest.mark.slow
REDIS = shutil.which("redis-server")
APP = str(Path(__file__).resolve().parents[1] / "app.py")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    """The Redis .ci/run started (ANNOTATE_TEST_REDIS_URL, emptied first), else one started here."""
    given = os.environ.get("ANNOTATE_TEST_REDIS_URL")
    if given:
        import redis

        redis.Redis.from_url(given).flushdb()
        yield given
        return
    if REDIS is None:
        pytest.fail("redis-server is not installed: apt-get install redis-server (.ci/run does)")
    port, folder = free_port(), tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen([REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail("redis-server did not start")
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(10)


LONG_FRAMES = 3000


@pytest.fixture
def library(tmp_path, monkeypatch):
    """A data directory with one recording and three events; the environment points every process at it."""
    data = tmp_path / "data"
    for name in [k for k in os.environ if k.startswith("ANNOTATE_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("ANNOTATE_DATA_DIR", str(data))
    monkeypatch.setenv("ANNOTATE_JOB_STALE_S", "4")
    settings = config.resolve().ensure_dirs()
    clip = make_clip(tmp_path / "call.mp4", width=160, height=120, fps=25, n_frames=50, audio=False)
    # long enough that a worker can be killed mid-render (the export runs on three threads): 750 frames x 4
    ten = make_clip(tmp_path / "part.mp4", width=640, height=480, fps=25, n_frames=750, audio=False)
    long_clip = repeat_clip(ten, tmp_path / "long call.mp4", 4)
    with Store.open(settings) as store:
        rec, _ = add_recording(store, settings, clip)
        long_rec, _ = add_recording(store, settings, long_clip)
        for r in (rec, long_rec):
            store.add_events([Event(kind=Kind.MOMENT_OF_TRUTH, start_s=0.4, recording_id=r.id, label="Greeting"),
                              Event(kind=Kind.DECISION_POINT, start_s=1.2, recording_id=r.id, label="Pay")])
    queue.reset()
    yield settings, rec, long_rec
    queue.reset()


def start_worker(*extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "annotate", "worker", *extra], env=dict(os.environ),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def stop(*workers: subprocess.Popen) -> None:
    for w in workers:
        if w.poll() is None:
            w.send_signal(signal.SIGINT)
    for w in workers:
        try:
            w.wait(20)
        except subprocess.TimeoutExpired:
            w.kill()
            w.wait(5)


def submit_overlay(rec_id: int, crf: int = 23):
    opts = ExportOptions(crf=crf, preset="ultrafast")
    return board.start(playback.plan_overlay(queue.store(), queue.settings(), rec_id, opts))


def wait_for(ids, timeout=240.0):
    jobs = JobRecords(queue.store())
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [jobs.get(i) for i in ids]
        if all(j.finished for j in found):
            return found
        time.sleep(0.2)
    pytest.fail(f"jobs still waiting after {timeout} s: {[(j.state, j.worker) for j in found]}")


def frame_count(path) -> int:
    with av.open(str(path)) as c:
        return sum(1 for _ in c.decode(c.streams.video[0]))


def pid_of(worker_name: str) -> int:
    return int(worker_name.split(":")[1])


def test_twenty_renders_queued_from_the_app_spread_over_two_redis_workers(library, redis_url, monkeypatch):
    """The Play page's "Render the overlay video" button (Streamlit's AppTest, the real app) queues each render."""
    from streamlit.testing.v1 import AppTest

    from annotate.ui import services

    settings, rec, _ = library
    monkeypatch.setenv("ANNOTATE_QUEUE", redis_url)
    queue.reset()
    services.reset()
    ids = [rec.id]
    for i in range(19):  # one overlay per recording: a recording keeps only its newest overlay file
        clip = make_clip(settings.data_dir.parent / f"c{i}.mp4", width=160, height=120, fps=25, n_frames=50,
                         audio=False, seed=100 + i)
        ids.append(add_recording(queue.store(), settings, clip)[0].id)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("annotate/ui/pages/play.py").run()
    workers = [start_worker(), start_worker()]
    try:
        for rid in ids:
            at.selectbox(key="cx_play_pick").set_value(rid).run()
            at.button(key="cx_play_start_overlay").click().run()
            assert not at.exception, [e.value for e in at.exception]
        queued = {j.recording_id: j for j in JobRecords(queue.store()).list()}
        assert sorted(queued) == sorted(ids) and all(j.kind == "overlay" for j in queued.values())
        done = wait_for([j.id for j in queued.values()])
        at.run()
    finally:
        stop(*workers)
        services.reset()
    assert [j.state for j in done] == ["done"] * 20, [j.error for j in done]
    assert {pid_of(j.worker) for j in done} == {w.pid for w in workers}
    for job in done:
        assert frame_count(job.output) == 50
    assert any(b.label.startswith("Download the overlay video") for b in at.get("download_button"))


def test_a_job_submitted_twice_runs_once(library, redis_url, monkeypatch):
    _, rec, _ = library
    monkeypatch.setenv("ANNOTATE_QUEUE", redis_url)
    queue.reset()
    first, second = submit_overlay(rec.id), submit_overlay(rec.id)
    assert first.id == second.id and len(JobRecords(queue.store()).list()) == 1


def kill_mid_render(job_id: str, workers: list[subprocess.Popen]) -> subprocess.Popen:
    """Wait until a worker runs ``job_id`` and has made progress, SIGKILL it; return it."""
    jobs = JobRecords(queue.store())
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job = jobs.get(job_id)
        if job.state == "running" and job.done > 0:
            victim = next(w for w in workers if w.pid == pid_of(job.worker))
            victim.send_signal(signal.SIGKILL)
            victim.wait(10)
            return victim
        assert not job.finished, "the render finished before it could be interrupted"
        time.sleep(0.05)
    pytest.fail("no worker started the job")


def assert_complete_single_file(job, expected_frames: int) -> None:
    out = Path(job.output)
    assert frame_count(out) == expected_frames
    assert [p.name for p in out.parent.glob(out.stem.split("-overlay-")[0] + "-overlay-*.mp4")] == [out.name]


def test_a_killed_redis_worker_s_job_finishes_on_the_other(library, redis_url, monkeypatch):
    _, _, long_rec = library
    monkeypatch.setenv("ANNOTATE_QUEUE", redis_url)
    queue.reset()
    workers = [start_worker(), start_worker()]
    try:
        job = submit_overlay(long_rec.id)
        victim = kill_mid_render(job.id, workers)
        [finished] = wait_for([job.id])
    finally:
        stop(*workers)
    assert finished.state == "done", finished.error
    assert pid_of(finished.worker) != victim.pid and finished.attempts == 2
    assert_complete_single_file(finished, LONG_FRAMES)


def test_the_default_sqlite_queue_survives_its_one_consumer_being_killed(library):
    settings, _, long_rec = library
    assert queue.queue_url() == "sqlite"
    job = submit_overlay(long_rec.id)
    assert (settings.data_dir / queue.QUEUE_FILE).is_file()
    first = start_worker()
    victim = kill_mid_render(job.id, [first])
    assert JobRecords(queue.store()).get(job.id).state == "running"  # nobody else to notice yet
    restarted = start_worker()
    try:
        [finished] = wait_for([job.id])
    finally:
        stop(restarted)
    assert finished.state == "done" and pid_of(finished.worker) == restarted.pid != victim.pid
    assert_complete_single_file(finished, LONG_FRAMES)


def test_a_failing_job_reports_one_line(library, redis_url, monkeypatch):
    _, rec, _ = library
    monkeypatch.setenv("ANNOTATE_QUEUE", redis_url)
    queue.reset()
    job = queue.submit("overlay", {"recording_id": 9999}, "/nonexistent/x.mp4", "overlay of #9999", 9999)
    worker = start_worker()
    try:
        [failed] = wait_for([job.id], timeout=60)
    finally:
        stop(worker)
    assert failed.state == "failed" and "9999" in failed.error and "\n" not in failed.error


def test_a_queued_proxy_marks_the_recording_preparing_until_it_is_made(library, tmp_path):
    settings, _, _ = library
    store = queue.store()
    clip = make_clip(tmp_path / "screen.avi", codec="mjpeg", width=160, height=120, fps=25, n_frames=40,
                     audio=False)
    rec, _ = add_recording(store, settings, clip, make_proxy=False)
    assert not rec.browser_playable and rec.proxy_path is None
    job = kinds.submit_proxy(store, settings, rec.id)
    assert JobRecords(store).preparing() == {rec.id}
    worker = start_worker()
    try:
        [finished] = wait_for([job.id], timeout=120)
    finally:
        stop(worker)
    assert finished.state == "done", finished.error
    stored = store.get_recording(rec.id)
    assert stored.proxy_path == finished.output and frame_count(stored.proxy_path) == 40
    assert JobRecords(store).preparing() == set()


def test_a_worker_with_inbox_adds_dropped_videos_and_queues_their_proxy(library, tmp_path):
    settings, _, _ = library
    inbox = settings.data_dir / "inbox"
    inbox.mkdir()
    worker = start_worker("--inbox")
    try:
        clip = make_clip(tmp_path / "dropped.avi", codec="mjpeg", width=160, height=120, fps=25, n_frames=30,
                         audio=False)
        shutil.copy(clip, inbox / ".dropped.avi.part")
        (inbox / ".dropped.avi.part").rename(inbox / "dropped.avi")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            found = [r for r in queue.store().list_recordings() if r.title == "dropped"]
            if found and found[0].proxy_path:
                break
            time.sleep(0.3)
    finally:
        stop(worker)
    assert found and found[0].proxy_path and frame_count(found[0].proxy_path) == 30
    assert not (inbox / "dropped.avi").exists()


def test_the_inline_queue_runs_jobs_on_the_submitting_process(library, monkeypatch):
    _, rec, long_rec = library
    monkeypatch.setenv("ANNOTATE_QUEUE", "inline")
    queue.reset()
    jobs = [submit_overlay(rec.id), submit_overlay(long_rec.id)]
    done = wait_for([j.id for j in jobs], timeout=180)
    assert [j.state for j in done] == ["done", "done"]
    assert {pid_of(j.worker) for j in done} == {os.getpid()}
    assert [frame_count(j.output) for j in done] == [50, LONG_FRAMES]
