"""The XES import: a log in this tool's layout read a column at a time, and edited logs read or rejected as recorded.

``xes_layout.read_columns`` answers for a log laid out as this tool writes it
(None: the byte scan, ``xes_scan``, or the element-by-element reader reads it into the same entries). The
outcome of each edited log (the events' digest, or the FormatError message)
was recorded in ``data/xes_edit_outcomes.json`` when a second reader stood
beside the column one and both agreed on every edit.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from annotate.errors import FormatError
from annotate.formats import dumps_events, loads_events, xes_layout
from annotate.formats import columns as colwise
from annotate.model import Codebook
from annotate.testing.events import make_recording, many_events, tricky_events

pytestmark = pytest.mark.skipif(colwise.arrow() is None, reason="pyarrow is not installed")


def outcome(fn):
    """Return ``fn()``'s result, or the FormatError message it raised."""
    try:
        return fn()
    except FormatError as exc:
        return f"FormatError: {exc}"


OUTCOMES = Path(__file__).parent / "data" / "xes_edit_outcomes.json"


def read(data, rec, **kw):
    """Return the outcome of importing ``data``: the events' count and digest, or the FormatError message."""
    got = outcome(lambda: loads_events(data, format="xes", recording=rec, codebook=Codebook(), **kw))
    if isinstance(got, str):
        return got
    return f"{len(got)} events {hashlib.sha1(repr(got).encode('utf-8', 'surrogatepass')).hexdigest()}"


def recorded(key):
    return json.loads(OUTCOMES.read_text(encoding="utf-8"))[key]


def written_log():
    rec = make_recording()
    events = [e.replace(id=f"{i:032x}") for i, e in enumerate(many_events(rec, 300) + tricky_events(rec))]
    return rec, dumps_events(events, [rec], format="xes")


@pytest.fixture(scope="module")
def written():
    return written_log()


def test_a_log_this_tool_writes_takes_the_column_path(written):
    rec, data = written
    fast = xes_layout.read_columns(data, rec, None, None, "x.xes", None)
    assert fast is not None and len(fast) == 300 + len(tricky_events(rec))
    assert fast == loads_events(data, format="xes", recording=rec, codebook=Codebook())
    assert read(data, rec) == recorded("as written")
    assert any("\r\n" in e.note for e in fast) and any('"' in e.label for e in fast)  # entities decoded


EPOCH = datetime(1970, 1, 1, 0, 0, 1, tzinfo=timezone.utc)  # after the case start: point events come before it


def test_an_epoch_given_is_used(written):
    rec, data = written
    got = read(data, rec, epoch=EPOCH)
    assert "before the case start" in got and got == recorded("epoch")
    assert xes_layout.read_columns(data, rec, None, None, "x.xes", EPOCH) is None


def _first_value(data: bytes, key: str) -> re.Match:
    return re.search(rb'(\t\t\t<\w+ key="' + key.encode() + rb'" value=")([^"]*)("/>\n)', data)


def _set_value(data: bytes, key: str, value: bytes) -> bytes:
    m = _first_value(data, key)
    return data[: m.start(2)] + value + data[m.end(2) :]


