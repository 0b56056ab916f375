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
from itertools import repeat
from typing import Any, Iterable, Mapping

import numpy as np

from ..errors import ValidationError
from ..model import Codebook, Event, Kind, Recording
from .ordering import ms_from_seconds
from .captions import (
    DEFAULT_POINT_CUE_S,
    SEP,
    Clock,
    CueReader,
    CueTexts,
    cue_label_lines,
    line_place,
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
    text = decode_text(data, problems).replace("\r\n", "\n").replace("\r", "\n")
    with colwise.no_gc():
        wheres, starts, ends, bodies, left_out = _plain_cues(text) or _cues(text, problems)
        reader = CueReader(recording, problems, mapping, codebook, point_cue_s)
        values, bad = reader.cue_values(starts, ends, [body.replace(_SAFE_ARROW, _ARROW) for body in bodies])
        sink = Importer(recording, problems, line_place)
        sink.add_values(values, bad, wheres, left_out=left_out)
    problems.raise_if_any()
    return sink.events


_Cues = tuple[list[int], Any, Any, list[str], dict[int, Any]]  # timing lines, start ms, end ms, texts, dropped blocks


def _cues(text: str, problems: Problems) -> _Cues:
    """Return the cues of any SRT text, a block at a time; a block that is not a cue is dropped with its problem.

    Raises (through ``problems``) a FormatError for a file without blocks.
    """
    blocks = split_blocks(text)
    if not blocks:
        problems.fail(None, "is empty; an SRT file holds numbered cues")
    wheres: list[int] = []
    starts: list[int] = []
    ends: list[int] = []
    bodies: list[str] = []
    left_out: dict[int, Any] = {}
    for line_no, lines in blocks:
        at = 1 if lines[0].strip().isdigit() else 0
        where = line_no + at
        if at >= len(lines) or "-->" not in lines[at]:
            left_out[line_no] = (f"'{lines[0].strip()[:60]}' is not a cue (number, then "
                                 "'00:00:01,000 --> 00:00:03,000', then text); the file may be cut short")
            continue
        try:
            start, end, _settings = parse_timing(lines[at])
        except ValidationError as exc:
            left_out[where] = exc
            continue
        wheres.append(where)
        starts.append(start)
        ends.append(end)
        bodies.append("\n".join(lines[at + 1:]))
    return wheres, starts, ends, bodies, left_out


_STAMP = r"([0-9]{2}:[0-5][0-9]:[0-5][0-9],[0-9]{3})"
_CUES = re.compile(rf"([0-9]+)\n{_STAMP} --> {_STAMP}\n(\S[^\n]*(?:\n[^\n]*\S[^\n]*)*)")


def _plain_cues(text: str) -> _Cues | None:
    """Return the cues of a text laid out as this tool writes SRT, read a cue field at a time; else None.

    That layout is: numbered cues one blank line apart, timings
    ``00:00:01,000 --> 00:00:03,000`` that do not run backwards, text lines
    that are not blank. :func:`_cues` reads anything else, giving the same cues.
    """
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
    # A cue takes its number, timing and text lines and one blank line; messages name its timing line.
    heights = np.fromiter(map(str.count, bodies, repeat("\n", count)), dtype=np.int64, count=count) + 4
    wheres = (np.cumsum(heights) - heights + 2).tolist()
    return wheres, start, end, list(bodies), {}
