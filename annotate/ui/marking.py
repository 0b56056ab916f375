"""Marking from the browser: who the command route may act for, and the one way commands are applied.

The Review page registers its :class:`annotate.app.review_session.ReviewSession` (the
reviewer's name, the recording, the commands already applied) under a random,
unguessable token and hands the token to the player. The player posts its
commands with that token (in the ``X-CX-Token`` header) to ``POST /cx/commands/{rec_id}``
(:mod:`annotate.ui.routes`), which acts for that session only: an unknown or
expired token, or a token of another recording, is refused. The page's own
trigger path (a Streamlit rerun) and the route both go through
:func:`apply_for`, so a command is converted and stored the same way, and once,
whichever path carries it.

Plain Python (no Streamlit): the route runs outside any script run.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from ..app.commands import Outcome, apply_commands
from ..errors import AccessDeniedError, AnnotateError, ValidationError
from ..model import Recording
from ..app.review_session import ReviewSession
from . import services
from .player_data import stored_state

if TYPE_CHECKING:
    from ..store import Store

TOKEN_IDLE_S = 4 * 3600  # a token unused this long is forgotten; the next rerun issues a new one
MAX_SESSIONS = 256


@dataclass
class _Entry:
    session: ReviewSession
    recording_id: int
    last_used: float


class SessionRegistry:
    """Review sessions by token: bounded (least recently used dropped first), idle entries expire.

    A session keeps its token while it is used; an expired or dropped one gets
    a new token the next time the page registers it.
    """

    def __init__(self, max_size: int = MAX_SESSIONS, idle_s: float = TOKEN_IDLE_S,
                 clock: Callable[[], float] = time.monotonic):
        self.max_size, self.idle_s, self.clock = max_size, idle_s, clock
        self._lock = threading.Lock()
        self._entries: "OrderedDict[str, _Entry]" = OrderedDict()
        self._tokens: dict[int, str] = {}  # id(session) -> token; the entry holds the session, so ids stay unique

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def token_for(self, session: ReviewSession) -> str:
        """Return the token that lets the command route act for ``session`` (the same one while it is alive)."""
        with self._lock:
            now = self.clock()
            self._expire(now)
            token = self._tokens.get(id(session))
            entry = self._entries.get(token) if token else None
            if entry is not None and entry.session is session:
                entry.last_used = now
                self._entries.move_to_end(token)
                return token
            token = secrets.token_urlsafe(24)
            self._entries[token] = _Entry(session, session.recording_id, now)
            self._tokens[id(session)] = token
            while len(self._entries) > self.max_size:
                self._drop(next(iter(self._entries)))
            return token

    def lookup(self, token: Any, recording_id: int) -> ReviewSession:
        """Return the session registered under ``token`` for ``recording_id``.

        Raises AccessDeniedError for a token that is unknown, expired, or was
        issued for another recording.
        """
        with self._lock:
            now = self.clock()
            self._expire(now)
            entry = self._entries.get(token) if isinstance(token, str) else None
            if entry is None:
                raise AccessDeniedError("unknown or expired review token; reload the page")
            if entry.recording_id != recording_id:
                raise AccessDeniedError(f"this review token is not for recording {recording_id}; reload the page")
            entry.last_used = now
            self._entries.move_to_end(token)
            return entry.session

    def clear(self) -> None:
        """Forget every token."""
        with self._lock:
            self._entries.clear()
            self._tokens.clear()

    def _expire(self, now: float) -> None:
        while self._entries:
            token, entry = next(iter(self._entries.items()))
            if now - entry.last_used <= self.idle_s:
                break
            self._drop(token)

    def _drop(self, token: str) -> None:
        entry = self._entries.pop(token)
        if self._tokens.get(id(entry.session)) == token:
            del self._tokens[id(entry.session)]


REGISTRY = SessionRegistry()


def register(session: ReviewSession) -> str:
    """Register ``session`` with the process-wide registry; return its token."""
    return REGISTRY.token_for(session)


def apply_for(store: Store, rec: Recording, session: ReviewSession,
              commands: Iterable[Mapping[str, Any]] | None) -> list[Outcome]:
    """Apply the player's commands for ``session`` on ``rec``; return one Outcome per new command.

    Browser times are converted with the played file's start offset and the
    recording's real frame times (:func:`annotate.app.commands.apply_commands`).
    Raises the AnnotateError subclasses of finding the played file.
    """
    play = services.playable(rec)
    try:
        times = services.frame_times(rec.path)
    except AnnotateError:
        times = None  # still mark, rounded up to whole ms, rather than lose the mark
    return apply_commands(store, rec, session, commands, start_offset_s=play.start_offset_s, frame_times=times)


def post_commands(recording_id: int, token: Any, commands: Any, since: Any = None) -> dict[str, Any]:
    """Apply commands posted by the player; return the answer the route sends back.

    ``since`` is the token of the list the player holds. The answer is
    :func:`annotate.ui.player_data.stored_state` (only the changes from ``since`` when
    they are known) plus ``results`` (one ``{"id", "op", "ok", "message",
    "retry"}`` per command tried now; ``retry``: it failed for a transient
    reason, is not in ``acked`` and is to be sent again), ``errors`` (the
    messages of the commands refused for good), ``status`` (the recording's
    review status) and ``rerun`` (the rest of the page shows something that
    changed: an error, or the status).
    Raises AccessDeniedError (token), NotFoundError (recording),
    ValidationError (``commands`` is not a list).
    """
    session = REGISTRY.lookup(token, recording_id)
    if not isinstance(commands, list):
        raise ValidationError("the player sent commands that are not a list; reload the page")
    store = services.store()
    rec = store.get_recording(recording_id)
    outcomes = apply_for(store, rec, session, commands)
    if outcomes:
        rec = store.get_recording(recording_id)
    answer = stored_state(store, session, since if isinstance(since, int) and not isinstance(since, bool) else None)
    errors = [o.message for o in outcomes if not o.ok and not o.retry]
    answer.update(
        results=[{"id": o.command_id, "op": o.op, "ok": o.ok, "message": o.message, "retry": o.retry}
                 for o in outcomes],
        errors=errors,
        status=rec.status.value,
        rerun=bool(errors) or (session.shown_status is not None and rec.status != session.shown_status),
    )
    return answer
