"""WebVTT and SRT: output players can show, and caption files from other tools import."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from annotate.errors import FormatError
from annotate.formats import dumps_events, loads_events, read_events
from annotate.model import Codebook, Event, Kind, validate_event
from annotate.testing.events import make_recording, tricky_events

DATA = Path(__file__).parent / "data"
TIMING = re.compile(r"^(\d\d):(\d\d):(\d\d)[.,](\d\d\d) --> (\d\d):(\d\d):(\d\d)[.,](\d\d\d)(.*)$")


def cues(text: str) -> list[tuple[float, float, str, list[str]]]:
    """Parse cues the plain way a player does: timing line, then text lines up to a blank line."""
    out = []
    lines = text.replace("\r\n", "\n").split("\n")
    for i, line in enumerate(lines):
        m = TIMING.match(line)
        if m:
            g = [int(x) for x in m.groups()[:8]]
            start = g[0] * 3600 + g[1] * 60 + g[2] + g[3] / 1000
            end = g[4] * 3600 + g[5] * 60 + g[6] + g[7] / 1000
            body = []
            for follow in lines[i + 1:]:
                if not follow.strip():
                    break
                body.append(follow)
            out.append((start, end, m.group(9).strip(), body))
    return out


def test_vtt_is_a_playable_webvtt_file():
    rec = make_recording()
    events = tricky_events(rec)
    text = dumps_events(events, [rec], format="vtt").decode("utf-8")
    assert text.startswith("WEBVTT")
    header = text.split("\n\n")[1]
    assert header.startswith("NOTE\nRecording: Checkout, web (Zoë) (/media/Kassé checkout.mp4), id 7")
    assert text.index("STYLE\n::cue(.mot) { color: #D62728;") < text.index(" --> ")
    for block in text.split("\n\n"):
        if block.startswith("NOTE"):
            assert "-->" not in block
    found = cues(text)
    assert len(found) == len(events)
    assert [c[0] for c in found] == sorted(c[0] for c in found)
    for start, end, settings, body in found:
        assert end > start and settings == "line:8% align:center"
        plain = re.sub(r"<[^>]+>", "", body[0])
        assert re.match(r"^(MOT|INT|DEC)( · .+)?$", plain), plain
    point = next(c for c in found if c[0] == 0.0 and "MOT" in c[3][0])
    assert point[1] - point[0] == pytest.approx(2.0)
    assert any(b[0].endswith("He said \"hi\", then left") for _, _, _, b in found)


def test_vtt_escapes_markup_and_round_trips_without_metadata():
    rec = make_recording()
    events = [validate_event(Event(Kind.DECISION_POINT, 1.0, rec.id, end_s=1.75, label="a < b & c --> d")),
              validate_event(Event(Kind.MOMENT_OF_TRUTH, 2.0, rec.id, label="two\nlines"))]
    data = dumps_events(events, [rec], format="vtt", metadata=False, point_cue_s=0.5)
    assert b"a &lt; b &amp; c --&gt; d" in data
    back = loads_events(data, format="vtt", recording=rec, point_cue_s=0.5)
    assert [(e.kind, e.start_s, e.end_s, e.label) for e in back] == [(e.kind, e.start_s, e.end_s, e.label) for e in events]
    assert [e.id for e in back] == [e.id for e in events]  # the cue identifier carries the id


def test_vtt_cue_moved_in_a_subtitle_editor_keeps_its_new_time():
    rec = make_recording()
    (event,) = [e for e in tricky_events(rec) if e.label == "Long wait"]
    data = dumps_events([event], [rec], format="vtt").decode("utf-8")
    moved = data.replace("00:00:02.002 --> 00:00:09.977", "00:00:03.000 --> 00:00:09.000")
    (back,) = loads_events(moved.encode(), format="vtt", recording=rec)
    assert (back.start_s, back.end_s, back.note, back.id) == (3.0, 9.0, event.note, event.id)


def test_vtt_from_another_tool_with_bom_settings_and_tags():
    rec = make_recording()
    events = read_events(DATA / "captions_bom.vtt", recording=rec, codebook=Codebook())
    assert [(e.kind.short, e.start_s, e.end_s, e.label) for e in events] == [
        ("MOT", 0.5, None, "Greeting"),  # a 2 s cue is a point event
        ("INT", 3.0, 4.25, "Lookup & hold"),
        ("DEC", 5.0, None, "Choose delivery\nexpress <24h>"),
        ("MOT", 8.0, 8.9, "Form error"),  # no kind in the text: the codebook's label says MOT
    ]
    durations = read_events(DATA / "captions_bom.vtt", recording=rec, codebook=Codebook(), point_cue_s=None,
                            mapping={"Form error": "INT"})
    assert [(e.kind.short, e.end_s) for e in durations] == [("MOT", 2.5), ("INT", 4.25), ("DEC", 7.0), ("INT", 8.9)]


def test_cue_without_a_kind_asks_for_a_mapping():
    with pytest.raises(FormatError, match=r"captions_bom.vtt line 18: cue text 'Form error' names no kind"):
        read_events(DATA / "captions_bom.vtt", recording=make_recording())


def test_srt_has_numbered_cues_with_comma_times_and_crlf():
    rec = make_recording()
    data = dumps_events(tricky_events(rec), [rec], format="srt")
    text = data.decode("utf-8")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    blocks = text.strip("\r\n").split("\r\n\r\n")
    assert [b.split("\r\n")[0] for b in blocks] == [str(n) for n in range(1, len(blocks) + 1)]
    assert re.match(r"^\d\d:\d\d:\d\d,\d\d\d --> \d\d:\d\d:\d\d,\d\d\d$", blocks[0].split("\r\n")[1])
    assert blocks[0].split("\r\n")[2] == "MOT · Café ☕ — naïve 日本語"


def test_srt_with_crlf_from_another_tool():
    events = read_events(DATA / "subtitles_crlf.srt", recording=make_recording(), codebook=Codebook())
    assert [(e.kind.short, e.start_s, e.end_s, e.label) for e in events] == [
        ("MOT", 1.0, None, "Greeting"),
        ("INT", 3.5, 6.25, "Hand-off\nto back office"),
        ("DEC", 7.0, None, ""),
        ("MOT", 9.1, 9.6, "Payment accepted"),
    ]


def test_srt_arrow_in_a_label_cannot_break_the_file():
    rec = make_recording()
    event = validate_event(Event(Kind.INTERNAL_INTERACTION, 1.0, rec.id, end_s=1.25, label="queue --> agent"))
    data = dumps_events([event], [rec], format="srt")
    assert data.count(b"-->") == 1
    (back,) = loads_events(data, format="srt", recording=rec)
    assert back.label == "queue --> agent"


def test_webvtt_header_is_required():
    with pytest.raises(FormatError, match="does not start with WEBVTT"):
        loads_events(b"1\n00:00:01.000 --> 00:00:02.000\nMOT\n", format="vtt", recording=make_recording())
