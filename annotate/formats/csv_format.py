"""The event CSV: one row per event, stable documented columns, safe to open in a spreadsheet.

Columns, in this order (see also docs/formats.md):

============  ==================================================================
recording     the recording's title (its file name when it has no title)
recording_id  the recording's id in the store
event_id      the event's id (32 hex characters); kept on import, so importing
              the same file again adds nothing
kind          ``moment_of_truth``, ``internal_interaction`` or ``decision_point``
kind_short    MOT, INT or DEC
start_s       seconds from the recording's first frame, three decimals
end_s         end of a duration event, blank for a point event
duration_s    end_s - start_s, blank for a point event
start_tc      start_s as ``HH:MM:SS.mmm``
end_tc        end_s as ``HH:MM:SS.mmm``, blank for a point event
frame         index of the frame shown at start_s (first frame = 0; blank if the
              frame rate is unknown)
label         the reviewer's label (codebook label or free text)
stage         journey stage
channel       method of interaction
actor         customer, frontline, back office, system, ...
expectation   what the customer expected
emotion       -2 .. 2, blank if not rated
reviewer      who made the event
note          free text
created_at    ISO 8601 UTC, e.g. ``2024-05-01T12:30:00.000Z``
updated_at    ISO 8601 UTC
============  ==================================================================

Encoding: UTF-8 with a byte-order mark (Excel needs it to show non-ASCII text),
comma-separated, CRLF line ends, cells quoted when they hold a comma, quote or
line break.

Spreadsheet safety: a text cell that starts with ``= + - @``, a tab or a
carriage return (which a spreadsheet would run as a formula) gets an apostrophe
in front, and so does a text cell that already starts with an apostrophe.
Numeric columns (times, frame, emotion, ids) are written from numbers and never
prefixed, so ``-2`` stays a number. Import removes exactly one apostrophe when
it is followed by one of those characters (or another apostrophe), so every
text comes back unchanged; an apostrophe followed by anything else is kept.

Import reads this layout back and also any smaller file: only a ``kind`` column
and a start column are required. Column names are matched without regard to
case, spaces or underscores; accepted names: kind (type, event_type,
category), start_s (start, time, start_time, start_tc, timecode), end_s (end,
stop, end_time, end_tc), duration_s (duration), event_id (id), note (notes,
comment), and the other columns by their names. ``start_s``/``end_s`` win over
the derived ``start_tc``/``end_tc``/``duration_s``/``frame`` when both are
present. Kinds may be written as MOT, "moment of truth", red, #D62728, ... or
mapped with ``mapping``. Times may be seconds (``62.5``) or timecodes
(``00:01:02.500``). The file may be UTF-8 with or without a BOM (or UTF-16 with
a BOM) and separated by commas, semicolons or tabs (seen from the header).
If the file holds events of several recordings, only the rows whose
``recording_id`` or ``recording`` names the target recording are imported.
Import is all or nothing: every bad row is reported with its line number.
"""

from __future__ import annotations

import csv
import io
from bisect import bisect_right
from fractions import Fraction
from itertools import compress
from operator import attrgetter, itemgetter
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from ..errors import FormatError, ValidationError
from ..model import Event, Kind, Recording
from ..timebase import parse_time, time_to_ms
from . import columns as colwise
from .csv_write import TEXT_FIELDS, csv_rows
from .common import (
    BOM,
    Importer,
    KindResolver,
    CsvLines,
    FREE_TEXT_CELL,
    FREE_TEXT_FIELDS,
    SHORT_CELL,
    Problems,
    TextCells,
    as_recordings,
    csv_cell_writer,
    decode_text,
    iso_utc,
    norm_key,
    one_line,
    parse_iso,
    recording_fps,
    recording_name,
    refuse_long_cells,
    unneutralise,
    utf8_body,
)

NAME = "csv"
TITLE = "Event CSV (spreadsheets, BI tools)"
SUFFIXES = (".csv",)
MEDIA_TYPE = "text/csv"

COLUMNS: tuple[str, ...] = (
    "recording",
    "recording_id",
    "event_id",
    "kind",
    "kind_short",
    "start_s",
    "end_s",
    "duration_s",
    "start_tc",
    "end_tc",
    "frame",
    "label",
    "stage",
    "channel",
    "actor",
    "expectation",
    "emotion",
    "reviewer",
    "note",
    "created_at",
    "updated_at",
)

