"""The one frame loop: decode a window of a source, draw the overlay on the planes, encode.

Every video written (overlay video, browser proxy, clip, reel) is a sequence of
:func:`write_segment` calls into one :class:`~.sink.VideoSink`, reading through
:class:`~annotate.media.stream.StreamReader`. Frames keep their exact presentation
times (shifted so the window starts at the segment's offset); audio is copied
packet by packet or cut sample-exactly to the window.

The three stages overlap (:mod:`.pipeline`): a reader thread demuxes and decodes, the
calling thread times, shapes and draws each frame, a writer thread encodes and muxes,
in order (for pictures up to 720p; larger ones run in one thread, see
:data:`~.pipeline.THREADED_MAX_PIXELS`). The sink is only written from the writer thread while a segment is under way,
and every write has finished when :func:`write_segment` returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import partial
from typing import Callable

import av
import numpy as np

from ..render import Overlay, YUVCanvas
from .audio import AudioCutter
from .frames import FrameShaper
from .pipeline import THREADED_MAX_PIXELS, Reader, Writer
from .sink import VideoSink
from .source import Source

Tick = Callable[[int], None]


@dataclass(frozen=True)
class Window:
    """The frames of a source an export takes: indices ``first`` .. ``stop - 1``, times ``t_first`` .. ``t_end``."""

    first: int
    stop: int
    t_first: Fraction
    t_end: Fraction

    @property
    def frames(self) -> int:
        return self.stop - self.first

    @property
    def duration(self) -> Fraction:
        return self.t_end - self.t_first


def window(source: Source, start: Fraction | None = None, end: Fraction | None = None) -> Window:
    """Return the frames from the one shown at ``start`` up to (not including) the first at or after ``end``.

    None means the first frame / past the last frame. A window always holds at least the frame shown at ``start``.
    """
    index = source.index
    n = index.frame_count
    first = index.index_at(Fraction(start)) if start is not None and start > 0 else 0
    if end is None:
        stop = n
    else:
        ticks = index.first_pts + Fraction(end) / index.time_base
        stop = int(np.searchsorted(index.pts, int(-(-ticks // 1)), side="left"))
        stop = min(max(stop, first + 1), n)
    t_first = index.time_of(first)
    t_end = index.time_of(stop) if stop < n else source.duration
    return Window(first, stop, t_first, t_end)


@dataclass(frozen=True)
class Segment:
    """One :func:`write_segment` job: the frames of ``win`` from ``source`` into ``sink`` at output time
    ``offset``, shaped by ``shaper``, with ``overlay`` drawn (None: none), ``audio`` as :func:`write_segment`
    describes and ``tick(1)`` called per frame written."""

    source: Source
    sink: VideoSink
    shaper: FrameShaper
    win: Window
    offset: Fraction = Fraction(0)
    overlay: Overlay | None = None
    audio: str | None = None
    audio_length: int | None = None
    tick: Tick | None = None


def write_segment(
    source: Source,
    sink: VideoSink,
    shaper: FrameShaper,
    win: Window,
    *,
    offset: Fraction = Fraction(0),
    overlay: Overlay | None = None,
    audio: str | None = None,
    audio_length: int | None = None,
    tick: Tick | None = None,
) -> int:
    """Write the frames of ``win`` to ``sink`` starting at output time ``offset``; return the frames written.

    ``audio``: "copy" (the source's packets, whole file only), "whole" (re-encoded
    from the source, whole file), "cut" (exactly ``audio_length`` samples of the
    window, silence where the source has none) or None (no audio written).
    Raises TruncatedMediaError for a source that breaks off part-way.
    """
    job = Segment(source, sink, shaper, win, offset, overlay, audio, audio_length, tick)
    seek_to = win.t_first
    while True:
        try:
            return _Attempt(job, seek_to).run()
        except _LandedLate:
            # The demuxer landed after the window's first frame (MPEG-TS seeks by bytes): go further back.
            seek_to = max(Fraction(0), seek_to - max(win.t_first - seek_to, Fraction(2)))


class _LandedLate(Exception):
    """A seek landed after the window's first frame; nothing had been written yet."""


def _cutter(job: Segment) -> AudioCutter | None:
    """Return the AudioCutter that makes the job's re-encoded audio, or None when audio is copied or absent."""
    if job.audio not in ("whole", "cut") or job.sink.audio_encode is None:
        return None
    rate, layout = job.sink.audio_encode
    if job.audio == "whole":
        return AudioCutter(rate, layout, job.source.origin, Fraction(0), None, pad_start=False)
    return AudioCutter(rate, layout, job.source.origin, job.win.t_first, job.audio_length, pad_start=True)


