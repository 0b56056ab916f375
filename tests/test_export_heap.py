"""A long export's memory: the mmap threshold Source pins keeps large blocks out of the heap (see annotate.heap)."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"

# Run in a fresh interpreter (a long-used heap may hold a free block that serves any request): open a Source,
# free an 8 MiB block (mmapped), then print whether a 1 MiB block comes from mmap too. With glibc's sliding
# threshold that free raises the threshold to 8 MiB and the 1 MiB block comes from the heap.
CHILD = """
import ctypes, sys
from annotate.export import Source
from annotate.heap import pin_mmap_threshold
with Source(sys.argv[1]):
    pass
libc = ctypes.CDLL(None)
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
libc.free(libc.malloc(8 << 20))
block = libc.malloc(1 << 20)
header = ctypes.c_size_t.from_address(block - ctypes.sizeof(ctypes.c_size_t)).value
print("mmapped" if header & 0x2 else "heap", pin_mmap_threshold())
"""


@pytest.mark.skipif(not GLIBC, reason="the threshold is glibc's")
def test_opening_a_source_pins_the_threshold_so_large_blocks_stay_mmapped(media_clip):
    path = media_clip("cfr")[0]
    out = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["mmapped", "True"]
