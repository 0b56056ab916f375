"""What a reviewer does on the Review page, as plain functions over the store.

Each action is one stored transaction: a mark, the end of a duration, an edit
of an event's description or times, a delete, an undo, a status change. The
browser player's commands reach these through :mod:`annotate.app.commands`; the
pages call them for the edit form. Times are snapped to frames by
:mod:`annotate.timebase`.

Nothing here imports Streamlit; the pages call these functions and show the
AnnotateError messages they raise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import AnnotateError, NotFoundError, ValidationError
from ..model import Event, Kind, Recording, Status, parse_kind
from .review_session import ReviewSession
from ..timebase import Number, format_timecode, frame_time_to_start_s

if TYPE_CHECKING:
    from ..store import Change, Store

EDITABLE_FIELDS = ("label", "stage", "channel", "actor", "expectation", "emotion", "note")


def _coding_started(store: Store, recording_id: int, reviewer: str) -> None:
    """Move the reviewer's assignment of the recording from ``new`` to ``in_review`` at their first mark."""
    mine = [a for a in store.assignments.list(recording_id) if a.reviewer == str(reviewer) and a.status == "new"]
    if mine:
        store.assignments.move(recording_id, reviewer, "in_review", reviewer)


def mark(
    store: Store,
    recording: Recording,
    kind: Kind | str,
    start_s: float,
    reviewer: str,
    *,
    event_id: str | None = None,
    label: str = "",
    note: str = "",
) -> Event:
    """Store a new point event (a duration event once it gets its end) and return it.

    With an ``event_id`` already stored, the stored event is returned unchanged
    (a repeated command). Raises ValidationError (time outside the recording).
    """
    event = Event(kind=parse_kind(kind), start_s=start_s, recording_id=recording.id, label=label, note=note,
                  reviewer=reviewer)
    if event_id:
        event.id = event_id
    added = store.add_events([event], reviewer=reviewer, skip_existing=True)
    if added:
        _coding_started(store, recording.id, reviewer)
        return added[0]
    try:
        return store.get_event(event.id)
    except NotFoundError:
        raise NotFoundError("that mark was stored before and has since been deleted; mark the moment again") from None


def end_duration(store: Store, event_id: str, end_s: float, reviewer: str) -> Event:
    """Give the event its end time and return it; an end before the start swaps the two.

    Ending an event that already ends at ``end_s`` changes nothing.
    """
    event = store.get_event(event_id)
    start, end = event.start_s, round(float(end_s), 3)
    if event.end_s is not None and abs(event.end_s - end) < 0.0005:
        return event
    if end < start:
        start, end = end, start
    return store.update_event(event.id, event.version, reviewer=reviewer, start_s=start, end_s=end)


def save_details(store: Store, event_id: str, expected_version: int, reviewer: str, **fields: Any) -> Event:
    """Change the reviewer's description of an event; return it as stored.

    Only the fields in :data:`EDITABLE_FIELDS` that differ from the stored
    event are written (nothing changed: nothing written). Raises ConflictError
    when someone else changed the event since ``expected_version`` was read,
    ValidationError for bad values (emotion outside -2..2, text too long).
    """
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(f"cannot edit {', '.join(sorted(unknown))} here; use the fine-tune controls for times")
    event = store.get_event(event_id)
    changes = {}
    for name, value in fields.items():
        if name == "emotion":
            value = None if value in (None, "") else int(value)
        elif value is None:
            value = ""
        else:
            value = str(value).strip()
        if getattr(event, name) != value:
            changes[name] = value
    if not changes:
        return event
    return store.update_event(event_id, expected_version, reviewer=reviewer, **changes)


def retime(
    store: Store, event_id: str, expected_version: int, reviewer: str, *, frame_time: Number, which: str = "start"
) -> Event:
    """Move the event's start (or end, ``which="end"``) to the frame at ``frame_time``; return it.

    ``frame_time`` is a real frame time from the reader (seconds from the first
    frame); it is stored rounded up to whole ms like a mark. Raises
    ValidationError if the start would come after the end, ConflictError as
    :func:`save_details`.
    """
    event = store.get_event(event_id)
    value = frame_time_to_start_s(frame_time)
    if which == "start":
        if event.end_s is not None and value > event.end_s:
            raise ValidationError(
                f"the start {format_timecode(value)} would come after the end {format_timecode(event.end_s)}; move the end first"
            )
        changes = {"start_s": value}
    elif which == "end":
        if value < event.start_s:
            raise ValidationError(
                f"the end {format_timecode(value)} would come before the start {format_timecode(event.start_s)}; move the start first"
            )
        changes = {"end_s": value}
    else:
        raise ValidationError(f"which must be 'start' or 'end', not '{which}'")
    return store.update_event(event_id, expected_version, reviewer=reviewer, **changes)


