"""What a reviewer does on the Review page, as plain functions over the store.

The browser player sends *commands* (mark, end a duration, undo, delete), each
with an id chosen in the browser; :func:`apply_commands` runs those not seen
before, so a command the browser sends twice (a retry after a slow rerun, a
reload) is applied once. Event ids are chosen in the browser too, which makes
a repeated mark a no-op in the store as well.

Times from the browser are ``requestVideoFrameCallback`` media times: the
presentation time of the frame on screen on the played file's own timeline.
:func:`browser_time_to_start_s` turns one into the stored ``start_s``: minus the
file's first-frame time, snapped to the real frame time it denotes, rounded up
to whole milliseconds (see :func:`annotate.timebase.time_to_ms`).

Nothing here imports Streamlit; the pages call these functions and show the
AnnotateError messages they raise.
"""

from __future__ import annotations

import bisect
import hashlib
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Iterable, Mapping, Sequence

from .errors import AnnotateError, NotFoundError, StoreError, ValidationError
from .model import KINDS, Codebook, Event, Kind, Recording, Status, parse_kind
from .timebase import format_timecode, seconds_from_ms, time_to_ms

EDITABLE_FIELDS = ("label", "stage", "channel", "actor", "expectation", "emotion", "note")
SPEEDS = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0)
_EVENT_ID = re.compile(r"^[0-9a-f]{32}$")
_REMEMBERED_COMMANDS = 500


# --- time -------------------------------------------------------------------


def nearest_frame(t: float, frame_times: Sequence[Any]) -> int:
    """Return the index of the frame time nearest to ``t`` (frame_times sorted, first = 0)."""
    if not frame_times:
        raise ValidationError("the recording has no frame times; probe it again")
    i = bisect.bisect_left(frame_times, t)
    if i <= 0:
        return 0
    if i >= len(frame_times):
        return len(frame_times) - 1
    return i if (frame_times[i] - t) < (t - frame_times[i - 1]) else i - 1


def frame_time_to_start_s(frame_time: Any) -> float:
    """Return the stored start_s of the frame at ``frame_time``: whole ms at or after it."""
    return seconds_from_ms(time_to_ms(Fraction(frame_time) if not isinstance(frame_time, Fraction) else frame_time))


def browser_time_to_start_s(
    media_time: float,
    start_offset_s: float,
    frame_times: Sequence[Any] | None = None,
    duration_s: float | None = None,
) -> float:
    """Return the start_s of the frame a browser reports at ``media_time`` on the played file.

    ``start_offset_s`` is the played file's first-frame time (0 for a proxy that
    starts at 0). With ``frame_times`` the time is snapped to the nearest real
    frame (the browser reports microseconds, a frame time is rarely whole); the
    result is rounded up to whole ms so that the frame shown at start_s is the
    frame that was on screen. Raises ValidationError for a time that is not a
    finite number.
    """
    try:
        t = float(media_time) - float(start_offset_s)
    except (TypeError, ValueError):
        raise ValidationError(f"the player sent the time {media_time!r}, which is not a number; reload the page") from None
    if t != t or t in (float("inf"), float("-inf")):
        raise ValidationError("the player sent a time that is not finite; reload the page")
    t = max(t, 0.0)
    if frame_times:
        start = frame_time_to_start_s(frame_times[nearest_frame(t, frame_times)])
    else:
        start = seconds_from_ms(time_to_ms(Fraction(t).limit_denominator(1_000_000)))
    if duration_s is not None:
        start = min(start, round(float(duration_s), 3))
    return start


def step_frame(t: float, steps: int, frame_times: Sequence[Any]) -> tuple[int, Any]:
    """Return ``(index, time)`` of the frame ``steps`` frames after the one shown at ``t``.

    The frame shown at ``t`` is the last one whose time is <= t; the result is
    clamped to the first and last frame. Works on variable frame rate because
    it walks the real frame times.
    """
    if not frame_times:
        raise ValidationError("the recording has no frame times; probe it again")
    shown = max(bisect.bisect_right(frame_times, t + 1e-9) - 1, 0)
    index = min(max(shown + int(steps), 0), len(frame_times) - 1)
    return index, frame_times[index]


