"""Event-log pairing for reading: ``start``/``complete`` entries back to events.

Shared by the CSV event log (:mod:`.eventlog`) and XES (:mod:`.xes`), which
differ only in layout: :class:`Row` is one entry as a file holds it;
:func:`events_from_rows` pairs rows into validated events (a ``start`` with
the next ``complete`` of the same event id, else activity) one at a time,
naming each bad entry. Every log is first read a whole column at a time by
:func:`.log_table.events_from_table`, which pairs as this does; only a log it
does not take comes here. Writing the entries is :mod:`.log_entries`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Mapping


from ..errors import ValidationError
from ..model import Codebook, Event, Kind, Recording, drop_control
from .common import Importer, KindResolver, Problems, label_kinds, parse_iso, recording_name
from .kind_names import kind_for_name
from .log_entries import EPOCH

TEXT = ("label", "stage", "channel", "actor", "expectation", "note", "reviewer")


@dataclass
class Row:
    """One entry read from a log (CSV row or XES event), before pairing.

    ``where`` is the entry's place in the file, as ``place`` (given to
    :func:`events_from_rows`) names it in messages: e.g. a row index.
    """

    where: Any
    case: str
    activity: str
    lifecycle: str
    timestamp: datetime | None
    fields: dict[str, str]




def events_from_rows(
    rows: list[Row],
    recording: Recording,
    mapping: Mapping[str, Any] | Iterable[str] | None,
    codebook: Codebook | None,
    epoch: datetime | str | None,
    problems: Problems,
    place: Callable[[Any], str] = str,
) -> list[Event]:
    """Return the validated events of ``recording`` that start/complete ``rows`` pair into (CSV and XES).

    ``place`` turns a row's ``where`` into the text messages show. Raises
    FormatError listing every bad row: a time out of order, a start that never
    completes, an activity that maps to no kind, an invalid event.
    """
    rows = _this_case(rows, recording, problems)
    # Problems and events take keys in the order they are met, as messages list them; a key's row names its line.
    order: list[Any] = []
    left_out: dict[int, Any] = {}

    def note(where: Any, message: object) -> None:
        left_out[len(order)] = message
        order.append(where)

    bases = _bases(rows, epoch, note)
    open_starts: dict[tuple[str, str], list[tuple[Row, float]]] = {}
    choose = KindChooser(KindResolver(mapping), label_kinds(codebook))
    values: list[tuple[Any, ...]] = []
    keys: list[int] = []
    raw_ids: list[Any] = []
    for r in rows:
        complete = r.lifecycle == "complete"
        t = _entry_time(r, complete, bases[r.case], note)
        if t is None:
            continue
        key = (r.case, r.fields.get("event_id") or r.activity)
        if r.lifecycle == "start":
            open_starts.setdefault(key, []).append((r, t))
            continue
        if not complete:
            continue  # schedule, suspend, ...: not an event boundary here
        pending = open_starts.get(key)
        if pending:
            first, start = pending.pop(0)
            if t < start:
                note(r.where, f"'{r.activity}' completes ({t:.3f} s) before it starts ({start:.3f} s); "
                              "times are out of order")
                continue
            end: float | None = t
        else:
            first, start, end = r, _time(r, "start_s", bases[r.case], fallback=t), None
        try:
            values.append(_values(first, start, end, choose))
        except ValidationError as exc:
            note(r.where, exc)
            continue
        keys.append(len(order))
        order.append(first.where)
        raw_ids.append(first.fields.get("event_id"))
    for pending in open_starts.values():
        for r, _ in pending:
            note(r.where, f"'{r.activity}' starts but never completes; add its complete entry")
    sink = Importer(recording, problems, lambda k: place(order[k]))
    columns = list(zip(*values)) or [()] * len(_VALUE_FIELDS)
    sink.add_values({name: list(column) for name, column in zip(_VALUE_FIELDS, columns)}, {}, keys, raw_ids,
                    left_out)
    problems.raise_if_any()
    return sink.events


def _this_case(rows: list[Row], recording: Recording, problems: Problems) -> list[Row]:
    """Return the rows of the case that is ``recording`` (all of them when the log holds one case).

    Raises FormatError when the log holds several cases and none is the recording.
    """
    cases = list(dict.fromkeys(r.case for r in rows))
    if len(cases) <= 1:
        return rows
    rid = "" if recording.id is None else str(recording.id)
    keep = case_names(cases, recording)
    keep |= {r.case for r in rows if rid and r.fields.get("recording_id") == rid}
    if not keep:
        problems.fail(None, f"holds {len(cases)} cases ({', '.join(cases)[:120]}) and none is "
                            f"'{recording_name(recording)}'; export that case alone")
    return [r for r in rows if r.case in keep]


def case_names(cases: list[str], recording: Recording) -> set[str]:
    """Return the ``cases`` (of a log holding several) whose name says they are ``recording``."""
    names = {drop_control(n) for n in (recording.title, recording_name(recording)) if n}
    rid = "" if recording.id is None else str(recording.id)
    return {c for c in cases if c in names or c.rsplit(" #", 1)[0] in names or c.endswith(f" #{rid}")}


def _bases(rows: list[Row], epoch: datetime | str | None, note: Callable[[Any, object], None]) -> dict[str, datetime]:
    """Return each case's start: ``epoch``, the earliest timestamp (``epoch="first"``) or its case_start cell.

    A case_start cell that is not a time is noted (``note(row's where, problem)``) and the case starts at EPOCH.
    """
    bases: dict[str, datetime] = {}
    for r in rows:
        if r.case in bases:
            continue
        if isinstance(epoch, datetime):
            bases[r.case] = epoch if epoch.tzinfo else epoch.replace(tzinfo=timezone.utc)
        elif epoch == "first":
            stamps = [x.timestamp for x in rows if x.case == r.case and x.timestamp is not None]
            bases[r.case] = min(stamps) if stamps else EPOCH
        else:
            try:
                bases[r.case] = parse_iso("case_start", r.fields.get("case_start", "")) or EPOCH
            except ValidationError as exc:
                note(r.where, exc)
                bases[r.case] = EPOCH
    return bases


def _entry_time(r: Row, complete: bool, base: datetime, note: Callable[[Any, object], None]) -> float | None:
    """Return the time of an entry in seconds (end_s of a complete, else start_s, else its timestamp).

    Returns None, and notes the problem (``note(row's where, problem)``), when it has no valid time.
    """
    text = r.fields.get("end_s" if complete else "start_s", "")
    try:  # the usual case, inline: a time in seconds as this tool writes it
        t = float(text) if text else -1.0
    except ValueError:
        t = -1.0
    if 0 <= t < _INF:
        return round(t, 3)
    try:
        return _time(r, "end_s" if complete else "start_s", base)
    except ValidationError as exc:
        note(r.where, exc)
        return None


_INF = float("inf")


def _time(r: Row, column: str, base: datetime, fallback: float | None = None) -> float:
    text = r.fields.get(column, "").strip()
    if text:
        try:
            value = float(text)
        except ValueError:
            raise ValidationError(f"{column} '{text}' is not a number of seconds") from None
    elif fallback is not None and column == "start_s":
        return fallback
    elif r.timestamp is not None:
        value = (r.timestamp - base).total_seconds()
    else:
        raise ValidationError("timestamp is empty; every entry needs a time")
    if value < 0:
        raise ValidationError(f"time {value:.3f} s is before the case start; check the timestamps or the epoch")
    return round(value, 3)


class KindChooser:
    """The kind of an entry and its label when the log has no label column, once per activity and kind text.

    The kind comes from the mapping of the activity, else the kind column, else
    the activity naming a kind, else the codebook's labels; the label is the
    activity unless the activity is just the kind's name.
    """

    def __init__(self, kinds: KindResolver, labels: dict[str, Kind]):
        self.kinds = kinds
        self.labels = labels
        self.choose = functools.cache(self._choose)  # once per activity and kind text

    def __call__(self, activity: str, kind_text: str) -> tuple[Kind | None, str]:
        return self.choose(activity, kind_text)

    def _choose(self, activity: str, kind_text: str) -> tuple[Kind | None, str]:
        kind = kind_for_name(self.kinds, self.labels, activity, kind_text)
        return kind, "" if kind is not None and self.kinds.lookup(activity) == kind else activity


_OTHER_TEXT = tuple(k for k in TEXT if k != "label")
_BLANKS = ("",) * len(_OTHER_TEXT)


_VALUE_FIELDS = ("kind", "start_s", "end_s", "label", "stage", "channel", "actor", "expectation", "emotion", "note",
                 "reviewer")


def _values(r: Row, start: float, end: float | None, choose: KindChooser) -> tuple[Any, ...]:
    """Return the values (:data:`_VALUE_FIELDS`) of the event entry ``r`` starts; raises ValidationError."""
    f = r.fields
    kind, label = choose(r.activity, f.get("kind", ""))
    if kind is None:
        raise ValidationError(f"activity '{r.activity}' maps to no kind; add a kind column or map it "
                              f"(--map '{r.activity}=MOT')")
    if "label" in f:
        label = f["label"]
    stage, channel, actor, expectation, note, reviewer = map(f.get, _OTHER_TEXT, _BLANKS)
    emotion = f.get("emotion") or None
    return kind, start, end, label, stage, channel, actor, expectation, EMOTIONS.get(emotion, emotion), note, reviewer


# Emotion cells as this tool writes them, read as validation reads them (others are left to it).
EMOTIONS = {"-2": -2, "-1": -1, "0": 0, "1": 1, "2": 2}