# Field -> accepted header names (folded by _header_key), best first.
_ALIASES: dict[str, tuple[str, ...]] = {
    "recording": ("recording", "recording name", "video"),
    "recording_id": ("recording id",),
    "event_id": ("event id", "id", "uuid"),
    "kind": ("kind", "type", "event type", "event kind", "category"),
    "start": ("start s", "start", "start time", "time", "time s", "start tc", "timecode", "tc"),
    "end": ("end s", "end", "end time", "stop", "stop s", "end tc"),
    "duration": ("duration s", "duration"),
    "frame": ("frame", "start frame"),
    "label": ("label",),
    "stage": ("stage", "journey stage"),
    "channel": ("channel",),
    "actor": ("actor",),
    "expectation": ("expectation",),
    "emotion": ("emotion",),
    "reviewer": ("reviewer",),
    "note": ("note", "notes", "comment"),
    "created_at": ("created at", "created"),
    "updated_at": ("updated at", "updated"),
}
_TEXT_FIELDS = ("label", "stage", "channel", "actor", "expectation", "reviewer", "note")


# --- export -----------------------------------------------------------------------


def dumps(
    events: Iterable[Event],
    recordings: Mapping[int, Recording] | Iterable[Recording] | None = None,
    *,
    codebook: Any = None,
    bom: bool = True,
    delimiter: str = ",",
    frame_times: Mapping[int, Sequence[float]] | None = None,
) -> bytes:
    """Return the event CSV (UTF-8, BOM unless ``bom=False``) for ``events``, one row each, in the given order.

    ``recordings`` (by id) give the recording name and frame rate for the
    ``recording`` and ``frame`` columns; ``frame_times`` (recording id -> sorted
    frame times) makes ``frame`` exact for variable-frame-rate recordings.
    ``delimiter`` may be ``;`` for spreadsheets set to a comma-decimal locale.
    ``codebook`` is not needed (accepted for a uniform signature).
    """
    if delimiter not in (",", ";", "\t"):
        raise ValidationError(f"delimiter {delimiter!r} is not supported; use ',', ';' or a tab")
    head = ((BOM if bom else "") + delimiter.join(COLUMNS) + "\r\n").encode("utf-8")
    events = events if isinstance(events, list) else list(events)
    return head + csv_rows(events, as_recordings(recordings), frame_times or {}, delimiter)


# --- import -----------------------------------------------------------------------


def loads(
    data: bytes | str,
    *,
    recording: Recording,
    mapping: Mapping[str, Any] | Iterable[str] | None = None,
    codebook: Any = None,
    source: str = "events.csv",
    frame_times: Sequence[float] | None = None,
) -> list[Event]:
    """Return the validated events of ``recording`` in an event CSV (this layout or a smaller one).

    ``mapping`` maps kind texts of the file to kinds (``{"purple": "MOT"}``).
    ``frame_times`` (the recording's sorted frame times) is used only for a
    file that gives a ``frame`` column and no start time.
    Raises FormatError listing every bad line (``"events.csv line 7: ..."``);
    then nothing is returned. A cell longer than docs/formats.md allows
    (a note 64 KB, a label 1 KB) refuses the file before its cells are read.
    """
    data = _refuse_long_cells(data, source)
    with colwise.no_gc():
        fast = _loads_columns(data, recording, mapping, source)
    if fast is not None:
        return fast
    problems = Problems(source)
    text = decode_text(data, problems)
    if not text.strip():
        problems.fail(None, "is empty; an event CSV needs a header line with at least kind,start_s")
    delimiter = _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    raw: list[list[str]] = []
    broken = None
    try:
        raw.extend(reader)  # rows read before a csv.Error stay in ``raw``
    except csv.Error as exc:
        broken = exc
    # A cell may hold line breaks, so the line a row starts on is counted only when a message needs it.
    lines = CsvLines(text, delimiter, len(raw))
    broken_at = None
    if broken is not None:
        # The rest of the file cannot be split reliably: report the rows read so far, then this.
        broken_at = (f"line {lines.after_last()}", f"cannot be split into cells ({broken}); put quotes around a "
                                                  "whole cell and double the quotes inside it, or the file is cut short")
    rows = list(compress(range(len(raw)), map(any, raw)))  # indexes of the rows that are not blank
    if not rows:
        if broken_at:
            problems.fail(*broken_at)
        problems.fail(None, "is empty; an event CSV needs a header line with at least kind,start_s")
    header = raw[rows[0]]
    cols = _columns(header, problems, lambda: lines.place(rows[0]))
    body = _select_rows(raw, rows[1:], cols, recording, problems)
    events = _events(raw, body, cols, len(header), recording, KindResolver(mapping), frame_times, problems, lines)
    if broken_at:
        problems.add(*broken_at)
    problems.raise_if_any()
    return events


