"""Process-mining event logs: the flat CSV event log (and the entries XES shares).

Each event becomes one log entry (lifecycle ``complete``) or, for a duration
event, two (``start`` at start_s and ``complete`` at end_s). Columns of the CSV
(``.eventlog.csv``), one row per entry, ordered by case and time:

=============  ===============================================================
case_id        the recording's name (title, else file name; ``#id`` added when
               two recordings share a name)
activity       the label, or the kind's title when there is no label
timestamp      ISO 8601 UTC: the case start plus start_s (or end_s)
lifecycle      ``start`` or ``complete``
event_id       the event's id (both entries of a duration event share it)
kind           stored kind name; also kind_short, label, stage, channel, actor,
               expectation, emotion, note, reviewer
start_s        the event's start (seconds from the first frame); end_s its end
recording_id   the recording's id
case_start     the time the case's timestamps count from
=============  ===============================================================

The case start is the recording's own start time when known (``creation_time``
or ``start_time`` in its ``info``, ISO 8601), else the fixed epoch
``1970-01-01T00:00:00Z`` (so a timestamp's time of day reads as the position in
the recording). Pass ``epoch=`` to choose another.

Import reads this layout back (lossless for every field but the dates), and
any log with ``case_id``/``activity``/``timestamp`` (and optionally
``lifecycle``): times come from ``start_s``/``end_s`` when present, else from
``timestamp`` minus ``case_start`` (or ``epoch``; ``epoch="first"`` takes the
earliest timestamp of the case as 0); a ``start`` entry is paired with the next
``complete`` of the same activity; the kind from the ``kind`` column, else the
mapping or name of the activity, else the codebook.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from itertools import compress
from typing import Any, Callable, Iterable, Mapping

import numpy as np

from ..errors import ValidationError
from ..model import Event, Kind, Recording, drop_control
from . import columns as colwise
from .common import (
    BOM,
    CsvLines,
    Importer,
    KindResolver,
    Problems,
    TextCells,
    as_recordings,
    csv_cell_writer,
    decode_text,
    iso_utc,
    label_kinds,
    neutralise,
    norm_key,
    parse_iso,
    recording_name,
    sort_events,
    unneutralise,
)

NAME = "eventlog"
TITLE = "Process-mining event log (CSV)"
SUFFIXES = (".eventlog.csv",)
MEDIA_TYPE = "text/csv"

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
COLUMNS = (
    "case_id", "activity", "timestamp", "lifecycle", "event_id", "kind", "kind_short", "label", "stage",
    "channel", "actor", "expectation", "emotion", "note", "reviewer", "start_s", "end_s", "recording_id",
    "case_start",
)
TEXT = ("label", "stage", "channel", "actor", "expectation", "note", "reviewer")


@dataclass
class Entry:
    """One log entry: an event at one lifecycle transition."""

    case_id: str
    case_start: datetime
    activity: str
    timestamp: datetime
    lifecycle: str
    event: Event
    kind: Kind


def case_start(recording: Recording | None, epoch: datetime | None = None) -> datetime:
    """Return when a recording's case starts: ``epoch``, its recorded start time, or 1970-01-01 UTC."""
    if epoch is not None:
        return epoch
    if recording is not None:
        for key in ("creation_time", "start_time"):
            value = (recording.info or {}).get(key)
            if isinstance(value, datetime):
                return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
            if isinstance(value, str) and value.strip():
                try:
                    parsed = parse_iso(key, value)
                except ValidationError:
                    continue
                if parsed is not None:
                    return parsed
    return EPOCH


def entries(events: Iterable[Event], recordings: Mapping[Any, Recording], epoch: datetime | None = None) -> list[Entry]:
    """Return the log entries of ``events``, ordered by case, time and lifecycle (start first)."""
    log = Log(events, recordings, epoch)
    out = []
    for rid, ms, lifecycle, ev, kind in log.order():
        base = log.starts[rid]
        out.append(Entry(log.case_ids[rid], base, ev.label or kind.title, base + timedelta(milliseconds=ms),
                         lifecycle, ev, kind))
    return out


