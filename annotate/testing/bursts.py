"""A test clip whose sound is known: silence with full-scale noise bursts at given times.

``burst_clip`` writes a small MOV (H.264 video whose grey level rises frame by frame, PCM audio) with the
video's first frame and the audio's first sample placed exactly where asked, so tests of anything that
follows the audio (the waveform, voice activity) know where the sound is against the first frame.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

RATE = 16000


def burst_clip(path: Path, *, video_start_s: Fraction, audio_delay_s: Fraction, bursts: list[tuple[float, float]],
               seconds: int = 3) -> Path:
    """Write a 10 fps clip (video starting at ``video_start_s`` on the container clock) whose PCM audio starts
    ``audio_delay_s`` after the first frame and is silent but for full-scale noise in ``bursts`` (seconds
    from the audio's own start)."""
    n = int((seconds - audio_delay_s) * RATE)
    samples = np.zeros(n, np.float32)
    rng = np.random.default_rng(1)
    for a, b in bursts:
        samples[int(a * RATE):int(b * RATE)] = rng.uniform(-1, 1, int(b * RATE) - int(a * RATE))
    pcm = (samples * 32767).astype(np.int16)
    with av.open(str(path), "w", format="mov") as out:
        vs = out.add_stream("libx264", rate=10)
        vs.width, vs.height, vs.pix_fmt = 64, 48, "yuv420p"
        vs.time_base = Fraction(1, RATE)  # one clock for both streams (the mov muxer keeps it)
        aus = out.add_stream("pcm_s16le", rate=RATE, layout="mono")
        aus.time_base = Fraction(1, RATE)
        for i in range(seconds * 10):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 8 % 256, np.uint8), format="rgb24")
            frame.pts, frame.time_base = int((video_start_s + Fraction(i, 10)) * RATE), Fraction(1, RATE)
            out.mux(vs.encode(frame))
        out.mux(vs.encode(None))
        first = int((video_start_s + audio_delay_s) * RATE)
        for k in range(0, n, 1024):
            chunk = av.AudioFrame.from_ndarray(pcm[None, k:k + 1024], format="s16", layout="mono")
            chunk.sample_rate, chunk.pts = RATE, first + k
            out.mux(aus.encode(chunk))
        out.mux(aus.encode(None))
    return path
