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
from datetime import datetime, timedelta
from operator import attrgetter, methodcaller
from typing import Any, Iterable, Mapping

import numpy as np

from ..errors import ValidationError
from ..model import Event, Kind, Recording
from . import columns as colwise
from . import xmlsafe
from .common import Problems, TextCells, as_recordings, iso_utc, parse_iso
from .eventlog import EPOCH, Log, Row, entry_order, events_from_rows

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


def _date(value: datetime) -> str:
    return iso_utc(value).replace("Z", "+00:00")


def dumps(
    events: Iterable[Event],
    recordings: Mapping[int, Recording] | Iterable[Recording] | None = None,
    *,
    codebook: Any = None,
    epoch: datetime | None = None,
) -> bytes:
    """Return an XES 1849-2016 log (UTF-8) with one trace per recording."""
    a = xmlsafe.attr
    out = [
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
    ]
    events = events if isinstance(events, list) else list(events)
    with colwise.no_gc():
        body = _entries_columns(events, as_recordings(recordings), epoch)
    if body is not None:
        return ("\n".join(out + body[0]) + "\n").encode("utf-8") + body[1] + "\t</trace>\n</log>\n".encode()
    log = Log(events, as_recordings(recordings), epoch)
    attr = TextCells(a)
    kind_lines = {k: f'\t\t\t<string key="kind" value="{a(k.value)}"/>\n'
                     f'\t\t\t<string key="kind_short" value="{a(k.short)}"/>\n' for k in Kind}
    shared: dict[int, tuple[str, str]] = {}  # id(event) -> its lines before and after the timestamp
    case = None
    for rid, ms, lifecycle, ev, kind in log.order():
        case_id = log.case_ids[rid]
        if case_id != case:
            if case is not None:
                out.append("\t</trace>")
            case = case_id
            out += [
                "\t<trace>",
                f'\t\t<string key="concept:name" value="{a(case)}"/>',
                f'\t\t<date key="cx:case_start" value="{_date(log.starts[rid])}"/>',
            ]
            if ev.recording_id is not None:
                out.append(f'\t\t<int key="cx:recording_id" value="{int(ev.recording_id)}"/>')
        lines = shared.get(id(ev))
        if lines is None:
            lines = shared[id(ev)] = _event_lines(ev, kind, attr, kind_lines[kind])
        stamp = log.stamp(rid, ms)
        out.append(f'{lines[0]}\t\t\t<date key="time:timestamp" value="{stamp[:-1]}+00:00"/>\n'
                   f'\t\t\t<string key="lifecycle:transition" value="{lifecycle}"/>\n{lines[1]}')
    if case is not None:
        out.append("\t</trace>")
    out += ["</log>", ""]
    return "\n".join(out).encode("utf-8")


