"""Benchmark: the store at library scale, each figure as a ratio against a baseline measured in the same run.

Builds, in a temporary folder and through the store's bulk path
(``annotate.store.bulk.import_chunks``), a store of 1,000 recordings and
500,000 events, then times the real CLI in child processes against plain
baselines on the same data: interleaved runs, the best of ``--repeat`` kept,
CPU seconds (user + system, from wait4) beside the wall time, peak memory as the child's VmHWM (read from /proc/<pid>/status while it runs:
``ru_maxrss`` would count the parent's RSS at fork). Prints the machine's load.

Targets (issue 13):
- ``annotate import`` of a 100,000-event CSV: under 3 s, within 10x ``sqlite3 .import`` of the same file,
  memory under 2x the file;
- ``annotate list --json``, 1,000 recordings: within 1.5x ``sqlite3 -json`` (the same counts) plus start-up;
- ``annotate export -o all.csv``, 500,000 events: within 2x ``sqlite3 -csv``, under 150 MB peak;
- ``annotate metrics`` / ``flow``, 500,000 events: within 2x pandas directly-follows counts and medians
  (bench/flow_baseline.py);
- the Analyse page with 500,000 events: within 1.5x a plain pandas page warm, 2x cold (bench/analyse_page.py
  times each page in a fresh process with streamlit AppTest; the baseline is bench/analyse_plain_page.py);
- ``annotate info`` on a 1 h file: within 3x ffprobe; ``annotate --help`` under 0.3 s.
The package's bytecode is compiled first, as ``pip install`` leaves it (with PYTHONDONTWRITEBYTECODE set,
every child would otherwise compile the sources it imports again: about 0.1 s of ``list --json``).
A row whose command was left out (``--only``) prints "not measured"; ``annotate info`` is bench/startup.py's.

    .venv/bin/python bench/scale.py [--dir DIR [--reuse]] [--recordings 1000] [--events 500000] [--repeat 2]
                                    [--only-maps] [--no-page] [--only import,export]
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from annotate.model import Kind, Recording  # noqa: E402
from annotate.store import Store  # noqa: E402
from annotate.store.bulk import import_chunks  # noqa: E402

MB = 2**20
KINDS = (Kind.MOMENT_OF_TRUTH, Kind.INTERNAL_INTERACTION, Kind.DECISION_POINT)
SQLITE = shutil.which("sqlite3")
# What `annotate list --json` counts, for sqlite3: live events of live recordings per kind (imports done).
LIST_SQL = (
    "SELECT r.id, r.path, r.title, r.duration_s, r.status, e.kind, count(e.id) AS n FROM recordings r "
    "LEFT JOIN events e ON e.recording_id = r.id AND e.deleted_at IS NULL AND (e.import_id IS NULL OR "
    "e.import_id IN (SELECT id FROM imports WHERE state = 'done')) WHERE r.deleted_at IS NULL "
    "GROUP BY r.id, e.kind ORDER BY r.id"
)
EXPORT_SQL = "SELECT * FROM events WHERE deleted_at IS NULL ORDER BY start_ms, created_at, id"


class Chunk:
    """Validated columns of one recording's events, as ``csv_stream.Chunk`` gives them to ``import_chunks``."""

    def __init__(self, rid: int, first: int, count: int):
        self.count = count
        numbers = range(first, first + count)
        self.columns = {
            "id": [f"{rid:05d}{i:027x}" for i in numbers],
            "kind": [KINDS[i % 3] for i in numbers],
            "start_s": [round((i - first) * 1.5, 3) for i in numbers],
            "end_s": [None if i % 2 else round((i - first) * 1.5 + 1.0, 3) for i in numbers],
            "label": [f"label {i % 40}" for i in numbers],
            "stage": [f"stage {i % 7}" for i in numbers],
            "actor": ["customer" if i % 4 else "agent" for i in numbers],
            "note": ["" if i % 5 else "a note, with a comma" for i in numbers],
        }


