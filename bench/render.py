"""Benchmark: the overlay export against the ffmpeg command line doing a plain transcode with the same x264 settings.

Three rows, each a ratio against ``ffmpeg`` (Debian's ``ffmpeg`` package, ``/usr/bin/ffmpeg``) run on the
same input in the same run: a 10 s 720p30 clip, a 10 s 1080p60 clip and a one-hour 320x240 10 fps recording
(all H.264 + AAC tagged BT.709 limited range, generated once with ffmpeg's ``testsrc2`` and cached in ``--dir``).
The tag matters: the export writes BT.709 and converts anything else (an untagged SD picture counts as
BT.601), a plain transcode does not, so only a BT.709 input asks the same work of both. The overlay export is
``render_overlay`` with its defaults (flash, captions, timeline strip in a band below the picture) and an
event every 3 s (:func:`events_for`); ffmpeg decodes and re-encodes with the export's libx264 preset/crf,
BT.709 limited-range tags, audio copied and ``+faststart``, drawing nothing. ``--before DIR`` runs the export
of another checkout too (``git archive main | tar -x -C DIR``), interleaved, for before/after figures.
``--pad`` also runs ffmpeg with a ``pad`` filter adding the rows of the export's band below the picture
("ffmpeg+band"): what x264 spends on those rows alone, drawing nothing in them.

Every run is a fresh child process (the export's includes Python's start-up and imports, as ``annotate
render`` would, with the package's bytecode compiled first as ``pip install`` leaves it); its CPU time is the change of ``getrusage(RUSAGE_CHILDREN)`` (user + system) and its peak
RSS comes from ``wait4``. Runs are interleaved (ffmpeg, export[, before], ffmpeg, ...) and the best of
``--runs`` is kept for each; the machine's load average is printed with the figures. A 60 s cut of the
320x240 file is exported too, so the peak memory of 60 s and of 1 h can be compared (memory must not grow
with duration).

Targets (CPU, export / ffmpeg): 720p30 <= 1.10, 1080p60 <= 1.15, 1 h 320x240 <= 1.30 (and wall <= 1.30).

    .venv/bin/python bench/render.py [--runs 3] [--dir DIR] [--rows 720p,1080p,1h] [--strip below|overlay] [--before DIR] [--pad]
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from annotate.export import ExportOptions  # noqa: E402
from annotate.model import DEFAULT_LABELS, Event, Kind  # noqa: E402
from annotate.render.annotators import BOX_RGB  # noqa: E402

EVENT_EVERY_S = 3.0  # one event every 3 s (20 a minute, as annotators mark a busy recording), at least 3
TARGETS = {"720p": (1.10, None), "1080p": (1.15, None), "1h": (1.30, 1.30)}


@dataclass(frozen=True)
class Row:
    """One benchmark input: ``key`` (for --rows), its description and how it is generated."""

    key: str
    name: str
    width: int
    height: int
    fps: int
    seconds: int

    @property
    def filename(self) -> str:
        return f"in-{self.width}x{self.height}-{self.fps}fps-{self.seconds}s-bt709.mp4"


ROWS = (
    Row("720p", "720p30, 10 s", 1280, 720, 30, 10),
    Row("1080p", "1080p60, 10 s", 1920, 1080, 60, 10),
    Row("1h", "320x240 10 fps, 1 h", 320, 240, 10, 3600),
)
SHORT = Row("1h-60s", "320x240 10 fps, 60 s", 320, 240, 10, 60)


def ffmpeg_path() -> str | None:
    """Return the ffmpeg command line's path, or None when it is not installed."""
    return shutil.which("ffmpeg")


def make_input(directory: Path, row: Row) -> Path:
    """Return the cached input of ``row`` in ``directory``, generating it first if needed (atomically)."""
    path = directory / row.filename
    if path.exists():
        return path
    tmp = path.with_suffix(".tmp.mp4")
    t0 = time.perf_counter()
    ffmpeg = ffmpeg_path() or "ffmpeg"
    size, s = f"{row.width}x{row.height}", str(row.seconds)
    subprocess.run([
        ffmpeg, "-nostdin", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", f"testsrc2=size={size}:rate={row.fps}:duration={s}",
        "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={s}",
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-g", str(2 * row.fps), "-pix_fmt", "yuv420p",
        "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv",
        "-c:a", "aac", "-b:a", "128k", "-shortest", str(tmp),
    ], check=True)
    os.replace(tmp, path)
    print(f"  generated {path.name} in {time.perf_counter() - t0:.1f} s", flush=True)
    return path


