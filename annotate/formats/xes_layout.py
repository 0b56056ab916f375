"""The layout :mod:`.xes` writes, and the column-wise reader of logs in exactly that layout.

:data:`HEAD` is every line before the first trace; :func:`read_columns`
reads a log laid out line for line as ``xes.dumps`` writes it (one trace, one
attribute a line, each key once) a whole column at a time with numpy and
Arrow into a :class:`.log_table.LogTable`, and returns None for any other
log, which ``xes.loads`` then reads from its XML tree (:mod:`.xes_tree`).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Iterable, Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute  # noqa: F401 - pa.compute

from ..model import Codebook, Event, Recording
from . import columns as colwise
from .log_table import LogTable, events_from_table

NS = "http://www.xes-standard.org/"
EXTENSIONS = (
    ("Concept", "concept", "http://www.xes-standard.org/concept.xesext"),
    ("Time", "time", "http://www.xes-standard.org/time.xesext"),
    ("Lifecycle", "lifecycle", "http://www.xes-standard.org/lifecycle.xesext"),
    ("Organizational", "org", "http://www.xes-standard.org/org.xesext"),
    ("Identity", "identity", "http://www.xes-standard.org/identity.xesext"),
)
STRINGS = ("kind", "kind_short", "label", "stage", "channel", "actor", "expectation", "note", "reviewer")
# The lines before the first trace, as xes.dumps writes them.
HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>',
    f'<log xes.version="2.0" xes.features="nested-attributes" xmlns="{NS}">',
    *(f'\t<extension name="{n}" prefix="{p}" uri="{u}"/>' for n, p, u in EXTENSIONS),
    '\t<global scope="trace">',
    '\t\t<string key="concept:name" value="__INVALID__"/>',
    "\t</global>",
    '\t<global scope="event">',
    '\t\t<string key="concept:name" value="__INVALID__"/>',
    '\t\t<date key="time:timestamp" value="1970-01-01T00:00:00.000+00:00"/>',
    '\t\t<string key="lifecycle:transition" value="complete"/>',
    "\t</global>",
    '\t<classifier name="Activity" keys="concept:name"/>',
    '\t<classifier name="Activity and lifecycle" keys="concept:name lifecycle:transition"/>',
    '\t<string key="concept:name" value="cx-annotate events"/>',
)

_KEYS = ("concept:name", "time:timestamp", "lifecycle:transition", "identity:id", "org:resource", *STRINGS,
         "emotion", "start_s", "end_s")
_KEY_AT = {key: j for j, key in enumerate(_KEYS)}
# An attribute value expat reads as it stands but for these entities: no markup, no character XML
# refuses, no tab or line break (which expat would turn into spaces).
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&#13;", "\r"), ("&#10;", "\n"), ("&#9;", "\t"),
             ("&amp;", "&"))  # &amp; last: what it gives must not be read again
_TYPES = ("string", "date", "int", "float", "id", "boolean")
# What an event's line may be: an attribute's start (up to its value; key j, type t at j * len(_TYPES) + t),
# then its value and '"/>'; else all of <event> or </event>.
_PREFIXES = tuple(f'\t\t\t<{t} key="{k}" value="' for k in _KEYS for t in _TYPES)
_OPEN, _CLOSE = len(_PREFIXES), len(_PREFIXES) + 1
_ENDS = (*_PREFIXES, "\t\t<event>\n", "\t\t</event>\n", '"/>\n', "")
_TRACEHEAD = re.compile(
    (r'\t<trace>\n\t\t<string key="concept:name" value="(V)"/>\n\t\t<date key="cx:case_start" value="(V)"/>\n'
     r'(?:\t\t<int key="cx:recording_id" value="-?[0-9]+"/>\n)?').replace(
        "V", r'(?:[^<&"\x00-\x1f\ufffe\uffff]|&(?:amp|lt|gt|quot|#13|#10|#9);)*'))
_TAIL = "\t</trace>\n</log>\n"
_UUID = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


def _unescape(value: str) -> str:
    for entity, char in _ENTITIES:
        value = value.replace(entity, char)
    return value


def read_columns(data: bytes | str, recording: Recording, mapping: Mapping[str, Any] | Iterable[str] | None,
                 codebook: Codebook | None, source: str, epoch: datetime | None) -> list[Event] | None:
    """Return what ``xes.loads`` returns for a valid log laid out as ``xes.dumps`` writes it, read a column at a time.

    Returns None for anything else: the text must be exactly the header, one
    trace, and events of one attribute line each with the keys ``dumps`` writes
    (each once), values that expat reads unchanged but for the entities
    ``dumps`` writes, and valid UTF-8, so that it is well-formed XML whose tree
    the tree's reader reads as the lines say. The entries are then paired and
    validated by :func:`.log_table.events_from_table`, as for every event log.
    """
    laid = _laid_out(data)
    if laid is None:
        return None
    data, trace, first, last = laid
    lines = _Lines(data, first, last)
    at = None if lines.prefixes is None else _attribute_rows(lines.prefixes)
    if at is None:
        return None

    def cells(key: str, rows: Any = slice(None)) -> Any:
        return lines.values(at[rows, _KEY_AT[key]])

    lifecycle, ids, stamps = cells("lifecycle:transition"), cells("identity:id"), cells("time:timestamp")
    if not (colwise.all_match(lifecycle, "^(start|complete)$") and colwise.all_match(ids, _UUID)
            and colwise.all_match(stamps, "^[0-9]")):
        return None  # as dumps writes none of them: the tree's reader takes the log
    ids = pa.compute.replace_substring(ids, "-", "")  # as the id reader reads them, and its quick way
    count = len(ids)
    case = colwise.text_array([_unescape(trace.group(1))] * count)
    starts = colwise.text_array([_unescape(trace.group(2))] * count)

    def field(name: str) -> Any:
        if name == "event_id":
            return ids
        if name == "case_start":
            return starts
        return cells(name) if name in _KEY_AT else None

    table = LogTable(case, cells("concept:name").fill_null(""), lifecycle, stamps, field)
    return events_from_table(table, recording, mapping, codebook, epoch, source)


def _laid_out(data: bytes | str) -> tuple[bytes, re.Match, int, int] | None:
    """Return the log as UTF-8, its trace's head and where its events start and end; None unless laid out so."""
    if isinstance(data, str):
        try:
            data = data.encode("utf-8")
        except UnicodeEncodeError:
            return None
    head = ("\n".join(HEAD) + "\n").encode("utf-8")
    if not data.startswith(head) or not data.endswith(_TAIL.encode("ascii")):
        return None
    if not data.isascii():
        try:
            data.decode("utf-8")  # what expat (and Arrow's string kernels) need
        except UnicodeDecodeError:
            return None
    trace = _TRACEHEAD.match(data[len(head) : len(head) + 4096].decode("utf-8", "replace"))
    first = len(head) + len(trace.group().encode("utf-8")) if trace else len(data)
    last = len(data) - len(_TAIL)
    return None if first >= last else (data, trace, first, last)


