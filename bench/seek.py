"""Benchmark: random `frame at t` on a 720p30 H.264 clip (2 s GOP, B-frames) and a VFR clip.

Prints, for each clip, the median and p95 time of a random seek and of the next
frame after a seek, for OpenCV (CAP_PROP_POS_MSEC) and for annotate.media's
VideoReader in a few configurations, all measured in this run, with wrong-frame
counts (every frame carries its index as a stamp) and ratios against OpenCV.

    .venv/bin/python bench/seek.py [--queries 60] [--runs 5] [--dir DIR] [--quick]

Each query's time is the best of ``--runs`` runs (caches cleared before each
run, so every run really seeks); methods are interleaved query by query so that
the load of a shared machine hits all of them alike. A query counts as wrong if
either the frame at t or the next frame is not the expected one. Clips are
generated once into ``--dir``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import cv2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from annotate.media import VideoReader, probe  # noqa: E402
from annotate.testing import make_clip, plan_clip, read_stamp  # noqa: E402
from annotate.timebase import to_fraction  # noqa: E402

CFR = dict(width=1280, height=720, fps=Fraction(30), n_frames=1800, gop=60, bframes=True, audio=True,
           encoder_options={"sc_threshold": "0", "crf": "23"})


def vfr_times(n: int, seed: int = 3) -> list[Fraction]:
    """A phone/screen-recorder-like timeline: mostly 30 fps with jitter, stalls and bursts."""
    rng = random.Random(seed)
    steps = [Fraction(1, 30)] * 6 + [Fraction(1, 60), Fraction(1, 24), Fraction(1, 15), Fraction(1, 10), Fraction(1, 5)]
    t, out = Fraction(0), []
    for _ in range(n):
        out.append(t)
        t += rng.choice(steps)
    return out


VFR = dict(width=1280, height=720, frame_times=vfr_times(900), gop=60, bframes=True, audio=False,
           encoder_options={"sc_threshold": "0", "crf": "23"})


def clip(directory: Path, name: str, spec: dict) -> Path:
    path = directory / name
    if not path.exists():
        t0 = time.perf_counter()
        make_clip(path, **spec)
        print(f"  generated {name} in {time.perf_counter() - t0:.1f} s", flush=True)
    return path


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


class OpenCVSeeker:
    """OpenCV's way: set CAP_PROP_POS_MSEC, read."""

    def __init__(self, path: Path):
        self.cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)

    def seek(self, t: float):
        self.cap.set(cv2.CAP_PROP_POS_MSEC, t * 1000.0)
        ok, img = self.cap.read()
        return _stamp(img) if ok else None

    def next(self):
        ok, img = self.cap.read()
        return _stamp(img) if ok else None

    def close(self) -> None:
        self.cap.release()


class ReaderSeeker:
    """VideoReader.frame_at, caches cleared first so that every run really seeks; then step(+1)."""

    def __init__(self, path: Path, **options):
        self.reader = VideoReader(path, **options)

    def seek(self, t: float):
        self.reader.clear_cache()
        frame = self.reader.frame_at(t)
        return _stamp(frame.image) if _stamp(frame.image) == frame.index else None

    def next(self):
        frame = self.reader.step(+1)
        return _stamp(frame.image) if _stamp(frame.image) == frame.index else None

    def close(self) -> None:
        self.reader.close()


def bench(methods: dict, queries: list[float], expected: list[int], runs: int) -> dict[str, dict]:
    """Time every method on every query, interleaved (query by query, run by run), so that
    a change in the machine's load hits all methods alike."""
    results = {name: {"seek": [], "next": [], "wrong": 0} for name in methods}
    for t, exp in zip(queries, expected):
        best = {name: [float("inf"), float("inf"), True] for name in methods}
        for _ in range(runs):
            for name, method in methods.items():
                t0 = time.perf_counter()
                got = method.seek(t)
                t1 = time.perf_counter()
                got_next = method.next()
                t2 = time.perf_counter()
                b = best[name]
                b[0], b[1] = min(b[0], t1 - t0), min(b[1], t2 - t1)
                b[2] = b[2] and got == exp and got_next == exp + 1
        for name, (seek, nxt, right) in best.items():
            results[name]["seek"].append(seek)
            results[name]["next"].append(nxt)
            results[name]["wrong"] += not right
    return results


