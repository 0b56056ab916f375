"""Control characters, lone surrogates and U+FFFE/U+FFFF in titles, paths and event text.

The model drops them from every text at the store's door (recording titles,
codebook names, event text); paths keep them (they name a file), and every
writer still gives a file that its own reader and a third-party parser accept,
with the text read back equal to the cleaned text.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote

import pytest

from annotate.errors import ValidationError
from annotate.formats import FORMATS, dumps_events, loads_events
from annotate.formats.json_format import load_bundle
from annotate import model
from annotate.model import CodeLabel, Codebook, Event, Kind, Recording, validate_event
from annotate.store import Store
from annotate.testing.events import comparable
from annotate.testing.events import CARRIED

# What no text keeps: C0 controls but tab and line breaks, DEL, lone surrogates, U+FFFE, U+FFFF.
DROPPED = "\x00\x01\x08\x0b\x0c\x0e\x1b\x1f\x7f\ud800\udfff\ufffe\uffff"
BAD = "\x00\x0b\x1b\x7f\ud800\ufffe"
# A path keeps what its file's name holds: \udcff is the undecodable byte 0xFF under surrogateescape.
PATH = "/media/cx/screen\x00\x0b\x1b\x7f\udcffvt.mp4"
TITLE = f" screen{BAD}vt\x1f\n--> two\r\n\nlines "  # line breaks and '-->' are kept, as in event text
DURATION = 10.01
FEW, MANY = 6, 200  # the per-event writers and readers, and the column-wise ones (64 events or more)
STORED_BEFORE = "\ufffe\uffff"  # what stores written before this cleaning may hold (valid UTF-8 itself)


def cleaned(text: str) -> str:
    """Return what the model keeps of ``text``: the DROPPED characters left out, then trimmed."""
    return "".join(c for c in text if c not in DROPPED).strip()


def bad_recording() -> Recording:
    return Recording(path=PATH, title=TITLE, id=7, duration_s=DURATION, fps="30000/1001",
                     frame_count=300, width=320, height=240, content_hash="ab" * 20)


def raw_events(n: int, bad: str = BAD) -> list[Event]:
    """Return ``n`` events whose every text holds ``bad``, line breaks and ``-->``."""
    kinds = list(Kind)
    out = []
    for i in range(n):
        start = round(i * (DURATION - 1) / n, 3)
        out.append(Event(
            kinds[i % 3], start, 7, end_s=None if i % 2 else round(start + 0.5, 3),
            label=f"Form{bad} error --> retry {i % 4}\nsecond{bad} line",
            stage=f"Care{bad}", channel=f"{bad}Web", actor=f"front{bad}line", expectation=f"fast{bad} -->",
            emotion=(i % 5) - 2, note=f"one{bad}\n\ntwo --> three\r\nfour{bad}", reviewer=f"Zo{bad}ë",
            id=f"{i:032x}",
        ))
    return out


def expected_text(fmt: str, name: str, text: str) -> str:
    """Return what ``fmt`` gives back for a field: the cleaned text (captions drop a label's blank lines)."""
    text = cleaned(text)
    if name == "label" and fmt in ("srt", "vtt-cues"):
        return "\n".join(line for line in text.replace("\r\n", "\n").split("\n") if line.strip())
    return text


def carried(fmt: str) -> tuple[str, ...]:
    return ("kind", "start_s", "end_s", "label", "recording_id") if fmt == "vtt-cues" else CARRIED[fmt]


def exported(fmt: str, events: list[Event], rec: Recording, book: Codebook | None = None) -> bytes:
    opts = {"metadata": False} if fmt == "vtt-cues" else {}
    return dumps_events(events, [rec], format=fmt.split("-")[0], codebook=book or Codebook(), **opts)


def imported(fmt: str, data: bytes, rec: Recording) -> list[Event]:
    return loads_events(data, format=fmt.split("-")[0], recording=rec, codebook=Codebook())


def by_time(events) -> list[Event]:
    return sorted(events, key=lambda e: (e.start_s, e.end_s is None, e.label))


FORMAT_CASES = [*FORMATS, "vtt-cues"]


# --- the model: the store's door --------------------------------------------------------


def test_recording_title_is_cleaned_however_it_is_set_and_the_path_is_kept():
    rec = bad_recording()
    assert rec.title == "screenvt\n--> two\r\n\nlines" == cleaned(TITLE) and rec.path == PATH
    rec.title = "a\x00b\ud800"
    assert rec.title == "ab"
    import dataclasses

    assert dataclasses.replace(rec, title="\x1bx\x7f").title == "x"
    assert Recording(path="/x.mp4", title=None).title == ""


def test_event_text_drops_lone_surrogates_and_noncharacters_too():
    ev = validate_event(raw_events(1)[0], DURATION)
    assert ev.label == "Form error --> retry 0\nsecond line"
    assert ev.note == "one\n\ntwo --> three\r\nfour" and ev.reviewer == "Zoë"
    assert model.clean_text(" \ufffftab\tkept\uffff ") == "tab\tkept"


def test_codebook_names_and_labels_are_cleaned():
    book = Codebook(stages=[f"Care{BAD}", "Use"], channels=[f"We{BAD}b"], actors=[f"cust{BAD}omer"],
                    labels={k: [CodeLabel(f"Gr{BAD}eeting")] for k in Kind})
    assert (book.stages, book.channels, book.actors) == (["Care", "Use"], ["Web"], ["customer"])
    assert book.label_texts(Kind.MOMENT_OF_TRUTH) == ["Greeting"]
    data = {"stages": [f"A{BAD}"], "actors": ["x"], "labels": {"MOT": [f"L{BAD}", {"text": f"M{BAD}"}]}}
    back = Codebook.from_dict(data)
    assert back.stages == ["A"] and back.label_texts(Kind.MOMENT_OF_TRUTH) == ["L", "M"]


@pytest.mark.parametrize("data", [{"stages": ["\x00\x0b"]}, {"labels": {"MOT": [{"text": "\x1b"}]}}])
def test_codebook_refuses_a_name_of_nothing_but_control_characters(data):
    with pytest.raises(ValidationError) as info:
        Codebook.from_dict(data)
    assert "\n" not in str(info.value)


def test_the_store_keeps_clean_titles_codebooks_and_event_text(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'store.sqlite'}")
    try:
        rec = store.add_recording(Recording(path=str(tmp_path / "a.mp4"), title="a\x00b", content_hash="cd" * 20,
                                            duration_s=DURATION))
        assert rec.title == "ab" and [r.title for r in store.list_recordings()] == ["ab"]
        assert store.update_recording(rec.id, title="new\x1b\x0btitle").title == "newtitle"
        book = store.set_codebook(Codebook(stages=["Care\x0b", "Use"], labels={k: [CodeLabel("L\x00")] for k in Kind}))
        assert book.stages == ["Care", "Use"] and store.get_codebook().label_texts(Kind.DECISION_POINT) == ["L"]
        events = store.add_events([e.replace(recording_id=rec.id) for e in raw_events(FEW)])
        assert {e.reviewer for e in events} == {"Zoë"}
        rec = store.list_recordings()[0]
        csv_data = dumps_events(events, [rec], format="csv")
        assert len(loads_events(csv_data, format="csv", recording=rec)) == FEW
    finally:
        store.close()


def test_a_recording_added_from_a_file_named_with_control_characters(tmp_path):
    sample = Path(__file__).resolve().parent.parent / "sample_media" / "checkout.mp4"
    if not sample.is_file():
        pytest.skip("the sample video sample_media/checkout.mp4 is not in this checkout")
    from annotate.app.recordings import recording_from_file

    path = tmp_path / "screen\x0bvt\x1b.mp4"
    shutil.copyfile(sample, path)
    rec = recording_from_file(path)
    assert rec.title == "screenvt" and rec.path == str(path.resolve())
    rec.id = 1
    event = validate_event(Event(Kind.MOMENT_OF_TRUTH, 0.5, 1, label="Greeting"), rec.duration_s)
    for fmt in ("xes", "eaf"):
        data = dumps_events([event], [rec], format=fmt)
        ET.fromstring(data)
        assert [e.label for e in loads_events(data, format=fmt, recording=rec)] == ["Greeting"]


# --- every format: our reader gives back the cleaned text -----------------------------------


@pytest.mark.parametrize("fmt", FORMAT_CASES)
@pytest.mark.parametrize("count", [FEW, MANY], ids=["few", "many"])
@pytest.mark.parametrize("how", ["validated", "stored-before"])
def test_every_format_reads_back_the_cleaned_text(fmt, count, how):
    """Events validated now, and events built straight from rows a store of before this cleaning may hold."""
    rec = bad_recording()
    if how == "validated":
        events = [validate_event(e, DURATION) for e in raw_events(count)]
    else:
        events = [validate_event(e, DURATION).replace(**{name: getattr(e, name) for name in Event.TEXT_FIELDS})
                  for e in raw_events(count, STORED_BEFORE)]
    book = Codebook(labels={k: [CodeLabel(f"Gr{BAD}eeting")] for k in Kind})
    data = exported(fmt, events, rec, book)
    back = by_time(imported(fmt, data, rec))
    fields = carried(fmt)
    texts = [f for f in fields if f in Event.TEXT_FIELDS]
    want = [{**comparable(e, *fields), **{f: expected_text(fmt, f, getattr(e, f)) for f in texts}}
            for e in by_time(events)]
    assert [comparable(e, *fields) for e in back] == want


@pytest.mark.parametrize("fmt", ["json", "xes", "eaf"])
def test_structured_formats_survive_text_the_model_never_saw(fmt):
    """Events built without validation, every text holding control characters and lone surrogates."""
    rec = bad_recording()
    events = raw_events(FEW, BAD + "\x01\x1f\uffff")
    data = exported(fmt, events, rec)
    ET.fromstring(data) if fmt != "json" else json.loads(data)
    back = by_time(imported(fmt, data, rec))
    for field in ("label", "stage", "note", "reviewer"):
        assert [getattr(e, field) for e in back] == [cleaned(getattr(e, field)) for e in by_time(events)]


# --- every format: a third-party reader accepts the file ------------------------------------


def xml_parsers():
    parsers = [pytest.param(ET.fromstring, id="xml.etree")]
    try:
        from lxml import etree
    except ImportError:
        parsers.append(pytest.param(None, id="lxml", marks=pytest.mark.skip(reason="lxml is not installed")))
    else:
        parsers.append(pytest.param(etree.fromstring, id="lxml"))
    return parsers


@pytest.mark.parametrize("parse", xml_parsers())
@pytest.mark.parametrize("count", [FEW, MANY], ids=["few", "many"])
def test_xes_parses_with_a_third_party_parser(parse, count):
    rec = bad_recording()
    events = [validate_event(e, DURATION) for e in raw_events(count)]
    root = parse(exported("xes", events, rec))
    ns = {"x": "http://www.xes-standard.org/"}
    trace = root.find("x:trace", ns)
    assert trace.find("x:string[@key='concept:name']", ns).get("value") == cleaned(TITLE)
    labels = sorted(ev.find("x:string[@key='label']", ns).get("value") for ev in trace.findall("x:event", ns))
    assert set(labels) == {cleaned(e.label) for e in events}


@pytest.mark.parametrize("parse", xml_parsers())
@pytest.mark.parametrize("count", [FEW, MANY], ids=["few", "many"])
def test_eaf_parses_with_a_third_party_parser_and_its_media_urls_name_the_file(parse, count):
    rec = bad_recording()
    events = [validate_event(e, DURATION) for e in raw_events(count)]
    root = parse(exported("eaf", events, rec, Codebook(labels={k: [CodeLabel(f"Gr{BAD}eeting")] for k in Kind})))
    media = root.find("HEADER/MEDIA_DESCRIPTOR")
    url, relative = media.get("MEDIA_URL"), media.get("RELATIVE_MEDIA_URL")
    assert url.startswith("file:///") and unquote(url[len("file://"):], errors="surrogateescape") == PATH
    assert unquote(relative, errors="surrogateescape") == "./" + Path(PATH).name
    values = {v.text for v in root.iter("ANNOTATION_VALUE") if not (v.text or "").startswith("{")}
    assert values == {cleaned(e.label) for e in events}
    assert "Greeting" in {v.text for v in root.iter("CVE_VALUE")}
    annotators = {t.get("ANNOTATOR") for t in root.iter("TIER") if t.get("ANNOTATOR")}
    assert annotators == {"Zoë"}


def test_eaf_with_such_text_still_validates_against_the_eaf_3_schema():
    etree = pytest.importorskip("lxml.etree", reason="lxml is not installed: no XML Schema validator")
    schema = etree.XMLSchema(etree.parse(str(Path(__file__).parent / "data" / "EAFv3.0.xsd")))
    rec = bad_recording()
    doc = etree.fromstring(exported("eaf", [validate_event(e, DURATION) for e in raw_events(FEW)], rec))
    assert schema.validate(doc), schema.error_log


@pytest.mark.parametrize("count", [FEW, MANY], ids=["few", "many"])
def test_json_parses_with_the_json_module_and_keeps_the_path_exactly(count):
    rec = bad_recording()
    rec.info = {"tags": {"title": f"probe{BAD}\udcff"}, "path": PATH}  # what a container's tags may hold
    events = [validate_event(e, DURATION) for e in raw_events(count)]
    data = exported("json", events, rec)
    doc = json.loads(data)  # bytes: UTF-8, so no lone surrogate is written raw
    assert doc["recordings"][0]["path"] == PATH and doc["recordings"][0]["title"] == cleaned(TITLE)
    assert {e["label"] for e in doc["events"]} == {cleaned(e.label) for e in events}
    assert doc["recordings"][0]["info"] == rec.info
    bundle = load_bundle(data)
    assert bundle.recordings[0].path == PATH and bundle.recordings[0].title == cleaned(TITLE)
    assert bundle.recordings[0].info == rec.info


@pytest.mark.parametrize("fmt,delimiter", [("csv", ","), ("boris", "\t"), ("eventlog", ",")])
@pytest.mark.parametrize("count", [FEW, MANY], ids=["few", "many"])
def test_tables_parse_with_the_csv_module_and_hold_no_control_character(fmt, delimiter, count):
    rec = bad_recording()
    events = [validate_event(e, DURATION) for e in raw_events(count)]
    data = exported(fmt, events, rec)
    text = data.decode("utf-8")  # strict: no lone surrogate
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    assert len(rows) == count + 1 + (fmt == "eventlog") * sum(e.end_s is not None for e in events)
    assert all(len(row) == len(rows[0]) for row in rows)


_TIMING = re.compile(r"^\d{2}:\d{2}:\d{2}[.,]\d{3} --> \d{2}:\d{2}:\d{2}[.,]\d{3}( .*)?$")


def caption_blocks(data: bytes) -> list[list[str]]:
    """Return the blank-line separated blocks of a caption file, as the WebVTT and SRT specs split them."""
    text = data.decode("utf-8").replace("\r\n", "\n")
    return [block.split("\n") for block in text.strip("\n").split("\n\n")]


@pytest.mark.parametrize("fmt", ["vtt", "vtt-cues", "srt"])
@pytest.mark.parametrize("count", [FEW, MANY], ids=["few", "many"])
def test_captions_keep_one_cue_per_event_whatever_the_text(fmt, count):
    """Checked as the specs read cues: '-->' only on the timing line, no blank line inside a cue."""
    rec = bad_recording()
    events = [validate_event(e, DURATION) for e in raw_events(count)]
    data = exported(fmt, events, rec)
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", data.decode("utf-8").replace("\r\n", "\n"))
    blocks = caption_blocks(data)
    if fmt.startswith("vtt"):
        assert blocks[0][0].startswith("WEBVTT")
        header, blocks = blocks[1:], []
        for block in header:
            if block[0].startswith(("NOTE", "STYLE")):
                assert not any("-->" in line for line in block), block
            else:
                blocks.append(block)
    assert len(blocks) == count
    for cue in blocks:
        assert _TIMING.match(cue[1]), cue
        assert not any("-->" in line for n, line in enumerate(cue) if n != 1), cue


def test_captions_with_a_third_party_parser():
    webvtt = pytest.importorskip("webvtt", reason="webvtt-py is not installed: no third-party WebVTT parser")
    rec = bad_recording()
    events = [validate_event(e, DURATION) for e in raw_events(FEW)]
    captions = webvtt.from_buffer(io.StringIO(exported("vtt", events, rec).decode("utf-8")))
    assert len(captions) == FEW


# csv_format.py (not changed here) writes recording_name() as it is; it needs drop_control() around it.


@pytest.mark.parametrize("fmt", FORMAT_CASES)
def test_a_recording_without_a_title_is_named_by_its_file_name_safely(fmt):
    """Files name such a recording by its path's file name, which keeps the path's control characters."""
    rec = bad_recording()
    rec.title = ""
    events = [validate_event(e, DURATION) for e in raw_events(FEW)]
    data = exported(fmt, events, rec)
    if fmt in ("xes", "eaf"):
        ET.fromstring(data)
    assert [e.label for e in by_time(imported(fmt, data, rec))] == [
        expected_text(fmt, "label", e.label) for e in by_time(events)]


def test_drop_control_keeps_spaces_and_takes_paths_of_any_type():
    assert model.drop_control(Path(" /a/b\x0bc.mp4 ")) == " /a/bc.mp4 "
    assert model.drop_control(None) == "" and model.drop_control("plain") == "plain"


def test_the_database_rows_hold_clean_fallback_titles_and_change_log_names(tmp_path):
    import sqlite3

    db = tmp_path / "store.sqlite"
    store = Store(f"sqlite:///{db}")
    try:
        rec = store.add_recording(Recording(path=str(tmp_path / "x\x1by\x0b.mp4"), title="", content_hash="ef" * 20,
                                            duration_s=DURATION), reviewer="Zo\x00ë\x1b")
        store.add_event(Event(Kind.MOMENT_OF_TRUTH, 1.0, rec.id, label="Hi"), reviewer="a\x0bb")
    finally:
        store.close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("select title from recordings").fetchall() == [("xy",)]
        assert {r for (r,) in conn.execute("select reviewer from change_log")} == {"Zoë", "ab"}
