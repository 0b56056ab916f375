"""Cell limits on import: a huge cell is refused by line before any reader builds cells, in bounded memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from annotate.errors import FormatError
from annotate.formats import columns as colwise
from annotate.formats import csv_format, get_format
from annotate.formats.common import FREE_TEXT_CELL, SHORT_CELL
from annotate.model import Event, Kind, Recording
from annotate.store import Store

ROOT = Path(__file__).resolve().parents[1]
REC = Recording(path="/v/a.mp4", title="a", id=1, duration_s=3600.0, fps="30")

# Runs the CLI in a grandchild and prints its peak RSS in bytes: RUSAGE_CHILDREN of a
# fresh process sees only that one child, not the earlier children of the test run.
PEAK = """
import resource, subprocess, sys
p = subprocess.run([sys.executable, "-m", "annotate", *sys.argv[1:]], capture_output=True, text=True)
sys.stderr.write(p.stderr)
print(p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)
"""


def _cli_peak(*args) -> tuple[int, int, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.run([sys.executable, "-c", PEAK, *map(str, args)], capture_output=True, text=True, env=env,
                       timeout=300)
    code, peak = p.stdout.split()
    return int(code), int(peak), p.stderr


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    with Store(url) as store:
        rec = store.add_recording(Recording(path="/v/a.mp4", title="a", duration_s=3600.0, fps="30"))
        store.add_event(Event(Kind.MOMENT_OF_TRUTH, 1.0, rec.id, label="kept"))
    return url


def test_cli_refuses_a_20mb_quoted_note_by_line_in_bounded_memory(tmp_path, db):
    tiny = tmp_path / "tiny.csv"
    tiny.write_text("kind,start_s,label\nINT,2.0,small\n")
    code, baseline, _ = _cli_peak("import", tiny, "--recording", "1", "--db", db)
    assert code == 0
    big = tmp_path / "events.csv"
    size = 20 * 1024 * 1024
    big.write_bytes(b'kind,start_s,label,note\nMOT,3.0,big,"' + b"B" * size + b'"\n')
    code, peak, err = _cli_peak("import", big, "--recording", "1", "--db", db)
    assert code != 0
    assert "events.csv line 2: the note is 20,971,520 characters; a note holds at most 65,536" in err
    assert "see docs/formats.md" in err and len(err.strip().splitlines()) == 1
    # The old reader peaked at 2.6 GB here; now: the tool's own baseline plus about the file.
    assert peak < baseline + 2 * big.stat().st_size + 50 * 2**20, (peak / 2**20, baseline / 2**20)
    with Store(db) as store:  # nothing already stored is lost, nothing added
        assert sorted(e.label for e in store.list_events(1)) == ["kept", "small"]


def test_a_long_label_is_refused_with_its_line_even_after_a_multiline_note():
    note = "line one\nline two"
    data = f'kind,start_s,label,note\nMOT,1.0,ok,"{note}"\nDEC,2.0,{"x" * (SHORT_CELL + 1)},\n'
    with pytest.raises(FormatError) as err:
        csv_format.loads(data.encode(), recording=REC, source="events.csv")
    assert "events.csv line 4: the label is 1,025 characters; a label holds at most 1,024" in str(err.value)


def test_limits_count_characters_not_bytes():
    label = "é" * 600  # 1,200 bytes, 600 characters: within the label's limit
    events = csv_format.loads(f"kind,start_s,label\nMOT,1.0,{label}\n".encode(), recording=REC)
    assert events[0].label == label


def test_an_ignored_column_may_hold_long_text_but_not_more_than_free_text():
    ok = csv_format.loads(f"kind,start_s,description\nMOT,1.0,{'d' * 5000}\n".encode(), recording=REC)
    assert len(ok) == 1
    data = f"kind,start_s,description\nMOT,1.0,{'d' * (FREE_TEXT_CELL + 1)}\n"
    with pytest.raises(FormatError, match="line 2: the 'description' cell is 65,537 characters"):
        csv_format.loads(data, recording=REC)


def test_a_utf16_file_is_checked_too():
    data = ("kind,start_s,note\r\nMOT,1.0,\"" + "n" * (FREE_TEXT_CELL + 5) + "\"\r\n").encode("utf-16")
    with pytest.raises(FormatError, match="line 2: the note is 65,541 characters"):
        csv_format.loads(data, recording=REC)


def test_a_stray_quote_in_an_unquoted_cell_does_not_join_cells():
    rows = "".join(f"MOT,{i}.0,5\" screen\n" for i in range(1, 4))
    data = "kind,start_s,label\n" + rows + "DEC,9.0," + "a" * 900 + "\n" * 2000
    events = csv_format.loads(data.encode(), recording=REC)
    assert [e.label for e in events][:1] == ['5" screen'] and len(events) == 4


@pytest.mark.parametrize("name,header", [
    ("boris", "Observation id\tBehavior\tBehavioral category\tBehavior type\tStart (s)\tStop (s)\tComment start"),
    ("eventlog", "case_id,activity,timestamp,lifecycle,note"),
])
def test_tables_of_other_formats_refuse_a_huge_cell_by_line(name, header):
    sep = "\t" if "\t" in header else ","
    data = header + "\n" + sep.join(["a"] * (header.count(sep))) + sep + "c" * (FREE_TEXT_CELL + 1) + "\n"
    with pytest.raises(FormatError, match=r"line 2: the '[^']+' cell is 65,537 characters; a '[^']+' cell holds"):
        get_format(name).loads(data.encode(), recording=REC, source="x")


def test_cell_scanner_finds_lines_and_columns_across_chunks():
    body = b'a,b\n"x\ny",' + b"z" * 40 + b'\n"' + b'q""' * 20 + b'",1'
    found = [tuple(map(int, t)) for arrays in colwise.long_cells(body, ",", 30, chunk=7) for t in zip(*arrays)]
    assert [(line, col) for line, col, _, _ in found] == [(2, 1), (4, 0)]
    start, end = found[1][2:]
    assert colwise.cell_chars(body, start, end) == 40  # q" twenty times


def test_json_with_a_huge_note_stays_under_twice_its_size(tmp_path, db):
    path = tmp_path / "big.json"
    path.write_text(json.dumps([{"kind": "MOT", "start_s": 3.0, "note": "N" * (20 * 2**20)}]))
    tiny = tmp_path / "tiny.json"
    tiny.write_text(json.dumps([{"kind": "MOT", "start_s": 4.0}]))
    _, baseline, _ = _cli_peak("import", tiny, "--recording", "1", "--db", db)
    code, peak, err = _cli_peak("import", path, "--recording", "1", "--db", db)
    assert code != 0 and "note is 20971520 characters" in err
    assert peak < baseline + 2 * path.stat().st_size + 50 * 2**20


@pytest.mark.parametrize("name,text", [
    ("vtt", "WEBVTT\n\n00:00:03.000 --> 00:00:05.000\nMOT · {}\n"),
    ("srt", "1\r\n00:00:03,000 --> 00:00:05,000\r\nMOT · {}\r\n"),
])
def test_captions_refuse_a_huge_line_by_number(name, text):
    data = text.format("x" * (4 * FREE_TEXT_CELL)).encode()
    with pytest.raises(FormatError, match=r"line [34]: the line is 262,150 characters; a caption line holds at most "
                                          r"262,144"):
        get_format(name).loads(data, recording=REC, source=f"c.{name}")
    assert len(get_format(name).loads(text.format("fine").encode(), recording=REC, source="c")) == 1


def test_a_3000_character_note_imports_and_the_model_limits_are_the_cell_caps(tmp_path):
    from annotate.app.importing import import_events
    from annotate.model import MAX_FREE_TEXT, MAX_SHORT_TEXT, Event, Kind, validate_event
    from annotate.errors import ValidationError as VE

    assert (MAX_FREE_TEXT, MAX_SHORT_TEXT) == (FREE_TEXT_CELL, SHORT_CELL)
    note = "n" * 3000
    with Store(f"sqlite:///{tmp_path / 'a.sqlite'}") as store:
        rec = store.add_recording(Recording(path="/v/a.mp4", title="a"))
        result = import_events(store, rec.id, f"kind,start_s,note\nMOT,1.0,{note}\n".encode(), "a.csv")
        assert result.summary() == f"Imported 1 event into recording {rec.id}"
        assert store.list_events(rec.id)[0].note == note
    assert validate_event(Event(Kind.MOMENT_OF_TRUTH, 1.0, note="n" * MAX_FREE_TEXT)).note
    with pytest.raises(VE, match="label is 1025 characters long"):
        validate_event(Event(Kind.MOMENT_OF_TRUTH, 1.0, label="l" * 1025))
