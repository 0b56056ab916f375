"""The event CSV: lossless round trip, spreadsheet safety, minimal files, all-or-nothing import."""

from __future__ import annotations

import csv
import dataclasses
import io
import random
from datetime import datetime, timedelta, timezone
from fractions import Fraction

import pytest

from annotate.errors import FormatError
from annotate.formats import dumps_events, loads_events, read_events, write_events
from annotate.formats.cells import iso_utc
from annotate.formats.csv_format import COLUMNS
from annotate.model import Event, Kind, validate_event
from annotate.timebase import frame_index
from annotate.testing.events import FORMULA_TEXTS, FPS, LAST_FRAME_S, comparable, make_recording, many_events, tricky_events


def parse(data: bytes) -> list[dict[str, str]]:
    text = data.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_header_is_the_documented_columns_with_bom_and_crlf():
    rec = make_recording()
    data = dumps_events(tricky_events(rec), {rec.id: rec})
    assert data.startswith(b"\xef\xbb\xbfrecording,recording_id,event_id,kind,")
    first_line = data.decode("utf-8-sig").split("\r\n")[0]
    assert tuple(first_line.split(",")) == COLUMNS
    assert data.endswith(b"\r\n")


def test_round_trip_is_lossless_for_every_field():
    rec = make_recording()
    events = tricky_events(rec)
    back = loads_events(dumps_events(events, {rec.id: rec}), recording=rec)
    assert [comparable(e) for e in back] == [comparable(e) for e in events]


def test_round_trip_of_1000_events_and_reimport_gives_the_same_ids():
    rec = make_recording()
    events = many_events(rec, 1000)
    data = dumps_events(events, [rec])
    back = loads_events(data, recording=rec)
    assert [comparable(e) for e in back] == [comparable(e) for e in events]
    assert [e.id for e in loads_events(data, recording=rec)] == [e.id for e in back]


def test_cells_show_the_values_a_reader_expects():
    rec = make_recording()
    events = tricky_events(rec)
    rows = parse(dumps_events(events, {rec.id: rec}))
    assert len(rows) == len(events)
    first, duration = rows[0], rows[1]
    assert first["recording"] == "Checkout, web (Zoë)" and first["recording_id"] == "7"
    assert (first["kind"], first["kind_short"], first["start_s"], first["end_s"]) == ("moment_of_truth", "MOT", "0.000", "")
    assert (first["start_tc"], first["frame"], first["emotion"]) == ("00:00:00.000", "0", "2")
    assert first["created_at"] == "2024-05-01T12:30:00.123Z" and first["updated_at"] == "2024-05-01T12:30:00.123Z"
    assert (duration["end_s"], duration["duration_s"], duration["end_tc"]) == ("1.500", "1.500", "00:00:01.500")
    assert duration["emotion"] == "-2"  # a number, not neutralised
    assert duration["note"] == "line one\nline two\r\nline three"
    assert duration["created_at"] == "2024-05-01T12:30:00.579789Z"
    last = rows[2]
    assert last["start_s"] == f"{LAST_FRAME_S:.3f}" and last["frame"] == "299"
    assert last["start_tc"] == "00:00:09.977"


def test_repeated_stamps_and_non_ascii_text_give_the_cells_of_each_event():
    # Stamps that repeat (a bulk import's) are written once each and picked; the text columns are built from
    # their joined UTF-8 bytes: both must give every row the cells a per-event writer would.
    rec = make_recording()
    stamps = [datetime(2024, 5, 1, 12, 30, tzinfo=timezone.utc), datetime(2024, 5, 1, 12, 30, 0, 579789, timezone.utc),
              datetime(2024, 5, 1, 14, 30, 0, 250000, timezone(timedelta(hours=2)))]
    events = [dataclasses.replace(e, created_at=stamps[i % 3], updated_at=stamps[i % 2],
                                  stage="Zoë 日本" if i % 3 else "plain", note=("é\n" if i % 2 else "x"))
              for i, e in enumerate(many_events(rec, 200))]
    rows = parse(dumps_events(events, [rec]))
    assert [(r["created_at"], r["updated_at"], r["stage"], r["note"]) for r in rows] == [
        (iso_utc(e.created_at), iso_utc(e.updated_at), e.stage, e.note) for e in events]
    assert {r["created_at"] for r in rows} == {"2024-05-01T12:30:00.000Z", "2024-05-01T12:30:00.579789Z",
                                               "2024-05-01T12:30:00.250Z"}