def events_for(duration: float, n: int | None = None) -> list[Event]:
    """Return ``n`` events (default: one per :data:`EVENT_EVERY_S`, at least 3) of all three kinds spread
    evenly over the recording, every fifth with a 1.5 s duration."""
    n = max(3, round(duration / EVENT_EVERY_S)) if n is None else n
    kinds = list(Kind)
    out = []
    for k in range(n):
        kind = kinds[k % 3]
        start = round(duration * (k + 0.5) / n, 3)
        end = round(start + 1.5, 3) if k % 5 == 4 else None
        labels = DEFAULT_LABELS[kind]
        out.append(Event(kind, start, end_s=end, label=labels[k % len(labels)]))
    return out


def ffmpeg_command(src: Path, dst: Path, options: ExportOptions, pad: tuple[int, int, int] | None = None) -> list[str]:
    """Return the ffmpeg command line of the baseline: the export's x264 settings and tags, audio copied; with
    ``pad`` (width, height, band rows) the picture gets the band's rows below it, in the strip's ground colour."""
    x264 = options.encoder_options()
    extra_vf = []
    if pad is not None:
        width, height, band = pad
        extra_vf = ["-vf", f"pad={width}:{height + band}:0:0:color=0x{''.join(f'{c:02x}' for c in BOX_RGB)}"]
    extra = ["-bf", x264["bf"]] if "bf" in x264 else []
    extra += ["-g", x264["g"]] if "g" in x264 else []
    return [
        ffmpeg_path() or "ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(src),
        "-map", "0:v:0", "-map", "0:a:0?", *extra_vf, "-c:v", "libx264", "-preset", x264["preset"], "-crf", x264["crf"], *extra,
        "-pix_fmt", "yuv420p", "-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709",
        "-color_range", "tv", "-c:a", "copy", "-movflags", "+faststart", str(dst),
    ]


def export_command(src: Path, dst: Path, strip: str, root: Path = ROOT) -> list[str]:
    """Return the command that runs one overlay export of ``src`` in a fresh interpreter, with the code of
    the checkout at ``root`` (the events are always this file's :func:`events_for`)."""
    code = (  # the checkout's annotate first: bench/render.py's own imports then find it already loaded
        "import sys; from pathlib import Path; sys.path.insert(0, {root!r});"
        "from annotate.export import ExportOptions, render_overlay; from annotate.media import probe;"
        "sys.path.insert(0, {bench!r}); import render as b; src = Path({src!r});"
        "render_overlay(src, b.events_for(float(probe(src).duration)), Path({dst!r}), options=ExportOptions(strip={strip!r}))"
    ).format(bench=str(ROOT / "bench"), root=str(root), src=str(src), dst=str(dst), strip=strip)
    return [sys.executable, "-c", code]


def startup_command() -> list[str]:
    """Return the command that only starts Python and imports what an export imports."""
    return [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(ROOT)!r}); import annotate.export, annotate.media"]