def build_store(folder: Path, recordings: int, events: int) -> str:
    """Return the URL of a new store in ``folder`` holding ``recordings`` recordings and ``events`` events."""
    path = folder / "library.sqlite"
    url = f"sqlite:///{path}"
    each, extra = divmod(events, recordings)
    with Store(url) as store:
        first = 0
        for n in range(recordings):
            rec = store.add_recording(Recording(path=f"/library/call-{n:04d}.mp4", title=f"call {n}",
                                                duration_s=3600.0, content_hash=f"{n:064x}"))
            count = each + (1 if n < extra else 0)
            import_chunks(store, rec.id, [Chunk(rec.id, first, count)], reviewer="bench")
            first += count
    return url


def write_csv(path: Path, rows: int) -> None:
    """Write an event CSV of ``rows`` rows (the layout bench/import_memory.py uses)."""
    lines = ["kind,start_s,end_s,label,stage,actor,note\r\n"]
    for i in range(rows):
        start = i % 3_000_000 / 1000
        end = "" if i % 2 else f"{start + 1.5:.3f}"
        note = "" if i % 5 else '"a note, with a comma"'
        lines.append(f"{('MOT', 'INT', 'DEC')[i % 3]},{start:.3f},{end},label {i % 40},stage {i % 7},customer,{note}\r\n")
    path.write_text("".join(lines), newline="")


def vm_hwm(pid: int) -> int:
    """Return the process's peak resident memory in bytes so far (0 once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class Timed(tuple):
    """One run: (wall seconds, peak RSS bytes), with ``cpu`` the child's user + system seconds (on a loaded
    machine a steadier figure than the wall time)."""

    def __new__(cls, wall: float, peak: int, cpu: float) -> "Timed":
        timed = super().__new__(cls, (wall, peak))
        timed.cpu = cpu
        return timed


def run(cmd: list[str], stdout: Path | None = None) -> Timed:
    """Run ``cmd``; return its wall seconds, peak RSS bytes read while it ran and CPU seconds. Raises
    CalledProcessError on failure."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = open(stdout, "wb") if stdout else subprocess.DEVNULL
    try:
        start = time.perf_counter()
        child = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE, env=env)
        peak = 0
        while True:  # wait4, not poll: it gives the child's CPU time
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                child.returncode = os.waitstatus_to_exitcode(status)
                break
            peak = max(peak, vm_hwm(child.pid))
            time.sleep(0.01)
        wall = time.perf_counter() - start
    finally:
        if stdout:
            out.close()
    if child.returncode:
        raise subprocess.CalledProcessError(child.returncode, cmd, stderr=child.stderr.read())
    return Timed(wall, peak, usage.ru_utime + usage.ru_stime)


def annotate(*args: str) -> list[str]:
    return [sys.executable, "-m", "annotate", *args]


def fresh_import_db(folder: Path) -> str:
    path = folder / "import.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    with Store(url) as store:
        store.add_recording(Recording(path="/bench/a.mp4", title="a"))
    return url


