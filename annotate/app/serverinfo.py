"""What the Settings page says about the server: who is signed in, the queue, the database, the disk.

Plain Python (no Streamlit); every figure is read when asked, so a reload shows the present.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass

from ..config import Settings
from .codebook_io import redact_url
from ..errors import AnnotateError
from ..store import Store


@dataclass(frozen=True)
class ServerInfo:
    """The server's state in words and numbers (see :func:`server_info`)."""

    database: str
    database_version: str
    data_dir: str
    free_bytes: int
    total_bytes: int
    queue: str
    workers: list[str]
    jobs: dict[str, int]


def server_info(store: Store, settings: Settings) -> ServerInfo:
    """Return the database (URL with its password hidden), the data directory's disk, the queue and its jobs."""
    from ..jobs.queue import queue_url

    try:
        queue = queue_url()
    except AnnotateError as exc:
        queue = str(exc)
    usage = shutil.disk_usage(settings.data_dir)
    records = store.jobs
    return ServerInfo(
        database=store.url, database_version=store.server_version(), data_dir=str(settings.data_dir),
        free_bytes=usage.free, total_bytes=usage.total, queue=redact_url(queue),
        workers=records.workers_seen(), jobs=records.counts(),
    )
