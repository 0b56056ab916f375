"""What the Review player is mounted with and what its command route answers: plain data, no Streamlit.

:func:`player_data` is the JSON the component gets on every rerun;
:func:`stored_state` the stored list (or its changes) that a command answer and
a rerun both carry. Events travel as compact rows (:func:`event_row`).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from ..model import KINDS, Codebook, Event, Recording
from ..render import flash
from ..app.review_session import ReviewSession, Snapshot

if TYPE_CHECKING:
    from ..config import Settings
    from ..store import Store

SPEEDS = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0)


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


SUGGESTION_COLUMNS = ("id", "type", "s", "e", "reason", "kind", "score", "state")


def suggestion_rows(store: Store, recording_id: int, reviewer: str) -> list[list[Any]]:
    """Return the recording's suggested moments as the player draws them (see :data:`SUGGESTION_COLUMNS`),
    each with ``reviewer``'s answer (open, accepted, dismissed); the kind is its position in KINDS."""
    values = [k.value for k in KINDS]
    return [[s.id, s.type, s.start_s, s.end_s, s.reason, values.index(s.suggested_kind), round(s.score, 3), s.state]
            for s in store.suggestions.list(recording_id, reviewer)]


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
    """Return the numbers the live flash is drawn with, the rendered overlay's (see :mod:`annotate.render.flash`)."""
    return flash.browser_style()


def events_signature(events: Sequence[Event]) -> str:
    """Return a short digest of the events' ids and versions: it changes whenever one is added, edited or removed."""
    digest = hashlib.sha1()
    for event in events:
        digest.update(f"{event.id}:{event.version};".encode())
    return digest.hexdigest()[:16]


def stored_state(store: Store, session: ReviewSession, since: int | None = None) -> dict[str, Any]:
    """Return what the player needs to list the recording's events as stored, read in one go.

    Keys: ``token`` (the id of the newest change-log row about the recording
    that the list reflects; it only grows, so the player keeps the newer of two
    answers), ``version`` (:func:`events_signature`), ``open`` (kind -> event
    id of durations still open), ``acked`` (ids of applied commands), and the
    list: ``events`` (:func:`event_row` each), or, when the player says it holds
    the list at token ``since`` and the changes from there are known, only
    those: ``since``, ``upserts`` (rows of the events added or changed) and
    ``removed`` (ids); and ``suggestions``, the suggested moments with this
    reviewer's answers (:func:`suggestion_rows`).
    """
    snap = session.snapshot(store, since)
    state: dict[str, Any] = {
        "suggestions": suggestion_rows(store, session.recording_id, session.reviewer),
        "token": snap.token,
        "version": events_signature(snap.events),
        "open": snap.open,
        "acked": snap.acked,
    }
    if snap.changed is None:
        state["events"] = [event_row(e) for e in snap.events]
    else:
        live = {e.id: e for e in snap.events if e.id in snap.changed}
        state.update(since=since, upserts=[event_row(e) for e in live.values()],
                     removed=sorted(snap.changed - set(live)))
    return state


def around_player(store: Store, settings: Settings, rec: Recording, reviewer: str) -> dict[str, Any]:
    """Return what the player shows around the video, as :func:`player_data`'s keyword arguments.

    The filmstrip and waveform URLs once made (queueing their job the first time;
    None when it failed), where ``reviewer`` stopped last time, the suggested
    moments with their answers, and the transcript's id and URL (None without one).
    """
    from ..app.previews import preview_state
    from .preview_routes import transcript_url, urls

    state = preview_state(store, settings, rec)
    info = store.transcripts.info(rec.id)
    return {
        "preview": None if state.error else {**urls(rec.id), "ready": state.ready},
        "resume_at": store.positions.last(rec.id, reviewer),
        "suggestions": suggestion_rows(store, rec.id, reviewer),
        "transcript": None if info is None else {"id": info.id, "url": transcript_url(rec.id)},
    }


def player_data(
    recording: Recording,
    snapshot: Snapshot,
    codebook: Codebook,
    session: ReviewSession,
    *,
    src: str,
    frames_url: str | None,
    start_offset_s: float,
    errors: Sequence[str] = (),
    commands: Mapping[str, str] | None = None,
    preview: Mapping[str, Any] | None = None,
    resume_at: float | None = None,
    suggestions: Sequence[Sequence[Any]] = (),
    transcript: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Return the JSON-able data the player component is mounted with.

    ``snapshot`` is the stored list (:meth:`ReviewSession.snapshot`), sent with
    the change-log token it reflects (see :func:`stored_state`); ``commands`` is
    ``{"url", "token"}`` of the route the player may post its commands to;
    ``preview`` the URLs of the filmstrip and the peaks (``sprite``, ``index``,
    ``peaks``: :func:`annotate.ui.preview_routes.urls`, and ``ready``: whether they are made yet);
    ``resume_at`` where this reviewer stopped last time (seconds), which the player offers to go back to;
    ``suggestions`` the suggested moments (:func:`suggestion_rows`); ``transcript`` ``{"id", "url"}`` of the
    recording's transcript (None without one), whose lines the player fetches once per id.
    """
    events = snapshot.events
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
        "token": snapshot.token,
        "commands": dict(commands) if commands else None,
        "kinds": kinds_info(codebook),
        "hotkeys": hotkeys(codebook),
        "selected": session.selected,
        "open": dict(snapshot.open),
        "acked": list(snapshot.acked),
        "errors": list(errors),
        "seek": {"nonce": session.seek_nonce, "t": session.seek_to} if session.seek_to is not None else None,
        "notice": dict(session.notice) if session.notice else None,
        "blur": session.blur_nonce,
        "flash": flash_style(),
        "speeds": list(SPEEDS),
        "preview": dict(preview) if preview else None,
        "suggestions": [list(r) for r in suggestions],
        "transcript": dict(transcript) if transcript else None,
        "suggestion_columns": list(SUGGESTION_COLUMNS),
        "position": {"rec": recording.id, "url": f"/cx/position/{recording.id}", "at": resume_at},
    }
