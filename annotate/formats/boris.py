"""BORIS "aggregated events" tables (TSV or CSV): import with a behaviour-to-kind mapping, and export.

BORIS (behavioural observation software) exports one row per coded event with
the columns ``Observation id``, ``Observation date``, ``Description``,
``Observation type``, ``Source``, ``Time offset (s)``, ``Coding duration``,
``Media duration (s)``, ``FPS (frame/s)``, ``Subject``, ``Observation duration by
subject by observation``, ``Behavior``, ``Behavioral category``, ``Modifier #1``...,
``Behavior type`` (POINT or STATE), ``Start (s)``, ``Stop (s)``, ``Duration (s)``,
``Media file name``, ``Image index start``, ``Image index stop``,
``Image file path start``, ``Image file path stop``, ``Comment start``,
``Comment stop`` (older versions: ``Media file``, ``Total length``, ``FPS``,
``Modifiers``). Missing values are ``NA``.

Import: a row's kind comes from the ``mapping`` (behaviour -> kind), else from
its ``Behavioral category`` or ``Behavior`` naming a kind (MOT, Moment of Truth,
...), else from the codebook's labels. The behaviour becomes the label (unless it
is just the kind's name), ``Subject`` the actor, ``Comment start`` the note;
STATE rows are duration events, POINT rows point events; ``Time offset (s)`` is
subtracted. Rows of other observations are skipped when the file holds several
and one is named like the recording.

Export writes the same layout (TSV; ``.boris.csv`` gives commas): Observation id
= the recording's name, Behavior = the label (the kind's title when there is
none), Behavioral category = the kind's title, Subject = actor,
``Modifier #1``/``#2`` = stage/channel, Comment start = note. Kind, times,
label, actor, stage, channel and note round-trip.
"""

from __future__ import annotations

import csv
import functools
import io
from operator import itemgetter
from typing import Any, Iterable, Mapping

import pyarrow as pa
import pyarrow.compute  # noqa: F401 - pa.compute

from ..errors import ValidationError
from ..model import Codebook, Event, Kind, Recording, drop_control
from ..timebase import frames_at_ms, seconds_from_ms
from .ordering import ms_from_seconds
from . import columns as colwise
from .kind_names import kind_for_name
from .table_rows import split_rows
from .common import (
    BOM,
    Importer,
    KindResolver,
    Problems,
    TextCells,
    as_recordings,
    label_kinds,
    neutralise,
    norm_key,
    recording_fps,
    recording_name,
    unneutralise,
)

NAME = "boris"
TITLE = "BORIS aggregated events (TSV)"
SUFFIXES = (".tsv", ".boris.tsv", ".boris.csv")
MEDIA_TYPE = "text/tab-separated-values"

MARKER = "exported by cx-annotate"
NO_SUBJECT = "No focal subject"
COLUMNS = (
    "Observation id", "Observation date", "Description", "Observation type", "Source", "Time offset (s)",
    "Coding duration", "Media duration (s)", "FPS (frame/s)", "Subject",
    "Observation duration by subject by observation", "Behavior", "Behavioral category", "Modifier #1",
    "Modifier #2", "Behavior type", "Start (s)", "Stop (s)", "Duration (s)", "Media file name",
    "Image index start", "Image index stop", "Image file path start", "Image file path stop", "Comment start",
    "Comment stop",
)


def options_for_path(path: str) -> dict[str, Any]:
    """Return export options a file name implies: commas for ``.csv``."""
    return {"delimiter": ","} if str(path).lower().endswith(".csv") else {}


