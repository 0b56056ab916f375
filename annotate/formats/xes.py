"""XES (IEEE 1849-2016) event logs for process-mining tools (ProM, pm4py, Disco, Celonis).

One trace per recording (``concept:name`` = case id, see
:mod:`annotate.formats.eventlog`), one XES event per log entry with
``concept:name`` (activity), ``time:timestamp``, ``lifecycle:transition``
(``start``/``complete``), ``identity:id`` (the event id as a UUID; both
entries of a duration event share it), ``org:resource`` (the actor) and the
attributes ``kind``, ``kind_short``, ``label``, ``stage``, ``channel``,
``actor``, ``expectation``, ``note``, ``reviewer`` (strings), ``emotion`` (int)
and ``start_s``/``end_s`` (floats). The trace carries ``cx:recording_id`` and
``cx:case_start`` (the time its timestamps count from). The Concept, Time,
Lifecycle, Organizational and Identity extensions are declared, with globals and
an "Activity" classifier. Import reads this back (and any XES log with
``concept:name`` and ``time:timestamp``) like the CSV event log.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from operator import attrgetter, methodcaller
from typing import Any, Callable, Iterable, Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute  # noqa: F401 - pa.compute

from ..errors import ValidationError
from ..model import Codebook, Event, Kind, Recording
from . import columns as colwise
from . import xmlsafe
from .common import Problems, TextCells, as_recordings, iso_utc, parse_iso
from .pairing import (
    Case,
    EntryColumns,
    ReadEntries,
    Row,
    case_base,
    cases,
    entry_columns,
    events_from_columns,
    events_from_rows,
    seconds_cells,
    stamp_cells,
)

NAME = "xes"
TITLE = "XES event log (IEEE 1849, process mining)"
SUFFIXES = (".xes",)
MEDIA_TYPE = "application/xml"

NS = "http://www.xes-standard.org/"
EXTENSIONS = (
    ("Concept", "concept", "http://www.xes-standard.org/concept.xesext"),
    ("Time", "time", "http://www.xes-standard.org/time.xesext"),
    ("Lifecycle", "lifecycle", "http://www.xes-standard.org/lifecycle.xesext"),
    ("Organizational", "org", "http://www.xes-standard.org/org.xesext"),
    ("Identity", "identity", "http://www.xes-standard.org/identity.xesext"),
)
_STRINGS = ("kind", "kind_short", "label", "stage", "channel", "actor", "expectation", "note", "reviewer")
# The lines before the first trace, as dumps writes them.
_HEAD = (
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


def _date(value: datetime) -> str:
    return iso_utc(value).replace("Z", "+00:00")


def dumps(
    events: Iterable[Event],
    recordings: Mapping[int, Recording] | Iterable[Recording] | None = None,
    *,
    codebook: Codebook | None = None,
    epoch: datetime | None = None,
) -> bytes:
    """Return an XES 1849-2016 log (UTF-8) with one trace per recording.

    Raises ValueError for an event whose kind is not a kind name.
    """
    events = events if isinstance(events, list) else list(events)
    out = [("\n".join(_HEAD) + "\n").encode("utf-8")]
    with colwise.no_gc():
        out += [_trace(case) for case in cases(events, as_recordings(recordings), epoch)]
    out.append(b"</log>\n")
    return b"".join(out)


def _trace(case: Case) -> bytes:
    """Return one case's trace: its head, its entries (a newline after each line) and its end."""
    head = ["\t<trace>", f'\t\t<string key="concept:name" value="{xmlsafe.attr(case.name)}"/>',
            f'\t\t<date key="cx:case_start" value="{_date(case.start)}"/>']
    if case.rid is not None:
        head.append(f'\t\t<int key="cx:recording_id" value="{int(case.rid)}"/>')
    field = case.field
    entries = entry_columns(field)
    heads, tails = _event_parts(field, entries)
    body = colwise.join_lines([
        colwise.take(heads, entries.event),
        '\t\t\t<date key="time:timestamp" value="',
        stamp_cells(case.start, entries.ms, "+00:00"),
        '"/>\n\t\t\t<string key="lifecycle:transition" value="',
        pa.compute.if_else(pa.array(entries.complete), "complete", "start"),
        '"/>\n',
        colwise.take(tails, entries.event),
    ], "", "\n")
    return b"".join([("\n".join(head) + "\n").encode("utf-8"), body, b"\t</trace>\n"])


