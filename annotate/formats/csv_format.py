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
from typing import Any, Iterable, Iterator, Mapping, Sequence

from ..errors import FormatError, ValidationError
from ..model import FREE_TEXT_FIELDS, Codebook, Event, Recording
from . import columns as colwise
from .csv_read import CsvCells, arrow_cells, header_columns, reader_cells, sniff_delimiter
from .csv_values import cell_values
from .csv_write import csv_rows, table_rows
from .importer import Importer
from .kinds import KindResolver
from .problems import Problems, one_line
from .recording_info import as_recordings, recording_fps
from .text import BOM, FREE_TEXT_CELL, SHORT_CELL, refuse_long_cells, utf8_body

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

# --- export -----------------------------------------------------------------------


def dumps(
    events: Iterable[Event],
    recordings: Mapping[int, Recording] | Iterable[Recording] | None = None,
    *,
    codebook: Codebook | None = None,
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


def dump_tables(tables: Iterable[Mapping[str, list[Any]]], recordings: Mapping[int, Recording] | Iterable[Recording]
                | None = None, *, bom: bool = True, delimiter: str = ",",
                frame_times: Mapping[int, Sequence[float]] | None = None) -> Iterator[bytes]:
    """Yield the event CSV :func:`dumps` writes, piece by piece: the header, then the rows of each table of
    events (e.g. ``Store.event_columns`` chunks), so a whole library is written in bounded memory.

    Raises ValidationError for an unsupported delimiter (before anything is yielded).
    """
    if delimiter not in (",", ";", "\t"):
        raise ValidationError(f"delimiter {delimiter!r} is not supported; use ',', ';' or a tab")
    recs, times = as_recordings(recordings), frame_times or {}

    def pieces() -> Iterator[bytes]:
        yield ((BOM if bom else "") + delimiter.join(COLUMNS) + "\r\n").encode("utf-8")
        for table in tables:
            yield table_rows(table, recs, times, delimiter)

    return pieces()


# --- import -----------------------------------------------------------------------


def loads(data: bytes | str, *, recording: Recording, mapping: Mapping[str, Any] | Iterable[str] | None = None,
          codebook: Codebook | None = None, source: str = "events.csv",
          frame_times: Sequence[float] | None = None) -> list[Event]:
    """Return the validated events of ``recording`` in an event CSV (this layout or a smaller one).

    ``mapping`` maps kind texts of the file to kinds (``{"purple": "MOT"}``).
    ``frame_times`` (the recording's sorted frame times) is used only for a
    file that gives a ``frame`` column and no start time.
    Raises FormatError listing every bad line (``"events.csv line 7: ..."``);
    then nothing is returned. A cell longer than docs/formats.md allows
    (a note 64 KB, a label 1 KB) refuses the file before its cells are read.
    """
    data = refuse_long_csv_cells(data, source)
    resolve = KindResolver(mapping)
    with colwise.no_gc():
        cells = arrow_cells(data, source)
        if cells is not None:
            events = _events(cells, recording, resolve, frame_times, None)
            if events is not None:
                return events
        problems = Problems(source)  # a problem somewhere: read again with csv.reader, which names the lines
        cells = reader_cells(data, recording, source)
        events = _events(cells, recording, resolve, frame_times, problems)
    if cells.broken_at:
        problems.add(*cells.broken_at)
    problems.raise_if_any()
    return events


def _events(cells: CsvCells, recording: Recording, resolve: KindResolver, frame_times: Sequence[float] | None,
            problems: Problems | None) -> list[Event] | None:
    """Return the valid events of the table; record every bad row in ``problems`` (None: return None instead)."""
    values, bad = cell_values(cells.column, cells.cols, resolve, recording_fps(recording), frame_times)
    if problems is None and (bad or cells.broken_at):
        return None
    sink = Importer(recording, Problems("") if problems is None else problems, cells.place or str)
    raw_ids = cells.column("event_id").to_pylist() if "event_id" in cells.cols else None
    sink.add_values(values, bad, cells.rows, raw_ids, cells.problems)
    return None if problems is None and sink.problems else sink.events


# How messages name a field's cell (the others by their field name).
_CELL_NAMES = {"start": "start_s", "end": "end_s", "duration": "duration_s"}


def refuse_long_csv_cells(data: bytes | str, source: str) -> bytes | str:
    """Return the file (UTF-16 as UTF-8 bytes); raises FormatError for a cell over its limit (by line and column).

    Reads the file a chunk at a time, before anything builds cells from it.
    """
    body = utf8_body(data)
    if body is None:
        return data  # not text: decode_text names the bad byte
    head = bytes(body[: 1 << 16]).decode("utf-8", "replace")
    delimiter = sniff_delimiter(head)
    try:
        header = next(csv.reader(io.StringIO(head, newline=""), delimiter=delimiter))
        fields = {i: f for f, i in header_columns(header, Problems(source), str).items()}
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
