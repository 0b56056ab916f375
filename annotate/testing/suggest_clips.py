"""Test clips with known moments for the suggestion analysis: hard cuts at planned frames, a still stretch, speech.

:func:`make_scene_clip` writes a video whose picture pans steadily (so it is
never still) except in one planned still stretch, and changes to an unrelated
picture at each planned cut frame; times are exact (constant rate, or the given
variable frame times, from any start offset). An optional mono audio track is
written from samples. :func:`speech_track` builds such samples from phrases
spoken by Debian's ``espeak-ng`` with planned silences between them, and
returns where the speech really is (espeak's own quiet edges trimmed), so a test
knows every segment's true start and end.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import wave
from fractions import Fraction
from pathlib import Path
from typing import Sequence

import av
import numpy as np

BLOCK = 32  # pixels: the size of the scenes' coloured blocks
PAN = 2  # pixels per frame the picture moves outside the still stretch


def _scene(width: int, height: int, seed: int) -> np.ndarray:
    """Return a picture of random coloured blocks (BGR), a different one for each seed."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, 256, size=(height // BLOCK + 1, width // BLOCK + 1, 3), dtype=np.uint8)
    return np.ascontiguousarray(np.repeat(np.repeat(blocks, BLOCK, 0), BLOCK, 1)[:height, :width])


def scene_frames(n_frames: int, width: int, height: int, cuts: Sequence[int], still: tuple[int, int] | None):
    """Yield the ``n_frames`` pictures of a scene clip (see the module docstring)."""
    cut_set, scene, offset, picture = set(cuts), 0, 0, _scene(width, height, 0)
    for i in range(n_frames):
        if i in cut_set:
            scene, offset = scene + 1, 0
            picture = _scene(width, height, scene * 7919 + 1)
        yield np.roll(picture, offset, axis=1)
        if still is None or not still[0] <= i < still[1] - 1:  # frames first..end-1 show one picture
            offset += PAN


def make_scene_clip(path: str | Path, *, n_frames: int, cuts: Sequence[int] = (), still: tuple[int, int] | None = None,
                    fps: Fraction | int = 30, frame_times: Sequence[Fraction] | None = None,
                    start_offset_s: Fraction | int = 0, width: int = 320, height: int = 240,
                    audio: np.ndarray | None = None, audio_rate: int = 22050) -> Path:
    """Write the clip to ``path`` (mp4, H.264, AAC audio from ``audio`` int16 mono samples if given); return it.

    ``cuts`` are the first frames of new pictures; ``still`` = (first, end) frames
    that show one unchanging picture; ``frame_times`` (Fractions, first = 0)
    make it variable-rate; the first frame is presented at ``start_offset_s``.
    """
    path = Path(path)
    times = list(frame_times) if frame_times is not None else [Fraction(i) / Fraction(fps) for i in range(n_frames)]
    tb = Fraction(1, 90000)
    first = int(Fraction(start_offset_s) / tb)
    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=None if frame_times is not None else Fraction(fps),
                            options={"preset": "ultrafast", "crf": "20", "g": "60", "bf": "0"})
        vs.width, vs.height, vs.pix_fmt = width, height, "yuv420p"
        vs.codec_context.time_base = vs.time_base = tb
        sound = out.add_stream("aac", rate=audio_rate, layout="mono") if audio is not None else None
        for i, picture in enumerate(scene_frames(n_frames, width, height, cuts, still)):
            frame = av.VideoFrame.from_ndarray(picture, format="bgr24")
            frame.pts, frame.time_base = first + int(times[i] / tb), tb
            for p in vs.encode(frame):
                out.mux(p)
        for p in vs.encode():
            out.mux(p)
        if sound is not None:
            _write_audio(out, sound, audio, audio_rate, Fraction(start_offset_s))
    return path


def _write_audio(out, stream, samples: np.ndarray, rate: int, start_s: Fraction) -> None:
    stream.time_base = Fraction(1, rate)
    first = int(start_s * rate)
    fmt_samples = (samples.astype(np.float32) / 32768.0).reshape(1, -1)
    for k in range(0, fmt_samples.shape[1], 1024):
        chunk = np.ascontiguousarray(fmt_samples[:, k:k + 1024])
        if chunk.shape[1] < 1024:
            chunk = np.pad(chunk, ((0, 0), (0, 1024 - chunk.shape[1])))
        frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = rate, first + k, Fraction(1, rate)
        for p in stream.encode(frame):
            out.mux(p)
    for p in stream.encode():
        out.mux(p)


def espeak_available() -> bool:
    """Return True when Debian's ``espeak-ng`` is on the PATH."""
    return shutil.which("espeak-ng") is not None


def spoken(text: str) -> tuple[np.ndarray, int]:
    """Return (int16 mono samples, rate) of ``text`` spoken by espeak-ng, its quiet start and end trimmed."""
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "speech.wav"
        subprocess.run(["espeak-ng", "-w", str(target), text], check=True, capture_output=True)
        with wave.open(str(target)) as w:
            rate = w.getframerate()
            samples = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > 0.02 * np.abs(samples.astype(np.int32)).max())
    return samples[loud[0]: loud[-1] + 1].copy(), rate


def speech_track(parts: Sequence[str | float]) -> tuple[np.ndarray, int, list[tuple[float, float]]]:
    """Return (samples, rate, speech spans in seconds) for ``parts``: a number is that many seconds of silence,
    text is a phrase spoken by espeak-ng."""
    pieces, spans, rate, t = [], [], 22050, 0.0
    for part in parts:
        if isinstance(part, str):
            samples, rate = spoken(part)
            spans.append((t, t + samples.size / rate))
        else:
            samples = np.zeros(int(round(float(part) * rate)), dtype=np.int16)
        pieces.append(samples)
        t += samples.size / rate
    return np.concatenate(pieces), rate, spans