def _event_parts(field: Callable[[str], list[Any]], entries: EntryColumns) -> tuple[Any, Any]:
    """Return each event's lines before its timestamp and after its lifecycle (both entries share them), Arrow."""
    a = xmlsafe.attr
    attr = TextCells(a)
    kinds = entries.kinds
    values = {name: field(name) for name in _STRINGS[2:]}
    cells = {name: list(map(attr.__getitem__, col)) for name, col in values.items()}
    titles = {k: a(k.title) for k in Kind}
    names = [c if c else titles[k] for c, k in zip(cells["label"], kinds)]
    text = colwise.text_array
    join = pa.compute.binary_join_element_wise

    def optional(name: str, key: str) -> Any:
        lines = join(f'\t\t\t<string key="{key}" value="', text(cells[name]), '"/>\n', "")
        return colwise.blank_where(np.array([not v for v in values[name]], dtype=bool), lines)

    kind_lines = {k: f'\t\t\t<string key="kind" value="{a(k.value)}"/>\n'
                     f'\t\t\t<string key="kind_short" value="{a(k.short)}"/>\n' for k in Kind}
    emotions = field("emotion")
    no_emotion = np.array([e is None for e in emotions], dtype=bool)
    tail = [
        join('\t\t\t<id key="identity:id" value="', _uuids(field("id")), '"/>\n', ""),
        optional("actor", "org:resource"),
        text(list(map(kind_lines.__getitem__, kinds))),
        *(optional(name, name) for name in _STRINGS[2:]),
        colwise.blank_where(no_emotion, join('\t\t\t<int key="emotion" value="',
                                             text(["" if e is None else str(int(e)) for e in emotions]), '"/>\n', "")),
        join('\t\t\t<float key="start_s" value="', seconds_cells(field("start_s"), entries.start_ms), '"/>\n', ""),
        colwise.blank_where(entries.point, join('\t\t\t<float key="end_s" value="', seconds_cells(
            [e or 0.0 for e in field("end_s")], entries.end_ms), '"/>\n', "")),
        "\t\t</event>",
    ]
    heads = join('\t\t<event>\n\t\t\t<string key="concept:name" value="', text(names), '"/>\n', "")
    return heads, join(*tail, "")


def _uuid(h: str) -> str:
    if len(h) == 32 and _HEX.fullmatch(h):
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    return str(uuid.uuid5(uuid.NAMESPACE_OID, h))  # not a hex id: still a valid, stable XES id


_HEX = re.compile(r"[0-9a-f]{32}")
_ALL_HEX = re.compile(r"[0-9a-f]{32}(?:\n[0-9a-f]{32})*")


def _uuids(ids: list[str]) -> Any:
    """Return the event ids as XES ids (``_uuid`` of each), an Arrow string array."""
    if not (colwise.only_type(ids, str) and _ALL_HEX.fullmatch("\n".join(ids))):
        return colwise.text_array(list(map(_uuid, ids)))
    digits = np.frombuffer("".join(ids).encode("ascii"), dtype=np.uint8).reshape(len(ids), 32)
    dash = np.full((len(ids), 1), ord("-"), dtype=np.uint8)
    rows = np.hstack([digits[:, :8], dash, digits[:, 8:12], dash, digits[:, 12:16], dash, digits[:, 16:20], dash,
                      digits[:, 20:]])
    offsets = np.arange(0, 36 * (len(ids) + 1), 36, dtype=np.int32)
    return pa.Array.from_buffers(pa.string(), len(ids), [None, pa.py_buffer(offsets), pa.py_buffer(rows.tobytes())])


def loads(
    data: bytes | str,
    *,
    recording: Recording,
    mapping: Mapping[str, Any] | Iterable[str] | None = None,
    codebook: Any = None,
    source: str = "events.xes",
    epoch: datetime | str | None = None,
) -> list[Event]:
    """Return the validated events of an XES log (see :mod:`annotate.formats.eventlog` for the pairing).

    Raises FormatError listing every bad XES event by trace and number.
    """
    with colwise.no_gc():  # the tree's many elements would set the collector off again and again
        if epoch is None or isinstance(epoch, datetime):
            fast = _loads_columns(data, recording, mapping, codebook, source, epoch)
            if fast is not None:
                return fast
        return _loads_elements(data, recording, mapping, codebook, source, epoch)