class Log:
    """The log entries of some events, in order, with what writing them needs per case.

    ``order()`` gives them as ``(recording id, ms, lifecycle, event, kind)``
    tuples, by case, time and lifecycle (start first), like :func:`entries`;
    ``case_ids`` and ``starts`` (case start) are by recording id, and
    ``stamp(rid, ms)`` is the ISO 8601 text of the entry's timestamp.
    """

    def __init__(self, events: Iterable[Event], recordings: Mapping[Any, Recording], epoch: datetime | None = None):
        self.events = sort_events(list(events))
        names: dict[Any, str] = {}
        for rid in dict.fromkeys(e.recording_id for e in self.events):
            # a title is clean; a file name (when there is no title) may hold control characters
            names[rid] = recording_name(recordings.get(rid)) or f"recording {rid}"
        counts: dict[str, int] = {}
        for name in names.values():
            counts[name] = counts.get(name, 0) + 1
        self.case_ids = {rid: name if counts[name] == 1 else f"{name} #{rid}" for rid, name in names.items()}
        self.starts = {rid: case_start(recordings.get(rid), epoch) for rid in names}
        self._stamps = {rid: _Stamps(base) for rid, base in self.starts.items()}

    def order(self) -> list[tuple[Any, int, str, Event, Kind]]:
        """Return the entries ordered by case, time, lifecycle (start first), then as the events come."""
        events = self.events
        order = {rid: n for n, rid in enumerate(self.case_ids)}
        keys = []  # (case, ms, 0 for start / 1 for complete, event index): ints sort quickly
        for n, ev in enumerate(events):
            case = order[ev.recording_id]
            start = int(round(ev.start_s * 1000))  # to_ms, inline
            if ev.end_s is not None:
                keys.append((case, start, 0, n))
                keys.append((case, int(round(ev.end_s * 1000)), 1, n))
            else:
                keys.append((case, start, 1, n))
        keys.sort()
        kinds = [ev.kind if isinstance(ev.kind, Kind) else Kind(str(ev.kind)) for ev in events]
        return [(events[n].recording_id, ms, "complete" if end else "start", events[n], kinds[n])
                for _, ms, end, n in keys]

    def stamp(self, rid: Any, ms: int) -> str:
        """Return the timestamp of the entry ``ms`` after the case start of ``rid``, as :func:`iso_utc` writes it."""
        return self._stamps[rid](ms)


class _Stamps:
    """``iso_utc(base + ms)``, with the date and time of each whole second worked out once."""

    def __init__(self, base: datetime):
        self.base = base
        self.quick = base.tzinfo is timezone.utc and base.microsecond == 0
        self.seconds: dict[int, str] = {}

    def __call__(self, ms: int) -> str:
        if not self.quick:
            return iso_utc(self.base + timedelta(milliseconds=ms))
        sec, frac = divmod(ms, 1000)
        head = self.seconds.get(sec)
        if head is None:
            head = self.seconds[sec] = iso_utc(self.base + timedelta(seconds=sec))[:-5]  # without '.000Z'
        return f"{head}.{frac:03d}Z"


def dumps(
    events: Iterable[Event],
    recordings: Mapping[int, Recording] | Iterable[Recording] | None = None,
    *,
    codebook: Any = None,
    epoch: datetime | None = None,
    bom: bool = True,
) -> bytes:
    """Return the flat CSV event log (UTF-8 with BOM, spreadsheet-safe text cells)."""
    events = events if isinstance(events, list) else list(events)
    with colwise.no_gc():
        body = _rows_columns(events, as_recordings(recordings), epoch)
    if body is not None:
        return ((BOM if bom else "") + ",".join(COLUMNS) + "\r\n").encode("utf-8") + body
    buf = io.StringIO()
    if bom:
        buf.write(BOM)
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    log = Log(events, as_recordings(recordings), epoch)
    cell = TextCells(neutralise)
    case_cells = {rid: (cell[case], iso_utc(log.starts[rid])) for rid, case in log.case_ids.items()}
    shared: dict[int, tuple] = {}  # id(event) -> its cells after the lifecycle (both entries share them)

    def rows():
        for rid, ms, lifecycle, ev, kind in log.order():
            case, start = case_cells[rid]
            rest = shared.get(id(ev))
            if rest is None:
                rest = shared[id(ev)] = (
                    ev.id, kind.value, kind.short, cell[ev.label], cell[ev.stage], cell[ev.channel], cell[ev.actor],
                    cell[ev.expectation], "" if ev.emotion is None else str(ev.emotion), cell[ev.note],
                    cell[ev.reviewer], f"{ev.start_s:.3f}", "" if ev.end_s is None else f"{ev.end_s:.3f}",
                    "" if ev.recording_id is None else str(ev.recording_id), start,
                )
            yield (case, cell[ev.label or kind.title], log.stamp(rid, ms), lifecycle, *rest)

    writer.writerows(rows())
    return buf.getvalue().encode("utf-8")


