"""Captions shared by WebVTT and SRT: one cue per event, cue text ``"MOT · label"``.

A point event gets a cue of ``point_cue_s`` seconds (default 2 s) so that a
player shows it; on import a cue of exactly that length is read back as a point
event when the file does not say otherwise (the WebVTT export says so in a
``NOTE cx-annotate {...}`` block before each cue, which players ignore and which
makes the WebVTT round trip lossless). The kind of an imported cue comes from
the text before the separator (MOT, INT, DEC, or any kind name), else from the
``mapping`` (cue text or label -> kind), else from the codebook's labels.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from ..errors import ValidationError
from ..model import Codebook, Event, Kind, Recording
from ..timebase import clock_ms, seconds_and_ms, seconds_from_ms
from .ordering import ms_from_seconds, seconds_of
from .common import (
    KindResolver,
    Problems,
    label_kinds,
    ms_timecode,
    norm_key,
    parse_iso,
    to_ms,
)

SEP = " · "
DEFAULT_POINT_CUE_S = 2.0
_SPLIT = re.compile(r"^\s*(.+?)\s*(?:·|:|\||–|—| - )\s*(.*)$", re.S)


def cue_label_lines(label: str) -> list[str]:
    """Return ``label`` as cue lines: no blank lines (they would end the cue)."""
    return [line for line in label.replace("\r\n", "\n").replace("\r", "\n").split("\n") if line.strip()]


def cue_end_ms(event: Event, point_cue_s: float) -> int:
    """Return the cue end of ``event`` in ms: its end, or start + the point cue length."""
    start = to_ms(event.start_s)
    if event.end_s is None:
        return start + max(1, ms_from_seconds(point_cue_s))
    return max(to_ms(event.end_s), start + 1)  # a cue must end after it starts


def timing(start_ms: int, end_ms: int, sep: str) -> str:
    """Return ``"00:00:01.000 --> 00:00:03.000"`` (``sep=","`` for SRT)."""
    return f"{ms_timecode(start_ms, sep)} --> {ms_timecode(end_ms, sep)}"


class Clock(dict):
    """``clock[ms]``: the cue timestamp ``HH:MM:SS.mmm`` (``sep=","``: SRT) of ``ms``, as :func:`ms_timecode`.

    The ``HH:MM:SS`` of each whole second is worked out once per file.
    """

    def __init__(self, sep: str):
        super().__init__()
        self.sep = sep
        self._seconds: dict[int, str] = {}

    def __missing__(self, ms: int) -> str:
        sec, frac = seconds_and_ms(ms)
        hms = self._seconds.get(sec)
        if hms is None:
            h, rem = divmod(sec, 3600)
            hms = self._seconds[sec] = f"{h:02d}:{rem // 60:02d}:{rem % 60:02d}"
        return f"{hms}{self.sep}{frac:03d}"


_TS = re.compile(r"^(?:(\d+):)?([0-5]?\d):([0-5]\d)[.,](\d{1,3})$")


def parse_timestamp(text: str) -> int:
    """Return milliseconds for a cue timestamp ``hh:mm:ss.ttt`` / ``mm:ss.ttt`` (comma allowed).

    Raises ValidationError for anything else, naming negative times as such.
    """
    text = text.strip()
    match = _TS.match(text)
    if not match:
        if text.startswith("-"):
            raise ValidationError(f"time {text} is negative; times count from the first frame at 0")
        raise ValidationError(f"'{text}' is not a cue time such as 00:01:02.500")
    h, m, s, frac = match.groups()
    return clock_ms(int(h or 0), int(m), int(s), int(frac.ljust(3, "0")))


class CueTexts(dict):
    """``texts[kind, label]``: the cue text ``write(kind, label)``, worked out once per kind and label."""

    def __init__(self, write: Callable[[Kind, str], str]):
        super().__init__()
        self.write = write

    def __missing__(self, key: tuple[Kind, str]) -> str:
        text = self.write(*key)
        if len(key[1]) <= 80:  # labels repeat; long free texts are not kept
            self[key] = text
        return text


_STAMP = r"(?:(\d+):)?([0-5]?\d):([0-5]\d)[.,](\d{1,3})"
# A well-formed timing line in one match; anything else takes the step-by-step path for its message.
_TIMING = re.compile(rf"\s*{_STAMP}\s*-->\s*{_STAMP}(?:\s+(.*))?", re.S)


def parse_timing(line: str) -> tuple[int, int, str]:
    """Return (start ms, end ms, cue settings) of a timing line; raises ValidationError."""
    match = _TIMING.fullmatch(line)
    if match is not None:
        h1, m1, s1, f1, h2, m2, s2, f2, settings = match.groups()
        start = clock_ms(int(h1 or 0), int(m1), int(s1), int(f1.ljust(3, "0")))
        end = clock_ms(int(h2 or 0), int(m2), int(s2), int(f2.ljust(3, "0")))
        if end >= start:
            return start, end, settings or ""
    left, arrow, right = line.partition("-->")
    if not arrow:
        raise ValidationError(f"'{line.strip()}' is not a cue timing ('start --> end')")
    parts = right.split(None, 1)
    if not parts:
        raise ValidationError(f"'{line.strip()}' has no end time; the file may be cut short")
    start, end = parse_timestamp(left), parse_timestamp(parts[0])
    if end < start:
        raise ValidationError(
            f"cue ends ({ms_timecode(end)}) before it starts ({ms_timecode(start)}); times are out of order"
        )
    return start, end, parts[1] if len(parts) > 1 else ""


class CueReader:
    """Turn parsed cues into Event field values (:meth:`cue_values`, :meth:`cue_row`) for one recording.

    The caller hands the values to an ``Importer``, which validates them and gives the ids.
    """

    def __init__(
        self,
        recording: Recording,
        problems: Problems,
        mapping: Mapping[str, Any] | Iterable[str] | None,
        codebook: Codebook | None,
        point_cue_s: float | None,
    ):
        self.recording = recording
        self.problems = problems
        self.kinds = KindResolver(mapping)
        self.labels = label_kinds(codebook)
        self.point_ms = None if point_cue_s is None else ms_from_seconds(point_cue_s)
        self._cue_texts: dict[str, tuple[Kind, str]] = {}
        self._kind_names: dict[str, Kind] = {}

    def kind_and_label(self, text: str) -> tuple[Kind, str]:
        """Return the kind and label a cue text gives; raises ValidationError if it names no kind."""
        known = self._cue_texts.get(text)  # cue texts repeat: each is worked out once
        if known is None:
            known = self._cue_texts[text] = self._kind_and_label(text)
        return known

    def _kind_and_label(self, text: str) -> tuple[Kind, str]:
        flat = text.strip()
        mapped = self.kinds.mapping.get(norm_key(flat))
        if mapped is not None:
            return mapped, flat
        match = _SPLIT.match(flat)
        if match:
            kind = self.kinds.lookup(match.group(1))
            if kind is not None:
                return kind, match.group(2).strip()
        first = flat.split("\n", 1)
        kind = self.kinds.lookup(first[0])
        if kind is not None:
            return kind, first[1].strip() if len(first) > 1 else ""
        kind = self.labels.get(norm_key(flat))
        if kind is not None:
            return kind, flat
        raise ValidationError(
            f"cue text '{flat[:60]}' names no kind; start it with MOT, INT or DEC (e.g. 'MOT · Greeting') "
            f"or map it (--map '{flat[:30]}=MOT')"
        )

    def cue_values(self, starts: Sequence[int] | np.ndarray, ends: Sequence[int] | np.ndarray,
                   texts: Sequence[str]) -> tuple[dict[str, list[Any]], dict[int, ValidationError]]:
        """Return (Event field -> values of every cue, cue index -> what is wrong) for cues without metadata.

        Kind and label come from each cue's text (each distinct text worked out
        once); a cue of exactly the point length is a point event.
        """
        start = np.asarray(starts, dtype=np.int64)
        end = np.asarray(ends, dtype=np.int64)
        found: dict[str, Any] = {}
        for text in set(texts):
            try:
                found[text] = self.kind_and_label(text)
            except ValidationError as exc:
                found[text] = exc
        pairs = list(map(found.__getitem__, texts))
        bad: dict[int, ValidationError] = {}
        if any(isinstance(pair, ValidationError) for pair in found.values()):
            for i, pair in enumerate(pairs):
                if isinstance(pair, ValidationError):
                    bad[i], pairs[i] = pair, (None, "")
        ends_s = seconds_of(end)
        if self.point_ms is not None:
            for i in np.flatnonzero(end - start == self.point_ms).tolist():
                ends_s[i] = None
        values = {"kind": [kind for kind, _ in pairs], "start_s": seconds_of(start), "end_s": ends_s,
                  "label": [label for _, label in pairs]}
        return values, bad

    def cue_row(self, start_ms: int, end_ms: int, text: str, meta: dict[str, Any] | None = None) -> tuple[Any, ...]:
        """Return the values (:data:`CUE_FIELDS`) of one cue, from its metadata when the file carries it.

        Raises ValidationError for a cue whose text names no kind or whose metadata is unusable.
        """
        if meta is not None:
            return self._follow_cue_timing(_meta_row(meta, self.kinds, self._kind_names), start_ms, end_ms)
        kind, label = self.kind_and_label(text)
        end = None if self.point_ms is not None and end_ms - start_ms == self.point_ms else seconds_from_ms(end_ms)
        return (kind, seconds_from_ms(start_ms), end, label) + _PLAIN_REST

    def _follow_cue_timing(self, row: tuple[Any, ...], start_ms: int, end_ms: int) -> tuple[Any, ...]:
        """If a subtitle editor moved the cue, its timing wins over the NOTE's times."""
        try:
            meta_start = to_ms(row[1])
            meta_end = None if row[2] is None else to_ms(row[2])
        except ValueError:  # a NaN time: validation names it
            return row
        expected_end = meta_start + (self.point_ms or 0) if meta_end is None else max(meta_end, meta_start + 1)
        if meta_start == start_ms and (expected_end == end_ms or (meta_end is None and self.point_ms is None)):
            return row
        point = row[2] is None and self.point_ms is not None and end_ms - start_ms == self.point_ms
        return (row[0], seconds_from_ms(start_ms), None if point else seconds_from_ms(end_ms)) + row[3:]


