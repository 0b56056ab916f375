"""The whole-column helpers (``annotate.formats.columns``) and the one column path of each format.

Each format reads and writes a table of events a column at a time; the tests
compare what they give against expected values (what Python's own csv,
float and datetime code gives, or the events written), not against a second path.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import datetime, timedelta, timezone
from fractions import Fraction

import pytest

from annotate.errors import FormatError
from annotate.formats import dumps_events, loads_events
from annotate.formats import columns as colwise
from annotate.formats.common import iso_utc
from annotate.model import Codebook, Event, Kind, validate_columns, validate_event
from annotate.testing.events import T0, make_recording, many_events, tricky_events

pytestmark = pytest.mark.skipif(colwise.arrow() is None, reason="pyarrow is not installed")

FIXED = datetime(2024, 5, 1, tzinfo=timezone.utc)


def outcome(fn):
    """Return ``fn()``'s result, or the FormatError message it raised."""
    try:
        return fn()
    except FormatError as exc:
        return f"FormatError: {exc}"


def sample(rec, n=700):
    events = many_events(rec, n) + tricky_events(rec) * 1
    # tricky events again under new ids, so the file has many awkward rows
    more = [e.replace(id=f"{i:032x}") for i, e in enumerate(tricky_events(rec) * 8)]
    return events + more


def csv_lines(rec, n=200):
    data = dumps_events(many_events(rec, n), [rec]).decode("utf-8-sig")
    return data.split("\r\n")


@pytest.mark.parametrize(
    "change",
    [
        lambda lines: lines.__setitem__(50, lines[50].replace(",Web,", ',"We"b,', 1)),  # text after a closing quote
        lambda lines: lines.__setitem__(50, lines[50].replace(",Web,", ',W"eb,', 1)),  # a quote inside a cell
        lambda lines: lines.__setitem__(60, lines[60] + ",extra"),
        lambda lines: lines.__setitem__(60, lines[60] + ",,"),  # empty extra cells are allowed
        lambda lines: lines.__setitem__(70, ",".join(lines[70].split(",")[:5])),  # a row cut short
        lambda lines: lines.insert(80, ""),  # a blank line
        lambda lines: lines.insert(80, "," * 20),  # a row of empty cells
        lambda lines: lines.__setitem__(90, lines[90].replace(",moment_of_truth,", ",purple,")),
        lambda lines: lines.__setitem__(90, lines[90].replace(",Web,", ", Web ,")),  # text to trim
        lambda lines: lines.__setitem__(99, lines[99].replace(".000Z", "Z")),
        lambda lines: lines.__setitem__(99, lines[99].replace(".000Z", "+02:00")),
        lambda lines: lines.__setitem__(99, lines[99].replace("2024-05-01T", "2024-05-01 ")),
        lambda lines: lines.__setitem__(120, lines[120].replace(lines[120].split(",")[2], lines[121].split(",")[2])),
        lambda lines: lines.__setitem__(130, lines[130].replace(lines[130].split(",")[2], "")),  # derive an id
        lambda lines: lines.__setitem__(130, lines[130].replace(lines[130].split(",")[2], "ABC-1")),
        lambda lines: lines.__setitem__(140, lines[140].replace(lines[140].split(",")[5], "1e1")),
        lambda lines: lines.__setitem__(140, lines[140].replace(lines[140].split(",")[5], "00:00:01.5")),
        lambda lines: lines.__setitem__(140, lines[140].replace(lines[140].split(",")[5], "99999")),
        lambda lines: lines.__setitem__(150, lines[150].replace(",Checkout, web (Zoë),", ",Other,")),
        lambda lines: lines.__setitem__(150, lines[150].replace('"Checkout, web (Zoë)",7,', '"Other",8,')),
        lambda lines: lines.__setitem__(160, lines[160].replace("\r", "")),
        lambda lines: lines.__setitem__(170, lines[170] + '\r\n"unterminated,'),
    ],
)
def test_odd_csv_files_read_or_fail_exactly_as_csv_reader_reads_them(change):
    from annotate.formats.csv_read import arrow_cells

    rec = make_recording()
    lines = csv_lines(rec)
    change(lines)
    data = ("\ufeff" + "\r\n".join(lines)).encode("utf-8")
    # The same file with a quoted header cell, which only csv.reader splits: its lines and results are the reference.
    quoted = data.replace(b"recording,", b'"recording",', 1)
    assert arrow_cells(quoted, "x.csv") is None
    got = outcome(lambda: loads_events(data, recording=rec))
    assert got == outcome(lambda: loads_events(quoted, recording=rec))
    assert isinstance(got, str) or len(got) >= 199


