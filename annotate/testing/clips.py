"""Synthetic test clips whose every frame carries a machine-readable frame-index stamp.

``make_clip`` writes a short video (any codec and container PyAV can write) with
exactly planned presentation times: constant or variable frame rate, a start
offset, a display-matrix rotation, a sample aspect ratio and an optional tone.
``plan_clip`` returns what the clip will be (times, duration, sizes) without
writing it, so tests derive their expectations from the generation parameters.

``plan_clip`` lives in :mod:`.plan`, the stamp (``draw_stamp``/``read_stamp``) in
:mod:`.stamp`, files no reader should accept in :mod:`.bad_files`.

Rotation convention (the same as :attr:`annotate.media.VideoInfo.rotation`):
``rotation`` is the clockwise angle a player turns the stored picture to show it
upright (a phone held upright records landscape pixels with ``rotation=90``).
"""

from __future__ import annotations

import math
import random
from fractions import Fraction
from pathlib import Path
from typing import Sequence

import av
import cv2
import numpy as np

from .plan import ClipPlan, plan_clip
from .stamp import draw_stamp

# --- a standard set ----------------------------------------------------------


def _irregular_times(n: int, seed: int) -> list[Fraction]:
    """Mostly 30 fps with stalls and bursts, like a screen recorder that only writes on change."""
    rng = random.Random(seed)
    steps = [Fraction(1, 30)] * 5 + [Fraction(1, 60), Fraction(1, 15), Fraction(1, 5), Fraction(7, 90)]
    t, out = Fraction(0), []
    for _ in range(n):
        out.append(t)
        t += rng.choice(steps)
    return out


# name -> (file name, make_clip arguments). Small and quick: the contract tests
# run every media check over each of these.
STANDARD_CLIPS: dict[str, tuple[str, dict]] = {
    "cfr": ("cfr.mp4", dict(n_frames=90)),
    "vfr": ("vfr.mp4", dict(frame_times=_irregular_times(70, 5), bframes=False)),
    "vfr_bframes": ("vfr_bframes.mp4", dict(frame_times=_irregular_times(70, 6))),
    "rotated": ("rotated.mp4", dict(n_frames=60, rotation=90)),
    "late_start": ("late_start.mp4", dict(n_frames=60, start_offset_s=10)),
    "odd_size": ("odd_size.mp4", dict(n_frames=60, width=321, height=241, pix_fmt="yuv444p")),
    "no_audio": ("no_audio.mp4", dict(n_frames=60, audio=False)),
    "hevc": ("hevc.mp4", dict(n_frames=60, codec="libx265")),
    "mjpeg": ("mjpeg.avi", dict(n_frames=45, codec="mjpeg")),
    "mkv_anamorphic": ("mkv_anamorphic.mkv", dict(n_frames=60, fps=60, sample_aspect_ratio=Fraction(4, 3))),
    "ts_late": ("ts_late.ts", dict(n_frames=60, start_offset_s=Fraction(5, 2), gop=20)),
}


def make_standard_clip(directory: str | Path, name: str) -> tuple[Path, ClipPlan]:
    """Write ``STANDARD_CLIPS[name]`` into ``directory`` (once) and return (path, plan)."""
    filename, params = STANDARD_CLIPS[name]
    path = Path(directory) / filename
    if not path.exists():
        make_clip(path, **params)
    return path, plan_clip(path, **params)


# --- writing -----------------------------------------------------------------


