"""A 1 GB upload is stored by streaming: the saving process never holds the file in memory.

The real :func:`annotate.app.uploads.save_upload` runs in a child process on a 1 GB stream (a real MP4 whose
tail is a 1 GB ``free`` box, so it sniffs and probes as the video it is); the child reports its peak RSS.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GB = 1 << 30

CHILD = r"""
import json, struct, sys
from fractions import Fraction
from pathlib import Path
from annotate import config
from annotate.testing import make_clip
from annotate.app.uploads import save_upload

root = Path(sys.argv[1])
video = make_clip(root / "small.mp4", n_frames=10, fps=Fraction(10), audio=False).read_bytes()
padding = int(sys.argv[2])

class Stream:
    '''A read()-able source of the MP4 and then a free box of ``padding`` zero bytes, made as it is read.'''
    def __init__(self):
        self.parts = [video, struct.pack(">I4s", padding + 8, b"free")]
        self.left = padding
    def read(self, n=-1):
        if self.parts:
            return self.parts.pop(0)
        n = self.left if n is None or n < 0 else min(n, self.left)
        self.left -= n
        return bytes(n)

def peak_kb():
    # VmHWM is this process's own high-water mark; getrusage's ru_maxrss also counts the parent's RSS at fork.
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])

settings = config.Settings(data_dir=root / "data", db_url="sqlite://", max_upload_mb=2048)
before = peak_kb()
path, existed = save_upload(settings, "long call.mp4", Stream())
peak = peak_kb()
print(json.dumps({"path": str(path), "size": path.stat().st_size, "existed": existed,
                  "before_kb": before, "peak_kb": peak, "left": sorted(p.name for p in path.parent.iterdir())}))
"""


def test_a_1_gb_upload_is_saved_without_holding_it_in_memory(tmp_path):
    if shutil.disk_usage(tmp_path).free < 3 * GB:
        pytest.skip("needs 3 GB free disk for a 1 GB upload")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANNOTATE_")}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path), str(GB)], capture_output=True, text=True,
                          timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    try:
        assert out["size"] > GB and not out["existed"]
        assert out["left"] == [Path(out["path"]).name]  # no partial left beside it
        peak_mb, base_mb = out["peak_kb"] / 1024, out["before_kb"] / 1024
        print(f"1 GB upload: RSS {base_mb:.0f} MB before, {peak_mb:.0f} MB peak")
        assert peak_mb - base_mb < 64 and peak_mb < 400, (base_mb, peak_mb)
    finally:
        Path(out["path"]).unlink(missing_ok=True)