def test_arrow_and_csv_reader_give_the_same_table():
    from annotate.formats.csv_read import arrow_cells, reader_cells

    rec = make_recording()
    data = dumps_events(many_events(rec, 300) + tricky_events(rec), [rec])
    fast, slow = arrow_cells(data, "x.csv"), reader_cells(data, rec, "x.csv")
    assert fast is not None and fast.cols == slow.cols and fast.count == slow.count == 300 + len(tricky_events(rec))
    for name in fast.cols:
        assert fast.column(name).to_pylist() == slow.column(name).to_pylist(), name
    assert slow.place(slow.rows[0]) == "line 2"


def test_csv_of_lf_lines_semicolons_and_no_bom_reads_the_same():
    rec = make_recording()
    events = many_events(rec, 300)
    data = dumps_events(events, [rec], delimiter=";", bom=False).replace(b"\r\n", b"\n")
    got = loads_events(data, recording=rec)
    assert got == loads_events(data.replace(b"recording;", b'"recording";', 1), recording=rec)
    assert got == [validate_event(e, rec.duration_s) for e in events]
    assert [e.id for e in got] == [e.id for e in events]


def test_iso_text_writes_what_iso_utc_writes():
    rnd = random.Random(5)
    zones = [timezone.utc, timezone(timedelta(hours=-5)), timezone(timedelta(hours=5, minutes=30))]
    values = [datetime(1801, 1, 1, tzinfo=timezone.utc) + timedelta(milliseconds=rnd.randrange(0, 12 * 10**12))
              for _ in range(3000)]
    values = [v.astimezone(rnd.choice(zones)) for v in values]
    assert colwise.iso_text(values).to_pylist() == [iso_utc(v) for v in values]
    assert colwise.iso_text(values + [T0 + timedelta(microseconds=1)]) is None  # microseconds: per event
    assert colwise.iso_text(values + [datetime(2024, 1, 1)]) is None  # naive: per event


def test_time_cells_match_the_per_event_formatting():
    rnd = random.Random(9)
    ms = [rnd.randrange(0, 10**9) for _ in range(3000)] + [0, 999, 1000, 3_599_999, 360_000_000]
    import numpy as np

    arr = np.array(ms, dtype=np.int64)
    assert colwise.seconds_text(arr).to_pylist() == [f"{m // 1000}.{m % 1000:03d}" for m in ms]
    expected = []
    for m in ms:
        h, rem = divmod(m, 3_600_000)
        expected.append(f"{h:02d}:{rem // 60_000:02d}:{rem // 1000 % 60:02d},{m % 1000:03d}")
    assert colwise.timecode_text(arr, ",").to_pylist() == expected


def test_seconds_cells_read_as_python_floats_do():
    rnd = random.Random(11)
    cells = [f"{rnd.randrange(0, 10**7)}.{rnd.randrange(0, 1000):03d}" for _ in range(5000)]
    cells += ["0", "7.", "7.5", "12.25", "000123.400"]
    pa = colwise.arrow()
    assert colwise.seconds_column(pa.array(cells), blank_is_none=False) == [round(float(c), 3) for c in cells]
    assert colwise.seconds_column(pa.array(cells + [""]), blank_is_none=True)[-1] is None
    for odd in ["1e3", " 1.5", "1.2345", "-1.000", "nan", "1_000"]:
        assert colwise.seconds_column(pa.array(cells + [odd]), blank_is_none=False) is None


def test_validate_columns_gives_validate_event_or_steps_aside():
    rec = make_recording()
    events = many_events(rec, 300)
    fields = [f for f in events[0].__dict__]
    columns = {f: [getattr(e, f) for e in events] for f in fields}
    built = validate_columns(columns, rec.duration_s)
    assert built == [validate_event(e, rec.duration_s) for e in events]
    odd_values = {
        "kind": "MOT", "start_s": 1.2345, "end_s": 0.0, "label": " padded ", "note": "bell\x07",
        "emotion": 3, "reviewer": None, "stage": "x" * 2001,
    }
    for name, value in odd_values.items():
        changed = {k: list(v) for k, v in columns.items()}
        changed[name][5] = value
        changed["start_s"][5] = max(changed["start_s"][5], 0.5) if name == "end_s" else changed["start_s"][5]
        assert validate_columns(changed, rec.duration_s) is None, name
    late = {k: list(v) for k, v in columns.items()}
    late["start_s"][3], late["end_s"][3] = rec.duration_s + 1.0, None
    assert validate_columns(late, rec.duration_s) is None
    assert validate_columns(late) is not None


