"""Benchmark: the overlay export against a plain transcode with identical encoder settings.

Renders a 60 s 720p30 H.264+AAC clip with 20 events (flash, caption, timeline: the
defaults) and, in the same run, the plain PyAV transcode of the same clip (decode,
encode with the same libx264 preset/crf/threads/tags, audio copied, +faststart;
there is no ffmpeg command line on this machine). Prints the best-of-N wall time
of each, the ratio (target <= 1.05), how many times faster than real time the
export runs (target >= 3), and the CPU time of each (steadier on a shared machine).

Then measures peak memory (max RSS) of exports in fresh subprocesses for a 30 s and a
120 s clip, to show memory does not grow with duration (target < 400 MB).

    .venv/bin/python bench/render.py [--runs 2] [--dir DIR] [--video PATH] [--no-memory] [--strip below|overlay|both]

``--strip`` picks where the overlay's timeline strip goes (ExportOptions.strip): "below" (the default
export: a band added under the picture, so the output has more rows than the plain transcode),
"overlay" (over the picture's bottom rows, same size) or "both" (each measured, runs interleaved).

Clips are generated once into ``--dir`` (default: a folder in the temp directory).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from annotate.export import ExportOptions, render_overlay  # noqa: E402
from annotate.export.sink import BT709, LIMITED_RANGE  # noqa: E402
from annotate.model import DEFAULT_LABELS, Event, Kind  # noqa: E402
from annotate.testing.clips import make_clip  # noqa: E402

HD = dict(width=1280, height=720, fps=Fraction(30), gop=60, bframes=True, audio=True,
          encoder_options={"sc_threshold": "0", "crf": "23"})
N_EVENTS = 20


def clip(directory: Path, seconds: int) -> Path:
    path = directory / f"hd{seconds}.mp4"
    if not path.exists():
        t0 = time.perf_counter()
        make_clip(path, n_frames=30 * seconds, **HD)
        print(f"  generated {path.name} ({seconds} s 720p30) in {time.perf_counter() - t0:.1f} s", flush=True)
    return path


def events_for(duration: float, n: int = N_EVENTS) -> list[Event]:
    """Return ``n`` events of all three kinds spread over the recording, a few with durations."""
    kinds = list(Kind)
    out = []
    for k in range(n):
        kind = kinds[k % 3]
        start = round(duration * (k + 0.5) / n, 3)
        end = round(start + 1.5, 3) if k % 5 == 4 else None
        labels = DEFAULT_LABELS[kind]
        out.append(Event(kind, start, end_s=end, label=labels[k % len(labels)]))
    return out


def plain_transcode(src: Path, dst: Path, options: ExportOptions) -> None:
    """The baseline: decode and re-encode with the export's encoder settings, audio copied, no drawing."""
    with av.open(str(src)) as inp, av.open(str(dst), "w", format="mp4",
                                           container_options={"movflags": "+faststart"}) as out:
        v = inp.streams.video[0]
        v.codec_context.thread_type = "AUTO"
        a = inp.streams.audio[0] if inp.streams.audio else None
        s = out.add_stream(options.encoder, rate=v.average_rate, options=options.encoder_options())
        s.width, s.height, s.pix_fmt = v.codec_context.width, v.codec_context.height, "yuv420p"
        s.codec_context.time_base = Fraction(1, Fraction(v.time_base).denominator)
        s.time_base = s.codec_context.time_base
        cc = s.codec_context
        cc.color_primaries = cc.color_trc = cc.colorspace = BT709
        cc.color_range = LIMITED_RANGE
        cc.thread_type = "AUTO"
        oa = out.add_stream_from_template(a) if a is not None else None
        streams = [v] + ([a] if a is not None else [])
        for packet in inp.demux(*streams):
            if packet.stream.type == "audio":
                if packet.dts is not None:
                    packet.stream = oa
                    out.mux(packet)
                continue
            for frame in packet.decode():
                frame.pict_type = av.video.frame.PictureType.NONE
                out.mux(s.encode(frame))
        out.mux(s.encode(None))


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def timed(fn) -> tuple[float, float]:
    c0, t0 = cpu_seconds(), time.perf_counter()
    fn()
    return time.perf_counter() - t0, cpu_seconds() - c0


