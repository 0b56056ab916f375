"""The store's tables as SQLAlchemy Core objects, and the portable column types they use.

These tables describe the schema *after* every migration in ``migrations.py``;
queries are written against them. The DDL itself lives in the migrations, so a
new column is added by a new numbered migration *and* here.

Portability (SQLite and PostgreSQL run the same code):
- times of events are whole milliseconds (``start_ms``/``end_ms``), never floats;
- datetimes are stored as ISO 8601 text in UTC with microseconds
  (``2025-01-31T09:15:02.123000+00:00``): fixed width, so they sort as text, and
  they read back identical on both databases;
- JSON is stored as text written by :func:`json.dumps` (sorted keys), so it
  reads back identical on both.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

metadata = sa.MetaData()


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime stored as fixed-width ISO 8601 text.

    A naive datetime is taken to be UTC already; an aware one is converted.
    """

    impl = sa.String(40)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> str | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).isoformat(timespec="microseconds")

    def process_result_value(self, value: str | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return datetime.fromisoformat(value).astimezone(timezone.utc)


class JSONText(TypeDecorator):
    """A JSON value (dict, list, ...) stored as text with sorted keys."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        return json.dumps(value, sort_keys=True, ensure_ascii=False)

    def process_result_value(self, value: str | None, dialect: Any) -> Any:
        if value is None:
            return None
        return json.loads(value)


schema_migrations = sa.Table(
    "schema_migrations",
    metadata,
    sa.Column("number", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("applied_at", UTCDateTime, nullable=False),
)

recordings = sa.Table(
    "recordings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("title", sa.Text, nullable=False, default=""),
    sa.Column("duration_s", sa.Double, nullable=False, default=0.0),
    sa.Column("fps", sa.String(40), nullable=False, default=""),
    sa.Column("frame_count", sa.Integer, nullable=False, default=0),
    sa.Column("width", sa.Integer, nullable=False, default=0),
    sa.Column("height", sa.Integer, nullable=False, default=0),
    sa.Column("start_offset_s", sa.Double, nullable=False, default=0.0),
    sa.Column("vfr", sa.Boolean, nullable=False, default=False),
    sa.Column("browser_playable", sa.Boolean, nullable=False, default=True),
    sa.Column("proxy_path", sa.Text, nullable=True),
    sa.Column("content_hash", sa.String(128), nullable=False, default=""),
    sa.Column("status", sa.String(20), nullable=False, default="new"),
    sa.Column("info", JSONText, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("deleted_at", UTCDateTime, nullable=True),
    sa.Column("version", sa.Integer, nullable=False, default=1),
    sqlite_autoincrement=True,
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("recording_id", sa.Integer, sa.ForeignKey("recordings.id"), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("start_ms", sa.BigInteger, nullable=False),
    sa.Column("end_ms", sa.BigInteger, nullable=True),
    sa.Column("label", sa.Text, nullable=False, default=""),
    sa.Column("stage", sa.Text, nullable=False, default=""),
    sa.Column("channel", sa.Text, nullable=False, default=""),
    sa.Column("actor", sa.Text, nullable=False, default=""),
    sa.Column("expectation", sa.Text, nullable=False, default=""),
    sa.Column("emotion", sa.Integer, nullable=True),
    sa.Column("note", sa.Text, nullable=False, default=""),
    sa.Column("reviewer", sa.Text, nullable=False, default=""),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("deleted_at", UTCDateTime, nullable=True),
    sa.Column("version", sa.Integer, nullable=False, default=1),
    # The import that wrote the row: hidden until that import is 'done' (None: added by hand, always visible).
    sa.Column("import_id", sa.String(32), nullable=True),
)

# One row per batched import (Store.import_events): its rows and change-log rows (txn = id) stay hidden
# while ``state`` is 'pending'; the import's last short transaction sets 'done'.
imports = sa.Table(
    "imports",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("reviewer", sa.Text, nullable=False, default=""),
    sa.Column("state", sa.String(12), nullable=False),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("touched_at", UTCDateTime, nullable=False),
)

codebook = sa.Table(
    "codebook",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("data", JSONText, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("version", sa.Integer, nullable=False, default=1),
)

change_log = sa.Table(
    "change_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("txn", sa.String(32), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("reviewer", sa.Text, nullable=False, default=""),
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

CODEBOOK_ID = 1  # one codebook per store
