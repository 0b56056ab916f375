"""An input video opened for export: its facts, the size it is written at, read through :mod:`annotate.media`."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import av

from ..errors import FrameOutOfRangeError
from ..heap import pin_mmap_threshold
from ..media import inspect
from ..media.stream import StreamReader
from .frames import display_size


class Source(StreamReader):
    """An open input: ``info`` (VideoInfo), its streams and exact frame times (see
    :class:`~annotate.media.stream.StreamReader`), and ``size``, the even upright size it is written at
    (:func:`~.frames.display_size`), beside ``shown``, the size a player shows.

    Times are exact Fractions in seconds from the first frame (= 0). Close it
    (or use it as a context manager) when done. Raises the foundation's
    MediaError subclasses for files that cannot be used. Opening one pins the C library's mmap threshold
    first (:mod:`.heap`), so a long file's container tables do not spread over the heap.
    """

    def __init__(self, path: str | os.PathLike):
        pin_mmap_threshold()
        path = Path(path)
        self.info, index = inspect(path)
        super().__init__(path, index)
        self.frame_count = index.frame_count
        self.duration = Fraction(self.info.duration)
        self.shown = (self.info.width, self.info.height)
        self.size = display_size(
            self.info.coded_width, self.info.coded_height, self.info.rotation, self.info.sample_aspect_ratio
        )

    def __enter__(self) -> "Source":
        return self

    def time_of(self, frame: av.VideoFrame, previous: Fraction | None, fps: Fraction | None = None) -> Fraction:
        """Return ``frame``'s time from the first frame; a frame without a timestamp follows the previous one
        by one frame at the source's rate."""
        return super().time_of(frame, previous, fps or self.info.fps)

    def check_time(self, t: float, what: str = "time") -> None:
        """Raise FrameOutOfRangeError if ``t`` seconds lies outside 0..duration; return None otherwise."""
        if not 0 <= t <= float(self.duration):
            raise FrameOutOfRangeError(
                f"{what} {t:.3f} s is outside {self.path.name} (0 to {float(self.duration):.3f} s); pick a time inside it",
                self.path,
            )