def plain_header(data: bytes | str, source: str) -> tuple[Any, str, list[str], dict[str, int]] | None:
    """Return ``(UTF-8 body, delimiter, header cells, field -> column)`` of a file the column readers take.

    None when pyarrow is missing, or the file does not start with a plain UTF-8
    header of known columns that has a start column: the row-by-row reader then
    reads it (and writes any message).
    """
    if colwise.arrow() is None:
        return None
    body = colwise.utf8_body(data)
    first = None if body is None else colwise.plain_first_line(body)
    if first is None:
        return None
    delimiter = _sniff_delimiter(first)
    header = first.split(delimiter)
    try:
        cols = _columns(header, Problems(source), str)
    except FormatError:
        return None
    return (body, delimiter, header, cols) if "start" in cols else None


def _loads_columns(data: bytes | str, recording: Recording, mapping: Any, source: str) -> list[Event] | None:
    """Return what ``loads`` returns for a valid file, read a whole column at a time; None to read it row by row.

    Handles a file that starts with its header (UTF-8), has a start column of
    plain seconds, one recording, ISO times at UTC and every row valid as it
    stands; anything else (and every error) goes through the row-by-row path.
    """
    plain = plain_header(data, source)
    if plain is None:
        return None
    body, delimiter, header, cols = plain
    wanted = sorted(set(cols.values()))
    table = colwise.csv_table(body, delimiter, len(header), wanted)
    if table is None or table.num_rows - 1 < colwise.MIN_EVENTS:
        return None
    if any(table.column(f"f{i}")[0].as_py() != header[i] for i in wanted):
        return None
    table = table.slice(1)
    count = table.num_rows

    def column(name: str) -> Any:
        return table.column(f"f{cols[name]}")

    for name in ("recording_id", "recording"):
        if name in cols and colwise.distinct_count(column(name)) > 1:
            return None  # several recordings: the row-by-row path picks this one's rows
    out = column_values(column, cols, KindResolver(mapping))
    if out is None:
        return None
    raw_ids = column("event_id").to_pylist() if "event_id" in cols else None
    hex_ids = raw_ids is not None and colwise.all_match(column("event_id"), "^[0-9a-f]{32}$")
    sink = Importer(recording, Problems(source))
    return sink.events if sink.add_columns(out, range(count), raw_ids, hex_ids) else None


def column_values(column: Callable[[str], Any], cols: dict[str, int], resolve: KindResolver) -> dict[str, list] | None:
    """Return the Event field values of a table's cells, a whole column at a time (field -> list), or None.

    ``column(name)`` gives the Arrow string column of field ``name`` of ``cols``.
    None when a cell is one only the row-by-row path reads or rejects (a
    timecode, a bad kind, times of day not at UTC, a duration without an end, ...).
    """
    try:
        out: dict[str, list[Any]] = {"kind": colwise.map_unique(column("kind"), lambda c: resolve(unneutralise(c)))}
        out["start_s"] = colwise.seconds_column(column("start"), blank_is_none=False)
        if out["start_s"] is None:
            return None
        if "end" in cols:
            out["end_s"] = colwise.seconds_column(column("end"), blank_is_none=True)
            if out["end_s"] is None:
                return None
        if "duration" in cols:  # a duration only counts where the end is blank
            durations = column("duration")
            given = colwise.all_match(durations, "^$") if "end" not in cols else not colwise.any_where(
                column("end"), "^$", durations, ".")
            if not given:
                return None
        for name in _TEXT_FIELDS:
            if name in cols:
                out[name] = colwise.map_unique(column(name), unneutralise)
        if "emotion" in cols:
            out["emotion"] = colwise.map_unique(
                column("emotion"), lambda c: _EMOTIONS[c] if c in _EMOTIONS else (unneutralise(c).strip() or None))
        for name in ("created_at", "updated_at"):
            if name in cols:
                out[name] = colwise.iso_column(column(name).to_pylist())
                if out[name] is None:
                    return None
    except ValidationError:
        return None
    return out


