"""The table of events (:func:`event_columns`) and the whole-column helpers the formats build on.

Exports turn each field of all events into one column of cells (numbers and
times formatted by Arrow's compute kernels and numpy) and join the columns
into lines in one call; imports split a CSV with Arrow's parser and decode
each column once. Every format has only this path: a quick reader of the
tool's own layout and a general one of other files both give these columns.
"""

from __future__ import annotations

import dataclasses
import gc
import re
from contextlib import contextmanager
from datetime import datetime, timezone
from operator import attrgetter
from typing import Any, Callable, Iterator, Sequence

import numpy as np

try:  # optional: the per-event paths do the same work without it
    import pyarrow as _pa
    import pyarrow.compute as _pc
    import pyarrow.csv as _pacsv
except ImportError:  # pragma: no cover - exercised only where pyarrow is missing
    _pa = _pc = _pacsv = None

from ..model import Event
from ..timebase import MS_EXACT_S, clock_parts, ms_and_micros, nearest_ms_array, seconds_and_ms
from .arrays import arrow_of, int_values, text_array, text_scalar  # noqa: F401 - text_array: the formats' name
from .problems import Problems
from .text import decode_text
from .text import cell_chars, long_cells, quotes_are_plain  # noqa: F401 - the cell-limit scan, by its old names here


@contextmanager
def no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector inside the block (it would walk every new cell and event again and again)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def quick_or_rows(data: bytes | str, source: str, empty: str, quick: Callable[[], list[Event] | None],
                  rows: Callable[[str, Problems], list[Event]]) -> list[Event]:
    """Return ``quick()`` (a column reader) when it reads the file, else ``rows(text, problems)`` of its text.

    ``quick`` runs with the collector paused and returns None for a file it
    does not take; then the text is decoded (a FormatError names a bad byte)
    and a blank file is refused with ``empty``, the message after its name.
    """
    with no_gc():
        fast = quick()
    if fast is not None:
        return fast
    problems = Problems(source)
    text = decode_text(data, problems)
    if not text.strip():
        problems.fail(None, empty)
    return rows(text, problems)


def arrow() -> Any:
    """Return the pyarrow module, or None when it is not installed."""
    return _pa


# --- events to columns -------------------------------------------------------------


EVENT_FIELDS = tuple(f.name for f in dataclasses.fields(Event))


def event_columns(events: Sequence[Event]) -> dict[str, list[Any]]:
    """Return the table of events: Event field name -> the values of every event, in order.

    All fields are read in one pass: events sorted apart from where they sit in
    memory are slow to visit once per field.
    """
    if not events:
        return {name: [] for name in EVENT_FIELDS}
    return dict(zip(EVENT_FIELDS, map(list, zip(*map(attrgetter(*EVENT_FIELDS), events)))))


def fields_of(events: Sequence[Event]) -> Callable[[str], list[Any]]:
    """Return ``get(name)``: the values of field ``name`` of every event (:func:`event_columns`, read on first use)."""
    columns: dict[str, list[Any]] = {}

    def get(name: str) -> list[Any]:
        if not columns:
            columns.update(event_columns(events))
        return columns[name]

    return get


def only_type(values: Sequence[Any], *types: type) -> bool:
    """Return True when every value's exact type is one of ``types``."""
    return set(map(type, values)) <= set(types)


def ms_array(seconds: Sequence[Any]) -> np.ndarray | None:
    """Return ``int(round(s * 1000))`` of float seconds as an int64 array, or None if any is not a finite float.

    numpy's rint rounds the same double product half-to-even, as Python's round does.
    """
    if not only_type(seconds, float):
        return None
    arr = np.asarray(seconds, dtype=np.float64)
    if not np.isfinite(arr).all() or (np.abs(arr) > MS_EXACT_S).any():
        return None
    return nearest_ms_array(arr)


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    """Return non-negative integers as rows of ``width`` ASCII digits (zero-padded, cut on the left)."""
    out = np.empty((len(values), width), dtype=np.uint8)
    rest = values.copy()
    for i in range(width - 1, -1, -1):
        rest, digit = np.divmod(rest, 10)
        out[:, i] = digit + 48
    return out


