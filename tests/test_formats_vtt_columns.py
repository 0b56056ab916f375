"""WebVTT a whole column at a time: the export's layout, and the import of that layout and of odd files.

A file in this tool's layout is read a field at a time (``vtt_notes.plain_cues``
answers, None means it left the file to the block-at-a-time reader); odd files
must read or fail as they did when a second, cue-by-cue reader stood beside the
column one: their outcomes (the events' digest, or the message) were recorded
then in ``data/vtt_odd_outcomes.json``, when both readers agreed on every one.
"""

from __future__ import annotations

import hashlib
import html
import json
from pathlib import Path
import random
import re
from datetime import datetime, timedelta, timezone

import pytest

from annotate.formats import dumps_events, loads_events, vtt, vtt_notes
from annotate.formats import columns as colwise
from annotate.formats.captions import CueReader, cue_label_lines
from annotate.formats.common import Problems, decode_text, iso_utc, ms_timecode
from annotate.model import Event, Kind
from annotate.testing.events import T0, make_recording, many_events, tricky_events

OUTCOMES = Path(__file__).parent / "data" / "vtt_odd_outcomes.json"

pytestmark = pytest.mark.skipif(colwise.arrow() is None, reason="pyarrow is not installed")


def outcome(fn):
    """Return ``fn()``'s result, or the type and text of any exception it raised (not only FormatError)."""
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - the two paths must fail alike, whatever the failure
        return f"{type(exc).__name__}: {exc}"


def plain_events(rec, n=150):
    """Return random validated events whose dates are whole ms (the notes' usual layout), with fixed ids."""
    return [e.replace(created_at=None, id=f"{i:032x}") if e.created_at and e.created_at.microsecond % 1000
            else e.replace(id=f"{i:032x}") for i, e in enumerate(many_events(rec, n))]


def takes_column_path(data: bytes | str, rec, **opts) -> bool:
    problems = Problems("x.vtt")
    text = decode_text(data, problems)
    reader = CueReader(rec, problems, None, None, opts.get("point_cue_s", 2.0))
    return vtt_notes.plain_cues(text, reader, data) is not None


def digest(result):
    """Return an import's outcome as recorded: the events' count and digest, or the message."""
    if isinstance(result, str):
        return result
    return f"{len(result)} events {hashlib.sha1(repr(result).encode('utf-8', 'surrogatepass')).hexdigest()}"


def recorded(key):
    return json.loads(OUTCOMES.read_text(encoding="utf-8"))[key]


AWKWARD = ['a "quoted" \\ back\\slash', "x > y --> z </c>", "tab\there", "Café ☕ 日本語 \U0001f600", "non\u00a0breaking",
           'x", "stage": "y', "\\u003e", "line\nbreak"]


def test_notes_with_escapes_take_the_column_path_and_read_as_json_does():
    rec = make_recording()
    rnd = random.Random(4)
    events = [e.replace(label=rnd.choice(AWKWARD), note=rnd.choice(AWKWARD), stage=rnd.choice(AWKWARD))
              for e in plain_events(rec, 200)]
    data = dumps_events(events, [rec], format="vtt")
    assert b"\\u003e" in data and b'\\"' in data and b"\\t" in data
    assert takes_column_path(data, rec)
    fast = loads_events(data, format="vtt", recording=rec)
    assert by_start(fast) == by_start(events)


@pytest.mark.parametrize("change, relabelled", [
    (lambda t: t.replace("\n", "\r\n"), 0),
    (lambda t: "\ufeff" + t, 0),
    (lambda t: t.rstrip("\n"), 0),
    (lambda t: t.replace(" line:8% align:center\n", "\n"), 0),
    (lambda t: re.sub(r'"start_s": ([0-9]+\.[0-9]+)', r'"start_s": \g<1>0', t, count=5), 0),  # 1.50: the same float
    (lambda t: t.replace('"label": "', '"label": "\\u0041', 3), 3),
])
def test_files_that_still_take_the_column_path(change, relabelled):
    rec = make_recording()
    events = plain_events(rec)
    data = change(dumps_events(events, [rec], format="vtt").decode("utf-8")).encode("utf-8")
    assert takes_column_path(data, rec)
    got = loads_events(data, format="vtt", recording=rec)
    want = by_start(events)
    want[:relabelled] = [e.replace(label="A" + e.label) for e in want[:relabelled]]
    assert got == want


