"""Every frame's presentation time, read from the container without decoding.

For mp4/mov the demuxer already holds a full sample index (decode times) and the
``ctts`` box holds the composition offsets, so presentation times cost no media
I/O at all (:mod:`.mp4box`). Other containers (Matroska, WebM, AVI, MPEG-TS) are
scanned packet by packet: the demuxer reads the file once, nothing is decoded.

The result, :class:`TimeIndex`, also decides the frame rate (a Fraction), whether
the video has a variable frame rate, and where the last frame ends.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from pathlib import Path

import av
import numpy as np

from av.container import InputContainer
from av.video.stream import VideoStream

from ..errors import TruncatedMediaError
from .container import undecodable
from .mp4box import read_track_tables, top_level_boxes
from .rates import nominal_rate

_MAX_LAST_FRAME = 60  # seconds: a container claiming its last frame lasts longer than this is not believed


@dataclass(frozen=True, eq=False)
class TimeIndex:
    """Presentation times of a video stream's frames.

    ``pts`` holds every frame's presentation timestamp (stream ``time_base`` ticks,
    sorted, one per frame the decoder outputs); ``key_pts`` the keyframes' (seek
    points); ``duration`` runs from the first frame to the end of the last one.
    """

    time_base: Fraction
    pts: np.ndarray
    key_pts: np.ndarray
    duration: Fraction
    fps: Fraction
    vfr: bool
    method: str  # "index" (container index, no media read) or "scan" (packets demuxed)

    @property
    def frame_count(self) -> int:
        return int(self.pts.size)

    @property
    def first_pts(self) -> int:
        return int(self.pts[0])

    @property
    def start_offset(self) -> Fraction:
        """Return the first frame's presentation time in seconds (the container's clock)."""
        return self.first_pts * self.time_base

    @cached_property
    def frame_times(self) -> list[Fraction]:
        """Return every frame's time in seconds relative to the first frame (first = 0)."""
        tb, first = self.time_base, self.first_pts
        return [Fraction(int(p) - first) * tb for p in self.pts]

    def time_of(self, index: int) -> Fraction:
        """Return frame ``index``'s time in seconds relative to the first frame."""
        return (int(self.pts[index]) - self.first_pts) * self.time_base

    def index_at(self, t: Fraction) -> int:
        """Return the index of the last frame whose time (relative, seconds) is <= ``t`` (0 for t < 0)."""
        ticks = self.first_pts + t / self.time_base
        limit = int(ticks // 1)  # floor: a frame at pts p is shown at t iff p <= ticks
        return max(0, int(np.searchsorted(self.pts, limit, side="right")) - 1)

    def index_of_pts(self, pts: int) -> int | None:
        """Return the index of the frame with presentation timestamp ``pts``, or None."""
        i = int(np.searchsorted(self.pts, pts))
        return i if i < self.pts.size and int(self.pts[i]) == pts else None

    def keyframe_before(self, pts: int) -> int | None:
        """Return the pts of the last keyframe at or before ``pts`` (None if there is none)."""
        i = int(np.searchsorted(self.key_pts, pts, side="right")) - 1
        return int(self.key_pts[i]) if i >= 0 else None

    def starting_at(self, first_pts: int) -> "TimeIndex":
        """Return the index without the frames before ``first_pts`` (the end of the last frame stays).

        A file cut in the middle of a GOP starts with frames no decoder can show;
        times count from the first frame that is actually decoded.
        """
        keep = self.pts >= first_pts
        if keep.all() or not keep.any():
            return self
        pts = self.pts[keep]
        end = self.first_pts * self.time_base + self.duration
        duration = end - int(pts[0]) * self.time_base
        return TimeIndex(
            time_base=self.time_base,
            pts=pts,
            key_pts=self.key_pts[self.key_pts >= first_pts],
            duration=duration,
            fps=self.fps if not self.vfr else Fraction(int(pts.size)) / duration,
            vfr=self.vfr,
            method=self.method,
        )

    def frames_between(self, a_pts: int, b_pts: int) -> int:
        """Return how many frames have a_pts < pts <= b_pts."""
        return int(np.searchsorted(self.pts, b_pts, side="right") - np.searchsorted(self.pts, a_pts, side="right"))


class FirstFrame:
    """Decodes packets handed to it until the stream's first picture comes out.

    The demuxer's empty end-of-stream packet drains the decoder: a clip shorter than the decoder's reorder
    delay (one or two frames of H.264 with B-frames) gives its picture only then. It is not counted in
    ``sent`` or ``rejected``.
    """

    def __init__(self, limit: int = 600):
        self.frame: av.VideoFrame | None = None
        self.sent = 0
        self.rejected = 0
        self.limit = limit

    def feed(self, packet: av.Packet) -> None:
        if self.frame is not None or self.sent >= self.limit:
            return
        drain = packet.size == 0 and packet.pts is None
        self.sent += not drain
        try:
            frames = packet.decode()
        except av.FFmpegError:
            self.rejected += not drain
            return
        self.frame = next((f for f in frames if not f.is_corrupt), None)


def build_time_index(
    path: str | os.PathLike, container: InputContainer, stream: VideoStream, method: str = "auto"
) -> tuple[TimeIndex, FirstFrame]:
    """Return the TimeIndex of ``stream`` in the freshly opened ``container``, and its first decoded frame.

    ``method`` "auto" takes the fastest source that works: for mp4/mov our own box tables, else FFmpeg's
    full index, else (and for other containers) a packet scan. "tables", "entries" (mp4/mov only) and
    "scan" force one (for tests and benchmarks). The container is left positioned anywhere. Raises
    TruncatedMediaError if the index points past the end of the file or the packet scan breaks off,
    UndecodableMediaError if the stream has no packets, ValueError if a forced source cannot be used.
    """
    path = Path(path)
    first = FirstFrame()
    if container.format.name.startswith("mov,mp4") and method != "scan":
        built = _from_mov_index(path, container, stream, first, method)
        if built is not None:
            return built, first
        if method != "auto":
            raise ValueError(f"the {method} of {path.name} cannot be used to time its frames")
        # The checks moved the demuxer (or disagreed with us): scan from a fresh start.
        with av.open(str(path)) as fresh:
            first = FirstFrame()
            return _from_packet_scan(path, fresh, fresh.streams[stream.index], first), first
    return _from_packet_scan(path, container, stream, first), first


# --- sources -----------------------------------------------------------------


def _from_mov_index(path: Path, container: InputContainer, stream: VideoStream, first: FirstFrame, method: str) -> TimeIndex | None:
    n = len(stream.index_entries)
    if n == 0:
        return None
    if top_level_boxes(path).truncated:
        raise TruncatedMediaError(
            f"{path.name} is cut short (its media data runs past the end of the file); copy the complete file again", path
        )
    tables = read_track_tables(path, stream.id)
    if tables is None or tables.fragmented or tables.sample_count != n:
        return None
    samples = None if method == "entries" else _samples_from_tables(stream.index_entries, tables)
    if samples is None and method == "tables":
        return None
    samples = samples or _samples_from_entries(stream.index_entries)
    dts, is_key, discard = samples
    pts = dts + tables.composition_offsets
    if not _agrees_with_demuxer(container, stream, pts, is_key, first):
        return None
    keep = ~discard
    return _finish(
        stream,
        pts[keep],
        pts[keep & is_key],
        last_duration=None,
        container_duration=stream.duration,
        method="index",
    )


_EDGE = 64  # edit lists discard frames only at the ends of a track; check this many there


def _samples_from_tables(entries, tables) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Return (dts, is_key, discard) from our own box tables, checked against FFmpeg's index.

    FFmpeg shifts decode times by the edit list; the shift is constant for the
    simple edit lists recorders write. Checking every entry would cost a Python
    object per frame (0.1 s an hour), so the ends and a spread of samples are
    compared; any disagreement returns None and the full index is used instead.
    """
    n = tables.sample_count
    shift = entries[0].timestamp - int(tables.decode_times[0])
    dts = tables.decode_times + shift
    discard = np.zeros(n, dtype=bool)
    head = entries[: min(_EDGE, n)]
    tail_start = max(0, n - _EDGE)
    tail = entries[tail_start:]
    for offset, chunk in ((0, head), (tail_start, tail)):
        for k, e in enumerate(chunk):
            i = offset + k
            if e.timestamp != dts[i] or e.is_keyframe != bool(tables.is_sync[i]):
                return None
            discard[i] = e.is_discard
    if n > _EDGE and (discard[_EDGE - 1] or discard[tail_start]):
        return None  # discarded frames reach past the checked ends
    for i in np.linspace(0, n - 1, num=min(n, 257)).astype(int):
        e = entries[int(i)]
        if e.timestamp != dts[i] or e.is_keyframe != bool(tables.is_sync[i]) or e.is_discard != discard[i]:
            return None
    return dts, tables.is_sync.copy(), discard


def _samples_from_entries(entries) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (dts, is_key, discard) from every entry of FFmpeg's index."""
    table = np.array([(e.timestamp, e.flags) for e in entries], dtype=np.int64).reshape(-1, 2)
    flags = table[:, 1]
    return table[:, 0], (flags & 1).astype(bool), (flags & 2).astype(bool)  # AVINDEX_KEYFRAME, AVINDEX_DISCARD_FRAME


def _agrees_with_demuxer(container, stream, pts: np.ndarray, is_key: np.ndarray, first: FirstFrame) -> bool:
    """Check the computed times against the demuxer's at the start and after the last keyframe.

    Decodes the start until the first picture comes out (into ``first``).
    """
    try:
        head = []
        for packet in container.demux(stream):
            if packet.pts is None and packet.size == 0:
                first.feed(packet)
                break
            head.append(packet.pts)
            first.feed(packet)
            if len(head) >= 16 and (first.frame is not None or first.sent >= first.limit):
                break
        if head != [int(p) for p in pts[: len(head)]]:
            return False
        keys = np.flatnonzero(is_key)
        if keys.size == 0:
            return False
        last_key = int(keys[-1])
        container.seek(int(pts[last_key]), stream=stream, backward=True)
        tail = [p.pts for p in container.demux(stream) if not (p.pts is None and p.size == 0)]
        expected = [int(p) for p in pts[last_key:]]
        return tail[-len(expected):] == expected if len(tail) >= len(expected) else False
    except av.FFmpegError:
        return False


def _from_packet_scan(path: Path, container: InputContainer, stream: VideoStream, first: FirstFrame) -> TimeIndex:
    saved = {s.index: s.discard for s in container.streams}
    for s in container.streams:
        if s.index != stream.index:
            s.discard = av.stream.Discard.all
    pts_list: list[int] = []
    key_list: list[int] = []
    last_duration = 0
    top = None
    broken = False
    try:
        for packet in container.demux(stream):
            if first.frame is None:
                first.feed(packet)
            if packet.size == 0 and packet.pts is None:
                continue
            if packet.is_discard:
                continue
            p = packet.pts if packet.pts is not None else packet.dts
            if p is None:
                continue
            pts_list.append(p)
            if packet.is_keyframe:
                key_list.append(p)
            if top is None or p >= top:
                top, last_duration = p, packet.duration or 0
    except av.FFmpegError:
        broken = True
    finally:
        for s in container.streams:
            s.discard = saved[s.index]
    if not pts_list:
        raise undecodable(path, "no video packets")
    if broken:
        raise TruncatedMediaError(f"{path.name} is damaged or cut short (reading stopped part-way); copy or export it again", path)
    pts = np.asarray(pts_list, dtype=np.int64)
    keys = np.asarray(key_list or [int(pts.min())], dtype=np.int64)
    _check_declared_end(path, container, stream, (top + last_duration) * Fraction(stream.time_base))
    return _finish(stream, pts, keys, last_duration=last_duration or None, container_duration=None, method="scan")


_AV_TIME_BASE = 1_000_000


def _check_declared_end(path: Path, container, stream, video_end_s: Fraction) -> None:
    """Raise TruncatedMediaError when a Matroska/WebM header promises much more than any stream holds.

    Matroska writes the segment's duration when a recording is finished, so a
    finished file copied only in part still declares its full length while its
    packets stop early. Another stream running on (audio after the picture
    ends) is fine; only when every stream stops short is the file cut.
    """
    if not container.format.name.startswith("matroska") or not container.duration:
        return
    start = Fraction(container.start_time or 0, _AV_TIME_BASE)
    declared_end = start + Fraction(container.duration, _AV_TIME_BASE)
    slack = max(Fraction(1), (declared_end - start) / 50)
    if declared_end - video_end_s <= slack:
        return
    others = [s for s in container.streams if s.index != stream.index and s.type in ("audio", "video")]
    latest = video_end_s
    if others:
        try:
            container.seek(int(video_end_s * _AV_TIME_BASE) - _AV_TIME_BASE, any_frame=True)
            for packet in container.demux(*others):
                if packet.pts is not None and packet.time_base is not None:
                    latest = max(latest, (packet.pts + (packet.duration or 0)) * Fraction(packet.time_base))
        except av.FFmpegError:
            pass
    if declared_end - latest > slack:
        raise TruncatedMediaError(
            f"{path.name} is cut short: its header says {float(declared_end - start):.1f} s but its data stops at "
            f"{float(latest - start):.1f} s; copy the complete file again",
            path,
        )


# --- rate, duration ----------------------------------------------------------


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """Return np.unique(values): by a sort, 10x cheaper than its hashing on a long file's timestamps."""
    ordered = np.sort(values, kind="stable")
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))] if ordered.size > 1 else ordered


