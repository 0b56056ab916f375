"""The event store: recordings, events, the codebook and an append-only change log.

SQLAlchemy Core over SQLite (a file in the data directory, WAL journal, foreign
keys on, a busy timeout so the app and the CLI can share the file) or
PostgreSQL, with the same code and portable types (see ``schema.py``).

Rules every mutation follows:
- it is ONE committed transaction, and appends its change-log row(s) in it;
  every row written by one transaction shares a ``txn`` id, so undo reverts a
  whole user action (an import of 40 events, or an event plus the status change
  it caused) at once;
- a row is changed only by ``UPDATE ... WHERE id = :id AND version = :seen``
  (compare-and-set), and every change bumps ``version``: of two writers that
  loaded the same version exactly one wins, the other gets a ConflictError;
- nothing is ever removed: delete sets ``deleted_at`` and undo clears it.

The one exception to the first rule is :meth:`Store.import_events`: a long
import is many short transactions of rows tagged with its id (``imports``
table, migration 4), all hidden from every read until its last short
transaction marks it done, and removed if it fails (or its process died), so
it stays one all-or-nothing change to readers and to undo.

On SQLite a write transaction starts with ``BEGIN IMMEDIATE`` (it takes the
write lock before reading) so a read-then-write can never fail half-way with
"database is locked"; on PostgreSQL the rows read before a write are locked with
``SELECT ... FOR UPDATE``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import itertools
import json
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Iterable, Iterator

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from ..errors import ConflictError, DuplicateError, NothingToUndoError, NotFoundError, StoreError, ValidationError
from ..model import (
    Codebook, Event, Kind, Recording, Status, clean_text, parse_kind, parse_status, utcnow, validate_event,
)
from . import migrations
from .engine import db_errors, make_engine
from .rows import (
    EVENT_FIELDS,
    EVENT_ID_RE,
    RECORDING_FIELDS,
    Change,
    as_utc,
    change_from_row,
    duration_limit,
    event_content,
    event_dict,
    event_from_dict,
    event_from_row,
    event_json,
    event_values,
    execute_rows,
    parse_recording_id,
    recording_dict,
    recording_from_dict,
    recording_from_row,
    recording_values,
    render_rows,
    when_text,
)
from .schema import CODEBOOK_ID, change_log, codebook, events, imports, recordings, schema_migrations

_CHUNK = 500  # ids per IN (...) query, well under SQLite's parameter limit
IMPORT_BATCH = 5000  # events per transaction of a batched import: a few tens of ms of write lock each
STALE_IMPORT_S = 600  # a pending import untouched this long died with its process: its rows are removed


def _visible_events() -> Any:
    """Return the condition of event rows that are not part of an unfinished batched import."""
    done = sa.select(imports.c.id).where(imports.c.state == "done")
    return sa.or_(events.c.import_id.is_(None), events.c.import_id.in_(done))


def _visible_changes() -> Any:
    """Return the condition of change-log rows that are not part of an unfinished batched import."""
    return change_log.c.txn.not_in(sa.select(imports.c.id).where(imports.c.state != "done"))


class _Tx:
    """One write transaction: its connection, time, reviewer and change-log writer."""

    def __init__(self, conn: Connection, reviewer: str):
        self.conn = conn
        self.reviewer = reviewer
        self.now = utcnow()
        self.txn = uuid.uuid4().hex

    def log(
        self,
        action: str,
        entity: str,
        entity_id: Any,
        recording_id: int | None,
        before: dict | None,
        after: dict | None,
        undoes: int | None = None,
    ) -> int:
        """Append one change-log row; return its id."""
        row = self._row(action, entity, entity_id, recording_id, before, after, undoes)
        result = self.conn.execute(change_log.insert().values(**row))
        return int(result.inserted_primary_key[0])

    def log_many(self, rows: list[tuple]) -> None:
        """Append change-log rows given as (action, entity, entity_id, recording_id, before, after)."""
        if rows:
            self.conn.execute(change_log.insert(), [self._row(*r) for r in rows])

    def _row(self, action, entity, entity_id, recording_id, before, after, undoes=None) -> dict[str, Any]:
        return {
            "txn": self.txn,
            "at": self.now,
            "reviewer": self.reviewer,
            "action": action,
            "entity": entity,
            "entity_id": str(entity_id),
            "recording_id": recording_id,
            "before": before,
            "after": after,
            "undone_by": None,
            "undoes": undoes,
        }


class Store:
    """Recordings, events, codebook and change log in one SQL database (see the module docstring)."""

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
    def open(cls, settings: Any) -> "Store":
        """Return the Store of ``settings`` (annotate.config.Settings), creating its directories first."""
        settings.ensure_dirs()
        return cls(settings.db_url)

    @property
    def url(self) -> str:
        """Return the database URL, password hidden (for display)."""
        return self._engine.url.render_as_string(hide_password=True)

    @property
    def dialect(self) -> str:
        """Return ``sqlite`` or ``postgresql``."""
        return self._engine.dialect.name

    def close(self) -> None:
        """Close every pooled connection. The Store must not be used afterwards."""
        self._engine.dispose()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: Any) -> None:
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

    @contextlib.contextmanager
    def _write(self, reviewer: str | None) -> Iterator[_Tx]:
        with self._write_conn() as conn:
            yield _Tx(conn, clean_text(reviewer))

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
        q = (
            sa.select(change_log.c.reviewer, change_log.c.at, change_log.c.action)
            .where(change_log.c.entity == entity, change_log.c.entity_id == str(entity_id))
            .order_by(change_log.c.id.desc())
            .limit(1)
        )
        return conn.execute(q).first()

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

    def _cas(self, tx: _Tx, table: sa.Table, entity: str, key: Any, seen_version: int, values: dict) -> None:
        """UPDATE the row only if its version is still ``seen_version``, bumping it; ConflictError otherwise."""
        result = tx.conn.execute(
            table.update()
            .where(table.c.id == key, table.c.version == seen_version)
            .values(**values, updated_at=tx.now, version=table.c.version + 1)
        )
        if result.rowcount != 1:
            raise self._conflict(tx.conn, entity, key)

    def _recording_row(self, conn: Connection, recording_id: Any, *, deleted: bool = False, lock: bool = False) -> Row:
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
        q = sa.select(events).where(events.c.id == str(event_id), _visible_events())
        if lock:
            q = q.with_for_update()
        row = conn.execute(q).first()
        if row is None:
            raise NotFoundError(f"no event {event_id}; reload the recording to see its events")
        if row.deleted_at is not None and not deleted:
            who, when = self._who(conn, "event", event_id)
            raise NotFoundError(f"event {str(event_id)[:8]} was deleted by {who} at {when}; undo the delete to edit it")
        return row

    # --- recordings -----------------------------------------------------------------

    def add_recording(self, rec: Recording, reviewer: str = "") -> Recording:
        """Store a new recording; return it with its id, version 1 and timestamps.

        Raises ValidationError for bad fields and DuplicateError if a recording
        with the same content_hash is already stored (the message names its id).
        """
        values = recording_values(rec)
        with self._write(reviewer) as tx:
            self._check_unique_hash(tx.conn, values["content_hash"])
            created = as_utc(rec.created_at) or tx.now
            result = tx.conn.execute(
                recordings.insert().values(**values, created_at=created, updated_at=tx.now, deleted_at=None, version=1)
            )
            rid = int(result.inserted_primary_key[0])
            row = self._recording_row(tx.conn, rid)
            tx.log("create", "recording", rid, rid, None, recording_dict(row))
            return recording_from_row(row)

    def _check_unique_hash(self, conn: Connection, content_hash: str, exclude: int | None = None) -> None:
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

    def get_recording(self, recording_id: int) -> Recording:
        """Return the recording; raises NotFoundError if there is none with that id (or it was deleted)."""
        with self._read() as conn:
            return recording_from_row(self._recording_row(conn, recording_id))

    def find_recording(self, ref: str | int) -> Recording:
        """Return the recording named by ``ref``: an id (7 or "7"), a content hash, or a file path.

        A path matches as given or resolved; when several recordings share it the
        newest wins. Raises NotFoundError when nothing matches.
        """
        if isinstance(ref, int) and not isinstance(ref, bool):
            return self.get_recording(ref)
        text = str(ref).strip()
        if text.isdigit():
            with contextlib.suppress(NotFoundError):
                return self.get_recording(int(text))
        paths = {text}
        with contextlib.suppress(OSError, RuntimeError, ValueError):
            paths.add(str(Path(text).expanduser().resolve()))
        with self._read() as conn:
            live = recordings.c.deleted_at.is_(None)
            for condition in (recordings.c.content_hash == text, recordings.c.path.in_(sorted(paths))):
                if not text:
                    break
                q = sa.select(recordings).where(live, condition).order_by(recordings.c.id.desc())
                row = conn.execute(q).first()
                if row is not None:
                    return recording_from_row(row)
        raise NotFoundError(f"no recording matches '{text}'; give its id, its file path or its content hash")

    def list_recordings(self) -> list[Recording]:
        """Return every recording that is not deleted, by id."""
        with self._read() as conn:
            live = recordings.c.deleted_at.is_(None)
            rows = conn.execute(sa.select(recordings).where(live).order_by(recordings.c.id))
            return [recording_from_row(r) for r in rows]

    def recording_summaries(self) -> list[dict[str, Any]]:
        """Return one dict per live recording, by id: ``recording``, ``event_counts`` and ``last_change``.

        ``event_counts`` maps every kind's stored value to its number of live
        events (0 included); ``last_change`` is the time of the newest change-log
        row about the recording or its events (None if there is none).
        """
        with self._read() as conn:
            live = recordings.c.deleted_at.is_(None)
            rows = conn.execute(sa.select(recordings).where(live).order_by(recordings.c.id))
            recs = [recording_from_row(r) for r in rows]
            counts: dict[int, dict[str, int]] = {r.id: {k.value: 0 for k in Kind} for r in recs}
            q = (
                sa.select(events.c.recording_id, events.c.kind, sa.func.count())
                .where(events.c.deleted_at.is_(None), _visible_events())
                .group_by(events.c.recording_id, events.c.kind)
            )
            for rid, kind, n in conn.execute(q):
                if rid in counts and kind in counts[rid]:
                    counts[rid][kind] = int(n)
            q = (
                sa.select(change_log.c.recording_id, sa.func.max(change_log.c.at))
                .where(change_log.c.recording_id.is_not(None), _visible_changes())
                .group_by(change_log.c.recording_id)
            )
            last = {rid: at for rid, at in conn.execute(q)}
        return [{"recording": r, "event_counts": counts[r.id], "last_change": last.get(r.id)} for r in recs]

    def update_recording(
        self, recording_id: int, reviewer: str = "", expected_version: int | None = None, **fields: Any
    ) -> Recording:
        """Change the given fields of a recording; return it as stored (version + 1 if anything changed).

        Fields: path, title, duration_s, fps, frame_count, width, height,
        start_offset_s, vfr, browser_playable, proxy_path, content_hash, status,
        info. Raises ValidationError for an unknown field or bad value,
        NotFoundError, ConflictError if ``expected_version`` is stale, and
        DuplicateError if content_hash clashes with another recording.
        """
        return self._change_recording(recording_id, reviewer, expected_version, "update", fields)

    def set_status(self, recording_id: int, status: Status | str, reviewer: str = "") -> Recording:
        """Set the review status (new, in_review, reviewed); return the recording.

        Setting the current status writes nothing. Raises ValidationError, NotFoundError.
        """
        return self._change_recording(recording_id, reviewer, None, "status", {"status": parse_status(status)})

    def _change_recording(
        self, recording_id: Any, reviewer: str, expected_version: int | None, action: str, fields: dict
    ) -> Recording:
        unknown = sorted(set(fields) - set(RECORDING_FIELDS))
        if unknown:
            raise ValidationError(
                f"a recording has no editable field {', '.join(unknown)}; use {', '.join(RECORDING_FIELDS)}"
            )
        with self._write(reviewer) as tx:
            row = self._recording_row(tx.conn, recording_id, lock=True)
            if expected_version is not None and row.version != expected_version:
                raise self._conflict(tx.conn, "recording", row.id)
            current = recording_from_row(row)
            new_values = recording_values(dataclasses.replace(current, **fields))
            old_values = recording_values(current)
            changed = {k: v for k, v in new_values.items() if v != old_values[k]}
            if not changed:
                return current
            if "content_hash" in changed:
                self._check_unique_hash(tx.conn, changed["content_hash"], exclude=row.id)
            self._cas(tx, recordings, "recording", row.id, row.version, changed)
            after = self._recording_row(tx.conn, row.id)
            tx.log(action, "recording", row.id, row.id, recording_dict(row), recording_dict(after))
            return recording_from_row(after)

    def delete_recording(self, recording_id: int, reviewer: str = "") -> None:
        """Soft-delete a recording: it and its events disappear from lists until undone. Raises NotFoundError."""
        with self._write(reviewer) as tx:
            row = self._recording_row(tx.conn, recording_id, lock=True)
            self._cas(tx, recordings, "recording", row.id, row.version, {"deleted_at": tx.now})
            after = self._recording_row(tx.conn, row.id, deleted=True)
            tx.log("delete", "recording", row.id, row.id, recording_dict(row), recording_dict(after))

    # --- events ---------------------------------------------------------------------

    def add_event(self, event: Event, reviewer: str = "") -> Event:
        """Validate and store one new event; return it as stored (version 1).

        created_at/updated_at are stamped now unless the event carries them (an
        import); the event's reviewer defaults to ``reviewer``. The recording
        moves from new to in_review. Raises ValidationError (times outside the
        recording's duration, ...), NotFoundError for an unknown recording and
        DuplicateError if the id is already stored.
        """
        with self._write(reviewer) as tx:
            return self._insert_events(tx, [event], skip_existing=False)[0]

    def add_events(self, events_in: list[Event], reviewer: str = "", skip_existing: bool = True) -> list[Event]:
        """Store many events in ONE transaction: all of them or, on any error, none.

        Events whose id is already stored (or repeats within the list) are
        skipped when ``skip_existing``, else DuplicateError. Returns only the
        events added, as stored. Errors as :meth:`add_event`; a validation
        error names the position of the bad event in the list.
        """
        with self._write(reviewer) as tx:
            return self._insert_events(tx, list(events_in), skip_existing=skip_existing)

    def import_events(self, events_in: Iterable[Event], reviewer: str = "", batch_size: int = IMPORT_BATCH,
                      total: int | None = None) -> int:
        """Store many events as ONE import, a batch per short transaction: all of them or none; return how many were added.

        The rows each batch writes stay hidden (tagged with the import's id) until
        a last short transaction makes all of them visible at once, so a
        reviewer's mark waits for one batch at most, never for the whole import.
        On any error the rows written so far are removed and the error raised.
        Events already stored (or repeated) are skipped. Undo reverts the whole
        import. ``total`` (the count, if ``events_in`` has no len) is for messages.
        """
        total = len(events_in) if total is None and hasattr(events_in, "__len__") else total
        import_id = self._begin_import(reviewer)
        try:
            added, rids, done = 0, set(), 0
            items = iter(events_in)
            while batch := list(itertools.islice(items, batch_size)):
                rows = self._import_batch(import_id, reviewer, batch, done + 1, total or 0)
                done += len(batch)
                added += len(rows)
                rids.update(ev.recording_id for ev in rows)
            self._finish_import(import_id, reviewer, rids)
        except BaseException:
            with contextlib.suppress(Exception):  # if even that fails, the next import removes the rows (stale)
                self._drop_import(import_id)
            raise
        return added

    def _begin_import(self, reviewer: str) -> str:
        """Remove what dead imports left, then record a new pending import; return its id."""
        cutoff = utcnow() - timedelta(seconds=STALE_IMPORT_S)
        with self._read() as conn:
            stale = conn.execute(
                sa.select(imports.c.id).where(imports.c.state == "pending", imports.c.touched_at < cutoff)
            ).scalars().all()
        for dead in stale:
            self._drop_import(dead)
        with self._write(reviewer) as tx:
            tx.conn.execute(imports.insert().values(id=tx.txn, reviewer=tx.reviewer, state="pending",
                                                    started_at=tx.now, touched_at=tx.now))
            return tx.txn

    def _finish_import(self, import_id: str, reviewer: str, rids: set[int]) -> None:
        """Make the import visible: one short transaction (the recordings' status change and the state)."""
        with self._write(reviewer) as tx:
            tx.txn = import_id
            for rid in sorted(rids):
                row = self._recording_row(tx.conn, rid, lock=True)
                if row.status == Status.NEW.value:
                    self._cas(tx, recordings, "recording", rid, row.version, {"status": Status.IN_REVIEW.value})
                    after = self._recording_row(tx.conn, rid)
                    tx.log("status", "recording", rid, rid, recording_dict(row), recording_dict(after))
            tx.conn.execute(imports.update().where(imports.c.id == import_id).values(state="done", touched_at=tx.now))

    def _drop_import(self, import_id: str) -> None:
        """Remove an unfinished import's rows, a batch per short transaction, then its record."""
        for table, column, key in ((events, events.c.import_id, events.c.id), (change_log, change_log.c.txn,
                                                                                change_log.c.id)):
            while True:
                with self._write(None) as tx:
                    ids = tx.conn.execute(sa.select(key).where(column == import_id).limit(IMPORT_BATCH)).scalars().all()
                    if not ids:
                        break
                    for start in range(0, len(ids), _CHUNK):
                        tx.conn.execute(table.delete().where(key.in_(ids[start : start + _CHUNK])))
        with self._write(None) as tx:
            tx.conn.execute(imports.delete().where(imports.c.id == import_id, imports.c.state == "pending"))

    def _clean_events(self, conn: Connection, batch: list[Event], first: int, total: int | None,
                      lock: bool) -> tuple[list[Event], dict[int, Row]]:
        """Return the batch validated against its recordings (and those recordings' rows); errors name positions."""
        recs: dict[int, Row] = {}
        cleaned: list[Event] = []
        total = len(batch) if total is None else total  # 0: not known
        for position, ev in enumerate(batch, start=first):
            where = (f"event {position} of {total}: " if total > 1 else "") if total else f"event {position}: "
            try:
                if ev.recording_id is None:
                    raise ValidationError("the event has no recording_id; say which recording it belongs to")
                rid = parse_recording_id(ev.recording_id)
                if rid not in recs:
                    recs[rid] = self._recording_row(conn, rid, lock=lock)
                if not isinstance(ev.id, str) or not EVENT_ID_RE.match(ev.id):
                    raise ValidationError(
                        f"event id {ev.id!r} is not 1-32 letters, digits, '-' or '_'; leave it out to get a new one"
                    )
                clean = validate_event(ev, duration_limit(recs[rid]))
            except (ValidationError, NotFoundError) as exc:
                if not where:
                    raise
                raise type(exc)(where + str(exc)) from None
            clean.recording_id = rid  # validate_event returned a copy of its own
            cleaned.append(clean)
        return cleaned, recs

    def _existing_ids(self, conn: Connection, ids: list[str]) -> set[str]:
        """Return which of ``ids`` are stored (deleted and unfinished imports' rows too)."""
        existing: set[str] = set()
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            existing.update(conn.execute(sa.select(events.c.id).where(events.c.id.in_(chunk))).scalars())
        return existing

    def _import_batch(self, import_id: str, reviewer: str, batch: list[Event], first: int, total: int) -> list[Event]:
        """Write one batch of an import, hidden; return the events added.

        Validated and turned into rows before the write lock is taken, so the
        lock is held only to check the recordings and ids and insert the rows.
        """
        with self._read() as conn:
            cleaned, _ = self._clean_events(conn, batch, first, total, lock=False)
        now, who = utcnow(), clean_text(reviewer)
        fresh: dict[str, Event] = {}
        for ev in cleaned:  # an id repeated within the batch: the first one counts
            if ev.id not in fresh:
                ev.created_at = as_utc(ev.created_at) or now
                ev.updated_at = as_utc(ev.updated_at) or ev.created_at
                ev.reviewer, ev.version = ev.reviewer or who, 1
                fresh[ev.id] = ev
        added = list(fresh.values())
        dialect = self._engine.dialect
        rows = render_rows(dialect, events, [event_values(ev, import_id) for ev in added])
        logs = render_rows(dialect, change_log, [(import_id, now, who, "create", "event", ev.id, ev.recording_id, None,
                                                   event_json(ev), None, None) for ev in added])
        with self._write(reviewer) as tx:
            for rid in sorted({ev.recording_id for ev in added}):
                self._recording_row(tx.conn, rid, lock=True)  # still there (and locked, on PostgreSQL)
            existing = self._existing_ids(tx.conn, list(fresh))
            keep = [i for i, ev in enumerate(added) if ev.id not in existing]
            execute_rows(tx.conn, events, [rows[i] for i in keep])
            execute_rows(tx.conn, change_log, [logs[i] for i in keep])
            tx.conn.execute(imports.update().where(imports.c.id == import_id).values(touched_at=tx.now))
        return [added[i] for i in keep]

    def _insert_events(self, tx: _Tx, batch: list[Event], skip_existing: bool) -> list[Event]:
        if not batch:
            return []
        conn = tx.conn
        cleaned, recs = self._clean_events(conn, batch, 1, None, lock=True)

        existing = self._existing_ids(conn, [ev.id for ev in cleaned])
        added: list[Event] = []
        for ev in cleaned:
            if ev.id in existing:
                if skip_existing:
                    continue
                raise DuplicateError(f"event {ev.id} is already stored; leave its id out to add it as a new event")
            existing.add(ev.id)
            ev.created_at = as_utc(ev.created_at) or tx.now  # ev is the copy made above
            ev.updated_at = as_utc(ev.updated_at) or ev.created_at
            ev.reviewer, ev.version = ev.reviewer or tx.reviewer, 1
            added.append(ev)
        if not added:
            return []
        conn.execute(
            events.insert(),
            [
                {
                    "id": ev.id,
                    "recording_id": ev.recording_id,
                    **event_content(ev),
                    "reviewer": ev.reviewer,
                    "created_at": ev.created_at,
                    "updated_at": ev.updated_at,
                    "deleted_at": None,
                    "version": 1,
                }
                for ev in added
            ],
        )
        # The status change is logged before the creates so that the newest change of this
        # transaction (the one undo names) is an event.
        for rid in sorted({ev.recording_id for ev in added}):
            row = recs[rid]
            if row.status == Status.NEW.value:
                self._cas(tx, recordings, "recording", rid, row.version, {"status": Status.IN_REVIEW.value})
                after = self._recording_row(conn, rid)
                tx.log("status", "recording", rid, rid, recording_dict(row), recording_dict(after))
        tx.log_many([("create", "event", ev.id, ev.recording_id, None, ev.to_dict()) for ev in added])
        return added

    def get_event(self, event_id: str) -> Event:
        """Return the event; raises NotFoundError if unknown, deleted, or on a deleted recording."""
        with self._read() as conn:
            row = self._event_row(conn, event_id)
            self._recording_row(conn, row.recording_id)
            return event_from_row(row)

    def list_events(
        self,
        recording_id: int | None = None,
        kinds: Iterable[Kind | str] | Kind | str | None = None,
        include_deleted: bool = False,
    ) -> list[Event]:
        """Return events ordered by start_s, then created_at (then id).

        ``recording_id`` None means every recording; ``kinds`` filters by kind
        (any spelling parse_kind accepts). Deleted events, and events of deleted
        recordings, are left out unless ``include_deleted``. Raises NotFoundError
        for an unknown recording and UnknownKindError for an unknown kind.
        """
        q = sa.select(events).join(recordings, events.c.recording_id == recordings.c.id).where(_visible_events())
        if not include_deleted:
            q = q.where(events.c.deleted_at.is_(None), recordings.c.deleted_at.is_(None))
        if kinds is not None:
            if isinstance(kinds, (str, Kind)):
                kinds = [kinds]
            q = q.where(events.c.kind.in_(sorted({parse_kind(k).value for k in kinds})))
        with self._read() as conn:
            if recording_id is not None:
                rid = self._recording_row(conn, recording_id, deleted=include_deleted).id
                q = q.where(events.c.recording_id == rid)
            q = q.order_by(events.c.start_ms, events.c.created_at, events.c.id)
            return [event_from_row(r) for r in conn.execute(q)]

    def update_event(self, event_id: str, expected_version: int, reviewer: str = "", **changes: Any) -> Event:
        """Change fields of an event if it is still at ``expected_version``; return it (version + 1).

        Changeable: kind, start_s, end_s, label, stage, channel, actor,
        expectation, emotion, note. A change that changes nothing writes nothing.
        Raises ConflictError (someone changed it since you loaded it, named with
        when), NotFoundError, ValidationError.
        """
        unknown = sorted(set(changes) - set(EVENT_FIELDS))
        if unknown:
            raise ValidationError(f"an event has no editable field {', '.join(unknown)}; use {', '.join(EVENT_FIELDS)}")
        with self._write(reviewer) as tx:
            row = self._event_row(tx.conn, event_id, lock=True)
            if row.version != expected_version:
                raise self._conflict(tx.conn, "event", row.id)
            rec = self._recording_row(tx.conn, row.recording_id)
            current = event_from_row(row)
            new = validate_event(current.replace(**changes), duration_limit(rec))
            old_values, new_values = event_content(current), event_content(new)
            changed = {k: v for k, v in new_values.items() if v != old_values[k]}
            if not changed:
                return current
            if not row.reviewer and tx.reviewer:
                changed["reviewer"] = tx.reviewer
            self._cas(tx, events, "event", row.id, row.version, changed)
            after = self._event_row(tx.conn, row.id)
            tx.log("update", "event", row.id, row.recording_id, event_dict(row), event_dict(after))
            return event_from_row(after)

    def delete_event(self, event_id: str, reviewer: str = "", expected_version: int | None = None) -> Event:
        """Soft-delete an event; return it as it was stored when deleted (version + 1).

        Raises NotFoundError, and ConflictError if ``expected_version`` is given and stale.
        """
        with self._write(reviewer) as tx:
            row = self._event_row(tx.conn, event_id, lock=True)
            if expected_version is not None and row.version != expected_version:
                raise self._conflict(tx.conn, "event", row.id)
            self._cas(tx, events, "event", row.id, row.version, {"deleted_at": tx.now})
            after = self._event_row(tx.conn, row.id, deleted=True)
            tx.log("delete", "event", row.id, row.recording_id, event_dict(row), event_dict(after))
            return event_from_row(after)

    def events_version(self, recording_id: int) -> str:
        """Return a short digest of all the recording's event rows (deleted ones too).

        It changes whenever an event of the recording is added, edited, deleted
        or undone (each of those bumps a row's version), so it can key a cache of
        renders. Raises NotFoundError for an unknown recording id.
        """
        with self._read() as conn:
            rid = self._recording_row(conn, recording_id, deleted=True).id
            digest = hashlib.sha256(f"recording:{rid}".encode())
            q = sa.select(events).where(events.c.recording_id == rid, _visible_events())
            rows = conn.execute(q.order_by(events.c.id))
            for row in rows:
                digest.update(json.dumps(event_dict(row), sort_keys=True).encode())
            return digest.hexdigest()[:20]

    # --- codebook -------------------------------------------------------------------

    def get_codebook(self) -> Codebook:
        """Return the stored codebook (the defaults until someone sets one)."""
        with self._read() as conn:
            data = conn.execute(sa.select(codebook.c.data).where(codebook.c.id == CODEBOOK_ID)).scalar()
        return Codebook() if data is None else Codebook.from_dict(data)

    def set_codebook(self, book: Codebook, reviewer: str = "") -> Codebook:
        """Replace the codebook; return it as stored. Raises ValidationError for an inconsistent codebook."""
        data = Codebook.from_dict(book.to_dict()).to_dict()  # validates
        with self._write(reviewer) as tx:
            row = tx.conn.execute(sa.select(codebook).where(codebook.c.id == CODEBOOK_ID).with_for_update()).first()
            if row is None:  # only if someone removed the seeded row by hand
                tx.conn.execute(codebook.insert().values(id=CODEBOOK_ID, data=data, updated_at=tx.now, version=1))
                tx.log("update", "codebook", CODEBOOK_ID, None, None, {"codebook": data, "version": 1})
                return Codebook.from_dict(data)
            if row.data == data:
                return Codebook.from_dict(data)
            self._cas(tx, codebook, "codebook", CODEBOOK_ID, row.version, {"data": data})
            tx.log(
                "update",
                "codebook",
                CODEBOOK_ID,
                None,
                {"codebook": row.data, "version": row.version},
                {"codebook": data, "version": row.version + 1},
            )
            return Codebook.from_dict(data)

    # --- change log and undo ------------------------------------------------------

    def history(
        self, recording_id: int | None = None, event_id: str | None = None, limit: int | None = None
    ) -> list[Change]:
        """Return change-log rows, newest first, optionally about one recording or one event."""
        q = sa.select(change_log).where(_visible_changes())
        if recording_id is not None:
            q = q.where(change_log.c.recording_id == parse_recording_id(recording_id))
        if event_id is not None:
            q = q.where(change_log.c.entity == "event", change_log.c.entity_id == str(event_id))
        q = q.order_by(change_log.c.id.desc())
        if limit is not None:
            q = q.limit(int(limit))
        with self._read() as conn:
            return [change_from_row(r) for r in conn.execute(q)]

    def undo(self, reviewer: str | None = None, recording_id: int | None = None, by: str | None = None) -> Change:
        """Revert the latest change not yet undone, optionally only ``reviewer``'s or one recording's.

        The whole transaction that change belonged to is reverted (an import, or
        an event and the status change it caused): create -> soft delete,
        delete -> restore, update/status -> previous values (version + 1).
        Each revert is logged as an ``undo`` change that marks the original
        ``undone_by``; the undo of the latest change is returned. Calling undo
        again walks further back. ``by`` names who undoes (default ``reviewer``).

        Raises NothingToUndoError, and ConflictError if the entity was changed
        since by a change that is still in effect.
        """
        actor = by if by is not None else (reviewer or "")
        with self._write(actor) as tx:
            q = sa.select(change_log).where(
                change_log.c.undone_by.is_(None), change_log.c.action != "undo", _visible_changes()
            )
            if reviewer is not None:
                q = q.where(change_log.c.reviewer == str(reviewer).strip())
            if recording_id is not None:
                q = q.where(change_log.c.recording_id == parse_recording_id(recording_id))
            latest = tx.conn.execute(q.order_by(change_log.c.id.desc()).limit(1)).first()
            if latest is None:
                scope = "".join(
                    [
                        f" by {reviewer or 'an unnamed reviewer'}" if reviewer is not None else "",
                        f" on recording {recording_id}" if recording_id is not None else "",
                    ]
                )
                raise NothingToUndoError(f"there is nothing{scope} left to undo")
            group = tx.conn.execute(
                sa.select(change_log)
                .where(
                    change_log.c.txn == latest.txn,
                    change_log.c.undone_by.is_(None),
                    change_log.c.action != "undo",
                )
                .order_by(change_log.c.id.desc())
            ).all()
            result_id = None
            for original in group:
                before, after = self._revert(tx, original)
                undo_id = tx.log(
                    "undo", original.entity, original.entity_id, original.recording_id, before, after, original.id
                )
                marked = tx.conn.execute(
                    change_log.update()
                    .where(change_log.c.id == original.id, change_log.c.undone_by.is_(None))
                    .values(undone_by=undo_id)
                )
                if marked.rowcount != 1:
                    raise ConflictError("someone else undid that change at the same moment; reload and look again")
                if original.id == latest.id:
                    result_id = undo_id
            row = tx.conn.execute(sa.select(change_log).where(change_log.c.id == result_id)).one()
            return change_from_row(row)

    def _revert(self, tx: _Tx, change: Row) -> tuple[dict | None, dict | None]:
        """Put the entity of ``change`` back as it was before it; return the (before, after) of the revert."""
        action, entity = change.action, change.entity
        if entity == "event":
            row = self._event_row(tx.conn, change.entity_id, deleted=True, lock=True)
            self._check_undoable(tx, change)
            if action == "create":
                values: dict[str, Any] = {"deleted_at": tx.now}
            elif action == "delete":
                values = {"deleted_at": None}
            elif action == "update":
                values = event_content(event_from_dict(change.before))
                values["reviewer"] = change.before.get("reviewer", row.reviewer)
            else:
                raise StoreError(f"cannot undo a '{action}' of an event (change {change.id})")
            self._cas(tx, events, "event", row.id, row.version, values)
            return event_dict(row), event_dict(self._event_row(tx.conn, row.id, deleted=True))
        if entity == "recording":
            row = self._recording_row(tx.conn, change.entity_id, deleted=True, lock=True)
            self._check_undoable(tx, change)
            if action == "create":
                values = {"deleted_at": tx.now}
            elif action == "delete":
                self._check_unique_hash(tx.conn, row.content_hash, exclude=row.id)
                values = {"deleted_at": None}
            elif action in ("update", "status"):
                values = recording_values(recording_from_dict(change.before))
            else:
                raise StoreError(f"cannot undo a '{action}' of a recording (change {change.id})")
            self._cas(tx, recordings, "recording", row.id, row.version, values)
            return recording_dict(row), recording_dict(self._recording_row(tx.conn, row.id, deleted=True))
        if entity == "codebook":
            row = tx.conn.execute(sa.select(codebook).where(codebook.c.id == CODEBOOK_ID).with_for_update()).first()
            if row is None:
                raise StoreError("the codebook row is missing; set the codebook again")
            self._check_undoable(tx, change)
            previous = (change.before or {}).get("codebook") or Codebook().to_dict()
            self._cas(tx, codebook, "codebook", CODEBOOK_ID, row.version, {"data": previous})
            return (
                {"codebook": row.data, "version": row.version},
                {"codebook": previous, "version": row.version + 1},
            )
        raise StoreError(f"cannot undo a change of a '{entity}' (change {change.id})")

    def _check_undoable(self, tx: _Tx, change: Row) -> None:
        """Raise ConflictError if a later change of the same entity is still in effect.

        Undo is last-in-first-out per entity: once every later change of the
        entity is undone, it is back in the state ``change`` left it in.
        """
        later = tx.conn.execute(
            sa.select(change_log.c.reviewer, change_log.c.at, change_log.c.action)
            .where(
                change_log.c.entity == change.entity,
                change_log.c.entity_id == change.entity_id,
                change_log.c.id > change.id,
                change_log.c.action != "undo",
                change_log.c.undone_by.is_(None),
            )
            .order_by(change_log.c.id.desc())
            .limit(1)
        ).first()
        if later is not None:
            name = f"{change.entity} {str(change.entity_id)[:8]}"
            raise ConflictError(
                f"cannot undo the {change.action} of {name}: {later.reviewer or 'someone'} made a later "
                f"{later.action} at {when_text(later.at)}; undo that change first or edit it by hand"
            )