def test_text_given_as_str_takes_the_column_path():
    rec = make_recording()
    events = plain_events(rec)
    text = dumps_events(events, [rec], format="vtt").decode("utf-8")
    assert takes_column_path(text, rec)
    assert loads_events(text, format="vtt", recording=rec) == by_start(events)


def _first(pattern: str, replace: str):
    return lambda t: re.sub(pattern, replace, t, count=1)


ODD_NOTES = [
    _first(r'"start_s": ', '"start_s":  '),  # not the layout this tool writes
    _first(r'"emotion": null', '"emotion": 1.0'),
    _first(r'"emotion": null', '"emotion": 7'),
    _first(r'"emotion": null', '"emotion": "1"'),
    _first(r'"end_s": null', '"end_s": 1e1'),
    _first(r'"end_s": null', '"end_s": -0.0'),
    _first(r'"start_s": [0-9.]+', '"start_s": 5'),
    _first(r'"start_s": [0-9.]+', '"start_s": 1' + "0" * 400 + ".0"),  # inf
    _first(r'"label": "', lambda m: '"label": "\\x'),  # not a JSON escape
    _first(r'"label": "', '"label": "\t'),  # a raw control character
    _first(r'"note": "', lambda m: '"note": "\\ud800'),  # a lone surrogate, which json reads
    _first(r'"label": ("[^"]*")', r'"label": \g<1>, "label": "dup"'),
    _first(r'"updated_at": ([^}]*)}', r'"updated_at": \g<1>, "extra": 1}'),
    _first(r'"kind": ("[^"]*"), "start_s": ([0-9.]+)', r'"start_s": \g<2>, "kind": \g<1>'),
    _first(r'"kind": "[a-z_]+"', '"kind": "MOT"'),
    _first(r'"kind": "[a-z_]+"', '"kind": "Moment of Truth"'),
    _first(r'"created_at": "[^"]*"', '"created_at": "2024-05-01T12:00:00+02:00"'),
    _first(r'"created_at": "[^"]*"', '"created_at": " 2024-05-01T12:00:00Z"'),
    _first(r'"created_at": "[^"]*"', '"created_at": "yesterday"'),
    _first(r'"reviewer": "[^"]*"', '"reviewer": " padded "'),
    _first(r'\{"id": "([0-9a-f]{32})"', lambda m: '{"id": "' + m.group(1).upper() + '"'),
    _first(r'\n([0-9a-f]{32})\n', lambda m: "\n" + m.group(1).upper() + "\n"),
    _first(r'(\n[0-9a-f]{32}\n[^\n]*\n)([^\n]*)\n', lambda m: m[1] + m[2] + "\n\u3000\nmore\n"),  # a blank-ish line
    _first(r'(\n[0-9a-f]{32}\n[^\n]*\n)([^\n]*)\n', lambda m: m[1] + m[2] + "\n\x0b\n"),
    _first(r'(\n[0-9a-f]{32}\n[^\n]*\n)([^\n]*)\n', r"\g<1>  \g<2>\n"),  # text that starts with spaces
    _first(r'(\n[0-9a-f]{32}\n[^\n]*)\n[^\n]*\n', r"\g<1>\n"),  # a cue without text
    _first(r'\n\nSTYLE\n', "\n\u00a0\nbar\n\nSTYLE\n"),  # a blank-ish line in the header's NOTE
    _first(r'\{"id": "[0-9a-f]{32}"', '{"id": "' + "0" * 32 + '"'),  # a note of another cue
    _first(r'"start_s": ', '"start_s": 0'),  # a leading zero: not JSON
    _first(r'\nSTYLE\n', "\nSTYLE\n\n\n"),
    _first(r'--> ([0-9:.]+) ', r'--> \g<1>'),
    lambda t: t + "\n\n",
    lambda t: t + "\n\n" + t[t.index("NOTE cx-annotate"):],  # every id twice
    lambda t: t[: t.rindex("NOTE cx-annotate")] + t[t.rindex("\n\n", 0, t.rindex("NOTE cx-annotate")):],
    lambda t: t.replace("\n", "\r"),
]
POINT_CUES = {"2s": {}, "none": {"point_cue_s": None}, "-1s": {"point_cue_s": -1.0}}