def _attribute_rows(prefixes: np.ndarray) -> np.ndarray | None:
    """Return, per event and key (of ``_KEYS``), the line holding it (-1 for none), or None when not laid out so.

    ``prefixes`` says what each line starts with (see :class:`_Lines`).
    """
    opens, closes = prefixes == _OPEN, prefixes == _CLOSE
    attr = ~(opens | closes)
    open_rows, close_rows = np.flatnonzero(opens), np.flatnonzero(closes)
    n = len(open_rows)
    if not n or len(close_rows) != n or open_rows[0] != 0 or close_rows[-1] != len(attr) - 1:
        return None
    if not ((open_rows < close_rows).all() and (open_rows[1:] == close_rows[:-1] + 1).all()):
        return None  # every line between an <event> and its </event> is an attribute
    attr_rows = np.flatnonzero(attr)
    cell = (np.cumsum(opens)[attr_rows] - 1) * len(_KEYS) + prefixes[attr_rows] // len(_TYPES)
    if np.bincount(cell, minlength=n * len(_KEYS)).max() > 1:
        return None  # a key twice in one event: the later wins there
    at = np.full(n * len(_KEYS), -1, dtype=np.int64)
    at[cell] = attr_rows
    at = at.reshape(n, len(_KEYS))
    required = [_KEY_AT[k] for k in ("lifecycle:transition", "identity:id", "time:timestamp", "start_s")]
    return None if (at[:, required] < 0).any() else at


