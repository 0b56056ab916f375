"""The store's suggested moments: what the analysis found per recording, and each reviewer's answer to it.

Three tables (migration 8): ``suggestion_runs`` (one row per analysed
recording: the thresholds' digest and when), ``suggestions`` (the moments; an
id made of the recording, type and start, so a run with other thresholds keeps
the answers to the moments it finds again) and ``suggestion_reviews`` (per
suggestion and reviewer: accepted, with the event it made, or dismissed).
Suggestions are not events: no event count, export or map sees them. Accepting
one adds an event through the normal event path (validation, change log, undo)
in the same transaction as the answer; when that event is undone or deleted,
the suggestion is open again. Suggestions and answers are not in the change log.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from ..errors import NotFoundError, ValidationError
from ..model import Event, parse_kind, utcnow
from ..suggest.types import ACCEPTED, DISMISSED, OPEN, TYPES, Suggestion
from ..timebase import nearest_ms, seconds_from_ms
from .rows import event_from_row
from .schema import JSONText, UTCDateTime, events, metadata

if TYPE_CHECKING:
    from .store import Store


def _tables(md: sa.MetaData) -> tuple[sa.Table, sa.Table, sa.Table]:
    """Return the suggestion tables as migration 8 made them (frozen: a later change is a new migration)."""
    runs = sa.Table(
        "suggestion_runs", md,
        sa.Column("recording_id", sa.Integer, sa.ForeignKey("recordings.id"), primary_key=True, autoincrement=False),
        sa.Column("digest", sa.String(32), nullable=False),
        sa.Column("settings", JSONText, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    found = sa.Table(
        "suggestions", md,
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("recording_id", sa.Integer, sa.ForeignKey("recordings.id"), nullable=False),
        sa.Column("type", sa.String(12), nullable=False),
        sa.Column("start_ms", sa.BigInteger, nullable=False),
        sa.Column("end_ms", sa.BigInteger, nullable=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("suggested_kind", sa.String(40), nullable=False),
        sa.Column("score", sa.Double, nullable=False),
        sa.Column("detail", JSONText, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    reviews = sa.Table(
        "suggestion_reviews", md,
        sa.Column("suggestion_id", sa.String(64), sa.ForeignKey("suggestions.id"), primary_key=True),
        sa.Column("reviewer", sa.String(255), primary_key=True),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("event_id", sa.String(32), nullable=True),
        sa.Column("at", UTCDateTime, nullable=False),
    )
    return runs, found, reviews


def m8_suggestions(conn: Connection) -> None:
    """Migration 8: create the suggestion tables and their index."""
    md = sa.MetaData()
    sa.Table("recordings", md, sa.Column("id", sa.Integer, primary_key=True))  # what the foreign keys refer to
    runs, found, reviews = _tables(md)
    for table in (runs, found, reviews):
        table.create(conn)
    sa.Index("ix_suggestions_recording_start", found.c.recording_id, found.c.start_ms).create(conn)


suggestion_runs, suggestions, suggestion_reviews = _tables(metadata)


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else nearest_ms(seconds)


def _suggestion(row: Row, state: str = OPEN, event_id: str | None = None) -> Suggestion:
    return Suggestion(
        type=row.type, start_s=seconds_from_ms(row.start_ms),
        end_s=None if row.end_ms is None else seconds_from_ms(row.end_ms), reason=row.reason,
        suggested_kind=row.suggested_kind, score=float(row.score), detail=dict(row.detail or {}),
        recording_id=row.recording_id, id=row.id, state=state, event_id=event_id,
    )


class Suggestions:
    """The suggested moments of one store (``Store.suggestions``)."""

    def __init__(self, store: Store):
        self._store = store

    def replace(self, recording_id: int, found: list[Suggestion], settings: dict[str, Any],
                digest: str) -> list[Suggestion]:
        """Store ``found`` as the recording's suggestions (one transaction); return them as stored.

        Suggestions of an earlier run that are not found again go, with their
        answers; those found again keep their answers. Raises NotFoundError for an
        unknown recording and ValidationError for an unknown type.
        """
        now = utcnow()
        with self._store._write_conn() as conn:
            rid = self._store._recording_row(conn, recording_id, lock=True).id
            rows = self._rows(rid, found, now)
            old = set(conn.execute(sa.select(suggestions.c.id).where(suggestions.c.recording_id == rid)).scalars())
            gone = list(old - rows.keys())
            for start in range(0, len(gone), 500):
                chunk = gone[start:start + 500]
                conn.execute(suggestion_reviews.delete().where(suggestion_reviews.c.suggestion_id.in_(chunk)))
                conn.execute(suggestions.delete().where(suggestions.c.id.in_(chunk)))
            for key in old & rows.keys():
                values = {k: v for k, v in rows.pop(key).items() if k not in ("id", "created_at")}
                conn.execute(suggestions.update().where(suggestions.c.id == key).values(**values))
            if rows:
                conn.execute(suggestions.insert(), list(rows.values()))
            conn.execute(suggestion_runs.delete().where(suggestion_runs.c.recording_id == rid))
            conn.execute(suggestion_runs.insert().values(recording_id=rid, digest=digest, settings=settings,
                                                         created_at=now))
        return self.list(rid)

    @staticmethod
    def _rows(rid: int, found: list[Suggestion], now: datetime) -> dict[str, dict[str, Any]]:
        """Return the rows to store for ``found``, by id (the first of two with one id wins)."""
        rows: dict[str, dict[str, Any]] = {}
        for s in found:
            if s.type not in TYPES:
                raise ValidationError(f"suggestion type {s.type!r} is not one of {', '.join(TYPES)}")
            key = f"{rid}-{s.key}"
            rows.setdefault(key, {
                "id": key, "recording_id": rid, "type": s.type, "start_ms": _ms(s.start_s), "end_ms": _ms(s.end_s),
                "reason": s.reason, "suggested_kind": parse_kind(s.suggested_kind).value, "score": float(s.score),
                "detail": s.detail, "created_at": now})
        return rows

    def run(self, recording_id: int) -> dict[str, Any] | None:
        """Return how the recording's suggestions were found (digest, settings, created_at), or None if never."""
        with self._store._read() as conn:
            row = conn.execute(sa.select(suggestion_runs).where(suggestion_runs.c.recording_id == int(recording_id))).first()
        return None if row is None else {"digest": row.digest, "settings": row.settings, "created_at": row.created_at}

    def list(self, recording_id: int, reviewer: str = "") -> list[Suggestion]:
        """Return the recording's suggestions in time order, each with ``reviewer``'s state.

        A suggestion accepted into an event that was since deleted (or undone) is open again.
        """
        r = suggestion_reviews
        joined = suggestions.outerjoin(r, sa.and_(r.c.suggestion_id == suggestions.c.id, r.c.reviewer == reviewer)) \
            .outerjoin(events, events.c.id == r.c.event_id)
        q = (sa.select(suggestions, r.c.state.label("answer"), r.c.event_id.label("answer_event"),
                       events.c.deleted_at.label("event_deleted"), events.c.id.label("event_found"))
             .select_from(joined).where(suggestions.c.recording_id == int(recording_id))
             .order_by(suggestions.c.start_ms, suggestions.c.type))
        with self._store._read() as conn:
            return [self._with_state(row) for row in conn.execute(q)]

    @staticmethod
    def _with_state(row: Row) -> Suggestion:
        if row.answer == ACCEPTED and (row.event_found is None or row.event_deleted is not None):
            return _suggestion(row)
        return _suggestion(row, row.answer or OPEN, row.answer_event if row.answer == ACCEPTED else None)

    def get(self, suggestion_id: str, reviewer: str = "") -> Suggestion:
        """Return one suggestion with ``reviewer``'s state. Raises NotFoundError."""
        with self._store._read() as conn:
            row = self._row(conn, suggestion_id)
        return next(s for s in self.list(row.recording_id, reviewer) if s.id == row.id)

    def accept(self, suggestion_id: str, reviewer: str = "", kind: str | None = None) -> Event:
        """Make the suggestion an event of ``kind`` (default: its suggested kind); return the event as stored.

        One transaction adds the event (validated and logged as any mark, so
        ``Z`` undoes it) and records the answer. Accepting a suggestion this
        reviewer already accepted returns the event made then. Raises
        NotFoundError, UnknownKindError and ValidationError as adding an event does.
        """
        with self._store._write(reviewer) as tx:
            row = self._row(tx.conn, suggestion_id, lock=True)
            answer = self._answer(tx.conn, row.id, reviewer)
            if answer is not None and answer.state == ACCEPTED and answer.event_id:
                made = tx.conn.execute(sa.select(events).where(events.c.id == answer.event_id,
                                                               events.c.deleted_at.is_(None))).first()
                if made is not None:
                    return event_from_row(made)
            event = Event(kind=parse_kind(kind or row.suggested_kind), start_s=seconds_from_ms(row.start_ms),
                          end_s=None if row.end_ms is None else seconds_from_ms(row.end_ms),
                          recording_id=row.recording_id, note=row.reason, reviewer=reviewer)
            added = self._store._insert_events(tx, [event], skip_existing=False)[0]
            self._answer_with(tx.conn, row.id, reviewer, ACCEPTED, added.id, answer is not None)
            return added

    def dismiss(self, suggestion_id: str, reviewer: str = "") -> Suggestion:
        """Record that ``reviewer`` dismissed the suggestion; return it. Raises NotFoundError."""
        return self._set(suggestion_id, reviewer, DISMISSED)

    def reopen(self, suggestion_id: str, reviewer: str = "") -> Suggestion:
        """Forget ``reviewer``'s answer (a dismissal; an accepted one's event stays); return it. Raises NotFoundError."""
        return self._set(suggestion_id, reviewer, OPEN)

    def counts(self, recording_id: int, reviewer: str = "") -> dict[str, int]:
        """Return how many of the recording's suggestions are open, accepted and dismissed for ``reviewer``."""
        out = {OPEN: 0, ACCEPTED: 0, DISMISSED: 0}
        for s in self.list(recording_id, reviewer):
            out[s.state] += 1
        return out

    def _set(self, suggestion_id: str, reviewer: str, state: str) -> Suggestion:
        with self._store._write_conn() as conn:
            row = self._row(conn, suggestion_id, lock=True)
            answer = self._answer(conn, row.id, reviewer)
            if state == OPEN:
                conn.execute(suggestion_reviews.delete().where(suggestion_reviews.c.suggestion_id == row.id,
                                                               suggestion_reviews.c.reviewer == reviewer))
            else:
                self._answer_with(conn, row.id, reviewer, state, None, answer is not None)
        return self.get(row.id, reviewer)

    @staticmethod
    def _answer_with(conn: Connection, sid: str, reviewer: str, state: str, event_id: str | None,
                     exists: bool) -> None:
        values = {"state": state, "event_id": event_id, "at": utcnow()}
        r = suggestion_reviews
        if exists:
            conn.execute(r.update().where(r.c.suggestion_id == sid, r.c.reviewer == reviewer).values(**values))
        else:
            conn.execute(r.insert().values(suggestion_id=sid, reviewer=reviewer, **values))

    @staticmethod
    def _answer(conn: Connection, sid: str, reviewer: str) -> Row | None:
        r = suggestion_reviews
        return conn.execute(sa.select(r).where(r.c.suggestion_id == sid, r.c.reviewer == reviewer)).first()

    @staticmethod
    def _row(conn: Connection, suggestion_id: str, lock: bool = False) -> Row:
        q = sa.select(suggestions).where(suggestions.c.id == str(suggestion_id))
        if lock:
            q = q.with_for_update()
        row = conn.execute(q).first()
        if row is None:
            raise NotFoundError(f"no suggestion {suggestion_id!r}; run `annotate suggest --recording ID` to list them")
        return row
