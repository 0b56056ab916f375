"""What the Settings page says about the server: who is signed in, the queue, the database, the disk.

Plain Python (no Streamlit); every figure is read when asked, so a reload shows the present.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass

import sqlalchemy as sa

from ..config import Settings
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


def database_version(store: Store) -> str:
    """Return the database server's name and version, e.g. ``SQLite 3.40.1`` or ``PostgreSQL 15.18``."""
    sql = "select sqlite_version()" if store.dialect == "sqlite" else "show server_version"
    name = "SQLite" if store.dialect == "sqlite" else "PostgreSQL"
    with store._read() as conn:
        return f"{name} {conn.execute(sa.text(sql)).scalar_one()}"


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
        database=store.url, database_version=database_version(store), data_dir=str(settings.data_dir),
        free_bytes=usage.free, total_bytes=usage.total, queue=_redacted(queue),
        workers=records.workers_seen(), jobs=records.counts(),
    )


def _redacted(url: str) -> str:
    return sa.engine.make_url(url).render_as_string(hide_password=True) if "://" in url and "@" in url else url
