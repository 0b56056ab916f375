"""Event ids of imported events: the one rule, so that importing a file twice adds nothing new.

An id the file carries is kept when it is a 32-hex id (or a hyphenated UUID,
``urn:uuid:`` and braces allowed), else turned into one deterministically.
An event without one gets ``uuid5(recording key, kind, start ms, end ms,
label)``; identical events of one file are told apart by their order of
appearance (``#1``, ``#2``, ... after the first). :class:`EventIds` applies the
rule to whole columns, a block at a time; :class:`SeenKeys` remembers ids in
16 bytes each, so a streamed file of millions of rows keeps little.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from operator import attrgetter
from typing import Sequence

import numpy as np

from ..model import Kind, Recording
from ..timebase import nearest_ms, nearest_ms_array

try:  # the interpreter's own SHA-1: for short names a quarter quicker to set up than OpenSSL's, the same digest
    from _sha1 import sha1 as _sha1
except ImportError:  # pragma: no cover - a build without it
    _sha1 = hashlib.sha1

# Fixed namespace for ids derived from an event's content (never change it: re-imports rely on it).
EVENT_ID_NAMESPACE = uuid.UUID("5d3c1f0e-8a4b-5c6d-9e7f-0a1b2c3d4e5f")
HEX32 = re.compile(r"^[0-9a-f]{32}$")
_HEX_BYTE = np.zeros(256, dtype=bool)  # True at the bytes of 0-9 and a-f
_HEX_BYTE[np.frombuffer(b"0123456789abcdef", dtype=np.uint8)] = True


def recording_key(recording: Recording) -> str:
    """Return what derived event ids hang on: the content hash, else the id, else the path."""
    if recording.content_hash:
        return f"sha:{recording.content_hash}"
    if recording.id is not None:
        return f"id:{recording.id}"
    return f"path:{recording.path}"


def all_hex_ids(ids: Sequence[object]) -> bool:
    """Return True when every id is a str of 32 lower-case hex digits (the ids this tool writes)."""
    try:
        joined = "\n".join(ids).encode("ascii") + b"\n"  # type: ignore[arg-type]
    except (TypeError, UnicodeEncodeError):
        return False
    if len(joined) != 33 * len(ids):
        return False
    rows = np.frombuffer(joined, dtype=np.uint8).reshape(len(ids), 33)
    return bool(_HEX_BYTE[rows[:, :32]].all() and (rows[:, 32] == 10).all())


class SeenKeys:
    """A set of 32-hex ids kept in 16 bytes each, in sorted parts, each at least twice the size of the next.

    A part holds its keys as two 64-bit words: a mix of both halves of the key
    (sorted: numpy sorts and searches it an order of magnitude quicker than
    16-byte strings) and the key's second half, which with the mix gives the
    whole key back, so a key is found where both words match. A part in which
    two keys mix alike (only a file made to do so) holds the keys themselves,
    sorted. Adding merges parts so that there are only a few (about log2 of
    the count): no lookup walks dozens of blocks.
    """

    _MIX = np.uint64(0x9E3779B97F4A7C15)

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray | None, np.ndarray]] = []  # (sorted mixes, second halves) or (None, keys)

    @staticmethod
    def keys(ids: Sequence[str]) -> np.ndarray:
        """Return 32-hex ids as an array of their 16 bytes."""
        return np.frombuffer(bytes.fromhex("".join(ids)), dtype="S16").copy()

    @classmethod
    def _words(cls, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return (mix, second half) of each key; the mix wraps (a mix, not a number)."""
        halves = keys.view("<u8").reshape(-1, 2)
        low = np.ascontiguousarray(halves[:, 1])
        return halves[:, 0] ^ (low * cls._MIX), low

    @classmethod
    def _keys_of(cls, part: tuple[np.ndarray | None, np.ndarray]) -> np.ndarray:
        mixes, rest = part
        if mixes is None:
            return rest
        halves = np.empty((len(rest), 2), dtype="<u8")
        halves[:, 0], halves[:, 1] = mixes ^ (rest * cls._MIX), rest
        return halves.view("S16").reshape(-1)

    def contains(self, keys: np.ndarray) -> np.ndarray:
        """Return a bool array: True where the key was added before."""
        found = np.zeros(len(keys), dtype=bool)
        mixes, low = self._words(keys) if self.parts else (None, None)
        for sorted_mixes, rest in self.parts:
            if sorted_mixes is None:
                at = np.minimum(np.searchsorted(rest, keys), len(rest) - 1)
                found |= rest[at] == keys
            else:
                at = np.minimum(np.searchsorted(sorted_mixes, mixes), len(rest) - 1)
                found |= (sorted_mixes[at] == mixes) & (rest[at] == low)
        return found

    def add(self, keys: np.ndarray) -> None:
        """Remember ``keys`` (keys not added before)."""
        if not len(keys):
            return
        mixes, low = self._words(keys)
        order = np.argsort(mixes)
        self.parts.append(self._checked(mixes[order], low[order]))
        while len(self.parts) > 1 and len(self.parts[-2][1]) <= 2 * len(self.parts[-1][1]):
            last = self.parts.pop()
            self.parts[-1] = self._merged(self.parts[-1], last)

    def _merged(self, one: tuple[np.ndarray | None, np.ndarray],
                other: tuple[np.ndarray | None, np.ndarray]) -> tuple[np.ndarray | None, np.ndarray]:
        """Return the part holding the keys of two parts (sorted ones merged in place of a new sort)."""
        if one[0] is None or other[0] is None:
            return (None, np.sort(np.concatenate([self._keys_of(one), self._keys_of(other)])))
        at = np.searchsorted(one[0], other[0]) + np.arange(len(other[0]))
        keep = np.ones(len(one[0]) + len(other[0]), dtype=bool)
        keep[at] = False
        merged = []
        for mine, theirs in zip(one, other):
            out = np.empty(len(keep), dtype=mine.dtype)
            out[at], out[keep] = theirs, mine
            merged.append(out)
        return self._checked(*merged)

    def _checked(self, mixes: np.ndarray, low: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
        """Return the part of keys sorted by their mixes, or one of the keys when two keys mix alike."""
        if (mixes[1:] == mixes[:-1]).any():
            return None, np.sort(self._keys_of((mixes, low)))
        return mixes, low


class EventIds:
    """Give the events of one file for one recording their ids (see the module note), a block of rows at a time.

    What it keeps across blocks is small: the first derived id of each content
    (16 bytes) and a counter for each content that repeats.
    """

    def __init__(self, recording: Recording):
        self.key = recording_key(recording)
        self._firsts = SeenKeys()
        self._repeats: dict[str, int] = {}

    def mark(self) -> tuple[list[np.ndarray], dict[str, int]]:
        """Return what :meth:`undo` needs to forget the ids assigned after this call."""
        return list(self._firsts.parts), dict(self._repeats)

    def undo(self, mark: tuple[list[np.ndarray], dict[str, int]]) -> None:
        """Forget the ids assigned since :meth:`mark` gave ``mark`` (their events were not kept)."""
        self._firsts.parts, self._repeats = list(mark[0]), dict(mark[1])

    def from_file(self, raw: str) -> str:
        """Return the event id for an id cell of the file (kept when already a 32-hex id)."""
        if len(raw) == 32 and HEX32.match(raw):  # the usual case: an id this tool wrote
            return raw
        text = raw.strip()
        low = text.lower()
        if low.startswith("urn:uuid:"):
            low = low[9:]
        low = low.strip("{}").replace("-", "")
        if HEX32.match(low):
            return low
        return uuid5_hex(f"{self.key}\x1fid\x1f{text}")

    def derived(self, kind: Kind, start_s: float, end_s: float | None, label: str) -> str:
        """Return the content-derived id of one validated event that carries none."""
        return self.assign([kind], [start_s], [end_s], [label])[0]

    def assign(self, kinds: Sequence[Kind], starts: Sequence[float], ends: Sequence[float | None],
               labels: Sequence[str], raw_ids: Sequence[str | None] | None = None) -> list[str]:
        """Return the ids of validated events given as columns, in order (``raw_ids``: the file's id cells or None).

        Calling it block after block gives what one call on all the rows gives.
        """
        if raw_ids is not None and all_hex_ids(raw_ids):
            return list(raw_ids)
        ids: list[str | None] = [None] * len(kinds)
        todo = list(range(len(kinds)))
        if raw_ids is not None:
            todo = []
            for i, raw in enumerate(raw_ids):
                if raw is not None and raw.strip():
                    ids[i] = self.from_file(raw)
                else:
                    todo.append(i)
        if len(todo) == len(kinds):
            ids = self._derive(kinds, starts, ends, labels)
        elif todo:
            pick = [kinds[i] for i in todo], [starts[i] for i in todo], [ends[i] for i in todo], [labels[i] for i in todo]
            for i, got in zip(todo, self._derive(*pick)):
                ids[i] = got
        return ids  # type: ignore[return-value]

    def _derive(self, kinds: Sequence[Kind], starts: Sequence[float], ends: Sequence[float | None],
                labels: Sequence[str]) -> list[str]:
        count = len(kinds)
        names = list(map("\x1f".join, zip([self.key] * count, map(attrgetter("_value_"), kinds),
                                          _ms_cells(starts), _ms_cells(ends), labels)))
        ids = uuid5_hex_many(names)
        keys = SeenKeys.keys(ids)
        before = self._firsts.contains(keys)
        if len(set(names)) == count and not before.any():
            self._firsts.add(keys)
            return ids
        here: set[str] = set()
        first = np.zeros(count, dtype=bool)
        for i, name in enumerate(names):  # repeats of one content: #1, #2, ... in the order of the file
            n = self._repeats.get(name) or (1 if before[i] or name in here else 0)
            here.add(name)
            if n:
                self._repeats[name] = n + 1
                ids[i] = uuid5_hex(f"{name}\x1f#{n}")
            else:
                first[i] = True
        self._firsts.add(keys[first])
        return ids


def _ms_cells(times: Sequence[float | None]) -> list[str]:
    """Return each time as its nearest whole milliseconds in decimal, None as ``""`` (the parts of a derived id)."""
    if not set(map(type, times)) <= {float, type(None)}:
        return ["" if t is None else str(nearest_ms(t)) for t in times]
    seconds = np.array(times, dtype=np.float64)  # None -> NaN
    missing = np.isnan(seconds)
    cells = list(map(str, nearest_ms_array(np.where(missing, 0.0, seconds)).tolist()))
    for i in np.flatnonzero(missing).tolist():
        cells[i] = ""
    return cells


_NAMESPACE_BYTES = EVENT_ID_NAMESPACE.bytes


def uuid5_hex_many(names: Sequence[str]) -> list[str]:
    """Return ``[uuid5_hex(name) for name in names]``, the bit twiddling and hex done for all at once."""
    count = len(names)
    if not count:
        return []
    sha1, ns = _sha1, _NAMESPACE_BYTES
    digests = b"".join([sha1(ns + name).digest() for name in _encoded(names)])
    raw = np.frombuffer(digests, dtype=np.uint8).reshape(count, 20)[:, :16].copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x50  # version 5
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
    text = raw.tobytes().hex()
    return [text[i : i + 32] for i in range(0, 32 * count, 32)]


def _encoded(names: Sequence[str]) -> list[bytes]:
    """Return the UTF-8 bytes of each name: one encode of them all when no name holds a NUL (the separator)."""
    joined = "\x00".join(names)
    if joined.count("\x00") != len(names) - 1:
        return [name.encode("utf-8") for name in names]
    return joined.encode("utf-8").split(b"\x00")


def uuid5_hex(name: str) -> str:
    """Return ``uuid.uuid5(EVENT_ID_NAMESPACE, name).hex``, computed without building UUID objects."""
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + name.encode("utf-8")).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    return digest.hex()