def dumps(
    events: Iterable[Event],
    recordings: Mapping[int, Recording] | Iterable[Recording] | None = None,
    *,
    codebook: Codebook | None = None,
    delimiter: str = "\t",
) -> bytes:
    """Return a BORIS aggregated-events table (UTF-8, tab-separated unless ``delimiter=","``)."""
    recs = as_recordings(recordings)
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    cell = TextCells(neutralise)
    ctx: dict[Any, tuple] = {}

    def rows():
        for ev in events:
            rid = ev.recording_id
            if rid not in ctx:
                rec = recs.get(rid)
                fps = recording_fps(rec)
                ctx[rid] = (
                    neutralise(recording_name(rec)) or f"recording {rid}",
                    rec.created_at.strftime("%Y-%m-%d %H:%M:%S") if rec is not None and rec.created_at else "",
                    f"player #1:{drop_control(rec.path)}" if rec is not None else "",
                    f"{rec.duration_s:.3f}" if rec is not None and rec.duration_s else "NA",
                    f"{float(fps):.2f}" if fps else "NA",
                    drop_control(rec.path) if rec is not None else "",
                    fps or None,
                )
            obs, date, src, duration, fps_text, media, rate = ctx[rid]
            kind = ev.kind if isinstance(ev.kind, Kind) else Kind(str(ev.kind))
            start = ms_from_seconds(ev.start_s)
            point = ev.end_s is None
            stop = start if point else ms_from_seconds(ev.end_s)
            frames = ("NA", "NA") if rate is None else (str(frames_at_ms(start, rate)), str(frames_at_ms(stop, rate)))
            yield (
                obs, date, MARKER, "Media file", src, "0.000", "NA", duration, fps_text,
                cell[ev.actor] or NO_SUBJECT, "NA", cell[ev.label] or kind.title, kind.title,
                cell[ev.stage], cell[ev.channel], "POINT" if point else "STATE",
                f"{seconds_from_ms(start):.3f}", f"{seconds_from_ms(stop):.3f}",
                "NA" if point else f"{seconds_from_ms(stop - start):.3f}",
                media, frames[0], frames[1], "NA", "NA", cell[ev.note], "",
            )

    writer.writerows(rows())
    return buf.getvalue().encode("utf-8")


def loads(data: bytes | str, *, recording: Recording, mapping: Mapping[str, Any] | Iterable[str] | None = None,
          codebook: Codebook | None = None, source: str = "events.tsv") -> list[Event]:
    """Return the validated events of a BORIS aggregated-events table for ``recording``.

    Raises FormatError listing every bad row by line number (e.g. a behaviour
    that maps to no kind: pass ``mapping={"Grooming": "MOT"}``).
    """
    return colwise.quick_or_rows(data, source, _EMPTY, lambda: _loads_columns(data, recording, mapping, codebook, source),
                                 lambda text, problems: _loads_rows(text, problems, recording, mapping, codebook))


_EMPTY = "is empty; expected a BORIS aggregated events table"


def _loads_rows(text: str, problems: Problems, recording: Recording, mapping: Mapping[str, Any] | Iterable[str] | None,
                codebook: Codebook | None) -> list[Event]:
    """Return the validated events of a table's text, read row by row; raises FormatError listing every bad row."""
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") >= first.count(",") else ","
    raw, lines = split_rows(text, delimiter, problems)
    rows = [i for i, row in enumerate(raw) if any(map(str.strip, row))]  # the rows that are not blank
    if not rows:
        problems.fail(None, _EMPTY)
    header = [norm_key(h.lstrip(BOM)) for h in raw[rows[0]]]
    col = {name: i for i, name in reversed(list(enumerate(header)))}
    if "status" in col and "start (s)" not in col:
        problems.fail("line 1", "is a BORIS events export (START/STOP rows); export 'aggregated events' from BORIS")
    for need in ("behavior", "start (s)"):
        if need not in col:
            problems.fail("line 1", f"has no '{need.capitalize()}' column; expected BORIS aggregated events "
                                    "(Behavior, Behavior type, Start (s), Stop (s), ...)")
    width = len(header)
    body = _select(raw, rows[1:], col, recording, problems)
    ours = any(_cell(raw[i], col, "description") == MARKER for i in body)
    read = _RowReader(col, KindResolver(mapping), label_kinds(codebook), ours)
    rows_read: list[tuple[Any, ...]] = []
    wheres: list[int] = []
    left_out: dict[int, Any] = {}
    for i in body:
        row = raw[i]
        if len(row) < width:
            left_out[i] = f"has {len(row)} cells but the header has {width}; the row is cut short"
            continue
        try:
            rows_read.append(read(row))
        except ValidationError as exc:
            left_out[i] = exc
            continue
        wheres.append(i)
    columns = list(zip(*rows_read)) or [()] * len(_ROW_FIELDS)
    sink = Importer(recording, problems, lines.place)
    sink.add_values({name: list(values) for name, values in zip(_ROW_FIELDS, columns)}, {}, wheres,
                    left_out=left_out)
    problems.raise_if_any()
    return sink.events