def child_peak_rss(src: Path, dst: Path, plain: bool) -> float:
    """Run one export in a fresh interpreter; return its peak RSS in MB."""
    code = (
        "import json, resource, sys; sys.path.insert(0, %r); import bench.render as b; from pathlib import Path;"
        "from annotate.export import ExportOptions, render_overlay; import av;"
        "src, dst = Path(%r), Path(%r);"
        "dur = float(av.open(str(src)).duration / 1e6);"
        "(b.plain_transcode(src, dst, ExportOptions()) if %r else render_overlay(src, b.events_for(dur), dst));"
        "print(json.dumps(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))"
    ) % (str(Path(__file__).resolve().parents[1]), str(src), str(dst), plain)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1]) / 1024  # ru_maxrss is in KiB on Linux


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def compare(src: Path, events: list[Event], duration: float, places: tuple[str, ...], runs: int, out: Path) -> None:
    """Time the plain transcode and the overlay export (each strip place), interleaved; print the best of each."""
    options = ExportOptions()
    plain_runs: list[tuple[float, float]] = []
    overlay_runs: dict[str, list[tuple[float, float]]] = {p: [] for p in places}
    for r in range(runs):
        plain_runs.append(timed(lambda: plain_transcode(src, out / "plain.mp4", options)))
        line = f"  run {r + 1}: plain {plain_runs[-1][0]:.2f} s"
        for place in places:
            opts = ExportOptions(strip=place)
            overlay_runs[place].append(timed(lambda: render_overlay(src, events, out / f"overlay-{place}.mp4", options=opts)))
            line += f", overlay ({place}) {overlay_runs[place][-1][0]:.2f} s"
        print(line, flush=True)
    pw, pc = min(x[0] for x in plain_runs), min(x[1] for x in plain_runs)
    print()
    print(f"  {'way':<34}{'wall s':>8}{'ratio':>8}{'cpu s':>8}{'ratio':>8}")
    print(f"  {'plain PyAV transcode (baseline)':<34}{pw:8.2f}{1:8.2f}{pc:8.2f}{1:8.2f}")
    for place in places:
        ow, oc = min(x[0] for x in overlay_runs[place]), min(x[1] for x in overlay_runs[place])
        name = f"overlay export, strip {place}"
        print(f"  {name:<34}{ow:8.2f}{ow / pw:8.3f}{oc:8.2f}{oc / pc:8.3f}")
        print(f"    speed: {duration / ow:.2f}x real time (target >= 3x); ratio target <= 1.05x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=2, help="runs of each way (best is kept)")
    ap.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "cx-annotate-bench-render")
    ap.add_argument("--video", type=Path, help="benchmark this video instead of the generated 60 s clip")
    ap.add_argument("--no-memory", action="store_true", help="skip the 30 s / 120 s memory runs")
    ap.add_argument("--strip", choices=("below", "overlay", "both"), default="below",
                    help="where the timeline strip goes (default: below, as the export does)")
    args = ap.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)

    print("cx-annotate render benchmark")
    print(f"  load average before: {_load()} (other work on the machine slows both ways; cpu s is steadier)")
    src = args.video or clip(args.dir, 60)
    with av.open(str(src)) as c:
        duration = float(c.duration / 1e6)
        v = c.streams.video[0]
        desc = f"{v.codec_context.width}x{v.codec_context.height} {float(v.average_rate or 0):.2f} fps, {duration:.1f} s"
    events = events_for(duration)
    options = ExportOptions()
    places = ("below", "overlay") if args.strip == "both" else (args.strip,)
    print(f"  clip: {src.name} ({desc}), {len(events)} events; libx264 preset {options.preset} crf {options.crf}")

    compare(src, events, duration, places, args.runs, args.dir)
    print(f"  load average after: {_load()}")

    if args.no_memory:
        return
    print()
    print("  peak memory (max RSS of a fresh process running one export):")
    for seconds in (30, 120):
        path = clip(args.dir, seconds)
        plain_mb = child_peak_rss(path, args.dir / "mem_plain.mp4", plain=True)
        overlay_mb = child_peak_rss(path, args.dir / "mem_overlay.mp4", plain=False)
        print(f"    {seconds:>4} s clip: overlay export {overlay_mb:6.0f} MB   plain transcode {plain_mb:6.0f} MB")
    print("  target: < 400 MB and no growth from 30 s to 120 s")


if __name__ == "__main__":
    main()
