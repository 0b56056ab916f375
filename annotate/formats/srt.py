"""SRT (SubRip) captions: one numbered cue per event, cue text ``"MOT · label"``.

SRT carries only times and text, so kind, start, end and label round-trip;
a point event's cue lasts ``point_cue_s`` (default 2 s) and a cue of exactly
that length is read back as a point event. Line breaks inside a label become
cue lines (blank lines are dropped: they would end the cue); ``-->`` inside a
label is written ``--＞`` (full-width) so that it cannot pass for a timing line.
Import accepts CRLF or LF line ends and a BOM; ids are derived from each cue's
content, so importing the same file again adds nothing.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

import numpy as np

from ..errors import ValidationError
from ..model import Codebook, Event, Kind, Recording
from .ordering import ms_from_seconds, seconds_of
from .captions import (
    DEFAULT_POINT_CUE_S,
    SEP,
    Clock,
    CueReader,
    CueTexts,
    cue_label_lines,
    has_blankish_lines,
    parse_timing,
    split_blocks,
    stamps_ms,
)
from . import columns as colwise
from .common import Importer, Problems, decode_text, sort_events

NAME = "srt"
TITLE = "SRT subtitles (video players)"
SUFFIXES = (".srt",)
MEDIA_TYPE = "application/x-subrip"

_ARROW, _SAFE_ARROW = "-->", "--\uff1e"


def dumps(
    events: Iterable[Event],
    recordings: Mapping[int, Recording] | Iterable[Recording] | None = None,
    *,
    codebook: Codebook | None = None,
    point_cue_s: float = DEFAULT_POINT_CUE_S,
) -> bytes:
    """Return an SRT file (UTF-8, CRLF line ends) with one cue per event, ordered by start time."""
    clock = Clock(",")
    texts = CueTexts(_cue_text)
    point_ms = max(1, ms_from_seconds(point_cue_s))
    out: list[str] = []
    for n, ev in enumerate(sort_events(list(events)), 1):
        kind = ev.kind if isinstance(ev.kind, Kind) else Kind(str(ev.kind))
        start = ms_from_seconds(ev.start_s)
        end = start + point_ms if ev.end_s is None else max(ms_from_seconds(ev.end_s), start + 1)
        out.append(f"{n}\r\n{clock[start]} --> {clock[end]}\r\n{texts[kind, ev.label]}\r\n")
    return "\r\n".join(out).encode("utf-8")


def _cue_text(kind: Kind, label: str) -> str:
    lines = [line.replace(_ARROW, _SAFE_ARROW) for line in cue_label_lines(label)]
    return "\r\n".join([kind.short + (SEP + lines[0] if lines else ""), *lines[1:]])


def loads(data: bytes | str, *, recording: Recording, mapping: Mapping[str, Any] | Iterable[str] | None = None,
          codebook: Codebook | None = None, source: str = "events.srt",
          point_cue_s: float | None = DEFAULT_POINT_CUE_S) -> list[Event]:
    """Return the validated events of an SRT file's cues; raises FormatError listing every bad cue."""
    problems = Problems(source)
    text = decode_text(data, problems)
    if len(text) > 4096 and colwise.ENABLED:
        with colwise.no_gc():
            fast = _loads_columns(text, recording, mapping, codebook, source, point_cue_s)
        if fast is not None:
            return fast
    blocks = split_blocks(text)
    if not blocks:
        problems.fail(None, "is empty; an SRT file holds numbered cues")
    reader = CueReader(recording, problems, mapping, codebook, point_cue_s)
    for line_no, lines in blocks:
        at = 1 if lines[0].strip().isdigit() else 0
        where = line_no + at
        if at >= len(lines) or "-->" not in lines[at]:
            problems.add(f"line {line_no}", f"'{lines[0].strip()[:60]}' is not a cue (number, then "
                                            "'00:00:01,000 --> 00:00:03,000', then text); the file may be cut short")
            continue
        try:
            start, end, _settings = parse_timing(lines[at])
        except ValidationError as exc:
            problems.add(f"line {where}", exc)
            continue
        body = "\n".join(lines[at + 1:]).replace(_SAFE_ARROW, _ARROW)
        reader.add(where, start, end, body)
    reader.sink.finish()
    problems.raise_if_any()
    return reader.events


_STAMP = r"([0-9]{2}:[0-5][0-9]:[0-5][0-9],[0-9]{3})"
_CUES = re.compile(rf"([0-9]+)\n{_STAMP} --> {_STAMP}\n(\S[^\n]*(?:\n[^\n]*\S[^\n]*)*)")
def _loads_columns(text: str, recording: Recording,
                   mapping: Mapping[str, Any] | Iterable[str] | None, codebook: Codebook | None, source: str,
                   point_cue_s: float | None) -> list[Event] | None:
    """Return what ``loads`` returns for a valid file of plain numbered cues, read a cue field at a time.

    Handles a file laid out as this tool writes it (one blank line between
    cues, timings ``00:00:01,000 --> 00:00:03,000``, every cue valid); returns
    None for anything else, which the cue-by-cue path reads or rejects.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text[:1].isdigit() or has_blankish_lines(text):
        return None
    cues = _CUES.findall(text)
    count = len(cues)
    if not count:
        return None
    numbers, starts, ends, bodies = zip(*cues)
    # Every cue match ends at a blank line or the end (no line in a block is blank-ish), so the matches cover
    # the whole text, one after another with one blank line between, exactly when their lengths add up.
    covered = sum(map(len, numbers)) + sum(map(len, bodies)) + count * (1 + 12 + 5 + 12 + 1) + 2 * (count - 1)
    if covered + text.endswith("\n") != len(text):
        return None
    start, end = stamps_ms(starts), stamps_ms(ends)
    if (end < start).any():
        return None
    reader = CueReader(recording, Problems(source), mapping, codebook, point_cue_s)
    try:
        found = {body: reader.kind_and_label(body.replace(_SAFE_ARROW, _ARROW)) for body in set(bodies)}
    except ValidationError:
        return None
    kinds_labels = list(map(found.__getitem__, bodies))
    point = np.zeros(count, dtype=bool) if reader.point_ms is None else (end - start) == reader.point_ms
    ends = seconds_of(end)
    if point.any():
        for i in np.flatnonzero(point).tolist():
            ends[i] = None
    columns = {"kind": [k for k, _ in kinds_labels], "start_s": seconds_of(start), "end_s": ends,
               "label": [label for _, label in kinds_labels]}
    sink = Importer(recording, Problems(source))
    return sink.events if sink.add_columns(columns, range(count)) else None
