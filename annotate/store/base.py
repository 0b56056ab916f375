"""The store's foundation: the engine, its transactions and the row look-ups every part of the store shares.

:class:`StoreBase` opens the database (running missing migrations) and gives
the rest of the store (recordings.py, events.py, undo.py, batches.py,
columns.py, combined into ``Store`` in store.py) its read and write
transactions, compare-and-set updates, conflict messages and the reads of one
recording or event row.
"""

from __future__ import annotations

import contextlib
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any, Iterator

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row
from sqlalchemy.sql.elements import ColumnElement

from ..errors import ConflictError, DuplicateError, NotFoundError
from ..model import clean_text, utcnow
from . import migrations
from .engine import db_errors, make_engine
from .rows import parse_recording_id, when_text
from .schema import change_log, events, imports, recordings, schema_migrations

if TYPE_CHECKING:
    from ..config import Settings
    from .store import Store

CHUNK = 500  # ids per IN (...) query, well under SQLite's parameter limit


def visible_events() -> ColumnElement[bool]:
    """Return the condition of event rows that are not part of an unfinished batched import.

    One IN, not ``import_id IS NULL OR import_id IN (...)``: with the OR,
    SQLite's planner reads through the import_id index and then sorts every
    row; with the IN it walks ``ix_events_recording_start`` in order. An event
    outside any import has no import_id, coalesced here to '', which no
    import's id (its transaction's id) is.
    """
    done = sa.select(sa.literal("", sa.String)).union_all(sa.select(imports.c.id).where(imports.c.state == "done"))
    return sa.func.coalesce(events.c.import_id, "").in_(done)


def visible_changes() -> ColumnElement[bool]:
    """Return the condition of change-log rows that are not part of an unfinished batched import."""
    return change_log.c.txn.not_in(sa.select(imports.c.id).where(imports.c.state != "done"))


def account_of(reviewer: str | None) -> str:
    """Return who a change is logged as: the account's login for an ``AccountName``, else the name itself."""
    return clean_text(getattr(reviewer, "login", None) or reviewer)


class Tx:
    """One write transaction: its connection, time, reviewer (the name stamped on events), the account it is
    logged as (``who``, the change log's reviewer column) and change-log writer."""

    def __init__(self, conn: Connection, reviewer: str, who: str | None = None):
        self.conn = conn
        self.reviewer = reviewer
        self.who = reviewer if who is None else who
        self.now = utcnow()
        self.txn = uuid.uuid4().hex

    def log(self, action: str, entity: str, entity_id: Any, recording_id: int | None, before: dict | None,
            after: dict | None, undoes: int | None = None) -> int:
        """Append one change-log row; return its id."""
        row = self._row(action, entity, entity_id, recording_id, before, after, undoes)
        result = self.conn.execute(change_log.insert().values(**row))
        return int(result.inserted_primary_key[0])

    def log_many(self, rows: list[tuple]) -> None:
        """Append change-log rows given as (action, entity, entity_id, recording_id, before, after)."""
        if rows:
            self.conn.execute(change_log.insert(), [self._row(*r) for r in rows])

    def _row(self, action: str, entity: str, entity_id: Any, recording_id: int | None, before: dict | None,
             after: dict | None, undoes: int | None = None) -> dict[str, Any]:
        return {"txn": self.txn, "at": self.now, "reviewer": self.who, "action": action, "entity": entity,
                "entity_id": str(entity_id), "recording_id": recording_id, "before": before, "after": after,
                "undone_by": None, "undoes": undoes}