def _background(width: int, height: int, seed: int) -> np.ndarray:
    """Return a smooth random texture twice as wide as the picture (scrolled per frame)."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, size=(max(2, height // 16), max(2, width // 8), 3), dtype=np.uint8)
    return cv2.resize(small, (2 * width, height), interpolation=cv2.INTER_CUBIC)


def _upright_picture(bg: np.ndarray, index: int, width: int, height: int) -> np.ndarray:
    shift = (index * 3) % width
    img = np.ascontiguousarray(bg[:, shift : shift + width])
    x = (index * 5) % max(1, width - width // 5)
    y = height // 2 + int(height / 5 * math.sin(index / 7))
    cv2.rectangle(img, (x, y), (x + width // 6, min(height - 1, y + height // 8)), (0, 200, 255), -1)
    return draw_stamp(img, index)


def _video_options(plan: ClipPlan) -> dict[str, str]:
    bf = "3" if plan.bframes else "0"
    if plan.codec == "libx264":
        options = {"preset": "superfast", "crf": "23", "g": str(plan.gop), "bf": bf}
        if plan.bframes:
            options["x264-params"] = "b-adapt=0"  # really use B-frames (adaptive choice often picks none)
        return options
    if plan.codec == "libx265":
        params = f"log-level=error:keyint={plan.gop}:bframes={bf}"
        return {"preset": "ultrafast", "crf": "28", "x265-params": params}
    if plan.codec in ("libvpx-vp9", "libvpx"):
        return {"deadline": "realtime", "cpu-used": "8", "g": str(plan.gop), "crf": "32", "b": "0"}
    if plan.codec == "mpeg4":
        return {"g": str(plan.gop), "bf": "2" if plan.bframes else "0", "qscale": "4"}
    return {"g": str(plan.gop)}


def make_clip(
    path: str | Path,
    *,
    width: int = 320,
    height: int = 240,
    fps: Fraction | int = Fraction(30000, 1001),
    n_frames: int = 60,
    codec: str = "libx264",
    gop: int | None = None,
    bframes: bool = True,
    frame_times: Sequence[Fraction] | None = None,
    start_offset_s: Fraction | int = 0,
    rotation: int = 0,
    sample_aspect_ratio: Fraction | None = None,
    audio: bool = True,
    pix_fmt: str | None = None,
    seed: int = 1,
    encoder_options: dict[str, str] | None = None,
) -> Path:
    """Write a stamped test clip to ``path`` and return the path.

    ``width``/``height`` are the stored (coded) size; ``fps`` the constant rate;
    ``n_frames`` the frame count; ``codec`` one of "libx264", "libx265",
    "mjpeg", "mpeg4", "libvpx-vp9" (any PyAV encoder may work); the container
    comes from the suffix (.mp4 .mov .mkv .webm .avi .ts); ``gop`` frames between
    keyframes (default 2 s); ``bframes`` allows B-frames; ``frame_times`` gives
    explicit times in seconds as Fractions, first = 0, for a variable-rate clip
    (the last frame lasts as long as the interval before it); ``start_offset_s``
    is the first frame's presentation time; ``rotation`` (0/90/180/270) is
    clockwise-to-display (see the module note); ``sample_aspect_ratio`` a
    Fraction or None; ``audio`` adds a 440 Hz tone as long as the video (AAC,
    Opus in WebM, PCM in AVI); ``pix_fmt`` defaults to yuv420p (yuvj420p for
    MJPEG); ``seed`` varies the background; ``encoder_options`` override the
    encoder's options. Times are exact: the stream time base is fine enough to
    hold every planned time.

    Raises ValueError for parameters that cannot be written (see :func:`plan_clip`).
    """
    plan = plan_clip(
        path, width=width, height=height, fps=fps, n_frames=n_frames, codec=codec, gop=gop, bframes=bframes,
        frame_times=frame_times, start_offset_s=start_offset_s, rotation=rotation,
        sample_aspect_ratio=sample_aspect_ratio, audio=audio, pix_fmt=pix_fmt,
    )
    up_w, up_h = (plan.height, plan.width) if plan.rotation in (90, 270) else (plan.width, plan.height)
    bg = _background(up_w, up_h, seed)
    plan.path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(plan.path), "w", format=plan.container) as out:
        vs = _add_video_stream(out, plan, encoder_options)
        tone = _Tone(out, plan) if plan.audio_codec else None
        _write_frames(out, vs, plan, bg, tone)
        if tone is not None:
            tone.write_until(plan.duration + 1)
            tone.flush()
    return plan.path


def _add_video_stream(
    out: av.container.OutputContainer, plan: ClipPlan, encoder_options: dict[str, str] | None
) -> av.video.stream.VideoStream:
    """Return the clip's video stream in ``out``, set up as ``plan`` says."""
    options = {**_video_options(plan), **(encoder_options or {})}
    vs = out.add_stream(plan.codec, options=options) if plan.vfr else out.add_stream(plan.codec, rate=plan.fps, options=options)
    vs.width, vs.height, vs.pix_fmt = plan.width, plan.height, plan.pix_fmt
    vs.codec_context.time_base = plan.time_base
    vs.time_base = plan.time_base
    if plan.codec == "mjpeg":
        vs.codec_context.bit_rate = 12_000_000
    if plan.sample_aspect_ratio != 1:
        vs.codec_context.sample_aspect_ratio = plan.sample_aspect_ratio
    if plan.rotation:
        vs.set_display_rotation(-plan.rotation)  # PyAV's angle is counter-clockwise; ours is clockwise-to-display
    return vs


