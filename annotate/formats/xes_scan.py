"""XES logs of any layout (what pm4py, ProM, Disco or Celonis write) read by a scan of their bytes, no XML tree.

:func:`scan_table` cuts the log's body at every ``<`` into pieces (a tag and
the text after it) and reads them a block of the file at a time, so that what
it holds beside the file is one block's worth of arrays plus the table:

* the common tags (``<event>``, ``</trace>``, ``<string key=".." value=".."/>``
  with key or value first, double or single quotes, any spacing) are checked
  by RE2 patterns (Arrow): one pass over a block written all one way, else one
  per piece; their key and value are cut out where their quotes are (numpy);
* any other piece (other attributes, names outside ASCII, text, comments,
  CDATA, processing instructions) is checked by expat inside a copy of the
  ``<log>`` tag, which also gives its key and value;
* nesting (which ``<trace>`` and ``<event>`` each attribute belongs to, and
  that every end tag closes its start tag) is worked out with cumulative sums.

The log's head (up to the ``<log>`` tag) and its end are checked by expat as
one document. Values are read as expat reads them: entities and character
references decoded, literal tabs and line breaks turned into spaces. The
result is the same :class:`.log_table.LogTable` the tree reader
(:mod:`.xes_tree`) gives. The scan returns None, and the tree reader takes the
log, for anything it does not read itself: an encoding other than UTF-8, a
DOCTYPE or other ``<!`` declaration, namespace declarations below ``<log>``, a
character reference XML refuses, more than ODD_LIMIT odd pieces, or anything
that is not well-formed (the tree reader then names its line).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any, Iterable, Mapping

import numpy as np
import pyarrow as pa

from ..model import Codebook, Event, Recording
from .log_table import LogTable, events_from_table
from .xes_scan_pieces import CLOSE, EMPTY, OPEN, SKIP, Odd, odd_pieces, pieces_of
from .xes_tree import attribute_table

BLOCK = 1 << 22  # bytes a block: its arrays stay a few MB, whatever the file holds
_PROLOG = re.compile(
    rb'\A(?:\xef\xbb\xbf)?(<\?xml(?:[^?]|\?(?!>))*\?>)?(?:[ \t\r\n]+|<!--(?:[^-]|-(?!-))*-->|<\?(?:[^?]|\?(?!>))*\?>)*'
    rb'<([^\s/>!?]+)((?:[^>"\']|"[^"]*"|\'[^\']*\')*)>')
_EPILOG = re.compile(rb'</[^\s>]+[ \t\r\n]*>(?:[ \t\r\n]+|<!--(?:[^-]|-(?!-))*-->|<\?(?:[^?]|\?(?!>))*\?>)*\Z')
_UTF8 = re.compile(rb"""encoding\s*=\s*["']utf-?8["']""", re.I)
_SPACE = re.compile(rb"[ \t\r\n]*\Z")


def read_scanned(data: bytes | str, recording: Recording, mapping: Mapping[str, Any] | Iterable[str] | None,
                 codebook: Codebook | None, source: str, epoch: datetime | str | None) -> list[Event] | None:
    """Return what ``xes.loads`` returns for a valid log the scan reads (see :func:`scan_table`).

    Returns None for a log the scan does not read or one with anything wrong
    (:func:`.log_table.events_from_table` declines it): the tree reader then
    reads it and names the bad events.
    """
    table = scan_table(data)
    return None if table is None else events_from_table(table, recording, mapping, codebook, epoch, source)


def scan_table(data: bytes | str, block: int = BLOCK) -> LogTable | None:
    """Return the XES events of ``data`` as a table, as :func:`.xes_tree.read_tree` builds it from the XML tree.

    Returns None for a log the scan does not read (see the module's
    docstring); the tree reader then reads it, or names what is wrong.
    """
    if isinstance(data, str):
        try:
            data = data.encode("utf-8")
        except UnicodeEncodeError:
            return None
    bounds = _bounds(data)
    if bounds is None:
        return None
    first, last, root = bounds
    scan = _Scan(data, root, last)
    lo = first
    while lo < last:
        lo = scan.block(lo, _block_end(data, lo, last, block))
        if lo is None:
            return None
    return scan.table()


def _bounds(data: bytes) -> tuple[int, int, bytes] | None:
    """Return where the body of the ``<log>`` element starts and ends and its start tag; None unless plain.

    Plain: UTF-8, a ``<log>`` root (in any namespace) whose head and end
    expat reads as a document, nothing but white space before the first tag.
    """
    head = _PROLOG.match(data)
    if head is None or head.group(3).endswith(b"/"):
        return None
    if head.group(1) and b"encoding" in head.group(1) and not _UTF8.search(head.group(1)):
        return None
    if head.group(2).split(b":")[-1] != b"log" or head.group(2).count(b":") > 1:
        return None
    last = data.rfind(b"</")
    if last < head.end() or _EPILOG.match(data, last) is None:
        return None
    try:
        ET.fromstring(data[: head.end()] + data[last:])
    except ET.ParseError:
        return None
    first = data.find(b"<", head.end(), last)
    if first < 0:
        first = last
    if _SPACE.match(data, head.end(), first) is None:
        return None
    return first, last, head.group(0)[head.start(2) - 1 :]


def _block_end(data: bytes, lo: int, last: int, block: int) -> int:
    """Return where the block from ``lo`` ends: at the last ``<`` before ``block`` bytes on (or the next one)."""
    if last - lo <= block:
        return last
    hi = data.rfind(b"<", lo + 1, lo + block)
    if hi < 0:
        hi = data.find(b"<", lo + block, last)
    return last if hi < 0 else hi


def _spans(data: bytes, raw: np.ndarray, starts: np.ndarray, last: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Return where the comments, CDATA sections and processing instructions among ``starts`` start and end.

    Returns None for a ``<!`` declaration (e.g. DOCTYPE) or one left open: the tree reader's to refuse.
    """
    marks = raw[starts + 1]
    special = starts[(marks == 33) | (marks == 63)].tolist()  # "<!" and "<?"
    found, ends = [], []
    for at in special:
        if ends and at < ends[-1]:
            continue  # inside the one before: a "<!" in a comment, say
        opener, closer = next(((o, c) for o, c in _SPANS if data.startswith(o, at)), (b"", b""))
        end = data.find(closer, at + len(opener), last) if opener else -1
        if end < 0:
            return None
        found.append(at)
        ends.append(end + len(closer))
    return np.array(found, dtype=np.int64), np.array(ends, dtype=np.int64)


_SPANS = ((b"<!--", b"-->"), (b"<![CDATA[", b"]]>"), (b"<?", b"?>"))


class _Scan:
    """The state of a scan between blocks: the open elements, the traces and the events' attributes so far."""

    def __init__(self, data: bytes, root: bytes, last: int):
        self.data, self.root = data, root
        self.odd = 0  # odd pieces so far
        self.raw = np.frombuffer(data, dtype=np.uint8)
        self.stack: list[tuple[int, int]] = []  # per open element: its name's code and its trace/event number (-1)
        self.names: dict[str, int] = {}
        self.trace_names: list[int] = []  # the codes of names whose local part is "trace"
        self.event_names: list[int] = []
        self.traces: list[dict[str, str]] = []
        self.trace_of: list[np.ndarray] = []
        self.owner: list[np.ndarray] = []
        self.keys: list[np.ndarray] = []  # per block, each attribute's key as a code of self.key_names
        self.key_names: dict[str, int] = {}
        self.values: list[Any] = []
        self.events = 0
        self.last = last

    def _bound(self, name: str) -> bool:
        """Return True when expat reads the prefixed ``name`` inside the ``<log>`` tag (its prefix is declared)."""
        root_name = self.root[1:].split(None, 1)[0].rstrip(b">")
        try:
            ET.fromstring(self.root + f"<{name}/>".encode("utf-8") + b"</" + root_name + b">")
        except ET.ParseError:
            return False
        return True

    def code(self, names: list[str]) -> np.ndarray | None:
        """Return the codes of ``names`` (new ones added); None for a name expat would not bind the same way."""
        for name in names:
            if name not in self.names:
                if ":" in name and not self._bound(name):
                    return None  # a prefix <log> does not declare (the scan follows no declaration below it)
                code = self.names[name] = len(self.names)
                local = name.split(":")[-1]
                if local in ("trace", "event"):
                    (self.trace_names if local == "trace" else self.event_names).append(code)
        return np.array([self.names[n] for n in names], dtype=np.int64)

    def block(self, lo: int, hi: int) -> int | None:
        """Read the pieces starting in ``lo:hi`` (on to the end of a comment or the like that ``hi`` falls in).

        Returns where the block read ends, or None when the log is not one the scan reads.
        """
        while True:
            starts = np.flatnonzero(self.raw[lo:hi] == 60) + lo
            spans = _spans(self.data, self.raw, starts, self.last)
            if spans is None:
                return None
            if not len(spans[1]) or spans[1][-1] <= hi:
                break
            hi = self.data.find(b"<", int(spans[1][-1]), self.last)  # a span runs past the block: take it in
            hi = self.last if hi < 0 else hi
        if len(spans[0]):
            i = np.searchsorted(spans[0], starts, side="right") - 1
            starts = starts[(i < 0) | (starts == spans[0][np.maximum(i, 0)]) | (starts >= spans[1][np.maximum(i, 0)])]
        block = self.data[lo:hi]
        if not block.isascii():
            try:
                block.decode("utf-8")
            except UnicodeDecodeError:
                return None
        found = pieces_of(self.data, self.raw, starts, hi, self)
        odd = None if found is None else odd_pieces(self.data, starts, hi, found, self)
        return hi if odd is not None and self._nest(found, odd) else None

    def _nest(self, found: Any, odd: Odd) -> bool:
        """Place the block's pieces in their elements, check the end tags and keep the events' attributes."""
        kind, name = found.kind, found.name
        start = kind <= EMPTY
        delta = np.where(kind == OPEN, 1, np.where(kind == CLOSE, -1, 0))
        before = len(self.stack) + np.cumsum(delta) - delta
        level = np.where(kind == CLOSE, before - 1, before)
        if len(level) and level.min() < 0:
            return False
        if not self._closes_match(kind, name, level):
            return False
        trace = start & (level == 0) & np.isin(name, self.trace_names)
        numbers = np.where(trace, len(self.traces) + np.cumsum(trace) - 1, -1)
        in_trace = _parent(kind, level, 0, numbers, self.stack)
        event = start & (level == 1) & np.isin(name, self.event_names) & (in_trace >= 0)
        numbers = np.where(event, self.events + np.cumsum(event) - 1, numbers)
        in_event = _parent(kind, level, 1, numbers, self.stack)
        keyed = found.keyed
        trace_attrs = np.flatnonzero(start & keyed & (level == 1) & (in_trace >= 0))
        event_attrs = np.flatnonzero(start & keyed & (level == 2) & (in_event >= 0))
        self.traces += [{} for _ in range(int(trace.sum()))]
        self.trace_of.append(in_trace[event])
        self.events += int(event.sum())
        keys, values = found.texts(self.data, odd, trace_attrs)
        if keys is None:
            return False
        for t, k, v in zip(in_trace[trace_attrs].tolist(), keys.to_pylist(), values.to_pylist()):
            self.traces[t][k] = v
        keys = found.key_codes(self.data, self.raw, odd, event_attrs)
        values = None if keys is None else found.read(self.data, found.value_at, odd.values, event_attrs)
        if values is None:
            return False
        codes = np.array([self.key_names.setdefault(k, len(self.key_names)) for k in keys[1]], dtype=np.int64)
        self.owner.append(in_event[event_attrs])
        self.keys.append(codes[keys[0]] if len(codes) else np.zeros(0, dtype=np.int64))
        self.values.append(values.cast(pa.string()))
        self._carry(kind, name, level, numbers)
        return True

    def _closes_match(self, kind: np.ndarray, name: np.ndarray, level: np.ndarray) -> bool:
        """Return True when every end tag has the name of the start tag it closes (this block's, or an earlier one)."""
        tags = np.flatnonzero(kind != SKIP)
        tags = tags[(kind[tags] == OPEN) | (kind[tags] == CLOSE)]
        order = tags[np.lexsort((tags, level[tags]))]
        ends = np.flatnonzero(kind[order] == CLOSE)
        if not len(ends):
            return True
        prev = np.where(ends > 0, order[np.maximum(ends - 1, 0)], -1)
        here = order[ends]
        same = (prev >= 0) & (level[np.maximum(prev, 0)] == level[here])
        if not (name[prev[same]] == name[here[same]]).all():
            return False
        opened = np.array([code for code, _ in self.stack] or [-1], dtype=np.int64)
        earlier = level[here[~same]]
        return bool((earlier < len(self.stack)).all() and (opened[earlier] == name[here[~same]]).all())

    def _carry(self, kind: np.ndarray, name: np.ndarray, level: np.ndarray, numbers: np.ndarray) -> None:
        """Keep the elements still open at the block's end (the latest start tag at each level below the depth)."""
        depth = len(self.stack) + int(np.count_nonzero(kind == OPEN)) - int(np.count_nonzero(kind == CLOSE))
        stack = self.stack[:depth] + [(-1, -1)] * (depth - len(self.stack))
        opens = np.flatnonzero((kind == OPEN) & (level < depth))
        if len(opens):
            levels = level[opens]
            _, latest = np.unique(levels[::-1], return_index=True)
            for at in opens[::-1][latest]:
                stack[int(level[at])] = (int(name[at]), int(numbers[at]))
        self.stack = stack

    def table(self) -> LogTable | None:
        """Return the table of the events read (None when some element is left open: not well-formed)."""
        if self.stack:
            return None
        owner = np.concatenate(self.owner or [np.zeros(0, dtype=np.int64)])
        trace_of = np.concatenate(self.trace_of or [np.zeros(0, dtype=np.int64)])
        keys = np.concatenate(self.keys or [np.zeros(0, dtype=np.int64)])
        values = pa.chunked_array(self.values, pa.string()).combine_chunks()
        return attribute_table(self.traces, trace_of, owner, keys, list(self.key_names), values)


def _parent(kind: np.ndarray, level: np.ndarray, at: int, numbers: np.ndarray, stack: list[tuple[int, int]]
            ) -> np.ndarray:
    """Return, per piece, the number of the element open at level ``at`` before it (-1 for none or not numbered).

    Only meaningful for the pieces below that level.
    """
    opens = (kind == OPEN) & (level == at)
    index = np.maximum.accumulate(np.where(opens, np.arange(len(kind)), -1)) if len(kind) else np.zeros(0, np.int64)
    carried = stack[at][1] if len(stack) > at else -1
    out = np.where(index >= 0, numbers[np.maximum(index, 0)], carried)
    return np.where(level > at, out, -1)

