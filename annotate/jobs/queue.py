"""The queue: a Huey instance, its one task, and submitting jobs to it.

``ANNOTATE_QUEUE`` chooses where the queue lives: unset (or ``sqlite``) is a SQLite
file ``queue.sqlite`` in the data directory, ``redis://HOST:PORT/DB`` a Redis
server. Every process (web server, CLI, workers) that sees the same data
directory, database and queue setting shares one queue. ``inline`` has no queue:
jobs run on two threads of the process that submits them (``streamlit run app.py``
without ``annotate serve``, and the page tests); the job rows work the same. Huey carries only job ids;
the job rows in the store say what each job is and how far it has got.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from typing import Any

from concurrent.futures import ThreadPoolExecutor

from huey import MemoryHuey, RedisHuey, SqliteHuey
from huey.api import Huey

from .. import config
from ..errors import AnnotateError, NotFoundError
from ..store import Store
from ..store.jobs import JobRecord, JobRecords
from . import kinds

log = logging.getLogger(__name__)

HEARTBEAT_S = 2.0
INLINE_WORKERS = 2
QUEUE_FILE = "queue.sqlite"
_LOCK = threading.Lock()
_STATE: dict[str, Any] = {}


def queue_url() -> str:
    """Return the configured queue: ``sqlite`` or a ``redis://`` URL.

    Raises AnnotateError for anything else.
    """
    url = os.environ.get("ANNOTATE_QUEUE", "").strip() or "sqlite"
    if url not in ("sqlite", "inline") and not url.startswith(("redis://", "rediss://", "unix://")):
        raise AnnotateError(f"ANNOTATE_QUEUE={url!r} is not 'sqlite', 'inline' or a redis:// URL")
    return url


def make_huey(settings: config.Settings, url: str) -> Huey:
    """Return a Huey on ``url`` (see :func:`queue_url`) for the data directory of ``settings``."""
    if url == "inline":
        return MemoryHuey("cx-annotate", results=False)
    if url == "sqlite":
        settings.ensure_dirs()
        return SqliteHuey("cx-annotate", filename=str(settings.data_dir / QUEUE_FILE), results=False)
    return RedisHuey("cx-annotate", url=url, results=False)


def use(settings: config.Settings) -> None:
    """Make this process's queue and job rows those of ``settings`` (the CLI's ``--data-dir``/``--db``);
    without a call they follow the environment (ANNOTATE_DATA_DIR, ANNOTATE_DB)."""
    with _LOCK:
        current = _STATE.get("settings")
    if current is not None and (current.data_dir, current.db_url) != (settings.data_dir, settings.db_url):
        reset()
    with _LOCK:
        _STATE["settings"] = settings


def huey() -> Huey:
    """Return this process's Huey (made on first use for :func:`use`'s settings, else the environment's),
    with the job task registered."""
    with _LOCK:
        if "huey" not in _STATE:
            settings = (_STATE.get("settings") or config.resolve()).ensure_dirs()
            instance = make_huey(settings, queue_url())
            _STATE["settings"], _STATE["huey"] = settings, instance
            _STATE["task"] = instance.task(name="cx_run_job")(_run_job)
        return _STATE["huey"]


def settings() -> config.Settings:
    """Return the settings (data directory, database) the queue was made for."""
    huey()
    return _STATE["settings"]


def store() -> Store:
    """Return the store the queue's jobs live in (opened once per process)."""
    huey()
    with _LOCK:
        if "store" not in _STATE:
            _STATE["store"] = Store.open(_STATE["settings"])
        return _STATE["store"]


def records() -> JobRecords:
    """Return the job rows of this process's store."""
    return store().jobs


def reset() -> None:
    """Forget the queue and store of this process (tests switch data directories and queues)."""
    with _LOCK:
        opened, pool = _STATE.pop("store", None), _STATE.pop("pool", None)
        _STATE.clear()
    if pool is not None:
        pool.shutdown(wait=True)
    if opened is not None:
        opened.close()


def submit(kind: str, params: dict[str, Any], output: str, label: str,
           recording_id: int | None = None) -> JobRecord:
    """Queue a job; return its row (the active one when a job already writes ``output``)."""
    job, new = records().create(kind, output, label, params, recording_id)
    if new:
        enqueue(job.id)
    return job


def enqueue(job_id: str) -> None:
    """Put ``job_id`` on the queue (again); with the ``inline`` queue, start it on this process's threads."""
    huey()
    if queue_url() == "inline":
        with _LOCK:
            pool = _STATE.setdefault("pool", ThreadPoolExecutor(INLINE_WORKERS, thread_name_prefix="cx-job"))
        pool.submit(_run_job, job_id)
        return
    _STATE["task"](job_id)


def worker_name() -> str:
    """Return this worker's name: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 10000}"


def _run_job(job_id: str) -> None:
    """The queue's task: claim the job, make it with a heartbeat running, and record how it ended."""
    jobs, me = records(), worker_name()
    try:
        job = jobs.claim(job_id, me)
    except NotFoundError:
        return
    if job is None:  # another worker has it, or it finished
        return
    stop = threading.Event()
    progress = _Progress()
    beat = threading.Thread(target=_beat, args=(jobs, job_id, me, stop, progress), daemon=True)
    beat.start()
    error = None
    try:
        kinds.run(job.kind, store(), _STATE["settings"], job.params, progress)
    except AnnotateError as exc:
        error = str(exc)
    except Exception as exc:  # a bug: the job fails with one line, the traceback goes to the worker's log
        log.exception("job %s (%s) failed", job_id, job.kind)
        error = f"the {job.label} could not be made ({type(exc).__name__}: {exc}); see the worker's log"
    finally:
        stop.set()
        beat.join()
    jobs.finish(job_id, me, error)


class _Progress:
    """The progress callback a job's render calls; the heartbeat thread writes it to the row."""

    def __init__(self) -> None:
        self.done = self.total = 0

    def __call__(self, done: int, total: int) -> None:
        self.done, self.total = int(done), int(total)


def _beat(jobs: JobRecords, job_id: str, worker: str, stop: threading.Event, progress: _Progress) -> None:
    while not stop.wait(HEARTBEAT_S):
        try:
            jobs.beat(job_id, worker, progress.done, progress.total)
        except AnnotateError:
            log.warning("could not record the heartbeat of job %s", job_id)
