"""Helpers shared by every event-file format: decoding, problems, ids, times, spreadsheet safety.

Nothing here knows a particular format. Formats turn files into validated
:class:`~annotate.model.Event` objects and back; they never talk to the store.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import hashlib
import io
import json
import re
import uuid
from datetime import datetime, timezone
from fractions import Fraction
from itertools import islice
from operator import attrgetter
from pathlib import PurePath
from typing import Any, Callable, Iterable, Mapping, NoReturn, Sequence

import numpy as np

from ..errors import FormatError, UnknownKindError, ValidationError
from ..model import (
    FREE_TEXT_FIELDS, MAX_FREE_TEXT, MAX_SHORT_TEXT, Event, Kind, Recording, drop_control, parse_kind, validate_columns,
    validate_event,
)
from ..timebase import to_fraction

# --- problems -----------------------------------------------------------------

SHOWN_PROBLEMS = 3


def one_line(text: object, limit: int = 240) -> str:
    """Return ``text`` on one line (whitespace runs collapsed), cut to ``limit`` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class Problems:
    """Collect every problem found in one file, then raise a single FormatError for all of them.

    Each problem reads ``"<source> <where>: <what>"``, e.g.
    ``"events.csv line 7: unknown kind 'purple'"``.
    """

    def __init__(self, source: str):
        self.source = source
        self.items: list[str] = []

    def add(self, where: str | None, message: object) -> None:
        """Record one problem; ``where`` is e.g. ``"line 7"`` or None for the whole file."""
        prefix = f"{self.source} {where}" if where else self.source
        self.items.append(f"{prefix}: {one_line(message)}")

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def error(self) -> FormatError:
        """Return the FormatError naming the first problems (all of them in ``.problems``)."""
        shown = self.items[:SHOWN_PROBLEMS]
        message = "; ".join(shown)
        rest = len(self.items) - len(shown)
        if rest > 0:
            message += f"; and {rest} more problem{'s' if rest > 1 else ''}"
        message += "; nothing was imported: fix the file and import it again"
        return FormatError(message, self.items)

    def raise_if_any(self) -> None:
        """Raise the collected problems as one FormatError, if there are any."""
        if self.items:
            raise self.error()

    def fail(self, where: str | None, message: object) -> NoReturn:
        """Record one last problem and raise everything collected so far."""
        self.add(where, message)
        raise self.error()


def source_name(path: object | None, default: str) -> str:
    """Return the file name used in messages: the last part of ``path`` or ``default``."""
    if path is None:
        return default
    name = PurePath(str(path)).name
    return name or default


# --- text decoding ------------------------------------------------------------

BOM = "\ufeff"


def decode_text(data: bytes | str, problems: Problems) -> str:
    """Return ``data`` as text: UTF-8 with or without a BOM, or UTF-16 with a BOM.

    Raises (through ``problems``) a FormatError naming the line of the first
    byte that is not UTF-8, or for a file holding NUL bytes (not a text file).
    """
    if isinstance(data, str):
        text = data[1:] if data.startswith(BOM) else data
    elif data.startswith(codecs.BOM_UTF8):
        text = _decode(data[3:], "utf-8", problems, 3)
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _decode(data, "utf-16", problems, 0)
    else:
        text = _decode(data, "utf-8", problems, 0)
    nul = text.find("\x00")
    if nul >= 0:
        problems.fail(f"line {text.count(chr(10), 0, nul) + 1}", "holds NUL bytes: this is not a text file")
    return text


def _decode(data: bytes, encoding: str, problems: Problems, skipped: int) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start : exc.start + 1].hex().upper()
        problems.fail(
            f"line {line}",
            f"is not {encoding.upper()} text (byte 0x{bad}); save the file as UTF-8 "
            "(in Excel: 'CSV UTF-8') and import it again",
        )


# --- cell limits ----------------------------------------------------------------

# The longest cell an import reads (docs/formats.md): free text, and a label or any other short field.
FREE_TEXT_CELL = MAX_FREE_TEXT
SHORT_CELL = MAX_SHORT_TEXT


