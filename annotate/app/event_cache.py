"""The events the Review player shows: a recording's live events, kept in step with the store.

One :class:`EventCache` per review session (:class:`annotate.app.review_session.ReviewSession`);
the command protocol (:mod:`annotate.app.commands`) folds the outcomes of its
commands in, so a reviewer's own mark does not read the whole list again.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Sequence

from ..model import Event

if TYPE_CHECKING:
    from .commands import Outcome
    from ..store import Store

_FAR_PAST = datetime(1970, 1, 1, tzinfo=timezone.utc)  # sorts events without a creation time first


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

    def __init__(self, recording_id: int) -> None:
        self.recording_id = recording_id
        self.token: int | None = None
        self._events: dict[str, Event] = {}
        self._base: int | None = None  # the token at which the list was last read in full
        self._journal: list[tuple[int, set[str]]] = []  # (token after, ids changed) per fold since then

    def latest(self, store: Store) -> int:
        """Return the id of the newest change-log row about the recording (0 if none)."""
        newest = store.history(recording_id=self.recording_id, limit=1)
        return newest[0].id if newest else 0

    def current(self, store: Store) -> list[Event]:
        """Return the recording's live events, ordered by start then creation, as the store has them."""
        token = self.latest(store)
        if token != self.token:
            self._events = {e.id: e for e in store.list_events(self.recording_id)}
            self.token = self._base = token
            self._journal = []
        return sorted(self._events.values(), key=lambda e: (e.start_s, e.created_at or _FAR_PAST, e.id))

    def fold(self, store: Store, token_before: int, outcomes: Sequence[Outcome]) -> None:
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