def measure(folder: Path, url: str, csv: Path, repeat: int,
            only: set[str] | None = None) -> dict[str, list[tuple[float, int]]]:
    """Return every measured row's (seconds, peak bytes) per run, runs interleaved (only the rows named in
    ``only``, e.g. {"import", "export"}, with their baselines, if given)."""
    db = url.removeprefix("sqlite:///")
    plain = folder / "plain.sqlite"
    one = folder / "one.csv"  # the CLI's own memory baseline: the same import of a one-row file
    header, first, _ = csv.read_bytes().split(b"\r\n", 2)
    one.write_bytes(header + b"\r\n" + first + b"\r\n")
    found: dict[str, list[tuple[float, int]]] = {}
    for _ in range(repeat):
        steps = {
            "import": lambda: run(annotate("import", str(csv), "--recording", "1", "--db", fresh_import_db(folder))),
            "import one": lambda: run(annotate("import", str(one), "--recording", "1", "--db", fresh_import_db(folder))),
            "sqlite import": lambda: (plain.unlink(missing_ok=True),
                                      run([SQLITE, str(plain), ".mode csv", f".import {csv} events"]))[1],
            "list": lambda: run(annotate("list", "--json", "--db", url), folder / "list.json"),
            "sqlite list": lambda: run([SQLITE, "-json", db, LIST_SQL], folder / "list-sqlite.json"),
            "export": lambda: run(annotate("export", "-o", str(folder / "all.csv"), "--db", url)),
            "sqlite export": lambda: run([SQLITE, "-csv", "-header", db, EXPORT_SQL], folder / "all-sqlite.csv"),
            "startup": lambda: run(annotate("--help")),
        }
        for name, step in steps.items():
            if name.startswith("sqlite") and SQLITE is None:
                continue
            if only is not None and name.removeprefix("sqlite ").split()[0] not in only:
                continue
            found.setdefault(name, []).append(step())
    return found


def report(found: dict[str, list[tuple[float, int]]], csv: Path, rows: int, events: int) -> None:
    best = {name: min(runs) for name, runs in found.items()}
    size = csv.stat().st_size

    def row(label: str, ours: str, base: str, target: str) -> None:
        if ours not in best:
            print(f"{label:<44} not measured")
            return
        wall, peak = best[ours]
        line = f"{label:<44} {wall:6.2f} s {peak / MB:6.0f} MB"
        cpu = min(r.cpu for r in found[ours])
        if base in best:
            bwall, bpeak = best[base]
            bcpu = min(r.cpu for r in found[base])
            line += (f" | baseline {bwall:6.2f} s {bpeak / MB:5.0f} MB | {wall / bwall:5.1f}x time,"
                     f" CPU {cpu:.2f} s / {bcpu:.2f} s = {cpu / bcpu:.1f}x")
        else:
            line += f" | CPU {cpu:.2f} s"
        print(f"{line}   (target {target})")

    start = best.get("startup", (0.0, 0))[0]
    row("annotate --help", "startup", "", "< 0.3 s")
    row(f"annotate import, {rows:,}-event CSV", "import", "sqlite import", "< 3 s, <= 10x sqlite3 .import")
    if "import" in best:
        peak = min(p for _, p in found["import"])
        base = min(p for _, p in found.get("import one", [(0.0, 0)]))
        print(f"{'':<44} peak {peak / MB:.0f} MB, {(peak - base) / MB:.0f} MB over a one-row import ({base / MB:.0f} MB):"
              f" {(peak - base) / size:.2f} x the {size / MB:.1f} MB file (target < 2x)")
    row("annotate list --json", "list", "sqlite list", f"<= 1.5x sqlite3 -json + start-up {start:.2f} s")
    row(f"annotate export -o all.csv, {events:,} events", "export", "sqlite export", "<= 2x sqlite3 -csv, < 150 MB")
    print(f"{'annotate info, 1 h file':<44} measured against ffprobe by bench/startup.py   (target <= 3x ffprobe)")


def measure_maps(folder: Path, url: str, repeat: int) -> dict[str, list[tuple[float, int]]]:
    """Return (seconds, peak bytes) per run of ``annotate metrics`` / ``flow`` and the pandas baseline, interleaved."""
    db = url.removeprefix("sqlite:///")
    found: dict[str, list[tuple[float, int]]] = {}
    for _ in range(repeat):
        steps = {
            "metrics": lambda: run(annotate("metrics", "-o", str(folder / "metrics.csv"), "--db", url)),
            "pandas flow": lambda: run([sys.executable, str(ROOT / "bench" / "flow_baseline.py"), db]),
            "flow": lambda: run(annotate("flow", "-o", str(folder / "flow.svg"), "--db", url)),
        }
        for name, step in steps.items():
            found.setdefault(name, []).append(step())
    return found