# Edits the column path must hand over to the element-by-element path (which reads or rejects each its own way).
EDITS = {
    "raw tab in a value (expat makes it a space)": lambda d: _set_value(d, "stage", b"Buy\tIn"),
    "entity dumps never writes": lambda d: _set_value(d, "stage", b"Care &apos;n&#x41;"),
    "escaped entity text": lambda d: _set_value(d, "stage", b"&amp;lt;Care&amp;gt;"),
    "bare ampersand": lambda d: _set_value(d, "stage", b"Care & Use"),
    "quote inside a value": lambda d: _set_value(d, "stage", b'Ca"re'),
    "markup inside a value": lambda d: _set_value(d, "stage", b"Ca<b>re"),
    "control character": lambda d: _set_value(d, "stage", b"Ca\x01re"),
    "U+FFFE": lambda d: _set_value(d, "stage", "Ca\ufffere".encode()),
    "invalid UTF-8": lambda d: _set_value(d, "stage", b"Ca\xffre"),
    "carriage returns": lambda d: d.replace(b"\n", b"\r\n"),
    "DOCTYPE after the header": lambda d: d.replace(b"\t<trace>", b'<!DOCTYPE log [<!ENTITY x "y">]>\n\t<trace>', 1),
    "key twice in an event": lambda d: d.replace(b'\t\t\t<string key="stage"', b'\t\t\t<string key="stage" value="A"/>'
                                                 b'\n\t\t\t<string key="stage"', 1),
    "unknown key": lambda d: d.replace(b'\t\t\t<string key="stage"', b'\t\t\t<string key="case_start" value="2000-01-01'
                                       b'T00:00:00Z"/>\n\t\t\t<string key="stage"', 1),
    "lifecycle in capitals": lambda d: d.replace(b'value="complete"/>\n\t\t\t<id', b'value="COMPLETE"/>\n\t\t\t<id', 1),
    "other lifecycle": lambda d: d.replace(b'value="complete"/>\n\t\t\t<id', b'value="suspend"/>\n\t\t\t<id', 1),
    "start without complete": lambda d: d[: d.rindex(b"\t\t<event>")] + b"\t</trace>\n</log>\n",
    "uppercase id": lambda d: _set_value(d, "identity:id", _first_value(d, "identity:id").group(2).upper()),
    "id used twice": lambda d: _set_value(d, "identity:id", re.findall(rb'key="identity:id" value="([^"]*)"', d)[-1]),
    "emotion out of range": lambda d: _set_value(d, "emotion", b"7"),
    "start_s not a number": lambda d: _set_value(d, "start_s", b"1e0"),
    "timestamp with spaces": lambda d: _set_value(d, "time:timestamp", b" 1970-01-01T00:00:00.000+00:00"),
    "bad case start": lambda d: d.replace(b'key="cx:case_start" value="1970', b'key="cx:case_start" value="19x0', 1),
    "empty label given": lambda d: _set_value(d, "label", b""),
    "nested attribute": lambda d: d.replace(b'\t\t\t<string key="stage" value="Awareness"/>',
                                            b'\t\t\t<string key="stage" value="Awareness"><string key="a" value="b"/>'
                                            b"</string>", 1),
    "no trailing newline": lambda d: d[:-1],
    "two traces": lambda d: d.replace(b"\t</trace>\n</log>", b"\t</trace>\n\t<trace>\n\t</trace>\n</log>"),
    "indentation changed": lambda d: d.replace(b"\t\t\t<", b"\t\t <", 1),
    "characters XML allows": lambda d: _set_value(d, "stage", "x\ufdd0\x85\u2028\U0010ffff>y".encode()),
    "DEL character (XML allows it, validation decides)": lambda d: _set_value(d, "stage", b"Ca\x7fre"),
}
# Edits the column path reads itself (or leaves to validation): the rest it must hand over.
READ_BY_COLUMNS = {"empty label given", "escaped entity text", "characters XML allows",
                   "DEL character (XML allows it, validation decides)"}


@pytest.mark.parametrize("edit", list(EDITS))
def test_edited_logs_read_or_fail_as_recorded(edit, written):
    rec, data = written
    edited = EDITS[edit](data)
    assert edited != data
    assert read(edited, rec) == recorded(edit)
    if edit not in READ_BY_COLUMNS:
        assert xes_layout.read_columns(edited, rec, None, None, "x.xes", None) is None
    elif edit != "DEL character (XML allows it, validation decides)":
        assert xes_layout.read_columns(edited, rec, None, None, "x.xes", None) == loads_events(
            edited, format="xes", recording=rec, codebook=Codebook())


def test_escaped_entity_text_is_decoded_once(written):
    rec, data = written
    edited = _set_value(data, "stage", b"&amp;lt;Care&amp;gt; &quot;x&quot;")
    events = loads_events(edited, format="xes", recording=rec)
    assert "&lt;Care&gt; \"x\"" in {e.stage for e in events}


def test_a_str_log_reads_as_its_bytes(written):
    rec, data = written
    assert read(data.decode("utf-8"), rec) == read(data, rec) == recorded("as written")