CUE_FIELDS = ("kind", "start_s", "end_s", "label", "stage", "channel", "actor", "expectation", "emotion", "note",
              "reviewer", "created_at", "updated_at")
_PLAIN_REST = ("", "", "", "", None, "", "", None, None)  # a cue without metadata: the fields after its label


def cue_id_or_blank(cue_id: str) -> str:
    """Return a cue identifier that is an event id (32 hex digits or a UUID), else "" (the id is derived)."""
    return cue_id if _looks_like_id(cue_id) else ""


def line_place(line: int) -> str:
    """Return how messages name a line: ``"line 7"``."""
    return f"line {line}"


_CUE_ID = re.compile(r"[0-9a-fA-F]{32}|[0-9a-fA-F-]{36}")


def _looks_like_id(cue_id: str) -> bool:
    return bool(_CUE_ID.fullmatch(cue_id.strip()))


_META_TEXT = ("label", "stage", "channel", "actor", "expectation", "note", "reviewer")
_ALL_TEXT = (str,) * len(_META_TEXT)


def _meta_seconds(meta: dict[str, Any], name: str) -> float | None:
    value = meta.get(name)
    if value is None:
        return None
    if type(value) is float:
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValidationError(f"{name} {value!r} in the cue's NOTE is not a number of seconds")
    return float(value)


