"""XES logs as their XML tree holds them (any log a process-mining tool writes), read to a table of entries.

:func:`read_tree` parses the XML, gathers every XES event's attributes into
columns (a whole column at a time: one list of all attribute elements, then
per key the last of each event's) and pairs them with
:func:`.log_table.events_from_table`; only a log that path does not take is
read again event by event, so that the messages name trace and event.
"""

from __future__ import annotations

from datetime import datetime
from itertools import chain
from operator import attrgetter, methodcaller
from typing import Any, Iterable, Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import ValidationError
from ..model import Codebook, Event, Recording
from . import columns as colwise
from . import xmlsafe
from .common import Problems, parse_iso
from .log_table import LogTable, events_from_table
from .pairing import Row, events_from_rows


def read_tree(data: bytes | str, recording: Recording, mapping: Mapping[str, Any] | Iterable[str] | None,
              codebook: Codebook | None, source: str, epoch: datetime | str | None) -> list[Event]:
    """Return the validated events of an XES log read from its XML tree.

    Raises FormatError for a file that is not XML or not XES, and one listing every bad XES event by trace and number.
    """
    problems = Problems(source)
    root = xmlsafe.parse_xml(data, problems)
    if _local(root.tag) != "log":
        problems.fail(None, "is an XML file but not an XES log (no <log> root)")
    traces = [(t, _attrs(trace), _kids(trace, "event")) for t, trace in enumerate(_kids(root, "trace"), 1)]
    fast = events_from_table(_table(traces), recording, mapping, codebook, epoch, source)
    return fast if fast is not None else _loads_rows(_entries(traces), recording, mapping, codebook, epoch, problems)


_Traces = list[tuple[int, dict[str, str], list[Any]]]  # per trace: its number, attributes and event elements


def _case(t: int, tattrs: dict[str, str]) -> str:
    return tattrs.get("concept:name") or f"trace {t}"


def _table(traces: _Traces) -> LogTable:
    """Return the XES events of ``traces`` as a table (see :func:`attribute_table`)."""
    events = list(chain.from_iterable(kids for _, _, kids in traces))
    trace_of = np.repeat(np.arange(len(traces)), [len(kids) for _, _, kids in traces])
    children = list(chain.from_iterable(events))
    owner = np.repeat(np.arange(len(events)), list(map(len, events)))
    keys = pc.dictionary_encode(colwise.text_array(list(map(_key, children))).fill_null("\x00"))  # \x00: no key
    return attribute_table([tattrs for _, tattrs, _ in traces], trace_of, owner, colwise.int_values(keys.indices),
                           keys.dictionary.to_pylist(), colwise.text_array(list(map(_value, children))))


def attribute_table(traces: list[dict[str, str]], trace_of: np.ndarray, owner: np.ndarray, codes: np.ndarray,
                    keys: list[str], values: Any) -> LogTable:
    """Return a log's XES events as a table: per key the value of each event's last attribute of that key.

    ``traces`` holds each trace's attributes (later keys won), ``trace_of``
    each event's trace (an index into ``traces``); ``owner``, ``codes`` and
    ``values`` give, per attribute element of an event in file order, its event
    (an index), key (an index into ``keys``) and value (Arrow strings). An event's trace
    gives its case, and its case_start (``cx:case_start``) and recording_id
    (``cx:recording_id``) where it has none of its own.
    """
    count = len(trace_of)
    code_of = {key: i for i, key in enumerate(keys)}

    def column(key: str) -> Any:
        code = code_of.get(key)
        if code is None:
            return None
        hits = np.flatnonzero(codes == code)[::-1]
        _, last = np.unique(owner[hits], return_index=True)  # the last of each event's (later keys win)
        at = np.full(count, -1, dtype=np.int64)
        at[owner[hits[last]]] = hits[last]
        return values.take(pa.array(at, mask=at < 0))

    def from_trace(key: str, trace_key: str) -> Any:
        given = [tattrs.get(trace_key) for tattrs in traces]
        own = column(key)
        if all(g is None for g in given):
            return own
        inherited = colwise.text_array(given).take(pa.array(trace_of))
        return inherited if own is None else pc.coalesce(own, inherited)

    def field(name: str) -> Any:
        if name == "event_id":
            ids, named = column("identity:id"), column("event_id")
            return named if ids is None else ids if named is None else pc.coalesce(ids, named)
        if name in ("case_start", "recording_id"):
            return from_trace(name, f"cx:{name}")
        return column(name)

    def cells(key: str, blank: str = "") -> Any:
        found = column(key)
        return pa.repeat(blank, count) if found is None else found.fill_null(blank)

    cases = colwise.text_array([_case(t, tattrs) for t, tattrs in enumerate(traces, 1)]).take(pa.array(trace_of))
    lifecycle = colwise.map_text(cells("lifecycle:transition", "complete"), str.lower)
    return LogTable(cases, cells("concept:name"), lifecycle, cells("time:timestamp"), field)


def _entries(traces: _Traces) -> list[tuple[str, int, dict[str, str]]]:
    """Return each XES event's case, number in its trace and attributes (with its trace's case start and id)."""
    out = []
    for t, tattrs, kids in traces:
        case = _case(t, tattrs)
        defaults = {"case_start": tattrs.get("cx:case_start", "")}
        if "cx:recording_id" in tattrs:
            defaults["recording_id"] = tattrs["cx:recording_id"]
        for n, ev in enumerate(kids, 1):
            f = {**defaults, **_attrs(ev)}  # the event's own attributes win
            if "identity:id" in f:
                f["event_id"] = f["identity:id"]
            out.append((case, n, f))
    return out


def _loads_rows(entries: list[tuple[str, int, dict[str, str]]], recording: Recording,
                mapping: Mapping[str, Any] | Iterable[str] | None, codebook: Codebook | None,
                epoch: datetime | str | None, problems: Problems) -> list[Event]:
    """Return what ``loads`` returns, read one XES event at a time (to name the events in the messages)."""
    rows: list[Row] = []
    for case, n, f in entries:
        try:
            stamp = parse_iso("time:timestamp", f.get("time:timestamp", ""))
        except ValidationError as exc:
            problems.add(_event_place((case, n)), exc)
            continue
        rows.append(Row((case, n), case, f.get("concept:name", ""), f.get("lifecycle:transition", "complete").lower(),
                        stamp, f))
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
