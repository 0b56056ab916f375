"""Audio cut to a window of the video's clock, sample-exact, for clips and reels (and re-encoded exports)."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np


AAC_RATES = frozenset({8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 88200, 96000})
DEFAULT_RATE = 48000


def aac_rate(stream: av.audio.stream.AudioStream) -> int:
    """Return the AAC sample rate for an input audio stream: its own when AAC has it, else 48 kHz."""
    rate = stream.codec_context.sample_rate or DEFAULT_RATE
    return rate if rate in AAC_RATES else DEFAULT_RATE


def output_layout(stream: av.audio.stream.AudioStream) -> str:
    """Return the AAC layout for an input audio stream: mono stays mono, anything else becomes stereo."""
    channels = getattr(stream.codec_context, "channels", None) or stream.codec_context.layout.nb_channels
    return "mono" if channels == 1 else "stereo"


class AudioCutter:
    """Turns decoded audio frames into float32 ``(channels, n)`` samples covering one window.

    ``origin`` is the source clock time (seconds) of the video's first frame;
    ``start`` the window's start relative to it; ``length`` the window's sample
    count (None: no end). Samples are placed by their timestamps: a gap in the
    source becomes silence, an overlap is dropped, so the output stays in step
    with the video. With ``pad_start`` the output begins exactly at ``start``
    (silence first if the audio starts later); without it, output begins at the
    first real sample and ``first_sample`` tells where that is.
    """

    def __init__(
        self,
        rate: int,
        layout: str,
        origin: Fraction,
        start: Fraction = Fraction(0),
        length: int | None = None,
        pad_start: bool = True,
    ):
        self.rate, self.layout = rate, layout
        self.channels = av.AudioLayout(layout).nb_channels
        self.origin, self.start = Fraction(origin), Fraction(start)
        self.length = length
        self.pad_start = pad_start
        self.first_sample: int | None = 0 if pad_start else None
        self.written = 0  # samples emitted, counted from first_sample
        self._resampler = av.AudioResampler(format="fltp", layout=layout, rate=rate)

    @property
    def done(self) -> bool:
        """Return True once the window is full."""
        return self.length is not None and self.written >= self.length

    def feed(self, frame: av.AudioFrame | None) -> np.ndarray:
        """Return the samples of ``frame`` that fall in the window (None flushes the resampler)."""
        out = [self._place(f) for f in self._resampler.resample(frame)]
        out = [o for o in out if o.shape[1]]
        return np.concatenate(out, axis=1) if out else self._empty()

    def finish(self) -> np.ndarray:
        """Return the rest of the window: what the resampler still holds, then silence up to ``length``."""
        tail = self.feed(None)
        if self.length is None or self.written >= self.length:
            return tail
        pad = np.zeros((self.channels, self.length - self.written), np.float32)
        self.written = self.length
        return np.concatenate([tail, pad], axis=1)

    def _empty(self) -> np.ndarray:
        return np.zeros((self.channels, 0), np.float32)

    def _place(self, frame: av.AudioFrame) -> np.ndarray:
        data = frame.to_ndarray().astype(np.float32, copy=False).reshape(self.channels, -1)
        if frame.pts is not None and frame.time_base is not None:
            t = frame.pts * Fraction(frame.time_base) - self.origin - self.start
            at = round(t * self.rate)  # window sample index of this frame's first sample
        else:
            at = (self.first_sample or 0) + self.written
        if self.first_sample is None:
            if at + data.shape[1] <= 0:
                return self._empty()
            self.first_sample = max(at, 0)
        expected = self.first_sample + self.written
        if at > expected:  # a gap: fill it with silence
            data = np.concatenate([np.zeros((self.channels, at - expected), np.float32), data], axis=1)
        elif at < expected:  # overlap or before the window: drop what was already covered
            data = data[:, expected - at :]
        if self.length is not None:
            data = data[:, : max(self.length - self.written, 0)]
        self.written += data.shape[1]
        return data
