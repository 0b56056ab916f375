"""Validation and ids beside the table of events: the one step every import ends with.

A format's parse step gives events (or whole columns of their fields) and
where each came from; :class:`Importer` checks them a whole column at a time,
gives each its id (:mod:`.ids`) and keeps them. Only when some value needs a
conversion or is wrong does it validate event by event, to convert it or to
name the line in the message.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

from ..errors import ValidationError
from ..model import Event, Kind, Recording, columns_valid, validate_event
from .recording_info import duration_limit
from .columns import EVENT_FIELDS, event_columns
from .ids import EventIds
from .problems import Problems

_DEFAULTS = Event(Kind.MOMENT_OF_TRUTH, 0.0, id="")


class Importer:
    """Validate the events read from one file for one recording, settle their ids and collect them.

    ``where`` may be any key of a row or element (e.g. a line number); ``place``
    turns a key into the text messages show, and is only called when there is
    a problem. With ``defer`` the events :meth:`add` takes wait for
    :meth:`finish`, which checks them all a column at a time.
    """

    def __init__(self, recording: Recording, problems: Problems, place: Callable[[Any], str] = str,
                 defer: bool = False):
        self.recording = recording
        self.problems = problems
        self.place = place
        self.limit = duration_limit(recording)
        self.ids = EventIds(recording)
        self.seen: dict[str, Any] = {}
        self.events: list[Event] = []
        self.defer = defer
        self._pending: list[tuple[Event, Any, str | None, int]] = []

    def add(self, event: Event, where: Any, raw_id: str | None = None) -> Event | None:
        """Validate ``event``, give it its id and keep it; return it, or None after recording a problem.

        ``raw_id`` is the id text the file gave (None or blank: derive one).
        With ``defer`` the event waits for :meth:`finish` and None is returned.
        """
        if self.defer:
            self._pending.append((event, where, raw_id, len(self.problems.items)))
            return None
        found = self.add_events([event], [where], [raw_id])
        return None if found else self.events[-1]

    def finish(self) -> list[Event]:
        """Validate and keep the events ``add`` deferred; return all events kept.

        Their problems go among the others recorded meanwhile, in the order the events were added.
        """
        pending, self._pending = self._pending, []
        if pending:
            earlier, self.problems.items = self.problems.items, []
            found = self._settle([p[0] for p in pending], [p[1] for p in pending], [p[2] for p in pending], None)
            merged, done = [], 0
            for i, (_, _, _, mark) in enumerate(pending):
                merged += earlier[done:mark]
                done = mark
                if i in found:
                    merged.append(found[i])
            self.problems.items = merged + earlier[done:]
        return self.events

    def add_events(self, events: Sequence[Event], wheres: Sequence[Any], raw_ids: Sequence[Any] | None = None,
                   columns: dict[str, list[Any]] | None = None) -> dict[int, str]:
        """Validate, give ids to and keep ``events`` (``wheres[i]``, ``raw_ids[i]`` belong to event i).

        ``columns`` are the events' fields by name when the caller has them
        (the fields it leaves out hold their defaults). Returns the problems
        found (event index -> message), which are also added to ``problems``
        in the order of the events; a bad event is not kept.
        """
        found = self._settle(events, wheres, raw_ids, columns)
        self.problems.items.extend(found[i] for i in sorted(found))
        return found

    def add_values(self, values: dict[str, list[Any]], bad: Mapping[int, Exception], wheres: Sequence[Any],
                   raw_ids: Sequence[Any] | None = None, left_out: Mapping[Any, str] | None = None) -> None:
        """Build, validate, give ids to and keep the events given as field values (row i came from ``wheres[i]``).

        ``values`` maps Event field names to every row's value (the others take
        their defaults), ``bad`` the rows whose cells could not be read to what
        is wrong, ``left_out`` the places of rows the parse step dropped to
        what is wrong. Every problem goes to ``problems`` in the order of the places.
        """
        count = len(wheres)
        keep = list(range(count)) if not bad else [i for i in range(count) if i not in bad]

        def pick(column: Sequence[Any]) -> list[Any]:
            return column if not bad and isinstance(column, list) else [column[i] for i in keep]

        columns = {"recording_id": [self.recording.id] * len(keep), "id": [""] * len(keep)}
        columns.update((name, pick(column)) for name, column in values.items())
        kept_at, kept_ids = pick(wheres), None if raw_ids is None else pick(raw_ids)
        found = self._settle_columns(columns, kept_at, kept_ids)
        if found is None:
            events = list(map(Event, *(columns.get(n) or [getattr(_DEFAULTS, n)] * len(keep) for n in EVENT_FIELDS)))
            found = self._settle(events, kept_at, kept_ids, columns)
        messages = {wheres[i]: self._message(wheres[i], exc) for i, exc in bad.items()}
        messages.update((kept_at[i], message) for i, message in found.items())
        messages.update((where, self._message(where, what)) for where, what in (left_out or {}).items())
        self.problems.items.extend(messages[where] for where in sorted(messages))

    def _settle(self, events: Sequence[Event], wheres: Sequence[Any], raw_ids: Sequence[Any] | None,
                columns: dict[str, list[Any]] | None) -> dict[int, str]:
        """Validate, give ids to and keep ``events``; return the problems (event index -> message) without adding them."""
        found: dict[int, str] = {}
        columns = event_columns(events) if columns is None else columns
        if columns_valid(columns, self.limit):
            valid, rows = list(events), list(range(len(events)))
        else:
            valid, rows = self._validate_each(events, wheres, found)
            columns = event_columns(valid)
        raw = _id_cells(None if raw_ids is None else [raw_ids[i] for i in rows])
        count = len(valid)
        ids = self.ids.assign(columns["kind"], columns["start_s"], columns.get("end_s") or [None] * count,
                              columns.get("label") or [""] * count, raw)
        self._keep(valid, rows, ids, wheres, raw, found)
        return found

    def _settle_columns(self, columns: dict[str, list[Any]], wheres: Sequence[Any],
                        raw_ids: Sequence[Any] | None) -> dict[int, str] | None:
        """Keep the events of ``columns`` when every value is valid as it stands and every id new; return {}.

        The ids are settled before the events are made, so each is made once with its id.
        Returns None, keeping nothing, otherwise (then each event is validated).
        """
        count = len(wheres)
        if not count or not columns_valid(columns, self.limit):
            return None
        raw = _id_cells(raw_ids)
        before = self.ids.mark()
        ids = self.ids.assign(columns["kind"], columns["start_s"], columns.get("end_s") or [None] * count,
                              columns.get("label") or [""] * count, raw)
        seen = self.seen
        if (seen and not seen.keys().isdisjoint(ids)) or len(set(ids)) != count:
            self.ids.undo(before)
            return None
        columns["id"] = ids
        self.events.extend(map(Event, *(columns.get(n) or [getattr(_DEFAULTS, n)] * count for n in EVENT_FIELDS)))
        seen.update(zip(ids, wheres))
        return {}

    def add_columns(self, columns: dict[str, list[Any]], wheres: Sequence[Any], raw_ids: Sequence[Any] | None = None,
                    hex_ids: bool = False) -> bool:
        """Keep the events given as columns (Event field -> values) when all are valid as they stand; return True.

        Returns False, keeping nothing, unless this importer is still empty,
        every event is valid as it stands and no id is used twice: the caller
        then adds the events one by one (for the conversions and the messages).
        ``hex_ids`` says the caller has checked that every raw id is 32 hex digits.
        """
        count = len(wheres)
        if self.events or self.seen or self.problems or self._pending or not count:
            return False
        columns = {"recording_id": [self.recording.id] * count, **columns, "id": [""] * count}
        return self._settle_columns(columns, wheres, raw_ids) is not None

    def _validate_each(self, events: Sequence[Event], wheres: Sequence[Any],
                       found: dict[int, str]) -> tuple[list[Event], list[int]]:
        valid, rows = [], []
        for i, event in enumerate(events):
            try:
                valid.append(validate_event(event, self.limit))
            except ValidationError as exc:
                found[i] = self._message(wheres[i], exc)
                continue
            rows.append(i)
        return valid, rows

    def _keep(self, events: Sequence[Event], rows: Sequence[int], ids: list[str], wheres: Sequence[Any],
              raw_ids: Sequence[Any] | None, found: dict[int, str] | None = None) -> None:
        seen = self.seen
        if not seen and len(set(ids)) == len(ids):  # the usual case: every id new
            for event, event_id in zip(events, ids):
                event.id = event_id
            seen.update(zip(ids, map(wheres.__getitem__, rows)))
            self.events.extend(events)
            return
        for k, (event, event_id, i) in enumerate(zip(events, ids, rows)):
            first = seen.get(event_id)
            if first is not None:
                raw = raw_ids[k] if raw_ids is not None else None
                found[i] = self._message(wheres[i], f"event id {raw or event_id} is used again (first at "
                                           f"{self.place(first)}); give each event its own id")
                continue
            seen[event_id] = wheres[i]
            event.id = event_id
            self.events.append(event)

    def _message(self, where: Any, message: object) -> str:
        return self.problems.line(self.place(where), message)


def _id_cells(raw_ids: Sequence[Any] | None) -> list[str | None] | None:
    """Return the file's id cells as text (None where there is none), or None when no event has one."""
    if raw_ids is None or all(r is None or r == "" for r in raw_ids):
        return None
    return [None if r is None else r if type(r) is str else str(r) for r in raw_ids]