# --- the events the player shows -------------------------------------------


class EventCache:
    """A recording's live events, kept in step with the store for one query per use.

    The store's change log is the clock: while its newest row about the
    recording is the one seen when the list was read, the list is current. The
    reviewer's own marks are folded in from what the store returned, so a mark
    on a recording with 500 events does not read all 500 again; any change
    made by someone else (or an undo) makes the next use read the list afresh.
    """

    _WINDOW = 50
    _JOURNAL = 100

    def __init__(self, recording_id: int):
        self.recording_id = recording_id
        self.token: int | None = None
        self._events: dict[str, Event] = {}
        self._base: int | None = None  # the token at which the list was last read in full
        self._journal: list[tuple[int, set[str]]] = []  # (token after, ids changed) per fold since then

    def latest(self, store) -> int:
        """Return the id of the newest change-log row about the recording (0 if none)."""
        newest = store.history(recording_id=self.recording_id, limit=1)
        return newest[0].id if newest else 0

    def current(self, store) -> list[Event]:
        """Return the recording's live events, ordered by start then creation, as the store has them."""
        token = self.latest(store)
        if token != self.token:
            self._events = {e.id: e for e in store.list_events(self.recording_id)}
            self.token = self._base = token
            self._journal = []
        far = _far_past()
        return sorted(self._events.values(), key=lambda e: (e.start_s, e.created_at or far, e.id))

    def fold(self, store, token_before: int, outcomes: Sequence[Outcome]) -> None:
        """Apply the outcomes of commands run since ``token_before`` to the cached list, if that is safe."""
        if self.token is None or token_before != self.token or any(o.op == "undo" for o in outcomes):
            self.token = None
            return
        mine = {o.event.id for o in outcomes if o.event is not None}
        newer = [c for c in store.history(recording_id=self.recording_id, limit=self._WINDOW) if c.id > token_before]
        foreign = [c for c in newer if not (c.entity == "recording" or (c.entity == "event" and c.entity_id in mine))]
        if foreign or len(newer) >= self._WINDOW:
            self.token = None
            return
        for outcome in outcomes:
            if outcome.event is None:
                continue
            if outcome.removed:
                self._events.pop(outcome.event.id, None)
            else:
                self._events[outcome.event.id] = outcome.event
        self.token = max([c.id for c in newer], default=token_before)
        self._journal.append((self.token, mine))
        del self._journal[: -self._JOURNAL]

    def changed_since(self, since: int | None) -> set[str] | None:
        """Return the ids of the events changed between the list at token ``since`` and now.

        None when that cannot be told (an unknown or old token, a list read
        afresh since): the whole list must be sent.
        """
        if since is None or self.token is None:
            return None
        if since == self.token:
            return set()
        tokens = [t for t, _ in self._journal]
        if since == self._base:
            start = 0
        elif since in tokens:
            start = tokens.index(since) + 1
        else:
            return None
        changed: set[str] = set()
        for _, ids in self._journal[start:]:
            changed |= ids
        return changed


def _far_past():
    from datetime import datetime, timezone

    return datetime(1970, 1, 1, tzinfo=timezone.utc)


# --- the review session -----------------------------------------------------


