"""WebVTT captions: one cue per event, shown by browsers (``<track>``) and VLC.

Layout::

    WEBVTT - cx-annotate events

    NOTE
    Recording: Checkout (checkout.mp4), id 7
    12 events. MOT = Moment of Truth, INT = Internal Interaction, DEC = Decision Point.
    Point events are shown for 2 s.

    STYLE
    ::cue(.mot) { color: #D62728; }  ...

    NOTE cx-annotate {"id": "...", "kind": "moment_of_truth", "start_s": 1.5, ...}

    0f3c...(event id)
    00:00:01.500 --> 00:00:03.500 line:8% align:center
    <c.mot>MOT</c> · Greeting

The cue identifier is the event id; cue text is the short kind name, `` · `` and
the label (``&``, ``<``, ``>`` escaped). The ``NOTE cx-annotate`` line before a
cue holds every field of the event as JSON (``>`` written as ``\\u003e`` so that
no note contains ``-->``); players ignore notes, and import reads them, so the
round trip is lossless. Without those notes (``metadata=False`` or a file from
another tool) import reads kind, start, end and label from the cue (see
:mod:`annotate.formats.captions`). Files may start with a BOM.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any, Iterable, Mapping

from ..errors import ValidationError
from ..model import Event, Kind, Recording
from .captions import (
    DEFAULT_POINT_CUE_S,
    SEP,
    Clock,
    CueReader,
    CueTexts,
    cue_label_lines,
    parse_timing,
    split_blocks,
)
from .common import Problems, as_recordings, decode_text, iso_utc, json_value, recording_name, sort_events

NAME = "vtt"
TITLE = "WebVTT captions (browsers, VLC)"
SUFFIXES = (".vtt",)
MEDIA_TYPE = "text/vtt"

DEFAULT_SETTINGS = "line:8% align:center"
_META_PREFIX = "NOTE cx-annotate "


def dumps(
    events: Iterable[Event],
    recordings: Mapping[int, Recording] | Iterable[Recording] | None = None,
    *,
    codebook: Any = None,
    point_cue_s: float = DEFAULT_POINT_CUE_S,
    settings: str = DEFAULT_SETTINGS,
    metadata: bool = True,
) -> bytes:
    """Return a WebVTT file (UTF-8) with one cue per event, ordered by start time.

    ``point_cue_s`` is how long a point event's cue shows; ``settings`` the cue
    settings after each timing; ``metadata=False`` leaves out the per-cue
    ``NOTE cx-annotate`` lines (then only kind, times and label round-trip).
    """
    events = sort_events(list(events))
    recs = as_recordings(recordings)
    out = ["WEBVTT - cx-annotate events", ""]
    out += ["NOTE", *_header_lines(events, recs, point_cue_s), ""]
    out += ["STYLE", *(f"::cue(.{k.short.lower()}) {{ color: {k.color}; font-weight: bold; }}" for k in Kind), ""]
    kinds = [ev.kind if isinstance(ev.kind, Kind) else Kind(str(ev.kind)) for ev in events]
    metas = _metas(events, kinds) if metadata else None
    clock = Clock(".")
    texts = CueTexts(_cue_text)
    point_ms = max(1, int(round(point_cue_s * 1000)))
    tail = (" " + settings).rstrip()  # the timing ends in a digit, so this is the line's rstrip
    for i, ev in enumerate(events):
        start = int(round(ev.start_s * 1000))  # to_ms and cue_end_ms, inline: this runs once per event
        end = start + point_ms if ev.end_s is None else max(int(round(ev.end_s * 1000)), start + 1)
        cue = f"{ev.id}\n{clock[start]} --> {clock[end]}{tail}\n{texts[kinds[i], ev.label]}\n"
        out.append(f"{_META_PREFIX}{metas[i]}\n\n{cue}" if metas is not None else cue)
    return "\n".join(out).encode("utf-8")


def _cue_text(kind: Kind, label: str) -> str:
    lines = [html.escape(line, quote=False) for line in cue_label_lines(label)]
    first = f"<c.{kind.short.lower()}>{kind.short}</c>" + (SEP + lines[0] if lines else "")
    return "\n".join([first, *lines[1:]])


def _header_lines(events: list[Event], recs: dict, point_cue_s: float) -> list[str]:
    ids = list(dict.fromkeys(e.recording_id for e in events)) or list(recs)
    lines = []
    for rid in ids:
        rec = recs.get(rid)
        name = recording_name(rec) or "(unknown)"
        path = f" ({rec.path})" if rec is not None and rec.path and rec.path != name else ""
        lines.append(f"Recording: {name}{path}, id {rid}")
    lines.append(f"{len(events)} events. " + ", ".join(f"{k.short} = {k.title}" for k in Kind) + ".")
    lines.append(f"Point events are shown for {point_cue_s:g} s. Written by cx-annotate.")
    return [line.replace("-->", "->") for line in lines]


def _meta_dict(ev: Event, kind: Kind) -> dict[str, Any]:
    return {
        "id": ev.id, "kind": kind.value, "start_s": ev.start_s, "end_s": ev.end_s, "label": ev.label,
        "stage": ev.stage, "channel": ev.channel, "actor": ev.actor, "expectation": ev.expectation,
        "emotion": ev.emotion, "note": ev.note, "reviewer": ev.reviewer,
        "created_at": iso_utc(ev.created_at) or None, "updated_at": iso_utc(ev.updated_at) or None,
    }


_BOUNDARY = '}, {"id": '


def _metas(events: list[Event], kinds: list[Kind]) -> list[str]:
    """Return each event's fields as one line of JSON, for its ``NOTE cx-annotate`` line.

    All events go through json's C encoder in one call, cut where one ends and
    the next begins (``}, {"id": `` occurs nowhere else: inside a JSON string
    every ``"`` is escaped). '>' only occurs inside JSON strings; escaping it
    keeps '-->' out of the note.
    """
    dicts = [_meta_dict(ev, kind) for ev, kind in zip(events, kinds)]
    if not dicts:
        return []
    encoded = json.dumps(dicts, ensure_ascii=False).replace(">", "\\u003e")
    parts = encoded[2:-2].split(_BOUNDARY)  # without the list's '[{' and '}]'
    if len(parts) != len(dicts):  # a field holding an object: encode one by one
        return [json.dumps(d, ensure_ascii=False).replace(">", "\\u003e") for d in dicts]
    parts[0] = parts[0][6:]  # '"id": ' of the first, which the split left in place
    return ['{"id": ' + part + "}" for part in parts]


_TAG = re.compile(r"<[^>]*>")


def loads(
    data: bytes | str,
    *,
    recording: Recording,
    mapping: Mapping[str, Any] | Iterable[str] | None = None,
    codebook: Any = None,
    source: str = "events.vtt",
    point_cue_s: float | None = DEFAULT_POINT_CUE_S,
) -> list[Event]:
    """Return the validated events of a WebVTT file's cues (see the module docstring for how).

    Raises FormatError listing every bad cue by line number.
    """
    problems = Problems(source)
    text = decode_text(data, problems)
    blocks = split_blocks(text)
    if not blocks or not re.match(r"WEBVTT(?:[ \t].*)?$", blocks[0][1][0]):
        problems.fail("line 1", "does not start with WEBVTT: this is not a WebVTT file")
    reader = CueReader(recording, problems, mapping, codebook, point_cue_s)
    meta: dict | None = None
    for line_no, lines in blocks[1:]:
        head = lines[0]
        if head.startswith(_META_PREFIX):
            try:
                meta = json_value(head[len(_META_PREFIX):])
                if not isinstance(meta, dict):
                    raise ValueError("not an object")
            except ValueError as exc:
                problems.add(f"line {line_no}", f"the cx-annotate NOTE is not valid JSON ({exc}); the file may be cut short")
                meta = None
            continue
        if head.split(None, 1)[0] in ("NOTE", "STYLE", "REGION"):
            continue
        cue_id = ""
        timing_at = 0
        if "-->" not in head:
            cue_id, timing_at = head.strip(), 1
        where = line_no + timing_at
        if timing_at >= len(lines):
            problems.add(f"line {line_no}", f"'{head.strip()[:60]}' is neither a cue nor a NOTE; the file may be cut short")
            meta = None
            continue
        try:
            start, end, _settings = parse_timing(lines[timing_at])
        except ValidationError as exc:  # one bad cue: report it and read the others
            problems.add(f"line {where}", exc)
            meta = None
            continue
        body = "\n".join(lines[timing_at + 1:])
        cue_text = html.unescape(_TAG.sub("", body))
        if meta is not None and meta.get("id") not in (None, cue_id) and cue_id:
            meta = None  # a note that belongs to another cue
        reader.add(where, start, end, cue_text, cue_id, meta)
        meta = None
    problems.raise_if_any()
    return reader.events