def utf8_body(data: bytes | str) -> bytes | memoryview | None:
    """Return a text file's bytes as UTF-8 without a BOM (UTF-16 with a BOM re-encoded); None if not decodable.

    A UTF-8 file's own bytes are returned (a view past the BOM), not a copy.
    """
    try:
        if isinstance(data, str):
            return data.lstrip(BOM).encode("utf-8")
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return data.decode("utf-16").encode("utf-8")
    except UnicodeError:
        return None
    return memoryview(data)[3:] if data.startswith(codecs.BOM_UTF8) else data


def refuse_long_cells(body: bytes, delimiter: str, problems: Problems, limits: Sequence[tuple[str, int]],
                      rest: tuple[str, int]) -> None:
    """Raise (through ``problems``) a FormatError naming the first CSV cell longer than its column allows.

    ``limits[i]`` is (name in messages, most characters) for column i, ``rest``
    for cells right of them; a header cell holds at most SHORT_CELL. Reads
    ``body`` a chunk at a time, before anything builds cells from it.
    """
    from . import columns as colwise

    limits = [*limits, rest]
    caps = np.array([cap for _, cap in limits], dtype=np.int64)
    for lines, cols, starts, ends in colwise.long_cells(body, delimiter, SHORT_CELL):
        index = np.minimum(cols, len(limits) - 1)
        cap = np.where(lines == 1, SHORT_CELL, caps[index])
        for i in np.flatnonzero(ends - starts > cap):  # bytes first: a character takes 1 to 4
            chars = colwise.cell_chars(body, int(starts[i]), int(ends[i]))
            if chars > cap[i]:
                name = "header name" if lines[i] == 1 else limits[int(index[i])][0]
                article = "an" if name[0] in "aeiou" else "a"
                problems.fail(f"line {int(lines[i])}", f"the {name} is {chars:,} characters; {article} {name} holds "
                                                        f"at most {int(cap[i]):,} (see docs/formats.md); shorten it")


class CsvLines:
    """The line each row of a CSV text starts on, counted on first use (by reading the text again).

    A cell may hold line breaks, so a row's line is not its index; files are read
    with ``list.extend(reader)`` and the lines are only counted when a message needs one.
    """

    def __init__(self, text: str, delimiter: str, count: int):
        self._args = (text, delimiter, count)
        self._starts: list[int] | None = None

    def _count(self) -> list[int]:
        if self._starts is None:
            text, delimiter, count = self._args
            reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
            starts, prev = [], 0
            for _ in islice(reader, count):
                starts.append(prev + 1)
                prev = reader.line_num
            starts.append(prev + 1)  # where the row after the last one read starts
            self._starts = starts
        return self._starts

    def place(self, index: int) -> str:
        """Return ``"line N"`` for the row at ``index``."""
        return f"line {self._count()[index]}"

    def after_last(self) -> int:
        """Return the line after the last row read."""
        return self._count()[-1]


# --- spreadsheet safety ---------------------------------------------------------

# A spreadsheet runs a cell that starts with one of these as a formula (or DDE command).
FORMULA_START = frozenset("=+-@\t\r")
ESCAPED_START = FORMULA_START | {"'"}


def neutralise(text: str) -> str:
    """Return ``text`` safe to open in a spreadsheet: prefixed with ``'`` if it starts like a formula.

    Text that already starts with an apostrophe is prefixed too, so that
    :func:`unneutralise` gives back exactly the original text for every input.
    Only text cells go through this; numbers written by the exporter are numbers.
    """
    if text and text[0] in ESCAPED_START:
        return "'" + text
    return text


def csv_cell_writer(delimiter: str, neutralise: bool = True) -> Callable[[str], str]:
    """Return the function that writes one text cell: neutralised (unless not asked), quoted as csv.QUOTE_MINIMAL would.

    Blank (or None) gives the empty cell.
    """
    needs_quote = re.compile(f'[{re.escape(delimiter)}"\r\n]').search
    escaped = ESCAPED_START if neutralise else ()

    def write(value: str) -> str:
        if not value:
            return ""
        if value[0] in escaped:
            value = "'" + value
        if needs_quote(value):
            return '"' + value.replace('"', '""') + '"'
        return value

    return write


