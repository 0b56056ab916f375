"""Benchmark: start-up of the command line against ffprobe, in the same run.

Times, as fresh processes (what a user waits for): ``annotate --help``, and
``annotate info`` on a one-hour 720p MP4 next to ``ffprobe -show_format
-show_streams`` of the same file (Debian's ``ffmpeg`` package; without it only
the annotate figures print). Runs are interleaved and the best of ``--runs`` is
kept, since the machine is shared. Targets: ``--help`` under 0.3 s; ``info``
within 3x ffprobe's wall time.

The package's bytecode is compiled first, as ``pip install`` leaves it: with
PYTHONDONTWRITEBYTECODE set (as on the project's machines) nothing else writes
it, and every run would compile the CLI's and the media layer's sources again
(20-40 ms of an ``info`` run).

    .venv/bin/python bench/startup.py [--dir DIR] [--runs 7]
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from annotate.testing.clips import make_clip, repeat_clip  # noqa: E402


def hour_file(folder: Path) -> Path:
    """Return a one-hour 720p30 MP4 in ``folder``, made once by repeating a 10 s clip's packets."""
    hour = folder / "hour720.mp4"
    if not hour.exists():
        ten = folder / "ten720.mp4"
        make_clip(ten, width=1280, height=720, fps=Fraction(30), n_frames=300, gop=60, audio=False)
        repeat_clip(ten, hour, 360)
    return hour


def wall(cmd: list[str]) -> float:
    """Return the wall time of running ``cmd`` to the end; raise RuntimeError if it fails."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    took = time.perf_counter() - start
    if proc.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed: {proc.stderr.strip()[-300:]}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "cx-bench-startup")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    video = hour_file(args.dir)
    compileall.compile_dir(ROOT / "annotate", quiet=1)
    annotate = [sys.executable, "-m", "annotate"]
    ways = {"annotate --help": annotate + ["--help"], "annotate info (1 h 720p)": annotate + ["info", str(video)]}
    ffprobe = shutil.which("ffprobe")
    if ffprobe:
        ways["ffprobe -show_format -show_streams"] = [ffprobe, "-v", "error", "-show_format", "-show_streams", str(video)]
    print(f"cx-annotate start-up benchmark; load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    best = {name: float("inf") for name in ways}
    for _ in range(args.runs):  # interleaved: every way once per round
        for name, cmd in ways.items():
            best[name] = min(best[name], wall(cmd))
    base = best.get("ffprobe -show_format -show_streams")
    for name, seconds in best.items():
        ratio = f"{seconds / base:6.2f}x ffprobe" if base else ""
        print(f"  {name:36s} {seconds:7.3f} s  {ratio}")
    print("  targets: --help < 0.3 s; info <= 3x ffprobe")
    print(f"  load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