def test_frame_cells_stay_exact_for_fraction_rates_over_hours():
    # 4 hours at 30000/1001 fps: frame = floor(ms * 30000 / 1001000) in integers, never a float product
    rec = make_recording(duration_s=4 * 3600.0)
    rnd = random.Random(2)
    events = [validate_event(Event(Kind.DECISION_POINT, rnd.randrange(0, 4 * 3600 * 1000) / 1000, rec.id),
                             rec.duration_s) for _ in range(500)]
    events += [validate_event(Event(Kind.DECISION_POINT, (1001 * k) / 1000, rec.id), rec.duration_s)
               for k in range(0, 14000, 7)]  # exactly on frame boundaries
    rows = list(csv.DictReader(io.StringIO(dumps_events(events, [rec]).decode("utf-8-sig"), newline="")))
    frames = [int(r["frame"]) for r in rows]
    assert frames == [int(Fraction(round(e.start_s * 1000), 1000) * Fraction(30000, 1001)) for e in events]


def test_csv_files_this_tool_writes_are_split_by_arrow_and_read_back():
    from annotate.formats.csv_read import arrow_cells

    rec = make_recording()
    events = sample(rec)
    data = dumps_events(events, [rec])
    assert arrow_cells(data, "events.csv") is not None
    assert loads_events(data, recording=rec) == [validate_event(e, rec.duration_s) for e in events]


def test_deferred_importer_reports_what_adding_at_once_reports():
    from annotate.formats.common import Importer, Problems

    rec = make_recording()
    good = many_events(rec, 120)
    bad = {10: good[10].replace(emotion="7"), 40: good[40].replace(start_s=-1.0), 41: good[41].replace(kind="purple"),
           90: good[90].replace(end_s=0.0, start_s=5.0)}
    steps = []
    for i, event in enumerate(good):
        steps.append(("event", bad.get(i, event).replace(id=""), f"{i:032x}" if i % 7 else ""))
        if i in (5, 40, 119):
            steps.append(("problem", i, None))
    steps.append(("event", good[3].replace(id=""), f"{3:032x}"))  # an id used twice

    def run(defer):
        problems = Problems("events.x")
        sink = Importer(rec, problems, lambda w: f"row {w}", defer=defer)
        for n, (what, value, raw_id) in enumerate(steps):
            if what == "event":
                sink.add(value, n, raw_id)
            else:
                problems.add(f"row {n}", f"unreadable cell after event {value}")
        sink.finish()
        return problems.items, sink.events

    deferred, at_once = run(True), run(False)
    assert deferred == at_once
    assert len(deferred[0]) == 8 and len(deferred[1]) == len(good) - len(bad)
    kept = {}
    for defer in (True, False):
        problems = Problems("events.x")
        sink = Importer(rec, problems, defer=defer)
        for i, event in enumerate(good + good[:3]):  # the same events again: derived ids count repeats
            sink.add(event.replace(id=""), i, "")
        kept[defer] = sink.finish()
        assert not problems
    assert kept[True] == kept[False] and len({e.id for e in kept[True]}) == len(good) + 3
    assert [e.replace(id="") for e in kept[True][:len(good)]] == [validate_event(e, rec.duration_s).replace(id="")
                                                                   for e in good]


