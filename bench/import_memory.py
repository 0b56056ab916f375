"""Benchmark: peak memory and time of ``annotate import`` for a 50 MB quoted cell and a 1,000,000-row CSV.

Runs the real CLI in child processes (each under a fresh parent that reads its
peak RSS with ``getrusage(RUSAGE_CHILDREN)``) and prints peak RSS as a ratio to
the file size, next to the CLI's own baseline (the same command on a one-row
file). Time is printed next to baselines measured in the same run on the same
file: ``sqlite3``'s ``.import`` (if the sqlite3 command is installed) and
``pandas.read_csv``. Runs are interleaved and the best of ``--repeat`` is kept.
Targets: peak RSS over the CLI's baseline under 2 x file size + 100 MB; the 1M-row import under 60 s.

    .venv/bin/python bench/import_memory.py [--dir DIR] [--rows 1000000] [--cell-mb 50] [--repeat 2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from annotate.model import Recording  # noqa: E402
from annotate.store import Store  # noqa: E402

MB = 2**20
# A fresh parent per measurement: RUSAGE_CHILDREN then sees only this one child.
PEAK = """
import resource, subprocess, sys, time
t = time.perf_counter()
p = subprocess.run(sys.argv[1:], capture_output=True, text=True)
wall = time.perf_counter() - t
print(p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024, wall)
sys.stderr.write((p.stdout + p.stderr)[-300:])
"""


def run_child(cmd: list[str]) -> tuple[int, int, float, str]:
    """Return (exit code, peak RSS bytes, seconds, last output) of ``cmd`` run in a child process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.run([sys.executable, "-c", PEAK, *cmd], capture_output=True, text=True, env=env)
    code, peak, wall = p.stdout.split()
    return int(code), int(peak), float(wall), p.stderr.strip()


def write_cell_file(path: Path, mb: int) -> None:
    with open(path, "wb") as f:
        f.write(b'kind,start_s,label,note\nMOT,3.0,big,"' + b"B" * (mb * MB) + b'"\n')


def write_rows_file(path: Path, rows: int) -> None:
    kinds = ("MOT", "INT", "DEC")
    with open(path, "w", newline="") as f:
        f.write("kind,start_s,end_s,label,stage,actor,note\r\n")
        lines = []
        for i in range(rows):
            start = i % 3_000_000 / 1000
            end = "" if i % 2 else f"{start + 1.5:.3f}"
            note = "" if i % 5 else '"a note, with a comma"'
            lines.append(f"{kinds[i % 3]},{start:.3f},{end},label {i % 40},stage {i % 7},customer,{note}\r\n")
            if len(lines) >= 100_000:
                f.write("".join(lines))
                lines = []
        f.write("".join(lines))


def fresh_db(folder: Path, name: str) -> str:
    path = folder / f"{name}.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    with Store(url) as store:
        store.add_recording(Recording(path="/bench/a.mp4", title="a"))
    return url


def cli_import(folder: Path, file: Path) -> tuple[int, int, float, str]:
    url = fresh_db(folder, "bench")
    return run_child([sys.executable, "-m", "annotate", "import", str(file), "--recording", "1", "--db", url])


def sqlite_import(folder: Path, file: Path) -> float | None:
    exe = shutil.which("sqlite3")
    if exe is None:
        return None
    db = folder / "plain.sqlite"
    db.unlink(missing_ok=True)
    t = time.perf_counter()
    subprocess.run([exe, str(db), ".mode csv", f".import {file} events"], check=True, capture_output=True)
    return time.perf_counter() - t


def pandas_read(file: Path) -> float:
    code = f"import pandas; pandas.read_csv({str(file)!r}, dtype=str, keep_default_na=False)"
    return run_child([sys.executable, "-c", code])[2]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", help="folder for the files (default: a temporary one)")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--cell-mb", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    folder = Path(args.dir or tempfile.mkdtemp(prefix="cx-import-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    tiny, cell, rows = folder / "tiny.csv", folder / "cell.csv", folder / "rows.csv"
    tiny.write_text("kind,start_s,label\nMOT,1.0,x\n")
    print(f"writing {args.cell_mb} MB cell and {args.rows:,} rows into {folder} ...", flush=True)
    write_cell_file(cell, args.cell_mb)
    write_rows_file(rows, args.rows)
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} on {os.cpu_count()} cores")

    base = min(cli_import(folder, tiny)[1] for _ in range(args.repeat))
    print(f"CLI baseline (one-row file): peak {base / MB:.0f} MB")
    best_cell = best_rows = None
    best_sqlite = best_pandas = float("inf")
    for _ in range(args.repeat):  # interleaved: each run sees about the same load
        code, peak, wall, out = cli_import(folder, cell)
        best_cell = min(best_cell or (peak, wall, code, out), (peak, wall, code, out))
        code, peak, wall, out = cli_import(folder, rows)
        best_rows = min(best_rows or (wall, peak, code, out), (wall, peak, code, out))
        best_sqlite = min(best_sqlite, sqlite_import(folder, rows) or float("inf"))
        best_pandas = min(best_pandas, pandas_read(rows))

    size = cell.stat().st_size
    peak, wall, code, out = best_cell
    print(f"\n{args.cell_mb} MB quoted cell ({size / MB:.0f} MB file): exit {code}, {wall:.1f} s; {out.splitlines()[-1][:110]}")
    print(f"  peak RSS {peak / MB:.0f} MB = {peak / size:.2f} x file; over the CLI baseline {(peak - base) / MB:.0f} MB = "
          f"{(peak - base) / size:.2f} x file (target: over the baseline < 2 x file + 100 MB = "
          f"{(2 * size + 100 * MB) / MB:.0f} MB)")
    size = rows.stat().st_size
    wall, peak, code, out = best_rows
    print(f"\n{args.rows:,} rows ({size / MB:.0f} MB file): exit {code}; {out.splitlines()[-1][:80]}")
    print(f"  peak RSS {peak / MB:.0f} MB = {peak / size:.2f} x file; over the CLI baseline {(peak - base) / MB:.0f} MB = "
          f"{(peak - base) / size:.2f} x file (target < {(2 * size + 100 * MB) / MB:.0f} MB)")
    line = f"  time {wall:.1f} s (target < 60 s); pandas.read_csv {best_pandas:.1f} s = {wall / best_pandas:.1f} x"
    if best_sqlite != float("inf"):
        line += f"; sqlite3 .import {best_sqlite:.1f} s = {wall / best_sqlite:.1f} x"
    print(line)


if __name__ == "__main__":
    main()
