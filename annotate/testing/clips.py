"""Synthetic test clips whose every frame carries a machine-readable frame-index stamp.

``make_clip`` writes a short video (any codec and container PyAV can write) with
exactly planned presentation times: constant or variable frame rate, a start
offset, a display-matrix rotation, a sample aspect ratio and an optional tone.
``plan_clip`` returns what the clip will be (times, duration, sizes) without
writing it, so tests derive their expectations from the generation parameters.

The stamp is drawn in the *upright* picture (as a player shows it): a grid of
black/white blocks, 20 bits of frame index in two rows and their complement in
the next two, plus the index in digits. Blocks are sized relative to the picture,
so the stamp survives lossy codecs, scaling, and cropping by a pixel or two.
``read_stamp`` returns the index or raises ValueError.

Rotation convention (the same as :attr:`annotate.media.VideoInfo.rotation`):
``rotation`` is the clockwise angle a player turns the stored picture to show it
upright (a phone held upright records landscape pixels with ``rotation=90``).
"""

from __future__ import annotations

import bisect
import math
import random
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Sequence

import av
import cv2
import numpy as np

STAMP_BITS = 20
_COLS = 10
_ROWS = 4  # two rows of bits, two rows of complemented bits

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


# --- the stamp ---------------------------------------------------------------