# How messages name a field's cell (the others by their field name).
_CELL_NAMES = {"start": "start_s", "end": "end_s", "duration": "duration_s"}


def _refuse_long_cells(data: bytes | str, source: str) -> bytes | str:
    """Raise FormatError for a cell over its limit (by line and column); return the file (UTF-16 as UTF-8 bytes)."""
    body = utf8_body(data)
    if body is None:
        return data  # not text: decode_text names the bad byte
    head = bytes(body[: 1 << 16]).decode("utf-8", "replace")
    delimiter = _sniff_delimiter(head)
    try:
        header = next(csv.reader(io.StringIO(head, newline=""), delimiter=delimiter))
        fields = {i: f for f, i in _columns(header, Problems(source), str).items()}
    except (csv.Error, StopIteration, FormatError):
        header, fields = [], {}
    limits = []
    for i, name in enumerate(header):
        field = fields.get(i)
        if field is None:
            limits.append((f"'{one_line(name, 40)}' cell", FREE_TEXT_CELL))  # an ignored column: any text
        else:
            limits.append((_CELL_NAMES.get(field, field), FREE_TEXT_CELL if field in FREE_TEXT_FIELDS else SHORT_CELL))
    refuse_long_cells(body, delimiter, Problems(source), limits, ("cell right of the header's columns", SHORT_CELL))
    return body if isinstance(data, bytes) and data.startswith((b"\xff\xfe", b"\xfe\xff")) else data


def _sniff_delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _header_key(name: str) -> str:
    key = norm_key(unneutralise(name).lstrip(BOM))
    for unit in (" (s)", "(s)", " [s]"):
        if key.endswith(unit):
            key = key[: -len(unit)].strip() + " s"
    return key


def _columns(header: list[str], problems: Problems, where: Callable[[], str]) -> dict[str, int]:
    index: dict[str, int] = {}
    for i, name in enumerate(header):
        index.setdefault(_header_key(name), i)
    cols: dict[str, int] = {}
    for field, names in _ALIASES.items():
        for name in names:
            if name in index:
                cols[field] = index[name]
                break
    missing = [f for f in ("kind", "start") if f not in cols and not (f == "start" and "frame" in cols)]
    if missing:
        shown = ",".join(h.strip() for h in header)[:80]
        problems.fail(
            where(),
            f"no {' or '.join(m if m == 'kind' else 'start_s' for m in missing)} column in the header '{shown}'; "
            "an event CSV needs at least kind,start_s",
        )
    return cols


def _select_rows(raw: list[list[str]], rows: list[int], cols, recording: Recording, problems: Problems) -> list[int]:
    """Keep the target recording's rows when the file holds events of several recordings."""
    rid_col, name_col = cols.get("recording_id"), cols.get("recording")
    if rid_col is None and name_col is None:
        return rows

    def key(row: list[str]) -> tuple[str, str]:
        rid = row[rid_col].strip() if rid_col is not None and rid_col < len(row) else ""
        name = unneutralise(row[name_col].strip()) if name_col is not None and name_col < len(row) else ""
        return rid, name

    try:  # the usual case, one recording: the same cells on every row
        distinct = set(map(itemgetter(*(c for c in (rid_col, name_col) if c is not None)), map(raw.__getitem__, rows)))
    except IndexError:  # a row cut short (reported later)
        distinct = None
    if distinct is not None and len(distinct) <= 1:
        return rows
    keys = {key(raw[i]) for i in rows}
    if len(keys) <= 1:
        return rows
    names = {n for n in (recording.title, recording.path, recording_name(recording)) if n}
    rid = "" if recording.id is None else str(recording.id)
    mine = [i for i in rows if (rid and key(raw[i])[0] == rid) or key(raw[i])[1] in names]
    if not mine:
        listed = ", ".join(sorted(f"{n or '?'} (id {i or '?'})" for i, n in keys))[:160]
        problems.fail(
            None,
            f"holds events of {len(keys)} recordings ({listed}) and none is '{recording_name(recording)}'"
            f" (id {rid or '?'}); export one recording per file or name it in the recording column",
        )
    return mine


# Emotion cells as this tool writes them; anything else goes through parse_emotion.
_EMOTIONS = {"": None, "-2": -2, "-1": -1, "0": 0, "1": 1, "2": 2}


