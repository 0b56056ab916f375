"""WebVTT files as :mod:`.vtt` writes them, read a field at a time: the cx-annotate notes and their cues.

:data:`META_PREFIX` starts each cue's ``NOTE cx-annotate`` line, whose JSON
holds :data:`META_KEYS` in that order. :func:`plain_cues` reads a file of
such notes and cues whole columns at a time (RE2 patterns check each note and
cue, Arrow cuts the values out) and returns None for any other file, which
``vtt.loads`` then reads a block at a time into the same columns.
"""

from __future__ import annotations

import codecs
import json
import re
from typing import Any

import numpy as np

import pyarrow as pa
import pyarrow.compute  # noqa: F401 - pa.compute

from ..errors import ValidationError
from . import columns as colwise
from .captions import CueReader, has_blankish_lines, stamps_ms
from .common import KindResolver

# The cues of a file: (field -> values, bad cue -> error, timing lines, id cells, dropped block's line -> problem)
Cues = tuple[dict[str, list[Any]], dict[int, Exception], list[int], list[str], dict[int, Any]]

META_PREFIX = "NOTE cx-annotate "
META_KEYS = ("id", "kind", "start_s", "end_s", "label", "stage", "channel", "actor", "expectation", "emotion", "note",
             "reviewer", "created_at", "updated_at")


# The column path reads only notes laid out exactly as vtt.dumps writes them, each checked whole by one RE2
# pattern: a note that matches is one JSON object of these keys in this order, whose strings json's strict
# scanner reads (no control characters, known escapes) and whose times it reads as floats.
_JSON_TEXT = r'"(?:[^"\\\x00-\x1f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"'
_JSON_SECONDS = r"(?:0|[1-9][0-9]*)\.[0-9]+"
_META_VALUES = {
    "id": '"[0-9a-f]{32}"', "kind": _JSON_TEXT, "start_s": _JSON_SECONDS, "end_s": f"null|{_JSON_SECONDS}",
    "emotion": "null|-?(?:0|[1-9][0-9]{0,8})", "created_at": f"null|{_JSON_TEXT}", "updated_at": f"null|{_JSON_TEXT}",
}
_META_LINE = ("^" + META_PREFIX + r"\{"
              + ", ".join(f'"{key}": (?:{_META_VALUES.get(key, _JSON_TEXT)})' for key in META_KEYS) + r"\}$")
# Inside a JSON string every '"' follows a backslash, so in such a note ', "' only ever starts the next key.
_MEMBER_SEP = b', "'
# What Python's \s (str.isspace) matches, for RE2 (whose \s is ASCII only); '\n' is among them.
PY_SPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_STAMP_RE2 = r"[0-9]{2}:[0-5][0-9]:[0-5][0-9]\.[0-9]{3}"
# A cue: its id, its timing (settings allowed) and text lines, none blank (each has a character that is not \s).
_CUE_BLOCK = (rf"^[0-9a-f]{{32}}\n{_STAMP_RE2} --> {_STAMP_RE2}(?: [^\n]*)?"
              rf"(?:\n[^\n]*[^{PY_SPACE}][^\n]*)+$")


def _json_text(token: str) -> str:
    """Return the str a JSON string token (checked by _JSON_TEXT) stands for, as json reads it."""
    return token[1:-1] if "\\" not in token else json.loads(token)


