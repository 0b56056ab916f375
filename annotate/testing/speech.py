"""A test clip with speech at known times: phrases spoken by Debian's ``espeak-ng``, silence between them.

:func:`make_speech_clip` writes a small video (a grey picture, 10 frames per
second) whose AAC audio track holds each phrase starting at its planned time;
it returns, for each phrase, the time its speech really begins (espeak-ng's own
lead-in silence measured off the samples), so a test can check that a
transcript puts the words where they are heard.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Sequence

import av
import numpy as np

RATE = 22050  # espeak-ng's own sample rate
FPS = 10


@dataclass(frozen=True)
class Spoken:
    """One phrase of a speech clip: its words, and when its speech begins and ends (seconds from frame 0)."""

    text: str
    start_s: float
    end_s: float


def espeak(text: str, folder: Path) -> np.ndarray:
    """Return ``text`` spoken by espeak-ng as int16 samples at RATE. Raises RuntimeError without espeak-ng."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise RuntimeError("espeak-ng is not installed (apt-get install espeak-ng)")
    out = folder / "phrase.wav"
    subprocess.run([exe, "-s", "150", "-w", str(out), text], check=True, capture_output=True, timeout=60)
    with wave.open(str(out)) as wav:
        if wav.getframerate() != RATE or wav.getsampwidth() != 2 or wav.getnchannels() != 1:
            raise RuntimeError(f"espeak-ng wrote {wav.getframerate()} Hz, {wav.getnchannels()} channels")
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)


def _voiced(samples: np.ndarray) -> tuple[int, int]:
    """Return the first and last sample louder than 2 % of full scale."""
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > 655)
    return (int(loud[0]), int(loud[-1])) if loud.size else (0, 0)


def make_speech_clip(path: str | Path, phrases: Sequence[tuple[float, str]], duration_s: float,
                     video_start_s: Fraction = Fraction(0)) -> list[Spoken]:
    """Write a video to ``path`` with each ``(start_s, text)`` phrase spoken from ``start_s``; return what was said.

    Times are seconds of the audio track, which starts at presentation time 0;
    ``video_start_s`` (a multiple of 1/FPS) is when the first video frame is
    shown, so the returned times, like every time of a recording, count from
    that frame. The phrases must not overlap and must end before
    ``duration_s``. Raises ValueError when they do, RuntimeError without espeak-ng.
    """
    track = np.zeros(int(duration_s * RATE), dtype=np.int16)
    spoken = []
    with tempfile.TemporaryDirectory() as tmp:
        reach = 0
        for start_s, text in phrases:
            samples = espeak(text, Path(tmp))
            at = int(round(start_s * RATE))
            if at < reach or at + len(samples) > len(track):
                raise ValueError(f"the phrase at {start_s} s overlaps another or runs past {duration_s} s")
            track[at:at + len(samples)] = samples
            first, last = _voiced(samples)
            shown = float(video_start_s)
            spoken.append(Spoken(text, (at + first) / RATE - shown, (at + last) / RATE - shown))
            reach = at + len(samples)
    _write(Path(path), track, duration_s, Fraction(video_start_s) * FPS)
    return spoken


def _write(path: Path, track: np.ndarray, duration_s: float, first_frame: Fraction) -> None:
    """Mux a grey picture at FPS from frame number ``first_frame`` and ``track`` (int16 mono at RATE, AAC
    from time 0) into ``path``."""
    if first_frame.denominator != 1:
        raise ValueError("the first video frame must start on a multiple of 1/FPS")
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=FPS, options={"preset": "ultrafast"})
        video.width, video.height, video.pix_fmt = 160, 120, "yuv420p"
        audio = out.add_stream("aac", rate=RATE, layout="mono")
        picture = np.full((120, 160, 3), 128, dtype=np.uint8)
        chunk, sent = 1024, 0
        for i in range(int(duration_s * FPS)):
            frame = av.VideoFrame.from_ndarray(picture, format="bgr24")
            frame.pts, frame.time_base = int(first_frame) + i, Fraction(1, FPS)
            for packet in video.encode(frame):
                out.mux(packet)
            while sent < len(track) and sent < (i + 1) * RATE / FPS:
                piece = track[sent:sent + chunk]
                if len(piece) < chunk:
                    piece = np.pad(piece, (0, chunk - len(piece)))
                sound = av.AudioFrame.from_ndarray(piece.reshape(1, -1), format="s16", layout="mono")
                sound.sample_rate, sound.pts, sound.time_base = RATE, sent, Fraction(1, RATE)
                for packet in audio.encode(sound):
                    out.mux(packet)
                sent += chunk
        for stream in (video, audio):
            for packet in stream.encode():
                out.mux(packet)
