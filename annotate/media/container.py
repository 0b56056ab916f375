"""Open a media file with PyAV, or raise the MediaError that tells the user what to do.

Every way a file can be unusable ends here as one :class:`~annotate.errors.MediaError`
subclass with a one-line message: missing, empty, not a video, cut short,
audio only, or undecodable.
"""

from __future__ import annotations

import os
from pathlib import Path

import av
import av.container

from ..errors import (
    EmptyMediaError,
    MediaNotFoundError,
    NotAVideoError,
    NoVideoStreamError,
    TruncatedMediaError,
    UndecodableMediaError,
)
from .mp4box import top_level_boxes
from .sniff import describe_non_video, sniff_container

_ADD = "add a video file such as .mp4, .mov, .mkv, .webm or .avi"
# FFmpeg happily opens a single picture as a one-frame "video"; a recording it is not.
_IMAGE_FORMATS = {"image2", "apng", "gif", "webp", "tty", "lrc", "srt", "ass", "webvtt"}


def check_file(path: str | os.PathLike) -> Path:
    """Return ``path`` as a Path if it is a non-empty file.

    Raises MediaNotFoundError (missing, or a directory) or EmptyMediaError (0 bytes).
    """
    p = Path(path)
    if not p.exists():
        raise MediaNotFoundError(f"{p} does not exist; check the path and the file name", p)
    if not p.is_file():
        raise MediaNotFoundError(f"{p} is not a file; give the path of a video file", p)
    if p.stat().st_size == 0:
        raise EmptyMediaError(f"{p.name} is empty (0 bytes); the copy or upload did not finish, add the file again", p)
    return p


def mp4_is_truncated(path: Path) -> bool:
    """Return True if an ISO-BMFF file's top-level boxes run past its end."""
    return top_level_boxes(path).truncated


def open_video(path: str | os.PathLike) -> tuple[av.container.InputContainer, av.video.stream.VideoStream]:
    """Open ``path`` and return (container, its first video stream); the caller closes the container.

    Raises MediaNotFoundError, EmptyMediaError, NotAVideoError, TruncatedMediaError,
    NoVideoStreamError or UndecodableMediaError with a message naming the file.
    """
    p = check_file(path)
    kind = sniff_container(p)
    try:
        container = av.open(str(p), "r")
    except av.FFmpegError as exc:
        raise _open_error(p, kind, exc) from None
    try:
        return container, _video_stream(p, container)
    except BaseException:
        container.close()
        raise


def _open_error(p: Path, kind: str | None, exc: Exception) -> Exception:
    if kind in ("mp4", "mov") and mp4_is_truncated(p):
        return TruncatedMediaError(
            f"{p.name} is cut short (its data ends early and the index is missing); copy the complete file again", p
        )
    if kind is None:
        what = describe_non_video(p)
        found = f"it is {what}" if what else "its content is not a known video format"
        return NotAVideoError(f"{p.name} is not a video ({found}); {_ADD}", p)
    reason = getattr(exc, "strerror", None) or str(exc)
    return TruncatedMediaError(f"{p.name} looks like {kind} but cannot be read ({reason}); it may be damaged, export or copy it again", p)


def _video_stream(p: Path, container: av.container.InputContainer) -> av.video.stream.VideoStream:
    fmt = container.format.name
    if fmt in _IMAGE_FORMATS or fmt.endswith("_pipe"):
        what = describe_non_video(p) or f"a {fmt.replace('_pipe', '').upper()} file"
        raise NotAVideoError(f"{p.name} is not a video (it is {what}); {_ADD}", p)
    videos = [
        s
        for s in container.streams.video
        if not (s.disposition & av.stream.Disposition.attached_pic) and not (s.disposition & av.stream.Disposition.still_image)
    ]
    if not videos:
        kinds = sorted({s.type for s in container.streams})
        has = "audio only" if kinds == ["audio"] else ("no streams" if not kinds else "only " + ", ".join(kinds))
        raise NoVideoStreamError(f"{p.name} has no video stream ({has}); {_ADD}", p)
    stream = next((s for s in videos if s.disposition & av.stream.Disposition.default), videos[0])
    if stream.codec_context is None:
        raise UndecodableMediaError(
            f"{p.name}: no decoder for its video codec; convert it to H.264 (e.g. with HandBrake) and add it again", p
        )
    return stream


def undecodable(p: Path, detail: str = "") -> UndecodableMediaError:
    """Return the error for a video stream from which no picture can be decoded."""
    extra = f" ({detail})" if detail else ""
    return UndecodableMediaError(
        f"{p.name}: no picture can be decoded from its video{extra}; the file is damaged or its codec unsupported, export it again",
        p,
    )
