"""Audio peaks: the loudest sample of every 10 ms of a recording's audio, for the player's waveform.

The file is a short header line (JSON: buckets per second, count) and then one
byte per bucket, the bucket's peak absolute amplitude scaled to 0..255 over all
channels. Bucket ``i`` covers ``[i / PEAKS_PER_S, (i + 1) / PEAKS_PER_S)`` seconds
from the first video frame: the audio is placed by its own timestamps against
the video's first frame (:class:`annotate.export.audio.AudioCutter`), so a sound
drawn at 12.34 s is heard at 12.34 s. An hour is 360,000 bytes; the player asks
for the part it shows at its width (:func:`read_peaks`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from ..errors import MediaError
from ..export.audio import AudioCutter
from ..fsutil import atomic_path
from ..media import inspect

PEAKS_PER_S = 100
_RATE = 8000  # peaks need no more: a bucket is 80 samples
_SAMPLES = _RATE // PEAKS_PER_S


@dataclass(frozen=True)
class Peaks:
    """Peaks from ``start_s`` on, one per ``step_s`` seconds, each 0..255."""

    start_s: float
    step_s: float
    values: list[int]

    def to_dict(self) -> dict:
        """Return the JSON the player reads."""
        return {"start_s": self.start_s, "step_s": self.step_s, "peaks": self.values}


def build_peaks(path: str | Path, out: Path) -> Path:
    """Decode the audio of ``path`` and write its peak file to ``out`` (atomically); return ``out``.

    A video without audio gets a file with no buckets. Raises MediaError for an unreadable file.
    """
    info, index = inspect(path)
    buckets = np.zeros(0, np.uint8) if not info.has_audio else _peaks_of(info.path, index.start_offset)
    with atomic_path(out) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(json.dumps({"per_s": PEAKS_PER_S, "count": int(buckets.size)}).encode() + b"\n")
            fh.write(buckets.tobytes())
    return out


def _peaks_of(path: Path, origin) -> np.ndarray:
    """Return the uint8 peaks of the first audio stream, placed against the video's first frame."""
    cutter = AudioCutter(_RATE, "mono", origin, pad_start=True)
    parts: list[np.ndarray] = []
    carry = np.zeros(0, np.float32)
    try:
        with av.open(str(path)) as container:
            stream = container.streams.audio[0]
            stream.thread_type = "AUTO"
            for frame in container.decode(stream):
                carry = _fold(parts, np.concatenate([carry, cutter.feed(frame)[0]]))
            carry = _fold(parts, np.concatenate([carry, cutter.finish()[0]]))
    except (av.error.FFmpegError, IndexError) as exc:
        raise MediaError(f"cannot read the audio of {path.name}: {exc}; check the file plays", path) from None
    if carry.size:
        parts.append(np.array([np.abs(carry).max()], np.float32))
    peaks = np.concatenate(parts) if parts else np.zeros(0, np.float32)
    return np.clip(np.rint(peaks * 255), 0, 255).astype(np.uint8)


def _fold(parts: list[np.ndarray], samples: np.ndarray) -> np.ndarray:
    """Append the peaks of the whole buckets in ``samples`` to ``parts``; return the samples left over."""
    whole = samples.size - samples.size % _SAMPLES
    if whole:
        parts.append(np.abs(samples[:whole]).reshape(-1, _SAMPLES).max(axis=1))
    return samples[whole:]


def read_peaks(file: Path, start_s: float = 0.0, end_s: float | None = None, n: int = 1000) -> Peaks:
    """Return at most ``n`` peaks covering ``start_s``..``end_s`` (the maximum of each group of buckets).

    Reads only that part of the file. Raises FileNotFoundError when the peaks are not made yet.
    """
    with open(file, "rb") as fh:
        head = json.loads(fh.readline())
        offset, per_s, count = fh.tell(), int(head["per_s"]), int(head["count"])
        first = min(max(int(start_s * per_s), 0), count)
        last = count if end_s is None else min(max(int(np.ceil(end_s * per_s)), first), count)
        fh.seek(offset + first)
        raw = np.frombuffer(fh.read(last - first), np.uint8)
    group = max(1, -(-raw.size // max(n, 1)))
    pad = (-raw.size) % group
    grouped = np.concatenate([raw, np.zeros(pad, np.uint8)]).reshape(-1, group).max(axis=1) if raw.size else raw
    return Peaks(first / per_s, group / per_s, [int(v) for v in grouped])
