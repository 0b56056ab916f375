"""The consensus of a blind double coding, and each coder's set read back (``Store.consensus``).

The lead settles the coders' differences pair by pair: for two matched events
(or one left unmatched) a :class:`Resolution` says accept A's, accept B's,
merge, or drop. :meth:`Consensus.apply` writes the result in ONE transaction:
every live event of the coders on the recording is soft-deleted and the
consensus events are added (their reviewer is the lead), so the maps and
metrics, which read a recording's live events, read the consensus. Each event
delete and create is in the change log as usual, so ``undo`` reverts a
consensus as a whole, and the decisions themselves are kept in the
``consensus`` table (migration 7) under that transaction's id.

A coder's set stays readable after the consensus (:meth:`Consensus.coder_events`):
their live events plus those a consensus (not undone) superseded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..errors import NotFoundError, ValidationError
from ..model import Event, clean_text, new_event_id
from ..timebase import round_seconds
from .assignments import assignments
from .rows import event_dict, event_from_row, parse_recording_id
from .columns import _chunk_columns, _selected  # the column reads' own row conversion, shared
from .schema import JSONText, UTCDateTime, change_log, events, metadata, recordings

if TYPE_CHECKING:
    from .store import Store

ACTIONS = ("accept_a", "accept_b", "merge", "drop")

consensus = sa.Table(
    "consensus",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("recording_id", sa.Integer, sa.ForeignKey("recordings.id"), nullable=False),
    sa.Column("txn", sa.String(32), nullable=False, unique=True),
    sa.Column("coders", JSONText, nullable=False),
    sa.Column("decisions", JSONText, nullable=False),
    sa.Column("decided_by", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)


@dataclass(frozen=True)
class Resolution:
    """One decision: ``a``/``b`` are the event ids of coder A and coder B (one may be None), ``action`` one of
    ACTIONS."""

    a: str | None
    b: str | None
    action: str

    def to_dict(self) -> dict[str, str | None]:
        return {"a": self.a, "b": self.b, "action": self.action}


def merged(a: Event, b: Event) -> Event:
    """Return the merge of two matched events: the mean start (and end, when both have one, else the one
    given), A's kind, and each text field and the emotion from A unless A left it blank."""
    start = round_seconds((a.start_s + b.start_s) / 2)
    ends = [e for e in (a.end_s, b.end_s) if e is not None]
    end = None if not ends else round_seconds(sum(ends) / len(ends))
    texts = {name: getattr(a, name) or getattr(b, name) for name in ("label", "stage", "channel", "actor",
                                                                       "expectation", "note")}
    return a.replace(start_s=start, end_s=None if end is None else max(end, start),
                     emotion=a.emotion if a.emotion is not None else b.emotion, **texts)


def _check(resolutions: list[Resolution], by_a: dict[str, Event], by_b: dict[str, Event]) -> None:
    """Raise ValidationError unless every event of both coders is decided exactly once, with a usable action."""
    seen: dict[str, int] = {}
    for number, r in enumerate(resolutions, start=1):
        if r.action not in ACTIONS:
            raise ValidationError(f"decision {number}: no action {r.action!r}; use one of {', '.join(ACTIONS)}")
        if r.a is None and r.b is None:
            raise ValidationError(f"decision {number} names no event")
        for key, pool, coder in ((r.a, by_a, "A"), (r.b, by_b, "B")):
            if key is not None and key not in pool:
                raise ValidationError(f"decision {number}: {key} is no live event of coder {coder} on this recording")
            if key is not None:
                seen[key] = seen.get(key, 0) + 1
        needs = {"accept_a": r.a, "accept_b": r.b, "merge": r.a and r.b, "drop": True}[r.action]
        if not needs:
            raise ValidationError(f"decision {number}: {r.action} needs the event{'s' if r.action == 'merge' else ''}"
                                  " it keeps")
    twice = sorted(k for k, n in seen.items() if n > 1)
    left = sorted((set(by_a) | set(by_b)) - set(seen))
    if twice or left:
        what = f"decided more than once: {', '.join(twice)}" if twice else f"not decided: {', '.join(left)}"
        raise ValidationError(f"every event of both coders needs exactly one decision; {what}")


def _kept(chosen: list[Resolution], by_a: dict[str, Event], by_b: dict[str, Event], decider: str) -> list[Event]:
    """Return the new consensus events the decisions keep (new ids, ``decider`` as their reviewer)."""
    out: list[Event] = []
    for r in chosen:
        keep = {"accept_a": by_a.get(r.a or ""), "accept_b": by_b.get(r.b or ""), "drop": None,
                "merge": merged(by_a[r.a], by_b[r.b]) if r.action == "merge" else None}[r.action]
        if keep is not None:
            out.append(keep.replace(id=new_event_id(), reviewer=decider, created_at=None, updated_at=None, version=1))
    return out


def _check_recordings(conn: Connection, rids: list[int]) -> None:
    """Raise NotFoundError unless every id in ``rids`` is a live recording (one query for them all)."""
    live = set(conn.execute(sa.select(recordings.c.id).where(recordings.c.id.in_(rids),
                                                             recordings.c.deleted_at.is_(None))).scalars())
    missing = sorted(set(rids) - live)
    if missing:
        raise NotFoundError(f"no recording {missing[0]} (or it was deleted); list the recordings to see their ids")


