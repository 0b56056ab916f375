"""A video decoder that knows where it is: decode frame i, seeking only when that is cheaper.

:class:`PositionedDecoder` returns raw decoded frames by index (of a
:class:`~.timeindex.TimeIndex`), checking each against the decoder's own
timestamp. It keeps its position, so a target ahead in the same GOP (a frame
step, scrubbing forward, iterating) decodes only the frames in between; on the
way to a target it lets the decoder skip frames nothing refers to
(``skip_frame = NONREF``, set per packet and only for packets before the
target, which frame threading copies per packet); it remembers recently decoded
frames in a bounded cache.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from pathlib import Path
from typing import Iterator

import av
import numpy as np

from .container import undecodable
from .stream import StreamReader
from .timeindex import TimeIndex

# Seeking costs roughly this many frame decodes (flush, thread restart, keyframe):
# a target further ahead than this past the next keyframe is reached by seeking.
_SEEK_COST_FRAMES = 4
_MAX_SEEK_RETRIES = 4


class LRU:
    """An ordered dict bounded by the total size of its values (keeps at least one)."""

    def __init__(self, budget: int):
        self.budget = budget
        self.items: OrderedDict[int, tuple[object, int]] = OrderedDict()
        self.used = 0

    def get(self, key: int) -> object | None:
        """Return the value under ``key`` (now the most recent), or None."""
        hit = self.items.get(key)
        if hit is None:
            return None
        self.items.move_to_end(key)
        return hit[0]

    def put(self, key: int, value: object, size: int) -> None:
        """Store ``value`` of ``size`` bytes, dropping the least recent values over budget."""
        old = self.items.pop(key, None)
        if old is not None:
            self.used -= old[1]
        self.items[key] = (value, size)
        self.used += size
        while self.used > self.budget and len(self.items) > 1:
            _, (_, dropped) = self.items.popitem(last=False)
            self.used -= dropped

    def clear(self) -> None:
        self.items.clear()
        self.used = 0


class PositionedDecoder:
    """Decodes frames of one video stream by index; owns its own demuxer. Not thread-safe.

    ``thread_type`` is FFmpeg's decoder threading ("AUTO", "SLICE", "FRAME",
    "NONE"); ``skip_nonref`` allows skipping non-reference frames before a target;
    ``cache_bytes`` bounds the decoded frames kept for reuse (0: none kept).
    """

    def __init__(self, path: Path, index: TimeIndex, *, thread_type: str, skip_nonref: bool, cache_bytes: int):
        self.path = path
        self.index = index
        self.thread_type = thread_type
        self.skip_nonref = skip_nonref
        self.cache = LRU(cache_bytes)
        self.seeks = 0  # how many times the demuxer was moved (for benchmarks and tests)
        self._pts = index.pts
        self._ready: deque = deque()
        self._skip_below: int | None = None
        self._margin = 0  # ticks to seek before the target; grows if the demuxer seeks imprecisely
        self._file = StreamReader(path, index, thread_type=thread_type, with_audio=False)
        self._cc = self._file.video.codec_context
        self._reset(self._file.packets())

    def close(self) -> None:
        self._packets = None
        self._file.close()

    def decode(self, target: int) -> av.VideoFrame:
        """Return the decoded frame ``target`` (an index into the TimeIndex).

        If the target frame itself is damaged, returns the frame before it (what a
        player shows). Raises UndecodableMediaError if nothing can be decoded there.
        """
        raw = self.cache.get(target)
        if raw is not None:
            return raw
        target_pts = int(self._pts[target])
        if not self._can_continue(target_pts):
            self._seek(target_pts)
        found, before = self._run_to(target_pts, self.skip_nonref)
        retries = 0
        while found is None and retries < _MAX_SEEK_RETRIES:
            retries += 1
            if before is None:
                # The demuxer landed after the target (MPEG-TS, for one, seeks
                # imprecisely): from now on seek further back.
                self._margin = max(2 * self._margin, int(1 / self.index.time_base))
            if retries == _MAX_SEEK_RETRIES:
                self._restart()
            else:
                self._seek(target_pts)
            found, before = self._run_to(target_pts, skip=False)
            if before is not None:
                break  # decoded everything up to the target, and it is not there
        if found is None and before is not None:
            return before
        if found is None:
            raise undecodable(self.path, f"frame {target} at {float(self.index.time_of(target)):.3f} s")
        return found

    # --- moving ---------------------------------------------------------------

    def _can_continue(self, target_pts: int) -> bool:
        if self._pos is None or self._eof or self._pos >= target_pts:
            return False
        key = self.index.keyframe_before(target_pts)
        if key is not None and key <= self._pos:
            return True
        ahead = self.index.frames_between(self._pos, target_pts)
        return key is None or ahead <= self.index.frames_between(key, target_pts) + _SEEK_COST_FRAMES

    def _seek(self, target_pts: int) -> None:
        # Ask for the target itself: demuxers pick the last keyframe that can be
        # decoded to show it (mov turns the time into its decode-time index).
        try:
            self._file.seek_pts(target_pts - self._margin)
        except av.FFmpegError:
            self._restart()
            return
        self.seeks += 1
        self._reset(self._file.packets())

    def _restart(self) -> None:
        """Reopen the file: the demuxer and decoder start again at its first byte."""
        self._file.rewind()
        self._cc = self._file.video.codec_context
        self.seeks += 1
        self._reset(self._file.packets())

    def _reset(self, packets: Iterator[av.Packet]) -> None:
        self._packets = packets
        self._ready.clear()
        self._pos: int | None = None  # pts of the last frame out of the decoder
        self._eof = False

    # --- decoding -------------------------------------------------------------

    def _run_to(self, target_pts: int, skip: bool) -> tuple[av.VideoFrame | None, av.VideoFrame | None]:
        """Decode forward to the frame with ``target_pts``.

        Returns (that frame or None, the last frame before it seen on the way or
        None): (None, None) means the output started past the target or ended.
        """
        self._skip_below = target_pts if skip else None
        before = None
        try:
            while True:
                frame = self._next_frame()
                if frame is None:
                    return None, before
                if frame.pts == target_pts:
                    return frame, before
                if frame.pts > target_pts:
                    return None, before
                before = frame
        finally:
            self._skip_below = None
            self._cc.skip_frame = "DEFAULT"

    def _next_frame(self) -> av.VideoFrame | None:
        """Return the next frame in presentation order (and cache it), or None at the end."""
        while not self._ready:
            if self._eof or self._packets is None:
                return None
            packet = next(self._packets, None)
            if packet is None or (packet.size == 0 and packet.pts is None):
                self._eof = True
                self._packets = None
                self._cc.skip_frame = "DEFAULT"
                frames = self._safe_decode(None)
            else:
                below = self._skip_below
                skippable = below is not None and packet.pts is not None and packet.pts < below and not packet.is_keyframe
                self._cc.skip_frame = "NONREF" if skippable else "DEFAULT"
                frames = self._safe_decode(packet)
            self._ready.extend(frames)
        frame = self._ready.popleft()
        if frame.pts is None:  # rare: the decoder gave no timestamp; it is the next frame
            after = int(np.searchsorted(self._pts, self._pos, side="right")) if self._pos is not None else 0
            frame.pts = int(self._pts[min(after, self.index.frame_count - 1)])
        self._pos = frame.pts
        idx = self.index.index_of_pts(frame.pts)
        if idx is not None and self.cache.budget:  # (a budget of 0: no cache, not even its sizes)
            self.cache.put(idx, frame, sum(p.buffer_size for p in frame.planes))
        return frame

    def _safe_decode(self, packet: av.Packet | None) -> list[av.VideoFrame]:
        try:
            return self._cc.decode(packet)
        except av.FFmpegError:
            return []  # a damaged packet: its frame is missing, decode() copes
