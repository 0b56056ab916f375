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
from datetime import datetime
from itertools import repeat
from operator import is_
from typing import Any, Callable, Iterable, Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute  # noqa: F401 - pa.compute

from ..errors import ValidationError
from ..model import Codebook, Event, Kind, Recording, drop_control
from ..timebase import seconds_from_ms_array
from .captions import (
    DEFAULT_POINT_CUE_S,
    SEP,
    Clock,
    CUE_FIELDS,
    CueReader,
    CueTexts,
    cue_id_or_blank,
    cue_label_lines,
    line_place,
    parse_timing,
    split_blocks,
)
from . import columns as colwise
from .ordering import ms_from_seconds, ms_of, sorted_fields
from .vtt_notes import META_KEYS, META_PREFIX, Cues, plain_cues
from .common import Importer, Problems, as_recordings, decode_text, iso_utc, json_value, recording_name

NAME = "vtt"
TITLE = "WebVTT captions (browsers, VLC)"
SUFFIXES = (".vtt",)
MEDIA_TYPE = "text/vtt"

DEFAULT_SETTINGS = "line:8% align:center"


def dumps(
    events: Iterable[Event],
    recordings: Mapping[int, Recording] | Iterable[Recording] | None = None,
    *,
    codebook: Codebook | None = None,
    point_cue_s: float = DEFAULT_POINT_CUE_S,
    settings: str = DEFAULT_SETTINGS,
    metadata: bool = True,
) -> bytes:
    """Return a WebVTT file (UTF-8) with one cue per event, ordered by start time.

    ``point_cue_s`` is how long a point event's cue shows; ``settings`` the cue
    settings after each timing; ``metadata=False`` leaves out the per-cue
    ``NOTE cx-annotate`` lines (then only kind, times and label round-trip).
    """
    with colwise.no_gc():  # nothing made here is garbage: the collector would walk it all again and again
        events = events if isinstance(events, list) else list(events)
        recs = as_recordings(recordings)
        field = sorted_fields(events)
        out = ["WEBVTT - cx-annotate events", ""]
        out += ["NOTE", *_header_lines(field("recording_id"), recs, point_cue_s), ""]
        out += ["STYLE", *(f"::cue(.{k.short.lower()}) {{ color: {k.color}; font-weight: bold; }}" for k in Kind), ""]
        if not events:
            return "\n".join(out).encode("utf-8")
        lines = _cues(field, point_cue_s, settings, metadata)
        # the header, then the cues without the last line break
        offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[lines.offset : lines.offset + len(lines) + 1]
        return b"".join([("\n".join(out) + "\n").encode("utf-8"),
                         memoryview(lines.buffers()[2])[offsets[0] : offsets[-1] - 1]])


def _cues(field: Callable[[str], list[Any]], point_cue_s: float, settings: str, metadata: bool) -> Any:
    """Return the cues ``dumps`` writes as Arrow text, a cue and a blank line a row, made a field at a time.

    ``field`` is the sorted events' ``colwise.fields_of`` getter. Raises
    ValueError for a kind that is not a kind name, UnicodeEncodeError for text
    that is not UTF-8 (a lone surrogate).
    """
    kinds = [k if isinstance(k, Kind) else Kind(str(k)) for k in field("kind")]
    starts, ends, labels, ids = field("start_s"), field("end_s"), field("label"), field("id")
    start = ms_of(starts)
    point = np.fromiter(map(is_, ends, repeat(None)), dtype=bool, count=len(ends))
    present = ms_of([e for e in ends if e is not None])
    end = start + max(1, ms_from_seconds(point_cue_s))
    end[~point] = np.maximum(present, start[~point] + 1)
    id_cells = colwise.text_array(ids if colwise.only_type(ids, str) else [f"{i}" for i in ids])
    if colwise.only_type(labels, str):
        kind_at = {kind: n for n, kind in enumerate(Kind)}
        texts = _cue_texts([kind_at[k] for k in kinds], colwise.text_array(labels))
    else:
        made = CueTexts(_cue_text)
        texts = colwise.text_array([made[k, label] for k, label in zip(kinds, labels)])
    cells = [id_cells, "\n", _timecodes(start), " --> ", _timecodes(end), (" " + settings).rstrip() + "\n", texts,
             "\n\n"]
    if metadata:
        values = _meta_cells(field, kinds, starts, ends, start, present, point)
        parts: list[Any] = [META_PREFIX + "{"]
        for n, key in enumerate(META_KEYS):
            parts += [("" if n == 0 else ", ") + f'"{key}": ', values[key]]
        cells = [*parts, "}\n\n", *cells]
    return pa.compute.binary_join_element_wise(*cells, "")


def _timecodes(ms: np.ndarray) -> Any:
    """Return each time as the cue timing writes it (``HH:MM:SS.mmm``), an Arrow array."""
    if not ms.size or ms.min() >= 0:
        return colwise.timecode_text(ms)
    clock = Clock(".")
    return colwise.text_array([clock[m] for m in ms.tolist()])