def _loads_columns(data: bytes | str, recording: Recording,
                   mapping: Mapping[str, Any] | Iterable[str] | None, codebook: Codebook | None,
                   source: str) -> list[Event] | None:
    """Return what ``loads`` returns for a valid table of one observation, read a column at a time; else None.

    Handles UTF-8 tables whose header is the first line, without a time
    offset, with start and stop times in plain seconds (stop ``NA`` or blank
    allowed) and every row valid; anything else goes through the row-by-row path.
    """
    body = colwise.utf8_body(data)
    first = None if body is None else colwise.plain_first_line(body)
    if first is None:
        return None
    delimiter = "\t" if first.count("\t") >= first.count(",") else ","
    header = [norm_key(h) for h in first.split(delimiter)]
    col = {name: i for i, name in reversed(list(enumerate(header)))}
    if "behavior" not in col or "start (s)" not in col or ("status" in col and "start (s)" not in col):
        return None
    wanted = sorted({col[name] for name in (*_FIELDS, "observation id", "description") if name in col})
    table = colwise.csv_table(body, delimiter, len(header), wanted)
    if table is None or table.num_rows < 2:
        return None
    table = table.slice(1)
    count = table.num_rows
    pc = pa.compute

    def cells(name: str) -> Any:
        return table.column(f"f{col[name]}") if name in col else None

    def cleaned(name: str) -> list[str]:
        array = cells(name)
        return [""] * count if array is None else colwise.map_unique(array, _clean)

    if "observation id" in col and colwise.distinct_count(cells("observation id")) > 1:
        return None
    if not all(_zero(offset) for offset in set(cleaned("time offset (s)"))):
        return None  # an offset moves every time: the row-by-row path does that arithmetic
    starts = colwise.seconds_column(cells("start (s)"), blank_is_none=False)
    stop_cells = cells("stop (s)")
    if stop_cells is None:
        stops: list[Any] = [None] * count
    else:
        stops = colwise.seconds_column(pc.if_else(pc.equal(stop_cells, "NA"), "", stop_cells), blank_is_none=True)
    if starts is None or stops is None:
        return None
    types = [t.upper() for t in cleaned("behavior type")]
    if set(types) - {"", "POINT", "STATE"}:
        return None
    behaviors, categories = cleaned("behavior"), cleaned("behavioral category")
    if "" in behaviors:
        return None
    reader = _RowReader(col, KindResolver(mapping), label_kinds(codebook), False)
    found = {pair: reader.kind(*pair) for pair in set(zip(behaviors, categories))}
    chosen = list(map(found.__getitem__, zip(behaviors, categories)))
    kinds = [kind for kind, _ in chosen]
    if None in kinds:
        return None
    ends = []
    for start, stop, btype in zip(starts, stops, types):
        if stop is None or btype == "POINT" or (btype == "" and abs(stop - start) < 0.0005):
            ends.append(None)
        else:
            ends.append(stop)
    ours = MARKER in set(cleaned("description"))
    subjects = cleaned("subject")
    columns = {
        "kind": kinds, "start_s": starts, "end_s": ends,
        "label": [("" if plain else b) for (_, plain), b in zip(chosen, behaviors)],
        "stage": cleaned("modifier #1") if ours else [""] * count,
        "channel": cleaned("modifier #2") if ours else [""] * count,
        "actor": ["" if s == NO_SUBJECT else s for s in subjects],
        "note": cleaned("comment start"),
    }
    sink = Importer(recording, Problems(source))
    return sink.events if sink.add_columns(columns, range(count)) else None


def _zero(text: str) -> bool:
    """Return True for a blank time offset or one of zero seconds."""
    try:
        return not text or float(text) == 0.0
    except ValueError:
        return False


def _cell(row: list[str], col: dict[str, int], name: str) -> str:
    i = col.get(name)
    if i is None or i >= len(row):
        return ""
    value = unneutralise(row[i].strip())
    return "" if value == "NA" else value


def _select(raw: list[list[str]], rows: list[int], col, recording: Recording, problems: Problems) -> list[int]:
    i = col.get("observation id")
    try:  # the usual case, one observation: the same cell on every row, cleaned once
        observations = {""} if i is None else set(map(_clean, set(map(itemgetter(i), map(raw.__getitem__, rows)))))
    except IndexError:  # a row cut short (reported later)
        observations = {_cell(raw[r], col, "observation id") for r in rows}
    if len(observations) <= 1:
        return rows
    # named as dumps names them: a path's control characters are left out of the file
    names = {norm_key(drop_control(n)) for n in (recording.title, recording_name(recording)) if n}
    media = norm_key(recording_name(Recording(path=recording.path)))

    def mine(row: list[str]) -> bool:
        media_cell = _cell(row, col, "media file name") or _cell(row, col, "media file")
        return norm_key(_cell(row, col, "observation id")) in names or (
            bool(media_cell) and norm_key(media_cell.replace("\\", "/").rsplit("/", 1)[-1]) == media)

    kept = [r for r in rows if mine(raw[r])]
    if not kept:
        listed = ", ".join(sorted(observations))[:120]
        problems.fail(None, f"holds {len(observations)} observations ({listed}) and none is named like "
                            f"'{recording_name(recording)}'; export that observation alone from BORIS")
    return kept


