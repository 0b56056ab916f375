"""A worker process: Huey consumer threads running jobs, and a reaper that re-queues the jobs of dead workers.

Any number of workers, on any machines that see the same data directory, database
and queue, share the jobs. A worker killed mid-job leaves its job ``running`` with a
heartbeat that stops; every worker's reaper puts such a job back on the queue after
``stale_s`` seconds (the CAS in the store lets only one reaper do it), so another
worker (or this one, restarted) makes it. The render writes under a temporary name
and renames at the end, so a killed job leaves no file under its final name.
"""

from __future__ import annotations

import logging
import os
import signal
import threading

from ..errors import AnnotateError
from . import queue

log = logging.getLogger(__name__)

STALE_S = float(os.environ.get("ANNOTATE_JOB_STALE_S", "30"))
REAP_EVERY_S = 2.0


def reap(stale_s: float = STALE_S) -> list[str]:
    """Re-queue the running jobs whose heartbeat is older than ``stale_s``; return their ids."""
    requeued, failed = queue.records().requeue_stale(stale_s)
    for job_id in requeued:
        log.warning("job %s lost its worker: queued again", job_id)
        queue.enqueue(job_id)
    for job_id in failed:
        log.error("job %s failed: its workers kept stopping", job_id)
    return requeued


def _reaper(stop: threading.Event, stale_s: float, parent_pid: int | None) -> None:
    while not stop.wait(REAP_EVERY_S):
        if parent_pid is not None and os.getppid() != parent_pid:
            log.info("the server that started this worker has stopped: stopping")
            os.kill(os.getpid(), signal.SIGTERM)
            return
        try:
            reap(stale_s)
        except AnnotateError as exc:
            log.warning("could not look for stale jobs: %s", exc)


def _warm_up() -> None:
    """Load what the jobs run (the render plans, the encoders, the drawing) before taking the first job, so
    the first job does not pay the imports a long-running worker pays once anyway."""
    from ..app import playback  # noqa: F401
    from ..app import recordings  # noqa: F401


def run_worker(workers: int = 1, parent_pid: int | None = None, stale_s: float = STALE_S,
               inbox: bool = False) -> None:
    """Run ``workers`` consumer threads until SIGTERM/SIGINT (or until ``parent_pid`` is gone).

    ``inbox`` also watches the data directory's inbox folder (:class:`annotate.app.folders.Inbox`),
    queueing the browser proxy (when needed) and the suggested moments of each recording it adds. Raises AnnotateError when the
    queue or the store cannot be opened.
    """
    huey = queue.huey()
    store = queue.store()
    reap(stale_s)  # jobs a killed worker left running, before taking new ones
    _warm_up()
    # An idle consumer asks the queue every 0.1 s at most: one cheap query, and a job starts within 0.1 s.
    consumer = huey.create_consumer(workers=max(1, int(workers)), worker_type="thread", periodic=False,
                                    initial_delay=0.05, backoff=1.2, max_delay=0.1, check_worker_health=True)
    stop = threading.Event()
    reaper = threading.Thread(target=_reaper, args=(stop, stale_s, parent_pid), daemon=True, name="cx-reaper")
    reaper.start()
    if inbox:
        from ..app.folders import Inbox

        from .kinds import submit_analyses, submit_proxy

        def queue_proxy(rec) -> None:
            if not rec.browser_playable:
                submit_proxy(store, queue.settings(), rec.id)
            submit_analyses(store, queue.settings(), rec.id)

        watcher = Inbox(store, queue.settings(), make_proxy=False, after_add=queue_proxy)
        threading.Thread(target=watcher.watch, args=(stop,), daemon=True, name="cx-inbox").start()
    try:
        consumer.run()
    finally:
        stop.set()