class Consensus:
    """Consensus sets and the coders' sets of one store (``Store.consensus``)."""

    def __init__(self, store: Store):
        self._store = store

    def _coder_query(self, conn: Connection, columns: list, rids: list[int], reviewer: str) -> sa.Select:
        """Return the SELECT of ``reviewer``'s set on the recordings (see :meth:`coder_events`)."""
        txns = sa.select(consensus.c.txn).where(consensus.c.recording_id.in_(rids))
        superseded = sa.exists().where(change_log.c.entity == "event", change_log.c.entity_id == events.c.id,
                                       change_log.c.action == "delete", change_log.c.undone_by.is_(None),
                                       change_log.c.txn.in_(txns))
        made = sa.exists().where(change_log.c.entity == "event", change_log.c.entity_id == events.c.id,
                                 change_log.c.action == "create", change_log.c.txn.in_(txns))
        _check_recordings(conn, rids)
        q = self._store._events_query(conn, columns, None, None, True).where(events.c.recording_id.in_(rids))
        return q.where(events.c.reviewer == clean_text(reviewer), ~made, recordings.c.deleted_at.is_(None),
                       sa.or_(events.c.deleted_at.is_(None), superseded))

    def coder_events(self, recording_id: int | str, reviewer: str) -> list[Event]:
        """Return ``reviewer``'s set on the recording: their live events and those a consensus superseded
        (not the consensus events themselves), in list order. Raises NotFoundError for an unknown recording."""
        with self._store._read() as conn:
            q = self._coder_query(conn, [events], [parse_recording_id(recording_id)], reviewer)
            return [event_from_row(r) for r in conn.execute(q)]

    def coder_columns(self, recording_ids: Iterable[int | str], reviewer: str) -> dict[str, list[Any]]:
        """Return ``reviewer``'s sets on the recordings as columns (``EVENT_COLUMN_NAMES``, as
        ``Store.event_columns`` gives them), in one query. Raises NotFoundError for an unknown recording."""
        rids = [parse_recording_id(r) for r in recording_ids]
        with self._store._read() as conn:
            return _chunk_columns(conn.execute(self._coder_query(conn, _selected(), rids, reviewer)).all())

    def coders_on(self, recording_ids: Iterable[int | str]) -> list[str]:
        """Return every name that codes any of the recordings: the reviewers of their live events, those
        assigned to them, and the coders of their consensus records; sorted."""
        rids = [parse_recording_id(r) for r in recording_ids]
        with self._store._read() as conn:
            _check_recordings(conn, rids)
            q = self._store._events_query(conn, [events.c.reviewer], None, None, False)
            q = q.where(events.c.recording_id.in_(rids))
            names = set(conn.execute(q.distinct().order_by(None)).scalars())
            names.update(conn.execute(sa.select(assignments.c.reviewer).where(
                assignments.c.recording_id.in_(rids))).scalars())
            for coders in conn.execute(sa.select(consensus.c.coders).where(consensus.c.recording_id.in_(rids))):
                names.update(coders[0])
        return sorted(n for n in names if n)

    def apply(self, recording_id: int | str, coders: tuple[str, str], resolutions: Iterable[Resolution],
              actor: str) -> list[Event]:
        """Write the consensus of ``coders`` (A, B) on the recording; return the consensus events as stored.

        Every live event of both coders must be decided exactly once. Raises
        ValidationError (an event left out or decided twice, an unknown id or
        action, no ``actor``, not two different coders), NotFoundError for an
        unknown recording.
        """
        decider = clean_text(actor)
        if not decider:
            raise ValidationError("a consensus needs the name of who decides it")
        if len({clean_text(c) for c in coders}) != 2 or not all(map(clean_text, coders)):
            raise ValidationError(f"a consensus settles two different coders' sets, not {', '.join(coders)!r}")
        rid = parse_recording_id(recording_id)
        chosen = list(resolutions)
        with self._store._write(decider) as tx:
            self._store._recording_row(tx.conn, rid, lock=True)  # one consensus of a recording at a time
            by_a = {e.id: e for e in self._store.assignments.own_events(rid, coders[0], tx.conn)}
            by_b = {e.id: e for e in self._store.assignments.own_events(rid, coders[1], tx.conn)}
            _check(chosen, by_a, by_b)
            for old in [*by_a.values(), *by_b.values()]:
                row = self._store._event_row(tx.conn, old.id, lock=True)
                self._store._cas(tx, events, "event", row.id, row.version, {"deleted_at": tx.now})
                tx.log("delete", "event", row.id, rid, event_dict(row),
                       event_dict(self._store._event_row(tx.conn, row.id, deleted=True)))
            added = self._store._insert_events(tx, _kept(chosen, by_a, by_b, decider), skip_existing=False)
            tx.conn.execute(consensus.insert().values(
                recording_id=rid, txn=tx.txn, coders=list(coders), decisions=[r.to_dict() for r in chosen],
                decided_by=decider, created_at=tx.now))
            return added

    def decisions(self, recording_id: int | str) -> list[dict]:
        """Return the recording's consensus records, newest first: {coders, decisions, decided_by, at, undone}."""
        rid = parse_recording_id(recording_id)
        with self._store._read() as conn:
            rows = conn.execute(sa.select(consensus).where(consensus.c.recording_id == rid)
                                .order_by(consensus.c.id.desc())).all()
            out = []
            for row in rows:
                undone = conn.execute(sa.select(sa.func.count()).where(
                    change_log.c.txn == row.txn, change_log.c.undone_by.is_not(None))).scalar_one() > 0
                out.append({"coders": row.coders, "decisions": row.decisions, "decided_by": row.decided_by,
                            "at": row.created_at.isoformat(), "undone": bool(undone)})
            return out
