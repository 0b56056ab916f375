"""Numbered schema migrations, recorded in the ``schema_migrations`` table.

``MIGRATIONS`` is a list of ``(number, name, function)``. Opening a database runs
:func:`migrate`, which applies, in order, each migration whose number is not yet
recorded: every migration runs in its own transaction together with the row
that records it, so a failed migration leaves neither half a schema nor a
record. A migration is never edited once released: each one writes its DDL
with its own frozen table definitions (not the live ones in ``schema.py``), so
that migration 1 creates the same tables in a year as it does today. Add a
change to the schema as a new, higher-numbered migration *and* in ``schema.py``.
"""

from __future__ import annotations

from typing import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ..model import Codebook, utcnow
from .positions import m13_positions
from .preferences import m14_preferences
from .schema import CODEBOOK_ID, JSONText, UTCDateTime, schema_migrations
from .suggestions import m8_suggestions
from .assignments import _m7_assignments
from .transcripts import m9_transcripts

Migration = tuple[int, str, Callable[[Connection], None]]

# PostgreSQL: one key for the advisory lock that serialises migrations across processes.
_PG_LOCK_KEY = 0x616E6E6F  # "anno"


def _v1_tables(md: sa.MetaData) -> list[sa.Table]:
    """Return the tables of schema version 1, frozen."""
    recordings = sa.Table(
        "recordings",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("duration_s", sa.Double, nullable=False),
        sa.Column("fps", sa.String(40), nullable=False),
        sa.Column("frame_count", sa.Integer, nullable=False),
        sa.Column("width", sa.Integer, nullable=False),
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("start_offset_s", sa.Double, nullable=False),
        sa.Column("vfr", sa.Boolean, nullable=False),
        sa.Column("browser_playable", sa.Boolean, nullable=False),
        sa.Column("proxy_path", sa.Text, nullable=True),
        sa.Column("content_hash", sa.String(128), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("info", JSONText, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("deleted_at", UTCDateTime, nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        sqlite_autoincrement=True,
    )
    events = sa.Table(
        "events",
        md,
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("recording_id", sa.Integer, sa.ForeignKey("recordings.id"), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("start_ms", sa.BigInteger, nullable=False),
        sa.Column("end_ms", sa.BigInteger, nullable=True),
        *(sa.Column(name, sa.Text, nullable=False) for name in ("label", "stage", "channel", "actor", "expectation")),
        sa.Column("emotion", sa.Integer, nullable=True),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("reviewer", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("deleted_at", UTCDateTime, nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
    )
    codebook = sa.Table(
        "codebook",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("data", JSONText, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    change_log = sa.Table(
        "change_log",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("txn", sa.String(32), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("reviewer", sa.Text, nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("entity", sa.String(20), nullable=False),
        sa.Column("entity_id", sa.String(64), nullable=False),
        sa.Column("recording_id", sa.Integer, sa.ForeignKey("recordings.id"), nullable=True),
        sa.Column("before", JSONText, nullable=True),
        sa.Column("after", JSONText, nullable=True),
        sa.Column("undone_by", sa.Integer, sa.ForeignKey("change_log.id"), nullable=True),
        sa.Column("undoes", sa.Integer, sa.ForeignKey("change_log.id"), nullable=True),
        sqlite_autoincrement=True,
    )
    return [recordings, events, codebook, change_log]


def _m1_tables(conn: Connection) -> None:
    md = sa.MetaData()
    for table in _v1_tables(md):
        table.create(conn)


def _m2_indexes(conn: Connection) -> None:
    md = sa.MetaData()
    recordings, events, _codebook, change_log = _v1_tables(md)
    live_hash = sa.and_(recordings.c.deleted_at.is_(None), recordings.c.content_hash != "")
    indexes = [
        # One live recording per video content; deleted ones and unknown hashes ('') don't count.
        sa.Index(
            "ux_recordings_live_hash",
            recordings.c.content_hash,
            unique=True,
            sqlite_where=live_hash,
            postgresql_where=live_hash,
        ),
        sa.Index("ix_events_recording_start", events.c.recording_id, events.c.start_ms),
        sa.Index("ix_change_log_recording", change_log.c.recording_id, change_log.c.id),
        sa.Index("ix_change_log_entity", change_log.c.entity, change_log.c.entity_id),
        sa.Index("ix_change_log_txn", change_log.c.txn),
    ]
    for index in indexes:
        index.create(conn)


def _m3_default_codebook(conn: Connection) -> None:
    md = sa.MetaData()
    codebook = _v1_tables(md)[2]
    conn.execute(
        codebook.insert().values(id=CODEBOOK_ID, data=Codebook().to_dict(), updated_at=utcnow(), version=1)
    )


def _m4_batched_imports(conn: Connection) -> None:
    md = sa.MetaData()
    imports = sa.Table(
        "imports",
        md,
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("reviewer", sa.Text, nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("touched_at", UTCDateTime, nullable=False),
    )
    imports.create(conn)
    conn.execute(sa.text("ALTER TABLE events ADD COLUMN import_id VARCHAR(32)"))
    events = sa.Table("events", md, sa.Column("import_id", sa.String(32)))
    sa.Index("ix_events_import", events.c.import_id).create(conn)


def _m5_users(conn: Connection) -> None:
    md = sa.MetaData()
    sa.Table(
        "users",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("login", sa.String(64), nullable=False, unique=True),
        sa.Column("display_name", sa.Text, nullable=False),
        sa.Column("roles", JSONText, nullable=False),
        sa.Column("password_hash", sa.Text, nullable=True),
        sa.Column("external_id", sa.String(255), nullable=True, unique=True),
        sa.Column("disabled", sa.Boolean, nullable=False, default=False),
        sa.Column("epoch", sa.Integer, nullable=False, default=0),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    ).create(conn)


def _m6_jobs(conn: Connection) -> None:
    md = sa.MetaData()
    table = sa.Table(
        "jobs",
        md,
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("recording_id", sa.Integer, nullable=True),
        sa.Column("params", JSONText, nullable=False),
        sa.Column("output", sa.Text, nullable=False),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("done", sa.Integer, nullable=False, default=0),
        sa.Column("total", sa.Integer, nullable=False, default=0),
        sa.Column("worker", sa.Text, nullable=False, default=""),
        sa.Column("error", sa.Text, nullable=False, default=""),
        sa.Column("attempts", sa.Integer, nullable=False, default=0),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=True),
        sa.Column("finished_at", UTCDateTime, nullable=True),
        sa.Column("heartbeat_at", UTCDateTime, nullable=True),
    )
    table.create(conn)
    sa.Index("ix_jobs_state", table.c.state, table.c.heartbeat_at).create(conn)
    sa.Index("ix_jobs_output", table.c.output, table.c.state).create(conn)


MIGRATIONS: list[Migration] = [
    (1, "create recordings, events, codebook and change_log tables", _m1_tables),
    (2, "indexes and one live recording per content hash", _m2_indexes),
    (3, "default codebook", _m3_default_codebook),
    (4, "imports table; events.import_id hides a batched import's rows until it is done", _m4_batched_imports),
    (5, "users table: accounts, roles and password hashes", _m5_users),
    (6, "jobs table: long jobs on the queue, their state, worker and progress", _m6_jobs),
    (7, "assignments, consensus, comments and mentions: who codes what, settled double codings, threads",
     _m7_assignments),
    (8, "suggestion tables: suggested moments per recording and each reviewer's answer", m8_suggestions),
    (9, "transcripts and transcript_lines tables: one transcript per recording, replaced whole", m9_transcripts),
    (13, "positions table: where each reviewer stopped in each recording", m13_positions),
    (14, "preferences table: named settings an admin changes in the app", m14_preferences),
]


def _lock(conn: Connection) -> None:
    """Serialise migrations between processes (SQLite already holds its write lock: BEGIN IMMEDIATE)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_LOCK_KEY)))


def applied(conn: Connection) -> dict[int, tuple[str, object]]:
    """Return {number: (name, applied_at)} of the migrations recorded in the database ({} if none)."""
    if not sa.inspect(conn).has_table(schema_migrations.name):
        return {}
    rows = conn.execute(sa.select(schema_migrations).order_by(schema_migrations.c.number))
    return {r.number: (r.name, r.applied_at) for r in rows}


def migrate(engine: Engine, begin_write: Callable[[], object], migrations: list[Migration] | None = None) -> list[int]:
    """Apply the migrations not yet recorded, in number order; return the numbers applied.

    ``begin_write`` returns a context manager yielding a connection inside a
    write transaction (``Store._write_conn``). Each migration and its record
    commit together; another process migrating at the same time waits for the
    lock and then skips what is already recorded.
    """
    todo = sorted(migrations if migrations is not None else MIGRATIONS, key=lambda m: m[0])
    numbers = [m[0] for m in todo]
    if len(set(numbers)) != len(numbers):
        raise ValueError(f"migration numbers repeat: {numbers}")
    with engine.connect() as conn, conn.begin():
        recorded = applied(conn)
    done: list[int] = []
    for number, name, function in todo:
        if number in recorded:
            continue
        with begin_write() as conn:
            _lock(conn)
            schema_migrations.create(conn, checkfirst=True)
            if number in applied(conn):
                continue
            function(conn)
            conn.execute(schema_migrations.insert().values(number=number, name=name, applied_at=utcnow()))
            done.append(number)
    return done
