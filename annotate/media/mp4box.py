"""Just enough ISO-BMFF (mp4/mov) box reading to get a track's composition offsets.

FFmpeg's mov demuxer exposes each sample's decode time through
``stream.index_entries`` but not its composition offset (``ctts``), which turns a
decode time into a presentation time when B-frames reorder pictures. Reading the
``ctts`` box ourselves gives every presentation time without reading a single
media byte, so a one-hour recording is probed in milliseconds.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_CONTAINER_BOXES = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts"}


@dataclass(frozen=True)
class TrackTables:
    """A track's samples in decode order: decode times from 0, composition offsets, sync flags."""

    sample_count: int
    decode_times: np.ndarray  # int64, from stts, first sample at 0
    composition_offsets: np.ndarray  # int64, from ctts; zeros when the track has none
    is_sync: np.ndarray  # bool, from stss; all True when the track has none
    fragmented: bool


@dataclass(frozen=True)
class TopLevelLayout:
    """Where the top-level boxes are: ``boxes`` as (type, offset, size); ``truncated`` if one runs past EOF."""

    boxes: tuple[tuple[bytes, int, int], ...]
    file_size: int
    truncated: bool

    def offset_of(self, kind: bytes) -> int | None:
        """Return the file offset of the first top-level box of ``kind``, or None."""
        for name, offset, _ in self.boxes:
            if name == kind:
                return offset
        return None


def top_level_boxes(path: str | Path, limit: int = 10_000) -> TopLevelLayout:
    """Return the top-level box layout of an ISO-BMFF file (reads only box headers)."""
    path = Path(path)
    size = path.stat().st_size
    boxes: list[tuple[bytes, int, int]] = []
    truncated = False
    with open(path, "rb") as fh:
        pos = 0
        while pos + 8 <= size and len(boxes) < limit:
            fh.seek(pos)
            head = fh.read(16)
            box_size, kind = struct.unpack(">I4s", head[:8])
            if box_size == 1:
                if len(head) < 16:
                    truncated = True
                    break
                box_size = struct.unpack(">Q", head[8:16])[0]
            elif box_size == 0:
                box_size = size - pos
            if box_size < 8:
                break  # not a box: garbage or not ISO-BMFF
            boxes.append((kind, pos, box_size))
            if pos + box_size > size:
                truncated = True
                break
            pos += box_size
    return TopLevelLayout(tuple(boxes), size, truncated)


def _children(data: bytes, start: int, end: int):
    pos = start
    while pos + 8 <= end:
        box_size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if box_size == 1:
            box_size = struct.unpack_from(">Q", data, pos + 8)[0]
            header = 16
        elif box_size == 0:
            box_size = end - pos
        if box_size < header or pos + box_size > end:
            return
        yield kind, pos + header, pos + box_size
        pos += box_size


def _find(data: bytes, start: int, end: int, kind: bytes):
    for name, body, stop in _children(data, start, end):
        if name == kind:
            return body, stop
    return None


def read_track_tables(path: str | Path, track_id: int) -> TrackTables | None:
    """Return the sample tables of track ``track_id``, or None if they cannot be read simply.

    None means: not ISO-BMFF, no ``moov``, no such track, or a ``stz2``/odd layout;
    the caller then scans packets instead.
    """
    layout = top_level_boxes(path)
    moov = next(((o, s) for k, o, s in layout.boxes if k == b"moov"), None)
    if moov is None or layout.truncated and moov[0] + moov[1] > layout.file_size:
        return None
    with open(path, "rb") as fh:
        fh.seek(moov[0])
        data = fh.read(moov[1])
    header = 16 if struct.unpack_from(">I", data, 0)[0] == 1 else 8
    fragmented = _find(data, header, len(data), b"mvex") is not None
    for kind, body, stop in _children(data, header, len(data)):
        if kind != b"trak":
            continue
        tkhd = _find(data, body, stop, b"tkhd")
        if tkhd is None:
            continue
        version = data[tkhd[0]]
        tid = struct.unpack_from(">I", data, tkhd[0] + (20 if version == 1 else 12))[0]
        if tid != track_id:
            continue
        node = (body, stop)
        for step in (b"mdia", b"minf", b"stbl"):
            node = _find(data, node[0], node[1], step)
            if node is None:
                return None
        stsz = _find(data, node[0], node[1], b"stsz")
        stts = _find(data, node[0], node[1], b"stts")
        if stsz is None or stts is None:
            return None
        count = struct.unpack_from(">I", data, stsz[0] + 8)[0]
        deltas = _expand(data, stts[0], count, signed=False)
        offsets = np.zeros(count, dtype=np.int64)
        ctts = _find(data, node[0], node[1], b"ctts")
        if ctts is not None:
            offsets = _expand(data, ctts[0], count, signed=True)
        if deltas is None or offsets is None:
            return None
        decode_times = np.zeros(count, dtype=np.int64)
        np.cumsum(deltas[:-1], out=decode_times[1:])
        sync = np.ones(count, dtype=bool)
        stss = _find(data, node[0], node[1], b"stss")
        if stss is not None:
            entries = struct.unpack_from(">I", data, stss[0] + 4)[0]
            if stss[0] + 8 + 4 * entries > len(data):
                return None
            numbers = np.frombuffer(data, dtype=">u4", count=entries, offset=stss[0] + 8).astype(np.int64)
            if entries and (numbers.min() < 1 or numbers.max() > count):
                return None
            sync[:] = False
            sync[numbers - 1] = True
        return TrackTables(count, decode_times, offsets, sync, fragmented)
    return None


def _expand(data: bytes, body: int, count: int, *, signed: bool) -> np.ndarray | None:
    """Expand a run-length (count, value) table (stts, ctts) to one value per sample, or None if inconsistent."""
    entries = struct.unpack_from(">I", data, body + 4)[0]
    if body + 8 + 8 * entries > len(data):
        return None
    table = np.frombuffer(data, dtype=">i4" if signed else ">u4", count=2 * entries, offset=body + 8).reshape(-1, 2)
    counts = table[:, 0].astype(np.int64) & 0xFFFFFFFF
    if counts.sum() != count:
        return None
    return np.repeat(table[:, 1].astype(np.int64), counts)
