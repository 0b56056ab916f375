"""Browser proxies: an H.264 mp4 any browser plays, with every frame at its original time.

The proxy is H.264 yuv420p in mp4 with ``+faststart`` (index before the media
data, so playback starts before the download ends), upright (rotation baked in),
square pixels (sample aspect ratio applied by scaling to the display size), and
even-sized (an odd display width or height loses its last column or row: a crop,
never a rescale of the whole picture). Every source frame is kept, and frame i is
presented at exactly the source's frame i time minus the source's start offset,
on the source's own time base: the proxy starts at 0 and an event time means the
same picture in both. B-frames are off and keyframes come every second, so a
browser seeks quickly and exactly. Audio is copied when it is AAC or MP3,
otherwise re-encoded to AAC; it keeps its offset to the video.
"""

from __future__ import annotations

import math
import os
from fractions import Fraction
from typing import Callable

import av
import numpy as np

from ..fsutil import atomic_path
from .container import open_video
from .convert import to_bgr, to_bt709, upright
from .probe import VideoInfo, inspect, probe

Progress = Callable[[int, int], None]
_COPY_AUDIO = {"aac", "mp3"}


def needs_proxy(info: VideoInfo) -> bool:
    """Return True if a browser cannot play the file as is (see ``VideoInfo.browser_issues``)."""
    return not info.browser_playable


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
    of :func:`annotate.media.probe` for a bad source.
    """
    info, index = inspect(src)
    out_w, out_h = max(2, info.width - info.width % 2), max(2, info.height - info.height % 2)
    geometry = (info.rotation, info.sample_aspect_ratio != 1, (out_w, out_h) != (info.width, info.height))
    reshape = any(geometry)
    total = index.frame_count
    every = max(1, total // 200)
    src_tb = index.time_base
    tb = _proxy_time_base(src_tb, index.duration)
    scale = src_tb / tb  # a whole number: every source time stays exact
    first = index.first_pts
    end_ticks = max(1, round(index.duration / tb))  # the last frame's end, relative to the first frame

    container, vstream = open_video(src)
    with container, atomic_path(dst, suffix=".mp4") as tmp:
        with av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"}) as out:
            ov = out.add_stream("libx264", options={
                "preset": preset, "crf": str(crf), "bf": "0",
                "g": str(max(1, round(info.fps))), "profile": "high",
            })
            ov.width, ov.height, ov.pix_fmt = out_w, out_h, "yuv420p"
            cc = ov.codec_context
            cc.color_primaries = cc.color_trc = cc.colorspace = 1  # BT.709: what _proxy_frame makes
            cc.color_range = 1  # limited
            ov.codec_context.time_base = tb
            ov.time_base = tb
            if not info.vfr:
                ov.codec_context.framerate = info.fps
            audio = _AudioPath(container, out, info, first * tb)
            vstream.codec_context.thread_type = "AUTO"
            streams = [vstream] + ([audio.src] if audio.src is not None else [])
            for s in container.streams:
                if s not in streams:
                    s.discard = av.stream.Discard.all
            done = 0
            pending: av.VideoFrame | None = None  # held back one frame to know its duration
            durations: dict[int, int] = {}  # x264 guesses packet durations; the last frame's must be exact

            def mux_video(packets) -> None:
                for p in packets:
                    if p.pts in durations:
                        p.duration = durations.pop(p.pts)
                    out.mux(p)

            def emit(frame: av.VideoFrame, next_rel: int) -> None:
                nonlocal done
                frame.duration = durations[frame.pts] = max(1, next_rel - frame.pts)
                mux_video(ov.encode(frame))
                done += 1
                if progress is not None and (done % every == 0 or done == total):
                    progress(done, total)

            def video_frames(packet):
                try:
                    return vstream.codec_context.decode(packet)
                except av.FFmpegError:
                    return []

            for packet in container.demux(streams):
                if packet.stream.index != vstream.index:
                    audio.feed(packet)
                    continue
                eof = packet.size == 0 and packet.pts is None
                for decoded in video_frames(None if eof else packet):
                    if decoded.pts is None or index.index_of_pts(decoded.pts) is None:
                        continue  # not a frame of the index (e.g. a discarded edit-list lead-in)
                    frame = _proxy_frame(decoded, info, reshape, (out_w, out_h))
                    frame.pts, frame.time_base = int((decoded.pts - first) * scale), tb
                    if pending is not None:
                        emit(pending, frame.pts)
                    pending = frame
            if pending is not None:
                emit(pending, end_ticks)
            mux_video(ov.encode())
            audio.finish()
    return probe(dst)


def _proxy_time_base(src_tb: Fraction, duration: Fraction) -> Fraction:
    """Return a time base holding every source time and the end of the last frame exactly, if one fits."""
    den = src_tb.denominator
    finer = den * duration.denominator // math.gcd(den, duration.denominator)
    return Fraction(1, finer) if finer < 2**31 else src_tb


def _proxy_frame(decoded: av.VideoFrame, info: VideoInfo, reshape: bool, size: tuple[int, int]) -> av.VideoFrame:
    """Return a fresh yuv420p frame of the upright, square-pixel, even-sized picture."""
    if not reshape:
        frame = to_bt709(decoded)
        frame.pict_type = av.video.frame.PictureType.NONE  # never let the source's frame types steer x264
        return frame
    shown = (info.width, info.height) if info.sample_aspect_ratio != 1 else None
    image = upright(to_bgr(decoded), info.rotation, shown)
    image = np.ascontiguousarray(image[: size[1], : size[0]])
    return to_bt709(av.VideoFrame.from_ndarray(image, format="bgr24"))


class _AudioPath:
    """Copies (AAC, MP3) or re-encodes (anything else, to AAC) the first audio stream, shifted with the video."""

    def __init__(self, container, out, info: VideoInfo, video_start: Fraction):
        self.src = next(iter(container.streams.audio), None)
        self.out = out
        self.start = video_start
        self.copy = False
        if self.src is None or self.src.codec_context is None:
            self.src = None
            return
        if info.audio_codec in _COPY_AUDIO:
            self.copy = True
            self.dst = out.add_stream_from_template(self.src)
            self.shift = round(video_start / self.src.time_base)
        else:
            rate = self.src.codec_context.sample_rate or 48000
            rate = rate if rate in (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 88200, 96000) else 48000
            layout = "mono" if self.src.codec_context.layout.nb_channels == 1 else "stereo"
            self.rate = rate
            self.dst = out.add_stream("aac", rate=rate, layout=layout)
            self.dst.time_base = Fraction(1, rate)
            self.resampler = av.AudioResampler(format="fltp", layout=layout, rate=rate)
            self.next_pts: int | None = None

    def feed(self, packet) -> None:
        if self.src is None or packet.stream.index != self.src.index:
            return
        if packet.size == 0 and packet.pts is None:
            if not self.copy:
                self._encode(self._decode(None))
            return
        if self.copy:
            if packet.pts is None or packet.dts is None:
                return
            if packet.pts - self.shift < 0:
                return  # before the first video frame
            packet.pts -= self.shift
            packet.dts -= self.shift
            packet.stream = self.dst
            self.out.mux(packet)
            return
        self._encode(self._decode(packet))

    def _decode(self, packet) -> list:
        try:
            return self.src.codec_context.decode(packet)
        except av.FFmpegError:
            return []

    def _encode(self, frames) -> None:
        for frame in frames:
            if frame is not None and frame.pts is not None and self.next_pts is None:
                rel = frame.pts * Fraction(frame.time_base) - self.start
                self.next_pts = round(rel * self.rate)
            for res in self.resampler.resample(frame):
                pts = self.next_pts or 0
                self.next_pts = pts + res.samples
                if pts < 0:
                    continue  # before the first video frame
                res.pts, res.time_base = pts, Fraction(1, self.rate)
                for p in self.dst.encode(res):
                    self.out.mux(p)

    def finish(self) -> None:
        if self.src is None or self.copy:
            return
        self._encode([None])
        for p in self.dst.encode(None):
            self.out.mux(p)
