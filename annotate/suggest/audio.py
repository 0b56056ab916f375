"""The sound side of the analysis: speech segments and long silences, with WebRTC's voice-activity detector.

The first audio track is decoded with PyAV (only its packets are demuxed) and
resampled to 16 kHz mono signed 16-bit, the format the VAD takes; every 10 ms
is classed speech or not, streaming (memory holds one packet's samples and the
list of segments). Times are on the recording's clock: seconds from the first
video frame (``origin`` is that frame's time on the container clock), so a
file whose audio starts before or after its picture still lines up.

Short pauses inside speech are bridged and very short bursts dropped
(:class:`~.settings.SuggestSettings`); a silence is a gap between two speech
segments at least ``silence_min_s`` long. A file without an audio track has no
segments (None), which is not an error.
"""

from __future__ import annotations

import os
from fractions import Fraction

import av
import numpy as np
import webrtcvad

from .settings import SuggestSettings

RATE = 16000
STEP = 160  # samples: 10 ms, one VAD frame
CHUNK = 32768  # decoded samples resampled at once (about 1.5 s at 22.05 kHz)
EDGE_LOUDNESS = 0.03  # of a speech run's loudest 10 ms: quieter frames at its edges are the VAD's hang-over
Segment = tuple[float, float]  # start, end in seconds from the first video frame


class _Runs:
    """Collects the VAD's per-10-ms verdicts as runs of speech (sample offsets from the track's start).

    The VAD keeps saying "speech" for about 0.1 s after a voice stops (its
    hang-over); a run's edges are therefore trimmed to its first and last 10 ms
    whose loudness (RMS) is at least ``EDGE_LOUDNESS`` of the run's loudest, so
    segments end where the voice does (a noisy line, louder than that, keeps them).
    """

    def __init__(self) -> None:
        self.runs: list[tuple[int, int]] = []
        self._start: int | None = None
        self._loudness: list[float] = []

    def add(self, offset: int, speech: bool, loudness: float) -> None:
        """Take the verdict and RMS of the 10 ms at sample ``offset``."""
        if speech:
            if self._start is None:
                self._start = offset
            self._loudness.append(loudness)
        elif self._start is not None:
            self.close()

    def close(self) -> None:
        """End the open run (if any) after its last frame."""
        if self._start is None:
            return
        level = np.asarray(self._loudness)
        loud = np.flatnonzero(level >= EDGE_LOUDNESS * level.max()) if level.max() > 0 else np.arange(level.size)
        self.runs.append((self._start + int(loud[0]) * STEP, self._start + (int(loud[-1]) + 1) * STEP))
        self._start, self._loudness = None, []


def _frames_16k(path: os.PathLike | str):
    """Yield (track start in container seconds or None, int16 mono 16 kHz samples) chunks; nothing without audio.

    Decoded frames are gathered into chunks of about :data:`CHUNK` samples before
    resampling (the resampler's cost is mostly per call; its output is the same
    samples however the input is cut).
    """
    with av.open(str(path)) as container:
        stream = next(iter(container.streams.audio), None)
        if stream is None:
            return
        resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
        fifo = av.AudioFifo()
        start: float | None = None
        started = False
        for packet in container.demux(stream):
            try:
                decoded = packet.decode()
            except av.FFmpegError:
                continue  # a damaged packet: its samples are missing
            for frame in decoded:
                if not started and frame.pts is not None:
                    start, started = float(frame.pts * frame.time_base), True
                frame.pts = None  # the samples follow one another (the fifo would insist on gapless timestamps)
                fifo.write(frame)
            if fifo.samples >= CHUNK:
                for out in resampler.resample(fifo.read()):
                    yield start, out.to_ndarray().reshape(-1)
                    start = None
        for out in (resampler.resample(fifo.read()) if fifo.samples else []) + resampler.resample(None):
            yield start, out.to_ndarray().reshape(-1)
            start = None


def speech_runs(path: os.PathLike | str, mode: int) -> tuple[float, list[tuple[float, float]], float] | None:
    """Return (track start, raw speech runs, track end) in container seconds, or None without an audio track.

    Raw runs are the VAD's verdicts, unsmoothed. Raises nothing for damaged packets (they are skipped).
    """
    vad = webrtcvad.Vad(mode)
    runs, pending = _Runs(), np.zeros(0, dtype=np.int16)
    origin: float | None = None
    offset = 0
    seen = False
    for start, samples in _frames_16k(path):
        seen = True
        if origin is None:
            origin = start if start is not None else 0.0
        pending = np.concatenate([pending, samples]) if pending.size else samples
        usable = pending.size - pending.size % STEP
        data = pending[:usable].tobytes()
        rms = np.sqrt(np.mean(np.square(pending[:usable].reshape(-1, STEP).astype(np.float32)), axis=1))
        for n, k in enumerate(range(0, usable, STEP)):
            runs.add(offset + k, vad.is_speech(data[2 * k: 2 * (k + STEP)], RATE), float(rms[n]))
        offset += usable
        pending = pending[usable:]
    if not seen:
        return None
    runs.close()
    base = origin or 0.0
    return base, [(base + a / RATE, base + b / RATE) for a, b in runs.runs], base + offset / RATE


def smooth(runs: list[tuple[float, float]], gap_s: float, min_s: float) -> list[tuple[float, float]]:
    """Return ``runs`` with pauses shorter than ``gap_s`` bridged and segments shorter than ``min_s`` dropped."""
    merged: list[list[float]] = []
    for a, b in runs:
        if merged and a - merged[-1][1] < gap_s:
            merged[-1][1] = b
        else:
            merged.append([a, b])
    return [(a, b) for a, b in merged if b - a >= min_s]


def speech_and_silences(path: os.PathLike | str, origin: Fraction, duration: Fraction,
                        settings: SuggestSettings) -> tuple[list[Segment], list[Segment]] | None:
    """Return (speech segments, silences) in seconds from the first video frame, clipped to 0..duration.

    ``origin`` is the first video frame's time on the container clock. None when
    the file has no audio track.
    """
    found = speech_runs(path, settings.vad_mode)
    if found is None:
        return None
    _, runs, _ = found
    shift, end = float(origin), float(duration)
    speech = []
    for a, b in smooth(runs, settings.speech_gap_s, settings.speech_min_s):
        a, b = max(a - shift, 0.0), min(b - shift, end)
        if b > a:
            speech.append((a, b))
    silences = [(b, c) for (_, b), (c, _) in zip(speech, speech[1:]) if c - b >= settings.silence_min_s]
    return speech, silences