def entry_order(events: list[Event], field: Callable[[str], list[Any]] | None = None) -> tuple[np.ndarray, ...] | None:
    """Return the log entries of sorted events as :meth:`Log.order` orders them, as arrays.

    Gives (event index, ms, complete?) per entry and (start ms, end ms, point?)
    per event; None unless every kind is a Kind and every time a float
    rounded to ms (then ``int(round(t * 1000))`` is what numpy's rint gives).
    ``field`` is the events' ``colwise.fields_of`` getter, if the caller has one.
    """
    field = field or colwise.fields_of(events)
    kinds, starts, ends = field("kind"), field("start_s"), field("end_s")
    if set(map(type, kinds)) - {Kind} or set(map(type, starts)) - {float} or set(map(type, ends)) - {float, type(None)}:
        return None
    start = np.array(starts, dtype=np.float64)
    end = np.array(ends, dtype=np.float64)  # None -> NaN
    point = np.isnan(end)
    if int(point.sum()) != ends.count(None):
        return None
    for values in (start, end[~point]):
        if values.size and not (values.min() >= 0 and values.max() < 1e9 and (np.round(values, 3) == values).all()):
            return None
    start_ms = np.rint(start * 1000.0).astype(np.int64)
    end_ms = np.rint(np.where(point, 0.0, end) * 1000.0).astype(np.int64)
    # by time, start before complete, then as the events come (the events are sorted by recording already)
    dur = np.flatnonzero(~point)
    entry_event = np.concatenate([np.arange(len(events)), dur])
    entry_ms = np.concatenate([start_ms, end_ms[dur]])
    entry_end = np.concatenate([point, np.ones(len(dur), dtype=bool)])
    order = np.lexsort((entry_event, entry_end, entry_ms))
    return entry_event[order], entry_ms[order], entry_end[order], start_ms, end_ms, point


def _rows_columns(events: list[Event], recordings: Mapping[Any, Recording], epoch: datetime | None) -> bytes | None:
    """Return the rows ``dumps`` writes (CRLF after each), made a whole column at a time.

    Returns None for what only the entry-by-entry path writes: few events,
    several cases, times that are not floats rounded to ms, a case start or
    values of unexpected types.
    """
    if colwise.arrow() is None or len(events) < colwise.MIN_EVENTS:
        return None
    log = Log(events, recordings, epoch)
    if len(log.case_ids) != 1:
        return None
    (rid,) = log.case_ids
    base = log.starts[rid]
    if base.tzinfo is None or base.microsecond % 1000:
        return None
    base_ms = (base - EPOCH) // timedelta(milliseconds=1)
    evs = log.events
    field = colwise.fields_of(evs)
    entries = entry_order(evs, field)
    if entries is None:
        return None
    entry_event, entry_ms, entry_end, start_ms, end_ms, point = entries
    kinds = field("kind")
    emotions = field("emotion")
    ids = field("id")
    if set(map(type, emotions)) - {int, type(None)} or set(map(type, ids)) - {str}:
        return None
    write = csv_cell_writer(",")
    quote = csv_cell_writer(",", neutralise=False)
    cell = TextCells(write)
    try:
        texts = {name: list(map(cell.__getitem__, field(name))) for name in TEXT}
        ids = list(map(quote, ids))
    except (TypeError, IndexError):
        return None
    activity_cells = {k: write(k.title) for k in Kind}
    activities = [c if c else activity_cells[k] for c, k in zip(texts["label"], kinds)]
    per_event = [
        ids,
        [k.value for k in kinds],
        [k.short for k in kinds],
        *(texts[name] for name in ("label", "stage", "channel", "actor", "expectation")),
        ["" if e is None else str(e) for e in emotions],
        texts["note"],
        texts["reviewer"],
        colwise.seconds_text(start_ms),
        colwise.blank_where(point, colwise.seconds_text(end_ms)),
        "" if rid is None else quote(str(rid)),
        iso_utc(base),
    ]
    take = colwise.take
    per_event = [colwise.text_array(c) if isinstance(c, list) else c for c in per_event]
    pa = colwise.arrow()
    cells = [
        write(log.case_ids[rid]),
        take(colwise.text_array(activities), entry_event),
        colwise.iso_from_ms(base_ms + entry_ms),
        pa.compute.if_else(pa.array(entry_end), "complete", "start"),
        *(take(c, entry_event) for c in per_event),
    ]
    return colwise.join_lines(cells, ",", "\r\n")