def _loads_elements(data: bytes | str, recording: Recording, mapping: Any, codebook: Any, source: str,
                    epoch: datetime | str | None) -> list[Event]:
    """Return what ``loads`` returns, read from the XML tree one XES event at a time."""
    problems = Problems(source)
    root = xmlsafe.parse_xml(data, problems)
    if root.tag.rsplit("}", 1)[-1] != "log":
        problems.fail(None, "is an XML file but not an XES log (no <log> root)")
    rows: list[Row] = []
    for t, trace in enumerate(_kids(root, "trace"), 1):
        tattrs = _attrs(trace)
        case = tattrs.get("concept:name") or f"trace {t}"
        for n, ev in enumerate(_kids(trace, "event"), 1):
            f = _attrs(ev)
            f.setdefault("case_start", tattrs.get("cx:case_start", ""))
            if "cx:recording_id" in tattrs:
                f.setdefault("recording_id", tattrs["cx:recording_id"])
            if "identity:id" in f:
                f["event_id"] = f["identity:id"]
            try:
                stamp = parse_iso("time:timestamp", f.get("time:timestamp", ""))
            except ValidationError as exc:
                problems.add(_event_place((case, n)), exc)
                continue
            rows.append(Row((case, n), case, f.get("concept:name", ""),
                            f.get("lifecycle:transition", "complete").lower(), stamp, f))
    return events_from_rows(rows, recording, mapping, codebook, epoch, problems, _event_place)


def _event_place(key: tuple[str, int]) -> str:
    return f"trace {key[0]} event {key[1]}"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _kids(elem, name: str) -> list:
    """Return the children of ``elem`` called ``name`` (in any namespace), in order."""
    tags = [tag for tag in set(map(_tag, elem)) if _local(tag) == name]
    if len(tags) == 1:
        tag = tags[0]
        if tag == name or (tag.startswith("{") and tag.count("}") == 1):  # findall reads such a tag as a plain name
            return elem.findall(tag)  # the usual case, in C
        return [c for c in elem if c.tag == tag]
    return [c for c in elem if _local(c.tag) == name]


_tag = attrgetter("tag")
_key = methodcaller("get", "key")
_value = methodcaller("get", "value", "")


def _attrs(elem) -> dict[str, str]:
    """Return the ``key`` -> ``value`` attributes among the children of ``elem`` (later keys win)."""
    attrs = dict(zip(map(_key, elem), map(_value, elem)))
    attrs.pop(None, None)  # children without a key
    return attrs


# --- the column-wise import of the logs this tool writes -----------------------------

_KEYS = ("concept:name", "time:timestamp", "lifecycle:transition", "identity:id", "org:resource", *_STRINGS,
         "emotion", "start_s", "end_s")
_KEY_AT = {key: j for j, key in enumerate(_KEYS)}
_COLUMN_KEYS = {"activity": "concept:name"}  # eventlog column -> XES key, where they differ
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
_TRACE_HEAD = re.compile(
    (r'\t<trace>\n\t\t<string key="concept:name" value="(V)"/>\n\t\t<date key="cx:case_start" value="(V)"/>\n'
     r'(?:\t\t<int key="cx:recording_id" value="-?[0-9]+"/>\n)?').replace(
        "V", r'(?:[^<&"\x00-\x1f\ufffe\uffff]|&(?:amp|lt|gt|quot|#13|#10|#9);)*'))
_TAIL = "\t</trace>\n</log>\n"
_UUID = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


def _unescape(value: str) -> str:
    for entity, char in _ENTITIES:
        value = value.replace(entity, char)
    return value