def _char(count: int, char: str) -> np.ndarray:
    return np.full((count, 1), ord(char), dtype=np.uint8)


def _strings(matrix: np.ndarray) -> Any:
    """Return the rows of an ASCII byte matrix as an Arrow string array (one string per row)."""
    count, width = matrix.shape
    offsets = np.arange(0, (count + 1) * width, width, dtype=np.int32)
    data = np.ascontiguousarray(matrix)
    return _pa.Array.from_buffers(_pa.string(), count, [None, _pa.py_buffer(offsets), _pa.py_buffer(data)])


def seconds_text(ms: np.ndarray) -> Any:
    """Return non-negative milliseconds as seconds with three decimals (``1234`` -> ``"1.234"``), an Arrow array."""
    seconds, millis = seconds_and_ms(ms)
    frac = _strings(np.hstack([_char(len(ms), "."), _digits(millis, 3)]))
    return _pc.binary_join_element_wise(text_array(seconds), frac, text_scalar(""))


def timecode_text(ms: np.ndarray, sep: str = ".") -> Any:
    """Return milliseconds as ``HH:MM:SS.mmm`` (``sep`` before the ms), an Arrow array."""
    h, m, s, rem = clock_parts(ms)
    n = len(ms)
    tail = _strings(np.hstack([_char(n, ":"), _digits(m, 2), _char(n, ":"), _digits(s, 2), _char(n, sep),
                               _digits(rem, 3)]))
    if not n or (h.max() < 100 and h.min() >= 0):
        head = _strings(_digits(h, 2))
    else:  # 100 hours or more (or a time before 0): as many digits as it takes, as f"{h:02d}" writes them
        head = _pc.utf8_lpad(text_array(h), 2, "0")
    return _pc.binary_join_element_wise(head, tail, text_scalar(""))


_EPOCH_DAY = datetime(1970, 1, 1).toordinal()


def iso_text(values: Sequence[Any]) -> Any:
    """Return datetimes as ISO 8601 UTC text exactly as ``common.iso_utc`` writes them, an Arrow array.

    Returns None unless every value is a timezone-aware datetime whose
    microseconds are whole milliseconds (the times this tool stores) between
    the years 1700 and 2240 (where float timestamps still hold every microsecond).
    """
    if not only_type(values, datetime) or None in set(map(attrgetter("tzinfo"), values)):
        return None
    stamps = np.fromiter(map(datetime.timestamp, values), dtype=np.float64, count=len(values))
    if len(stamps) and not (np.abs(stamps).max() < 2.0**33):
        return None
    micros = np.rint(stamps * 1e6).astype(np.int64)
    ms, sub = ms_and_micros(micros)
    if sub.any():
        return None
    return iso_from_ms(ms)


def iso_from_ms(ms: np.ndarray, zone: str = "Z") -> Any:
    """Return milliseconds since 1970-01-01 UTC as ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (``zone`` instead of ``Z``), Arrow."""
    days, ms = np.divmod(ms, 86_400_000)
    distinct, which = np.unique(days, return_inverse=True)
    names = [datetime.fromordinal(_EPOCH_DAY + int(d)).date().isoformat() + "T" for d in distinct.tolist()]
    day_rows = np.frombuffer("".join(names).encode("ascii"), dtype=np.uint8).reshape(len(names), 11)
    h, m, s, rem = clock_parts(ms)
    n = len(ms)
    return _strings(np.hstack([day_rows[which.reshape(-1)], _digits(h, 2), _char(n, ":"), _digits(m, 2),
                               _char(n, ":"), _digits(s, 2), _char(n, "."), _digits(rem, 3),
                               np.tile(np.frombuffer(zone.encode("ascii"), dtype=np.uint8), (n, 1))]))


def take(array: Any, indices: np.ndarray) -> Any:
    """Return the cells of ``array`` (Arrow, or one str for every row) at ``indices``."""
    return array if isinstance(array, str) else array.take(arrow_of(np.asarray(indices, dtype=np.int64)))


def concat(arrays: Sequence[Any]) -> Any:
    """Return Arrow arrays of one type end to end, as one array."""
    return _pa.concat_arrays(arrays)