def unneutralise(cell: str) -> str:
    """Return ``cell`` with the apostrophe added by :func:`neutralise` removed (exactly that one)."""
    if len(cell) > 1 and cell[0] == "'" and cell[1] in ESCAPED_START:
        return cell[1:]
    return cell


# --- times and dates ------------------------------------------------------------


def to_ms(seconds: float) -> int:
    """Return a validated time (seconds, millisecond precision) as whole milliseconds."""
    return int(round(seconds * 1000))


def ms_str(ms: int) -> str:
    """Return milliseconds as seconds text with three decimals: 1234 -> ``"1.234"``."""
    return f"{ms // 1000}.{ms % 1000:03d}"


def ms_timecode(ms: int, sep: str = ".") -> str:
    """Return ``HH:MM:SS.mmm`` (or with ``sep=","`` the SRT form) for ``ms`` >= 0 milliseconds."""
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, rem = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{rem:03d}"


def iso_utc(value: datetime | None) -> str:
    """Return ``value`` as ISO 8601 UTC text ending in ``Z`` (milliseconds, or microseconds if set).

    A naive datetime is taken to be UTC already. None gives ``""``.
    """
    if value is None:
        return ""
    if value.tzinfo is timezone.utc:  # the usual case: no conversion; isoformat() without a timespec is quickest
        text = value.isoformat()  # ...T12:30:00+00:00, or ...T12:30:00.250000+00:00
        micro = value.microsecond
        if not micro:
            return text[:-6] + ".000Z"
        return text[:-9] + "Z" if micro % 1000 == 0 else text[:-6] + "Z"
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    spec = "milliseconds" if value.microsecond % 1000 == 0 else "microseconds"
    return value.isoformat(timespec=spec) + "Z"


class TextCells(dict):
    """Memo of how text values are written as cells: ``cells[value]`` is ``write(value)``.

    Labels, stages, channels and actors repeat from row to row, so each distinct
    one is escaped once. Long texts (notes) are written each time, not kept.
    """

    def __init__(self, write: Callable[[str], str], keep_up_to: int = 80):
        super().__init__()
        self.write = write
        self.keep_up_to = keep_up_to

    def __missing__(self, value: str) -> str:
        cell = self.write(value)
        if value is None or (type(value) is str and len(value) <= self.keep_up_to):
            self[value] = cell
        return cell


_scan_json = json.JSONDecoder().scan_once


def json_value(text: str) -> Any:
    """Return ``json.loads(text)``; raises ValueError (JSONDecodeError) as it does, also for absurd nesting.

    Text that is exactly one JSON value (no surrounding whitespace), as this
    tool writes it, goes straight to json's C scanner; any other text, and
    every error, goes through ``json.loads`` itself.
    """
    try:
        try:
            value, end = _scan_json(text, 0)
        except (StopIteration, ValueError):
            return json.loads(text)
        if end != len(text):
            return json.loads(text)
        return value
    except RecursionError:  # a hostile file: report it like any other bad JSON
        raise ValueError("JSON nested too deeply") from None


def parse_iso(name: str, text: str) -> datetime | None:
    """Return the timezone-aware UTC datetime in ISO 8601 ``text`` (blank gives None).

    A time without an offset is taken as UTC. Raises ValidationError naming ``name``.
    """
    text = text.strip()
    if not text:
        return None
    raw = text[:-1] + "+00:00" if text[-1] in "Zz" else text
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise ValidationError(
            f"{name} '{text}' is not an ISO 8601 date-time such as 2024-05-01T12:30:00Z"
        ) from None
    zone = value.tzinfo
    if zone is timezone.utc:  # the usual case ("Z" or +00:00): nothing to convert
        return value
    if zone is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def recording_fps(recording: Recording | None) -> Fraction | None:
    """Return the recording's frame rate as a Fraction, or None when unknown or unreadable."""
    if recording is None or not recording.fps:
        return None
    try:
        fps = to_fraction(recording.fps)
    except ValidationError:
        return None
    return fps if fps > 0 else None