def test_derived_ids_follow_the_one_rule_whole_block_by_block_or_one_by_one():
    import uuid

    from annotate.formats.common import EVENT_ID_NAMESPACE, EventIds, recording_key, uuid5_hex, uuid5_hex_many

    rec = make_recording()
    events = many_events(rec, 500)
    events += events[:3]  # repeats of one content get #1, #2, ... in file order
    columns = ([e.kind for e in events], [e.start_s for e in events], [e.end_s for e in events],
               [e.label for e in events])
    one, whole, blocks = EventIds(rec), EventIds(rec), EventIds(rec)
    expected = [one.derived(e.kind, e.start_s, e.end_s, e.label) for e in events]
    assert whole.assign(*columns) == expected
    got = []
    for lo in range(0, len(events), 97):
        got += blocks.assign(*(c[lo:lo + 97] for c in columns))
    assert got == expected
    e = events[0]
    end = "" if e.end_s is None else str(round(e.end_s * 1000))
    name = f"{recording_key(rec)}\x1f{e.kind.value}\x1f{round(e.start_s * 1000)}\x1f{end}\x1f{e.label}"
    assert expected[0] == uuid.uuid5(EVENT_ID_NAMESPACE, name).hex
    assert expected[500] == uuid.uuid5(EVENT_ID_NAMESPACE, name + "\x1f#1").hex
    # afterwards each counts the same repeats
    assert whole.derived(e.kind, e.start_s, e.end_s, e.label) == one.derived(e.kind, e.start_s, e.end_s, e.label)
    # ids of the file: kept when 32-hex, else made into one
    raw = ["ab" * 16, " urn:uuid:ABABABAB-ABAB-ABAB-ABAB-ABABABABABAB ", "", "not an id"]
    ids = EventIds(rec).assign(*(c[:4] for c in columns), raw)
    assert ids[:2] == ["ab" * 16, "ab" * 16] and ids[2] == expected[2]
    assert ids[3] == uuid5_hex(f"{recording_key(rec)}\x1fid\x1fnot an id")
    names = ["a", "ü\x1f7", ""]
    assert uuid5_hex_many(names) == [uuid5_hex(n) for n in names] == [uuid.uuid5(EVENT_ID_NAMESPACE, n).hex
                                                                      for n in names]


_SAME = None  # the file reads as before the change


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda t: t.replace("\r\n\r\n", "\r\n\r\n\r\n", 1), _SAME),  # two blank lines
        (lambda t: t.replace("\r\n\r\n", "\r\n \r\n", 1), _SAME),  # a blank-ish line
        (lambda t: t.replace(" --> ", "-->", 1), _SAME),
        (lambda t: t.replace("INT · ", "PURPLE · ", 1),
         "events.srt line 10: cue text 'PURPLE · Hand-off' names no kind; start it with MOT, INT or DEC "
         "(e.g. 'MOT · Greeting') or map it (--map 'PURPLE · Hand-off=MOT')"),
        (lambda t: "\r\n" + t, _SAME),
        (lambda t: t + "stray words\r\n", {-1: "Abandon\nstray words"}),
        (lambda t: t[: t.rindex("-->") + 6], "events.srt line 598: '00' is not a cue time such as 00:01:02.500"),
        (lambda t: t.replace("00:00:", "00:00:0", 1),
         "events.srt line 2: '00:00:000,031' is not a cue time such as 00:01:02.500"),
        (lambda t: t.replace(",", ".", 3), {0: 'Ünïcode. "quoted"'}),
    ],
)
def test_odd_srt_files_read_or_fail_as_expected(change, expected):
    rec = make_recording()
    text = dumps_events(many_events(rec, 150), [rec], format="srt").decode("utf-8")
    plain = loads_events(text.encode("utf-8"), format="srt", recording=rec)
    assert len(plain) == 150
    got = outcome(lambda: loads_events(change(text).encode("utf-8"), format="srt", recording=rec))
    if isinstance(expected, str):
        assert got == f"FormatError: {expected}; nothing was imported: fix the file and import it again"
        return
    assert isinstance(got, list) and len(got) == len(plain)
    relabelled = dict(expected or {})
    for i, label in relabelled.items():
        assert (got[i].label, got[i].start_s) == (label, plain[i].start_s)
    changed = {i % len(plain) for i in relabelled}
    assert [e for i, e in enumerate(got) if i not in changed] == [e for i, e in enumerate(plain) if i not in changed]


def test_srt_and_json_files_this_tool_writes_read_back():
    rec = make_recording()
    events = sample(rec)
    text = dumps_events(events, [rec], format="srt").decode("utf-8")
    got = loads_events(text.encode(), format="srt", recording=rec)
    assert len(got) == len(events) and got == loads_events(("\n" + text).encode(), format="srt", recording=rec)
    data = dumps_events(events, [rec], format="json")
    assert loads_events(data, format="json", recording=rec) == [validate_event(e, rec.duration_s) for e in events]