def run_child(cmd: list[str]) -> tuple[float, float, float]:
    """Run ``cmd``; return (wall s, CPU s from RUSAGE_CHILDREN, peak RSS MB). Raises CalledProcessError on failure."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, cmd)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def load() -> str:
    """Return the 1/5/15-minute load averages."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def best(runs: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    """Return the best wall, best CPU and largest peak RSS of ``runs``."""
    return min(r[0] for r in runs), min(r[1] for r in runs), max(r[2] for r in runs)


def measure(
    rows: list[Row], inputs: dict[str, Path], runs: int, out: Path, strip: str, ways: dict[str, Path], pad: bool = False
) -> dict:
    """Run ffmpeg (and with ``pad`` ffmpeg adding the band's rows) and the export of each checkout in ``ways``
    (name -> root) on every row, interleaved, ``runs`` times; return key -> {"ffmpeg", "ffmpeg+band" or way
    name: (best wall, best CPU, peak RSS)}."""
    options = ExportOptions(strip=strip)
    padded = ["ffmpeg+band"] if pad and strip == "below" else []
    results: dict[str, dict[str, list]] = {row.key: {name: [] for name in ["ffmpeg", *padded, *ways]} for row in rows}
    for r in range(runs):
        for row in rows:
            src = inputs[row.key]
            got = results[row.key]
            got["ffmpeg"].append(run_child(ffmpeg_command(src, out / "ffmpeg.mp4", options)))
            line = f"  run {r + 1} {row.name:<22} ffmpeg {got['ffmpeg'][-1][1]:7.2f} s cpu {got['ffmpeg'][-1][0]:7.2f} s wall"
            for name in padded:
                size = (row.width, row.height, options.band_px(row.width, row.height))
                got[name].append(run_child(ffmpeg_command(src, out / "ffmpeg-band.mp4", options, pad=size)))
                line += f" | {name} {got[name][-1][1]:7.2f} s cpu"
            for name, root in ways.items():
                got[name].append(run_child(export_command(src, out / "overlay.mp4", strip, root)))
                line += f" | {name} {got[name][-1][1]:7.2f} s cpu {got[name][-1][0]:7.2f} s wall"
            print(f"{line}  (load {load()})", flush=True)
    return {key: {name: best(runs_) for name, runs_ in got.items()} for key, got in results.items()}


def report(rows: list[Row], figures: dict, startup: tuple[float, float, float]) -> None:
    """Print one line per row and way: best wall/CPU/peak RSS and the ratios against ffmpeg's."""
    print()
    print(f"  {'row':<22}{'way':<14}{'wall s':>8}{'cpu s':>8}{'MB':>6}{'wall x':>8}{'cpu x':>8}  target")
    for row in rows:
        got = figures[row.key]
        fw, fc, _ = got["ffmpeg"]
        cpu_t, wall_t = TARGETS.get(row.key, (None, None))
        target = (f"cpu <= {cpu_t:.2f}" if cpu_t else "") + (f", wall <= {wall_t:.2f}" if wall_t else "")
        for name, (w, c, mb) in got.items():
            note = "baseline" if name == "ffmpeg" else ("x264 on the band's rows" if name == "ffmpeg+band" else target)
            print(f"  {row.name:<22}{name:<14}{w:8.2f}{c:8.2f}{mb:6.0f}{w / fw:8.3f}{c / fc:8.3f}  {note}")
    print(f"  (an export's figures include Python's start-up and imports: {startup[1]:.2f} s cpu, {startup[0]:.2f} s wall)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3, help="runs of each way per row (the best is kept)")
    ap.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "cx-annotate-bench-render")
    ap.add_argument("--rows", default="720p,1080p,1h", help="comma-separated rows: 720p, 1080p, 1h")
    ap.add_argument("--strip", choices=("below", "overlay"), default="below",
                    help="where the timeline strip goes (default: below, as the export does)")
    ap.add_argument("--no-memory", action="store_true", help="skip the 60 s vs 1 h peak-memory comparison")
    ap.add_argument("--pad", action="store_true", help="also run ffmpeg padding the picture with the band's rows"
                    " (what encoding the band alone costs)")
    ap.add_argument("--before", type=Path, help="also run the export of the checkout at this path (e.g. an older"
                    " commit, `git archive`d), interleaved with this one's")
    args = ap.parse_args()
    compileall.compile_dir(ROOT / "annotate", quiet=1)  # as pip leaves it (see bench/startup.py)
    if ffmpeg_path() is None:
        sys.exit("bench/render.py compares with the ffmpeg command line: install Debian's ffmpeg package")
    args.dir.mkdir(parents=True, exist_ok=True)
    wanted = [k.strip() for k in args.rows.split(",") if k.strip()]
    rows = [row for row in ROWS if row.key in wanted]
    print(f"cx-annotate render benchmark (ffmpeg: {ffmpeg_path()}, {os.cpu_count()} cores)")
    print(f"  load average before: {load()}")
    inputs = {row.key: make_input(args.dir, row) for row in rows}
    options = ExportOptions(strip=args.strip)
    print(f"  libx264 preset {options.preset} crf {options.crf}; an event every {EVENT_EVERY_S:g} s; strip {args.strip};"
          f" best of {args.runs}")
    startup = best([run_child(startup_command()) for _ in range(3)])
    ways = {"export": ROOT, **({"before": args.before.resolve()} if args.before else {})}
    figures = measure(rows, inputs, args.runs, args.dir, args.strip, ways, pad=args.pad)
    report(rows, figures, startup)
    print(f"  load average after: {load()}")
    if args.no_memory or "1h" not in inputs:
        return
    short = make_input(args.dir, SHORT)
    _, _, short_mb = run_child(export_command(short, args.dir / "overlay-60s.mp4", args.strip))
    _, _, ffmpeg_short_mb = run_child(ffmpeg_command(short, args.dir / "ffmpeg-60s.mp4", options))
    long_mb, ffmpeg_long_mb = figures["1h"]["export"][2], figures["1h"]["ffmpeg"][2]
    print(f"  peak memory, 320x240 10 fps, 60 s -> 1 h: export {short_mb:.0f} -> {long_mb:.0f} MB,"
          f" ffmpeg {ffmpeg_short_mb:.0f} -> {ffmpeg_long_mb:.0f} MB (the containers' per-packet tables grow in both)")


if __name__ == "__main__":
    main()