# --- import -----------------------------------------------------------------------


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


def loads(
    data: bytes | str,
    *,
    recording: Recording,
    mapping: Mapping[str, Any] | Iterable[str] | None = None,
    codebook: Any = None,
    source: str = "events.eventlog.csv",
    epoch: datetime | str | None = None,
) -> list[Event]:
    """Return the validated events of a flat CSV event log; raises FormatError listing every bad row."""
    if epoch is None or isinstance(epoch, datetime):
        with colwise.no_gc():
            fast = _loads_columns(data, recording, mapping, codebook, source, epoch)
        if fast is not None:
            return fast
    problems = Problems(source)
    text = decode_text(data, problems)
    if not text.strip():
        problems.fail(None, "is empty; expected an event log with case_id, activity and timestamp columns")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    raw: list[list[str]] = []
    try:
        raw.extend(reader)
    except csv.Error as exc:
        problems.fail(f"line {CsvLines(text, ',', len(raw)).after_last()}",
                      f"cannot be split into cells ({exc}); the file may be cut short")
    lines = CsvLines(text, ",", len(raw))
    keep = list(compress(range(len(raw)), map(any, raw)))  # the rows that are not blank
    if not keep:
        problems.fail(None, "is empty; expected an event log with case_id, activity and timestamp columns")
    header = [norm_key(h).replace(" ", "_") for h in raw[keep[0]]]
    for need in ("activity",):
        if need not in header:
            problems.fail("line 1", "has no 'activity' column; an event log needs case_id, activity and timestamp")
    width = len(header)
    rows: list[Row] = []
    for i in keep[1:]:
        cells = raw[i]
        if len(cells) != width:
            problems.add(lines.place(i), f"has {len(cells)} cells but the header has {width}; the row is cut short")
            continue
        if "'" in "".join(cells):
            f = {h: unneutralise(c) for h, c in zip(header, cells)}
        else:
            f = dict(zip(header, cells))
        try:
            stamp = parse_iso("timestamp", f.get("timestamp", ""))
        except ValidationError as exc:
            problems.add(lines.place(i), exc)
            continue
        rows.append(Row(i, f.get("case_id", ""), f.get("activity", ""),
                        (f.get("lifecycle") or f.get("lifecycle:transition") or "complete").lower(), stamp, f))
    return events_from_rows(rows, recording, mapping, codebook, epoch, problems, lines.place)


_HEX32 = "^[0-9a-f]{32}$"


def _loads_columns(data: bytes | str, recording: Recording, mapping: Any, codebook: Any, source: str,
                   epoch: datetime | None) -> list[Event] | None:
    """Return what ``loads`` returns for a valid log in this tool's layout, read a column at a time; else None.

    Handles one case, ``start``/``complete`` entries with this tool's event ids
    (each start before its complete), times in ``start_s``/``end_s`` and every
    event valid; anything else goes through the entry-by-entry path.
    """
    pa = colwise.arrow()
    if pa is None:
        return None
    body = colwise.utf8_body(data)
    if body is None:
        return None
    header = ",".join(COLUMNS).encode("ascii")
    if not body.startswith(header) or body[len(header) : len(header) + 2] not in (b"\r\n", b"\n") or b"\x00" in body:
        return None
    table = colwise.csv_table(body, ",", len(COLUMNS), range(len(COLUMNS)))
    if table is None or table.num_rows - 1 < colwise.MIN_EVENTS:
        return None
    table = table.slice(1)
    col = {name: table.column(f"f{i}") for i, name in enumerate(COLUMNS)}
    pc = pa.compute
    if colwise.distinct_count(col["case_id"]) != 1 or colwise.distinct_count(col["case_start"]) != 1:
        return None
    for name, pattern in (("lifecycle", "^(start|complete)$"), ("event_id", _HEX32), ("timestamp", "^[0-9]")):
        if not colwise.all_match(col[name], pattern):
            return None
    starts = colwise.seconds_column(col["start_s"], blank_is_none=True)
    ends = colwise.seconds_column(col["end_s"], blank_is_none=True)
    stamps = colwise.iso_column(col["timestamp"].to_pylist())
    if starts is None or ends is None or stamps is None:
        return None
    if isinstance(epoch, datetime):
        base = epoch if epoch.tzinfo else epoch.replace(tzinfo=timezone.utc)
    else:
        try:
            base = parse_iso("case_start", col["case_start"][0].as_py()) or EPOCH
        except ValidationError:
            return None
    complete = pc.equal(col["lifecycle"], "complete").to_numpy(zero_copy_only=False)
    paired = pair_columns(complete, col["event_id"].to_pylist(), starts, ends, stamps, base)
    if paired is None:
        return None
    firsts = paired[0]
    picked = np.array(firsts, dtype=np.int64)

    def column(name: str, fn: Any = unneutralise) -> list[Any]:
        return colwise.map_unique(colwise.take(col[name], picked), fn)

    return events_from_columns(column, *paired, recording, mapping, codebook, source)


