"""The SQLAlchemy engine of a store URL, set up for SQLite or PostgreSQL, and driver-error translation.

SQLite: WAL journal (readers never block the writer) with ``synchronous=NORMAL``
(commits skip the fsync; safe with WAL: a crash never corrupts the file, only
a power loss may lose the last commits before it), foreign keys on, a busy
timeout so the app and the CLI can share one file, and pysqlite's implicit
transactions replaced by explicit ones: a connection with the execution option
``annotate_write=True`` starts with ``BEGIN IMMEDIATE``, taking the write lock
before it reads, so a read-then-write never fails half-way with "database is
locked". PostgreSQL URLs use psycopg 3.
"""

from __future__ import annotations

import contextlib
import functools
import os
from pathlib import Path
from typing import Any, Iterator

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

from ..errors import DuplicateError, StoreError, StoreUnavailableError
from ..timebase import floor_ms

DEFAULT_BUSY_TIMEOUT_S = 30.0


def busy_timeout_s() -> float:
    """Return how long a SQLite writer waits for another process's write to finish, in seconds.

    ``ANNOTATE_DB_BUSY_TIMEOUT_S`` when set to a positive number, else 30; read when an engine is made.
    """
    try:
        value = float(os.environ.get("ANNOTATE_DB_BUSY_TIMEOUT_S", DEFAULT_BUSY_TIMEOUT_S))
    except ValueError:
        return DEFAULT_BUSY_TIMEOUT_S
    return value if value > 0 else DEFAULT_BUSY_TIMEOUT_S


def _sqlite_on_connect(timeout_s: float, dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event (below) emit BEGIN instead of pysqlite's implicit transactions.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    try:
        cur.execute(f"PRAGMA busy_timeout = {floor_ms(timeout_s)}")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA journal_mode = WAL")
        # WAL + NORMAL: a commit is not synced to disk (the checkpoint is), so commits cost no fsync. The
        # database stays consistent on any crash; on power loss the last commits before it may be lost.
        cur.execute("PRAGMA synchronous = NORMAL")
    finally:
        cur.close()


def _sqlite_on_begin(conn: Connection) -> None:
    write = conn.get_execution_options().get("annotate_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def make_engine(url: str) -> Engine:
    """Return an engine for ``url``; raises StoreError for a bad URL, a missing driver or another database."""
    try:
        u = sa.make_url(url)
    except sa.exc.ArgumentError:
        raise StoreError(
            f"'{url}' is not a database URL; use sqlite:///path/to/file.sqlite or postgresql://user@host/db"
        ) from None
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    backend = u.get_backend_name()
    try:
        if backend == "sqlite":
            database = u.database or ""
            memory = database in ("", ":memory:") or database.startswith("file::memory:")
            timeout_s = busy_timeout_s()
            kwargs: dict[str, Any] = {"connect_args": {"timeout": timeout_s, "check_same_thread": False}}
            if memory:
                kwargs["poolclass"] = StaticPool
            else:
                Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
            engine = sa.create_engine(u, **kwargs)
            sa_event.listen(engine, "connect", functools.partial(_sqlite_on_connect, timeout_s))
            sa_event.listen(engine, "begin", _sqlite_on_begin)
            return engine
        if backend == "postgresql":
            return sa.create_engine(u, pool_pre_ping=True)
    except (ImportError, sa.exc.NoSuchModuleError) as exc:
        raise StoreError(f"cannot use the database driver for '{u.drivername}' ({exc}); install it") from None
    raise StoreError(f"database '{backend}' is not supported; use a sqlite:/// or postgresql:// URL")


@contextlib.contextmanager
def db_errors() -> Iterator[None]:
    """Turn driver errors a user can meet (locked file, server down, duplicate key) into StoreErrors."""
    try:
        yield
    except sa.exc.IntegrityError as exc:
        text = str(exc.orig)
        if getattr(exc.orig, "sqlstate", None) == "23505" or "UNIQUE constraint failed" in text:
            raise DuplicateError(
                f"that is already stored ({text.splitlines()[0]}); reload and check before adding it again"
            ) from None
        raise StoreError(f"the database refused the change: {text.splitlines()[0]}") from None
    except sa.exc.OperationalError as exc:
        first = (str(exc.orig).strip().splitlines() or ["unknown error"])[0]
        if "locked" in first or "busy" in first:
            raise StoreUnavailableError(
                f"the database stayed busy for {busy_timeout_s():g} s ({first}); try again") from None
        raise StoreUnavailableError(f"cannot use the database: {first}; check the --db URL and that the server runs") from None