def test_formula_like_text_is_neutralised_and_numbers_are_not():
    rec = make_recording()
    rows = parse(dumps_events(tricky_events(rec), {rec.id: rec}))
    text_columns = ("recording", "label", "stage", "channel", "actor", "expectation", "reviewer", "note")
    for row in rows:
        for col in text_columns:
            assert not row[col] or row[col][0] not in "=+-@\t\r", (col, row[col])
    labels = [r["label"] for r in rows]
    for text in FORMULA_TEXTS:
        assert "'" + text in labels
    assert {r["emotion"] for r in rows} >= {"-1", "-2"}
    assert any(r["channel"] == "'@Chat" for r in rows)


def test_frame_column_is_the_frame_shown_at_start():
    rec = make_recording(duration_s=3600.0)
    rnd = random.Random(5)
    events = [validate_event(Event(Kind.DECISION_POINT, rnd.randrange(0, 3_600_000) / 1000, rec.id)) for _ in range(500)]
    events += [validate_event(Event(Kind.DECISION_POINT, n * 1001 / 30000, rec.id)) for n in range(0, 2000, 7)]
    rows = parse(dumps_events(events, [rec]))
    for ev, row in zip(events, rows):
        assert int(row["frame"]) == frame_index(Fraction(round(ev.start_s * 1000), 1000), fps=FPS)


def test_frame_column_uses_frame_times_for_vfr():
    rec = make_recording(vfr=True)
    times = [0.0, 0.1, 0.15, 0.5, 0.9, 2.0]
    events = [validate_event(Event(Kind.MOMENT_OF_TRUTH, t, rec.id)) for t in (0.0, 0.099, 0.1, 0.6, 1.0, 3.0)]
    rows = parse(dumps_events(events, [rec], frame_times={rec.id: times}))
    assert [int(r["frame"]) for r in rows] == [0, 0, 1, 3, 4, 5]


def test_unknown_frame_rate_leaves_frame_blank():
    rec = make_recording(fps="")
    rows = parse(dumps_events(tricky_events(rec), [rec]))
    assert {r["frame"] for r in rows} == {""}


def test_minimal_file_is_read_with_aliases_and_timecodes():
    rec = make_recording()
    data = b"kind,start_s\nMOT,1.5\nmoment of truth,00:00:02.250\nred,3\nINT,4\nDEC,00:05\nGreen,0:6.5\n"
    events = loads_events(data, recording=rec, source="mini.csv")
    assert [(e.kind.short, e.start_s, e.end_s) for e in events] == [
        ("MOT", 1.5, None), ("MOT", 2.25, None), ("MOT", 3.0, None), ("INT", 4.0, None), ("DEC", 5.0, None),
        ("DEC", 6.5, None),
    ]
    assert all(e.recording_id == rec.id and len(e.id) == 32 for e in events)
    # the same file gives the same ids again (so the store skips them), another recording other ids
    assert [e.id for e in loads_events(data, recording=rec)] == [e.id for e in events]
    other = make_recording(rid=8, content_hash="f" * 64)
    assert not {e.id for e in loads_events(data, recording=other)} & {e.id for e in events}


def test_header_names_are_case_insensitive_and_semicolons_work():
    rec = make_recording()
    data = "Kind;Start;END;Label;Emotion;Notes\r\nDecision;1,5;2;Choose product;+1;x\r\n".encode()
    (event,) = loads_events(data, recording=rec)
    assert (event.kind, event.start_s, event.end_s, event.label, event.emotion, event.note) == (
        Kind.DECISION_POINT, 1.5, 2.0, "Choose product", 1, "x")


def test_duration_column_gives_the_end_and_mapping_names_kinds():
    rec = make_recording()
    data = b"type,time,duration,label\npurple,1,2.5,a\n"
    (event,) = loads_events(data, recording=rec, mapping=["purple=INT"])
    assert (event.kind, event.start_s, event.end_s) == (Kind.INTERNAL_INTERACTION, 1.0, 3.5)