def _seconds(name: str, text: str) -> float:
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        raise ValidationError(f"{name} '{text}' is not a number of seconds") from None
    if value < 0:
        raise ValidationError(f"{name} {text} is negative; times count from the first frame at 0")
    return value


def _clean(value: str) -> str:
    """Return a cell's text: trimmed, without a spreadsheet-safety apostrophe, blank for ``NA``."""
    value = unneutralise(value.strip())
    return "" if value == "NA" else value


_FIELDS = ("behavior", "behavioral category", "time offset (s)", "start (s)", "stop (s)", "behavior type", "subject",
           "modifier #1", "modifier #2", "comment start")


_ROW_FIELDS = ("kind", "start_s", "end_s", "label", "stage", "channel", "actor", "note")


class _RowReader:
    """Read one row of an aggregated-events table into an (unvalidated) event."""

    def __init__(self, col: dict[str, int], kinds: KindResolver, labels: dict[str, Kind], ours: bool):
        # A column the table lacks reads as the empty cell appended to the row (index -1).
        self.pad = any(col.get(name) is None for name in _FIELDS)
        self.cells = itemgetter(*(-1 if col.get(name) is None else col[name] for name in _FIELDS))
        self.kinds = kinds
        self.labels = labels
        self.ours = ours
        self.text = TextCells(_clean)  # behaviours, categories, types, subjects repeat from row to row
        self.kind = functools.cache(self._kind)  # once per behaviour and category

    def _kind(self, behavior: str, category: str) -> tuple[Kind | None, bool]:
        """Return the kind of a behaviour (and category), and whether the behaviour is just the kind's name."""
        kind = kind_for_name(self.kinds, self.labels, behavior, category)
        return kind, kind is not None and norm_key(behavior) in {norm_key(kind.title), norm_key(kind.short),
                                                                 norm_key(kind.value)}

    def __call__(self, row: list[str]) -> tuple[Any, ...]:
        """Return the values (:data:`_ROW_FIELDS`) of one row; raises ValidationError for a row that cannot be read."""
        if self.pad:
            row = [*row, ""]
        (behavior, category, offset_text, start_text, stop_text, btype, subject, modifier1, modifier2,
         comment) = self.cells(row)
        text = self.text
        behavior, category = text[behavior], text[category]
        if not behavior:
            raise ValidationError("Behavior is empty")
        kind, plain = self.kind(behavior, category)
        if kind is None:
            raise ValidationError(f"behaviour '{behavior}' maps to no kind; map it (--map '{behavior}=MOT') "
                                  "or put MOT, INT or DEC in its behavioural category")
        offset_text = text[offset_text]
        try:
            offset = float(offset_text) if offset_text else 0.0
        except ValueError:
            raise ValidationError(f"Time offset (s) '{offset_text}' is not a number of seconds") from None
        start_text = _clean(start_text)
        if not start_text:
            raise ValidationError("Start (s) is empty (NA); every event needs a start time")
        start = _seconds("Start (s)", start_text) - offset
        stop_text = _clean(stop_text)
        btype = text[btype].upper()
        if btype not in ("", "POINT", "STATE"):
            raise ValidationError(f"Behavior type '{btype}' is neither POINT nor STATE")
        end = None
        if stop_text and btype != "POINT":
            end = _seconds("Stop (s)", stop_text) - offset
            if btype == "" and abs(end - start) < 0.0005:
                end = None
        if start < 0 or (end is not None and end < 0):
            raise ValidationError(f"time offset {offset} s puts the event before the recording's start")
        subject = text[subject]
        ours = self.ours
        return (kind, round(start, 3), None if end is None else round(end, 3), "" if plain else behavior,
                text[modifier1] if ours else "", text[modifier2] if ours else "",
                "" if subject == NO_SUBJECT else subject, _clean(comment))
