"""The store's comments: a thread on any event or any moment of a recording, and the inboxes @mentions fill.

A comment belongs to a recording and, optionally, to one of its events or to a
moment (``at_ms``, whole milliseconds from the first frame); it has an author
and a text (tables ``comments`` and ``mentions``, migration 7). Every ``@name``
in the text (a login, or a name without spaces) puts the comment in that
name's inbox until they mark it read. Adding a comment is one transaction with
its change-log row (entity ``comment``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Row

from ..errors import ValidationError
from ..model import MAX_FREE_TEXT, clean_text
from ..timebase import nearest_ms, seconds_from_ms
from .rows import parse_recording_id
from .schema import UTCDateTime, metadata

if TYPE_CHECKING:
    from .store import Store

MENTION_RE = re.compile(r"(?<![\w@])@([A-Za-z0-9][A-Za-z0-9._-]{0,63})")

comments = sa.Table(
    "comments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("recording_id", sa.Integer, sa.ForeignKey("recordings.id"), nullable=False),
    sa.Column("event_id", sa.String(32), sa.ForeignKey("events.id"), nullable=True),
    sa.Column("at_ms", sa.BigInteger, nullable=True),
    sa.Column("author", sa.Text, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)
mentions = sa.Table(
    "mentions",
    metadata,
    sa.Column("comment_id", sa.Integer, sa.ForeignKey("comments.id"), primary_key=True),
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("read_at", UTCDateTime, nullable=True),
)


def mentioned(text: str) -> list[str]:
    """Return the names ``@name`` mentions in ``text``, case-folded, each once, in order (trailing dots dropped)."""
    return list(dict.fromkeys(m.group(1).rstrip(".").casefold() for m in MENTION_RE.finditer(text)))


@dataclass(frozen=True)
class Comment:
    """One comment: on an event (``event_id``), at a moment (``at_s``), or on the recording as a whole."""

    id: int
    recording_id: int
    event_id: str | None
    at_s: float | None
    author: str
    text: str
    created_at: datetime
    mentions: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the comment as JSON-ready values (``annotate comments --json``)."""
        return {"id": self.id, "recording": self.recording_id, "event": self.event_id, "at_s": self.at_s,
                "author": self.author, "text": self.text, "mentions": list(self.mentions),
                "created_at": self.created_at.isoformat()}


def _comment(row: Row, names: tuple[str, ...]) -> Comment:
    return Comment(row.id, row.recording_id, row.event_id, None if row.at_ms is None else seconds_from_ms(row.at_ms),
                   row.author, row.text, row.created_at, names)


class Comments:
    """The comments of one store (``Store.comments``)."""

    def __init__(self, store: Store):
        self._store = store

    def add(self, recording_id: int | str, text: str, author: str, event_id: str | None = None,
            at_s: float | None = None) -> Comment:
        """Store a comment and its mentions; return it.

        An ``event_id`` must be a live event of the recording (its moment is
        the event's start unless ``at_s`` is given); ``at_s`` must lie within
        the recording. Raises ValidationError (blank text or author, too long,
        a time outside the recording), NotFoundError for an unknown recording or event.
        """
        body, who = clean_text(text), clean_text(author)
        if not body or not who:
            raise ValidationError("a comment needs a text and an author")
        if len(body) > MAX_FREE_TEXT:
            raise ValidationError(f"the comment is {len(body):,} characters long; keep it to {MAX_FREE_TEXT:,}")
        with self._store._write(who) as tx:
            rec = self._store._recording_row(tx.conn, recording_id)
            at_ms = None if at_s is None else nearest_ms(float(at_s))
            if event_id is not None:
                row = self._store._event_row(tx.conn, event_id)
                if row.recording_id != rec.id:
                    raise ValidationError(f"event {event_id[:8]} is on recording {row.recording_id}, not {rec.id}")
                at_ms = row.start_ms if at_ms is None else at_ms
            limit = nearest_ms(rec.duration_s) if rec.duration_s else None
            if at_ms is not None and (at_ms < 0 or (limit is not None and at_ms > limit)):
                raise ValidationError(f"{seconds_from_ms(at_ms)} s is outside the recording (0 to {rec.duration_s} s)")
            new_id = tx.conn.execute(comments.insert().values(
                recording_id=rec.id, event_id=event_id, at_ms=at_ms, author=who, text=body, created_at=tx.now,
            )).inserted_primary_key[0]
            names = tuple(mentioned(body))
            if names:
                tx.conn.execute(mentions.insert(), [{"comment_id": new_id, "name": n, "read_at": None} for n in names])
            row = tx.conn.execute(sa.select(comments).where(comments.c.id == new_id)).one()
            made = _comment(row, tuple(sorted(names)))
            tx.log("create", "comment", made.id, rec.id, None, made.to_dict())
            return made

    def thread(self, recording_id: int | str, event_id: str | None = None) -> list[Comment]:
        """Return the recording's comments (only those on ``event_id`` when given), oldest first."""
        q = sa.select(comments).where(comments.c.recording_id == parse_recording_id(recording_id))
        if event_id is not None:
            q = q.where(comments.c.event_id == str(event_id))
        return self._read(q.order_by(comments.c.id))

    def inbox(self, names: list[str], unread_only: bool = True) -> list[Comment]:
        """Return the comments that mention any of ``names`` (a login and a display name, say), newest first."""
        folded = sorted({clean_text(n).casefold() for n in names if clean_text(n)})
        mine = sa.select(mentions.c.comment_id).where(mentions.c.name.in_(folded))
        if unread_only:
            mine = mine.where(mentions.c.read_at.is_(None))
        return self._read(sa.select(comments).where(comments.c.id.in_(mine)).order_by(comments.c.id.desc()))

    def mark_read(self, names: list[str], comment_ids: list[int] | None = None) -> int:
        """Mark the mentions of ``names`` read (only in ``comment_ids`` when given); return how many changed."""
        folded = sorted({clean_text(n).casefold() for n in names if clean_text(n)})
        with self._store._write(", ".join(folded)) as tx:
            q = mentions.update().where(mentions.c.name.in_(folded), mentions.c.read_at.is_(None))
            if comment_ids is not None:
                q = q.where(mentions.c.comment_id.in_([int(i) for i in comment_ids]))
            return int(tx.conn.execute(q.values(read_at=tx.now)).rowcount)

    def _read(self, q: sa.Select) -> list[Comment]:
        with self._store._read() as conn:
            rows = conn.execute(q).all()
            ids = [r.id for r in rows]
            names: dict[int, list[str]] = {}
            if ids:
                found = conn.execute(sa.select(mentions.c.comment_id, mentions.c.name)
                                     .where(mentions.c.comment_id.in_(ids)).order_by(mentions.c.name))
                for cid, name in found:
                    names.setdefault(cid, []).append(name)
        return [_comment(r, tuple(names.get(r.id, ()))) for r in rows]
