"""The store's assignments: who codes which recording, and how far each coder is (``Store.assignments``).

An assignment is one reviewer on one recording (table ``assignments``, migration
7), named as that reviewer's events are (the ``reviewer`` of an event: an
account's display name when the name is an account, else the name as given).
Its status moves ``new`` -> ``in_review`` -> ``submitted`` -> ``approved`` or
``returned`` (with a note), and from ``returned`` back to ``in_review`` or
``submitted``; every step is one transaction with its change-log row (entity
``assignment``). A recording assigned to two or more reviewers is coded blind:
each reviewer's events are that reviewer's set, and :meth:`Assignments.may_see_others`
says a coder sees the others' events only once they have submitted their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from ..errors import NotFoundError, ValidationError
from ..model import Event, clean_text
from .rows import event_from_row, parse_recording_id
from .schema import JSONText, UTCDateTime, events, metadata

if TYPE_CHECKING:
    from .store import Store

STATUSES = ("new", "in_review", "submitted", "approved", "returned")
# status -> the statuses it may move to
MOVES = {"new": ("in_review", "submitted"), "in_review": ("submitted",), "submitted": ("approved", "returned"),
         "approved": ("returned",), "returned": ("in_review", "submitted")}
MAX_NOTE = 2000

assignments = sa.Table(
    "assignments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("recording_id", sa.Integer, sa.ForeignKey("recordings.id"), nullable=False),
    sa.Column("reviewer", sa.Text, nullable=False),
    sa.Column("login", sa.String(64), nullable=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("assigned_by", sa.Text, nullable=False),
    sa.Column("submitted_at", UTCDateTime, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.UniqueConstraint("recording_id", "reviewer", name="ux_assignments_recording_reviewer"),
)


def _m7_assignments(conn: Connection) -> None:
    """Migration 7: the assignments, consensus, comments and mentions tables (frozen DDL)."""
    md = sa.MetaData()
    sa.Table("recordings", md, sa.Column("id", sa.Integer, primary_key=True))
    table = sa.Table(
        "assignments", md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("recording_id", sa.Integer, sa.ForeignKey("recordings.id"), nullable=False),
        sa.Column("reviewer", sa.Text, nullable=False),
        sa.Column("login", sa.String(64), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("assigned_by", sa.Text, nullable=False),
        sa.Column("submitted_at", UTCDateTime, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.UniqueConstraint("recording_id", "reviewer", name="ux_assignments_recording_reviewer"),
    )
    table.create(conn)
    sa.Index("ix_assignments_reviewer", table.c.reviewer, table.c.status).create(conn)
    consensus = sa.Table(
        "consensus", md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("recording_id", sa.Integer, sa.ForeignKey("recordings.id"), nullable=False),
        sa.Column("txn", sa.String(32), nullable=False, unique=True),
        sa.Column("coders", JSONText, nullable=False),
        sa.Column("decisions", JSONText, nullable=False),
        sa.Column("decided_by", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    consensus.create(conn)
    sa.Index("ix_consensus_recording", consensus.c.recording_id).create(conn)
    _m7_comments(md, conn)


def _m7_comments(md: sa.MetaData, conn: Connection) -> None:
    """Migration 7, continued: comments on events and moments, and the @mentions that fill inboxes (frozen)."""
    sa.Table("events", md, sa.Column("id", sa.String(32), primary_key=True))
    comments = sa.Table(
        "comments", md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("recording_id", sa.Integer, sa.ForeignKey("recordings.id"), nullable=False),
        sa.Column("event_id", sa.String(32), sa.ForeignKey("events.id"), nullable=True),
        sa.Column("at_ms", sa.BigInteger, nullable=True),
        sa.Column("author", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    comments.create(conn)
    sa.Index("ix_comments_recording", comments.c.recording_id, comments.c.id).create(conn)
    mentions = sa.Table(
        "mentions", md,
        sa.Column("comment_id", sa.Integer, sa.ForeignKey("comments.id"), primary_key=True),
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("read_at", UTCDateTime, nullable=True),
    )
    mentions.create(conn)
    sa.Index("ix_mentions_name", mentions.c.name, mentions.c.read_at).create(conn)


@dataclass(frozen=True)
class Assignment:
    """One reviewer on one recording, with the status of their coding."""

    id: int
    recording_id: int
    reviewer: str
    login: str | None
    status: str
    note: str
    assigned_by: str
    submitted_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int

    def to_dict(self) -> dict[str, Any]:
        """Return the assignment as JSON-ready values (``annotate assignments --json``)."""
        return {"id": self.id, "recording": self.recording_id, "reviewer": self.reviewer, "login": self.login,
                "status": self.status, "note": self.note, "assigned_by": self.assigned_by,
                "submitted_at": self.submitted_at.isoformat() if self.submitted_at else None,
                "updated_at": self.updated_at.isoformat()}


def _assignment(row: Row) -> Assignment:
    return Assignment(**{c.name: getattr(row, c.name) for c in assignments.columns})


def _logged(a: Assignment) -> dict[str, Any]:
    return {**a.to_dict(), "version": a.version}


class Assignments:
    """The assignments of one store (``Store.assignments``); every change is one logged transaction."""

    def __init__(self, store: Store):
        self._store = store

    def _who(self, name: str) -> tuple[str, str | None]:
        """Return (reviewer name as on events, login) for ``name``: an account's display name, else the name.

        Raises ValidationError for a blank name, a disabled account, or (when the
        store has accounts) a name that is no account.
        """
        text = clean_text(name)
        if not text:
            raise ValidationError("a blank reviewer name: give the login or name of the reviewer")
        user = self._store.accounts.find(text)
        if user is not None:
            if user.disabled:
                raise ValidationError(f"user {user.login!r} is disabled: enable the account first")
            return user.display_name, user.login
        known = self._store.accounts.all()
        if known:
            names = ", ".join(u.login for u in known if not u.disabled)
            raise ValidationError(f"no user {text!r}; the users are: {names}")
        return text, None

    def assign(self, recording_ids: Iterable[int | str], names: Iterable[str],
               actor: str = "") -> list[tuple[Assignment, bool]]:
        """Assign every recording to every reviewer named; return (assignment, whether new) for each pair.

        An existing assignment is returned as it is. All or nothing. Raises
        NotFoundError for an unknown recording, ValidationError for a bad name.
        """
        who = [self._who(n) for n in dict.fromkeys(names)]
        if not who:
            raise ValidationError("no reviewer named: say whom to assign with --to NAME")
        out: list[tuple[Assignment, bool]] = []
        with self._store._write(actor) as tx:
            for ref in dict.fromkeys(recording_ids):
                rid = self._store._recording_row(tx.conn, ref, lock=True).id
                for reviewer, login in who:
                    found = self._find(tx.conn, rid, reviewer)
                    if found is not None:
                        out.append((found, False))
                        continue
                    new_id = tx.conn.execute(assignments.insert().values(
                        recording_id=rid, reviewer=reviewer, login=login, status="new", note="",
                        assigned_by=tx.reviewer, submitted_at=None, created_at=tx.now, updated_at=tx.now, version=1,
                    )).inserted_primary_key[0]
                    made = self._get(tx.conn, assignments.c.id == new_id)
                    tx.log("create", "assignment", made.id, rid, None, _logged(made))
                    out.append((made, True))
        return out

    def list(self, recording_id: int | str | None = None, reviewer: str | None = None) -> list[Assignment]:
        """Return assignments by recording then reviewer, optionally of one recording or one reviewer."""
        q = sa.select(assignments).order_by(assignments.c.recording_id, assignments.c.reviewer)
        if recording_id is not None:
            q = q.where(assignments.c.recording_id == parse_recording_id(recording_id))
        if reviewer is not None:
            q = q.where(assignments.c.reviewer == clean_text(reviewer))
        with self._store._read() as conn:
            return [_assignment(r) for r in conn.execute(q)]

    def get(self, recording_id: int | str, reviewer: str) -> Assignment:
        """Return ``reviewer``'s assignment on the recording. Raises NotFoundError."""
        with self._store._read() as conn:
            found = self._find(conn, parse_recording_id(recording_id), clean_text(reviewer))
        if found is None:
            raise NotFoundError(f"{clean_text(reviewer)!r} is not assigned to recording {recording_id}: "
                                "see `annotate assignments`")
        return found

    def coders(self, recording_id: int | str) -> list[str]:
        """Return the names of the reviewers assigned to the recording, sorted."""
        return [a.reviewer for a in self.list(recording_id)]

    def move(self, recording_id: int | str, reviewer: str, status: str, actor: str = "",
             note: str = "") -> Assignment:
        """Move ``reviewer``'s assignment on the recording to ``status``; return it (version + 1).

        Allowed moves are ``MOVES``; ``returned`` needs a note. Raises
        NotFoundError, ValidationError for a move that is not allowed.
        """
        if status not in STATUSES:
            raise ValidationError(f"no assignment status {status!r}; use one of {', '.join(STATUSES)}")
        text = clean_text(note)[:MAX_NOTE]
        if status == "returned" and not text:
            raise ValidationError("returning a coding needs a note saying what to change")
        rid, name = parse_recording_id(recording_id), clean_text(reviewer)
        with self._store._write(actor) as tx:
            current = self._find(tx.conn, rid, name, lock=True)
            if current is None:
                raise NotFoundError(f"{name!r} is not assigned to recording {rid}: see `annotate assignments`")
            if status not in MOVES[current.status]:
                allowed = " or ".join(MOVES[current.status])
                raise ValidationError(f"{current.reviewer}'s coding of recording {rid} is {current.status}: "
                                      f"it can move to {allowed}, not {status}")
            values: dict[str, Any] = {"status": status, "note": text}
            if status == "submitted":
                values["submitted_at"] = tx.now
            self._store._cas(tx, assignments, "assignment", current.id, current.version, values)
            after = self._get(tx.conn, assignments.c.id == current.id)
            tx.log("update", "assignment", current.id, rid, _logged(current), _logged(after))
            return after

    def may_see_others(self, recording_id: int | str, reviewer: str) -> bool:
        """Return whether ``reviewer`` may see the other coders' events on the recording.

        A reviewer assigned to a recording that two or more reviewers code blind
        sees only their own events until they have submitted once; everyone else
        (a lead, a reviewer of a singly coded recording) sees all.
        """
        coders = self.list(recording_id)
        mine = [a for a in coders if a.reviewer == clean_text(reviewer)]
        return not mine or len(coders) < 2 or mine[0].submitted_at is not None

    def events_for(self, recording_id: int | str, viewer: str) -> list[Event]:
        """Return the recording's live events ``viewer`` may see (only their own while coding blind)."""
        if self.may_see_others(recording_id, viewer):
            return self._store.list_events(parse_recording_id(recording_id))
        return self.own_events(recording_id, viewer)

    def own_events(self, recording_id: int | str, reviewer: str, conn: Connection | None = None) -> list[Event]:
        """Return the recording's live events whose reviewer is ``reviewer``, in list order (read on ``conn``
        when given, e.g. inside a write transaction)."""
        if conn is None:
            with self._store._read() as own:
                return self.own_events(recording_id, reviewer, own)
        q = self._store._events_query(conn, [events], [recording_id], None, False)
        return [event_from_row(r) for r in conn.execute(q.where(events.c.reviewer == clean_text(reviewer)))]

    @staticmethod
    def _find(conn: Connection, recording_id: int, reviewer: str, lock: bool = False) -> Assignment | None:
        q = sa.select(assignments).where(assignments.c.recording_id == recording_id,
                                         assignments.c.reviewer == reviewer)
        row = conn.execute(q.with_for_update() if lock else q).first()
        return None if row is None else _assignment(row)

    @staticmethod
    def _get(conn: Connection, where: sa.ColumnElement) -> Assignment:
        row = conn.execute(sa.select(assignments).where(where)).first()
        if row is None:
            raise NotFoundError("no such assignment: see `annotate assignments`")
        return _assignment(row)