def recording_name(recording: Recording | None) -> str:
    """Return how files name a recording: its title, else its file name (without control characters, which
    no format's reader takes back)."""
    if recording is None:
        return ""
    return recording.title or drop_control(PurePath(recording.path).name)


def duration_limit(recording: Recording) -> float | None:
    """Return the duration to check event times against, or None when the recording's is unknown (0)."""
    return recording.duration_s if recording.duration_s and recording.duration_s > 0 else None


def as_recordings(recordings: Mapping[int, Recording] | Iterable[Recording] | None) -> dict[Any, Recording]:
    """Return recordings keyed by id, from a dict, a list of recordings or None."""
    if recordings is None:
        return {}
    if isinstance(recordings, Mapping):
        return dict(recordings)
    return {r.id: r for r in recordings}


# --- kinds and mappings ---------------------------------------------------------


def norm_key(text: str) -> str:
    """Return ``text`` folded for matching names: lower case, runs of space/_/- as one space."""
    return re.sub(r"[\s_\-]+", " ", str(text).strip().casefold())


def parse_mapping(items: Iterable[str] | Mapping[str, Any] | None) -> dict[str, Kind]:
    """Return a mapping from names in a file (behaviour, tier, label, kind text) to kinds.

    Accepts a dict ``{"Greeting": "MOT"}`` or CLI-style strings ``["Greeting=MOT", ...]``;
    keys match case-insensitively. Raises ValidationError for a malformed item
    or UnknownKindError for a value that is not a kind.
    """
    if not items:
        return {}
    pairs: list[tuple[str, Any]] = []
    if isinstance(items, Mapping):
        pairs = list(items.items())
    else:
        for item in items:
            name, sep, kind = str(item).rpartition("=")
            if not sep or not name.strip() or not kind.strip():
                raise ValidationError(f"mapping '{item}' needs the form NAME=KIND, e.g. 'Greeting=MOT'")
            pairs.append((name, kind))
    return {norm_key(name): parse_kind(kind) for name, kind in pairs}


class KindResolver:
    """Turn the kind text of a file into a Kind: the mapping first, then the kind names and aliases.

    Results are cached, so a file of 100,000 rows with three kind spellings
    parses each spelling once.
    """

    def __init__(self, mapping: Mapping[str, Kind] | Iterable[str] | None = None):
        self.mapping = parse_mapping(mapping)
        self._cache: dict[str, Kind | None] = {}

    def lookup(self, text: str) -> Kind | None:
        """Return the Kind ``text`` names (through the mapping or an alias), or None."""
        try:
            return self._cache[text]
        except KeyError:
            pass
        key = norm_key(text)
        kind = self.mapping.get(key)
        if kind is None and key:
            try:
                kind = parse_kind(text)
            except UnknownKindError:
                kind = None
        self._cache[text] = kind
        return kind

    def __call__(self, text: str) -> Kind:
        """Return the Kind for ``text``; raises UnknownKindError with a short hint."""
        kind = self.lookup(text)
        if kind is None:
            if not str(text).strip():
                raise UnknownKindError("kind is empty; write MOT, INT or DEC")
            raise UnknownKindError(
                f"unknown kind '{text}'; write MOT, INT or DEC, or map it (--map '{text}=MOT')"
            )
        return kind


def label_kinds(codebook: Any) -> dict[str, Kind]:
    """Return codebook label text (folded) -> kind, for labels that belong to exactly one kind."""
    if codebook is None:
        return {}
    seen: dict[str, Kind | None] = {}
    for kind in Kind:
        for text in codebook.label_texts(kind):
            key = norm_key(text)
            seen[key] = kind if seen.get(key, kind) == kind else None
    return {k: v for k, v in seen.items() if v is not None}


# --- event ids ------------------------------------------------------------------

