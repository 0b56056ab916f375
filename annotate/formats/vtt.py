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
from itertools import repeat
import re
from typing import Any, Iterable, Mapping

import numpy as np

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
from . import columns as colwise
from .eventlog import entry_order
from .common import Importer, KindResolver, Problems, as_recordings, decode_text, iso_utc, json_value, recording_name, sort_events

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
    with colwise.no_gc():
        body = _cues_columns(events, point_cue_s, settings, metadata)
    if body is not None:
        return ("\n".join(out) + "\n").encode("utf-8") + body[:-1]
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


_META_KEYS = ("id", "kind", "start_s", "end_s", "label", "stage", "channel", "actor", "expectation", "emotion", "note",
              "reviewer", "created_at", "updated_at")


def _cues_columns(events: list[Event], point_cue_s: float, settings: str, metadata: bool) -> bytes | None:
    """Return the cues ``dumps`` writes (each followed by a newline), made a field at a time; None to go cue by cue.

    Handles Kind kinds, float times rounded to ms, ISO dates at UTC offsets in
    whole ms (or none), text fields and int emotions, as validated events have.
    """
    pa = colwise.arrow()
    if pa is None or len(events) < colwise.MIN_EVENTS:
        return None
    field = colwise.fields_of(events)
    entries = entry_order(events, field)  # checks the kinds and times
    if entries is None:
        return None
    _, _, _, start, end, point = entries
    kinds, labels, ids = field("kind"), field("label"), field("id")
    if set(map(type, labels)) - {str} or set(map(type, ids)) - {str}:
        return None
    point_ms = max(1, int(round(point_cue_s * 1000)))
    end = np.where(point, start + point_ms, np.maximum(end, start + 1))
    texts = CueTexts(_cue_text)
    tail = (" " + settings).rstrip()
    cells = [
        colwise.text_array(ids), "\n", colwise.timecode_text(start), " --> ", colwise.timecode_text(end), tail + "\n",
        colwise.text_array(list(map(texts.__getitem__, zip(kinds, labels)))), "\n",
    ]
    if metadata:
        columns = {name: field(name) for name in _META_KEYS}
        if set(map(type, columns["emotion"])) - {int, type(None)}:
            return None
        for name in ("created_at", "updated_at"):
            values = columns[name]
            if None in values:
                columns[name] = [iso_utc(v) or None for v in values]
                continue
            iso = colwise.iso_text(values)
            if iso is None:
                return None
            columns[name] = iso.to_pylist()
        columns["kind"] = [k.value for k in kinds]
        # Each value as json.dumps writes it inside the object: text through json's own string encoder,
        # floats by repr, ints and null; then the object's parts joined in json's order and spacing.
        if any(set(map(type, columns[k])) - {str} for k in _META_TEXT_KEYS):
            return None
        for key in _META_KEYS:
            values = columns[key]
            if key in _META_TEXT_KEYS:
                values = list(map(_json_string, values))
            elif key in ("created_at", "updated_at"):  # ISO text or None
                values = ["null" if v is None else _json_string(v) for v in values]
            else:
                values = ["null" if v is None else repr(v) for v in values] if None in values else list(map(repr, values))
            array = colwise.text_array(values)
            columns[key] = pa.compute.replace_substring(array, ">", "\\u003e") if key in _META_TEXT_KEYS else array
        parts: list[Any] = [_META_PREFIX + "{"]
        for n, key in enumerate(_META_KEYS):
            parts += [("" if n == 0 else ", ") + f'"{key}": ', columns[key]]
        cells = [*parts, "}\n\n", *cells]
    return colwise.join_lines(cells, "", "\n")


_META_TEXT_KEYS = frozenset({"id", "kind", "label", "stage", "channel", "actor", "expectation", "note", "reviewer"})
_json_string = json.encoder.encode_basestring  # what json.dumps(..., ensure_ascii=False) writes for a str


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
    if len(text) > 4096 and colwise.ENABLED:
        with colwise.no_gc():
            fast = _loads_columns(text, recording, mapping, codebook, source, point_cue_s)
        if fast is not None:
            return fast
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
    reader.sink.finish()
    problems.raise_if_any()
    return reader.events


_STAMP = r"([0-9]{2}:[0-5][0-9]:[0-5][0-9]\.[0-9]{3})"
_CUES = re.compile(rf"{_META_PREFIX}(\{{[^\n]*\}})\n\n([0-9a-f]{{32}})\n{_STAMP} --> {_STAMP}( [^\n]*)?\n"
                   r"(\S[^\n]*(?:\n[^\n]*\S[^\n]*)*)")