def odd_notes_outcome(n, point):
    rec = make_recording()
    text = ODD_NOTES[n](dumps_events(plain_events(rec), [rec], format="vtt").decode("utf-8"))
    data = text.encode("utf-8", "surrogatepass")
    return digest(outcome(lambda: loads_events(data, format="vtt", recording=rec, **POINT_CUES[point])))


@pytest.mark.parametrize("n", range(len(ODD_NOTES)))
def test_odd_notes_and_cues_read_or_fail_as_recorded(n):
    for point in POINT_CUES:
        assert odd_notes_outcome(n, point) == recorded(f"notes {n} {point}")


def lone_surrogate_outcome():
    rec = make_recording()
    text = dumps_events(plain_events(rec), [rec], format="vtt").decode("utf-8").replace("Awareness", "Aware\ud800", 1)
    assert not takes_column_path(text, rec)
    return digest(outcome(lambda: loads_events(text, format="vtt", recording=rec)))


def test_text_with_a_lone_surrogate_is_left_to_the_block_reader():
    assert lone_surrogate_outcome() == recorded("lone surrogate")


def test_py_space_is_what_python_regexes_call_whitespace():
    spaces = "".join(c for c in map(chr, range(0x110000)) if re.match(r"\s", c))
    declared = re.sub("\u2000-\u200a", "".join(map(chr, range(0x2000, 0x200B))), vtt_notes.PY_SPACE)
    assert sorted(declared) == sorted(spaces)


# --- export --------------------------------------------------------------------------


def test_note_times_are_what_repr_writes():
    rec = make_recording(duration_s=10.0**12)
    rnd = random.Random(8)
    ms = [rnd.randrange(0, 10**rnd.randrange(1, 16)) for _ in range(2000)] + [0, 1, 10, 100, 999, 1000, 10**15 - 1]
    values = [m / 1000 for m in ms]
    for odd in ([], [1.2345], [-0.0], [1e15]):
        events = [Event(Kind.MOMENT_OF_TRUTH, v, rec.id, id=f"{i:032x}") for i, v in enumerate(values + odd)]
        data = dumps_events(events, [rec], format="vtt").decode("utf-8")
        written = re.findall(r'"start_s": ([^,]*),', data)
        assert sorted(written) == sorted(repr(v) for v in values + odd)


