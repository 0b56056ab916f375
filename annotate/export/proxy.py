"""Browser proxies: an H.264 mp4 any browser plays, with every frame at its original time.

The proxy is the overlay export's whole-file path (:func:`~.whole.write_whole`)
with no overlay and its own encoder settings: H.264 yuv420p in mp4 with
``+faststart``, BT.709, upright, square pixels and even-sized by the one size rule
of :mod:`.frames` (sample aspect ratio applied, then an odd side's last column or
row cropped). Every source frame is kept, at the source's frame time minus its
start offset, so the proxy starts at 0 and an event time means the same picture in
both. B-frames are off and keyframes come every second, so a browser seeks quickly
and exactly. Audio is copied when it is AAC or MP3, otherwise re-encoded to AAC.
"""

from __future__ import annotations

import os

from ..media import VideoInfo, probe
from .options import ExportOptions
from .source import Source
from .whole import Progress, check_destination, write_whole

PROXY_COPY_AUDIO = frozenset({"aac", "mp3"})  # what every browser plays in mp4


def make_proxy(
    src: str | os.PathLike,
    dst: str | os.PathLike,
    progress: Progress | None = None,
    *,
    crf: int = 20,
    preset: str = "veryfast",
) -> VideoInfo:
    """Write the browser proxy of ``src`` to ``dst`` (atomically) and return the proxy's VideoInfo.

    ``progress(done_frames, total_frames)`` is called as frames are written (at
    most about 200 times, and once at the end). Raises the MediaError subclasses
    of :func:`annotate.media.probe` for a bad source, RenderError when ``dst`` is ``src``.
    """
    check_destination(dst, src)
    with Source(src) as source:
        options = ExportOptions(
            crf=crf, preset=preset, bframes=False, gop=max(1, round(source.info.fps or 1))
        ).without_overlay()
        write_whole(source, dst, options, None, progress, copy_audio=PROXY_COPY_AUDIO)
    return probe(dst)