def pair_columns(complete: np.ndarray, ids: list[str], starts: list[float | None], ends: list[float | None],
                 stamps: list[datetime], base: datetime) -> tuple[list[int], list[float], list[float | None]] | None:
    """Return each event's first entry, start_s and end_s, paired as :func:`events_from_rows` pairs them.

    Takes the entries of one case in file order: ``complete`` (bool array:
    complete, else start), event ``ids``, ``starts``/``ends`` (seconds, None
    when blank) and ``stamps`` (timestamps). Events come in the order of their
    complete entries. Returns None for what only the entry-by-entry path reads
    (or rejects): an id that completes twice, a start without its complete, a
    missing time, a point event timed before ``base``.
    """
    rows = np.arange(len(ids))
    complete_rows, start_rows = rows[complete].tolist(), rows[~complete].tolist()
    where = dict(zip(map(ids.__getitem__, complete_rows), complete_rows))
    if len(where) != len(complete_rows):
        return None  # an id completes twice
    first = dict(zip(complete_rows, complete_rows))
    for row in start_rows:  # each start pairs with the complete of its id that follows it
        done = where.get(ids[row], -1)
        if done < row or first[done] != done:
            return None
        first[done] = row
    firsts = [first[row] for row in complete_rows]
    paired = [f != c for f, c in zip(firsts, complete_rows)]
    start_s = list(map(starts.__getitem__, firsts))
    end_s = [ends[c] if p else None for c, p in zip(complete_rows, paired)]
    if None in start_s or any(p and e is None for p, e in zip(paired, end_s)):
        return None
    for row, p in zip(complete_rows, paired):
        if not p and ends[row] is None and stamps[row] < base:
            return None  # its time would come before the case start: the entry-by-entry path says so
    return firsts, start_s, end_s


def events_from_columns(column: Callable[..., list[Any]], firsts: list[int], start_s: list[float],
                        end_s: list[float | None], recording: Recording, mapping: Any, codebook: Any,
                        source: str) -> list[Event] | None:
    """Return the validated events :func:`events_from_rows` makes of paired entries, or None.

    ``column(name, fn)`` gives ``fn`` of the text of column ``name`` (activity,
    kind, event_id, emotion and :data:`TEXT`) at each event's first entry
    (``firsts``, which name them in messages); a label of None means the entry
    has none (the kind chooser's label is taken). Returns None when an activity
    maps to no kind or an event is not valid as it stands.
    """
    choose = _KindChooser(KindResolver(mapping), label_kinds(codebook))
    activities, kind_texts = column("activity"), column("kind")
    chosen = {pair: choose(*pair) for pair in set(zip(activities, kind_texts))}
    picks = list(map(chosen.__getitem__, zip(activities, kind_texts)))
    kinds = [pick[0] for pick in picks]
    if None in kinds:
        return None
    out: dict[str, list[Any]] = {"kind": kinds, "start_s": start_s, "end_s": end_s}
    for name in TEXT:
        out[name] = column(name)
    out["label"] = [pick[1] if label is None else label for label, pick in zip(out["label"], picks)]
    out["emotion"] = column("emotion", lambda c: _EMOTIONS.get(c or None, c or None))
    sink = Importer(recording, Problems(source))
    return sink.events if sink.add_columns(out, firsts, column("event_id", str), hex_ids=True) else None