@pytest.mark.parametrize("ids", ["hex", "repeated"])
def test_export_in_any_event_order_is_the_same_sorted_export(ids):
    import random

    rec = make_recording()
    events = many_events(rec, 200) + tricky_events(rec)
    events += [e.replace(id="0") for e in events[:50]]  # ties on every time: ids decide
    events = [e.replace(id=f"{i:032x}") for i, e in enumerate(events)]
    if ids == "repeated":
        events[1] = events[1].replace(id=events[0].id)
    # ids that are not hex sort as these do (same width, same order), through sort_events rather than numpy
    others = [e.replace(id=f"event {int(e.id, 16):026d}") for e in events]
    exports = []
    for seed in (5, 6):
        for evs in (events, others):
            shuffled = list(evs)
            random.Random(seed).shuffle(shuffled)
            data = dumps_events(shuffled, [rec], format="xes")
            exports.append(re.sub(rb'\t\t\t<id key="identity:id" value="[^"]*"/>\n', b"", data))
    assert exports[0] == exports[1] == exports[2] == exports[3]
    stamps = re.findall(rb'key="time:timestamp" value="([^"]*)"', exports[0])
    assert len(stamps) > 250 and stamps == sorted(stamps)


# A log as pm4py writes one: several traces, attributes in any order, no identity:id, no start_s/end_s,
# a trace without a name, a key given twice (the later wins).
FOREIGN = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1849-2016" xmlns="http://www.xes-standard.org/">
  <trace>
    <string key="concept:name" value="Other" />
    <event><string key="concept:name" value="Greeting" /><date key="time:timestamp" value="2024-05-01T09:00:00+00:00" /></event>
  </trace>
  <trace>
    <string key="concept:name" value="Checkout" />
    <date key="cx:case_start" value="2024-05-01T10:00:00.000+00:00" />
    <event>
      <string key="lifecycle:transition" value="complete" />
      <date key="time:timestamp" value="2024-05-01T10:00:01.000+00:00" />
      <string key="concept:name" value="Greeting" />
      <string key="org:resource" value="frontline" />
    </event>
    <event>
      <string key="concept:name" value="Hand-off" />
      <string key="lifecycle:transition" value="start" />
      <date key="time:timestamp" value="2024-05-01T10:00:02.500+00:00" />
      <string key="stage" value="Buy" /><string key="stage" value="Pay" />
    </event>
    <event>
      <string key="concept:name" value="Hand-off" />
      <string key="lifecycle:transition" value="complete" />
      <date key="time:timestamp" value="2024-05-01T12:00:04.000+02:00" />
      <string key="stage" value="Other" />
    </event>
  </trace>
  <trace>
    <event><string key="concept:name" value="Abandon" /><date key="time:timestamp" value="2024-05-01T09:00:05Z" /></event>
  </trace>
</log>
"""


def test_a_foreign_log_of_several_traces_is_read_a_column_at_a_time():
    from annotate.formats import xmlsafe, xes_tree
    from annotate.formats.log_table import events_from_table
    from annotate.formats.problems import Problems

    rec = make_recording(title="Checkout")
    data = FOREIGN.encode()
    assert xes_layout.read_columns(data, rec, None, None, "x.xes", None) is None  # not this tool's layout
    root = xmlsafe.parse_xml(data, Problems("x.xes"))
    traces = [(t, xes_tree._attrs(trace), xes_tree._kids(trace, "event"))
              for t, trace in enumerate(xes_tree._kids(root, "trace"), 1)]
    mapping = {"Greeting": "MOT", "Hand-off": "INT", "Abandon": "DEC"}
    by_columns = events_from_table(xes_tree._table(traces), rec, mapping, None, None, "x.xes")
    assert by_columns is not None  # not handed to the event-by-event reader
    # From the trace's cx:case_start; the start entry gives the fields; the mapping names the kind, so no label.
    assert [(e.kind.short, e.start_s, e.end_s, e.label, e.stage) for e in by_columns] == [
        ("MOT", 1.0, None, "", ""), ("INT", 2.5, 4.0, "", "Pay")]
    assert by_columns == loads_events(data, format="xes", recording=rec, mapping=mapping)
    unnamed = loads_events(data, format="xes", recording=make_recording(8, title="trace 3"), mapping=mapping,
                           epoch="first")
    assert [(e.kind.short, e.start_s) for e in unnamed] == [("DEC", 0.0)]
