"""The store's events, one at a time or a few in one transaction: add, read, list, edit, soft-delete, digest."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from ..errors import DuplicateError, NotFoundError, ValidationError
from ..model import Event, Kind, parse_kind, validate_event
from .base import CHUNK, Tx, visible_events
from .recordings import RecordingsMixin
from .rows import (
    EVENT_FIELDS, EVENT_ID_RE, as_utc, duration_limit, event_content, event_dict, event_from_row, parse_recording_id,
)
from .schema import events, recordings


def kind_values(kinds: Iterable[Kind | str] | Kind | str) -> list[str]:
    """Return the sorted stored values of ``kinds`` (one kind or many); raises UnknownKindError."""
    if isinstance(kinds, (str, Kind)):
        kinds = [kinds]
    return sorted({parse_kind(k).value for k in kinds})


class EventsMixin(RecordingsMixin):
    """Events: every public method is one transaction (see store.py)."""

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
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            existing.update(conn.execute(sa.select(events.c.id).where(events.c.id.in_(chunk))).scalars())
        return existing

    def _insert_events(self, tx: Tx, batch: list[Event], skip_existing: bool) -> list[Event]:
        """Validate and insert ``batch`` inside ``tx``, logging one create each; return the events added."""
        if not batch:
            return []
        cleaned, _ = self._clean_events(tx.conn, batch, 1, None, lock=True)
        existing = self._existing_ids(tx.conn, [ev.id for ev in cleaned])
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
        tx.conn.execute(events.insert(), [
            {"id": ev.id, "recording_id": ev.recording_id, **event_content(ev), "reviewer": ev.reviewer,
             "created_at": ev.created_at, "updated_at": ev.updated_at, "deleted_at": None, "version": 1}
            for ev in added
        ])
        # The status change is logged before the creates so that the newest change of this
        # transaction (the one undo names) is an event.
        self._mark_in_review(tx, list({ev.recording_id for ev in added}))
        tx.log_many([("create", "event", ev.id, ev.recording_id, None, ev.to_dict()) for ev in added])
        return added

    def get_event(self, event_id: str) -> Event:
        """Return the event; raises NotFoundError if unknown, deleted, or on a deleted recording."""
        with self._read() as conn:
            row = self._event_row(conn, event_id)
            self._recording_row(conn, row.recording_id)
            return event_from_row(row)

    def _events_query(self, conn: Connection, columns: Any, recording_ids: Iterable[int] | None,
                      kinds: Iterable[Kind | str] | Kind | str | None, include_deleted: bool) -> sa.Select:
        """Return the SELECT of ``columns`` over the visible events, filtered, in list order.

        Raises NotFoundError for an unknown recording, UnknownKindError for an unknown kind.
        """
        q = sa.select(*columns).join(recordings, events.c.recording_id == recordings.c.id).where(visible_events())
        if not include_deleted:
            q = q.where(events.c.deleted_at.is_(None), recordings.c.deleted_at.is_(None))
        if kinds is not None:
            q = q.where(events.c.kind.in_(kind_values(kinds)))
        if recording_ids is not None:
            rids = [self._recording_row(conn, r, deleted=include_deleted).id for r in recording_ids]
            q = q.where(events.c.recording_id.in_(rids))
        return q.order_by(events.c.start_ms, events.c.created_at, events.c.id)

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
        rids = None if recording_id is None else [recording_id]
        with self._read() as conn:
            q = self._events_query(conn, [events], rids, kinds, include_deleted)
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
            q = sa.select(events).where(events.c.recording_id == rid, visible_events())
            rows = conn.execute(q.order_by(events.c.id))
            for row in rows:
                digest.update(json.dumps(event_dict(row), sort_keys=True).encode())
            return digest.hexdigest()[:20]