def events_from_rows(
    rows: list[Row],
    recording: Recording,
    mapping: Mapping[str, Any] | Iterable[str] | None,
    codebook: Any,
    epoch: datetime | str | None,
    problems: Problems,
    place: Callable[[Any], str] = str,
) -> list[Event]:
    """Pair start/complete entries into validated events of ``recording`` (shared by CSV and XES).

    ``place`` turns a row's ``where`` into the text messages show.
    """
    cases = list(dict.fromkeys(r.case for r in rows))
    if len(cases) > 1:
        names = {drop_control(n) for n in (recording.title, recording_name(recording)) if n}
        rid = "" if recording.id is None else str(recording.id)
        keep = {c for c in cases if c in names or c.rsplit(" #", 1)[0] in names or c.endswith(f" #{rid}")}
        keep |= {r.case for r in rows if rid and r.fields.get("recording_id") == rid}
        if not keep:
            problems.fail(None, f"holds {len(cases)} cases ({', '.join(cases)[:120]}) and none is "
                                f"'{recording_name(recording)}'; export that case alone")
        rows = [r for r in rows if r.case in keep]
    kinds = KindResolver(mapping)
    labels = label_kinds(codebook)
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
                problems.add(place(r.where), exc)
                bases[r.case] = EPOCH

    open_starts: dict[tuple[str, str], list[tuple[Row, float]]] = {}
    sink = Importer(recording, problems, place, defer=True)
    rid = recording.id
    choose = _KindChooser(kinds, labels)
    for r in rows:
        complete = r.lifecycle == "complete"
        text = r.fields.get("end_s" if complete else "start_s", "")
        try:  # the usual case, inline: a time in seconds as this tool writes it
            t = float(text) if text else -1.0
        except ValueError:
            t = -1.0
        if 0 <= t < _INF:
            t = round(t, 3)
        else:
            try:
                t = _time(r, "end_s" if complete else "start_s", bases[r.case])
            except ValidationError as exc:
                problems.add(place(r.where), exc)
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
                problems.add(place(r.where), f"'{r.activity}' completes ({t:.3f} s) before it starts ({start:.3f} s); "
                                             "times are out of order")
                continue
            end: float | None = t
        else:
            first, start, end = r, _time(r, "start_s", bases[r.case], fallback=t), None
        try:
            event = _event(first, start, end, choose)
        except ValidationError as exc:
            problems.add(place(r.where), exc)
            continue
        event.recording_id = rid
        sink.add(event, first.where, first.fields.get("event_id"))
    for pending in open_starts.values():
        for r, _ in pending:
            problems.add(place(r.where), f"'{r.activity}' starts but never completes; add its complete entry")
    sink.finish()
    problems.raise_if_any()
    return sink.events


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


class _KindChooser:
    """The kind of an entry and its label when the log has no label column, once per activity and kind text.

    The kind comes from the mapping of the activity, else the kind column, else
    the activity naming a kind, else the codebook's labels; the label is the
    activity unless the activity is just the kind's name.
    """

    def __init__(self, kinds: KindResolver, labels: dict[str, Kind]):
        self.kinds = kinds
        self.labels = labels
        self._known: dict[tuple[str, str], tuple[Kind | None, str]] = {}

    def __call__(self, activity: str, kind_text: str) -> tuple[Kind | None, str]:
        known = self._known.get((activity, kind_text))
        if known is None:
            kinds = self.kinds
            kind = (kinds.mapping.get(norm_key(activity)) or (kinds.lookup(kind_text) if kind_text else None)
                    or kinds.lookup(activity) or self.labels.get(norm_key(activity)))
            label = "" if kind is not None and kinds.lookup(activity) == kind else activity
            known = self._known[(activity, kind_text)] = (kind, label)
        return known


_OTHER_TEXT = tuple(k for k in TEXT if k != "label")
_BLANKS = ("",) * len(_OTHER_TEXT)


def _event(r: Row, start: float, end: float | None, choose: _KindChooser) -> Event:
    f = r.fields
    kind, label = choose(r.activity, f.get("kind", ""))
    if kind is None:
        raise ValidationError(f"activity '{r.activity}' maps to no kind; add a kind column or map it "
                              f"(--map '{r.activity}=MOT')")
    if "label" in f:
        label = f["label"]
    stage, channel, actor, expectation, note, reviewer = map(f.get, _OTHER_TEXT, _BLANKS)
    emotion = f.get("emotion") or None
    return Event(kind, start, None, end, label, stage, channel, actor, expectation, _EMOTIONS.get(emotion, emotion),
                 note, reviewer, "")


# Emotion cells as this tool writes them, read as validation reads them (others are left to it).
_EMOTIONS = {"-2": -2, "-1": -1, "0": 0, "1": 1, "2": 2}
