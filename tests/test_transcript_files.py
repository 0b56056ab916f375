"""Transcript files: WebVTT and SRT as meeting and call systems export them, read with their speakers, and
written back (VTT, SRT, JSON) so that reading the written file gives the same lines; bad files give one line."""

from __future__ import annotations

import json

import pytest

from annotate.errors import FormatError
from annotate.transcripts.cues import MAX_FILE_LINE, read_file
from annotate.transcripts.events import EventTranscript
from annotate.transcripts.lines import MAX_LINE_TEXT, Line
from annotate.transcripts.write import write_file
from annotate.model import Event, Kind

# As Microsoft Teams writes it: voice tags, cue ids that are GUID-like, a header block.
TEAMS_VTT = """WEBVTT
X-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000

NOTE
Recorded by Teams

1a2b3c4d-0001
00:00:01.250 --> 00:00:04.000
<v Ana Lima>Hello, thank you for calling &amp; sorry for the wait.</v>

1a2b3c4d-0002
00:00:04.500 --> 00:00:07.125 align:start position:10%
<v Customer>I want to change
my booking to Friday.</v>

1a2b3c4d-0003
00:00:07.200 --> 00:00:09.000
<v.loud Ana Lima>Of course.</v> <v Customer>Thanks!</v>

00:01:02.003 --> 00:01:05.000
<c.yellow>no speaker here</c> <00:01:03.000>timed
"""

# As Zoom writes it: cue numbers, "Name: text" in the cue.
ZOOM_VTT = """WEBVTT

1
00:00:00.520 --> 00:00:02.910
Ana Lima: Good morning, how can I help?

2
00:00:03.100 --> 00:00:05.000
Bob O'Neil: My card was declined.
"""

# A call recorder's SRT: CRLF, a BOM, "Name: text" and "- Name: text" dialogue, an untagged cue, no blank
# line before cue 4 (some tools write that).
CALL_SRT = ("\ufeff1\r\n00:00:01,000 --> 00:00:02,500\r\nAgent: Please hold while I check.\r\n\r\n"
            "2\r\n00:00:10,000 --> 00:00:12,000\r\n- Agent: Still there?\r\n- Customer: Yes, holding.\r\n\r\n"
            "3\r\n01:00:00,000 --> 01:00:01,999\r\n<i>[music]</i>\r\n"
            "4\r\n01:00:02,000 --> 01:00:03,000\r\nCustomer: Bye.\r\n")


def write(tmp_path, name: str, text: str | bytes):
    path = tmp_path / name
    (path.write_bytes if isinstance(text, bytes) else path.write_text)(text, **({} if isinstance(text, bytes) else {"encoding": "utf-8", "newline": ""}))
    return path


def test_a_teams_vtt_is_read_with_voice_tags_as_speakers(tmp_path):
    lines = list(read_file(write(tmp_path, "teams.vtt", TEAMS_VTT)))
    assert [(ln.start_ms, ln.end_ms, ln.speaker, ln.text) for ln in lines] == [
        (1250, 4000, "Ana Lima", "Hello, thank you for calling & sorry for the wait."),
        (4500, 7125, "Customer", "I want to change my booking to Friday."),
        (7200, 9000, "Ana Lima", "Of course."),
        (7200, 9000, "Customer", "Thanks!"),
        (62003, 65000, "", "no speaker here timed"),
    ]


def test_a_zoom_vtt_is_read_with_name_prefixes_as_speakers(tmp_path):
    lines = list(read_file(write(tmp_path, "zoom.vtt", ZOOM_VTT)))
    assert [(ln.start_ms, ln.end_ms, ln.speaker, ln.text) for ln in lines] == [
        (520, 2910, "Ana Lima", "Good morning, how can I help?"),
        (3100, 5000, "Bob O'Neil", "My card was declined."),
    ]


def test_an_srt_with_speakers_is_read_whatever_its_name(tmp_path):
    # Named .vtt but it is SRT: the content decides.
    lines = list(read_file(write(tmp_path, "call.vtt", CALL_SRT)))
    assert [(ln.start_ms, ln.end_ms, ln.speaker, ln.text) for ln in lines] == [
        (1000, 2500, "Agent", "Please hold while I check."),
        (10000, 12000, "Agent", "Still there?"),
        (10000, 12000, "Customer", "Yes, holding."),
        (3600000, 3601999, "", "[music]"),
        (3602000, 3603000, "Customer", "Bye."),
    ]


def test_utf16_with_a_bom_is_read(tmp_path):
    lines = list(read_file(write(tmp_path, "u16.srt", CALL_SRT.encode("utf-16"))))
    assert lines[0] == Line(1000, 2500, "Please hold while I check.", "Agent")