class _Attempt:
    """One pass of a :class:`Segment` after seeking to ``seek_to``.

    A frame is written once the next one's time is known (that is its duration).
    Audio output is held back until the first frame shows the seek was early
    enough: :meth:`run` raises _LandedLate, before writing anything, if the first
    frame decoded comes after the window's first frame (unless it was a seek to 0).
    """

    def __init__(self, job: Segment, seek_to: Fraction):
        self.job, self.seek_to = job, seek_to
        self.cutter = _cutter(job)
        source = job.source
        self.read_audio = source.audio is not None and (job.audio == "copy" or self.cutter is not None)
        self.shift = 0  # ticks of the audio time base copied packets move earlier
        if job.audio == "copy" and source.audio is not None:
            self.shift = int(round(source.origin / Fraction(source.audio.time_base)))
        self.written = 0
        self.last_pts = -1
        self.prev: av.VideoFrame | None = None
        self.prev_t: Fraction | None = None
        self.video_done = False
        self.held: list[Callable[[], None]] | None = []
        self.writer: Writer | None = None  # set while run() is under way

    def run(self) -> int:
        """Read, draw and write the segment; return the frames written."""
        job = self.job
        job.source.seek(self.seek_to)
        threaded = job.sink.width * job.sink.height <= THREADED_MAX_PIXELS
        with (
            Reader(job.source, self.read_audio, decode_audio=self.cutter is not None, threaded=threaded) as reader,
            Writer(threaded=threaded) as writer,
        ):
            self.writer = writer
            for packet, frames in reader:
                if packet.stream.type == "audio":
                    if self._audio_packet(packet, frames):
                        break  # a clip's audio is complete; copied or whole-file audio is read to the end
                elif not self.video_done:
                    self._video_frames(frames)
                    if self.video_done and not self.read_audio:
                        break
            self._release_audio()
            if not self.video_done and self.prev is not None:
                self._emit(self.prev, self.prev_t, job.win.t_end)
            if self.cutter is not None:
                chunk = self.cutter.finish()
                if chunk.shape[1]:
                    writer.put(partial(job.sink.write_audio, chunk, start=self.cutter.first_sample))
        return self.written

    def _video_frames(self, frames: list[av.VideoFrame]) -> None:
        for frame in frames:
            t = self.job.source.time_of(frame, self.prev_t)
            if self.held is not None:
                if t > self.job.win.t_first and self.seek_to > 0:
                    raise _LandedLate
                self._release_audio()
            if self.prev is not None and self.prev_t is not None and t <= self.prev_t:
                continue  # a repeated timestamp shows one picture (as the time index counts it)
            if self.prev is not None:
                self._emit(self.prev, self.prev_t, t)
            self.prev, self.prev_t = frame, t
            if t >= self.job.win.t_end:
                self.video_done = True
                return

    def _emit(self, frame: av.VideoFrame, t: Fraction, next_t: Fraction) -> None:
        """Shape, draw on and write ``frame`` shown from ``t`` to ``next_t`` if it lies in the window."""
        job = self.job
        if t < job.win.t_first or t >= job.win.t_end:
            return
        out = job.shaper(frame, writable=job.overlay is not None)
        if job.overlay is not None:
            job.overlay.draw(YUVCanvas.from_frame(out), float(t), float(next_t), band=job.shaper.band, slot=job.shaper.slot)
        tb = job.sink.time_base
        pts = max(int(round((t - job.win.t_first + job.offset) / tb)), self.last_pts + 1)
        end = int(round((next_t - job.win.t_first + job.offset) / tb))
        self.writer.put(partial(job.sink.write, out, pts, max(end - pts, 1)), now=True)
        self.last_pts = pts
        self.written += 1
        if job.tick is not None:
            job.tick(1)

    def _audio_packet(self, packet: av.Packet, frames: list | None) -> bool:
        """Copy or cut one audio packet (``frames``: its decoded frames when cut); return True once a clip's
        audio is complete and the video done."""
        job, cutter = self.job, self.cutter
        if job.audio == "copy":
            self._put(partial(job.sink.mux_audio, packet, self.shift))
        elif cutter is not None and not cutter.done:
            for aframe in frames or ():
                chunk = cutter.feed(aframe)
                if chunk.shape[1]:
                    self._put(partial(job.sink.write_audio, chunk, start=cutter.first_sample))
        return self.video_done and job.audio == "cut" and cutter is not None and cutter.done

    def _put(self, write: Callable[[], None]) -> None:
        if self.held is None:
            self.writer.put(write)
        else:
            self.held.append(write)

    def _release_audio(self) -> None:
        for write in self.held or ():
            self.writer.put(write)
        self.held = None