def _stamp(img) -> int | None:
    try:
        return read_stamp(img)
    except ValueError:
        return None


def report(name: str, results: dict[str, dict], n: int) -> None:
    base = statistics.median(results["opencv"]["seek"])
    print(f"\n{name}: {n} random times, each the best of the runs")
    print(f"  {'method':38s} {'seek med':>9s} {'p95':>8s} {'x OpenCV':>9s} {'next med':>9s} {'p95':>8s} {'wrong':>6s}")
    for method, r in results.items():
        med = statistics.median(r["seek"])
        print(
            f"  {method:38s} {med * 1e3:7.1f}ms {pct(r['seek'], 0.95) * 1e3:6.1f}ms {med / base:8.2f}x "
            f"{statistics.median(r['next']) * 1e3:7.2f}ms {pct(r['next'], 0.95) * 1e3:6.2f}ms {r['wrong']:4d}/{n}"
        )


def report_streaming(path: Path, n: int) -> None:
    """Sequential decoding of n frames to BGR from the start: frames() against cap.read()."""
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    t0 = time.perf_counter()
    for _ in range(n):
        cap.read()
    t_cv = (time.perf_counter() - t0) / n
    cap.release()
    rows = {}
    for label, thread_type in (("frames() AUTO (default)", "AUTO"), ("frames() SLICE", "SLICE")):
        with VideoReader(path, stream_thread_type=thread_type) as reader:
            t0 = time.perf_counter()
            for frame in reader.frames():
                if frame.index + 1 >= n:
                    break
            rows[label] = (time.perf_counter() - t0) / n
    print(f"  streaming {n} frames: OpenCV read {t_cv * 1e3:.2f} ms/frame; "
          + "; ".join(f"{k} {v * 1e3:.2f} ms/frame ({v / t_cv:.2f}x)" for k, v in rows.items()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--queries", type=int, default=60)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "cx-annotate-bench")
    ap.add_argument("--quick", action="store_true", help="only OpenCV and the default reader")
    args = ap.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    print(f"clips in {args.dir}")
    clips = {"CFR 720p30 H.264, 2 s GOP, B-frames": clip(args.dir, "cfr720.mp4", CFR),
             "VFR 720p H.264, B-frames": clip(args.dir, "vfr720.mp4", VFR)}
    specs = {"CFR 720p30 H.264, 2 s GOP, B-frames": CFR, "VFR 720p H.264, B-frames": VFR}
    variants = {"annotate default (AUTO, skip nonref)": {}}
    if not args.quick:
        variants.update({
            "annotate AUTO, no skipping": {"skip_nonref": False},
            "annotate SLICE, skip nonref": {"thread_type": "SLICE"},
            "annotate no threads, skip nonref": {"thread_type": "NONE"},
        })
    for name, path in clips.items():
        info = probe(path)
        plan = plan_clip(path, **specs[name])
        rng = random.Random(args.seed)
        # Stay clear of the last frame so that "next frame" always exists.
        queries = [rng.uniform(0, float(plan.times[-1])) for _ in range(args.queries)]
        expected = [plan.index_at(to_fraction(q)) for q in queries]
        print(f"{path.name}: {info.frame_count} frames, {info.duration_s:.1f} s, fps {info.fps}, vfr={info.vfr}", flush=True)
        methods = {"opencv": OpenCVSeeker(path)}
        methods.update({label: ReaderSeeker(path, **options) for label, options in variants.items()})
        try:
            results = bench(methods, queries, expected, args.runs)
        finally:
            for method in methods.values():
                method.close()
        report(name, results, args.queries)
        report_streaming(path, min(info.frame_count, 600))


if __name__ == "__main__":
    main()
