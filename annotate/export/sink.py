"""VideoSink: write an H.264 yuv420p mp4 that any browser plays, atomically.

Used as a context manager: frames go in with exact timestamps, the file is
written under a temporary name beside the destination and renamed onto it only
when the block ends without an error, so an interrupted export leaves nothing
under the final name. The index is moved to the front (``+faststart``), the
stream is tagged BT.709 limited range, and every frame keeps the presentation
time it was given; the last packet's duration is set so the track ends exactly
where the last frame ends.
"""

from __future__ import annotations

import contextlib
import os
import sys
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import av
import numpy as np

from ..errors import RenderError
from ..fsutil import atomic_path
from .options import ExportOptions

BT709 = 1  # AVCOL_PRI_BT709 / AVCOL_TRC_BT709 / AVCOL_SPC_BT709
LIMITED_RANGE = 1  # AVCOL_RANGE_MPEG
AUDIO_COPY_CODECS = frozenset({"aac", "mp3", "opus"})  # mp4 holds them and browsers play them
AAC_FRAME = 1024


class VideoSink:
    """An mp4 being written: ``write`` video frames, ``mux_audio`` copied packets or ``write_audio`` samples.

    ``time_base`` is the tick of every ``pts``/``duration`` given to ``write``;
    ``audio_template`` is an input audio stream whose packets will be copied;
    ``audio_encode`` is ``(sample_rate, layout)`` for AAC made from samples.
    Raises RenderError if the encoder cannot be opened.
    """

    def __init__(
        self,
        dst: str | os.PathLike,
        *,
        width: int,
        height: int,
        time_base: Fraction,
        frame_rate: Fraction | None = None,
        options: ExportOptions | None = None,
        audio_template: av.audio.stream.AudioStream | None = None,
        audio_encode: tuple[int, str] | None = None,
    ):
        if width % 2 or height % 2:
            raise ValueError("H.264 yuv420p needs even dimensions")
        self.dst = Path(dst)
        self.width, self.height = width, height
        self.time_base = Fraction(time_base)
        self.frame_rate = frame_rate
        self.options = options or ExportOptions()
        self.audio_template = audio_template
        self.audio_encode = audio_encode
        self.frames_written = 0
        self.audio_samples_written = 0
        self._stack: contextlib.ExitStack | None = None
        self._pending = None  # the newest encoded packet, held back in case it is the last
        self._end_pts: int | None = None
        self._start_pts: int | None = None
        self._first_dts: int | None = None
        self._durations: dict[int, int] = {}  # pts -> duration of frames inside the encoder
        self._audio_next_pts: int | None = None

    # --- opening and closing -------------------------------------------------

    def __enter__(self) -> "VideoSink":
        stack = contextlib.ExitStack()
        try:
            tmp = stack.enter_context(atomic_path(self.dst, suffix=".mp4"))
            # movie_timescale: the edit list (which players and probes read as the duration) counts in the
            # movie's timescale; FFmpeg's default of 1000 would round a clip of 37 frames at 29.97 fps to whole ms.
            options = {"movflags": "+faststart", "movie_timescale": str(_movie_timescale(self.time_base))}
            self.container = av.open(str(tmp), "w", format="mp4", container_options=options)
            stack.callback(self._close_container)
            self._open_streams()
        except BaseException:
            stack.__exit__(*sys.exc_info())
            raise
        self._stack = stack
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> bool:
        stack, self._stack = self._stack, None
        if stack is None:
            return False
        if exc_type is None:
            try:
                self._flush()
            except BaseException:
                stack.__exit__(*sys.exc_info())
                raise
        return bool(stack.__exit__(exc_type, exc, tb))

    def _close_container(self) -> None:
        container, self.container = getattr(self, "container", None), None
        if container is not None:
            container.close()

    def _open_streams(self) -> None:
        opts = self.options
        if opts.encoder not in av.codecs_available:
            raise RenderError(f"encoder {opts.encoder} is not in this FFmpeg build; use --encoder libx264")
        stream = self.container.add_stream(opts.encoder, rate=self.frame_rate, options=opts.encoder_options())
        cc = stream.codec_context
        stream.width, stream.height, stream.pix_fmt = self.width, self.height, "yuv420p"
        cc.time_base = self.time_base
        stream.time_base = self.time_base
        cc.color_primaries = cc.color_trc = cc.colorspace = BT709
        cc.color_range = LIMITED_RANGE
        cc.thread_type = "AUTO"
        self.video = stream
        self.audio = None
        if self.audio_template is not None:
            self.audio = self.container.add_stream_from_template(self.audio_template)
        elif self.audio_encode is not None:
            rate, layout = self.audio_encode
            self.audio = self.container.add_stream("aac", rate=rate, layout=layout)
            self.audio.codec_context.bit_rate = 160_000 if av.AudioLayout(layout).nb_channels > 1 else 96_000
            self.audio.time_base = Fraction(1, rate)
        try:
            self.container.start_encoding()
        except (av.FFmpegError, ValueError) as exc:
            raise RenderError(
                f"the encoder {opts.encoder} cannot be opened on this machine ({exc}); use --encoder libx264"
            ) from exc

    # --- video ---------------------------------------------------------------

    def write(self, frame: av.VideoFrame, pts: int, duration: int) -> None:
        """Encode ``frame`` (yuv420p, this sink's size) shown at ``pts`` for ``duration`` ticks of ``time_base``."""
        frame.pts = int(pts)
        frame.time_base = self.time_base
        frame.pict_type = av.video.frame.PictureType.NONE  # let the encoder choose; a decoded I/P/B tag would force it
        end = int(pts) + max(int(duration), 1)
        self._durations[int(pts)] = max(int(duration), 1)
        if self._start_pts is None:
            self._start_pts = int(pts)
        self._end_pts = end if self._end_pts is None else max(self._end_pts, end)
        for packet in self.video.encode(frame):
            self._mux_video(packet)
        self.frames_written += 1

    def _mux_video(self, packet: av.Packet) -> None:
        if self._first_dts is None:
            self._first_dts = int(packet.dts)
        # The muxer ends the track's edit list at the largest pts + duration: give each packet its frame's duration.
        packet.duration = self._durations.pop(packet.pts, 1)
        prev, self._pending = self._pending, packet
        if prev is not None:
            self.container.mux(prev)

    def _flush(self) -> None:
        for packet in self.video.encode(None):
            self._mux_video(packet)
        last, self._pending = self._pending, None
        if last is not None:
            # The sample table spans first dts .. last dts + last duration; with B-frames the dts run behind
            # the pts, so stretch the last packet until that span, too, ends where the last frame ends.
            span = int(self._end_pts - self._start_pts - (last.dts - self._first_dts))
            last.duration = max(int(last.duration or 1), span)
            self.container.mux(last)
        if self.audio is not None and self.audio_encode is not None:
            self.finish_audio()
            for packet in self.audio.encode(None):
                self.container.mux(packet)

    # --- audio ---------------------------------------------------------------

    def mux_audio(self, packet: av.Packet, shift: int = 0) -> None:
        """Copy an audio packet of ``audio_template``, moved ``shift`` ticks earlier in its time base."""
        if self.audio is None or packet.dts is None:
            return
        if shift:
            packet.pts = None if packet.pts is None else packet.pts - shift
            packet.dts = packet.dts - shift
        packet.stream = self.audio
        self.container.mux(packet)

    def write_audio(self, samples: np.ndarray, start: int | None = None) -> None:
        """Encode float32 ``samples`` shaped (channels, n) as AAC; ``start`` (in samples) places the first chunk
        written, later chunks follow on without gaps."""
        if self.audio is None or self.audio_encode is None or samples.shape[1] == 0:
            return
        rate, layout = self.audio_encode
        if self._audio_next_pts is None:
            self._audio_next_pts = int(start or 0)
            self._audio_buf = np.zeros((samples.shape[0], 0), np.float32)
        self._audio_buf = np.concatenate([self._audio_buf, samples.astype(np.float32, copy=False)], axis=1)
        while self._audio_buf.shape[1] >= AAC_FRAME:
            self._encode_audio(self._audio_buf[:, :AAC_FRAME], rate, layout)
            self._audio_buf = self._audio_buf[:, AAC_FRAME:]

    def finish_audio(self) -> None:
        """Encode the samples still buffered (the last, short AAC frame)."""
        if self.audio_encode is not None and self._audio_next_pts is not None and self._audio_buf.shape[1]:
            rate, layout = self.audio_encode
            self._encode_audio(self._audio_buf, rate, layout)
            self._audio_buf = self._audio_buf[:, :0]

    def _encode_audio(self, chunk: np.ndarray, rate: int, layout: str) -> None:
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(chunk), format="fltp", layout=layout)
        frame.sample_rate = rate
        frame.pts = self._audio_next_pts
        frame.time_base = Fraction(1, rate)
        self._audio_next_pts += chunk.shape[1]
        self.audio_samples_written += chunk.shape[1]
        for packet in self.audio.encode(frame):
            self.container.mux(packet)


def _movie_timescale(time_base: Fraction) -> int:
    """Return the video time base's denominator (scaled up to at least 1000, like the muxer's own choice)."""
    den = Fraction(time_base).denominator
    while den < 1000:
        den *= 2
    return den