def _events(raw, rows, cols, width, recording: Recording, kinds: KindResolver, frame_times, problems: Problems,
            lines: CsvLines) -> list[Event]:
    sink = Importer(recording, problems, lines.place, defer=True)
    fps = recording_fps(recording)
    get = {f: cols.get(f) for f in _ALIASES}
    kind_col, end_col, duration_col = get["kind"], get["end"], get["duration"]
    # A missing column reads as the empty cell appended to every row below (index -1).
    start_col = -1 if get["start"] is None else get["start"]
    emotion_col, id_col = get["emotion"], get["event_id"]
    created_col, updated_col = get["created_at"], get["updated_at"]
    texts_of = itemgetter(*(-1 if get[f] is None else get[f] for f in _TEXT_FIELDS))
    kind_cache: dict[str, Kind] = {}
    rid = recording.id
    emotions = _EMOTIONS
    pad = start_col == -1 or any(get[f] is None for f in _TEXT_FIELDS)
    for index in rows:
        row = raw[index]
        if len(row) != width:
            if len(row) < width:
                problems.add(lines.place(index), f"has {len(row)} cells but the header has {width}; the row is cut "
                                                 "short (add empty cells for missing values)")
                continue
            if any(c.strip() for c in row[width:]):
                problems.add(lines.place(index), f"has {len(row)} cells but the header has {width}; "
                                                 "quote cells that contain the separator")
                continue
        if pad:
            row.append("")
        try:
            cell = row[kind_col]
            kind = kind_cache.get(cell)
            if kind is None:
                kind = kind_cache[cell] = kinds(unneutralise(cell))
            cell = row[start_col]
            if cell:
                try:
                    start = float(cell)
                except ValueError:
                    start = -1.0
                start = round(start, 3) if 0 <= start < _INF else _seconds("start_s", cell)
            else:
                start = _start(row, get, fps, frame_times)
            end = None
            if end_col is not None and row[end_col]:
                cell = row[end_col]
                try:
                    end = float(cell)
                except ValueError:
                    end = -1.0
                end = round(end, 3) if 0 <= end < _INF else _seconds("end_s", cell)
            elif duration_col is not None and row[duration_col].strip():
                end = round(start + _seconds("duration_s", row[duration_col]), 3)
            label, stage, channel, actor, expectation, reviewer, note = texts_of(row)
            if "'" in label + stage + channel + actor + expectation + reviewer + note:
                label, stage, channel, actor, expectation, reviewer, note = map(
                    unneutralise, (label, stage, channel, actor, expectation, reviewer, note))
            if emotion_col is None:
                emotion = None
            else:
                cell = row[emotion_col]
                emotion = emotions[cell] if cell in emotions else (unneutralise(cell).strip() or None)
            created = parse_iso("created_at", row[created_col]) if created_col is not None else None
            updated = parse_iso("updated_at", row[updated_col]) if updated_col is not None else None
        except ValidationError as exc:
            problems.add(lines.place(index), exc)
            continue
        sink.add(
            Event(kind, start, rid, end, label, stage, channel, actor, expectation, emotion, note, reviewer, "",
                  created, updated),
            index,
            row[id_col] if id_col is not None else None,
        )
    return sink.finish()



def _seconds(name: str, cell: str) -> float:
    try:
        value = float(cell)
        if 0 <= value < _INF:
            return round(value, 3)
    except ValueError:
        pass
    text = unneutralise(cell).strip()
    if text.startswith("-"):
        raise ValidationError(f"{name} {text} is negative; times count from the first frame at 0")
    try:
        return parse_time(text)
    except ValidationError as exc:
        raise ValidationError(f"{name} {exc}") from None


_INF = float("inf")


def _start(row: list[str], get: dict, fps: Fraction | None, frame_times) -> float:
    col = get["start"]
    if col is not None and row[col].strip():
        return _seconds("start_s", row[col])
    frame_col = get["frame"]
    if frame_col is not None and row[frame_col].strip():
        text = row[frame_col].strip()
        if not text.isdigit():
            raise ValidationError(f"frame '{text}' is not a frame number (0, 1, 2, ...)")
        index = int(text)
        if frame_times is not None:
            if index >= len(frame_times):
                raise ValidationError(f"frame {index} is past the recording's last frame {len(frame_times) - 1}")
            return time_to_ms(frame_times[index]) / 1000
        if fps is None:
            raise ValidationError("a frame number needs the recording's frame rate; give start_s instead")
        return time_to_ms(Fraction(index) / fps) / 1000
    raise ValidationError("start_s is empty; every event needs a start time")