def reference_cues(events, point_cue_s=2.0, settings=vtt.DEFAULT_SETTINGS, metadata=True):
    """Return the cues of a WebVTT export written event by event (the layout of the module docstring)."""
    out = []
    for ev in sorted(events, key=lambda e: (e.recording_id if e.recording_id is not None else -1, e.start_s,
                                            -1.0 if e.end_s is None else e.end_s, e.id)):
        kind = ev.kind if isinstance(ev.kind, Kind) else Kind(str(ev.kind))
        start = int(round(ev.start_s * 1000))
        end = start + max(1, int(round(point_cue_s * 1000))) if ev.end_s is None else max(int(round(ev.end_s * 1000)),
                                                                                          start + 1)
        lines = [html.escape(line, quote=False) for line in cue_label_lines(ev.label)]
        text = "\n".join([f"<c.{kind.short.lower()}>{kind.short}</c>" + (" · " + lines[0] if lines else ""), *lines[1:]])
        cue = f"{ev.id}\n{ms_timecode(start)} --> {ms_timecode(end)}{(' ' + settings).rstrip()}\n{text}\n"
        if metadata:
            meta = {"id": ev.id, "kind": kind.value, "start_s": ev.start_s, "end_s": ev.end_s, "label": ev.label,
                    "stage": ev.stage, "channel": ev.channel, "actor": ev.actor, "expectation": ev.expectation,
                    "emotion": ev.emotion, "note": ev.note, "reviewer": ev.reviewer,
                    "created_at": iso_utc(ev.created_at) or None, "updated_at": iso_utc(ev.updated_at) or None}
            cue = f"NOTE cx-annotate {json.dumps(meta, ensure_ascii=False).replace('>', chr(92) + 'u003e')}\n\n{cue}"
        out.append(cue)
    return "\n".join(out).encode("utf-8")


def cues_of(data: bytes) -> bytes:
    """Return a WebVTT export from its first cue (or note) on."""
    at = data.find(b"\n\nNOTE cx-annotate ")
    if at < 0:
        at = re.search(rb"\n\n[^\n]*\n-?[0-9:.]+ --> ", data).start()
    return data[at + 2 :]


def odd_events(rec):
    """Return events as callers may pass them to dumps: not validated, some with values no validation keeps."""
    base = plain_events(rec, 120)
    return base + [
        base[0].replace(id="a>b\"c\\d", label="x\x01y > z"),
        base[1].replace(label="one\n\n \ntwo", note="\x1f"),
        base[2].replace(created_at=datetime(2024, 5, 1, 12, 0, 0, 250000), updated_at=T0 + timedelta(microseconds=7)),
        base[3].replace(created_at=T0.astimezone(timezone(timedelta(hours=-5))), emotion=-2),
    ]


@pytest.mark.parametrize("change", [
    lambda evs: evs,
    lambda evs: [e.replace(end_s=None) for e in evs],  # only point events
    lambda evs: [e.replace(end_s=e.start_s + 1.0) for e in evs],  # no point events
    lambda evs: evs + [evs[0].replace(id="f" * 32, start_s=1.2345)],  # a time not in whole ms
    lambda evs: evs + [evs[0].replace(id="f" * 32, start_s=-0.0)],
    lambda evs: evs + [evs[0].replace(id="f" * 32, start_s=3)],
    lambda evs: evs + [evs[0].replace(id="f" * 32, end_s=float("nan"))],
    lambda evs: evs + [evs[0].replace(id="f" * 32, start_s=-1.0)],
    lambda evs: evs + [evs[0].replace(id="f" * 32, emotion=2**70)],
    lambda evs: evs + [evs[0].replace(id="f" * 32, emotion=True)],
    lambda evs: evs + [evs[0].replace(id="f" * 32, kind="MOT")],
    lambda evs: evs + [evs[0].replace(id="f" * 32, label=None)],
    lambda evs: evs + [evs[0].replace(id=12345)],
    lambda evs: evs + [evs[0].replace(id="f" * 32, note="\ud800")],
    lambda evs: evs + [evs[0].replace(id="f" * 32, created_at="2024-05-01")],
])
@pytest.mark.parametrize("opts", [{}, {"metadata": False}, {"point_cue_s": 0.0, "settings": ""}])
def test_export_of_odd_events_is_byte_identical_to_an_event_by_event_writer(change, opts):
    rec = make_recording()
    events = change(odd_events(rec))
    fast = outcome(lambda: cues_of(dumps_events(events, [rec], format="vtt", **opts)))
    want = outcome(lambda: reference_cues(events, **opts))
    if isinstance(want, str) and want.startswith("UnicodeEncodeError"):  # where in the text: its position differs
        want, fast = want.rsplit(":", 1)[1], fast.rsplit(":", 1)[1]
    assert fast == want


