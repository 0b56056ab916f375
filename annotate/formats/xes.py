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
``concept:name`` and ``time:timestamp``) like the CSV event log: this layout
line by line (:mod:`.xes_layout`), another tool's log of 64 KB or more by a
scan of its bytes (:mod:`.xes_scan`), anything else from its XML tree
(:mod:`.xes_tree`), which also names the bad events; all three give the same
table of entries, paired by :func:`.log_table.events_from_table`.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any, Callable, Iterable, Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute  # noqa: F401 - pa.compute

from ..model import Codebook, Event, Kind, Recording
from . import columns as colwise
from . import xmlsafe
from .common import TextCells, as_recordings, iso_utc
from .xes_layout import HEAD, STRINGS, read_columns
from .log_entries import Case, EntryColumns, cases, entry_columns, seconds_cells, stamp_cells
from .xes_scan import read_scanned
from .xes_tree import read_tree

NAME = "xes"
TITLE = "XES event log (IEEE 1849, process mining)"
SUFFIXES = (".xes",)
MEDIA_TYPE = "application/xml"

SCAN_FROM = 1 << 16  # bytes: a smaller log's tree is built sooner than the scan's patterns are compiled


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
    out = [("\n".join(HEAD) + "\n").encode("utf-8")]
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
    values = {name: field(name) for name in STRINGS[2:]}
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
        *(optional(name, name) for name in STRINGS[2:]),
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


def loads(data: bytes | str, *, recording: Recording, mapping: Mapping[str, Any] | Iterable[str] | None = None,
          codebook: Codebook | None = None, source: str = "events.xes",
          epoch: datetime | str | None = None) -> list[Event]:
    """Return the validated events of an XES log (see :mod:`annotate.formats.log_table` for the pairing).

    Raises FormatError listing every bad XES event by trace and number.
    """
    with colwise.no_gc():  # the tree's many elements would set the collector off again and again
        fast = read_columns(data, recording, mapping, codebook, source, epoch)
        if fast is not None:
            return fast
        if len(data) >= SCAN_FROM:  # another tool's layout, read without a tree
            fast = read_scanned(data, recording, mapping, codebook, source, epoch)
        if fast is not None:
            return fast
        return read_tree(data, recording, mapping, codebook, source, epoch)  # and names the bad events
