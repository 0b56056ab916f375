"""Benchmark: probing a one-hour 720p recording (mp4, and Matroska for the packet-scan path).

Prints the time of ``annotate.media.probe`` next to two baselines measured in
the same run: OpenCV opening the file and reading its frame count and rate
(approximate figures), and a PyAV scan of every video packet (exact, reads the
whole file). The one-hour files are made by repeating the packets of a 10 s
clip (no re-encoding), once, into ``--dir``.

    .venv/bin/python bench/probe.py [--dir DIR] [--runs 5]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av
import cv2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from annotate.media import inspect  # noqa: E402
from annotate.testing.clips import make_clip, repeat_clip  # noqa: E402


def best(fn, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def opencv_open(path: Path):
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    figures = cap.get(cv2.CAP_PROP_FRAME_COUNT), cap.get(cv2.CAP_PROP_FPS)
    cap.release()
    return figures


def pyav_scan(path: Path) -> int:
    with av.open(str(path)) as c:
        return sum(1 for p in c.demux(video=0) if p.size)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "cx-annotate-bench")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    ten = args.dir / "ten720.mp4"
    if not ten.exists():
        make_clip(ten, width=1280, height=720, fps=Fraction(30), n_frames=300, gop=60, bframes=True)
    for suffix in (".mp4", ".mkv"):
        hour = args.dir / f"hour720{suffix}"
        if not hour.exists():
            t0 = time.perf_counter()
            repeat_clip(ten, hour, 360)
            print(f"made {hour.name} ({hour.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f} s")
        pyav_scan(hour)  # warm the page cache so every method reads from memory
        t_probe, (info, index) = best(lambda: inspect(hour), args.runs)
        t_cv, (cv_count, cv_fps) = best(lambda: opencv_open(hour), args.runs)
        t_scan, scanned = best(lambda: pyav_scan(hour), max(1, args.runs // 2))
        print(f"\n{hour.name}: {info.frame_count} frames, {info.duration_s:.1f} s, fps {info.fps} (path: {index.method})")
        print(f"  annotate probe           {t_probe * 1e3:8.1f} ms   exact: {info.frame_count} frames")
        print(f"  OpenCV open + count/fps  {t_cv * 1e3:8.1f} ms   {t_probe / t_cv:5.2f}x  ({cv_count:.0f} frames, {cv_fps:.3f} fps, estimated)")
        print(f"  PyAV packet scan         {t_scan * 1e3:8.1f} ms   {t_probe / t_scan:5.2f}x  ({scanned} packets)")
        print(f"  target: probe under 1 s: {'met' if t_probe < 1 else 'MISSED'}")


if __name__ == "__main__":
    main()