@dataclass
class ReviewSession:
    """One reviewer's working state on one recording in one browser session.

    ``done`` remembers the ids of applied commands (oldest dropped first);
    ``open`` maps a kind's stored value to the id of its duration event still
    waiting for its end; ``selected`` is the event the edit form shows (a mark
    does not change it, so marking while playing never redraws the form);
    ``player_stale`` says the player must be redrawn after an edit;
    ``notice`` is ``{"id", "message"}`` of the latest undo, which the player
    shows until the reviewer's next action. ``lock``
    serialises the threads that may act for the session at once (the page's
    script run and the command route): hold it to read ``done``, ``open`` and
    ``events`` together.
    """

    recording_id: int
    reviewer: str = ""
    done: "OrderedDict[str, None]" = field(default_factory=OrderedDict)
    open: dict[str, str] = field(default_factory=dict)
    selected: str | None = None
    messages: list[str] = field(default_factory=list)
    seek_nonce: int = 0
    seek_to: float | None = None
    blur_nonce: int = 0
    player_stale: bool = False
    shown_status: Status | None = None
    notice: dict[str, str] | None = None
    events: "EventCache" = field(default=None)  # type: ignore[assignment]
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.events is None:
            self.events = EventCache(self.recording_id)

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("lock", None)  # a lock cannot be copied; a copy gets its own
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.lock = threading.RLock()

    def remember(self, command_id: str) -> None:
        self.done[command_id] = None
        while len(self.done) > _REMEMBERED_COMMANDS:
            self.done.popitem(last=False)

    def acked(self, last: int = 100) -> list[str]:
        """Return the ids of the most recently applied commands (the browser drops them from its queue)."""
        return list(self.done)[-last:]

    def seek(self, t: float) -> None:
        """Ask the player to show the frame at ``t`` (seconds from the first frame)."""
        self.seek_nonce += 1
        self.seek_to = float(t)


@dataclass
class Outcome:
    """What one command did: ``message`` is a one-line summary or the error; ``event_id`` the event touched.

    ``event`` is that event as stored afterwards (as it was, when ``removed``);
    ``op`` the command's operation. ``retry``: the command failed for a
    reason that may pass (the database was busy, see :func:`is_transient`); it
    was not remembered, so the player keeps it and sends it again.
    """

    command_id: str
    ok: bool
    message: str
    event_id: str | None = None
    event: Event | None = None
    removed: bool = False
    op: str = ""
    retry: bool = False


def is_transient(exc: BaseException) -> bool:
    """Return True when ``exc`` says the database could not be used just then, so a retry can succeed.

    That is a plain StoreError the store raised for the driver's
    OperationalError (:func:`annotate.store.engine.db_errors`: the file was
    locked or busy past the busy timeout, the server was unreachable). Every
    other error is about the command itself and retrying cannot fix it: an
    unknown kind or a bad time (ValidationError), an event that is gone
    (NotFoundError), someone else's change in between (ConflictError), nothing
    left to undo (NothingToUndoError), an unreadable file (MediaError).
    """
    if type(exc) is not StoreError:
        return False
    from sqlalchemy.exc import OperationalError

    seen, cause = 0, exc.__cause__ or exc.__context__
    while cause is not None and seen < 10:
        if isinstance(cause, OperationalError):
            return True
        seen, cause = seen + 1, cause.__cause__ or cause.__context__
    return False


def apply_commands(
    store,
    recording: Recording,
    session: ReviewSession,
    commands: Iterable[Mapping[str, Any]] | None,
    *,
    start_offset_s: float = 0.0,
    frame_times: Sequence[Any] | None = None,
) -> list[Outcome]:
    """Apply the browser's commands not applied before, in order; return one Outcome each.

    Commands: ``{"id", "op": "mark", "kind", "t", "event_id", "label"?, "mode": "point"|"start"}``,
    ``{"id", "op": "end", "event_id", "t"}``, ``{"id", "op": "undo"}``,
    ``{"id", "op": "delete", "event_id"}``. ``t`` is a browser media time (see
    :func:`browser_time_to_start_s`). A command that fails is remembered too
    (its error is the Outcome) so that a retry does not repeat it, unless it
    failed for a transient reason (:func:`is_transient`): then it is not
    remembered (not acked), its Outcome says ``retry``, and the commands after
    it are left for the retry too, so they are applied in order. Runs under
    ``session.lock``: a command sent by two paths at once is applied once.
    """
    with session.lock:
        return _apply_commands(store, recording, session, commands, start_offset_s, frame_times)