def _loads_columns(data: bytes | str, recording: Recording, mapping: Any, codebook: Any, source: str,
                   epoch: datetime | None) -> list[Event] | None:
    """Return what ``loads`` returns for a valid log laid out as ``dumps`` writes it, read a column at a time.

    Returns None for anything else: the text must be exactly the header, one
    trace, and events of one attribute line each with the keys ``dumps`` writes
    (each once), values that expat reads unchanged but for the entities
    ``dumps`` writes, and valid UTF-8, so that it is well-formed XML whose tree
    the element-by-element path reads as the lines say. The entries are then
    paired and validated as :mod:`annotate.formats.eventlog` does for its CSV.
    """
    pa = colwise.arrow()
    if pa is None:
        return None
    if isinstance(data, str):
        try:
            data = data.encode("utf-8")
        except UnicodeEncodeError:
            return None
    head = ("\n".join(_HEAD) + "\n").encode("utf-8")
    if not data.startswith(head) or not data.endswith(_TAIL.encode("ascii")):
        return None
    if not data.isascii():
        try:
            data.decode("utf-8")  # what expat (and Arrow's string kernels) need
        except UnicodeDecodeError:
            return None
    trace = _TRACE_HEAD.match(data[len(head) : len(head) + 4096].decode("utf-8", "replace"))
    first = len(head) + len(trace.group().encode("utf-8")) if trace else len(data)
    last = len(data) - len(_TAIL)
    if first >= last:
        return None
    lines = _Lines(data, first, last)
    if lines.prefixes is None:
        return None
    pc = pa.compute
    opens, closes = lines.prefixes == _OPEN, lines.prefixes == _CLOSE
    attr = ~(opens | closes)
    open_rows, close_rows = np.flatnonzero(opens), np.flatnonzero(closes)
    n = len(open_rows)
    if n < colwise.MIN_EVENTS or len(close_rows) != n or open_rows[0] != 0 or close_rows[-1] != len(attr) - 1:
        return None
    if not ((open_rows < close_rows).all() and (open_rows[1:] == close_rows[:-1] + 1).all()):
        return None  # every line between an <event> and its </event> is an attribute
    attr_rows = np.flatnonzero(attr)
    cell = (np.cumsum(opens)[attr_rows] - 1) * len(_KEYS) + lines.prefixes[attr_rows] // len(_TYPES)
    if np.bincount(cell, minlength=n * len(_KEYS)).max() > 1:
        return None  # a key twice in one event: the later wins there
    at = np.full(n * len(_KEYS), -1, dtype=np.int64)
    at[cell] = attr_rows
    at = at.reshape(n, len(_KEYS))

    def cells(key: str, rows: Any = slice(None)) -> Any:
        return lines.values(at[rows, _KEY_AT[key]])

    required = [_KEY_AT[k] for k in ("lifecycle:transition", "identity:id", "time:timestamp", "start_s")]
    if (at[:, required] < 0).any():
        return None
    lifecycle, ids, stamps = cells("lifecycle:transition"), cells("identity:id"), cells("time:timestamp")
    if not (colwise.all_match(lifecycle, "^(start|complete)$") and colwise.all_match(ids, _UUID)
            and colwise.all_match(stamps, "^[0-9]")):
        return None
    starts = colwise.seconds_column(cells("start_s"), blank_is_none=True)
    ends = colwise.seconds_column(cells("end_s").fill_null(""), blank_is_none=True)
    stamps = colwise.iso_column(stamps.to_pylist())
    if starts is None or ends is None or stamps is None:
        return None
    base = case_base(epoch, "cx:case_start", _unescape(trace.group(2)))
    if base is None:
        return None
    hex_ids = pc.replace_substring(ids, "-", "").to_pylist()
    entries = ReadEntries(pc.equal(lifecycle, "complete").to_numpy(zero_copy_only=False), hex_ids, starts, ends,
                          stamps, base)

    def column(name: str, rows: list[int], fn: Callable[[str], Any] = str) -> list[Any]:
        if name == "event_id":
            return list(map(hex_ids.__getitem__, rows))
        texts = cells(_COLUMN_KEYS.get(name, name), rows)
        if name == "label":
            return texts.to_pylist()  # None where the event has no label
        return colwise.map_unique(texts.fill_null(""), fn)

    return events_from_columns(entries, column, recording, mapping, codebook, source)


class _Lines:
    """The lines of the events of a log as ``dumps`` lays them out, split into line start, value and line end.

    ``prefixes`` holds, per line, the index in ``_ENDS`` of what comes before
    the value (an attribute's start, or the whole <event>/</event> line), or
    is None when some line is neither, or some value holds a character that
    expat would not read as it stands (``"``, ``<``, a tab or control
    character, U+FFFE/U+FFFF, an ``&`` that starts no entity ``dumps`` writes).
    """

    def __init__(self, data: bytes, first: int, last: int):
        pa = colwise.arrow()
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
        pa = colwise.arrow()
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
