"""An input video opened for export: its facts, its streams, and exact frame times."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import av

from ..errors import FrameOutOfRangeError
from ..media import inspect
from ..media.container import open_video
from .frames import display_size


class Source:
    """An open input: ``info`` (VideoInfo), the video and first audio stream, decoding threaded.

    Times are exact Fractions in seconds from the first frame (= 0). Close it
    (or use it as a context manager) when done. Raises the foundation's
    MediaError subclasses for files that cannot be used.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.info, self.index = inspect(self.path)
        index = self.index
        self.first_pts = index.first_pts
        self.frame_count = index.frame_count
        self.container, self.video = open_video(self.path)
        self.video.codec_context.thread_type = "AUTO"
        self.audio = next(iter(self.container.streams.audio), None)
        self.time_base = Fraction(self.video.time_base)
        self.duration = Fraction(self.info.duration)
        self.origin = self.first_pts * self.time_base  # container clock time of t = 0
        self.size = display_size(
            self.info.coded_width, self.info.coded_height, self.info.rotation, self.info.sample_aspect_ratio
        )

    def __enter__(self) -> "Source":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.container.close()

    def time_of(self, frame: av.VideoFrame, previous: Fraction | None) -> Fraction:
        """Return ``frame``'s time from the first frame; a frame without a timestamp follows the previous one."""
        pts = frame.pts if frame.pts is not None else frame.dts
        if pts is None:
            step = 1 / self.info.fps if self.info.fps else Fraction(1, 30)
            return Fraction(0) if previous is None else previous + step
        return (pts - self.first_pts) * self.time_base

    def seek(self, t: Fraction) -> None:
        """Position the demuxer at (or before) the keyframe that starts the GOP holding time ``t``.

        Decoders are flushed. Some containers (MPEG-TS) seek by byte position and may land
        later; :func:`~.loop.write_segment` checks the first frame and seeks further back then.
        """
        if t <= 0:
            if self.moved:
                self.rewind()
            return
        ticks = self.first_pts + max(Fraction(t), Fraction(0)) / self.time_base
        key = self.index.keyframe_before(int(ticks // 1))
        self.container.seek(key if key is not None else self.first_pts, stream=self.video, backward=True)

    def rewind(self) -> None:
        """Reopen the file, so reading starts again at the very first packet (exact on every container)."""
        self.container.close()
        self.container, self.video = open_video(self.path)
        self.video.codec_context.thread_type = "AUTO"
        self.audio = next(iter(self.container.streams.audio), None)
        self.moved = False

    moved = False  # set by readers once the demuxer has left the start

    def check_time(self, t: float, what: str = "time") -> None:
        """Raise FrameOutOfRangeError if ``t`` seconds lies outside 0..duration."""
        if not 0 <= t <= float(self.duration):
            raise FrameOutOfRangeError(
                f"{what} {t:.3f} s is outside {self.path.name} (0 to {float(self.duration):.3f} s); pick a time inside it",
                self.path,
            )