def blank_where(mask: np.ndarray, cells: Any) -> Any:
    """Return ``cells`` with ``""`` where ``mask`` is True."""
    if not mask.any():
        return cells
    return _pc.if_else(arrow_of(mask), text_scalar(""), cells)


def join_lines(cells: Sequence[Any], sep: str, end: str) -> bytes:
    """Return the UTF-8 bytes of one line per row: the cells (Arrow arrays or str) joined by ``sep``, then ``end``."""
    scalars = {part: text_scalar(part) for part in (*(c for c in cells if isinstance(c, str)), sep, end, "")}
    # The kernel's own separator, then the line ends in a second pass: 40 % quicker than a part for each separator.
    lines = _pc.binary_join_element_wise(*(scalars[c] if isinstance(c, str) else c for c in cells), scalars[sep])
    if end:
        lines = _pc.binary_join_element_wise(lines, scalars[end], scalars[""])
    if isinstance(lines, _pa.ChunkedArray):
        lines = lines.combine_chunks()
    if lines.null_count:
        raise ValueError("a cell is missing")
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[lines.offset : lines.offset + len(lines) + 1]
    return lines.buffers()[2].to_pybytes()[offsets[0] : offsets[-1]]


def map_unique(array: Any, fn: Callable[[Any], Any]) -> list[Any]:
    """Return ``[fn(v) for v in array]`` (an Arrow array) with ``fn`` called once per distinct value."""
    encoded = _pc.dictionary_encode(array, null_encoding="encode")  # a null: one more entry, fn(None)
    if isinstance(encoded, _pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    results = np.empty(len(encoded.dictionary), dtype=object)
    results[:] = list(map(fn, encoded.dictionary.to_pylist()))
    return results.take(int_values(encoded.indices)).tolist()


def map_text(cells: Any, fn: Callable[[str], str]) -> Any:
    """Return ``fn`` of each cell of an Arrow string array without nulls, as an Arrow string array (``fn`` runs
    once a distinct cell; :func:`map_unique` gives a list)."""
    encoded = _pc.dictionary_encode(cells)
    return text_array(list(map(fn, encoded.dictionary.to_pylist()))).take(encoded.indices)


# --- CSV text to columns -----------------------------------------------------------


def quoted_cell_pattern(delimiter: bytes) -> re.Pattern[bytes]:
    """Return the pattern of one quoted CSV cell (RFC 4180) between ``delimiter`` bytes or line ends."""
    d = re.escape(delimiter)
    # A quoted cell that starts a cell and ends one, with its inner quotes doubled.
    # Unrolled ([^"]* runs, not one repeat per byte): the old (?:[^"]|"")* took ~120 bytes of stack per byte.
    return re.compile(b'"(?<![^' + d + b'\\r\\n]")[^"]*(?:""[^"]*)*"(?![^' + d + b"\\r\\n])")


def csv_options(delimiter: str, width: int, columns: Sequence[int]) -> tuple[list[str], Any, Any]:
    """Return (column names f0.., ParseOptions, ConvertOptions) of how every column reader reads an event CSV:
    RFC 4180 quoting, every cell a string, only ``columns`` converted."""
    names = [f"f{i}" for i in range(width)]
    parse = _pacsv.ParseOptions(
        delimiter=delimiter, quote_char='"', double_quote=True, escape_char=False,
        newlines_in_values=True, ignore_empty_lines=True,
    )
    convert = _pacsv.ConvertOptions(
        column_types={n: _pa.string() for n in names}, include_columns=[names[i] for i in columns],
        strings_can_be_null=False, quoted_strings_can_be_null=False,
    )
    return names, parse, convert


def csv_table(body: bytes, delimiter: str, width: int, columns: Sequence[int]) -> Any:
    """Return the cells of a CSV (UTF-8 bytes, no BOM) as an Arrow table of string columns ``f<index>``.

    The first row (the header) is included. Returns None unless the file is
    one that ``csv.reader(strict=True)`` splits into exactly these cells: every
    quote must belong to a quoted cell that starts and ends a cell, and every
    row must have ``width`` cells. Blank lines are skipped, as the importer does.
    """
    if _pa is None:
        return None
    quotes = body.count(b'"')
    if quotes:
        inside = b"".join(quoted_cell_pattern(delimiter.encode()).findall(body)).count(b'"')
        if inside != quotes:
            return None
    names, parse, convert = csv_options(delimiter, width, columns)
    try:
        return _pacsv.read_csv(
            _pa.py_buffer(body), read_options=_pacsv.ReadOptions(column_names=names, block_size=1 << 22),
            parse_options=parse, convert_options=convert,
        )
    except (_pa.ArrowInvalid, _pa.ArrowException):
        return None


_DECIMAL = r"^[0-9]{1,9}(\.[0-9]{0,3})?$"


def seconds_column(array: Any, blank_is_none: bool) -> list[Any] | None:
    """Return the cells of ``array`` (text like ``"12.345"``) as floats, as ``round(float(cell), 3)`` gives them.

    Blank cells give None when ``blank_is_none``. Returns None when any cell is
    anything else (the per-row path then reads or rejects it). For at most
    three decimals ``round(float(cell), 3) == float(cell)`` and Arrow's
    conversion is correctly rounded like Python's ``float``.
    """
    if blank_is_none:
        blank = _pc.equal(array, text_scalar(""))
        good = _pc.or_(blank, _pc.match_substring_regex(array, _DECIMAL))
    else:
        good = _pc.match_substring_regex(array, _DECIMAL)
    if not _pc.all(good).as_py():
        return None
    if blank_is_none:
        array = _pc.if_else(blank, text_scalar(None), array)
    return _pc.cast(array, _pa.float64()).to_pylist()


def distinct_count(array: Any) -> int:
    """Return how many different values ``array`` holds."""
    return _pc.count_distinct(array).as_py()


def all_match(array: Any, pattern: str) -> bool:
    """Return True when every value of ``array`` matches the RE2 ``pattern``."""
    return bool(_pc.all(_pc.match_substring_regex(array, pattern)).as_py())


def iso_column(cells: list[str]) -> list[datetime | None] | None:
    """Return ISO 8601 cells as timezone-aware UTC datetimes as ``common.parse_iso`` reads them, blank as None.

    Returns None when any cell is not plain ISO 8601 at UTC (the per-row path then reads or rejects it).
    """
    fromiso = datetime.fromisoformat
    try:
        if "" in cells:
            values = [fromiso(c) if c else None for c in cells]
        else:
            values = list(map(fromiso, cells))
    except ValueError:
        return None
    if not set(map(attrgetter("tzinfo"), filter(None, values))) <= {timezone.utc}:
        return None
    return values


def any_where(array: Any, pattern: str, other: Any, other_pattern: str) -> bool:
    """Return True when some row has ``array`` matching ``pattern`` and ``other`` matching ``other_pattern`` (RE2)."""
    both = _pc.and_(_pc.match_substring_regex(array, pattern), _pc.match_substring_regex(other, other_pattern))
    return bool(_pc.any(both).as_py())


# --- table bodies for the column readers -------------------------------------------


def utf8_body(data: bytes | str) -> bytes | None:
    """Return ``data`` as UTF-8 bytes without a leading BOM; None for text that cannot be encoded."""
    if isinstance(data, str):
        try:
            return data.lstrip("\ufeff").encode("utf-8")
        except UnicodeEncodeError:
            return None
    return data[3:] if data.startswith(b"\xef\xbb\xbf") else data


def plain_first_line(body: bytes) -> str | None:
    """Return a table's header line (no line end) when a column reader may take the table, else None.

    None for an empty body, NUL bytes, a header that is not UTF-8 or that holds
    quotes or a stray carriage return: the row-by-row readers handle those.
    """
    if body[:1] in (b"", b"\r", b"\n", b"\xff", b"\xfe") or b"\x00" in body:
        return None
    end = body.find(b"\n")
    try:
        first = (body if end < 0 else body[:end]).decode("utf-8")
    except UnicodeDecodeError:
        return None
    first = first[:-1] if first.endswith("\r") else first
    return None if '"' in first or "\r" in first else first