def _apply_commands(store, recording, session, commands, start_offset_s, frame_times) -> list[Outcome]:
    outcomes = []
    commands = [c for c in commands or [] if isinstance(c, Mapping) and str(c.get("id") or "") not in session.done]
    if not commands:
        return outcomes
    token = session.events.latest(store)
    for cmd in commands:
        cid = str(cmd.get("id") or "")
        if not cid or cid in session.done:
            continue
        try:
            outcome = _apply_one(store, recording, session, cmd, start_offset_s, frame_times)
        except AnnotateError as exc:
            op = str(cmd.get("op") or "")
            if is_transient(exc):  # not remembered: the player sends it again, the later ones after it
                outcomes.append(Outcome(cid, False, str(exc), cmd.get("event_id"), op=op, retry=True))
                break
            outcome = Outcome(cid, False, str(exc), cmd.get("event_id"), op=op)
        session.remember(cid)
        if not outcome.ok:
            session.messages.append(outcome.message)
        elif outcome.op == "undo":
            session.notice = {"id": cid, "message": outcome.message}
        outcomes.append(outcome)
    session.events.fold(store, token, outcomes)
    return outcomes


def _apply_one(store, rec, session, cmd, offset, frame_times) -> Outcome:
    cid, op = str(cmd["id"]), cmd.get("op")
    reviewer = session.reviewer
    if op == "mark":
        kind = parse_kind(cmd.get("kind", ""))
        start = browser_time_to_start_s(cmd.get("t"), offset, frame_times, rec.duration_s)
        event_id = _event_id(cmd.get("event_id"))
        event = mark(store, rec, kind, start, reviewer, event_id=event_id, label=str(cmd.get("label") or ""))
        if cmd.get("mode") == "start":
            session.open[kind.value] = event.id
        what = "started" if cmd.get("mode") == "start" else "marked"
        return Outcome(cid, True, f"{kind.short} {what} at {format_timecode(event.start_s)}", event.id, event, op=op)
    if op == "end":
        event_id = _event_id(cmd.get("event_id"))
        end = browser_time_to_start_s(cmd.get("t"), offset, frame_times, rec.duration_s)
        event = end_duration(store, event_id, end, reviewer)
        session.open = {k: v for k, v in session.open.items() if v != event_id}
        return Outcome(cid, True, f"{event.kind.short} ends at {format_timecode(event.end_s)}", event.id, event, op=op)
    if op == "undo":
        return Outcome(cid, True, undo_for(store, session), op=op)
    if op == "delete":
        event_id = _event_id(cmd.get("event_id"))
        event = delete(store, event_id, reviewer)
        _forget_missing(store, session)
        return Outcome(
            cid, True, f"deleted {event.kind.short} at {format_timecode(event.start_s)}", event_id, event, True, op
        )
    raise ValidationError(f"the player sent an unknown command '{op}'; reload the page")


def _event_id(value: Any) -> str:
    text = str(value or "").lower()
    if not _EVENT_ID.match(text):
        raise ValidationError("the player sent an event id that is not 32 hex characters; reload the page")
    return text


def _forget_missing(store, session: ReviewSession) -> None:
    """Drop the selection and open durations whose events no longer exist (after undo or delete)."""
    alive = {e.id for e in store.list_events(session.recording_id)}
    if session.selected not in alive:
        session.selected = None
    session.open = {k: v for k, v in session.open.items() if v in alive}


# --- single actions ---------------------------------------------------------


def mark(
    store,
    recording: Recording,
    kind: Kind | str,
    start_s: float,
    reviewer: str,
    *,
    event_id: str | None = None,
    label: str = "",
) -> Event:
    """Store a new point event (a duration event once it gets its end) and return it.

    With an ``event_id`` already stored, the stored event is returned unchanged
    (a repeated command). Raises ValidationError (time outside the recording).
    """
    event = Event(kind=parse_kind(kind), start_s=start_s, recording_id=recording.id, label=label, reviewer=reviewer)
    if event_id:
        event.id = event_id
    added = store.add_events([event], reviewer=reviewer, skip_existing=True)
    if added:
        return added[0]
    try:
        return store.get_event(event.id)
    except NotFoundError:
        raise NotFoundError("that mark was stored before and has since been deleted; mark the moment again") from None


