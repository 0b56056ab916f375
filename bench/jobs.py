"""Benchmark: the queue's overhead. Ten overlay renders through the queue with one worker, against the
same ten renders called directly, in the same run.

Builds a data directory with ten recordings (640x360, 30 fps, ``--frames`` frames each, two events each).
A run renders all ten overlays either directly (``Plan.run`` one after another, in this process) or through
the queue (submitted at once; one ``annotate worker`` process runs them one at a time). The worker is
started once, before the first run, and serves every queue run, as a worker does in use: like this process
for the direct runs, it pays its first render's one-time costs (encoder and drawing set-up) in the first run
only. While the queue works, this process asks for the state of the first unfinished job only, so its
polling takes little from the worker. Each run writes into fresh render folders; runs are interleaved and
the best of ``--runs`` is kept, since the machine is shared. Target: queue / direct within 1.05x. ``--queue redis://...`` uses
that Redis (for example the one ``.ci/redis start`` prints) instead of the default SQLite queue file.

    .venv/bin/python bench/jobs.py [--runs 3] [--frames 150] [--queue redis://127.0.0.1:6379/0]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from annotate import config  # noqa: E402
from annotate.app import playback  # noqa: E402
from annotate.export import ExportOptions  # noqa: E402
from annotate.jobs import board, queue  # noqa: E402
from annotate.model import Event, Kind  # noqa: E402
from annotate.app.recordings import add_recording  # noqa: E402
from annotate.store import Store  # noqa: E402
from annotate.store.jobs import JobRecords  # noqa: E402
from annotate.testing.clips import make_clip  # noqa: E402

OPTIONS = ExportOptions(preset="veryfast")


def build(root: Path, frames: int) -> list[int]:
    """Return the ids of ten recordings added to the data directory ``root``."""
    os.environ["ANNOTATE_DATA_DIR"] = str(root / "data")
    settings = config.resolve().ensure_dirs()
    ids = []
    with Store.open(settings) as store:
        for i in range(10):
            clip = make_clip(root / f"call{i}.mp4", width=640, height=360, fps=30, n_frames=frames, seed=7 + i)
            rec, _ = add_recording(store, settings, clip)
            store.add_events([Event(kind=Kind.MOMENT_OF_TRUTH, start_s=0.5, recording_id=rec.id, label="Hello"),
                              Event(kind=Kind.DECISION_POINT, start_s=2.0, recording_id=rec.id, label="Pay")])
            ids.append(rec.id)
    return ids


def fresh_renders(settings: config.Settings) -> None:
    shutil.rmtree(settings.render_dir, ignore_errors=True)
    settings.render_dir.mkdir(parents=True)




def direct(ids: list[int]) -> float:
    settings = config.resolve()
    fresh_renders(settings)
    with Store.open(settings) as store:
        start = time.perf_counter()
        for rid in ids:
            playback.plan_overlay(store, settings, rid, OPTIONS).run()
        return time.perf_counter() - start


def start_worker() -> subprocess.Popen:
    """Return a started ``annotate worker`` process, up and waiting for jobs."""
    worker = subprocess.Popen([sys.executable, "-m", "annotate", "worker"], env=dict(os.environ),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(3.0)
    return worker


def through_queue(ids: list[int]) -> float:
    settings = config.resolve()
    fresh_renders(settings)
    queue.reset()
    store = queue.store()
    start = time.perf_counter()
    submitted = []
    for rid in ids:
        submitted.append(board.start(playback.plan_overlay(store, settings, rid, OPTIONS)).id)
    records = JobRecords(store)
    pending = list(submitted)
    while pending:
        if records.get(pending[0]).finished:
            pending.pop(0)
        else:
            time.sleep(0.02)
    elapsed = time.perf_counter() - start
    failed = [records.get(j).error for j in submitted if records.get(j).state != "done"]
    if failed:
        raise SystemExit(f"a queued render failed: {failed[0]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--frames", type=int, default=150)
    parser.add_argument("--queue", default="sqlite")
    args = parser.parse_args()
    os.environ["ANNOTATE_QUEUE"] = args.queue
    with tempfile.TemporaryDirectory(prefix="cx-bench-jobs-") as tmp:
        ids = build(Path(tmp), args.frames)
        best_direct = best_queue = float("inf")
        worker = start_worker()
        try:
            for run in range(args.runs):
                d = direct(ids)
                q = through_queue(ids)
                best_direct, best_queue = min(best_direct, d), min(best_queue, q)
                print(f"run {run + 1}: direct {d:.2f} s, queue {q:.2f} s, load {os.getloadavg()[0]:.1f}")
        finally:
            worker.send_signal(signal.SIGINT)
            worker.wait(30)
        queue.reset()
    load = os.getloadavg()[0]
    print(f"10 overlay renders ({args.frames} frames of 640x360 each), queue {args.queue}, load {load:.1f}")
    print(f"direct {best_direct:.2f} s, through the queue with one worker {best_queue:.2f} s: "
          f"{best_queue / best_direct:.3f}x (target <= 1.05x)")


if __name__ == "__main__":
    main()
