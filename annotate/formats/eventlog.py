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

import functools
from datetime import datetime
from itertools import compress
from typing import Any, Callable, Iterable, Mapping

import pyarrow as pa
import pyarrow.compute  # noqa: F401 - pa.compute

from ..errors import ValidationError
from ..model import Codebook, Event, Kind, Recording
from . import columns as colwise
from .common import (
    BOM,
    Problems,
    TextCells,
    as_recordings,
    csv_cell_writer,
    iso_utc,
    norm_key,
    parse_iso,
    unneutralise,
)
from .table_rows import split_rows
from .log_entries import Case, cases, entry_columns, seconds_cells, stamp_cells
from .log_table import LogTable, events_from_table
from .pairing import TEXT, Row, events_from_rows

NAME = "eventlog"
TITLE = "Process-mining event log (CSV)"
SUFFIXES = (".eventlog.csv",)
MEDIA_TYPE = "text/csv"

COLUMNS = (
    "case_id", "activity", "timestamp", "lifecycle", "event_id", "kind", "kind_short", "label", "stage",
    "channel", "actor", "expectation", "emotion", "note", "reviewer", "start_s", "end_s", "recording_id",
    "case_start",
)


def dumps(
    events: Iterable[Event],
    recordings: Mapping[int, Recording] | Iterable[Recording] | None = None,
    *,
    codebook: Codebook | None = None,
    epoch: datetime | None = None,
    bom: bool = True,
) -> bytes:
    """Return the flat CSV event log (UTF-8 with BOM, spreadsheet-safe text cells), one row per entry.

    Raises ValueError for an event whose kind is not a kind name.
    """
    events = events if isinstance(events, list) else list(events)
    out = [((BOM if bom else "") + ",".join(COLUMNS) + "\r\n").encode("utf-8")]
    with colwise.no_gc():
        out += [_case_rows(case) for case in cases(events, as_recordings(recordings), epoch)]
    return b"".join(out)


def _case_rows(case: Case) -> bytes:
    """Return the rows of one case's entries (CRLF after each), made a whole column at a time."""
    field = case.field
    entries = entry_columns(field)
    write = csv_cell_writer(",")
    quote = csv_cell_writer(",", neutralise=False)
    cell = TextCells(write)
    texts = {name: list(map(cell.__getitem__, field(name))) for name in TEXT}
    titles = {k: write(k.title) for k in Kind}
    activities = [c if c else titles[k] for c, k in zip(texts["label"], entries.kinds)]
    ids = field("id")
    per_event = [
        list(map(quote, ids)) if colwise.only_type(ids, str) else _plain_cells(ids, quote),
        [k.value for k in entries.kinds],
        [k.short for k in entries.kinds],
        *(texts[name] for name in ("label", "stage", "channel", "actor", "expectation")),
        _plain_cells(field("emotion"), quote),
        texts["note"],
        texts["reviewer"],
        seconds_cells(field("start_s"), entries.start_ms),
        colwise.blank_where(entries.point, seconds_cells([e or 0.0 for e in field("end_s")], entries.end_ms)),
        _plain_cells(field("recording_id"), quote),
    ]
    take = colwise.take
    cells = [
        write(case.name),
        take(colwise.text_array(activities), entries.event),
        stamp_cells(case.start, entries.ms),
        pa.compute.if_else(pa.array(entries.complete), "complete", "start"),
        *(take(colwise.text_array(c) if isinstance(c, list) else c, entries.event) for c in per_event),
        iso_utc(case.start),
    ]
    return colwise.join_lines(cells, ",", "\r\n")


def _plain_cells(values: list[Any], quote: Callable[[str], str]) -> list[str]:
    """Return the cells of values written as text (None as blank), each distinct value written once."""
    try:
        cells = {v: "" if v is None else quote(str(v)) for v in set(values)}
    except TypeError:  # an unhashable value
        return ["" if v is None else quote(str(v)) for v in values]
    return list(map(cells.__getitem__, values))


# --- import -----------------------------------------------------------------------


def loads(data: bytes | str, *, recording: Recording, mapping: Mapping[str, Any] | Iterable[str] | None = None,
          codebook: Codebook | None = None, source: str = "events.eventlog.csv",
          epoch: datetime | str | None = None) -> list[Event]:
    """Return the validated events of a flat CSV event log; raises FormatError listing every bad row."""
    def quick() -> list[Event] | None:
        table = _table(data)
        return None if table is None else events_from_table(table, recording, mapping, codebook, epoch, source)

    return colwise.quick_or_rows(data, source, _EMPTY, quick,
                                 lambda text, problems: _loads_rows(text, problems, recording, mapping, codebook, epoch))


_EMPTY = "is empty; expected an event log with case_id, activity and timestamp columns"


def _table(data: bytes | str) -> LogTable | None:
    """Return the entries of a log read a whole column at a time, or None for a file only ``_loads_rows`` reads.

    That is one Arrow does not split into the cells ``csv.reader`` gives, one
    whose header holds quotes or has no activity, or one with no entries.
    """
    if isinstance(data, str) and data.startswith(BOM * 2):
        return None  # the text path takes only the first BOM off
    body = colwise.utf8_body(data)
    first = None if body is None else colwise.plain_first_line(body)
    if first is None:
        return None
    header = [norm_key(h).replace(" ", "_") for h in first.split(",")]
    if "activity" not in header:
        return None
    table = colwise.csv_table(body, ",", len(header), range(len(header)))
    if table is None or table.num_rows < 2:
        return None
    columns = [c.combine_chunks().slice(1) for c in table.columns]
    blank = functools.reduce(pa.compute.and_, [pa.compute.equal(c, "") for c in columns])
    if pa.compute.any(blank).as_py():  # a row of empty cells, which the text path skips
        columns = [c.filter(pa.compute.invert(blank)) for c in columns]
    at = {name: i for i, name in enumerate(header)}  # a name twice: the last column wins, as in a row's dict
    read: dict[int, Any] = {}

    def field(name: str) -> Any:
        i = at.get(name)
        if i is None:
            return None
        if i not in read:
            cells = columns[i]
            read[i] = colwise.map_text(cells, unneutralise) if _has_quote(cells) else cells
        return read[i]

    lifecycle = None
    for stated in (field("lifecycle:transition"), field("lifecycle")):  # lifecycle, else lifecycle:transition
        if stated is not None:
            lifecycle = stated if lifecycle is None else pa.compute.if_else(pa.compute.equal(stated, ""), lifecycle,
                                                                             stated)
    count = len(columns[0])
    lifecycle = pa.repeat("", count) if lifecycle is None else lifecycle
    lifecycle = colwise.map_text(lifecycle, lambda c: (c or "complete").lower())
    return LogTable(_or(field("case_id"), count), field("activity"), lifecycle, _or(field("timestamp"), count), field)


def _has_quote(cells: Any) -> bool:
    """Return True when some cell starts with an apostrophe (which ``unneutralise`` may take off)."""
    return bool(pa.compute.any(pa.compute.starts_with(cells, "'")).as_py())


def _or(cells: Any, count: int) -> Any:
    return pa.repeat("", count) if cells is None else cells


def _loads_rows(text: str, problems: Problems, recording: Recording, mapping: Mapping[str, Any] | Iterable[str] | None,
                codebook: Codebook | None, epoch: datetime | str | None) -> list[Event]:
    """Return the validated events of a log's text, read entry by entry; raises FormatError listing every bad row."""
    raw, lines = split_rows(text, ",", problems)
    keep = list(compress(range(len(raw)), map(any, raw)))  # the rows that are not blank
    if not keep:
        problems.fail(None, _EMPTY)
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