def measure_page(url: str, repeat: int) -> dict[str, list[float]]:
    """Return the Analyse page's and the plain pandas page's cold and warm seconds per run (fresh processes, interleaved).

    Each run is bench/analyse_page.py in a child (AppTest): cold from its start to the page drawn, warm the best
    of three reruns.
    """
    import json

    found: dict[str, list[float]] = {}
    for _ in range(repeat):
        for which in ("ours", "plain"):
            out = subprocess.run([sys.executable, str(ROOT / "bench" / "analyse_page.py"), which, "--db", url],
                                 capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True)
            times = json.loads(out.stdout.strip().splitlines()[-1])
            found.setdefault(f"{which} cold", []).append(times["cold"])
            found.setdefault(f"{which} warm", []).append(times["warm"])
    return found


def report_maps(found: dict[str, list[tuple[float, int]]], page: dict[str, list[float]], events: int) -> None:
    """Print the metrics / flow rows and the Analyse page row as ratios against their baselines."""
    best = {name: min(runs) for name, runs in found.items()}
    if "pandas flow" in best:
        base, bpeak = best["pandas flow"]
        for name in ("metrics", "flow"):
            wall, peak = best[name]
            print(f"{f'annotate {name}, {events:,} events':<44} {wall:6.2f} s {peak / MB:6.0f} MB | baseline "
                  f"{base:6.2f} s {bpeak / MB:5.0f} MB | {wall / base:5.1f}x time   (target <= 2x pandas)")
    if page:
        b = {name: min(runs) for name, runs in page.items()}
        print(f"{'Analyse page, cold':<44} {b['ours cold']:6.2f} s | plain pandas page {b['plain cold']:6.2f} s | "
              f"{b['ours cold'] / b['plain cold']:5.1f}x   (target <= 2x)")
        print(f"{'Analyse page, warm (rerun)':<44} {b['ours warm']:6.2f} s | plain pandas page {b['plain warm']:6.2f} s | "
              f"{b['ours warm'] / b['plain warm']:5.1f}x   (target <= 1.5x)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", help="folder for the store and files (default: a temporary one)")
    ap.add_argument("--recordings", type=int, default=1000)
    ap.add_argument("--events", type=int, default=500_000)
    ap.add_argument("--import-rows", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--reuse", action="store_true", help="use the store already built in --dir")
    ap.add_argument("--only-maps", action="store_true", help="measure only metrics, flow and the Analyse page")
    ap.add_argument("--no-page", action="store_true", help="leave out the Analyse page (it takes the longest)")
    ap.add_argument("--only", help="measure only these CLI rows and their baselines, comma-separated "
                    "(import, list, export, startup); leaves out metrics, flow and the page")
    args = ap.parse_args()
    compileall.compile_dir(ROOT / "annotate", quiet=1)  # as pip leaves it (see bench/startup.py)
    folder = Path(args.dir or tempfile.mkdtemp(prefix="cx-scale-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    url = f"sqlite:///{folder / 'library.sqlite'}" if args.reuse else build_store(folder, args.recordings, args.events)
    print(f"built {args.recordings:,} recordings, {args.events:,} events in {time.perf_counter() - started:.1f} s "
          f"({folder})")
    csv = folder / "import.csv"
    write_csv(csv, args.import_rows)
    load = os.getloadavg()
    print(f"load: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
    only = set(args.only.split(",")) if args.only else None
    if not args.only_maps:
        report(measure(folder, url, csv, args.repeat, only), csv, args.import_rows, args.events)
    if only is not None:
        load = os.getloadavg()
        print(f"load after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        return
    report_maps(measure_maps(folder, url, args.repeat), {} if args.no_page else measure_page(url, args.repeat),
                args.events)
    load = os.getloadavg()
    print(f"load after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