def end_duration(store, event_id: str, end_s: float, reviewer: str) -> Event:
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


def save_details(store, event_id: str, expected_version: int, reviewer: str, **fields: Any) -> Event:
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


def retime(store, event_id: str, expected_version: int, reviewer: str, *, frame_time: Any, which: str = "start") -> Event:
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


def delete(store, event_id: str, reviewer: str, expected_version: int | None = None) -> Event:
    """Soft-delete the event (undo brings it back); return it as it was."""
    return store.delete_event(event_id, reviewer=reviewer, expected_version=expected_version)


def undo_last(store, recording_id: int, reviewer: str) -> str:
    """Undo this reviewer's latest change on the recording; return what was undone, in one line.

    Raises NothingToUndoError when there is nothing left to undo.
    """
    change = store.undo(reviewer=reviewer or None, recording_id=recording_id)
    return describe_undo(store, change)


def undo_for(store, session: ReviewSession) -> str:
    """Undo the session reviewer's latest action on its recording; return what was undone, in one line.

    One action is one stored transaction (a mark, the end of a duration, an
    edit, a delete). Undoing the end of a duration removes just the end and
    opens the duration again in ``session.open`` (the next Shift+key ends it
    again), as it was before the reviewer ended it; undoing a mark removes it.
    Raises NothingToUndoError when there is nothing left to undo.
    """
    change = store.undo(reviewer=session.reviewer or None, recording_id=session.recording_id)
    original = _undone_original(store, change)
    _forget_missing(store, session)
    if original is not None and _is_end(original):
        after = original.after or {}
        session.open[str(after.get("kind"))] = str(original.entity_id)
    return describe_undo(store, change, original)


def _undone_original(store, change):
    """Return the change-log entry ``change`` (an undo) reverted, or None if it is not found."""
    for entry in store.history(recording_id=change.recording_id, limit=50):
        if entry.undone_by == change.id:
            return entry
    return None


def _is_end(entry) -> bool:
    """Return True when the change-log ``entry`` is the end of a duration (an update giving an event its end)."""
    before, after = entry.before or {}, entry.after or {}
    return (entry.entity == "event" and entry.action == "update"
            and before.get("end_s") is None and after.get("end_s") is not None)


def describe_undo(store, change, original=None) -> str:
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


def set_status(store, recording_id: int, status: Status | str, reviewer: str) -> Recording:
    """Set the recording's review status (new, in_review, reviewed); return it."""
    return store.set_status(recording_id, status, reviewer=reviewer)


def select(store, session: ReviewSession, event_id: str | None) -> Event | None:
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


# --- what the player is given -----------------------------------------------


def hotkeys(codebook: Codebook) -> dict[str, dict[str, str | None]]:
    """Return the marking keys: lower-case key -> {"kind": stored value, "label": label or None}."""
    keys: dict[str, dict[str, str | None]] = {}
    for kind in KINDS:
        key = codebook.hotkeys.get(kind) or kind.default_hotkey
        keys[key.lower()] = {"kind": kind.value, "label": None}
    for kind in KINDS:
        for label in codebook.labels.get(kind, []):
            if label.hotkey:
                keys[label.hotkey.lower()] = {"kind": kind.value, "label": label.text}
    return keys


EVENT_COLUMNS = ("id", "kind", "s", "e", "label", "stage", "who")


def event_row(event: Event) -> list[Any]:
    """Return the compact form of an event the player lists and draws (see :data:`EVENT_COLUMNS`).

    The kind is its position in :data:`annotate.model.KINDS`; a list per event
    keeps the payload of a 500-event recording small.
    """
    return [event.id, KINDS.index(event.kind), event.start_s, event.end_s, event.label, event.stage, event.reviewer]


