"""The event CSV's parse step: bytes -> a table of cells by field, with the line each row came from.

Two tokenisers give the same table. Arrow's CSV reader splits a file that
starts with a plain header and whose every quote belongs to a quoted cell
(the files this tool writes) a whole column at a time, but cannot say on which
line a row starts; ``csv.reader(strict=True)`` splits any text and counts
lines. The import reads with Arrow first and, when any row has a problem (or
the file holds several recordings), again with csv.reader to name the lines.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from itertools import compress
from operator import itemgetter
from typing import Any, Callable

from ..errors import FormatError
from ..model import Recording
from . import columns as colwise
from .cells import unneutralise
from .kinds import norm_key
from .problems import Problems
from .recording_info import recording_name
from .text import BOM, CsvLines, decode_text

# Field -> accepted header names (folded by header_key), best first.
ALIASES: dict[str, tuple[str, ...]] = {
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
_RECORDING_FIELDS = ("recording_id", "recording")


@dataclass
class CsvCells:
    """The cells of a CSV's rows by field, for the rows that have their header's width.

    ``column(field)`` is the Arrow string column of a field of ``cols``;
    ``rows[i]`` the key of row i for ``place`` (None: the tokeniser knows no
    lines); ``problems`` the rows left out (key -> what is wrong); ``broken_at`` the
    place and message of where the file could not be split further.
    """

    cols: dict[str, int]
    column: Callable[[str], Any]
    count: int
    rows: Any
    place: Callable[[Any], str] | None = None
    problems: dict[int, str] = field(default_factory=dict)
    broken_at: tuple[str, str] | None = None


def sniff_delimiter(text: str) -> str:
    """Return the separator the first line of ``text`` uses most: ``,``, ``;`` or a tab (``,`` when none)."""
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def header_key(name: str) -> str:
    """Return a header cell folded for matching field names (``Start (s)`` -> ``start s``)."""
    key = norm_key(unneutralise(name).lstrip(BOM))
    for unit in (" (s)", "(s)", " [s]"):
        if key.endswith(unit):
            key = key[: -len(unit)].strip() + " s"
    return key


def header_columns(header: list[str], problems: Problems, where: Callable[[], str]) -> dict[str, int]:
    """Return field -> column index of a header; raises FormatError (through ``problems``) without kind or start."""
    index: dict[str, int] = {}
    for i, name in enumerate(header):
        index.setdefault(header_key(name), i)
    cols: dict[str, int] = {}
    for name, names in ALIASES.items():
        for alias in names:
            if alias in index:
                cols[name] = index[alias]
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


def plain_header(data: bytes | str, source: str) -> tuple[Any, str, list[str], dict[str, int]] | None:
    """Return ``(UTF-8 body, delimiter, header cells, field -> column)`` of a file Arrow's reader may split.

    None when the file does not start with a plain UTF-8 header of known
    columns that has a start column: csv.reader then reads it (and writes any message).
    """
    body = colwise.utf8_body(data)
    first = None if body is None else colwise.plain_first_line(body)
    if first is None:
        return None
    delimiter = sniff_delimiter(first)
    header = first.split(delimiter)
    try:
        cols = header_columns(header, Problems(source), str)
    except FormatError:
        return None
    return (body, delimiter, header, cols) if "start" in cols else None


def arrow_cells(data: bytes | str, source: str) -> CsvCells | None:
    """Return the table of a file Arrow splits exactly as csv.reader would, of one recording; else None."""
    plain = plain_header(data, source)
    if plain is None:
        return None
    body, delimiter, header, cols = plain
    wanted = sorted(set(cols.values()))
    table = colwise.csv_table(body, delimiter, len(header), wanted)
    if table is None or table.num_rows == 0 or any(table.column(f"f{i}")[0].as_py() != header[i] for i in wanted):
        return None
    table = table.slice(1)

    def column(name: str) -> Any:
        return table.column(f"f{cols[name]}")

    if any(name in cols and colwise.distinct_count(column(name)) > 1 for name in _RECORDING_FIELDS):
        return None  # several recordings: csv.reader's rows are picked by recording
    return CsvCells(cols, column, table.num_rows, range(table.num_rows))


def reader_cells(data: bytes | str, recording: Recording, source: str) -> CsvCells:
    """Return the table of any CSV text, read by csv.reader; raises FormatError for a file without a table.

    That is: not text, empty, no header with kind and start, or rows of several
    recordings none of which is ``recording``.
    """
    problems = Problems(source)
    text = decode_text(data, problems)
    if not text.strip():
        problems.fail(None, "is empty; an event CSV needs a header line with at least kind,start_s")
    delimiter = sniff_delimiter(text)
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
    cols = header_columns(header, problems, lambda: lines.place(rows[0]))
    kept, cut = _whole_rows(raw, select_rows(raw, rows[1:], cols, recording, problems), len(header))
    cells = {i: colwise.text_array([raw[r][i] for r in kept]) for i in set(cols.values())}
    return CsvCells(cols, lambda name: cells[cols[name]], len(kept), kept, lines.place, cut, broken_at)


def _whole_rows(raw: list[list[str]], rows: list[int], width: int) -> tuple[list[int], dict[int, str]]:
    """Return the rows that have the header's width (empty cells past it allowed) and a message for each other."""
    kept, cut = [], {}
    for index in rows:
        row = raw[index]
        if len(row) < width:
            cut[index] = (f"has {len(row)} cells but the header has {width}; the row is cut short "
                          "(add empty cells for missing values)")
        elif len(row) > width and any(c.strip() for c in row[width:]):
            cut[index] = f"has {len(row)} cells but the header has {width}; quote cells that contain the separator"
        else:
            kept.append(index)
    return kept, cut


def select_rows(raw: list[list[str]], rows: list[int], cols: dict[str, int], recording: Recording,
                problems: Problems) -> list[int]:
    """Return the target recording's rows when the file holds events of several recordings, else ``rows``.

    Raises FormatError (through ``problems``) when none of them is ``recording``.
    """
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