def test_utf16_excel_text_and_tabs():
    rec = make_recording()
    data = "kind\tstart_s\tlabel\nMOT\t1\tÜberraschung\n".encode("utf-16")
    (event,) = loads_events(data, recording=rec)
    assert event.label == "Überraschung"


def test_bad_file_is_rejected_whole_with_line_numbers():
    rec = make_recording()
    data = (
        "kind,start_s,end_s,emotion,label\n"
        "MOT,1,,,ok\n"
        "purple,1,,,bad kind\n"
        "INT,-1,,,negative\n"
        "DEC,5,4,,ends before start\n"
        "MOT,1,,5,emotion\n"
        "MOT,99,,,after the end\n"
        'MOT,1,,,split, not quoted\n'
        "MOT,abc,,,not a time\n"
        "INT,2,,,fine\n"
    ).encode()
    with pytest.raises(FormatError) as info:
        loads_events(data, recording=rec, source="events.csv")
    err = info.value
    assert "\n" not in str(err)
    assert str(err).startswith("events.csv line 3: unknown kind 'purple'")
    lines = [p.split(":")[0] for p in err.problems]
    assert lines == [f"events.csv line {n}" for n in (3, 4, 5, 6, 7, 8, 9)]
    assert "negative" in err.problems[1] and "before start_s" in err.problems[2]
    assert "outside -2..2" in err.problems[3] and "outside the recording" in err.problems[4]
    assert "and 4 more problems" in str(err) and "nothing was imported" in str(err)


def test_line_numbers_count_lines_inside_quoted_cells():
    rec = make_recording()
    data = 'kind,start_s,note\nMOT,1,"a\nb\nc"\nnope,2,x\n'.encode()
    with pytest.raises(FormatError, match=r"events.csv line 5: unknown kind 'nope'"):
        loads_events(data, recording=rec)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "is empty"),
        (b"\xef\xbb\xbf\r\n\r\n", "is empty"),
        (b"label,note\nx,y\n", "no kind or start_s column"),
        (b"kind,start_s,note\nMOT,1,\"cut sho", "line 2: cannot be split into cells .*cut short"),
        (b"kind,start_s,note\nMOT,1\n", "line 2: has 2 cells but the header has 3"),
        (b"kind,start_s\nMOT,1,extra\n", "line 2: has 3 cells"),
        ("kind,start_s,label\nMOT,1,Caf\xe9\n".encode("latin-1"), r"line 2: is not UTF-8 text"),
        (b"kind,start_s,event_id\nMOT,1,abc\nINT,2,abc\n", "line 3: event id abc is used again"),
        (b"kind,start_s,created_at\nMOT,1,last tuesday\n", "created_at 'last tuesday' is not an ISO 8601"),
        (b"kind,frame\nMOT,x\n", "frame 'x' is not a frame number"),
    ],
)
def test_malformed_files_give_one_line_and_nothing(data, message):
    rec = make_recording()
    with pytest.raises(FormatError, match=message) as info:
        loads_events(data, recording=rec)
    assert "\n" not in str(info.value) and info.value.problems


def test_a_broken_quote_mid_file_still_reports_the_rows_before_it():
    data = b'kind,start_s,note\nnope,1,x\nMOT,2,"a"b\nMOT,3,y\n'
    with pytest.raises(FormatError) as info:
        loads_events(data, recording=make_recording())
    assert [p.split(":")[0] for p in info.value.problems] == ["events.csv line 2", "events.csv line 3"]
    assert "cannot be split into cells" in info.value.problems[1]


def test_header_only_file_gives_no_events():
    assert loads_events(",".join(COLUMNS).encode() + b"\r\n", recording=make_recording()) == []


def test_frame_column_alone_gives_the_frame_time():
    rec = make_recording()
    events = loads_events(b"kind,frame\nMOT,0\nMOT,1\nMOT,299\n", recording=rec)
    assert [e.start_s for e in events] == [0.0, 0.034, LAST_FRAME_S]
    vfr = loads_events(b"kind,frame\nMOT,2\n", recording=rec, frame_times=[0.0, 0.25, 0.5004])
    assert vfr[0].start_s == 0.501