def plain_cues(text: str, reader: CueReader, data: bytes | str | None = None) -> Cues | None:
    """Return the cues of a file laid out as ``vtt.dumps`` writes it, read a field at a time; else None.

    Handles the header, NOTE and STYLE blocks and then cues each after its
    ``NOTE cx-annotate`` line (same id, timing as the note says, known kinds,
    plain UTC dates); returns None for anything else, which ``vtt`` reads a
    block at a time into the same columns. ``data`` is what ``text`` was
    decoded from, if the caller has it (then the cues are not encoded again).
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    at = text.find("\n\n" + META_PREFIX)
    if at < 0 or has_blankish_lines(text[: at + 2]):  # the cues' lines are checked below
        return None
    head = text[:at].split("\n\n")
    if not re.match(r"WEBVTT(?:[ \t].*)?$", head[0].split("\n", 1)[0]):
        return None
    if any(block.split(None, 1)[0] not in ("NOTE", "STYLE", "REGION") for block in head[1:]):
        return None
    rest = _cues_bytes(text, at, data)
    if rest is None:
        return None
    # The blocks the cue-by-cue path reads are the pieces between blank lines when no line is blank-ish:
    # the notes and cues are checked whole (each line holds a non-space), so a piece that starts or ends with a
    # line break, or has a blank-ish line, fails its check.
    blocks = pa.compute.split_pattern(rest, b"\n\n").flatten()
    count, odd = divmod(len(blocks), 2)
    if odd or not count:
        return None
    notes = blocks.take(np.arange(0, 2 * count, 2)).cast(pa.string())  # checks the UTF-8
    cues = blocks.take(np.arange(1, 2 * count, 2)).cast(pa.string())
    if not (colwise.all_match(notes, _META_LINE) and colwise.all_match(cues, _CUE_BLOCK)):
        return None
    cut = pa.compute.binary_slice
    cues = cues.cast(pa.binary())
    members = pa.compute.split_pattern(notes.cast(pa.binary()), _MEMBER_SEP).flatten()
    if len(members) != len(META_KEYS) * count:
        return None
    tokens = {}
    for n, key in enumerate(META_KEYS):  # each member is 'key": value', the first '...{"id": value'
        skip = len(META_PREFIX) + len('{"id": ') if n == 0 else len(key) + 3
        tokens[key] = cut(members.take(np.arange(n, len(members), len(META_KEYS))), skip,
                          -1 if key == META_KEYS[-1] else 2**31 - 1)
    if not pa.compute.all(pa.compute.equal(cut(tokens["id"], 1, -1), cut(cues, 0, 32))).as_py():
        return None  # a note of another cue: cue by cue
    columns = _meta_columns(tokens, reader.kinds)
    if columns is None:
        return None
    start_ms = colwise.ms_array(columns["start_s"])
    present = [e for e in columns["end_s"] if e is not None]
    end_ms = colwise.ms_array(present) if present else np.zeros(0, dtype=np.int64)
    if start_ms is None or end_ms is None:
        return None
    point_ms = reader.point_ms
    point = np.fromiter((e is None for e in columns["end_s"]), dtype=bool, count=count)
    if point.any() and point_ms is None:
        return None
    expected = start_ms + (point_ms or 0)
    expected[~point] = np.maximum(end_ms, start_ms[~point] + 1)
    cue_start = stamps_ms(cut(cues, 33, 45).cast(pa.string()).to_pylist())
    cue_end = stamps_ms(cut(cues, 50, 62).cast(pa.string()).to_pylist())
    if not ((cue_start == start_ms).all() and (cue_end == expected).all() and (cue_end >= cue_start).all()):
        return None  # a subtitle editor moved a cue: its timing wins, cue by cue
    ids = cut(tokens["id"], 1, -1).cast(pa.string()).to_pylist()
    # A note, a blank line, the cue's lines, a blank line; messages name a cue's timing line.
    heights = pa.compute.count_substring(cues, b"\n").to_numpy().astype(np.int64) + 4
    first_note = text.count("\n", 0, at + 2) + 1
    wheres = (np.cumsum(heights) - heights + first_note + 3).tolist()
    return columns, {}, wheres, ids, {}


def _cues_bytes(text: str, at: int, data: bytes | str | None) -> Any:
    """Return ``text`` from the first cue's note on (one final line break dropped) as a one-row Arrow binary array.

    None when that text is 2 GB or more, or holds lone surrogates (not UTF-8).
    """
    if isinstance(data, bytes) and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and b"\r" not in data:
        # ``text`` is these bytes decoded as UTF-8 (a BOM dropped): the same text, without encoding it again
        first, end = data.find(b"\n\n" + META_PREFIX.encode("ascii")) + 2, len(data) - data.endswith(b"\n")
        if end >= 2**31:
            return None
        offsets = pa.py_buffer(np.array([first, end], dtype=np.int32))
        return pa.Array.from_buffers(pa.binary(), 1, [None, offsets, pa.py_buffer(data)])
    rest = text[at + 2 :]
    try:
        rest = (rest[:-1] if rest.endswith("\n") else rest).encode("utf-8")
    except UnicodeEncodeError:
        return None
    return pa.array([rest], type=pa.binary()) if len(rest) < 2**31 else None


def _meta_columns(tokens: dict[str, Any], kinds: KindResolver) -> dict[str, list[Any]] | None:
    """Return the event fields of the notes' JSON value tokens (Arrow binary arrays, by key) as columns, or None.

    Each value is what json gives for its token; None unless every kind is
    known and every date plain ISO 8601 at UTC.
    """
    names = _texts(tokens["kind"])
    try:
        found = {name: kinds(name) for name in set(names)}
    except ValidationError:
        return None
    columns: dict[str, list[Any]] = {
        "kind": list(map(found.__getitem__, names)),
        "start_s": list(map(float, tokens["start_s"].to_pylist())),
        "end_s": [None if t == b"null" else float(t) for t in tokens["end_s"].to_pylist()],
        "emotion": colwise.map_unique(tokens["emotion"], lambda t: None if t == b"null" else int(t)),
    }
    for key in ("label", "stage", "channel", "actor", "expectation", "note", "reviewer"):
        columns[key] = _texts(tokens[key])
    for key in ("created_at", "updated_at"):
        dates = colwise.iso_column(_texts(tokens[key], repeated=False))
        if dates is None:
            return None
        columns[key] = dates
    return columns


def _texts(tokens: Any, repeated: bool = True) -> list[str]:
    """Return the str of each JSON string token (an Arrow binary array, checked), ``null`` as "".

    ``repeated`` columns (labels, stages, ...) hold few distinct values: each is made once.
    """
    compute = pa.compute
    if compute.any(compute.match_substring(tokens, b"\\")).as_py():  # escapes: json reads them
        return colwise.map_unique(tokens.cast(pa.string()), lambda t: "" if t == "null" else _json_text(t))
    texts = compute.binary_slice(tokens, 1, -1)
    if not repeated and compute.any(compute.equal(tokens, b"null")).as_py():
        texts = compute.if_else(compute.equal(tokens, b"null"), b"", texts)
    texts = texts.cast(pa.string())
    return colwise.map_unique(texts, str) if repeated else texts.to_pylist()