def _cue_texts(kinds: list[int], labels: Any) -> Any:
    """Return the cue text of each event (kind as its index in Kind, label an Arrow array), each pair made once."""
    encoded = pa.compute.dictionary_encode(labels)
    texts = encoded.dictionary.to_pylist()
    pairs = np.asarray(kinds, dtype=np.int64) * len(texts) + encoded.indices.to_numpy()
    distinct, which = np.unique(pairs, return_inverse=True)
    all_kinds = list(Kind)
    made = [_cue_text(all_kinds[p // len(texts)], texts[p % len(texts)]) for p in distinct.tolist()]
    return pa.array(made, type=pa.string()).take(which.reshape(-1))


def _meta_cells(field: Callable[[str], list[Any]], kinds: list[Kind], starts: list[Any], ends: list[Any],
                start_ms: np.ndarray, end_ms: np.ndarray, point: np.ndarray) -> dict[str, Any]:
    """Return each ``NOTE cx-annotate`` value as json.dumps writes it (an Arrow array a key).

    ``end_ms`` holds the ms of the events that have an end (``point`` False).
    A column the quick writers below do not take (values of other types) is
    written value by value by json.dumps.
    """
    cells: dict[str, Any] = {"kind": _json_cells([k.value for k in kinds])}
    for key in ("id", "label", "stage", "channel", "actor", "expectation", "note", "reviewer"):
        cells[key] = _json_cells(field(key))
    emotions = field("emotion")
    if colwise.only_type(emotions, int, type(None)) and all(-2**63 <= e < 2**63 for e in set(emotions) - {None}):
        cells["emotion"] = pa.compute.fill_null(pa.array(emotions, type=pa.int64()).cast(pa.string()), "null")
    cells["start_s"] = _float_cells(starts, start_ms)
    ends_text = _float_cells([e for e in ends if e is not None], end_ms)
    if point.all():
        ends_text = pa.array(["null"] * len(point), type=pa.string())
    elif ends_text is not None and point.any():
        where = np.cumsum(~point) - 1  # the row in ends_text of each event with an end
        ends_text = pa.compute.if_else(pa.array(point), "null", ends_text.take(np.maximum(where, 0)))
    cells["end_s"] = ends_text
    for key in ("created_at", "updated_at"):
        cells[key] = _date_cells(field(key))
    for key in META_KEYS:
        if cells.get(key) is None:
            special = {"kind": [k.value for k in kinds], "start_s": starts, "end_s": ends}
            values = special[key] if key in special else field(key)
            if key in ("created_at", "updated_at"):
                values = [iso_utc(v) or None for v in values]
            cells[key] = colwise.text_array([json.dumps(v, ensure_ascii=False).replace(">", "\\u003e") for v in values])
    return cells


def _json_cells(values: list[Any]) -> Any:
    """Return str values as JSON strings with '>' escaped (as in the notes), an Arrow array; None for other values."""
    if set(map(type, values)) - {str}:
        return None
    try:
        array = pa.array(values, type=pa.string())
    except (pa.ArrowException, UnicodeEncodeError):
        return None
    if not pa.compute.any(pa.compute.match_substring_regex(array, r'["\\>\x00-\x1f]')).as_py():  # nothing to escape
        return pa.compute.binary_join_element_wise('"', array, '"', "")
    encoded = pa.compute.dictionary_encode(array)
    made = [_json_string(v).replace(">", "\\u003e") for v in encoded.dictionary.to_pylist()]
    return pa.array(made, type=pa.string()).take(encoded.indices)


def _float_cells(values: list[Any], ms: np.ndarray) -> Any:
    """Return floats as repr writes them, given their ms; None unless each is its ms in seconds (not -0.0) below 1e12.

    Then repr gives the ms as seconds with the decimals' trailing zeros dropped (one kept):
    no decimal with fewer digits lies within the float's rounding distance.
    """
    if not colwise.only_type(values, float):
        return None
    seconds = np.asarray(values, dtype=np.float64)
    if seconds.size and not ((seconds_from_ms_array(ms) == seconds).all() and ms.max() < 10**15 and not np.signbit(seconds).any()):
        return None
    return pa.compute.replace_substring_regex(colwise.seconds_text(ms), "0{1,2}$", "")


def _date_cells(values: list[Any]) -> Any:
    """Return dates as the notes write them (ISO 8601 UTC text in quotes, or null), an Arrow array; None if unusual."""
    if None not in values:
        iso = colwise.iso_text(values)
        if iso is not None:
            return pa.compute.binary_join_element_wise('"', iso, '"', "")
    if set(map(type, values)) - {datetime, type(None)}:
        return None  # iso_utc decides what to do with it, event by event
    texts = [iso_utc(v) or None for v in values]
    return pa.array(["null" if t is None else _json_string(t).replace(">", "\\u003e") for t in texts], type=pa.string())


_json_string = json.encoder.encode_basestring  # what json.dumps(..., ensure_ascii=False) writes for a str


def _cue_text(kind: Kind, label: str) -> str:
    lines = [html.escape(line, quote=False) for line in cue_label_lines(label)]
    first = f"<c.{kind.short.lower()}>{kind.short}</c>" + (SEP + lines[0] if lines else "")
    return "\n".join([first, *lines[1:]])


def _header_lines(recording_ids: list[Any], recs: dict, point_cue_s: float) -> list[str]:
    """Return the header NOTE's lines for events of these recordings (one id per event, in order)."""
    ids = list(dict.fromkeys(recording_ids)) or list(recs)
    lines = []
    for rid in ids:
        rec = recs.get(rid)
        name = _one_line(recording_name(rec)) or "(unknown)"
        path = _one_line(rec.path) if rec is not None and rec.path else ""
        path = f" ({path})" if path and path != name else ""
        lines.append(f"Recording: {name}{path}, id {rid}")
    lines.append(f"{len(recording_ids)} events. " + ", ".join(f"{k.short} = {k.title}" for k in Kind) + ".")
    lines.append(f"Point events are shown for {point_cue_s:g} s. Written by cx-annotate.")
    return [line.replace("-->", "->") for line in lines]


def _one_line(text: str) -> str:
    """Return ``text`` fit for one line of the header NOTE: no control characters, line breaks as spaces."""
    text = drop_control(text)
    return text.replace("\r\n", " ").replace("\r", " ").replace("\n", " ") if "\n" in text or "\r" in text else text


_TAG = re.compile(r"<[^>]*>")


def loads(data: bytes | str, *, recording: Recording, mapping: Mapping[str, Any] | Iterable[str] | None = None,
          codebook: Codebook | None = None, source: str = "events.vtt",
          point_cue_s: float | None = DEFAULT_POINT_CUE_S) -> list[Event]:
    """Return the validated events of a WebVTT file's cues (see the module docstring for how).

    Raises FormatError listing every bad cue by line number.
    """
    problems = Problems(source)
    text = decode_text(data, problems)
    with colwise.no_gc():
        reader = CueReader(recording, problems, mapping, codebook, point_cue_s)
        values, bad, wheres, raw_ids, left_out = plain_cues(text, reader, data) or _read_blocks(text, problems, reader)
        sink = Importer(recording, problems, line_place)
        sink.add_values(values, bad, wheres, raw_ids, left_out)
    problems.raise_if_any()
    return sink.events


def _read_blocks(text: str, problems: Problems, reader: CueReader) -> Cues:
    """Return the cues of any WebVTT text, a block at a time, each with its NOTE's fields when one comes before it.

    A block that is neither a cue nor a NOTE, STYLE or REGION, and a cue that
    cannot be read, is dropped with its problem. Raises (through ``problems``)
    a FormatError for a text that does not start with ``WEBVTT``.
    """
    blocks = split_blocks(text)
    if not blocks or not re.match(r"WEBVTT(?:[ \t].*)?$", blocks[0][1][0]):
        problems.fail("line 1", "does not start with WEBVTT: this is not a WebVTT file")
    rows: list[tuple[Any, ...]] = []
    wheres: list[int] = []
    raw_ids: list[str] = []
    left_out: dict[int, Any] = {}
    meta: dict | None = None
    for line_no, lines in blocks[1:]:
        head = lines[0]
        if head.startswith(META_PREFIX):
            try:
                meta = json_value(head[len(META_PREFIX):])
                if not isinstance(meta, dict):
                    raise ValueError("not an object")
            except ValueError as exc:
                left_out[line_no] = f"the cx-annotate NOTE is not valid JSON ({exc}); the file may be cut short"
                meta = None
            continue
        if head.split(None, 1)[0] in ("NOTE", "STYLE", "REGION"):
            continue
        cue_id, timing_at = ("", 0) if "-->" in head else (head.strip(), 1)
        where = line_no + timing_at
        try:
            if timing_at >= len(lines):
                where = line_no
                raise ValidationError(f"'{head.strip()[:60]}' is neither a cue nor a NOTE; the file may be cut short")
            start, end, _settings = parse_timing(lines[timing_at])
            if meta is not None and meta.get("id") not in (None, cue_id) and cue_id:
                meta = None  # a note that belongs to another cue
            body = html.unescape(_TAG.sub("", "\n".join(lines[timing_at + 1:])))
            rows.append(reader.cue_row(start, end, body, meta))
        except ValidationError as exc:  # one bad cue: report it and read the others
            left_out[where] = exc
            meta = None
            continue
        wheres.append(where)
        raw_ids.append(cue_id_or_blank(cue_id) if meta is None else str(meta.get("id") or cue_id or ""))
        meta = None
    values = {name: list(column) for name, column in zip(CUE_FIELDS, list(zip(*rows)) or [()] * len(CUE_FIELDS))}
    return values, {}, wheres, raw_ids, left_out