def _finish(stream, pts: np.ndarray, key_pts: np.ndarray, *, last_duration, container_duration, method) -> TimeIndex:
    tb = Fraction(stream.time_base)
    pts = _sorted_unique(pts)  # a repeated timestamp shows one picture
    key_pts = _sorted_unique(key_pts)
    n = int(pts.size)
    span = int(pts[-1] - pts[0])
    intervals = np.diff(pts)
    # Timestamps rounded to a coarse clock (Matroska's milliseconds) jitter by up to
    # one tick, and keep that jitter when copied to a finer clock: allow max(1 tick, 1 ms).
    # A quarter frame caps it for clocks as coarse as the frame rate (AVI).
    tolerance = max(1.0, float(Fraction(1, 1000) / tb))
    if n >= 2:
        mean = span / (n - 1)
        tolerance = min(tolerance, mean / 4)
        vfr = bool(np.any(np.abs(intervals - mean) > tolerance))
    else:
        vfr = False
    fps = None if vfr or n < 2 else nominal_rate(stream, pts, tb, tolerance)
    # Where the last frame ends: the container's word if it has one and it is sane,
    # else one frame interval (1/fps for constant rate, the packet's or the previous interval otherwise).
    end = None
    max_ticks = _MAX_LAST_FRAME / tb
    if container_duration and span < container_duration <= span + max_ticks:
        end = Fraction(container_duration)
    elif fps is not None:
        end = span + 1 / (fps * tb)
    elif last_duration and 0 < last_duration <= max_ticks:
        end = Fraction(span + last_duration)
    elif n >= 2:
        end = Fraction(span + int(intervals[-1]))
    else:
        guess = stream.average_rate or stream.guessed_rate or Fraction(30)
        end = 1 / (Fraction(guess) * tb)
    duration = end * tb
    if fps is None:
        fps = Fraction(n) / duration if n >= 2 else Fraction(stream.average_rate or 0)
    return TimeIndex(time_base=tb, pts=pts, key_pts=key_pts, duration=duration, fps=fps, vfr=vfr, method=method)
