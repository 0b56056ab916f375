"""BORIS aggregated events: a table written by BORIS imports; our export has BORIS's layout."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from annotate.errors import FormatError
from annotate.formats import dumps_events, loads_events, read_events, write_events
from annotate.formats.boris import COLUMNS
from annotate.testing.events import make_recording, many_events, tricky_events

DATA = Path(__file__).parent / "data"
MAPPING = ["greeting=MOT", "stock check=INT", "pays=moment of truth"]


def test_boris_table_imports_with_a_behaviour_mapping():
    rec = make_recording(title="visit 03")
    events = read_events(DATA / "boris_aggregated.tsv", recording=rec, mapping=MAPPING)
    assert [(e.kind.short, e.start_s, e.end_s, e.label, e.actor, e.note) for e in events] == [
        ("MOT", 0.6, None, "greeting", "Customer", "smiles"),
        ("INT", 2.0, 3.45, "stock check", "Clerk", ""),
        ("MOT", 4.1, 5.0, "pays", "Customer", "contactless, ok"),
        ("DEC", 8.4, None, "leaves?", "", ""),  # category "Decision" names the kind; no focal subject
    ]
    again = read_events(DATA / "boris_aggregated.tsv", recording=rec, mapping=MAPPING)
    assert [e.id for e in again] == [e.id for e in events]


def test_unmapped_behaviours_are_listed_with_their_lines():
    with pytest.raises(FormatError) as info:
        read_events(DATA / "boris_aggregated.tsv", recording=make_recording())
    assert [p.split(":")[0] for p in info.value.problems] == [
        "boris_aggregated.tsv line 2", "boris_aggregated.tsv line 3", "boris_aggregated.tsv line 4"]
    assert "behaviour 'greeting' maps to no kind; map it (--map 'greeting=MOT')" in info.value.problems[0]


def test_export_has_borises_columns_and_reads_back():
    rec = make_recording()
    data = dumps_events(tricky_events(rec), [rec], format="boris")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline=""), delimiter="\t"))
    assert tuple(rows[0].keys()) == COLUMNS
    point, state = rows[0], rows[1]
    assert (point["Behavior type"], point["Start (s)"], point["Stop (s)"], point["Duration (s)"]) == ("POINT", "0.000", "0.000", "NA")
    assert (state["Behavior type"], state["Stop (s)"], state["Duration (s)"]) == ("STATE", "1.500", "1.500")
    assert point["Behavioral category"] == "Moment of Truth" and point["Subject"] == "No focal subject"
    assert point["FPS (frame/s)"] == "29.97" and point["Media file name"] == "/media/Kassé checkout.mp4"
    assert rows[2]["Image index start"] == "299"  # the last frame


def test_boris_csv_suffix_writes_commas_and_a_csv_with_boris_header_is_detected(tmp_path):
    rec = make_recording()
    path = write_events(tmp_path / "visit.boris.csv", tricky_events(rec), [rec])
    assert path.read_text("utf-8").startswith("Observation id,Observation date,")
    plain = tmp_path / "from_boris.csv"
    plain.write_bytes(path.read_bytes())
    assert len(read_events(plain, recording=rec)) == len(tricky_events(rec))


def test_several_observations_keep_the_one_named_like_the_recording():
    text = (DATA / "boris_aggregated.tsv").read_text("utf-8")
    lines = text.splitlines()
    other = [line.replace("visit 03", "visit 04").replace("store_visit.mp4", "other.mp4") for line in lines[1:]]
    data = "\n".join(lines + other).encode()
    events = loads_events(data, format="boris", recording=make_recording(title="visit 04"), mapping=MAPPING)
    assert len(events) == 4
    by_file = loads_events(data, format="boris", recording=make_recording(path="/x/store_visit.mp4", title=""),
                           mapping=MAPPING)
    assert len(by_file) == 4
    with pytest.raises(FormatError, match="holds 2 observations"):
        loads_events(data, format="boris", recording=make_recording(title="visit 99"), mapping=MAPPING)


def test_boris_event_export_with_status_is_explained():
    data = b"Time\tSubject\tBehavior\tStatus\n1.0\tA\tx\tSTART\n"
    with pytest.raises(FormatError, match="export 'aggregated events' from BORIS"):
        loads_events(data, format="boris", recording=make_recording())


def _set_cell(line: str, column: int, value: str) -> str:
    return "\t".join(value if i == column else c for i, c in enumerate(line.split("\t")))


@pytest.mark.parametrize(
    "change, changed",
    [
        (lambda lines: lines.__setitem__(5, lines[5].replace("\tSTATE\t", "\tEVENT\t", 1)), {}),
        (lambda lines: lines.__setitem__(6, lines[6].replace("\tNA\t", "\t1.5\t", 1)), {}),  # a stop on a POINT row
        (lambda lines: lines.__setitem__(7, _set_cell(lines[7], 5, "2.5")),  # a time offset
         {6: {"start_s": 2.847, "end_s": 6.552}}),
        (lambda lines: lines.__setitem__(8, _set_cell(lines[8], 16, "1,5")), {7: {"start_s": 1.5}}),  # a decimal comma
        (lambda lines: lines.__setitem__(9, _set_cell(lines[9], 11, "Grooming")), {8: {"label": "Grooming"}}),
        (lambda lines: lines.__setitem__(10, lines[10] + "\textra"), {}),
    ],
)
def test_odd_rows_of_a_table_this_tool_wrote_read_as_expected(change, changed):
    rec = make_recording()
    lines = dumps_events(many_events(rec, 200), [rec], format="boris").decode("utf-8-sig").split("\r\n")
    plain = loads_events("\r\n".join(lines).encode("utf-8"), format="boris", recording=rec)
    change(lines)
    got = loads_events("\r\n".join(lines).encode("utf-8"), format="boris", recording=rec)
    assert len(got) == len(plain) == 200
    for i, fields in changed.items():
        assert {name: getattr(got[i], name) for name in fields} == fields
        assert got[i].id != plain[i].id  # a derived id follows the content
    assert [e for i, e in enumerate(got) if i not in changed] == [e for i, e in enumerate(plain) if i not in changed]


def test_table_this_tool_writes_reads_back_kind_times_and_texts():
    rec = make_recording()
    events = many_events(rec, 300)
    back = loads_events(dumps_events(events, [rec], format="boris"), format="boris", recording=rec)
    fields = ("kind", "start_s", "end_s", "label", "stage", "channel", "actor", "note")
    key = lambda e: (e.start_s, -1.0 if e.end_s is None else e.end_s, e.label)  # noqa: E731
    assert [tuple(getattr(e, f) for f in fields) for e in sorted(back, key=key)] == [
        tuple(getattr(e, f) for f in fields) for e in sorted(events, key=key)]


def test_bad_rows_among_many_are_each_named_by_line_in_order():
    rec = make_recording()
    lines = dumps_events(many_events(rec, 200), [rec], format="boris").decode("utf-8-sig").split("\r\n")
    lines[150] = _set_cell(lines[150], 16, "soon")  # Start (s) no number
    lines[20] = _set_cell(lines[20], 11, "")  # Behavior empty
    lines[90] = "\t".join(lines[90].split("\t")[:5])  # cut short
    with pytest.raises(FormatError) as info:
        loads_events("\r\n".join(lines).encode("utf-8"), format="boris", recording=rec, source="t.tsv")
    problems = info.value.problems
    assert [p.split(": ", 1)[1] for p in problems] == [
        "Behavior is empty", f"has 5 cells but the header has {len(COLUMNS)}; the row is cut short",
        "Start (s) 'soon' is not a number of seconds"]
    lines_named = [int(p.split(":")[0].rsplit(" ", 1)[1]) for p in problems]  # file lines (notes span lines)
    assert lines_named == sorted(lines_named) and lines_named[0] >= 21