def _meta_row(meta: dict[str, Any], kinds: KindResolver, kind_names: dict[str, Kind]) -> tuple[Any, ...]:
    """Return the values (:data:`CUE_FIELDS`) a cue's NOTE gives; raises ValidationError."""
    start = _meta_seconds(meta, "start_s")
    if start is None:
        raise ValidationError("the cue's NOTE has no start_s")
    name = meta.get("kind", "")
    kind = kind_names.get(name) if type(name) is str else None
    if kind is None:
        kind = kinds(str(name))
        if type(name) is str:
            kind_names[name] = kind
    end = _meta_seconds(meta, "end_s")
    created, updated = meta.get("created_at"), meta.get("updated_at")
    created = parse_iso("created_at", created if type(created) is str else str(created or ""))
    updated = parse_iso("updated_at", updated if type(updated) is str else str(updated or ""))
    texts = tuple(map(meta.get, _META_TEXT))
    if tuple(map(type, texts)) != _ALL_TEXT:
        texts = tuple(str(value or "") for value in texts)
    label, stage, channel, actor, expectation, note, reviewer = texts
    return (kind, start, end, label, stage, channel, actor, expectation, meta.get("emotion"), note, reviewer,
            created, updated)


# A block: lines that are not blank (a blank line holds nothing but whitespace), one after another.
_BLOCK = re.compile(r"^[^\S\n]*+\S.*(?:\n[^\S\n]*+\S.*)*", re.M)


def split_blocks(text: str) -> list[tuple[int, list[str]]]:
    """Return the blank-line separated blocks of ``text`` as (first line number, lines)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    blocks: list[tuple[int, list[str]]] = []
    line, at = 1, 0
    for match in _BLOCK.finditer(text):
        start = match.start()
        line += text.count("\n", at, start)
        at = start
        blocks.append((line, match.group().split("\n")))
    return blocks


_BLANKISH_LINE = re.compile(r"\n[^\S\n]+(?:\n|$)")  # a literal first: the scan for it is quick
_BLANKISH_FIRST = re.compile(r"[^\S\n]+(?:\n|$)")


def has_blankish_lines(text: str) -> bool:
    """Return True when ``text`` has two blank lines in a row or a line of nothing but whitespace."""
    return ("\n\n\n" in text or _BLANKISH_FIRST.match(text) is not None
            or _BLANKISH_LINE.search(text) is not None)


def stamps_ms(stamps: Sequence[str]) -> np.ndarray:
    """Return fixed-width ``HH:MM:SS,mmm`` (SRT) or ``HH:MM:SS.mmm`` (WebVTT) texts as milliseconds (int64).

    The texts must be ASCII with two-digit hours (the caller's pattern checks them); the separator is not read.
    """
    digits = np.frombuffer("".join(stamps).encode("ascii"), dtype=np.uint8).reshape(len(stamps), 12).astype(np.int64) - 48
    h = digits[:, 0] * 10 + digits[:, 1]
    m = digits[:, 3] * 10 + digits[:, 4]
    s = digits[:, 6] * 10 + digits[:, 7]
    return clock_ms(h, m, s, digits[:, 9] * 100 + digits[:, 10] * 10 + digits[:, 11])