@pytest.mark.parametrize("name", ["eventlog", "xes"])
@pytest.mark.parametrize("start", [None, "2024-05-01T10:00:00.250+02:00", "2024-05-01T10:00:00.000001Z", "epoch"])
def test_event_log_exports_with_case_starts_read_back(name, start):
    info = {} if start in (None, "epoch") else {"creation_time": start}
    rec = make_recording(info=info)
    events = sample(rec)
    opts = {"epoch": datetime(2023, 12, 31, 23, 59, 59, tzinfo=timezone.utc)} if start == "epoch" else {}
    data = dumps_events(events, [rec], format=name, **opts)
    back = loads_events(data, format=name, recording=rec, **opts)
    assert sorted((e.id, e.start_s, e.end_s) for e in back) == sorted(
        (e.id, e.start_s, e.end_s) for e in [validate_event(e, rec.duration_s) for e in events])


@pytest.mark.parametrize("metadata", [True, False])
def test_vtt_export_of_validated_events_reads_back(metadata):
    rec = make_recording()
    arrows = [e.replace(label="a --> b > c", note="x>y </c>", id=f"{i:032x}") for i, e in enumerate(many_events(rec, 5))]
    events = sorted(many_events(rec, 400) + tricky_events(rec)[2:] + arrows, key=lambda e: (e.start_s, e.id))
    events = [e.replace(created_at=None) if e.created_at and e.created_at.microsecond % 1000 else e for e in events]
    data = dumps_events(events, [rec], format="vtt", metadata=metadata)
    assert data.count(b" --> ") == len(events) and b"a --> b" not in data and b"x>y" not in data
    back = loads_events(data, format="vtt", recording=rec)
    order = sorted(events, key=lambda e: (e.start_s, -1.0 if e.end_s is None else e.end_s, e.id))
    if metadata:
        assert back == order
    else:
        assert [(e.kind, e.start_s) for e in back] == [(e.kind, e.start_s) for e in order]


@pytest.mark.parametrize("details", [True, False])
def test_eaf_export_of_validated_events_reads_back(details):
    from annotate.formats.common import sort_events

    rec = make_recording()
    events = sort_events(sample(rec))
    opts = {"date": FIXED, "details": details, "codebook": Codebook()}
    data = dumps_events(events, [rec], format="eaf", **opts)
    assert data == dumps_events(list(reversed(events)), [rec], format="eaf", **opts)
    longer = make_recording(duration_s=60.0)  # without details a point's annotation may run past the end
    back = loads_events(data, format="eaf", recording=longer)
    fields = ("kind", "start_s", "label") + (("id", "end_s", "stage", "note") if details else ())
    assert sorted(tuple(getattr(e, f) for f in fields) for e in back) == sorted(
        tuple(getattr(e, f) for f in fields) for e in (validate_event(e, rec.duration_s) for e in events))


@pytest.mark.parametrize("fmt", ["eaf", "xes"])
@pytest.mark.parametrize("encoding", ["cp500", "utf-16-le", "utf-16"])
def test_entities_in_other_encodings_are_refused_by_the_guarded_parser(fmt, encoding):
    # the byte scan cannot read EBCDIC: the parser's DOCTYPE guard must still see the declaration
    decl = f'<?xml version="1.0" encoding="{encoding.split("-le")[0]}"?>'
    rest = '\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<log>&x;</log>\n'
    data = decl.encode("ascii") + rest.encode(encoding) if encoding == "cp500" else (decl + rest).encode(encoding)
    with pytest.raises(FormatError) as info:
        loads_events(data, format=fmt, recording=make_recording())
    # expat reads no EBCDIC at all; UTF-16 the scan decodes, and the parser's DOCTYPE guard stands behind it
    expected = "unknown encoding" if encoding == "cp500" else "declares a DTD or entities"
    assert expected in str(info.value) and "passwd" not in str(info.value)


@pytest.mark.parametrize("indent", [1, None])
def test_json_export_holds_each_event_as_its_dict(indent):
    import dataclasses
    import json

    rec = make_recording()
    events = many_events(rec, 300) + [tricky_events(rec)[0].replace(kind="decision_point", created_at=datetime(2024, 1, 1))]
    doc = json.loads(dumps_events(events, [rec], format="json", exported_at=FIXED, indent=indent))
    expected = []
    for e in events:
        d = {**dataclasses.asdict(e), "kind": str(getattr(e.kind, "value", e.kind))}
        for key in ("created_at", "updated_at"):
            d[key] = iso_utc(getattr(e, key)) or None
        expected.append(d)
    assert doc["events"] == expected
    assert list(doc["events"][0]) == ["id", "recording_id", "kind", "start_s", "end_s", "label", "stage", "channel",
                                      "actor", "expectation", "emotion", "note", "reviewer", "created_at",
                                      "updated_at", "version"]