def _stamp_layout(width: int, height: int) -> tuple[int, int, int, int]:
    """Return (left, top, block_w, block_h) of the stamp grid in a width x height picture."""
    margin = max(2, width // 40)
    block_w = max(4, (width - 2 * margin) // _COLS)
    block_h = max(4, min(block_w, height // 12))
    return margin, margin, block_w, block_h


def draw_stamp(image: np.ndarray, index: int) -> np.ndarray:
    """Draw frame ``index`` (0 .. 2**20-1) into BGR ``image`` in place and return it."""
    if not 0 <= index < 2**STAMP_BITS:
        raise ValueError(f"frame index {index} does not fit in {STAMP_BITS} bits")
    h, w = image.shape[:2]
    left, top, bw, bh = _stamp_layout(w, h)
    bits = [(index >> (STAMP_BITS - 1 - k)) & 1 for k in range(STAMP_BITS)]
    image[top - 2 : top + _ROWS * bh + 2, left - 2 : left + _COLS * bw + 2] = 128
    for k, bit in enumerate(bits):
        row, col = divmod(k, _COLS)
        for r, value in ((row, bit), (row + 2, 1 - bit)):
            y, x = top + r * bh, left + col * bw
            image[y : y + bh, x : x + bw] = 255 * value
    text_y = top + _ROWS * bh + 2
    scale = max(0.4, bh / 16)
    (tw, th), base = cv2.getTextSize(str(index), cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    if text_y + th + base + 4 < h:
        image[text_y : text_y + th + base + 4, left : left + tw + 4] = 0
        cv2.putText(image, str(index), (left + 2, text_y + th + 2), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1, cv2.LINE_AA)
    return image


def read_stamp(image: np.ndarray) -> int:
    """Return the frame index stamped into upright BGR (or grey) ``image``.

    Raises ValueError if the picture holds no readable stamp (wrong orientation,
    a blank frame, or a block that is neither clearly black nor clearly white).
    """
    grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    h, w = grey.shape[:2]
    left, top, bw, bh = _stamp_layout(w, h)
    qx, qy = max(1, bw // 4), max(1, bh // 4)
    means = np.empty((_ROWS, _COLS))
    for r in range(_ROWS):
        for c in range(_COLS):
            y, x = top + r * bh, left + c * bw
            means[r, c] = grey[y + qy : y + bh - qy, x + qx : x + bw - qx].mean()
    if np.any(np.abs(means - 127.5) < 50):
        raise ValueError("no readable frame stamp (a block is neither black nor white)")
    bits = (means[:2] > 127.5).ravel()
    complement = (means[2:] > 127.5).ravel()
    if np.any(bits == complement):
        raise ValueError("no readable frame stamp (bits and their complement disagree)")
    return int("".join("1" if b else "0" for b in bits), 2)


# --- planning ----------------------------------------------------------------


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
    tb = plan.time_base
    first_pts = plan.start_offset / tb
    assert first_pts.denominator == 1
    plan.path.parent.mkdir(parents=True, exist_ok=True)

    with av.open(str(plan.path), "w", format=plan.container) as out:
        if plan.vfr:
            vs = out.add_stream(plan.codec, options={**_video_options(plan), **(encoder_options or {})})
        else:
            vs = out.add_stream(plan.codec, rate=plan.fps, options={**_video_options(plan), **(encoder_options or {})})
        vs.width, vs.height, vs.pix_fmt = plan.width, plan.height, plan.pix_fmt
        vs.codec_context.time_base = tb
        vs.time_base = tb
        if plan.codec == "mjpeg":
            vs.codec_context.bit_rate = 12_000_000
        if plan.sample_aspect_ratio != 1:
            vs.codec_context.sample_aspect_ratio = plan.sample_aspect_ratio
        if plan.rotation:
            # PyAV's angle is counter-clockwise; ours is clockwise-to-display.
            vs.set_display_rotation(-plan.rotation)
        aus = None
        if plan.audio_codec:
            rate = 48000
            aus = out.add_stream(plan.audio_codec, rate=rate, layout="mono")
            aus.time_base = Fraction(1, rate)
            a_fmt = "s16" if plan.audio_codec == "pcm_s16le" else ("s16" if plan.audio_codec == "libopus" else "fltp")
            a_first = round(plan.start_offset * rate)
            a_total = round(plan.duration * rate)
            a_done = 0
            chunk = 960 if plan.audio_codec == "libopus" else 1024

        def write_audio_until(t: Fraction) -> None:
            nonlocal a_done
            while aus is not None and a_done < a_total and Fraction(a_done, rate) < t:
                n = min(chunk, a_total - a_done)
                if plan.audio_codec in ("aac", "libopus") and n < chunk:
                    n = chunk  # frame-sized codecs want whole frames; pad the tail
                k = np.arange(a_done, a_done + n)
                wave = 0.2 * np.sin(2 * np.pi * 440 * k / rate)
                data = (wave * 32767).astype(np.int16) if a_fmt == "s16" else wave.astype(np.float32)
                frame = av.AudioFrame.from_ndarray(data.reshape(1, -1), format=a_fmt, layout="mono")
                frame.sample_rate = rate
                frame.pts = a_first + a_done
                frame.time_base = Fraction(1, rate)
                for p in aus.encode(frame):
                    out.mux(p)
                a_done += n

        times = plan.times
        # Encoders guess packet durations; the container's last-frame duration must be the planned one.
        durations: dict[int, int] = {}

        def mux_video(packets) -> None:
            for p in packets:
                if p.pts is not None and p.pts in durations:
                    p.duration = durations[p.pts]
                out.mux(p)

        for i, t in enumerate(times):
            upright = _upright_picture(bg, i, up_w, up_h)
            coded = np.ascontiguousarray(np.rot90(upright, k=plan.rotation // 90)) if plan.rotation else upright
            frame = av.VideoFrame.from_ndarray(coded, format="bgr24")
            frame.pts = int(first_pts + t / tb)
            frame.time_base = tb
            nxt = times[i + 1] if i + 1 < len(times) else t + plan.last_duration
            frame.duration = int((nxt - t) / tb)
            durations[frame.pts] = frame.duration
            mux_video(vs.encode(frame))
            write_audio_until(t)
        mux_video(vs.encode())
        write_audio_until(plan.duration + 1)
        if aus is not None:
            for p in aus.encode():
                out.mux(p)
    return plan.path


# --- bad files ---------------------------------------------------------------


def make_bad_files(directory: str | Path) -> dict[str, Path]:
    """Write files no reader should accept and return them by name.

    Names: ``empty`` (0 bytes), ``truncated`` (an mp4 cut in the middle of its
    media data, index at the end so it is lost), ``truncated_faststart`` (index
    first, media data cut), ``truncated_mkv`` / ``truncated_webm`` (a finished
    Matroska/WebM file with audio, cut in half: its header still declares the
    whole length), ``text`` (text named .mp4), ``png`` (a PNG named
    .mp4), ``audio_only`` (an AAC tone, no video, in .mp4), ``undecodable``
    (a valid mp4 whose H.264 packets are random bytes), ``missing`` (a path
    that does not exist).
    """
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}

    out["empty"] = d / "empty.mp4"
    out["empty"].write_bytes(b"")

    good = make_clip(d / "_good.mp4", n_frames=30, audio=False)
    data = good.read_bytes()
    mdat = data.find(b"mdat")
    moov = data.find(b"moov")
    assert 0 < mdat < moov, "expected the index (moov) after the media data"
    out["truncated"] = d / "truncated.mp4"
    out["truncated"].write_bytes(data[: mdat + (moov - mdat) // 2])

    fast = d / "_fast.mp4"
    with av.open(str(good)) as src, av.open(str(fast), "w", options={"movflags": "+faststart"}) as dst:
        s = dst.add_stream_from_template(src.streams.video[0])
        for p in src.demux(src.streams.video[0]):
            if p.dts is None:
                continue
            p.stream = s
            dst.mux(p)
    fdata = fast.read_bytes()
    fmdat = fdata.find(b"mdat")
    out["truncated_faststart"] = d / "truncated_faststart.mp4"
    out["truncated_faststart"].write_bytes(fdata[: fmdat + (len(fdata) - fmdat) // 2])

    for suffix, codec in ((".mkv", "libx264"), (".webm", "libvpx-vp9")):
        whole = make_clip(d / f"_whole{suffix}", n_frames=60, fps=Fraction(20), codec=codec)
        cut = whole.read_bytes()
        out[f"truncated_{suffix[1:]}"] = d / f"truncated{suffix}"
        out[f"truncated_{suffix[1:]}"].write_bytes(cut[: len(cut) // 2])
        whole.unlink()

    out["text"] = d / "notes.mp4"
    out["text"].write_text("This is a meeting note, not a video.\n" * 20)

    out["png"] = d / "picture.mp4"
    ok, png = cv2.imencode(".png", np.full((64, 64, 3), 200, np.uint8))
    out["png"].write_bytes(png.tobytes())

    out["audio_only"] = make_clip_audio_only(d / "audio_only.mp4")

    out["undecodable"] = d / "undecodable.mp4"
    rng = np.random.default_rng(7)
    with av.open(str(good)) as src, av.open(str(out["undecodable"]), "w") as dst:
        s = dst.add_stream_from_template(src.streams.video[0])
        for p in src.demux(src.streams.video[0]):
            if p.dts is None:
                continue
            junk = av.Packet(rng.integers(0, 256, size=max(64, p.size), dtype=np.uint8).tobytes())
            junk.pts, junk.dts, junk.time_base, junk.stream = p.pts, p.dts, p.time_base, s
            junk.is_keyframe = p.is_keyframe
            dst.mux(junk)

    out["missing"] = d / "does_not_exist.mp4"
    for tmp in (good, fast):
        tmp.unlink()
    return out


def make_clip_audio_only(path: str | Path, seconds: float = 1.0) -> Path:
    """Write an AAC tone with no video stream to ``path`` and return the path."""
    path = Path(path)
    rate = 48000
    with av.open(str(path), "w", format="mp4") as out:
        s = out.add_stream("aac", rate=rate, layout="mono")
        n = int(seconds * rate)
        for start in range(0, n, 1024):
            k = np.arange(start, start + 1024)
            wave = (0.2 * np.sin(2 * np.pi * 440 * k / rate)).astype(np.float32)
            frame = av.AudioFrame.from_ndarray(wave.reshape(1, -1), format="fltp", layout="mono")
            frame.sample_rate, frame.pts, frame.time_base = rate, start, Fraction(1, rate)
            for p in s.encode(frame):
                out.mux(p)
        for p in s.encode():
            out.mux(p)
    return path


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