def by_start(events):
    return sorted(events, key=lambda e: (e.start_s, -1.0 if e.end_s is None else e.end_s, e.id))


def test_export_of_validated_events_is_the_layout_and_reads_back():
    rec = make_recording()
    events = [e.replace(created_at=None) if e.created_at and e.created_at.microsecond % 1000 else e
              for e in plain_events(rec, 300) + tricky_events(rec)[2:]]
    data = dumps_events(events, [rec], format="vtt")
    assert cues_of(data) == reference_cues(events)
    assert by_start(loads_events(data, format="vtt", recording=rec)) == by_start(events)


def test_kinds_and_point_cues_survive_the_round_trip_without_notes():
    rec = make_recording()
    events = plain_events(rec, 200)
    data = dumps_events(events, [rec], format="vtt", metadata=False)
    assert b"NOTE cx-annotate" not in data
    assert cues_of(data) == reference_cues(events, metadata=False)
    back = loads_events(data, format="vtt", recording=rec)
    assert [(e.kind, e.start_s, e.end_s) for e in back] == [(e.kind, e.start_s, e.end_s) for e in by_start(events)]


def end_before_start_outcome():
    rec = make_recording()
    events = [e for e in plain_events(rec) if e.start_s >= 1.0]
    text = dumps_events(events, [rec], format="vtt").decode("utf-8")
    # every point event's cue made to end 1 s before it starts, read with point cues of -1 s
    point = re.compile(r'("start_s": ([0-9.]+), "end_s": null.*\n\n[0-9a-f]{32}\n[0-9:.]+ --> )([0-9:.]+)')

    def early(match):
        ms = round(float(match[2]) * 1000) - 1000
        return f"{match[1]}00:00:{ms // 1000:02d}.{ms % 1000:03d}"

    data = point.sub(early, text).encode("utf-8")
    return outcome(lambda: loads_events(data, format="vtt", recording=rec, point_cue_s=-1.0))


def test_cues_that_end_before_they_start_are_refused():
    got = end_before_start_outcome()
    assert "ends" in got and "before it starts" in got
    assert digest(got) == recorded("end before start")


ODD_FILES = [
    lambda t: t.replace(" --> ", " --> 00:00:00.000 x", 1),
    lambda t: t.replace("00:00:0", "00:00:1", 1),  # a cue moved in a subtitle editor
    lambda t: t.replace('"kind": "moment_of_truth"', '"kind": "purple"', 1),
    lambda t: t.replace('"start_s": ', '"start_s": "', 1),
    lambda t: t.replace("NOTE cx-annotate {", "NOTE cx-annotate [", 1),
    lambda t: t.replace("\n\nSTYLE", "\n\nCUE\n00:00:01.000 --> 00:00:02.000\nMOT · x\n\nSTYLE", 1),
    lambda t: t.replace("\n\n", "\n\n\n", 3),
    lambda t: t[: t.rindex("-->") + 6],
    lambda t: t.replace("NOTE cx-annotate ", "NOTE cx-annotate\n", 1),
]


def odd_file_outcome(n):
    rec = make_recording()
    events = plain_events(rec)
    data = ODD_FILES[n](dumps_events(events, [rec], format="vtt").decode("utf-8")).encode("utf-8")
    return digest(outcome(lambda: loads_events(data, format="vtt", recording=rec)))


@pytest.mark.parametrize("n", range(len(ODD_FILES)))
def test_odd_vtt_files_read_or_fail_as_recorded(n):
    assert odd_file_outcome(n) == recorded(f"files {n}")


def test_vtt_file_this_tool_writes_takes_the_column_path():
    rec = make_recording()
    events = [e.replace(created_at=None) if e.created_at and e.created_at.microsecond % 1000 else e
              for e in plain_events(rec, 300) + tricky_events(rec)[2:]]
    data = dumps_events(events, [rec], format="vtt")
    assert takes_column_path(data, rec)
    assert loads_events(data, format="vtt", recording=rec) == by_start(events)
