"""What a synthetic test clip will be, from its generation parameters alone (nothing is written).

``plan_clip`` returns a :class:`ClipPlan` (times, duration, sizes, codecs) with the
same arguments as :func:`annotate.testing.clips.make_clip`, so tests derive their
expectations from the parameters, never from the code under test.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Sequence

_CONTAINERS = {
    ".mp4": "mp4",
    ".m4v": "mp4",
    ".m4a": "mp4",
    ".mov": "mov",
    ".mkv": "matroska",
    ".webm": "webm",
    ".avi": "avi",
    ".ts": "mpegts",
}
_AUDIO_CODEC = {"mp4": "aac", "mov": "aac", "matroska": "aac", "mpegts": "aac", "webm": "libopus", "avi": "pcm_s16le"}


@dataclass(frozen=True)
class ClipPlan:
    """What ``make_clip`` writes, derived from its parameters alone.

    ``times`` are the frames' presentation times relative to the first frame;
    ``duration`` runs from the first frame to the end of the last one; ``fps`` is
    the nominal rate for constant-rate clips and frame_count / duration otherwise.
    ``width``/``height`` are the stored (coded) size; ``display_width``/
    ``display_height`` are as a player shows it (aspect ratio and rotation applied).
    """

    path: Path
    container: str
    codec: str
    audio_codec: str | None
    width: int
    height: int
    display_width: int
    display_height: int
    rotation: int
    sample_aspect_ratio: Fraction
    fps: Fraction
    vfr: bool
    times: tuple[Fraction, ...]
    last_duration: Fraction
    start_offset: Fraction
    time_base: Fraction
    pix_fmt: str
    gop: int
    bframes: bool

    @property
    def frame_count(self) -> int:
        return len(self.times)

    @property
    def clock(self) -> Fraction | None:
        """The container's own clock tick if it rounds times (Matroska/WebM: 1 ms), else None."""
        return Fraction(1, 1000) if self.container in ("matroska", "webm") else None

    @property
    def stored_times(self) -> tuple[Fraction, ...]:
        """Frame times relative to the first frame as the container stores them (rounded to ``clock``)."""
        if self.clock is None:
            return self.times
        ticks = [math.floor((self.start_offset + t) / self.clock + Fraction(1, 2)) for t in self.times]
        return tuple((k - ticks[0]) * self.clock for k in ticks)

    def stored_index_at(self, t: Fraction | float) -> int:
        """Return the index of the frame shown at ``t`` by the stored times."""
        return max(0, bisect.bisect_right(self.stored_times, t) - 1)

    @property
    def duration(self) -> Fraction:
        return self.times[-1] + self.last_duration

    def index_at(self, t: Fraction | float) -> int:
        """Return the index of the frame shown at ``t`` seconds after the first frame (planned times)."""
        return max(0, bisect.bisect_right(self.times, t) - 1)


def planned_frame_times(
    n_frames: int | None = None, fps: Fraction = Fraction(30000, 1001), frame_times: Sequence[Fraction] | None = None
) -> list[Fraction]:
    """Return the frame times (first = 0) a clip with these parameters gets."""
    if frame_times is not None:
        return [Fraction(t) - Fraction(frame_times[0]) for t in frame_times]
    return [Fraction(i) / Fraction(fps) for i in range(int(n_frames or 0))]


def _lcm(values: Sequence[int]) -> int:
    out = 1
    for v in values:
        out = out * v // math.gcd(out, v)
    return out


def plan_clip(
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
) -> ClipPlan:
    """Return the :class:`ClipPlan` of ``make_clip`` with the same arguments (writes nothing).

    Raises ValueError for parameters that cannot be written exactly.
    """
    path = Path(path)
    container = _CONTAINERS.get(path.suffix.lower())
    if container is None:
        raise ValueError(f"no container known for suffix {path.suffix!r}; use one of {sorted(_CONTAINERS)}")
    if rotation % 90 or rotation not in (0, 90, 180, 270):
        raise ValueError("rotation must be 0, 90, 180 or 270")
    fps = Fraction(fps)
    times = planned_frame_times(n_frames, fps, frame_times)
    if len(times) < 2 or any(b <= a for a, b in zip(times, times[1:])):
        raise ValueError("a clip needs at least 2 frames with increasing times")
    vfr = frame_times is not None and len({b - a for a, b in zip(times, times[1:])}) > 1
    last = (times[-1] - times[-2]) if frame_times is not None else 1 / fps
    offset = Fraction(start_offset_s)
    if container == "avi":
        # AVI counts frames at a fixed rate: no offsets, no variable timing.
        if frame_times is not None or offset:
            raise ValueError("AVI cannot hold variable frame times or a start offset; use .mp4 or .mkv")
        time_base = 1 / fps
    else:
        den = _lcm([t.denominator for t in times] + [offset.denominator, last.denominator])
        if den > 2**31 - 1:
            raise ValueError("frame times need too fine a time base; use simpler fractions")
        time_base = Fraction(1, den)
    duration = times[-1] + last
    sar = Fraction(sample_aspect_ratio) if sample_aspect_ratio else Fraction(1)
    shown_w, shown_h = round(width * sar), height
    if rotation in (90, 270):
        shown_w, shown_h = shown_h, shown_w
    if pix_fmt is None:
        pix_fmt = "yuvj420p" if codec == "mjpeg" else "yuv420p"
    return ClipPlan(
        path=path,
        container=container,
        codec=codec,
        audio_codec=_AUDIO_CODEC[container] if audio else None,
        width=width,
        height=height,
        display_width=shown_w,
        display_height=shown_h,
        rotation=rotation,
        sample_aspect_ratio=sar,
        fps=(len(times) / duration) if vfr else fps,
        vfr=vfr,
        times=tuple(times),
        last_duration=last,
        start_offset=offset,
        time_base=time_base,
        pix_fmt=pix_fmt,
        gop=gop or max(1, round(2 * float(fps))),
        bframes=bframes,
    )
