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
from typing import Any, Iterable, Mapping

from ..errors import ValidationError
from ..model import Event, Kind, Recording
from .common import (
    BOM,
    EventIds,
    KindResolver,
    Problems,
    as_recordings,
    decode_text,
    finish_event,
    iso_utc,
    label_kinds,
    neutralise,
    norm_key,
    parse_iso,
    recording_name,
    sort_events,
    to_ms,
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
    events = sort_events(list(events))
    names: dict[Any, str] = {}
    for rid in dict.fromkeys(e.recording_id for e in events):
        names[rid] = recording_name(recordings.get(rid)) or f"recording {rid}"
    counts: dict[str, int] = {}
    for name in names.values():
        counts[name] = counts.get(name, 0) + 1
    case_ids = {rid: name if counts[name] == 1 else f"{name} #{rid}" for rid, name in names.items()}
    starts = {rid: case_start(recordings.get(rid), epoch) for rid in names}
    out: list[Entry] = []
    for ev in events:
        kind = ev.kind if isinstance(ev.kind, Kind) else Kind(str(ev.kind))
        rid = ev.recording_id
        base = starts[rid]
        activity = ev.label or kind.title
        if ev.end_s is not None:
            out.append(Entry(case_ids[rid], base, activity, base + timedelta(milliseconds=to_ms(ev.start_s)), "start", ev, kind))
            out.append(Entry(case_ids[rid], base, activity, base + timedelta(milliseconds=to_ms(ev.end_s)), "complete", ev, kind))
        else:
            out.append(Entry(case_ids[rid], base, activity, base + timedelta(milliseconds=to_ms(ev.start_s)), "complete", ev, kind))
    order = {rid: n for n, rid in enumerate(names)}
    out.sort(key=lambda e: (order[e.event.recording_id], e.timestamp, e.lifecycle != "start"))
    return out


def dumps(
    events: Iterable[Event],
    recordings: Mapping[int, Recording] | Iterable[Recording] | None = None,
    *,
    codebook: Any = None,
    epoch: datetime | None = None,
    bom: bool = True,
) -> bytes:
    """Return the flat CSV event log (UTF-8 with BOM, spreadsheet-safe text cells)."""
    buf = io.StringIO()
    if bom:
        buf.write(BOM)
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for en in entries(events, as_recordings(recordings), epoch):
        ev = en.event
        writer.writerow((
            neutralise(en.case_id), neutralise(en.activity), iso_utc(en.timestamp), en.lifecycle, ev.id,
            en.kind.value, en.kind.short, *(neutralise(getattr(ev, f)) for f in TEXT[:5]),
            "" if ev.emotion is None else str(ev.emotion), neutralise(ev.note), neutralise(ev.reviewer),
            f"{ev.start_s:.3f}", "" if ev.end_s is None else f"{ev.end_s:.3f}",
            "" if ev.recording_id is None else str(ev.recording_id), iso_utc(en.case_start),
        ))
    return buf.getvalue().encode("utf-8")


# --- import -----------------------------------------------------------------------


@dataclass
class Row:
    """One entry read from a log (CSV row or XES event), before pairing."""

    where: str
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
    problems = Problems(source)
    text = decode_text(data, problems)
    if not text.strip():
        problems.fail(None, "is empty; expected an event log with case_id, activity and timestamp columns")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    raw: list[tuple[int, list[str]]] = []
    prev = 0
    try:
        for row in reader:
            line, prev = prev + 1, reader.line_num
            if any(row):
                raw.append((line, row))
    except csv.Error as exc:
        problems.fail(f"line {prev + 1}", f"cannot be split into cells ({exc}); the file may be cut short")
    header = [norm_key(h).replace(" ", "_") for h in raw[0][1]]
    for need in ("activity",):
        if need not in header:
            problems.fail("line 1", "has no 'activity' column; an event log needs case_id, activity and timestamp")
    rows: list[Row] = []
    for line, cells in raw[1:]:
        if len(cells) != len(header):
            problems.add(f"line {line}", f"has {len(cells)} cells but the header has {len(header)}; the row is cut short")
            continue
        f = {h: unneutralise(c) for h, c in zip(header, cells)}
        try:
            stamp = parse_iso("timestamp", f.get("timestamp", ""))
        except ValidationError as exc:
            problems.add(f"line {line}", exc)
            continue
        rows.append(Row(f"line {line}", f.get("case_id", ""), f.get("activity", ""),
                        (f.get("lifecycle") or f.get("lifecycle:transition") or "complete").lower(), stamp, f))
    return events_from_rows(rows, recording, mapping, codebook, epoch, problems)


def events_from_rows(
    rows: list[Row],
    recording: Recording,
    mapping: Mapping[str, Any] | Iterable[str] | None,
    codebook: Any,
    epoch: datetime | str | None,
    problems: Problems,
) -> list[Event]:
    """Pair start/complete entries into validated events of ``recording`` (shared by CSV and XES)."""
    cases = list(dict.fromkeys(r.case for r in rows))
    if len(cases) > 1:
        names = {n for n in (recording.title, recording_name(recording)) if n}
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
                problems.add(r.where, exc)
                bases[r.case] = EPOCH

    open_starts: dict[tuple[str, str], list[tuple[Row, float]]] = {}
    ids = EventIds(recording)
    seen: dict[str, str] = {}
    out: list[Event] = []
    for r in rows:
        try:
            t = _time(r, "end_s" if r.lifecycle == "complete" else "start_s", bases[r.case])
        except ValidationError as exc:
            problems.add(r.where, exc)
            continue
        key = (r.case, r.fields.get("event_id") or r.activity)
        if r.lifecycle == "start":
            open_starts.setdefault(key, []).append((r, t))
            continue
        if r.lifecycle != "complete":
            continue  # schedule, suspend, ...: not an event boundary here
        pending = open_starts.get(key)
        if pending:
            first, start = pending.pop(0)
            if t < start:
                problems.add(r.where, f"'{r.activity}' completes ({t:.3f} s) before it starts ({start:.3f} s); "
                                      "times are out of order")
                continue
            end: float | None = t
        else:
            first, start, end = r, _time(r, "start_s", bases[r.case], fallback=t), None
        try:
            event = _event(first, start, end, kinds, labels)
        except ValidationError as exc:
            problems.add(r.where, exc)
            continue
        event.recording_id = recording.id
        event = finish_event(event, recording, problems, first.where, ids, first.fields.get("event_id"), seen)
        if event is not None:
            out.append(event)
    for pending in open_starts.values():
        for r, _ in pending:
            problems.add(r.where, f"'{r.activity}' starts but never completes; add its complete entry")
    problems.raise_if_any()
    return out


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


def _event(r: Row, start: float, end: float | None, kinds: KindResolver, labels: dict[str, Kind]) -> Event:
    f = r.fields
    kind_text = f.get("kind", "")
    kind = (kinds.mapping.get(norm_key(r.activity)) or (kinds.lookup(kind_text) if kind_text else None)
            or kinds.lookup(r.activity) or labels.get(norm_key(r.activity)))
    if kind is None:
        raise ValidationError(f"activity '{r.activity}' maps to no kind; add a kind column or map it "
                              f"(--map '{r.activity}=MOT')")
    label = f["label"] if "label" in f else ("" if kinds.lookup(r.activity) == kind else r.activity)
    return Event(
        kind=kind, start_s=start, end_s=end, label=label, emotion=f.get("emotion") or None, id="",
        **{k: f.get(k, "") for k in TEXT if k != "label"},
    )
