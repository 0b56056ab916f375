"""Streaming reads in file order: seek to a time, then the packets of the video (and audio) and their frames.

:class:`StreamReader` is the reading side every writer uses (the overlay export,
clips, reels and the browser proxy go through :mod:`annotate.export`, which reads
only through it): it opens the file, seeks to the keyframe before a time,
yields packets in demux order (so audio can be copied beside the video),
decodes them, skipping a damaged packet rather than abandoning the file, and
gives each decoded frame its exact time from the first frame (= 0). Random
access by frame index (:class:`~.reader.VideoReader`) reads through it too: its
:class:`~.decoder.PositionedDecoder` opens, seeks and demuxes with a video-only
StreamReader. All take their times from the same :class:`~.timeindex.TimeIndex`.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path
from typing import Iterator

import av

from ..errors import TruncatedMediaError
from .container import open_video
from .timeindex import TimeIndex


class StreamReader:
    """One open file read front to back (after an optional seek); use as a context manager.

    ``video`` is the video stream, decoded with FFmpeg's ``thread_type`` threading
    ("AUTO", "SLICE", "FRAME", "NONE"); ``audio`` the first audio stream, or None
    (always None with ``with_audio=False``: every other stream is then discarded, so
    seeking and reading touch only the video); ``origin`` is the container clock
    time (seconds) of the first frame. Raises the MediaError subclasses of
    :func:`~.container.open_video`.
    """

    def __init__(self, path: str | os.PathLike, index: TimeIndex, *, thread_type: str = "AUTO", with_audio: bool = True):
        self.path = Path(path)
        self.index = index
        self.first_pts = index.first_pts
        self.thread_type, self.with_audio = thread_type, with_audio
        self.moved = False  # True once packets were read: a seek to 0 must then reopen the file
        self._open()
        self.time_base = Fraction(self.video.time_base)
        self.origin = self.first_pts * self.time_base

    def _open(self) -> None:
        self.container, self.video = open_video(self.path)
        self.video.codec_context.thread_type = self.thread_type
        self.video.codec_context.thread_count = 0  # as many as FFmpeg finds useful
        self.audio = next(iter(self.container.streams.audio), None) if self.with_audio else None
        if not self.with_audio:
            for s in self.container.streams:
                if s.index != self.video.index:
                    s.discard = av.stream.Discard.all

    def __enter__(self) -> "StreamReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.container.close()

    def time_of(self, frame: av.VideoFrame, previous: Fraction | None, fps: Fraction | None = None) -> Fraction:
        """Return ``frame``'s time in seconds from the first frame.

        A frame without a timestamp follows ``previous`` by one frame at ``fps``
        (30 fps when unknown); the first such frame is at 0.
        """
        pts = frame.pts if frame.pts is not None else frame.dts
        if pts is None:
            step = 1 / fps if fps else Fraction(1, 30)
            return Fraction(0) if previous is None else previous + step
        return (pts - self.first_pts) * self.time_base

    def seek(self, t: Fraction) -> None:
        """Position the demuxer at (or before) the keyframe that starts the GOP holding time ``t``; return None.

        Decoders are flushed. ``t <= 0`` reopens the file if it was read (exact on
        every container). Some containers (MPEG-TS) seek by byte position and may
        land later: callers check the first frame's time and seek further back.
        """
        if t <= 0:
            if self.moved:
                self.rewind()
            return
        ticks = self.first_pts + Fraction(t) / self.time_base
        key = self.index.keyframe_before(int(ticks // 1))
        self.seek_pts(key if key is not None else self.first_pts)

    def seek_pts(self, pts: int) -> None:
        """Ask the demuxer for the last keyframe at or before ``pts`` (video time base ticks); return None.

        Raises av.FFmpegError when the container cannot seek there (callers rewind then).
        """
        self.container.seek(pts, stream=self.video, backward=True)
        self.moved = True

    def rewind(self) -> None:
        """Reopen the file, so reading starts again at its very first packet; return None."""
        self.container.close()
        self._open()
        self.moved = False

    def packets(self, with_audio: bool = False) -> Iterator[av.Packet]:
        """Yield the packets of the video stream (and the audio stream if ``with_audio``) in file order.

        Raises TruncatedMediaError when the file breaks off part-way.
        """
        streams = [self.video] + ([self.audio] if with_audio and self.audio is not None else [])
        packets = self.container.demux(*streams)
        while True:
            try:
                packet = next(packets)
            except StopIteration:
                return
            except av.FFmpegError as exc:
                raise TruncatedMediaError(
                    f"{self.path.name} is damaged or cut short (reading stopped part-way: {exc}); copy or export it again",
                    self.path,
                ) from exc
            self.moved = True
            yield packet


def decode(packet: av.Packet) -> list:
    """Return the frames decoded from ``packet``; an empty list for a damaged packet (its picture is skipped)."""
    try:
        return packet.decode()
    except av.InvalidDataError:
        return []
