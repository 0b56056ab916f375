"""What a video file is: duration, exact frame rate and times, sizes, rotation, codecs.

``probe(path)`` reads the container's index (or scans packets) and decodes a
single frame; it never decodes the whole video, so a one-hour recording is
probed in well under a second.

Rotation convention: :attr:`VideoInfo.rotation` is the clockwise angle (0, 90,
180 or 270) a player turns the stored picture to show it upright. A phone held
upright usually stores landscape pixels with rotation 90. (FFmpeg's display
matrix angle, and PyAV's ``VideoFrame.rotation``, count counter-clockwise:
``rotation == -frame.rotation % 360``.)

Size limit: video larger than :data:`MAX_SIDE` (8192) pixels on either side,
stored or as displayed, is refused with :class:`~annotate.errors.VideoTooLargeError`.
A decoded 16000x8000 frame is 384 MB as BGR; rendering one peaked at 3 GB, and
browsers do not play such sizes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path


from ..errors import VideoTooLargeError
from ..timebase import fraction_str
from .container import open_video, undecodable
from .sniff import sniff_container
from .timeindex import TimeIndex, build_time_index

MAX_SIDE = 8192  # pixels on a side; see the module docstring

# What a current desktop browser plays in a <video> element without help.
_BROWSER_VIDEO = {"mp4": {"h264", "av1"}, "webm": {"vp8", "vp9", "av1"}}
_BROWSER_AUDIO = {"mp4": {"aac", "mp3", "opus", "flac"}, "webm": {"opus", "vorbis"}}
_BROWSER_PIX_FMTS = {"yuv420p", "yuvj420p"}


@dataclass(frozen=True)
class VideoInfo:
    """A video file's facts, as the container states them.

    ``duration`` runs from the first frame's presentation time to the end of the
    last frame. ``fps`` is exact (a Fraction); for variable frame rate it is the
    average, frame_count / duration. ``coded_width``/``coded_height`` are the
    stored picture; ``width``/``height`` are as displayed: sample aspect ratio
    applied to the stored width (rounded), then rotation (90/270 swap them); they
    are not forced even. ``start_offset`` is the first frame's presentation time
    on the container's clock; all other times count from that frame (= 0).
    ``browser_issues`` lists why a browser cannot play the file as is (empty if it
    can): the file must be mp4 (H.264/AV1) or WebM (VP8/VP9/AV1), 8-bit 4:2:0,
    even-sized, unrotated, square pixels, starting at 0, with browser audio.
    """

    path: Path
    container: str
    size_bytes: int
    duration: Fraction
    fps: Fraction
    frame_count: int
    coded_width: int
    coded_height: int
    width: int
    height: int
    rotation: int
    sample_aspect_ratio: Fraction
    video_codec: str
    pix_fmt: str
    audio_codec: str | None
    start_offset: Fraction
    vfr: bool
    time_base: Fraction
    browser_issues: tuple[str, ...]

    @property
    def duration_s(self) -> float:
        return float(self.duration)

    @property
    def start_offset_s(self) -> float:
        return float(self.start_offset)

    @property
    def has_audio(self) -> bool:
        return self.audio_codec is not None

    @property
    def browser_playable(self) -> bool:
        return not self.browser_issues

    def to_json(self) -> dict:
        """Return a JSON-ready dict; fractions are strings such as ``"30000/1001"``."""
        return {
            "path": str(self.path),
            "container": self.container,
            "size_bytes": self.size_bytes,
            "duration_s": self.duration_s,
            "duration": fraction_str(self.duration),
            "fps": fraction_str(self.fps),
            "frame_count": self.frame_count,
            "width": self.width,
            "height": self.height,
            "coded_width": self.coded_width,
            "coded_height": self.coded_height,
            "rotation": self.rotation,
            "sample_aspect_ratio": fraction_str(self.sample_aspect_ratio),
            "video_codec": self.video_codec,
            "pix_fmt": self.pix_fmt,
            "audio_codec": self.audio_codec,
            "has_audio": self.has_audio,
            "start_offset_s": self.start_offset_s,
            "start_offset": fraction_str(self.start_offset),
            "vfr": self.vfr,
            "time_base": fraction_str(self.time_base),
            "browser_playable": self.browser_playable,
            "browser_issues": list(self.browser_issues),
        }


def probe(path: str | os.PathLike) -> VideoInfo:
    """Return the :class:`VideoInfo` of the video at ``path``.

    Raises a MediaError subclass (missing, empty, not a video, truncated, audio
    only, undecodable, VideoTooLargeError over MAX_SIDE pixels on a side) whose
    message says what to do.
    """
    return inspect(path)[0]


def frame_times(path: str | os.PathLike) -> list[Fraction]:
    """Return every frame's presentation time in seconds relative to the first frame (sorted, first = 0).

    Computed from the container without decoding. Raises like :func:`probe`.
    """
    return inspect(path)[1].frame_times


def inspect(path: str | os.PathLike) -> tuple[VideoInfo, TimeIndex]:
    """Return (VideoInfo, TimeIndex) of ``path``; see :func:`probe` (also raises VideoTooLargeError)."""
    p = Path(path)
    container, stream = open_video(p)
    with container:
        ctx = stream.codec_context
        check_size(p, ctx.width or 0, ctx.height or 0)  # before a frame of that size is decoded
        index, decoded = build_time_index(p, container, stream)
        if decoded.frame is None:
            detail = f"{decoded.rejected} of {decoded.sent} packets rejected by the {stream.codec_context.name} decoder"
            raise undecodable(p, detail)
        first = decoded.frame
        if first.pts is not None:
            index = index.starting_at(first.pts)
        rotation = (-round(first.rotation / 90) * 90) % 360 if first.rotation else 0
        coded_w, coded_h = first.width, first.height
        sar = Fraction(stream.sample_aspect_ratio or 1) or Fraction(1)
        shown_w, shown_h = max(1, round(coded_w * sar)), coded_h
        if rotation in (90, 270):
            shown_w, shown_h = shown_h, shown_w
        check_size(p, coded_w, coded_h)
        check_size(p, shown_w, shown_h)
        audio = next((s for s in container.streams.audio), None)
        audio_codec = audio.codec_context.codec.canonical_name if audio is not None and audio.codec_context else None
        kind = sniff_container(p) or container.format.name.split(",")[0]
        video_codec = stream.codec_context.codec.canonical_name
        pix_fmt = first.format.name
        info = VideoInfo(
            path=p,
            container=kind,
            size_bytes=p.stat().st_size,
            duration=index.duration,
            fps=index.fps,
            frame_count=index.frame_count,
            coded_width=coded_w,
            coded_height=coded_h,
            width=shown_w,
            height=shown_h,
            rotation=rotation,
            sample_aspect_ratio=sar,
            video_codec=video_codec,
            pix_fmt=pix_fmt,
            audio_codec=audio_codec,
            start_offset=index.start_offset,
            vfr=index.vfr,
            time_base=index.time_base,
            browser_issues=_browser_issues(kind, video_codec, pix_fmt, coded_w, coded_h, rotation, sar, index, audio_codec),
        )
    return info, index


def needs_proxy(info: VideoInfo) -> bool:
    """Return True if a browser cannot play the file as is (see ``VideoInfo.browser_issues``)."""
    return not info.browser_playable


def check_size(path: Path, width: int, height: int) -> None:
    """Raise VideoTooLargeError when ``width`` or ``height`` exceeds MAX_SIDE; return None otherwise."""
    if max(width, height) <= MAX_SIDE:
        return
    scale = "scale=8192:-2" if width >= height else "scale=-2:8192"
    raise VideoTooLargeError(
        f"{path.name} is {width}x{height}; cx-annotate takes video up to {MAX_SIDE} pixels on a side; "
        f"scale it down (ffmpeg -i {path.name} -vf {scale} smaller.mp4) and add it again",
        path,
    )


def _browser_issues(kind, codec, pix_fmt, w, h, rotation, sar, index: TimeIndex, audio_codec) -> tuple[str, ...]:
    issues = []
    if kind not in _BROWSER_VIDEO:
        issues.append(f"container {kind}")
    elif codec not in _BROWSER_VIDEO[kind]:
        issues.append(f"codec {codec} in {kind}")
    if pix_fmt not in _BROWSER_PIX_FMTS:
        issues.append(f"pixel format {pix_fmt}")
    if w % 2 or h % 2:
        issues.append(f"odd size {w}x{h}")
    if rotation:
        issues.append(f"rotation {rotation}")
    if sar != 1:
        issues.append(f"non-square pixels {sar}")
    if index.first_pts != 0:
        issues.append(f"first frame at {float(index.start_offset):.3f} s")
    if audio_codec is not None and audio_codec not in _BROWSER_AUDIO.get(kind, set()):
        issues.append(f"audio {audio_codec}")
    return tuple(issues)
