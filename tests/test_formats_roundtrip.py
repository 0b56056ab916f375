"""Every format: export then import gives back the events (the fields the format carries),
and malformed files give one line and import nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotate.errors import FormatError
from annotate.formats import FORMATS, dumps_events, loads_events, read_events, write_events
from annotate.model import Codebook, Event
from annotate.testing.events import CARRIED, comparable, make_recording, many_events, tricky_events

def expected(fmt: str, event: Event) -> dict:
    """Return what ``fmt`` gives back for ``event`` (SRT cannot tell some events apart, see srt.py)."""
    data = comparable(event, *CARRIED[fmt])
    if fmt == "srt":
        if event.end_s is not None and event.end_s == event.start_s:
            data["end_s"] = round(event.start_s + 0.001, 3)  # a cue must last; zero-length gets 1 ms
        elif event.end_s is not None and round(event.end_s - event.start_s, 3) == 2.0:
            data["end_s"] = None  # a 2 s cue reads back as a point event
    return data


def key(d: dict) -> tuple:
    return tuple(str(d.get(k)) for k in ("start_s", "end_s", "kind", "label", "id"))


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("case", ["tricky", "many"])
def test_export_then_import_gives_the_same_events(fmt, case):
    rec = make_recording()
    events = tricky_events(rec) if case == "tricky" else many_events(rec, 1000)
    data = dumps_events(events, [rec], format=fmt, codebook=Codebook())
    back = loads_events(data, format=fmt, recording=rec, codebook=Codebook())
    want = sorted((expected(fmt, e) for e in events), key=key)
    got = sorted((comparable(e, *CARRIED[fmt]) for e in back), key=key)
    assert got == want
    # importing the same file again gives the same ids, so the store's skip_existing adds nothing
    again = loads_events(data, format=fmt, recording=rec, codebook=Codebook())
    assert sorted(e.id for e in again) == sorted(e.id for e in back)
    assert len({e.id for e in back}) == len(back)


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_files_are_written_atomically_with_the_format_from_the_suffix(tmp_path, fmt):
    rec = make_recording()
    events = tricky_events(rec)
    path = tmp_path / f"out{FORMATS[fmt].suffix}"
    write_events(path, events, {rec.id: rec}, codebook=Codebook())
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
    assert path.read_bytes() == dumps_events(events, {rec.id: rec}, format=fmt, codebook=Codebook(),
                                             **({"exported_at": _exported_at(path)} if fmt == "json" else {}),
                                             **({"date": _eaf_date(path)} if fmt == "eaf" else {}))
    assert len(read_events(path, recording=rec)) == len(events)


def _exported_at(path: Path):
    import json
    from datetime import datetime

    return datetime.fromisoformat(json.loads(path.read_text("utf-8"))["exported_at"].replace("Z", "+00:00"))


def _eaf_date(path: Path):
    import re
    from datetime import datetime

    return datetime.fromisoformat(re.search(r'DATE="([^"]+)"', path.read_text("utf-8")).group(1))


def test_the_sample_events_survive_every_format():
    sample = Path(__file__).resolve().parents[1] / "sample_media"
    csvs = sorted(sample.glob("*.csv")) if sample.exists() else []
    if not csvs:
        pytest.skip("sample_media has no events CSV yet")
    rec = make_recording(duration_s=600.0)
    events = read_events(csvs[0], recording=rec)
    assert len(events) >= 8
    for fmt in FORMATS:
        back = loads_events(dumps_events(events, [rec], format=fmt), format=fmt, recording=rec)
        assert sorted((e.kind, e.start_s) for e in back) == sorted((e.kind, e.start_s) for e in events), fmt


# --- malformed files -------------------------------------------------------------------

XXE = (b'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
       b'<ANNOTATION_DOCUMENT>&x;</ANNOTATION_DOCUMENT>\n')
BOMB = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>\n'
        b'<log>&lol2;</log>\n')


def _truncated(fmt: str) -> bytes:
    rec = make_recording()
    data = dumps_events(tricky_events(rec), [rec], format=fmt)
    if fmt == "vtt":
        return data[: data.index(b"-->", len(data) // 2) + 8]  # cut inside a cue timing
    if fmt == "srt":
        return data[: data.rindex(b"-->") + 6]
    if fmt == "boris":
        return data[: data.rindex(b"\t") - 40]  # the last row loses cells
    if fmt in ("csv", "eventlog"):
        return data[: data.index(b'"line one') + 6]  # inside a quoted multi-line cell
    return data[: len(data) // 2]


MALFORMED = {
    "truncated": _truncated,
    "wrong encoding": lambda fmt: dumps_events(tricky_events(make_recording()), [make_recording()], format=fmt)
    .decode("utf-8").encode("cp1252", "replace"),  # what an old Windows tool writes: 'Café' as 0xE9
}


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("problem", list(MALFORMED))
def test_malformed_files_give_one_line_and_nothing(fmt, problem):
    data = MALFORMED[problem](fmt)
    with pytest.raises(FormatError) as info:
        loads_events(data, format=fmt, recording=make_recording())
    message = str(info.value)
    assert "\n" not in message and len(message) < 1200
    assert info.value.problems and message.startswith(f"events{FORMATS[fmt].suffix}")
    if problem == "wrong encoding":
        assert "UTF-8" in message and "line 1:" not in message  # the first non-ASCII text is past line 1


@pytest.mark.parametrize("fmt", ["eaf", "xes"])
@pytest.mark.parametrize("data", [XXE, BOMB], ids=["external entity", "entity expansion"])
def test_xml_with_entities_is_refused(fmt, data):
    with pytest.raises(FormatError, match="declares a DTD or entities") as info:
        loads_events(data, format=fmt, recording=make_recording())
    assert "passwd" not in str(info.value) and "lol" not in str(info.value)


NEGATIVE = {
    "csv": b"kind,start_s\nMOT,-1.5\n",
    "json": b'[{"kind": "MOT", "start_s": -1.5}]',
    "vtt": b"WEBVTT\n\n-00:00:01.500 --> 00:00:02.000\nMOT \xc2\xb7 x\n",
    "srt": b"1\n-00:00:01,500 --> 00:00:02,000\nMOT \xc2\xb7 x\n",
    "eaf": (b'<ANNOTATION_DOCUMENT><HEADER TIME_UNITS="milliseconds"/><TIME_ORDER>'
            b'<TIME_SLOT TIME_SLOT_ID="ts1" TIME_VALUE="-1500"/><TIME_SLOT TIME_SLOT_ID="ts2" TIME_VALUE="200"/>'
            b'</TIME_ORDER><TIER TIER_ID="MOT" LINGUISTIC_TYPE_REF="x"><ANNOTATION><ALIGNABLE_ANNOTATION '
            b'ANNOTATION_ID="a1" TIME_SLOT_REF1="ts1" TIME_SLOT_REF2="ts2"><ANNOTATION_VALUE>x</ANNOTATION_VALUE>'
            b'</ALIGNABLE_ANNOTATION></ANNOTATION></TIER></ANNOTATION_DOCUMENT>'),
    "boris": b"Behavior\tBehavior type\tStart (s)\tStop (s)\nMOT\tPOINT\t-1.5\t-1.5\n",
    "xes": (b'<log xmlns="http://www.xes-standard.org/"><trace><string key="concept:name" value="c"/>'
            b'<event><string key="concept:name" value="MOT"/><date key="time:timestamp" '
            b'value="1969-12-31T23:59:58.500+00:00"/></event></trace></log>'),
    "eventlog": b"case_id,activity,timestamp\nc,MOT,1969-12-31T23:59:58.500Z\n",
}
OUT_OF_ORDER = {
    "csv": b"kind,start_s,end_s\nMOT,5,4\n",
    "json": b'[{"kind": "MOT", "start_s": 5, "end_s": 4}]',
    "vtt": b"WEBVTT\n\n00:00:05.000 --> 00:00:04.000\nMOT \xc2\xb7 x\n",
    "srt": b"1\n00:00:05,000 --> 00:00:04,000\nMOT \xc2\xb7 x\n",
    "eaf": NEGATIVE["eaf"].replace(b"-1500", b"5000"),
    "boris": b"Behavior\tBehavior type\tStart (s)\tStop (s)\nMOT\tSTATE\t5\t4\n",
    "xes": (b'<log xmlns="http://www.xes-standard.org/"><trace><string key="concept:name" value="c"/>'
            b'<event><string key="concept:name" value="MOT"/><string key="lifecycle:transition" value="start"/>'
            b'<date key="time:timestamp" value="1970-01-01T00:00:05.000+00:00"/></event>'
            b'<event><string key="concept:name" value="MOT"/><string key="lifecycle:transition" value="complete"/>'
            b'<date key="time:timestamp" value="1970-01-01T00:00:04.000+00:00"/></event></trace></log>'),
    "eventlog": (b"case_id,activity,timestamp,lifecycle\nc,MOT,1970-01-01T00:00:05Z,start\n"
                 b"c,MOT,1970-01-01T00:00:04Z,complete\n"),
}


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_negative_times_are_rejected(fmt):
    with pytest.raises(FormatError, match="negative|before the case start") as info:
        loads_events(NEGATIVE[fmt], format=fmt, recording=make_recording())
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_times_out_of_order_are_rejected(fmt):
    with pytest.raises(FormatError, match="before") as info:
        loads_events(OUT_OF_ORDER[fmt], format=fmt, recording=make_recording())
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_times_after_the_recording_are_rejected(fmt):
    rec = make_recording()
    late = make_recording(duration_s=60.0)
    events = [e.replace(start_s=e.start_s + 30, end_s=None if e.end_s is None else e.end_s + 30)
              for e in tricky_events(late)]
    with pytest.raises(FormatError, match="outside the recording") as info:
        loads_events(dumps_events(events, [late], format=fmt), format=fmt, recording=rec)
    assert len(info.value.problems) >= 5