@pytest.mark.parametrize("fmt", ["vtt", "srt"])
def test_written_files_read_back_as_the_same_lines(tmp_path, fmt):
    lines = [
        Line(0, 1, "a one-millisecond cue", "Ana"),
        Line(999, 61_001, "text with <angle> & ampersand, and a colon: here", "Bob O'Neil"),
        Line(3_600_000, 3_600_500, "no speaker"),
        Line(3_600_500, 3_600_500, "a point in time", "Ana Lima"),
        Line(359_999_000, 359_999_999, "ünïcödé 話者 ✓", "Zoë"),
    ]
    path = tmp_path / f"out.{fmt}"
    assert write_file(path, lines) == len(lines)
    assert list(read_file(path)) == lines
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no partial file left


def test_json_holds_every_line_with_seconds_and_words(tmp_path):
    lines = [Line(1500, 2750, "Hi there", "Ana", ((1500, 1900, "Hi"), (2000, 2750, "there"))), Line(3000, 3001, "x")]
    path = tmp_path / "t.json"
    write_file(path, lines, about={"recording": 4})
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["recording"] == 4
    assert data["lines"] == [
        {"start_s": 1.5, "end_s": 2.75, "speaker": "Ana", "text": "Hi there",
         "words": [{"start_s": 1.5, "end_s": 1.9, "word": "Hi"}, {"start_s": 2.0, "end_s": 2.75, "word": "there"}]},
        {"start_s": 3.0, "end_s": 3.001, "speaker": "", "text": "x"},
    ]


BAD = {
    "empty": (b"", "the file is empty"),
    "not a cue file": (b"hello\nworld\n", "line 1: this is neither WebVTT"),
    "bad time": ("WEBVTT\n\n00:00:01.000 --> 00:00:xx.000\nhi\n".encode(), "line 3: '00:00:xx.000' is not a cue time"),
    "backwards": (b"1\n00:00:05,000 --> 00:00:01,000\nhi\n", "line 2: cue ends (00:00:01.000) before it starts"),
    "no timing": (b"1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\njust text\n", "line 6: a cue number or id must be followed"),
    "cut short": (b"1\n00:00:01,000 --> \n", "line 2: '00:00:01,000 -->' has no end time"),
    "not utf-8": (b"1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:00:03,000 --> 00:00:04,000\ncaf\xe9\n", "line 7: is not UTF-8 text"),
    "nul bytes": (b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\na\x00b\n", "line 4: holds NUL bytes"),
    "no cues": (b"WEBVTT\n\nNOTE only a note\n", ": the file holds no cues with text"),
    "negative": (b"1\n-00:00:01,000 --> 00:00:02,000\nhi\n", "line 2: time -00:00:01,000 is negative"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_a_bad_file_gives_one_line_naming_the_file_and_line(tmp_path, name):
    data, expected = BAD[name]
    with pytest.raises(FormatError) as err:
        list(read_file(write(tmp_path, "bad.srt", data)))
    message = str(err.value)
    assert message.startswith("bad.srt") and expected in message and "\n" not in message


def test_a_line_longer_than_the_cell_cap_is_refused(tmp_path):
    long_text = "word " * (MAX_LINE_TEXT // 5 + 10)
    with pytest.raises(FormatError, match=r"bad.vtt line 3: the line's text is [\d,]+ characters long; keep it to 65,536"):
        list(read_file(write(tmp_path, "bad.vtt", f"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n{long_text}\n")))
    exactly = "x" * MAX_LINE_TEXT
    lines = list(read_file(write(tmp_path, "ok.vtt", f"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n{exactly}\n")))
    assert len(lines[0].text) == MAX_LINE_TEXT
    endless = "y" * (MAX_FILE_LINE + 5)
    with pytest.raises(FormatError, match="huge.vtt line 4: the line is longer than"):
        list(read_file(write(tmp_path, "huge.vtt", f"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n{endless}\n")))


def test_the_transcript_beside_events_for_the_event_exports():
    tr = EventTranscript(3, [Line(5000, 8000, "second", "Bo"), Line(0, 4000, "first", "Ana"),
                             Line(1000, 20000, "long overlapping", ""), Line(9000, 9500, "third", "Ana")])
    point = Event(kind=Kind.MOMENT_OF_TRUTH, start_s=2.0, recording_id=3)
    span = Event(kind=Kind.DECISION_POINT, start_s=6.0, end_s=9.2, recording_id=3)
    outside = Event(kind=Kind.INTERNAL_INTERACTION, start_s=30.0, recording_id=3)
    assert tr.column([point, span, outside]) == [
        "Ana: first / long overlapping", "long overlapping / Bo: second / Ana: third", ""]
    assert tr.json()[0] == {"start_s": 0.0, "end_s": 4.0, "speaker": "Ana", "text": "first"}
    tier, annotations = tr.eaf_tier()
    assert tier == "transcript" and annotations[0] == (0, 4000, "Ana: first") and len(annotations) == 4
    assert sorted(tr.eaf_tiers()) == ["transcript", "transcript - Ana", "transcript - Bo"]