def _write_frames(
    out: av.container.OutputContainer, vs: av.video.stream.VideoStream, plan: ClipPlan, bg: np.ndarray, tone: "_Tone | None"
) -> None:
    """Encode every planned frame at its exact time (and the tone up to it) into ``out``."""
    tb, times = plan.time_base, plan.times
    first_pts = plan.start_offset / tb
    assert first_pts.denominator == 1
    up_w, up_h = (plan.height, plan.width) if plan.rotation in (90, 270) else (plan.width, plan.height)
    durations: dict[int, int] = {}  # encoders guess packet durations; the last frame's must be the planned one

    def mux_video(packets: list[av.Packet]) -> None:
        for p in packets:
            if p.pts is not None and p.pts in durations:
                p.duration = durations[p.pts]
            out.mux(p)

    for i, t in enumerate(times):
        upright = _upright_picture(bg, i, up_w, up_h)
        coded = np.ascontiguousarray(np.rot90(upright, k=plan.rotation // 90)) if plan.rotation else upright
        frame = av.VideoFrame.from_ndarray(coded, format="bgr24")
        frame.pts, frame.time_base = int(first_pts + t / tb), tb
        nxt = times[i + 1] if i + 1 < len(times) else t + plan.last_duration
        frame.duration = durations[frame.pts] = int((nxt - t) / tb)
        mux_video(vs.encode(frame))
        if tone is not None:
            tone.write_until(t)
    mux_video(vs.encode())


class _Tone:
    """A 440 Hz mono tone from the clip's start offset, as long as the video, written in codec-sized chunks."""

    RATE = 48000

    def __init__(self, out: av.container.OutputContainer, plan: ClipPlan):
        self.out, self.codec = out, plan.audio_codec
        self.stream = out.add_stream(plan.audio_codec, rate=self.RATE, layout="mono")
        self.stream.time_base = Fraction(1, self.RATE)
        self.fmt = "s16" if plan.audio_codec in ("pcm_s16le", "libopus") else "fltp"
        self.first = round(plan.start_offset * self.RATE)
        self.total = round(plan.duration * self.RATE)
        self.done = 0
        self.chunk = 960 if plan.audio_codec == "libopus" else 1024

    def write_until(self, t: Fraction) -> None:
        """Encode the tone's samples up to time ``t`` (relative to the first frame)."""
        rate = self.RATE
        while self.done < self.total and Fraction(self.done, rate) < t:
            n = min(self.chunk, self.total - self.done)
            if self.codec in ("aac", "libopus") and n < self.chunk:
                n = self.chunk  # frame-sized codecs want whole frames; pad the tail
            k = np.arange(self.done, self.done + n)
            wave = 0.2 * np.sin(2 * np.pi * 440 * k / rate)
            data = (wave * 32767).astype(np.int16) if self.fmt == "s16" else wave.astype(np.float32)
            frame = av.AudioFrame.from_ndarray(data.reshape(1, -1), format=self.fmt, layout="mono")
            frame.sample_rate, frame.pts, frame.time_base = rate, self.first + self.done, Fraction(1, rate)
            for p in self.stream.encode(frame):
                self.out.mux(p)
            self.done += n

    def flush(self) -> None:
        for p in self.stream.encode():
            self.out.mux(p)


def repeat_clip(src: str | Path, dst: str | Path, repeats: int) -> Path:
    """Write ``src``'s packets ``repeats`` times back to back into ``dst`` (no re-encoding); return ``dst``.

    Makes an hour-long file from a few seconds in seconds, for probe benchmarks.
    The stamps repeat, so it is not for seek-accuracy checks. ``src`` should start
    on a keyframe and hold closed GOPs (as ``make_clip`` writes them).
    """
    with av.open(str(src)) as inp:
        packets = [p for p in inp.demux() if p.size]
        spans = {}
        for s in inp.streams:
            own = [p for p in packets if p.stream_index == s.index]
            if own:
                start = min(p.pts if p.pts is not None else p.dts for p in own)
                end = max((p.pts if p.pts is not None else p.dts) + (p.duration or 0) for p in own)
                spans[s.index] = end - start
        with av.open(str(dst), "w") as out:
            streams = {s.index: out.add_stream_from_template(s) for s in inp.streams if s.index in spans}
            for r in range(repeats):
                for p in packets:
                    shift = spans[p.stream_index] * r
                    q = av.Packet(bytes(p))
                    q.pts = None if p.pts is None else p.pts + shift
                    q.dts = None if p.dts is None else p.dts + shift
                    q.duration, q.time_base, q.is_keyframe = p.duration, p.time_base, p.is_keyframe
                    q.stream = streams[p.stream_index]
                    out.mux(q)
    return Path(dst)
