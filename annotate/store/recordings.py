"""The store's recordings: add, find, list with event counts, change, set status and soft-delete."""

from __future__ import annotations

import contextlib
import dataclasses
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..errors import NotFoundError, ValidationError
from ..model import Kind, Recording, Status, parse_status
from .base import StoreBase, Tx, visible_changes, visible_events
from .rows import RECORDING_FIELDS, as_utc, recording_dict, recording_from_row, recording_values
from .schema import change_log, events, recordings


class RecordingsMixin(StoreBase):
    """Recordings: every method is one transaction (see store.py)."""

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

    def event_counts(self) -> dict[int, dict[str, int]]:
        """Return {recording id: {kind value: live events}} of every live recording, every kind included (0s too).

        One GROUP BY in SQL: no event is read.
        """
        with self._read() as conn:
            return self._event_counts(conn)

    def _event_counts(self, conn: sa.Connection) -> dict[int, dict[str, int]]:
        live = recordings.c.deleted_at.is_(None)
        ids = conn.execute(sa.select(recordings.c.id).where(live).order_by(recordings.c.id)).scalars()
        counts: dict[int, dict[str, int]] = {rid: {k.value: 0 for k in Kind} for rid in ids}
        q = (
            sa.select(events.c.recording_id, events.c.kind, sa.func.count())
            .where(events.c.deleted_at.is_(None), visible_events())
            .group_by(events.c.recording_id, events.c.kind)
        )
        for rid, kind, n in conn.execute(q):
            if rid in counts and kind in counts[rid]:
                counts[rid][kind] = int(n)
        return counts

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
            counts = self._event_counts(conn)
            q = (
                sa.select(change_log.c.recording_id, sa.func.max(change_log.c.at))
                .where(change_log.c.recording_id.is_not(None), visible_changes())
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

    def _mark_in_review(self, tx: Tx, rids: list[int]) -> None:
        """Move each of the recordings from new to in_review, logging each status change (inside ``tx``)."""
        for rid in sorted(rids):
            row = self._recording_row(tx.conn, rid, lock=True)
            if row.status == Status.NEW.value:
                self._cas(tx, recordings, "recording", rid, row.version, {"status": Status.IN_REVIEW.value})
                after = self._recording_row(tx.conn, rid)
                tx.log("status", "recording", rid, rid, recording_dict(row), recording_dict(after))