def test_file_with_several_recordings_imports_only_the_target_rows():
    a, b = make_recording(rid=1, title="A"), make_recording(rid=2, title="B", content_hash="b" * 64)
    events = tricky_events(a)[:3] + tricky_events(b)[:2]
    data = dumps_events(events, [a, b])
    assert [e.id for e in loads_events(data, recording=b)] == [e.id for e in events[3:]]
    # in another store the ids differ, but the name still matches
    renamed = make_recording(rid=99, title="A")
    assert len(loads_events(data, recording=renamed)) == 3
    with pytest.raises(FormatError, match="holds events of 2 recordings"):
        loads_events(data, recording=make_recording(rid=50, title="C"))


def test_write_and_read_files_atomically(tmp_path):
    rec = make_recording()
    events = tricky_events(rec)
    path = write_events(tmp_path / "out" / "events.csv", events, {rec.id: rec})
    assert path.exists() and sorted(p.name for p in path.parent.iterdir()) == ["events.csv"]
    back = read_events(path, recording=rec)
    assert [comparable(e) for e in back] == [comparable(e) for e in events]
    with pytest.raises(FormatError, match="does not exist"):
        read_events(tmp_path / "missing.csv", recording=rec)


def test_pandas_reads_the_export_as_a_table():
    pd = pytest.importorskip("pandas")
    rec = make_recording()
    events = tricky_events(rec)
    frame = pd.read_csv(io.BytesIO(dumps_events(events, [rec])), keep_default_na=False, dtype=str)
    assert list(frame.columns) == list(COLUMNS)
    assert frame["label"][0] == "Café ☕ — naïve 日本語"
    assert frame["note"][1] == "line one\nline two\r\nline three"


def test_semicolon_export_for_comma_decimal_spreadsheets_reads_back():
    rec = make_recording()
    events = tricky_events(rec)
    data = dumps_events(events, [rec], delimiter=";")
    assert data.decode("utf-8-sig").startswith("recording;recording_id;event_id;")
    assert [comparable(e) for e in loads_events(data, recording=rec)] == [comparable(e) for e in events]


@pytest.mark.parametrize("chunk_rows", [1, 3])
def test_a_long_note_of_short_lines_is_refused_and_short_rows_skip_the_cell_scan(chunk_rows):
    from annotate.formats.text import rows_longer_than

    note = "ab\n" * 22_000  # 66,000 characters, no line over 3 bytes: only the quoted cell is long
    data = f'kind,start_s,note\nMOT,1.0,"{note}"\nDEC,2.0,x\n'.encode()
    rec = make_recording(duration_s=60.0)
    with pytest.raises(FormatError) as err:
        loads_events(data, format="csv", recording=rec, source="events.csv")
    assert "events.csv line 2: the note is 66,000 characters; a note holds at most 65,536" in str(err.value)
    short = b'kind,start_s,note\n' + b'MOT,1.0,"a\nb"\n' * 50  # rows of 14 bytes after an 18-byte header
    chunk = 16 * chunk_rows + 5  # row ends fall in and across chunk borders
    assert rows_longer_than(short, 18, chunk) is False and rows_longer_than(short, 17, chunk) is True  # the header
    assert rows_longer_than(short[18:], 14, chunk) is False and rows_longer_than(short[18:], 13, chunk) is True
    assert rows_longer_than(data, 1024, chunk) is True


def test_the_registry_names_each_format_as_its_module_does():
    from importlib import import_module

    from annotate.formats import FORMATS

    for fmt in FORMATS.values():
        module = import_module(f"annotate.formats.{fmt.module_name}")
        assert (fmt.name, fmt.title, fmt.suffixes, fmt.media_type) == \
            (module.NAME, module.TITLE, tuple(module.SUFFIXES), module.MEDIA_TYPE)
        assert fmt.module is module


def test_a_csv_round_trip_imports_no_other_format_and_not_pandas(tmp_path):
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from annotate.formats import read_events, write_events\n"
        "from annotate.testing.events import make_recording, many_events\n"
        "rec = make_recording()\n"
        f"path = write_events({str(tmp_path / 'e.csv')!r}, many_events(rec, 50), {{rec.id: rec}})\n"
        "assert len(read_events(path, recording=rec)) == 50\n"
        "print(sorted(m for m in sys.modules if m == 'pandas' or m.split('.')[-1] in "
        "('boris', 'eaf', 'vtt', 'srt', 'xes', 'eventlog', 'json_format')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
