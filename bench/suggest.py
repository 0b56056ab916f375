"""Benchmark: finding the suggested moments of a recording, against a plain PyAV decode of the same file.

Prints, for a 60 s 720p30 recording with cuts, a still stretch and a speech
track (espeak-ng, when installed; else a quiet track), the time of
``annotate.suggest.service.analyse`` (video and audio) next to a plain PyAV
decode of every video frame (FFmpeg AUTO threading, nothing converted),
measured interleaved in the same run, best of ``--runs`` (target: analysis
<= 1.5x the decode), as wall clock and as CPU time (the process's, all its
threads: on a busy machine the wall clock says as much about the other work as
about ours). Then the same for a one-hour file (a 10 s 320x180 clip's packets
repeated, no re-encoding), and the peak memory (max RSS) of a child process
analysing a one-minute and a one-hour file of that same size: flat with
duration means the two are close. The load average is printed with every
figure. Files are made once into ``--dir``.

    .venv/bin/python bench/suggest.py [--dir DIR] [--runs 3] [--no-hour]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from annotate.suggest.service import analyse  # noqa: E402
from annotate.testing.clips import repeat_clip  # noqa: E402
from annotate.testing.suggest_clips import espeak_available, make_scene_clip, speech_track  # noqa: E402

CHILD = """
import json, resource, sys, time
sys.path.insert(0, sys.argv[2])
from annotate.suggest.service import analyse
t0 = time.perf_counter()
found = analyse(sys.argv[1])
print(json.dumps({"s": time.perf_counter() - t0, "n": len(found),
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def load() -> str:
    return "load %.2f %.2f %.2f" % os.getloadavg()


def plain_decode(path: Path) -> int:
    """Decode every video frame with PyAV (AUTO threading); return how many."""
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        stream.thread_type = "AUTO"
        return sum(1 for _ in c.decode(stream))


def track(seconds: float) -> tuple[np.ndarray, int]:
    """Return int16 mono samples and rate: phrases and pauses when espeak-ng is there, else near-silence."""
    if not espeak_available():
        return np.zeros(int(seconds * 22050), dtype=np.int16), 22050
    parts: list = []
    while sum(p for p in parts if isinstance(p, float)) + 3 * len(parts) / 2 < seconds:
        parts += [2.0, "please hold while I check your order", 5.0, "thank you for waiting"]
    samples, rate, _ = speech_track(parts)
    return samples[: int(seconds * rate)], rate


def minute_720p(folder: Path) -> Path:
    path = folder / "minute720.mp4"
    if not path.exists():
        samples, rate = track(60)
        cuts = list(range(45, 1800, 61))
        make_scene_clip(path, n_frames=1800, cuts=[c for c in cuts if not 900 <= c < 1260], still=(900, 1200),
                        fps=30, width=1280, height=720, audio=samples, audio_rate=rate)
    return path


def small(folder: Path, repeats: int, name: str) -> Path:
    ten = folder / "ten180.mp4"
    if not ten.exists():
        samples, rate = track(10)
        make_scene_clip(ten, n_frames=300, cuts=[60, 150, 220], still=(80, 140), fps=30, width=320, height=180,
                        audio=samples, audio_rate=rate)
    path = folder / name
    if not path.exists():
        repeat_clip(ten, path, repeats)
    return path


def timed(work, *args) -> tuple[float, float, object]:
    """Return (wall seconds, CPU seconds of this process, result) of ``work(*args)``."""
    t0, c0 = time.perf_counter(), time.process_time()
    result = work(*args)
    return time.perf_counter() - t0, time.process_time() - c0, result


def compare(path: Path, runs: int) -> None:
    decode, analysis, found = [], [], []
    for _ in range(runs):
        decode.append(timed(plain_decode, path)[:2])
        *spent, found = timed(analyse, path)
        analysis.append(tuple(spent))
    (d, dc), (a, ac) = (min(t[0] for t in decode), min(t[1] for t in decode)), \
        (min(t[0] for t in analysis), min(t[1] for t in analysis))
    kinds = {t: sum(1 for s in found if s.type == t) for t in ("cut", "hold", "silence", "speech")}
    print(f"{path.name}: plain decode {d:.2f} s, analysis {a:.2f} s = {a / d:.2f}x the decode; "
          f"CPU {dc:.2f} s and {ac:.2f} s = {ac / dc:.2f}x (best of {runs}; {kinds}; {load()})")


def peak_memory(path: Path) -> dict:
    root = str(Path(__file__).resolve().parents[1])
    proc = subprocess.run([sys.executable, "-c", CHILD, str(path), root], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "cx-annotate-bench")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-hour", action="store_true", help="skip the one-hour file")
    args = ap.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    print(load())
    compare(minute_720p(args.dir), args.runs)
    minute = small(args.dir, 6, "minute180.mp4")
    one = peak_memory(minute)
    print(f"{minute.name}: peak memory {one['rss_mb']:.0f} MB ({one['s']:.1f} s; {load()})")
    if args.no_hour:
        return
    hour = small(args.dir, 360, "hour180.mp4")
    compare(hour, max(1, args.runs // 2))
    big = peak_memory(hour)
    print(f"{hour.name}: peak memory {big['rss_mb']:.0f} MB ({big['s']:.1f} s, {big['n']} suggestions; {load()}) "
          f"= {big['rss_mb'] / one['rss_mb']:.2f}x the one-minute file's")


if __name__ == "__main__":
    main()