def _entries_columns(events: list[Event], recordings: Mapping[Any, Recording],
                     epoch: datetime | None) -> tuple[list[str], bytes] | None:
    """Return the trace's opening lines and its entries (UTF-8, a newline after each), made a column at a time.

    Returns None for what only the entry-by-entry path writes (see ``eventlog._rows_columns``).
    """
    pa = colwise.arrow()
    if pa is None or len(events) < colwise.MIN_EVENTS:
        return None
    log = Log(events, recordings, epoch)
    if len(log.case_ids) != 1:
        return None
    (rid,) = log.case_ids
    base = log.starts[rid]
    if base.tzinfo is None or base.microsecond % 1000:
        return None
    evs = log.events
    entries = entry_order(evs)
    if entries is None:
        return None
    entry_event, entry_ms, entry_end, start_ms, end_ms, point = entries
    field = colwise.fields_of(evs)
    kinds = field("kind")
    emotions, ids = field("emotion"), field("id")
    if set(map(type, emotions)) - {int, type(None)} or set(map(type, ids)) - {str}:
        return None
    attr = TextCells(xmlsafe.attr)
    try:
        values = {name: field(name) for name in _STRINGS[2:]}
        cells = {name: list(map(attr.__getitem__, col)) for name, col in values.items()}
    except (TypeError, AttributeError):
        return None
    a = xmlsafe.attr
    titles = {k: a(k.title) for k in Kind}
    names = [c if c else titles[k] for c, k in zip(cells["label"], kinds)]
    text = colwise.text_array
    join = pa.compute.binary_join_element_wise

    def optional(name: str, key: str) -> Any:
        lines = join(f'\t\t\t<string key="{key}" value="', text(cells[name]), '"/>\n', "")
        return colwise.blank_where(np.array([not v for v in values[name]]), lines)

    kind_lines = {k: f'\t\t\t<string key="kind" value="{a(k.value)}"/>\n'
                     f'\t\t\t<string key="kind_short" value="{a(k.short)}"/>\n' for k in Kind}
    no_emotion = np.array([e is None for e in emotions])
    tail = [
        join('\t\t\t<id key="identity:id" value="', text(list(map(_uuid, ids))), '"/>\n', ""),
        optional("actor", "org:resource"),
        text(list(map(kind_lines.__getitem__, kinds))),
        *(optional(name, name) for name in _STRINGS[2:]),
        colwise.blank_where(no_emotion, join('\t\t\t<int key="emotion" value="',
                                             text(["" if e is None else str(int(e)) for e in emotions]), '"/>\n', "")),
        join('\t\t\t<float key="start_s" value="', colwise.seconds_text(start_ms), '"/>\n', ""),
        colwise.blank_where(point, join('\t\t\t<float key="end_s" value="', colwise.seconds_text(end_ms), '"/>\n', "")),
        "\t\t</event>",
    ]
    heads = join('\t\t<event>\n\t\t\t<string key="concept:name" value="', text(names), '"/>\n', "")
    tails = join(*tail, "")
    take = colwise.take
    base_ms = (base - EPOCH) // timedelta(milliseconds=1)
    body = colwise.join_lines([
        take(heads, entry_event),
        '\t\t\t<date key="time:timestamp" value="',
        colwise.iso_from_ms(base_ms + entry_ms, "+00:00"),
        '"/>\n\t\t\t<string key="lifecycle:transition" value="',
        pa.compute.if_else(pa.array(entry_end), "complete", "start"),
        '"/>\n',
        take(tails, entry_event),
    ], "", "\n")
    head = ["\t<trace>", f'\t\t<string key="concept:name" value="{a(log.case_ids[rid])}"/>',
            f'\t\t<date key="cx:case_start" value="{_date(base)}"/>']
    if rid is not None:
        head.append(f'\t\t<int key="cx:recording_id" value="{int(rid)}"/>')
    return head, body


def _event_lines(ev: Event, kind: Kind, attr: TextCells, kind_lines: str) -> tuple[str, str]:
    """Return an XES event's lines before its timestamp and after its lifecycle (shared by both entries)."""
    head = f'\t\t<event>\n\t\t\t<string key="concept:name" value="{attr[ev.label or kind.title]}"/>\n'
    tail = [f'\t\t\t<id key="identity:id" value="{_uuid(ev.id)}"/>\n']
    if ev.actor:
        tail.append(f'\t\t\t<string key="org:resource" value="{attr[ev.actor]}"/>\n')
    tail.append(kind_lines)
    for key in _STRINGS[2:]:
        value = getattr(ev, key)
        if value:
            tail.append(f'\t\t\t<string key="{key}" value="{attr[value]}"/>\n')
    if ev.emotion is not None:
        tail.append(f'\t\t\t<int key="emotion" value="{int(ev.emotion)}"/>\n')
    tail.append(f'\t\t\t<float key="start_s" value="{ev.start_s:.3f}"/>\n')
    if ev.end_s is not None:
        tail.append(f'\t\t\t<float key="end_s" value="{ev.end_s:.3f}"/>\n')
    tail.append("\t\t</event>")
    return head, "".join(tail)


def _uuid(h: str) -> str:
    if len(h) == 32 and _HEX.fullmatch(h):
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    return str(uuid.uuid5(uuid.NAMESPACE_OID, h))  # not a hex id: still a valid, stable XES id


_HEX = re.compile(r"[0-9a-f]{32}")


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
