"""WebVTT's column paths write and read exactly what the cue-by-cue paths do, and step aside for anything else.

Each test runs the real code twice: as shipped, and with the column paths
switched off (``annotate.formats.columns.ENABLED``), and compares results,
messages or exceptions. Where a file must take the column path, the test also
calls it directly and checks that it answered (None means it stepped aside).
"""

from __future__ import annotations

import html
import json
import random
import re
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from annotate.formats import dumps_events, loads_events, vtt, vtt_notes
from annotate.formats import columns as colwise
from annotate.formats.captions import cue_label_lines
from annotate.formats.common import Problems, decode_text, iso_utc, ms_timecode
from annotate.model import Event, Kind
from test_formats_columns import per_event  # noqa: F401 - the fixture that switches the column paths off
from test_formats_common import T0, make_recording, many_events, tricky_events

pytestmark = pytest.mark.skipif(colwise.arrow() is None, reason="pyarrow is not installed")


def outcome(fn):
    """Return ``fn()``'s result, or the type and text of any exception it raised (not only FormatError)."""
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - the two paths must fail alike, whatever the failure
        return f"{type(exc).__name__}: {exc}"


def plain_events(rec, n=150):
    """Return random validated events whose dates are whole ms (the notes' usual layout)."""
    return [e.replace(created_at=None) if e.created_at and e.created_at.microsecond % 1000 else e
            for e in many_events(rec, n)]


def takes_column_path(data: bytes | str, rec, **opts) -> bool:
    text = decode_text(data, Problems("x.vtt"))
    return vtt_notes.read_columns(text, rec, None, None, "events.vtt", opts.get("point_cue_s", 2.0), data) is not None


AWKWARD = ['a "quoted" \\ back\\slash', "x > y --> z </c>", "tab\there", "Café ☕ 日本語 \U0001f600", "non\u00a0breaking",
           'x", "stage": "y', "\\u003e", "line\nbreak"]


def test_notes_with_escapes_take_the_column_path_and_read_as_json_does(per_event):
    rec = make_recording()
    rnd = random.Random(4)
    events = [e.replace(label=rnd.choice(AWKWARD), note=rnd.choice(AWKWARD), stage=rnd.choice(AWKWARD))
              for e in plain_events(rec, 200)]
    data = dumps_events(events, [rec], format="vtt")
    assert b"\\u003e" in data and b'\\"' in data and b"\\t" in data
    assert takes_column_path(data, rec)
    fast = loads_events(data, format="vtt", recording=rec)
    assert fast == per_event(lambda: loads_events(data, format="vtt", recording=rec))
    assert sorted((e.id, e.label, e.note, e.stage) for e in fast) == sorted((e.id, e.label, e.note, e.stage) for e in events)


@pytest.mark.parametrize("change", [
    lambda t: t.replace("\n", "\r\n"),
    lambda t: "\ufeff" + t,
    lambda t: t.rstrip("\n"),
    lambda t: t.replace(" line:8% align:center\n", "\n"),
    lambda t: re.sub(r'"start_s": ([0-9]+\.[0-9]+)', r'"start_s": \g<1>0', t, count=5),  # 1.50: the same float
    lambda t: t.replace('"label": "', '"label": "\\u0041', 3),
])
def test_files_that_still_take_the_column_path(change, per_event):
    rec = make_recording()
    data = change(dumps_events(plain_events(rec), [rec], format="vtt").decode("utf-8")).encode("utf-8")
    assert takes_column_path(data, rec)
    fast = loads_events(data, format="vtt", recording=rec)
    assert fast == per_event(lambda: loads_events(data, format="vtt", recording=rec))


def test_text_given_as_str_takes_the_column_path(per_event):
    rec = make_recording()
    text = dumps_events(plain_events(rec), [rec], format="vtt").decode("utf-8")
    assert takes_column_path(text, rec)
    assert loads_events(text, format="vtt", recording=rec) == per_event(
        lambda: loads_events(text, format="vtt", recording=rec))


def _first(pattern: str, replace: str):
    return lambda t: re.sub(pattern, replace, t, count=1)


@pytest.mark.parametrize("change", [
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
])
def test_odd_notes_and_cues_read_or_fail_exactly_as_cue_by_cue(change, per_event):
    rec = make_recording()
    data = change(dumps_events(plain_events(rec), [rec], format="vtt").decode("utf-8")).encode("utf-8", "surrogatepass")
    for opts in ({}, {"point_cue_s": None}, {"point_cue_s": -1.0}):
        fast = outcome(lambda: loads_events(data, format="vtt", recording=rec, **opts))
        slow = outcome(lambda: per_event(lambda: loads_events(data, format="vtt", recording=rec, **opts)))
        assert fast == slow


def test_text_with_a_lone_surrogate_is_left_to_the_cue_by_cue_path(per_event):
    rec = make_recording()
    text = dumps_events(plain_events(rec), [rec], format="vtt").decode("utf-8").replace("Awareness", "Aware\ud800", 1)
    assert not takes_column_path(text, rec)
    fast = outcome(lambda: loads_events(text, format="vtt", recording=rec))
    assert fast == outcome(lambda: per_event(lambda: loads_events(text, format="vtt", recording=rec)))


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


def test_cues_that_end_before_they_start_are_refused_as_cue_by_cue(per_event):
    rec = make_recording()
    events = [e for e in plain_events(rec) if e.start_s >= 1.0]
    text = dumps_events(events, [rec], format="vtt").decode("utf-8")
    # every point event's cue made to end 1 s before it starts, read with point cues of -1 s
    point = re.compile(r'("start_s": ([0-9.]+), "end_s": null.*\n\n[0-9a-f]{32}\n[0-9:.]+ --> )([0-9:.]+)')

    def early(match):
        ms = round(float(match[2]) * 1000) - 1000
        return f"{match[1]}00:00:{ms // 1000:02d}.{ms % 1000:03d}"

    data = point.sub(early, text).encode("utf-8")
    fast = outcome(lambda: loads_events(data, format="vtt", recording=rec, point_cue_s=-1.0))
    assert "ends" in fast and "before it starts" in fast
    assert fast == outcome(lambda: per_event(lambda: loads_events(data, format="vtt", recording=rec, point_cue_s=-1.0)))