class _Lines:
    """The lines of the events of a log as ``dumps`` lays them out, split into line start, value and line end.

    ``prefixes`` holds, per line, the index in ``_ENDS`` of what comes before
    the value (an attribute's start, or the whole <event>/</event> line), or
    is None when some line is neither, or some value holds a character that
    expat would not read as it stands (``"``, ``<``, a tab or control
    character, U+FFFE/U+FFFF, an ``&`` that starts no entity ``dumps`` writes).
    """

    def __init__(self, data: bytes, first: int, last: int):
        self.prefixes = None
        raw = np.frombuffer(data, dtype=np.uint8, count=last - first, offset=first)
        newlines, quotes, controls, markup = _scan(raw)
        ends = newlines + (first + 1)
        starts = np.concatenate([[first], ends[:-1]])
        count = len(ends)
        # An attribute line (three tabs in) holds four quotes: its value lies between the third and the fourth.
        attr = raw[np.minimum(starts - first + 2, len(raw) - 1)] == 9
        quotes += first
        if len(quotes) != 4 * np.count_nonzero(attr):
            return
        quotes = quotes.reshape(-1, 4)
        if not ((quotes[:, 0] >= starts[attr]) & (quotes[:, 3] < ends[attr])).all():
            return  # then every attribute line has its four quotes
        value_starts, value_ends = ends.copy(), ends.copy()
        value_starts[attr], value_ends[attr] = quotes[:, 2] + 1, quotes[:, 3]
        offsets = np.empty(3 * count + 1, dtype=np.int64)
        offsets[0:-1:3], offsets[1:-1:3], offsets[2:-1:3], offsets[-1] = starts, value_starts, value_ends, last
        self._parts = pa.Array.from_buffers(pa.large_string(), 3 * count, [None, pa.py_buffer(offsets),
                                                                            pa.py_buffer(data)])
        # Every line's start and end must be one of _ENDS; its value, null here, is not looked up.
        ends_only = np.packbits(np.tile(np.array([1, 0, 1], dtype=np.uint8), count), bitorder="little")
        line_ends = pa.Array.from_buffers(pa.large_string(), 3 * count, [pa.py_buffer(ends_only), pa.py_buffer(offsets),
                                                                          pa.py_buffer(data)])
        codes = pa.compute.index_in(line_ends, value_set=pa.array(_ENDS, pa.large_string()))
        if codes.null_count != count:
            return
        codes = np.frombuffer(codes.buffers()[1], dtype=np.int32, count=3 * count)
        prefixes, suffixes = codes[0::3], codes[2::3]
        suffix = np.where(attr, len(_ENDS) - 2, len(_ENDS) - 1)  # '"/>' after an attribute, nothing after <event>
        if not (((prefixes < _OPEN) == attr).all() and (suffixes == suffix).all()):
            return
        # Each attribute line's start and end hold one '<', 3 tabs and the line break, each <event> line one '<',
        # 2 tabs and the line break: any more, and some value holds one.
        attrs = len(quotes)
        if controls != 4 * attrs + 3 * (count - attrs) or markup != count:
            return
        if data.find(b"\xef\xbf\xbe", first, last) >= 0 or data.find(b"\xef\xbf\xbf", first, last) >= 0:
            return  # U+FFFE or U+FFFF, which XML refuses
        self.escaped = np.zeros(count, dtype=bool)  # the lines whose value has an entity
        if data.find(b"&", first, last) >= 0:
            amps = _entities(raw)
            if amps is None:
                return
            self.escaped[np.searchsorted(ends, amps + first, side="right")] = True
        self.prefixes = prefixes

    def values(self, rows: np.ndarray) -> Any:
        """Return the values of lines ``rows``, entities decoded (an Arrow array; null where a row is negative)."""
        texts = self._parts.take(pa.array(3 * rows + 1, mask=rows < 0))
        if self.escaped[rows[rows >= 0]].any():
            for entity, char in _ENTITIES:
                texts = pa.compute.replace_substring(texts, entity, char)
        return texts


def _scan(raw: np.ndarray, step: int = 1 << 18) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Return where the line breaks and the quotes of ``raw`` are, and how many bytes below 32 and '<' it holds.

    Read a slice at a time, so that what numpy makes of each slice stays in the processor's cache.
    """
    newlines, quotes, controls, markup = [], [], 0, 0
    for at in range(0, len(raw), step):
        part = raw[at : at + step]
        newlines.append(np.flatnonzero(part == 10) + at)
        quotes.append(np.flatnonzero(part == 34) + at)
        controls += int(np.count_nonzero(part < 32))
        markup += int(np.count_nonzero(part == 60))
    found = [np.concatenate(positions or [[]]).astype(np.int64) for positions in (newlines, quotes)]
    return found[0], found[1], controls, markup


def _entities(raw: np.ndarray) -> np.ndarray | None:
    """Return where the ``&`` in ``raw`` are, or None unless each starts one of the entities of ``_ENTITIES``."""
    at = np.flatnonzero(raw == 38)
    width = max(len(e) for e, _ in _ENTITIES)
    window = raw[np.minimum(at[:, None] + np.arange(width), len(raw) - 1)]
    ok = np.zeros(len(at), dtype=bool)
    for entity, _ in _ENTITIES:
        code = np.frombuffer(entity.encode("ascii"), dtype=np.uint8)
        ok |= (window[:, : len(code)] == code).all(axis=1)
    return at if ok.all() else None