# Fixed namespace for ids derived from an event's content (never change it: re-imports rely on it).
EVENT_ID_NAMESPACE = uuid.UUID("5d3c1f0e-8a4b-5c6d-9e7f-0a1b2c3d4e5f")
_HEX32 = re.compile(r"^[0-9a-f]{32}$")
_ALL_HEX32 = re.compile(r"[0-9a-f]{32}(?:\n[0-9a-f]{32})*")


def recording_key(recording: Recording) -> str:
    """Return what derived event ids hang on: the content hash, else the id, else the path."""
    if recording.content_hash:
        return f"sha:{recording.content_hash}"
    if recording.id is not None:
        return f"id:{recording.id}"
    return f"path:{recording.path}"


class EventIds:
    """Choose stable ids for imported events so that importing a file twice adds nothing new.

    An id the file carries is kept when it is a 32-hex (or hyphenated UUID) id,
    else turned into one deterministically. Events without one get
    ``uuid5(recording key, kind, start ms, end ms, label)``; identical events in
    one file are told apart by their order of appearance.
    """

    def __init__(self, recording: Recording):
        self.key = recording_key(recording)
        self._counts: dict[str, int] = {}

    def from_file(self, raw: str) -> str:
        """Return the event id for an id cell of the file (kept when already a 32-hex id)."""
        if len(raw) == 32 and _HEX32.match(raw):  # the usual case: an id this tool wrote
            return raw
        text = raw.strip()
        low = text.lower()
        if low.startswith("urn:uuid:"):
            low = low[9:]
        low = low.strip("{}").replace("-", "")
        if _HEX32.match(low):
            return low
        return uuid5_hex(f"{self.key}\x1fid\x1f{text}")

    def derived(self, kind: Kind, start_s: float, end_s: float | None, label: str) -> str:
        """Return the content-derived id of an event that carries none."""
        end = "" if end_s is None else str(to_ms(end_s))
        name = f"{self.key}\x1f{kind.value}\x1f{to_ms(start_s)}\x1f{end}\x1f{label}"
        n = self._counts.get(name, 0)
        self._counts[name] = n + 1
        if n:
            name += f"\x1f#{n}"
        return uuid5_hex(name)

    def derived_many(self, kinds: Sequence[Kind], starts: Sequence[float], ends: Sequence[float | None],
                     labels: Sequence[str]) -> list[str]:
        """Return ``[derived(k, s, e, l) ...]`` for validated values, as calling :meth:`derived` in turn gives."""
        count = len(kinds)
        start_ms = np.rint(np.asarray(starts, dtype=np.float64) * 1000.0).astype(np.int64).tolist()
        end_cells = ["" if e is None else str(int(round(e * 1000))) for e in ends]
        names = list(map("\x1f".join, zip([self.key] * count, map(attrgetter("_value_"), kinds),
                                              map(str, start_ms), end_cells, labels)))
        if self._counts or len(set(names)) != count:  # repeats get a counter: one at a time
            return [self.derived(k, s, e, label) for k, s, e, label in zip(kinds, starts, ends, labels)]
        self._counts.update(dict.fromkeys(names, 1))
        return uuid5_hex_many(names)


_NAMESPACE_BYTES = EVENT_ID_NAMESPACE.bytes
# "00" .. "ff" as rows of two ASCII bytes, to write 16 bytes of each id as 32 hex digits at once
_HEX_DIGITS = np.frombuffer(b"".join(f"{i:02x}".encode() for i in range(256)), dtype=np.uint8).reshape(256, 2)


def uuid5_hex_many(names: Sequence[str]) -> list[str]:
    """Return ``[uuid5_hex(name) for name in names]``, the bit twiddling and hex done for all at once."""
    count = len(names)
    if not count:
        return []
    sha1, ns = hashlib.sha1, _NAMESPACE_BYTES
    digests = b"".join([sha1(ns + name.encode("utf-8")).digest()[:16] for name in names])
    raw = np.frombuffer(digests, dtype=np.uint8).reshape(count, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x50  # version 5
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
    text = _HEX_DIGITS[raw].tobytes().decode("ascii")
    return [text[i : i + 32] for i in range(0, 32 * count, 32)]


def uuid5_hex(name: str) -> str:
    """Return ``uuid.uuid5(EVENT_ID_NAMESPACE, name).hex``, computed without building UUID objects."""
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + name.encode("utf-8")).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    return digest.hex()


