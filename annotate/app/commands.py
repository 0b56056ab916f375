"""The command protocol between the Review player and the store.

The browser player sends *commands* (mark, end a duration, undo, delete), each
with an id chosen in the browser; :func:`apply_commands` runs those not seen
before, so a command the browser sends twice (a retry after a slow rerun, a
reload) is applied once. Event ids are chosen in the browser too, which makes
a repeated mark a no-op in the store as well.

Times from the browser are ``requestVideoFrameCallback`` media times: the
presentation time of the frame on screen on the played file's own timeline;
:func:`annotate.timebase.browser_time_to_start_s` turns one into the stored
``start_s``.

Public: :func:`apply_commands`, :class:`Outcome`, :func:`is_transient`.
Nothing here imports Streamlit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from . import review
from ..errors import AnnotateError, StoreUnavailableError, ValidationError
from ..model import Event, Recording, parse_kind
from .review_session import ReviewSession
from ..timebase import Number, browser_time_to_start_s, format_timecode

if TYPE_CHECKING:
    from ..store import Store

__all__ = ["Outcome", "apply_commands", "is_transient"]

_EVENT_ID = re.compile(r"^[0-9a-f]{32}$")


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

    That is a StoreUnavailableError (:func:`annotate.store.engine.db_errors`:
    the file was locked or busy past the busy timeout, the server was
    unreachable). Every other error is about the command itself and retrying
    cannot fix it: an unknown kind or a bad time (ValidationError), an event
    that is gone (NotFoundError), someone else's change in between
    (ConflictError), nothing left to undo (NothingToUndoError), an unreadable
    file (MediaError).
    """
    return isinstance(exc, StoreUnavailableError)


def apply_commands(
    store: Store,
    recording: Recording,
    session: ReviewSession,
    commands: Iterable[Mapping[str, Any]] | None,
    *,
    start_offset_s: float = 0.0,
    frame_times: Sequence[Number] | None = None,
) -> list[Outcome]:
    """Apply the browser's commands not applied before, in order; return one Outcome each.

    Commands: ``{"id", "op": "mark", "kind", "t", "event_id", "label"?, "note"?, "mode": "point"|"start"}``
    (``note``: a transcript line's text when the mark is made from that line),
    ``{"id", "op": "end", "event_id", "t"}``, ``{"id", "op": "undo"}``,
    ``{"id", "op": "delete", "event_id"}``, ``{"id", "op": "accept", "suggestion", "kind"?}`` (a
    suggested moment becomes an event, of its suggested kind unless ``kind`` says
    another), ``{"id", "op": "dismiss", "suggestion"}``. ``t`` is a browser media time (see
    :func:`annotate.timebase.browser_time_to_start_s`). A command that fails is remembered too
    (its error is the Outcome) so that a retry does not repeat it, unless it
    failed for a transient reason (:func:`is_transient`): then it is not
    remembered (not acked), its Outcome says ``retry``, and the commands after
    it are left for the retry too, so they are applied in order. Runs under
    ``session.lock``: a command sent by two paths at once is applied once.
    """
    with session.lock:
        return _apply_commands(store, recording, session, commands, start_offset_s, frame_times)


def _apply_commands(
    store: Store,
    recording: Recording,
    session: ReviewSession,
    commands: Iterable[Mapping[str, Any]] | None,
    start_offset_s: float,
    frame_times: Sequence[Number] | None,
) -> list[Outcome]:
    outcomes: list[Outcome] = []
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


def _apply_one(
    store: Store,
    rec: Recording,
    session: ReviewSession,
    cmd: Mapping[str, Any],
    offset: float,
    frame_times: Sequence[Number] | None,
) -> Outcome:
    cid, op = str(cmd["id"]), cmd.get("op")
    reviewer = session.reviewer
    if op == "mark":
        kind = parse_kind(cmd.get("kind", ""))
        start = browser_time_to_start_s(cmd.get("t"), offset, frame_times, rec.duration_s)
        event_id = _event_id(cmd.get("event_id"))
        event = review.mark(store, rec, kind, start, reviewer, event_id=event_id, label=str(cmd.get("label") or ""),
                            note=str(cmd.get("note") or ""))
        if cmd.get("mode") == "start":
            session.open[kind.value] = event.id
        what = "started" if cmd.get("mode") == "start" else "marked"
        return Outcome(cid, True, f"{kind.short} {what} at {format_timecode(event.start_s)}", event.id, event, op=op)
    if op == "end":
        event_id = _event_id(cmd.get("event_id"))
        end = browser_time_to_start_s(cmd.get("t"), offset, frame_times, rec.duration_s)
        event = review.end_duration(store, event_id, end, reviewer)
        session.open = {k: v for k, v in session.open.items() if v != event_id}
        return Outcome(cid, True, f"{event.kind.short} ends at {format_timecode(event.end_s)}", event.id, event, op=op)
    if op == "undo":
        return Outcome(cid, True, review.undo_for(store, session), op=op)
    if op == "delete":
        event_id = _event_id(cmd.get("event_id"))
        event = review.delete(store, event_id, reviewer)
        session.forget_missing(store)
        return Outcome(
            cid, True, f"deleted {event.kind.short} at {format_timecode(event.start_s)}", event_id, event, True, op
        )
    if op in ("accept", "dismiss"):
        return _answer_suggestion(store, session, cmd)
    raise ValidationError(f"the player sent an unknown command '{op}'; reload the page")


def _answer_suggestion(store: Store, session: ReviewSession, cmd: Mapping[str, Any]) -> Outcome:
    """Accept a suggested moment as an event (``Z`` undoes it like a mark) or dismiss it, for the session's reviewer."""
    cid, op, sid = str(cmd["id"]), str(cmd.get("op")), str(cmd.get("suggestion") or "")
    if op == "dismiss":
        found = store.suggestions.dismiss(sid, session.reviewer)
        return Outcome(cid, True, f"dismissed the suggestion at {format_timecode(found.start_s)}", op=op)
    kind = parse_kind(cmd["kind"]) if cmd.get("kind") else None
    event = store.suggestions.accept(sid, session.reviewer, kind.value if kind else None)
    return Outcome(cid, True, f"{event.kind.short} accepted at {format_timecode(event.start_s)}", event.id, event, op=op)


def _event_id(value: Any) -> str:
    """Return ``value`` as an event id (32 lower-case hex characters); raises ValidationError for anything else."""
    text = str(value or "").lower()
    if not _EVENT_ID.match(text):
        raise ValidationError("the player sent an event id that is not 32 hex characters; reload the page")
    return text