def kinds_info(codebook: Codebook) -> list[dict[str, str]]:
    """Return each kind's stored value, short name, title, colour, marker shape and hotkey."""
    return [
        {
            "value": k.value,
            "short": k.short,
            "title": k.title,
            "color": k.color,
            "marker": k.marker,
            "key": (codebook.hotkeys.get(k) or k.default_hotkey),
        }
        for k in KINDS
    ]


def flash_style() -> dict[str, float]:
    """Return the overlay flash timing, the same as the rendered overlay video's."""
    try:
        from .render.annotators import CaptionAnnotator, FlashAnnotator
    except ImportError:  # the render layer is optional for reviewing
        return {"seconds": 0.8, "tint": 0.15, "caption_s": 2.5}
    flash, caption = FlashAnnotator(), CaptionAnnotator()
    return {"seconds": flash.flash_s, "tint": flash.tint, "caption_s": caption.caption_s}


def events_signature(events: Sequence[Event]) -> str:
    """Return a short digest of the events' ids and versions: it changes whenever one is added, edited or removed."""
    digest = hashlib.sha1()
    for event in events:
        digest.update(f"{event.id}:{event.version};".encode())
    return digest.hexdigest()[:16]


def stored_state(store, session: ReviewSession, since: int | None = None) -> dict[str, Any]:
    """Return what the player needs to list the recording's events as stored, read in one go.

    Keys: ``token`` (the id of the newest change-log row about the recording
    that the list reflects; it only grows, so the player keeps the newer of two
    answers), ``version`` (:func:`events_signature`), ``open`` (kind -> event
    id of durations still open), ``acked`` (ids of applied commands), and the
    list: ``events`` (:func:`event_row` each), or, when the player says it holds
    the list at token ``since`` and the changes from there are known, only
    those: ``since``, ``upserts`` (rows of the events added or changed) and
    ``removed`` (ids).
    """
    with session.lock:
        events = session.events.current(store)
        state: dict[str, Any] = {
            "token": session.events.token or 0,
            "version": events_signature(events),
            "open": dict(session.open),
            "acked": session.acked(),
        }
        changed = session.events.changed_since(since)
        if changed is None:
            state["events"] = [event_row(e) for e in events]
        else:
            live = {e.id: e for e in events if e.id in changed}
            state.update(since=since, upserts=[event_row(e) for e in live.values()],
                         removed=sorted(changed - set(live)))
        return state


def player_data(
    recording: Recording,
    events: Sequence[Event],
    codebook: Codebook,
    session: ReviewSession,
    *,
    src: str,
    frames_url: str | None,
    start_offset_s: float,
    errors: Sequence[str] = (),
    token: int | None = None,
    commands: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Return the JSON-able data the player component is mounted with.

    ``token`` is the change-log id ``events`` reflect (see :func:`stored_state`;
    None: unknown, the player takes these events as they come); ``commands`` is
    ``{"url", "token"}`` of the route the player may post its commands to.
    """
    return {
        "rec": {
            "id": recording.id,
            "title": recording.title,
            "duration": recording.duration_s,
            "fps": recording.fps,
            "frames": recording.frame_count,
            "vfr": recording.vfr,
        },
        "src": src,
        "frames_url": frames_url,
        "offset": float(start_offset_s),
        "events": [event_row(e) for e in events],
        "columns": list(EVENT_COLUMNS),
        "version": events_signature(events),
        "token": token,
        "commands": dict(commands) if commands else None,
        "kinds": kinds_info(codebook),
        "hotkeys": hotkeys(codebook),
        "selected": session.selected,
        "open": dict(session.open),
        "acked": session.acked(),
        "errors": list(errors),
        "seek": {"nonce": session.seek_nonce, "t": session.seek_to} if session.seek_to is not None else None,
        "notice": dict(session.notice) if session.notice else None,
        "blur": session.blur_nonce,
        "flash": flash_style(),
        "speeds": list(SPEEDS),
    }