class StoreBase:
    """The engine, transactions and shared row look-ups of a Store (see store.py for the rules)."""

    def __init__(self, url: str, migrations_list: list[migrations.Migration] | None = None):
        """Open (creating if needed) the database at SQLAlchemy ``url`` and apply missing migrations.

        ``postgresql://`` URLs use psycopg 3. ``migrations_list`` replaces
        ``migrations.MIGRATIONS`` (to build an older schema in an upgrade test).
        Raises StoreError if the URL is unusable or the database cannot be reached.
        """
        self._engine = make_engine(url)
        try:
            with db_errors():
                migrations.migrate(self._engine, self._write_conn, migrations_list)
        except BaseException:
            self._engine.dispose()
            raise

    @classmethod
    def open(cls, settings: Settings) -> Store:
        """Return the Store of ``settings``, creating its directories first. Raises StoreError as ``Store(url)``."""
        settings.ensure_dirs()
        return cls(settings.db_url)  # type: ignore[return-value]  # cls is Store

    @property
    def url(self) -> str:
        """Return the database URL, password hidden (for display)."""
        return self._engine.url.render_as_string(hide_password=True)

    @property
    def dialect(self) -> str:
        """Return ``sqlite`` or ``postgresql``."""
        return self._engine.dialect.name

    def server_version(self) -> str:
        """Return the database's name and version, e.g. ``SQLite 3.40.1`` or ``PostgreSQL 15.18``."""
        sqlite = self.dialect == "sqlite"
        with self._read() as conn:
            version = conn.execute(sa.text("select sqlite_version()" if sqlite else "show server_version")).scalar_one()
        return f"{'SQLite' if sqlite else 'PostgreSQL'} {version}"

    def close(self) -> None:
        """Close every pooled connection. The Store must not be used afterwards."""
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self  # type: ignore[return-value]  # self is a Store

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    # --- transactions ---------------------------------------------------------

    @contextlib.contextmanager
    def _read(self) -> Iterator[Connection]:
        with db_errors(), self._engine.connect() as conn, conn.begin():
            yield conn

    @contextlib.contextmanager
    def _write_conn(self) -> Iterator[Connection]:
        with db_errors(), self._engine.connect() as conn:
            conn.execution_options(annotate_write=True)
            with conn.begin():
                yield conn

    def _replace_row(self, table: sa.Table, key: dict[str, Any], values: dict[str, Any]) -> None:
        """Write ``values`` into the row of ``table`` whose primary key is ``key``, inserting it if missing
        (one transaction; outside the change log: for settings and positions, not annotations)."""
        where = sa.and_(*(table.c[name] == value for name, value in key.items()))
        for attempt in range(2):  # a second writer may insert the row between our update and our insert
            try:
                with self._write_conn() as conn:
                    if conn.execute(table.update().where(where).values(**values)).rowcount == 0:
                        conn.execute(table.insert().values(**key, **values))
                return
            except DuplicateError:
                if attempt:
                    raise

    @contextlib.contextmanager
    def _write(self, reviewer: str | None) -> Iterator[Tx]:
        with self._write_conn() as conn:
            yield Tx(conn, clean_text(reviewer), account_of(reviewer))

    def schema_version(self) -> int:
        """Return the highest migration number recorded in the database."""
        with self._read() as conn:
            return int(conn.execute(sa.select(sa.func.max(schema_migrations.c.number))).scalar() or 0)

    def applied_migrations(self) -> list[tuple[int, str, datetime]]:
        """Return (number, name, applied_at) of every recorded migration, in order."""
        with self._read() as conn:
            return [(n, name, at) for n, (name, at) in migrations.applied(conn).items()]

    # --- helpers used inside transactions -----------------------------------------

    def _last_change(self, conn: Connection, entity: str, entity_id: Any) -> Row | None:
        """Return (reviewer, at, action) of the newest change of the entity; an imported event falls back to its import."""
        q = (
            sa.select(change_log.c.reviewer, change_log.c.at, change_log.c.action)
            .where(change_log.c.entity == entity, change_log.c.entity_id == str(entity_id))
            .order_by(change_log.c.id.desc())
            .limit(1)
        )
        found = conn.execute(q).first()
        if found is None and entity == "event":
            import_id = sa.select(events.c.import_id).where(events.c.id == str(entity_id)).scalar_subquery()
            q = (sa.select(change_log.c.reviewer, change_log.c.at, change_log.c.action)
                 .where(change_log.c.entity == "import", change_log.c.entity_id == import_id)
                 .order_by(change_log.c.id.desc()).limit(1))
            found = conn.execute(q).first()
        return found

    def _who(self, conn: Connection, entity: str, entity_id: Any) -> tuple[str, str]:
        last = self._last_change(conn, entity, entity_id)
        if last is None:
            return "someone", "an unknown time"
        return last.reviewer or "someone", when_text(last.at)

    def _conflict(self, conn: Connection, entity: str, entity_id: Any) -> ConflictError:
        who, when = self._who(conn, entity, entity_id)
        name = f"{entity} {str(entity_id)[:8]}" if entity == "event" else f"{entity} {entity_id}"
        return ConflictError(
            f"{name} was changed by {who} at {when} since you loaded it; reload and apply your change again"
        )

    def _cas(self, tx: Tx, table: sa.Table, entity: str, key: Any, seen_version: int, values: dict) -> None:
        """UPDATE the row only if its version is still ``seen_version``, bumping it; ConflictError otherwise."""
        result = tx.conn.execute(
            table.update()
            .where(table.c.id == key, table.c.version == seen_version)
            .values(**values, updated_at=tx.now, version=table.c.version + 1)
        )
        if result.rowcount != 1:
            raise self._conflict(tx.conn, entity, key)

    def _recording_row(self, conn: Connection, recording_id: Any, *, deleted: bool = False, lock: bool = False) -> Row:
        """Return the recording's row; raises NotFoundError if there is none (or it is deleted, unless ``deleted``)."""
        rid = parse_recording_id(recording_id)
        q = sa.select(recordings).where(recordings.c.id == rid)
        if lock:
            q = q.with_for_update()
        row = conn.execute(q).first()
        if row is None or (row.deleted_at is not None and not deleted):
            gone = "" if row is None else " (it was deleted)"
            raise NotFoundError(f"no recording {rid}{gone}; list the recordings to see their ids")
        return row

    def _event_row(self, conn: Connection, event_id: str, *, deleted: bool = False, lock: bool = False) -> Row:
        """Return the visible event's row; raises NotFoundError if unknown (or deleted, unless ``deleted``)."""
        q = sa.select(events).where(events.c.id == str(event_id), visible_events())
        if lock:
            q = q.with_for_update()
        row = conn.execute(q).first()
        if row is None:
            raise NotFoundError(f"no event {event_id}; reload the recording to see its events")
        if row.deleted_at is not None and not deleted:
            who, when = self._who(conn, "event", event_id)
            raise NotFoundError(f"event {str(event_id)[:8]} was deleted by {who} at {when}; undo the delete to edit it")
        return row

    def _check_unique_hash(self, conn: Connection, content_hash: str, exclude: int | None = None) -> None:
        """Raise DuplicateError if a live recording other than ``exclude`` has ``content_hash``."""
        if not content_hash:
            return
        q = sa.select(recordings.c.id, recordings.c.title).where(
            recordings.c.content_hash == content_hash, recordings.c.deleted_at.is_(None)
        )
        if exclude is not None:
            q = q.where(recordings.c.id != exclude)
        found = conn.execute(q).first()
        if found is not None:
            raise DuplicateError(
                f"this video is already registered as recording {found.id} ('{found.title}'); open that one instead"
            )
