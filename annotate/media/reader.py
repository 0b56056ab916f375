"""Frame-exact reading: the frame shown at time t, frame steps, and streaming iteration.

"The frame shown at t" is the last frame whose presentation time is <= t, with t
measured from the first frame (= 0). Times come from the container
(:mod:`.timeindex`), so the answer is exact for variable frame rates, start
offsets and B-frames alike, and every decoded frame is checked against the
decoder's own timestamp (:mod:`.decoder`).

Speed comes from not repeating work: the decoder keeps its position (a step or
a short scrub forward decodes only the frames in between), skips frames nothing
refers to on the way to a target, converts only the returned frame to BGR, and
small bounded caches hold recent decoded and returned frames. Decoding uses
FFmpeg's AUTO (frame) threading: slice threading restarts a little faster after
a seek, but frame threading has the next frame ready when a step follows a seek
and decodes runs fastest (bench/seek.py measures all of them). ``frames()`` uses
a decoder of its own, so iterating leaves the random-access position and caches
alone.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from fractions import Fraction
from typing import Iterator

import av
import numpy as np

from ..errors import FrameOutOfRangeError
from ..timebase import Number, to_fraction
from .convert import to_bgr, upright
from .decoder import LRU, PositionedDecoder
from .probe import VideoInfo, inspect
from .timeindex import TimeIndex

_RAW_CACHE_BYTES = 48 * 2**20  # about 34 decoded 720p frames
_BGR_CACHE_BYTES = 24 * 2**20  # about 8 returned 720p frames
_STREAM_CACHE_BYTES = 8 * 2**20


@dataclass(frozen=True, eq=False)
class Frame:
    """A decoded frame: ``index`` (0-based), ``time`` in seconds from the first frame,
    ``pts`` on the container's clock (stream time base), ``image`` BGR uint8, upright,
    shaped (info.height, info.width, 3)."""

    index: int
    time: Fraction
    pts: int
    image: np.ndarray


class VideoReader:
    """Read frames of one video by time or index; use as a context manager.

    Calls from several threads are serialised by a lock (a Streamlit session may
    share one reader); ``frames()`` decodes with a decoder of its own, so an
    iteration may run beside ``frame_at`` calls. ``thread_type`` is the
    random-access decoder's threading ("AUTO", "SLICE", "FRAME" or "NONE"),
    ``stream_thread_type`` that of ``frames()``; ``skip_nonref`` lets the decoder
    skip non-reference frames on the way to a target. Raises the MediaError
    subclasses of :func:`annotate.media.probe`.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        thread_type: str = "AUTO",
        stream_thread_type: str = "AUTO",
        skip_nonref: bool = True,
    ):
        self.info: VideoInfo
        self.index: TimeIndex
        self.info, self.index = inspect(path)
        self.path = self.info.path
        self._stream_thread_type = stream_thread_type
        self._skip_nonref = skip_nonref
        self._decoder = PositionedDecoder(
            self.path, self.index, thread_type=thread_type, skip_nonref=skip_nonref, cache_bytes=_RAW_CACHE_BYTES
        )
        self._bgr = LRU(_BGR_CACHE_BYTES)
        self._last: int | None = None
        self._pts = self.index.pts
        self._resize = (self.info.width, self.info.height) if self.info.sample_aspect_ratio != 1 else None
        self._lock = threading.RLock()

    @property
    def seeks(self) -> int:
        """How many times the random-access demuxer was moved (for benchmarks and tests)."""
        return self._decoder.seeks

    # --- public API ----------------------------------------------------------

    @property
    def frame_times(self) -> list[Fraction]:
        """Every frame's time in seconds from the first frame (sorted, first = 0); a fresh list."""
        return list(self.index.frame_times)

    @property
    def frame_count(self) -> int:
        return self.index.frame_count

    @property
    def position(self) -> int | None:
        """The index of the last frame returned (None before the first)."""
        return self._last

    def index_at(self, t: Number) -> int:
        """Return the index of the frame shown at ``t`` seconds; raise FrameOutOfRangeError outside 0..duration."""
        ft = to_fraction(t)
        if ft < 0 or ft > self.info.duration:
            raise FrameOutOfRangeError(
                f"time {float(ft):.3f} s is outside {self.path.name} (0 to {self.info.duration_s:.3f} s); pick a time inside the video",
                self.path,
            )
        return min(self.index.index_at(ft), self.frame_count - 1)

    def frame_at(self, t: Number) -> Frame:
        """Return the frame shown at ``t`` seconds from the first frame (last frame with time <= t).

        ``t`` may be int, float or Fraction; t == duration gives the last frame.
        Raises FrameOutOfRangeError outside 0..duration.
        """
        return self.frame(self.index_at(t))

    def frame(self, index: int) -> Frame:
        """Return frame ``index`` (0-based); raise FrameOutOfRangeError outside the video."""
        if not 0 <= index < self.frame_count:
            raise FrameOutOfRangeError(
                f"frame {index} is outside {self.path.name} (frames 0 to {self.frame_count - 1}); pick a frame inside the video",
                self.path,
            )
        with self._lock:
            hit = self._bgr.get(index)
            if hit is None:
                hit = self._to_frame(index, self._decoder.decode(index))
                self._bgr.put(index, hit, hit.image.nbytes)
            self._last = index
            return hit

    def step(self, delta: int = 1) -> Frame:
        """Return the frame ``delta`` frames after (negative: before) the last one returned.

        Before any frame was read, step(+1) gives frame 0. Raises
        FrameOutOfRangeError past either end.
        """
        with self._lock:
            base = -1 if self._last is None else self._last
            return self.frame(base + delta)

    def frames(self, start_s: Number = 0, end_s: Number | None = None) -> Iterator[Frame]:
        """Yield every frame shown from ``start_s`` up to and including ``end_s`` (default: the end), in order.

        The first frame is the one shown at ``start_s``. Streaming, with a decoder of
        its own (frame threading): memory does not grow with the length of the video.
        """
        first = self.index_at(start_s)
        last = self.frame_count - 1 if end_s is None else self.index_at(end_s)
        decoder = PositionedDecoder(
            self.path, self.index, thread_type=self._stream_thread_type, skip_nonref=self._skip_nonref,
            cache_bytes=_STREAM_CACHE_BYTES,
        )
        try:
            for i in range(first, last + 1):
                raw = decoder.decode(i)
                with self._lock:
                    self._last = i
                yield self._to_frame(i, raw)
        finally:
            decoder.close()

    def clear_cache(self) -> None:
        """Forget cached frames (the decoder keeps its position)."""
        with self._lock:
            self._decoder.cache.clear()
            self._bgr.clear()

    def close(self) -> None:
        self._decoder.close()

    def __enter__(self) -> "VideoReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- conversion ----------------------------------------------------------

    def _to_frame(self, index: int, raw: av.VideoFrame) -> Frame:
        image = upright(to_bgr(raw), self.info.rotation, self._resize)
        return Frame(index=index, time=self.index.time_of(index), pts=int(self._pts[index]), image=image)
