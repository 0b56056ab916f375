"""Whole-file transcodes: the overlay export and the browser proxy are one path with two settings.

Both write every frame of the source at its own time (first frame at 0) through
the one frame loop (:func:`~.loop.write_segment`) into a :class:`~.sink.VideoSink`,
at the one size rule of :mod:`.frames`; so the proxy and the overlay video of the
same file have the same frames and times by construction. Also here: the progress
counter, the destination check and the output time base every export shares.
"""

from __future__ import annotations

import math
import os
from fractions import Fraction
from pathlib import Path
from typing import Callable, Collection, Iterable

from ..errors import RenderError
from ..render import Overlay
from .audio import aac_rate, output_layout
from .frames import FrameShaper
from .loop import window, write_segment
from .options import ExportOptions
from .sink import AUDIO_COPY_CODECS, VideoSink
from .source import Source

Progress = Callable[[int, int], None]
_MAX_TIMESCALE = 2**31 - 1


class Counter:
    """Calls ``progress(done, total)`` about 200 times over an export, and always at the end."""

    def __init__(self, progress: Progress | None, total: int):
        self.progress, self.total = progress, max(int(total), 1)
        self.done = self.reported = 0
        self.step = max(1, self.total // 200)

    def __call__(self, n: int = 1) -> None:
        self.done += n
        if self.progress is not None and (self.done - self.reported >= self.step or self.done >= self.total):
            self.reported = self.done
            self.progress(min(self.done, self.total), self.total)

    def finish(self) -> None:
        """Report the total if it has not been reported yet."""
        if self.progress is not None and self.reported < self.total:
            self.reported = self.total
            self.progress(self.total, self.total)


def check_destination(dst: str | os.PathLike, *sources: str | os.PathLike) -> None:
    """Raise RenderError if writing ``dst`` would replace one of the videos being read; return None otherwise."""
    target = Path(dst).expanduser().resolve()
    for src in sources:
        if Path(src).expanduser().resolve() == target:
            raise RenderError(f"{Path(dst).name} is the video being read; write the output to another file")


def output_time_base(*times: Fraction, extra: Iterable[int] = (), fallback: Fraction = Fraction(1, 90000)) -> Fraction:
    """Return 1/N with N a multiple of every one of ``times``' denominators and of ``extra`` (exact for all
    of them), or ``fallback`` when N would not fit the container's 31 bits."""
    den = 1
    for t in times:
        den = math.lcm(den, Fraction(t).denominator)
    for value in extra:
        den = math.lcm(den, value)
    return Fraction(1, den) if den <= _MAX_TIMESCALE else fallback


def write_whole(
    source: Source,
    dst: str | os.PathLike,
    options: ExportOptions,
    overlay: Overlay | None,
    progress: Progress | None,
    copy_audio: Collection[str] = AUDIO_COPY_CODECS,
) -> Path:
    """Write every frame of ``source`` to ``dst`` (with ``overlay`` drawn, if any) and return ``dst``.

    The time base holds every source time and the end exactly (else the source's own, so frame times stay
    exact); audio is copied when its codec is in ``copy_audio`` and re-encoded to AAC otherwise (dropped
    when ``options.audio`` is off). Raises RenderError for an encoder that cannot be used.
    """
    win = window(source)
    audio_mode, template, encode = None, None, None
    if options.audio and source.audio is not None:
        if source.audio.codec_context.name in copy_audio:
            audio_mode, template = "copy", source.audio
        else:
            audio_mode, encode = "whole", (aac_rate(source.audio), output_layout(source.audio))
    counter = Counter(progress, win.frames)
    shaper = FrameShaper(source.size, source.info.rotation, band=options.band_px(*source.size), shown=source.shown)
    width, height = shaper.out_size
    with VideoSink(
        dst,
        width=width,
        height=height,
        time_base=output_time_base(source.time_base, source.duration, fallback=source.time_base),
        frame_rate=source.info.fps or None,
        options=options,
        audio_template=template,
        audio_encode=encode,
    ) as sink:
        write_segment(source, sink, shaper, win, overlay=overlay, audio=audio_mode, tick=counter)
        counter.finish()
    return Path(dst)
