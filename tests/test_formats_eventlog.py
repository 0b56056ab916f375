"""Process-mining logs (XES and flat CSV) and the JSON export."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import uuid
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from pathlib import Path

import pytest

from annotate.errors import FormatError
from annotate.formats import dumps_events, eventlog, loads_events, write_events
from annotate.formats.log_table import events_from_table
from annotate.formats.json_format import SCHEMA_VERSION, load_bundle
from annotate.model import Codebook, Kind
from annotate.testing.events import comparable, make_recording, many_events, tricky_events

NS = "{http://www.xes-standard.org/}"


def test_xes_follows_ieee_1849():
    a = make_recording(rid=1, title="Same name")
    b = make_recording(rid=2, title="Same name", content_hash="b" * 64,
                       info={"creation_time": "2024-05-01T09:00:00.000000Z"})
    events = tricky_events(a) + tricky_events(b)
    root = ET.fromstring(dumps_events(events, [a, b], format="xes"))
    assert root.tag == f"{NS}log" and root.get("xes.version") == "2.0"  # XES 2.0 is IEEE 1849-2016; the schema wants a decimal
    declared = {e.get("prefix") for e in root.findall(f"{NS}extension")}
    assert declared == {"concept", "time", "lifecycle", "org", "identity"}
    assert root.find(f"{NS}classifier").get("keys") == "concept:name"
    traces = root.findall(f"{NS}trace")
    names = [t.find(f"{NS}string[@key='concept:name']").get("value") for t in traces]
    assert names == ["Same name #1", "Same name #2"]
    pairs: dict[str, list[str]] = {}
    for trace in traces:
        stamps = []
        for ev in trace.findall(f"{NS}event"):
            attrs = {c.get("key"): (c.tag.replace(NS, ""), c.get("value")) for c in ev}
            for key in attrs:
                assert ":" not in key or key.split(":")[0] in declared
            assert attrs["concept:name"][0] == "string" and attrs["time:timestamp"][0] == "date"
            stamps.append(datetime.fromisoformat(attrs["time:timestamp"][1]))
            assert attrs["identity:id"][0] == "id"
            uuid.UUID(attrs["identity:id"][1])
            assert attrs["lifecycle:transition"][1] in ("start", "complete")
            pairs.setdefault(attrs["identity:id"][1], []).append(attrs["lifecycle:transition"][1])
            if "emotion" in attrs:
                assert attrs["emotion"][0] == "int"
        assert stamps == sorted(stamps)
    assert sorted(map(tuple, pairs.values())) == sorted(
        ("start", "complete") if e.end_s is not None else ("complete",) for e in events)
    first_b = traces[1].find(f"{NS}event/{NS}date").get("value")
    assert first_b == "2024-05-01T09:00:00.000+00:00"  # the recording's own start time
    first_a = traces[0].find(f"{NS}event/{NS}date").get("value")
    assert first_a == "1970-01-01T00:00:00.000+00:00"  # else the documented epoch


def test_xes_loads_in_pm4py_when_it_is_installed(tmp_path):
    pm4py = pytest.importorskip("pm4py")
    rec = make_recording()
    path = write_events(tmp_path / "log.xes", many_events(rec, 200), [rec])
    log = pm4py.read_xes(str(path))
    assert len(log) == sum(2 if e.end_s is not None else 1 for e in many_events(rec, 200))


def test_event_log_csv_columns_and_lifecycle():
    rec = make_recording()
    events = tricky_events(rec)
    rows = list(csv.DictReader(io.StringIO(dumps_events(events, [rec], format="eventlog").decode("utf-8-sig"))))
    assert list(rows[0])[:4] == ["case_id", "activity", "timestamp", "lifecycle"]
    assert len(rows) == sum(2 if e.end_s is not None else 1 for e in events)
    duration = [r for r in rows if r["label"] == "Long wait"]
    assert [(r["lifecycle"], r["timestamp"]) for r in duration] == [
        ("start", "1970-01-01T00:00:02.002Z"), ("complete", "1970-01-01T00:00:09.977Z")]
    no_label = [r for r in rows if r["label"] == "" ]
    assert all(r["activity"] == Kind(r["kind"]).title for r in no_label)
    assert all(not r["activity"].startswith(("=", "@", "+", "-")) for r in rows)


def test_a_foreign_event_log_imports_with_epoch_first():
    data = ("case_id,activity,timestamp,lifecycle\n"
            "c1,Greeting,2024-05-01T10:00:01Z,complete\n"
            "c1,Hand-off,2024-05-01T10:00:02.5Z,start\n"
            "c1,Hand-off,2024-05-01T10:00:04Z,complete\n"
            "c1,Choose delivery,2024-05-01T10:00:06Z,complete\n").encode()
    events = loads_events(data, format="eventlog", recording=make_recording(), codebook=Codebook(), epoch="first")
    assert [(e.kind.short, e.start_s, e.end_s, e.label) for e in events] == [
        ("MOT", 0.0, None, "Greeting"), ("INT", 1.5, 3.0, "Hand-off"), ("DEC", 5.0, None, "Choose delivery")]
    with pytest.raises(FormatError, match="outside the recording"):  # counted from 1970 they are decades late
        loads_events(data, format="eventlog", recording=make_recording(), codebook=Codebook())


FOREIGN_CASES = (  # two cases interleaved, as a process-mining tool exports them: no ids, no seconds columns
    "case_id,activity,timestamp,lifecycle,kind,recording_id\n"
    "Other,Greeting,2024-05-01T09:00:00Z,complete,MOT,\n"
    "Checkout,Greeting,2024-05-01T10:00:01Z,complete,MOT,\n"
    "Checkout,Hand-off,2024-05-01T10:00:02.5Z,start,INT,\n"
    "Checkout,Hand-off,2024-05-01T10:00:03Z,start,INT,\n"
    "Other,Hand-off,2024-05-01T09:00:03Z,start,INT,\n"
    "Checkout,Hand-off,2024-05-01T10:00:04Z,complete,INT,\n"
    "Checkout,Queue,2024-05-01T10:00:04.5Z,schedule,INT,\n"
    "Checkout,Hand-off,2024-05-01T12:00:06.25+02:00,COMPLETE,INT,\n"
    "Other,Hand-off,2024-05-01T09:00:09Z,complete,INT,\n"
    "Store visit,Pays,2024-05-01T10:00:07.0004Z,complete,DEC,7\n"
)
# The recording's cases (its title, and the one holding its recording_id) from their first timestamp: each
# complete pairs with the earliest open start of its activity; a schedule entry is no event.
FOREIGN_EVENTS = [("MOT", 0.0, None, "Greeting"), ("INT", 1.5, 3.0, "Hand-off"), ("INT", 2.0, 5.25, "Hand-off"),
                  ("DEC", 0.0, None, "Pays")]


def test_a_foreign_log_of_several_cases_is_read_a_column_at_a_time():
    rec = make_recording(title="Checkout")
    data = FOREIGN_CASES.encode()
    table = eventlog._table(data)
    assert table is not None
    by_columns = events_from_table(table, rec, None, Codebook(), "first", "x.eventlog.csv")
    assert by_columns is not None  # not handed to the row-by-row reader
    assert [(e.kind.short, e.start_s, e.end_s, e.label) for e in by_columns] == FOREIGN_EVENTS
    events = loads_events(data, format="eventlog", recording=rec, codebook=Codebook(), epoch="first")
    assert [e.id for e in events] == [e.id for e in by_columns]
    other = loads_events(data, format="eventlog", recording=make_recording(8, title="Other"), epoch="first")
    assert [(e.kind.short, e.start_s, e.end_s) for e in other] == [("MOT", 0.0, None), ("INT", 3.0, 9.0)]


def test_a_foreign_log_with_seconds_and_ids_pairs_by_id_and_counts_from_case_start():
    data = ("case_id,activity,timestamp,lifecycle,event_id,end_s,case_start,label\n"
            "c,Talk,2024-05-01T10:00:01Z,start,a,,2024-05-01T10:00:00Z,first\n"
            "c,Talk,2024-05-01T10:00:02Z,start,b,,2024-05-01T10:00:00Z,second\n"
            "c,Talk,2024-05-01T10:00:03Z,complete,b,8.5,2024-05-01T10:00:00Z,second\n"
            "c,Talk,2024-05-01T10:00:04.0005Z,complete,a,,2024-05-01T10:00:00Z,first\n").encode()
    rec = make_recording()
    by_columns = events_from_table(eventlog._table(data), rec, {"Talk": "INT"}, None, None, "x.eventlog.csv")
    assert [(e.kind.short, e.start_s, e.end_s, e.label) for e in by_columns] == [
        ("INT", 2.0, 8.5, "second"), ("INT", 1.0, 4.0, "first")]  # end_s wins over timestamps; round(4.0005, 3)
    assert by_columns == loads_events(data, format="eventlog", recording=rec, mapping={"Talk": "INT"})


def test_a_foreign_log_the_columns_cannot_read_goes_row_by_row_to_name_the_line():
    data = FOREIGN_CASES.replace("10:00:04Z,complete", "10:00:01.5Z,complete").encode()  # completes before its start
    assert events_from_table(eventlog._table(data), make_recording(title="Checkout"), None, Codebook(), "first",
                             "x") is None
    with pytest.raises(FormatError, match="line 7: 'Hand-off' completes"):
        loads_events(data, format="eventlog", recording=make_recording(title="Checkout"), epoch="first")


def test_an_unfinished_start_is_reported():
    data = b"case_id,activity,timestamp,lifecycle\nc,MOT,1970-01-01T00:00:01Z,start\n"
    with pytest.raises(FormatError, match="line 2: 'MOT' starts but never completes"):
        loads_events(data, format="eventlog", recording=make_recording())


# --- JSON ------------------------------------------------------------------------------


def test_json_is_versioned_and_holds_recordings_events_and_codebook():
    rec = make_recording(info={"video_codec": "h264"})
    book = Codebook(stages=["Before", "During", "After"])
    events = tricky_events(rec)
    data = dumps_events(events, [rec], format="json", codebook=book)
    doc = json.loads(data)
    assert doc["format"] == "cx-annotate-events" and doc["schema_version"] == SCHEMA_VERSION
    assert doc["recordings"][0]["fps"] == "30000/1001" and doc["codebook"]["stages"] == ["Before", "During", "After"]
    assert doc["events"][1]["note"] == "line one\nline two\r\nline three"
    bundle = load_bundle(data)
    assert bundle.recordings == [rec] and bundle.codebook == book
    assert [comparable(e) for e in bundle.events] == [comparable(e) for e in events]


def test_json_minimal_list_and_selection_by_recording():
    rec = make_recording()
    (event,) = loads_events(b'[{"kind": "DEC", "start_s": "00:00:02.5", "label": "x", "emotion": -1}]',
                            format="json", recording=rec)
    assert (event.kind, event.start_s, event.emotion) == (Kind.DECISION_POINT, 2.5, -1)
    a, b = make_recording(rid=1), make_recording(rid=2, content_hash="b" * 64, path="/b.mp4")
    data = dumps_events(tricky_events(a)[:2] + tricky_events(b)[:3], [a, b], format="json")
    elsewhere = make_recording(rid=40, content_hash="b" * 64)  # same video, another store
    assert len(loads_events(data, format="json", recording=elsewhere)) == 3


@pytest.mark.parametrize("data, message", [
    (b'{"format": "cx-annotate-events", "schema_version": 99, "events": []}', "schema_version 99, newer"),
    (b'{"format": "something-else"}', "is a 'something-else' file"),
    (b'[{"kind": "MOT"}, {"start_s": 1}, 5]', "event 1: start_s is missing"),
    (b'{"events": [{"kind": "MOT", "start_s": 1, "label": {"a": 1}}]}', "label must be text"),
])
def test_json_problems(data, message):
    with pytest.raises(FormatError, match=message):
        loads_events(data, format="json", recording=make_recording())


def test_json_dates_are_utc():
    rec = make_recording()
    doc = json.loads(dumps_events(tricky_events(rec), [rec], format="json",
                                  exported_at=datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)))
    assert doc["exported_at"] == "2024-01-02T03:04:05.000Z"
    assert doc["events"][0]["created_at"] == "2024-05-01T12:30:00.123Z"


# Outcomes of odd event logs (the events' digest, or the message), recorded when a second, entry-by-entry
# reader stood beside the column one and both agreed on each.
ODD_LOG_OUTCOMES = Path(__file__).parent / "data" / "eventlog_odd_outcomes.json"


def _swap_lifecycle(lines):
    i = next(n for n, line in enumerate(lines) if ",start," in line)
    lines[i] = lines[i].replace(",start,", ",complete,", 1)


ODD_LOGS = [
    _swap_lifecycle,  # a duration event completes twice
    lambda lines: lines.pop(next(n for n, line in enumerate(lines) if ",start," in line)),  # ends without start
    lambda lines: lines.insert(5, lines[-2]),  # a complete before its start, and twice
    lambda lines: lines.__setitem__(7, lines[7].replace(",1970-01-01T", ",1969-12-31T", 1)),
    lambda lines: lines.__setitem__(9, lines[9].replace(",moment_of_truth,", ",purple,", 1)),
    lambda lines: lines.__setitem__(9, lines[9].replace(",-1,", ",-7,", 1)),
    lambda lines: lines.__setitem__(11, lines[11].replace(",Web,", ",'=Web,", 1)),
    lambda lines: lines.__setitem__(13, lines[13].replace("Checkout", "Other case", 1)),
    lambda lines: None,  # as written
]


def odd_log_outcome(n):
    rec = make_recording()
    events = [e.replace(id=f"{i:032x}") for i, e in enumerate(many_events(rec, 200))]
    lines = dumps_events(events, [rec], format="eventlog").decode("utf-8-sig").split("\r\n")
    ODD_LOGS[n](lines)
    try:
        got = loads_events("\r\n".join(lines).encode("utf-8"), format="eventlog", recording=rec)
    except FormatError as exc:
        return f"FormatError: {exc}"
    return f"{len(got)} events {hashlib.sha1(repr(got).encode('utf-8')).hexdigest()}"


@pytest.mark.parametrize("n", range(len(ODD_LOGS)))
def test_odd_event_logs_read_or_fail_as_recorded(n):
    assert odd_log_outcome(n) == json.loads(ODD_LOG_OUTCOMES.read_text(encoding="utf-8"))[f"log {n}"]


def test_event_log_this_tool_writes_reads_back():
    rec = make_recording()
    events = sorted(many_events(rec, 300) + tricky_events(rec), key=lambda e: (e.start_s, e.id))
    back = loads_events(dumps_events(events, [rec], format="eventlog"), format="eventlog", recording=rec)
    fields = ("id", "kind", "start_s", "end_s", "label", "stage", "channel", "actor", "emotion", "note")
    assert sorted(tuple(getattr(e, f) for f in fields) for e in back) == sorted(
        tuple(getattr(e, f) for f in fields) for e in events)