def delete(store: Store, event_id: str, reviewer: str, expected_version: int | None = None) -> Event:
    """Soft-delete the event (undo brings it back); return it as it was."""
    return store.delete_event(event_id, reviewer=reviewer, expected_version=expected_version)


def undo_last(store: Store, recording_id: int, reviewer: str) -> str:
    """Undo this reviewer's latest change on the recording; return what was undone, in one line.

    Raises NothingToUndoError when there is nothing left to undo.
    """
    change = store.undo(reviewer=reviewer or None, recording_id=recording_id)
    return describe_undo(store, change)


def undo_for(store: Store, session: ReviewSession) -> str:
    """Undo the session reviewer's latest action on its recording; return what was undone, in one line.

    One action is one stored transaction (a mark, the end of a duration, an
    edit, a delete). Undoing the end of a duration removes just the end and
    opens the duration again in ``session.open`` (the next Shift+key ends it
    again), as it was before the reviewer ended it; undoing a mark removes it.
    Runs under the session's lock (the command route may be acting for it).
    Raises NothingToUndoError when there is nothing left to undo.
    """
    with session.lock:
        change = store.undo(reviewer=session.reviewer or None, recording_id=session.recording_id)
        original = _undone_original(store, change)
        session.forget_missing(store)
        if original is not None and _is_end(original):
            after = original.after or {}
            session.open[str(after.get("kind"))] = str(original.entity_id)
        return describe_undo(store, change, original)


def _undone_original(store: Store, change: Change) -> Change | None:
    """Return the change-log entry ``change`` (an undo) reverted, or None if it is not found."""
    for entry in store.history(recording_id=change.recording_id, limit=50):
        if entry.undone_by == change.id:
            return entry
    return None


def _is_end(entry: Change) -> bool:
    """Return True when the change-log ``entry`` is the end of a duration (an update giving an event its end)."""
    before, after = entry.before or {}, entry.after or {}
    return (entry.entity == "event" and entry.action == "update"
            and before.get("end_s") is None and after.get("end_s") is not None)


def describe_undo(store: Store, change: Change, original: Change | None = None) -> str:
    """Return a one-line description of an undo Change, e.g. "Undid: MOT 'Greeting' at 00:00:12.345 (removed)".

    ``original`` is the entry the undo reverted (looked up when not given).
    """
    original = original or _undone_original(store, change)
    if original is None:
        return "Undid the last change"
    data = original.after or original.before or {}
    if original.entity != "event" or not data.get("kind"):
        undone = {"create": "created", "update": "edited", "delete": "deleted", "status": "status change"}
        return f"Undid: {original.entity} {undone.get(original.action, original.action)}"
    try:
        kind = parse_kind(data["kind"]).short
    except AnnotateError:
        kind = str(data["kind"])
    name = f"{kind} '{data['label']}'" if data.get("label") else kind
    if _is_end(original):
        before = original.before or {}
        return (f"Undid: end of {name} at {format_timecode(float(data['end_s']))}; "
                f"the duration from {format_timecode(float(before.get('start_s') or 0))} is open again")
    at = format_timecode(float(data.get("start_s") or 0))
    what = {"create": "removed", "update": "edit taken back", "delete": "deleted, brought back"}
    return f"Undid: {name} at {at} ({what.get(original.action, original.action)})"


def set_status(store: Store, recording_id: int, status: Status | str, reviewer: str) -> Recording:
    """Set the recording's review status (new, in_review, reviewed); return it."""
    return store.set_status(recording_id, status, reviewer=reviewer)


def select(store: Store, session: ReviewSession, event_id: str | None) -> Event | None:
    """Select the event the edit form shows (None clears it); return it, or None if it is gone."""
    if not event_id:
        session.selected = None
        return None
    try:
        event = store.get_event(str(event_id))
    except NotFoundError:
        session.selected = None
        return None
    if event.recording_id != session.recording_id:
        session.selected = None
        return None
    session.selected = event.id
    return event
