"""Overlay videos, clips and highlight reels: the library calls behind ``annotate render/clip/reel``.

Each returns the path it wrote. Output is H.264 yuv420p in mp4 with the index
first, BT.709, upright, even-sized, written atomically (see :mod:`.sink`).
``progress(done, total)`` is called as frames are written (an exception raised
from it stops the export and leaves nothing under ``dst``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Iterable, Sequence

import av
import numpy as np

from ..errors import RenderError
from ..model import Event, Kind, Recording, parse_kind
from ..render import Mark, Overlay, event_card
from .audio import aac_rate, output_layout
from .frames import FrameShaper
from .loop import Window, window, write_segment
from .options import ExportOptions
from .sink import VideoSink
from .source import Source
from .whole import Counter, Progress, check_destination, output_time_base, write_whole

REEL_RATE = 48000  # reel audio: AAC 48 kHz stereo, silence under the title cards
REEL_LAYOUT = "stereo"
CARD_FPS = 30


def render_overlay(
    src: str | os.PathLike,
    events: Iterable[Event | Mark],
    dst: str | os.PathLike,
    *,
    options: ExportOptions | None = None,
    progress: Progress | None = None,
    subtitles: Iterable[tuple[float, float, str]] = (),
) -> Path:
    """Write ``src`` re-encoded with the overlay of ``events`` to ``dst`` and return ``dst``.

    ``subtitles`` ((start s, end s, text) per transcript line) are drawn when ``options.overlay.subtitles``.

    Same frames at the same presentation times as the source (first frame at 0),
    upright, even-sized, audio copied when mp4 can hold it (AAC, MP3, Opus) and
    re-encoded to AAC otherwise. Raises MediaError subclasses for unusable input,
    RenderError for an encoder that cannot be used.
    """
    options = options or ExportOptions()
    check_destination(dst, src)
    with Source(src) as source:
        overlay = Overlay(events, float(source.duration), options.overlay, subtitles) \
            if options.overlay.anything else None
        return write_whole(source, dst, options, overlay, progress)


def clip_window(source: Source, at_s: float, before_s: float, after_s: float) -> Window:
    """Return the frames of a clip around ``at_s``: from the frame shown at at_s - before_s to the last frame
    before at_s + after_s (both clamped to the recording). Raises FrameOutOfRangeError/RenderError."""
    source.check_time(float(at_s), "clip time")
    if before_s < 0 or after_s < 0:
        raise RenderError("--before and --after are seconds and cannot be negative")
    at = Fraction(str(round(float(at_s), 3)))
    start = max(at - Fraction(str(round(float(before_s), 3))), Fraction(0))
    end = min(at + Fraction(str(round(float(after_s), 3))), source.duration)
    return window(source, start, end)


def render_clip(
    src: str | os.PathLike,
    at_s: float,
    before_s: float,
    after_s: float,
    dst: str | os.PathLike,
    *,
    events: Iterable[Event | Mark] = (),
    overlay: bool = True,
    options: ExportOptions | None = None,
    progress: Progress | None = None,
) -> Path:
    """Write the source frames from ``at_s - before_s`` to ``at_s + after_s`` to ``dst`` and return ``dst``.

    Frame-exact: the clip holds exactly the source frames of :func:`clip_window`, with their
    timing, starting at 0; audio (if any) is cut to the same span and encoded as AAC.
    The overlay of ``events`` is drawn unless ``overlay`` is False (the timeline shows the
    whole recording). Raises FrameOutOfRangeError for a time outside the recording.
    """
    options = options or ExportOptions()
    if not overlay:
        options = options.without_overlay()
    check_destination(dst, src)
    with Source(src) as source:
        win = clip_window(source, at_s, before_s, after_s)
        ov = Overlay(events, float(source.duration), options.overlay) if options.overlay.anything else None
        encode = None
        length = None
        if options.audio and source.audio is not None:
            rate = aac_rate(source.audio)
            encode = (rate, output_layout(source.audio))
            length = round(win.duration * rate)
        counter = Counter(progress, win.frames)
        shaper = FrameShaper(source.size, source.info.rotation, band=options.band_px(*source.size), shown=source.shown)
        width, height = shaper.out_size
        time_base = output_time_base(source.time_base, source.duration, fallback=source.time_base)
        with VideoSink(
            dst, width=width, height=height, time_base=time_base,
            frame_rate=source.info.fps or None, options=options, audio_encode=encode,
        ) as sink:
            write_segment(
                source, sink, shaper, win,
                overlay=ov, audio="cut" if encode else None, audio_length=length, tick=counter,
            )
            counter.finish()
    return Path(dst)


# --- reels -------------------------------------------------------------------


@dataclass(frozen=True)
class ReelItem:
    """One clip of a reel: the event it shows, the video it comes from, the title for its card,
    and the events drawn in its overlay (default: all of ``events`` given, else just this one)."""

    source: str
    event: Event
    title: str = ""
    events: tuple[Event, ...] = field(default=())


def reel_items(
    recordings: Sequence[tuple[Recording | str | os.PathLike, Sequence[Event]]],
    kinds: Iterable[Kind | str] | None = None,
) -> list[ReelItem]:
    """Return the reel items for ``(recording or video path, its events)`` pairs: every event of
    ``kinds`` (all kinds if None), recordings in the order given, events in time order within each."""
    wanted = None if kinds is None else {parse_kind(k) for k in kinds}
    items = []
    for rec, events in recordings:
        if isinstance(rec, Recording):
            path, title = rec.path, rec.title or Path(rec.path).stem
        else:
            path, title = str(rec), Path(rec).stem
        all_events = tuple(events)
        chosen = [e for e in all_events if wanted is None or parse_kind(e.kind) in wanted]
        for event in sorted(chosen, key=lambda e: (float(e.start_s), str(e.kind))):
            items.append(ReelItem(str(path), event, title, all_events))
    return items


def render_reel(
    items: Sequence[ReelItem],
    dst: str | os.PathLike,
    *,
    before_s: float = 3.0,
    after_s: float = 5.0,
    card_s: float = 2.0,
    overlay: bool = True,
    size: tuple[int, int] | None = None,
    options: ExportOptions | None = None,
    progress: Progress | None = None,
) -> Path:
    """Write a highlight reel to ``dst`` and return ``dst``: for each item, a title card of ``card_s``
    seconds (kind, label, stage, emotion, note, channel, expectation, recording title, time; see
    :func:`~annotate.render.card_layout`) then its clip (as :func:`render_clip`), in the order given.

    One continuous file: every clip keeps its frame timing, pictures are fitted (letterboxed) into
    ``size`` (default: the first video's), audio is AAC 48 kHz stereo with silence under the cards and
    for videos without sound. Its duration is the sum of the cards' and the clips'.
    Raises RenderError when ``items`` is empty.
    """
    if not items:
        raise RenderError("no events match, so the reel would be empty; check --kind and the recordings' events")
    options = options or ExportOptions()
    if not overlay:
        options = options.without_overlay()
    check_destination(dst, *(item.source for item in items))
    card_frames = max(1, round(float(card_s) * CARD_FPS))

    plans = _reel_plans(items, before_s, after_s)
    box = tuple(size) if size else plans[0].size
    box = (box[0] + box[0] % 2, box[1] + box[1] % 2)
    band = options.band_px(*box)  # the timeline strip's band below every clip; cards fill the whole frame
    tb = output_time_base(*(p.time_base for p in plans), *(p.duration for p in plans), extra=[CARD_FPS])
    counter = Counter(progress, sum(card_frames + p.win.frames for p in plans))
    with VideoSink(
        dst, width=box[0], height=box[1] + band, time_base=tb, frame_rate=Fraction(CARD_FPS), options=options,
        audio_encode=(REEL_RATE, REEL_LAYOUT) if options.audio else None,
    ) as sink:
        _write_reel(sink, plans, box, band, card_frames, options, counter)
        counter.finish()
    return Path(dst)


@dataclass(frozen=True)
class _ReelClip:
    """One reel item with its clip's window and its source's facts (found before anything is decoded)."""

    item: ReelItem
    win: Window
    size: tuple[int, int]
    time_base: Fraction
    duration: Fraction


def _reel_plans(items: Sequence[ReelItem], before_s: float, after_s: float) -> list[_ReelClip]:
    """Return every item's clip window (sources inspected, nothing decoded); raise FrameOutOfRangeError/RenderError."""
    plans = []
    for item in items:
        with Source(item.source) as source:
            win = clip_window(source, float(item.event.start_s), before_s, after_s)
            plans.append(_ReelClip(item, win, source.size, source.time_base, source.duration))
    return plans


def _write_reel(
    sink: VideoSink, plans: list[_ReelClip], box: tuple[int, int], band: int, card_frames: int,
    options: ExportOptions, counter: Counter,
) -> None:
    """Write each clip's title card then its frames into ``sink``, back to back; a source stays open while the
    next clip comes from the same file."""
    offset = Fraction(0)
    open_source: Source | None = None
    try:
        for plan in plans:
            item, win = plan.item, plan.win
            offset = _write_card(sink, item, (box[0], box[1] + band), card_frames, offset, counter)
            if open_source is None or open_source.path != Path(item.source):
                if open_source is not None:
                    open_source.close()
                open_source = Source(item.source)
            ov = None
            if options.overlay.anything:
                ov = Overlay(item.events or (item.event,), float(plan.duration), options.overlay)
            shaper = FrameShaper(plan.size, open_source.info.rotation, box=box, band=band, shown=open_source.shown)
            write_segment(
                open_source, sink, shaper, win, offset=offset, overlay=ov,
                audio="cut" if sink.audio is not None else None,
                audio_length=_samples(offset + win.duration) - _samples(offset), tick=counter,
            )
            offset += win.duration
    finally:
        if open_source is not None:
            open_source.close()


def _samples(t: Fraction) -> int:
    return round(t * REEL_RATE)


def _write_card(
    sink: VideoSink, item: ReelItem, box: tuple[int, int], n: int, offset: Fraction, counter: Counter
) -> Fraction:
    """Write a title card of ``n`` frames at ``offset`` (and its silence); return the time after it."""
    event = item.event
    image = event_card(event, item.title, box[0], box[1])
    frame = av.VideoFrame.from_ndarray(image, format="bgr24").reformat(format="yuv420p", dst_colorspace="ITU709")
    step = Fraction(1, CARD_FPS)
    for k in range(n):
        start = int((offset + k * step) / sink.time_base)
        end = int((offset + (k + 1) * step) / sink.time_base)
        sink.write(frame, start, end - start)
        counter(1)
    end_t = offset + n * step
    if sink.audio is not None:
        sink.write_audio(np.zeros((2, _samples(end_t) - _samples(offset)), np.float32), start=_samples(offset))
    return end_t
