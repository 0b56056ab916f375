"""The store's change log read back: history, and undo of one whole transaction at a time.

An import is logged compactly (see batches.py): one ``create`` of entity
``import`` per recording, its ``entity_id`` the import's id, which every event
row it wrote carries in ``import_id``. Undo reverts it as it reverts one
``create`` per event: every event of the import is soft-deleted, provided no
later change of any of them is still in effect.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row

from ..errors import ConflictError, NothingToUndoError, StoreError
from ..model import Codebook
from .base import Tx, account_of, visible_changes
from .events import EventsMixin
from .rows import (
    Change, change_from_row, event_content, event_dict, event_from_dict, parse_recording_id, recording_dict,
    recording_from_dict, recording_values, when_text,
)
from .schema import CODEBOOK_ID, change_log, codebook, events, recordings
from .transcripts import revert_transcript

# The (before, after) dicts a revert logs.
Reverted = tuple[dict | None, dict | None]


UNDOABLE = ("event", "recording", "codebook", "import", "transcript")


class UndoMixin(EventsMixin):
    """History and undo (see store.py for the rules every change follows)."""

    def history(
        self, recording_id: int | None = None, event_id: str | None = None, limit: int | None = None
    ) -> list[Change]:
        """Return change-log rows, newest first, optionally about one recording or one event.

        An imported event's history includes the import that created it (and that import's undo).
        """
        q = sa.select(change_log).where(visible_changes())
        if recording_id is not None:
            q = q.where(change_log.c.recording_id == parse_recording_id(recording_id))
        if event_id is not None:
            of_event = sa.select(events.c.id).where(events.c.id == str(event_id), events.c.import_id == change_log.c.entity_id,
                                                     events.c.recording_id == change_log.c.recording_id)
            q = q.where(sa.or_(
                sa.and_(change_log.c.entity == "event", change_log.c.entity_id == str(event_id)),
                sa.and_(change_log.c.entity == "import", of_event.exists()),
            ))
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
            latest = self._latest_change(tx, reviewer, recording_id)
            group = tx.conn.execute(
                sa.select(change_log)
                .where(change_log.c.txn == latest.txn, change_log.c.undone_by.is_(None), change_log.c.action != "undo")
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

    def _latest_change(self, tx: Tx, reviewer: str | None, recording_id: int | None) -> Row:
        """Return the newest change not yet undone (of ``reviewer``, on ``recording_id``); raises NothingToUndoError."""
        q = sa.select(change_log).where(
            change_log.c.undone_by.is_(None), change_log.c.action != "undo", visible_changes(),
            change_log.c.entity.in_(UNDOABLE),  # not accounts: an admin's change to a user is not a reviewer's action
        )
        if reviewer is not None:
            q = q.where(change_log.c.reviewer == account_of(reviewer).strip())
        if recording_id is not None:
            q = q.where(change_log.c.recording_id == parse_recording_id(recording_id))
        latest = tx.conn.execute(q.order_by(change_log.c.id.desc()).limit(1)).first()
        if latest is None:
            scope = "".join([
                f" by {reviewer or 'an unnamed reviewer'}" if reviewer is not None else "",
                f" on recording {recording_id}" if recording_id is not None else "",
            ])
            raise NothingToUndoError(f"there is nothing{scope} left to undo")
        return latest

    def _revert(self, tx: Tx, change: Row) -> Reverted:
        """Put the entity of ``change`` back as it was before it; return the (before, after) of the revert.

        Raises StoreError for a change that cannot be undone, ConflictError as :meth:`undo`.
        """
        revert = {"event": self._revert_event, "recording": self._revert_recording,
                  "codebook": self._revert_codebook, "import": self._revert_import,
                  "transcript": lambda tx, change: revert_transcript(self, tx, change)}.get(change.entity)
        if revert is None:
            raise StoreError(f"cannot undo a change of a '{change.entity}' (change {change.id})")
        return revert(tx, change)

    def _revert_event(self, tx: Tx, change: Row) -> Reverted:
        row = self._event_row(tx.conn, change.entity_id, deleted=True, lock=True)
        self._check_undoable(tx, change)
        if change.action == "create":
            values: dict[str, Any] = {"deleted_at": tx.now}
        elif change.action == "delete":
            values = {"deleted_at": None}
        elif change.action == "update":
            values = event_content(event_from_dict(change.before))
            values["reviewer"] = change.before.get("reviewer", row.reviewer)
        else:
            raise StoreError(f"cannot undo a '{change.action}' of an event (change {change.id})")
        self._cas(tx, events, "event", row.id, row.version, values)
        return event_dict(row), event_dict(self._event_row(tx.conn, row.id, deleted=True))

    def _revert_recording(self, tx: Tx, change: Row) -> Reverted:
        row = self._recording_row(tx.conn, change.entity_id, deleted=True, lock=True)
        self._check_undoable(tx, change)
        if change.action == "create":
            values: dict[str, Any] = {"deleted_at": tx.now}
        elif change.action == "delete":
            self._check_unique_hash(tx.conn, row.content_hash, exclude=row.id)
            values = {"deleted_at": None}
        elif change.action in ("update", "status"):
            values = recording_values(recording_from_dict(change.before))
        else:
            raise StoreError(f"cannot undo a '{change.action}' of a recording (change {change.id})")
        self._cas(tx, recordings, "recording", row.id, row.version, values)
        return recording_dict(row), recording_dict(self._recording_row(tx.conn, row.id, deleted=True))

    def _revert_codebook(self, tx: Tx, change: Row) -> Reverted:
        row = tx.conn.execute(sa.select(codebook).where(codebook.c.id == CODEBOOK_ID).with_for_update()).first()
        if row is None:
            raise StoreError("the codebook row is missing; set the codebook again")
        self._check_undoable(tx, change)
        previous = (change.before or {}).get("codebook") or Codebook().to_dict()
        self._cas(tx, codebook, "codebook", CODEBOOK_ID, row.version, {"data": previous})
        return {"codebook": row.data, "version": row.version}, {"codebook": previous, "version": row.version + 1}

    def _revert_import(self, tx: Tx, change: Row) -> Reverted:
        """Soft-delete every live event the import wrote on the change's recording, as one create each would."""
        if change.action != "create":
            raise StoreError(f"cannot undo a '{change.action}' of an import (change {change.id})")
        self._recording_row(tx.conn, change.recording_id, deleted=True, lock=True)
        mine = sa.and_(events.c.import_id == change.entity_id, events.c.recording_id == change.recording_id)
        later = tx.conn.execute(
            sa.select(change_log.c.reviewer, change_log.c.at, change_log.c.action, change_log.c.entity_id)
            .where(change_log.c.id > change.id, change_log.c.entity == "event", change_log.c.action != "undo",
                   change_log.c.undone_by.is_(None),
                   sa.exists().where(events.c.id == change_log.c.entity_id, mine))
            .order_by(change_log.c.id.desc()).limit(1)
        ).first()
        if later is not None:
            self._refuse_undo(change, later, f"the import's event {later.entity_id[:8]}")
        tx.conn.execute(events.update().where(mine, events.c.deleted_at.is_(None))
                        .values(deleted_at=tx.now, updated_at=tx.now, version=events.c.version + 1))
        after = dict(change.after or {}, deleted_at=tx.now.isoformat())
        return change.after, after

    def _check_undoable(self, tx: Tx, change: Row) -> None:
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
            self._refuse_undo(change, later, f"{change.entity} {str(change.entity_id)[:8]}")

    @staticmethod
    def _refuse_undo(change: Row, later: Row, name: str) -> None:
        """Raise the ConflictError of undoing ``change`` of ``name`` while the ``later`` change is in effect."""
        raise ConflictError(
            f"cannot undo the {change.action} of {name}: {later.reviewer or 'someone'} made a later "
            f"{later.action} at {when_text(later.at)}; undo that change first or edit it by hand"
        )