def finish_event(
    event: Event,
    recording: Recording,
    problems: Problems,
    where: str,
    ids: EventIds,
    raw_id: str | None,
    seen: dict[str, str],
) -> Event | None:
    """Return ``event`` validated for ``recording`` with its id settled, or None after recording a problem.

    ``raw_id`` is the id text the file gave (None or blank: derive one).
    ``seen`` maps ids already used in this file to where they appeared.
    """
    try:
        event = validate_event(event, duration_limit(recording))
    except ValidationError as exc:
        problems.add(where, exc)
        return None
    if raw_id is not None and raw_id.strip():
        event.id = ids.from_file(raw_id)
    else:
        event.id = ids.derived(event.kind, event.start_s, event.end_s, event.label)
    first = seen.get(event.id)
    if first is not None:
        problems.add(where, f"event id {raw_id or event.id} is used again (first at {first}); give each event its own id")
        return None
    seen[event.id] = where
    return event


class Importer:
    """Validate the events read from one file for one recording, settle their ids and collect them.

    ``add`` is :func:`finish_event` for a whole file: the recording's duration,
    the id generator and the ids already used are looked up once. ``where`` may
    be any key of a row or element (e.g. a line number); ``place`` turns a key
    into the text messages show, and is only called when there is a problem.
    """

    def __init__(self, recording: Recording, problems: Problems, place: Any = str, defer: bool = False):
        self.recording = recording
        self.problems = problems
        self.place = place
        self.limit = duration_limit(recording)
        self.ids = EventIds(recording)
        self.seen: dict[str, Any] = {}
        self.events: list[Event] = []
        self.defer = defer
        self._pending: list[tuple[Event, Any, str | None, int]] = []

    def add(self, event: Event, where: Any, raw_id: str | None = None) -> Event | None:
        """Validate ``event``, give it its id and keep it; return it, or None after recording a problem.

        ``raw_id`` is the id text the file gave (None or blank: derive one).
        With ``defer`` the event waits for :meth:`finish` (which validates all
        waiting events a column at a time) and None is returned.
        """
        if self.defer:
            self._pending.append((event, where, raw_id, len(self.problems.items)))
            return None
        return self._add(event, where, raw_id)

    def finish(self) -> list[Event]:
        """Validate and keep the events ``add`` deferred; return all events kept.

        Gives what adding each at once would have given, problems included and
        in the same order among the others recorded meanwhile.
        """
        pending, self._pending = self._pending, []
        if not pending:
            return self.events
        events = [p[0] for p in pending]
        if not self.events and not self.seen and set(map(type, events)) == {Event}:
            columns = {name: list(map(attrgetter(name), events)) for name in _EVENT_FIELD_NAMES}
            del columns["id"]
            if self._add_valid(columns, [p[1] for p in pending], [p[2] for p in pending]):
                return self.events
        earlier, self.problems.items = self.problems.items, []
        merged: list[str] = []
        done = 0
        for event, where, raw_id, mark in pending:
            merged += earlier[done:mark]
            done = mark
            self._add(event, where, raw_id)
            merged += self.problems.items
            self.problems.items = []
        merged += earlier[done:]
        self.problems.items = merged
        return self.events

    def _add(self, event: Event, where: Any, raw_id: str | None = None) -> Event | None:
        try:
            event = validate_event(event, self.limit)
        except ValidationError as exc:
            self.problems.add(self.place(where), exc)
            return None
        if raw_id and len(raw_id) == 32 and _HEX32.match(raw_id):  # an id this tool wrote: kept as it is
            event.id = raw_id
        elif raw_id and raw_id.strip():
            event.id = self.ids.from_file(raw_id)
        else:
            event.id = self.ids.derived(event.kind, event.start_s, event.end_s, event.label)
        seen = self.seen
        if event.id in seen:
            self.problems.add(self.place(where), f"event id {raw_id or event.id} is used again (first at "
                                                 f"{self.place(seen[event.id])}); give each event its own id")
            return None
        seen[event.id] = where
        self.events.append(event)
        return event

    def add_columns(self, columns: dict[str, list[Any]], wheres: Sequence[Any], raw_ids: Sequence[Any] | None = None,
                    hex_ids: bool = False) -> bool:
        """Validate, give ids to and keep the events given as columns (Event field -> values); return True.

        The result is what :meth:`add` gives each event in turn (``wheres[i]``
        and ``raw_ids[i]`` belong to event i), checked a whole column at a
        time. Returns False, keeping nothing, unless this importer is still
        empty and every event is valid as it stands with an id of its own:
        then add the events one by one (for the conversions and the messages).
        ``hex_ids`` says the caller has checked that every raw id is 32 hex digits.
        """
        if self.events or self.seen or self.problems or self._pending:
            return False
        return self._add_valid(columns, wheres, raw_ids, hex_ids)

    def _add_valid(self, columns: dict[str, list[Any]], wheres: Sequence[Any], raw_ids: Sequence[Any] | None,
                   hex_ids: bool = False) -> bool:
        count = len(wheres)
        if not count:
            return False
        columns = dict(columns)
        columns.setdefault("recording_id", [self.recording.id] * count)
        # Ids derived from values that validation then changes would be wrong, but then validation fails too.
        ids = list(raw_ids) if hex_ids and raw_ids is not None else self._column_ids(columns, raw_ids, count)
        if hex_ids and len(set(ids)) != count:
            ids = None
        events = None if ids is None else validate_columns({**columns, "id": ids}, self.limit)
        if events is None:
            self.ids = EventIds(self.recording)  # derived ids count repeats: start counting again
            return False
        self.seen = dict(zip(ids, wheres))
        self.events.extend(events)
        return True

    def _column_ids(self, columns: dict[str, list[Any]], raw_ids: Sequence[str] | None, count: int) -> list[str] | None:
        """Return the ids ``add`` would give validated events (as columns), or None if one is used twice."""
        if raw_ids is not None and not any(raw_ids):  # no event has an id of its own
            raw_ids = None
        try:
            joined = None if raw_ids is None else "\n".join(raw_ids)
            plain = joined is not None and len(joined) == 33 * count - 1 and _ALL_HEX32.fullmatch(joined) is not None
        except TypeError:  # some event without an id: one by one below
            plain = False
        if plain:
            ids = list(raw_ids)
        elif raw_ids is None and set(map(type, columns["kind"])) == {Kind}:
            try:  # values that validation will refuse may break the arithmetic: then no ids, one at a time
                ids = self.ids.derived_many(columns["kind"], columns["start_s"],
                                            columns.get("end_s") or [None] * count, columns.get("label") or [""] * count)
            except (TypeError, ValueError, OverflowError):
                return None
        else:
            ids = []
            derived, from_file = self.ids.derived, self.ids.from_file
            labels = columns.get("label") or [""] * count
            ends = columns.get("end_s") or [None] * count
            for i, (kind, start, end, label) in enumerate(zip(columns["kind"], columns["start_s"], ends, labels)):
                raw_id = raw_ids[i] if raw_ids is not None else None
                if raw_id and len(raw_id) == 32 and _HEX32.match(raw_id):
                    ids.append(raw_id)
                elif raw_id and raw_id.strip():
                    ids.append(from_file(raw_id))
                else:
                    ids.append(derived(kind, start, end, label))
        return ids if len(set(ids)) == count else None


_EVENT_FIELD_NAMES = tuple(f.name for f in dataclasses.fields(Event))


def sort_events(events: Sequence[Event]) -> list[Event]:
    """Return events ordered by recording, start time, end time, id (a stable export order)."""
    return sorted(events, key=lambda e: (e.recording_id if e.recording_id is not None else -1, e.start_s,
                                         -1.0 if e.end_s is None else e.end_s, e.id))
