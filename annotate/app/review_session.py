"""One reviewer's working state on one recording: what the Review page and the command route share.

Plain Python (no Streamlit): the page keeps a :class:`ReviewSession` in its
session state and the command route (:mod:`annotate.ui.marking`) finds the same
object by token.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .event_cache import EventCache
from ..model import Event, Status

if TYPE_CHECKING:
    from ..store import Store

_REMEMBERED_COMMANDS = 500


@dataclass(frozen=True)
class Snapshot:
    """The stored list as one read saw it: ``events`` (ordered), ``token`` (the change-log id it
    reflects, 0 for none), ``open`` (kind -> id of a duration still open), ``acked`` (ids of the
    latest applied commands) and ``changed`` (ids changed since the token asked about, or None)."""

    events: list[Event]
    token: int
    open: dict[str, str]
    acked: list[str]
    changed: set[str] | None = None


@dataclass
class ReviewSession:
    """One reviewer's working state on one recording in one browser session.

    ``done`` remembers the ids of applied commands (oldest dropped first);
    ``open`` maps a kind's stored value to the id of its duration event still
    waiting for its end; ``selected`` is the event the edit form shows (a mark
    does not change it, so marking while playing never redraws the form);
    ``player_stale`` says the player must be redrawn after an edit;
    ``notice`` is ``{"id", "message"}`` of the latest undo, which the player
    shows until the reviewer's next action. ``events`` is the recording's
    :class:`~annotate.app.event_cache.EventCache`. ``lock`` serialises the threads
    that may act for the session at once (the page's script run and the command
    route); code outside the library uses :meth:`snapshot`,
    :meth:`take_messages` and the actions in :mod:`annotate.app.review`, which hold it.
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
    _blind: tuple | None = field(default=None, repr=False, compare=False)  # ((token, reviewer), coding blind)

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
        """Note ``command_id`` as applied (the oldest of more than 500 is forgotten)."""
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

    def take_messages(self) -> list[str]:
        """Return the error messages waiting to be shown, and forget them."""
        with self.lock:
            messages, self.messages = list(self.messages), []
            return messages

    def snapshot(self, store: Store, since: int | None = None) -> Snapshot:
        """Return the recording's events as stored, with what goes with them, read together under the lock.

        ``since`` is the token of a list the player holds: ``changed`` is then
        the ids changed since (None when that cannot be told).
        """
        with self.lock:
            events = self._visible(store, self.events.current(store))
            return Snapshot(
                events=events,
                token=self.events.token or 0,
                open=dict(self.open),
                acked=self.acked(),
                changed=self.events.changed_since(since),
            )

    def _visible(self, store: Store, events: list[Event]) -> list[Event]:
        """Return ``events`` as this reviewer may see them: only their own while coding blind
        (``Store.assignments.may_see_others``). The answer is kept while the recording's change-log token
        stays: an assignment's move is a change-log row about the recording, so it changes the token."""
        key = (self.events.token, self.reviewer)  # a session kept from an older version has no _blind
        if getattr(self, "_blind", None) is None or self._blind[0] != key:
            blind = bool(self.reviewer) and not store.assignments.may_see_others(self.recording_id, self.reviewer)
            self._blind = (key, blind)
        return [e for e in events if e.reviewer == self.reviewer] if self._blind[1] else events

    def forget_missing(self, store: Store) -> None:
        """Drop the selection and open durations whose events no longer exist (after an undo or delete)."""
        alive = {e.id for e in store.list_events(self.recording_id)}
        if self.selected not in alive:
            self.selected = None
        self.open = {k: v for k, v in self.open.items() if v in alive}
