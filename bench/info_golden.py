"""Golden check of ``annotate info``: the same output, byte for byte, before and after a change.

Runs ``annotate info`` and ``annotate info --json`` as fresh processes on the standard test clips, on
clips made for the cases a probe can get wrong (mov, anamorphic mp4, HEVC rotated and starting late, VFR
with audio, one to three frames, MJPEG in mov and mkv, VP9, MPEG-4, 4:4:4, full range, a long GOP, a file
cut mid-GOP in three containers, 200 repeats of a short clip) and on the bad files, and writes each run's
exit code, stdout and stderr to a JSON file. The clips are made once into ``--clips`` and reused, so both
sides see the same bytes. Run it on main and on a branch, then compare::

    PYTHONPATH=/work/main .venv/bin/python bench/info_golden.py write /tmp/info-before.json
    PYTHONPATH=. .venv/bin/python bench/info_golden.py write /tmp/info-after.json
    .venv/bin/python bench/info_golden.py compare /tmp/info-before.json /tmp/info-after.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.append(str(ROOT))  # after PYTHONPATH: the code to check comes from there

import av  # noqa: E402
import numpy as np  # noqa: E402

from annotate.testing import STANDARD_CLIPS, make_bad_files, make_clip, make_standard_clip, repeat_clip  # noqa: E402

EXTRA = {
    "mov_plain.mov": dict(n_frames=40), "mp4_sar.mp4": dict(n_frames=30, sample_aspect_ratio=Fraction(4, 3)),
    "hevc_rot270.mp4": dict(n_frames=30, codec="libx265", rotation=270),
    "hevc_late.mp4": dict(n_frames=30, codec="libx265", start_offset_s=3), "rot180.mp4": dict(n_frames=30, rotation=180),
    "vfr_audio.mp4": dict(frame_times=[Fraction(k * k, 300) + Fraction(k, 20) for k in range(50)]),
    "two_frames.mp4": dict(n_frames=2, audio=False), "three_frames.mp4": dict(n_frames=3, audio=False, fps=25),
    "fps60.mp4": dict(n_frames=120, fps=60, audio=False), "fps24k.mp4": dict(n_frames=48, fps=Fraction(24000, 1001)),
    "mjpeg.mov": dict(n_frames=20, codec="mjpeg"), "mjpeg.mkv": dict(n_frames=20, codec="mjpeg"),
    "vp9.webm": dict(n_frames=30, codec="libvpx-vp9"), "mpeg4.mp4": dict(n_frames=30, codec="mpeg4"),
    "yuv444.mp4": dict(n_frames=20, pix_fmt="yuv444p"), "yuvj.mp4": dict(n_frames=20, pix_fmt="yuvj420p"),
    "big_gop.mp4": dict(n_frames=200, gop=250), "odd.mov": dict(n_frames=20, width=321, height=241, pix_fmt="yuv444p"),
    "late_rot_sar.mp4": dict(n_frames=30, start_offset_s=Fraction(7, 3), rotation=90, sample_aspect_ratio=Fraction(8, 9)),
}


def make_clips(folder: Path) -> list[Path]:
    """Return every file to check, making those not yet in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in STANDARD_CLIPS:
        make_standard_clip(folder, name)
    for name, params in EXTRA.items():
        if not (folder / name).exists():
            make_clip(folder / name, **params)
    if not (folder / "one_frame.mp4").exists():  # make_clip wants two frames at least
        with av.open(str(folder / "one_frame.mp4"), "w") as out:
            video = out.add_stream("libx264", rate=30)
            video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
            frame = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")
            frame.pts, frame.time_base = 0, Fraction(1, 30)
            for packet in [*video.encode(frame), *video.encode()]:
                out.mux(packet)
    if not (folder / "long.mp4").exists():
        repeat_clip(make_clip(folder / "short.mp4", width=160, height=120, fps=30, n_frames=30, gop=30), folder / "long.mp4", 200)
    for suffix in (".mp4", ".mkv", ".ts"):  # cut mid-GOP: the first frames cannot be shown
        cut = folder / f"cut{suffix}"
        if not cut.exists():
            with av.open(str(folder / "cfr.mp4")) as inp, av.open(str(cut), "w") as out:
                stream = out.add_stream_from_template(inp.streams.video[0])
                for k, packet in enumerate(inp.demux(video=0)):
                    if k >= 5 and packet.size:
                        packet.stream = stream
                        out.mux(packet)
    if not (folder / "bad").exists():
        make_bad_files(folder / "bad")
    return sorted(p for p in folder.rglob("*") if p.is_file()) + [folder / "missing.mp4", folder]


def write(out: Path, clips: Path) -> None:
    """Write the outputs of ``annotate info`` (plain and --json) on every file to ``out``."""
    results = {}
    # Run from elsewhere: `python -m` puts the working directory before PYTHONPATH.
    cwd = tempfile.gettempdir()
    for path in make_clips(clips):
        for extra in ([], ["--json"]):
            proc = subprocess.run([sys.executable, "-m", "annotate", "info", *extra, str(path)], capture_output=True,
                                  text=True, env=dict(os.environ), cwd=cwd)
            results[" ".join([str(path.relative_to(clips)), *extra])] = [proc.returncode, proc.stdout, proc.stderr]
    out.write_text(json.dumps(results, indent=1))
    print(f"wrote {len(results)} outputs to {out}")


def compare(before: Path, after: Path) -> int:
    """Print the runs whose output differs; return the number of differences."""
    old, new = json.loads(before.read_text()), json.loads(after.read_text())
    differ = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
    for key in differ:
        print(f"differs: {key}\n  before: {old.get(key)}\n  after:  {new.get(key)}")
    print(f"{len(old)} outputs before, {len(new)} after, {len(differ)} differ")
    return len(differ)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("write")
    w.add_argument("out", type=Path)
    w.add_argument("--clips", type=Path, default=Path(tempfile.gettempdir()) / "cx-info-golden-clips")
    c = sub.add_parser("compare")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    args = parser.parse_args()
    if args.command == "write":
        write(args.out, args.clips)
    else:
        sys.exit(1 if compare(args.before, args.after) else 0)


if __name__ == "__main__":
    main()
