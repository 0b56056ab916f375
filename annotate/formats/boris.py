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

from ..errors import ValidationError
from ..model import Codebook, Event, Kind, Recording, drop_control
from ..timebase import frames_at_ms, seconds_from_ms
from .ordering import ms_from_seconds
from . import columns as colwise
from .kind_names import kind_for_name
from .table_rows import split_rows
from .common import (
    BOM,
    CsvLines,
    Importer,
    KindResolver,
    Problems,
    TextCells,
    as_recordings,
    decode_text,
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

    The one path: the text split into rows of cells that know their lines
    (:func:`_parse`), the rows of this recording's observation read a column
    at a time (:func:`_values`), then the importer's column validation.
    Raises FormatError listing every bad row by line number (e.g. a behaviour
    that maps to no kind: pass ``mapping={"Grooming": "MOT"}``).
    """
    problems = Problems(source)
    with colwise.no_gc():
        text = decode_text(data, problems)
        if not text.strip():
            problems.fail(None, _EMPTY)
        raw, lines, col, top = _parse(text, problems)
        width = len(raw[top])
        body = _select(raw, [i for i in range(top + 1, len(raw)) if any(map(str.strip, raw[i]))], col, recording,
                       problems)
        left_out: dict[int, Any] = {i: f"has {len(raw[i])} cells but the header has {width}; the row is cut short"
                                    for i in body if len(raw[i]) < width}
        wheres = [i for i in body if i not in left_out] if left_out else body
        described = col.get("description")
        ours = described is not None and MARKER in {_clean(raw[i][described]) for i in body if len(raw[i]) > described}
        read = _RowReader(col, KindResolver(mapping), label_kinds(codebook), ours)
        values, odd = _values([raw[i] for i in wheres], col, read)
        bad: dict[int, Exception] = {}
        for k in odd:  # row by row only to name what is wrong
            try:
                row_values = read(raw[wheres[k]])
            except ValidationError as exc:
                bad[k] = exc
                continue
            for name, value in zip(_ROW_FIELDS, row_values):
                values[name][k] = value
        sink = Importer(recording, problems, lines.place)
        sink.add_values(values, bad, wheres, left_out=left_out)
    problems.raise_if_any()
    return sink.events


_EMPTY = "is empty; expected a BORIS aggregated events table"
_TYPES = frozenset(("", "POINT", "STATE"))
_BAD = float("nan")  # a time that cannot be read: NaN, so the sums with it fail ``>= 0`` too


def _parse(text: str, problems: Problems) -> tuple[list[list[str]], CsvLines, dict[str, int], int]:
    """Return a table's rows of cells, the lines they start on, its columns (name -> index) and its header's row.

    The header is the first row that is not blank. Raises FormatError
    (through ``problems``) for a file that is no aggregated-events table.
    """
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") >= first.count(",") else ","
    raw, lines = split_rows(text, delimiter, problems)
    top = next((i for i, row in enumerate(raw) if any(map(str.strip, row))), None)
    if top is None:
        problems.fail(None, _EMPTY)
    header = [norm_key(h.lstrip(BOM)) for h in raw[top]]
    col = {name: i for i, name in reversed(list(enumerate(header)))}
    if "status" in col and "start (s)" not in col:
        problems.fail("line 1", "is a BORIS events export (START/STOP rows); export 'aggregated events' from BORIS")
    for need in ("behavior", "start (s)"):
        if need not in col:
            problems.fail("line 1", f"has no '{need.capitalize()}' column; expected BORIS aggregated events "
                                    "(Behavior, Behavior type, Start (s), Stop (s), ...)")
    return raw, lines, col, top


def _values(rows: list[list[str]], col: dict[str, int], read: "_RowReader") -> tuple[dict[str, list[Any]], list[int]]:
    """Return the event fields (:data:`_ROW_FIELDS` -> values) of full rows read a column at a time, and the odd rows.

    An odd row (its index) is one that cannot be read as it stands; its
    values are placeholders, and ``read`` (row by row) says what is wrong.
    """
    count = len(rows)

    def cells(name: str) -> list[str]:
        i = col.get(name)
        return [""] * count if i is None else list(map(itemgetter(i), rows))

    text = read.text
    behaviors = list(map(text.__getitem__, cells("behavior")))
    chosen = list(map(read.kind, behaviors, map(text.__getitem__, cells("behavioral category"))))
    offsets = _each_once(lambda cell: _offset(text[cell]), cells("time offset (s)"))
    types = _each_once(lambda cell: text[cell].upper(), cells("behavior type"))
    starts, ends, odd = [], [], []
    for k, (behavior, (kind, _), offset, start, stop, btype) in enumerate(zip(
            behaviors, chosen, offsets, map(_seconds_or_bad, map(_clean, cells("start (s)"))), map(_clean, cells("stop (s)")),
            types)):
        end = None
        if stop and btype != "POINT":
            end = _seconds_or_bad(stop) - offset
            if btype == "" and abs(end - (start - offset)) < 0.0005:
                end = None
        start -= offset
        if (not behavior or kind is None or btype not in _TYPES or not start >= 0
                or (end is not None and not end >= 0)):
            odd.append(k)
            start, end = 0.0, None
        starts.append(round(start, 3))
        ends.append(None if end is None else round(end, 3))
    ours = read.ours
    values = {
        "kind": [kind for kind, _ in chosen], "start_s": starts, "end_s": ends,
        "label": [("" if plain else b) for (_, plain), b in zip(chosen, behaviors)],
        "stage": list(map(text.__getitem__, cells("modifier #1"))) if ours else [""] * count,
        "channel": list(map(text.__getitem__, cells("modifier #2"))) if ours else [""] * count,
        "actor": ["" if s == NO_SUBJECT else s for s in map(text.__getitem__, cells("subject"))],
        "note": list(map(_clean, cells("comment start"))),
    }
    return values, odd


def _each_once(read: Any, cells: list[str]) -> list[Any]:
    """Return ``read`` of every cell, calling it once for each distinct cell."""
    found = {cell: read(cell) for cell in set(cells)}
    return list(map(found.__getitem__, cells))


def _offset(text: str) -> float:
    """Return a cleaned time offset in seconds (blank: 0), or NaN when it is no number."""
    try:
        return float(text) if text else 0.0
    except ValueError:
        return _BAD


def _seconds_or_bad(text: str) -> float:
    """Return a cleaned time cell's seconds, or NaN when it is blank, no number or negative (the row reader says which)."""
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        return _BAD
    return value if value >= 0 else _BAD


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
