"""The one frame loop: decode a window of a source, draw the overlay on the planes, encode.

Every export (overlay video, clip, reel) is a sequence of :func:`write_segment`
calls into one :class:`~.sink.VideoSink`. Frames keep their exact presentation
times (shifted so the window starts at the segment's offset); audio is copied
packet by packet or cut sample-exactly to the window.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

import av
import numpy as np

from ..errors import TruncatedMediaError
from ..render import Overlay, YUVCanvas
from .audio import AudioCutter
from .frames import FrameShaper
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
    """
    seek_to = win.t_first
    while True:
        try:
            return _run(source, sink, shaper, win, offset, overlay, audio, audio_length, tick, seek_to)
        except _LandedLate:
            # The demuxer landed after the window's first frame (MPEG-TS seeks by bytes): go further back.
            seek_to = max(Fraction(0), seek_to - max(win.t_first - seek_to, Fraction(2)))


class _LandedLate(Exception):
    """A seek landed after the window's first frame; nothing had been written yet."""


def _run(source, sink, shaper, win, offset, overlay, audio, audio_length, tick, seek_to: Fraction) -> int:
    """One attempt of :func:`write_segment` after seeking to ``seek_to``; raises _LandedLate before writing
    anything if the first frame decoded comes after the window's first frame (unless it was a seek to 0)."""
    source.seek(seek_to)
    cutter = None
    if audio in ("whole", "cut") and sink.audio_encode is not None:
        rate, layout = sink.audio_encode
        if audio == "whole":
            cutter = AudioCutter(rate, layout, source.origin, Fraction(0), None, pad_start=False)
        else:
            cutter = AudioCutter(rate, layout, source.origin, win.t_first, audio_length, pad_start=True)
    read_audio = source.audio is not None and (audio == "copy" or cutter is not None)
    shift = 0
    if audio == "copy" and source.audio is not None:
        shift = int(round(source.origin / Fraction(source.audio.time_base)))
    streams = [source.video] + ([source.audio] if read_audio else [])

    written = 0
    prev: av.VideoFrame | None = None
    prev_t: Fraction | None = None
    video_done = False
    tb = sink.time_base
    last_pts = -1
    held: list | None = []  # audio output held back until the first frame shows the seek was early enough

    def emit(frame: av.VideoFrame, t: Fraction, next_t: Fraction) -> None:
        nonlocal written, last_pts
        if t < win.t_first or t >= win.t_end:
            return
        out = shaper(frame, writable=overlay is not None)
        if overlay is not None:
            overlay.draw(YUVCanvas.from_frame(out), float(t), float(next_t), band=shaper.band)
        pts = int(round((t - win.t_first + offset) / tb))
        pts = max(pts, last_pts + 1)
        end = int(round((next_t - win.t_first + offset) / tb))
        sink.write(out, pts, max(end - pts, 1))
        last_pts = pts
        written += 1
        if tick is not None:
            tick(1)

    def put_audio(write) -> None:
        if held is None:
            write()
        else:
            held.append(write)

    def encode_audio(chunk: np.ndarray) -> None:
        if chunk.shape[1]:
            put_audio(lambda: sink.write_audio(chunk, start=cutter.first_sample))

    for packet in _demux(source, streams):
        source.moved = True
        if packet.stream.type == "audio":
            if audio == "copy":
                put_audio(lambda packet=packet: sink.mux_audio(packet, shift))
            elif cutter is not None and not cutter.done:
                for aframe in _decode(packet):
                    encode_audio(cutter.feed(aframe))
            if video_done and audio == "cut" and cutter is not None and cutter.done:
                break  # a clip's audio is complete; copied or whole-file audio is read to the end
            continue
        if video_done:
            continue
        for frame in _decode(packet):
            t = source.time_of(frame, prev_t)
            if held is not None:
                if t > win.t_first and seek_to > 0:
                    raise _LandedLate
                for write in held:
                    write()
                held = None
            if prev is not None and prev_t is not None and t <= prev_t:
                continue  # a repeated timestamp shows one picture (as the time index counts it)
            if prev is not None:
                emit(prev, prev_t, t)
            prev, prev_t = frame, t
            if t >= win.t_end:
                video_done = True
                break
        if video_done and not read_audio:
            break
    for write in held or ():
        write()
    if not video_done and prev is not None:
        emit(prev, prev_t, win.t_end)
    if cutter is not None:
        chunk = cutter.finish()
        if chunk.shape[1]:
            sink.write_audio(chunk, start=cutter.first_sample)
    return written


def _demux(source: Source, streams: list):
    """Yield the packets of ``streams``; a file that breaks off part-way raises TruncatedMediaError."""
    packets = source.container.demux(*streams)
    while True:
        try:
            packet = next(packets)
        except StopIteration:
            return
        except av.FFmpegError as exc:
            raise TruncatedMediaError(
                f"{source.path.name} is damaged or cut short (reading stopped part-way: {exc}); copy or export it again",
                source.path,
            ) from exc
        yield packet


def _decode(packet) -> list:
    try:
        return packet.decode()
    except av.InvalidDataError:
        return []  # one damaged packet: skip its picture rather than abandon the export