_BLANKISH_LINE = re.compile(r"\n[^\S\n]+(?:\n|$)")  # a literal first: the scan for it is quick
_BLANKISH_FIRST = re.compile(r"[^\S\n]+(?:\n|$)")


def _blankish(text: str) -> bool:
    """Return True when ``text`` has two blank lines in a row or a line of nothing but whitespace."""
    return ("\n\n\n" in text or _BLANKISH_FIRST.match(text) is not None
            or _BLANKISH_LINE.search(text) is not None)
_scan_json = json.JSONDecoder().scan_once


def _loads_columns(text: str, recording: Recording, mapping: Any, codebook: Any, source: str,
                   point_cue_s: float | None) -> list[Event] | None:
    """Return what ``loads`` returns for a valid file laid out as this tool writes it, read a field at a time.

    Handles the header, NOTE and STYLE blocks and then cues each after its
    ``NOTE cx-annotate`` line (same id, timing as the note says, every event
    valid); returns None for anything else, which the cue-by-cue path reads or rejects.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _blankish(text):
        return None
    at = text.find("\n\n" + _META_PREFIX)
    if at < 0:
        return None
    head = text[:at].split("\n\n")
    if not re.match(r"WEBVTT(?:[ \t].*)?$", head[0].split("\n", 1)[0]):
        return None
    if any(block.split(None, 1)[0] not in ("NOTE", "STYLE", "REGION") for block in head[1:]):
        return None
    rest = text[at + 2 :]
    cues = _CUES.findall(rest)
    count = len(cues)
    if count < colwise.MIN_EVENTS:
        return None
    metas, ids, starts, ends, settings, bodies = zip(*cues)
    fixed = len(_META_PREFIX) + 2 + 33 + 12 + 5 + 12 + 1
    covered = sum(map(len, metas)) + sum(map(len, settings)) + sum(map(len, bodies)) + count * fixed + 2 * (count - 1)
    if covered + rest.endswith("\n") != len(rest):
        return None
    try:
        scanned = list(map(_scan_json, metas, repeat(0, count)))
    except (StopIteration, ValueError):
        return None
    items = [item for item, _ in scanned]
    if list(map(len, metas)) != [end for _, end in scanned] or set(map(type, items)) != {dict}:
        return None
    if [item.get("id") for item in items] != list(ids):
        return None  # a note of another cue, or none: cue by cue
    columns = _meta_columns(items, KindResolver(mapping))
    if columns is None:
        return None
    start_ms = np.array([int(round(s * 1000)) for s in columns["start_s"]], dtype=np.int64)
    end_meta = [None if e is None else int(round(e * 1000)) for e in columns["end_s"]]
    point_ms = None if point_cue_s is None else int(round(point_cue_s * 1000))
    point = np.array([e is None for e in end_meta])
    if point.any() and point_ms is None:
        return None
    expected = np.where(point, start_ms + (point_ms or 0),
                        np.maximum(np.array([0 if e is None else e for e in end_meta], dtype=np.int64), start_ms + 1))
    from .srt import _stamps_ms  # the same fixed-width stamps, with '.' where SRT has ','

    if not ((_stamps_ms(starts) == start_ms).all() and (_stamps_ms(ends) == expected).all()):
        return None  # a subtitle editor moved a cue: its timing wins, cue by cue
    sink = Importer(recording, Problems(source))
    return sink.events if sink.add_columns(columns, range(count), list(ids)) else None


def _meta_columns(items: list[dict], kinds: KindResolver) -> dict[str, list[Any]] | None:
    """Return the event fields of ``NOTE cx-annotate`` objects as columns, or None unless plainly valid."""
    count = len(items)

    def column(key: str, default: Any = None) -> list[Any]:
        return list(map(dict.get, items, repeat(key, count), repeat(default, count)))

    starts, ends = column("start_s"), column("end_s")
    if set(map(type, starts)) != {float} or set(map(type, ends)) - {float, type(None)}:
        return None
    names = column("kind", "")
    if set(map(type, names)) != {str}:
        return None
    try:
        found = {name: kinds(name) for name in set(names)}
    except ValidationError:
        return None
    columns = {"kind": list(map(found.__getitem__, names)), "start_s": starts, "end_s": ends}
    for key in ("label", "stage", "channel", "actor", "expectation", "note", "reviewer"):
        columns[key] = column(key)
    columns["emotion"] = column("emotion")
    for key in ("created_at", "updated_at"):
        cells = column(key)
        if set(map(type, cells)) - {str, type(None)}:
            return None
        dates = colwise.iso_column(["" if c is None else c for c in cells])
        if dates is None:
            return None
        columns[key] = dates
    return columns
