"""Keeping a long job's memory flat: large blocks stay out of glibc's heap (the overlay export, the CLI's import).

The containers' sample tables grow with the duration (about 100 bytes per audio or video packet, in the
demuxer and in the muxer, as in ffmpeg itself), and FFmpeg grows them by reallocating. glibc serves a block
under its mmap threshold from the heap and raises that threshold to the size of any large block freed
(indexing a source before reading it frees several MB), so the tables then grow inside the heap, every
move leaving the old copy behind. Measured on bench/render.py's 320x240 10 fps file: peak RSS 103 MB for
60 s, 146 MB for 1 h; with the threshold pinned at glibc's initial 128 KiB, 129 MB for 1 h, the growth of a
bare PyAV transcode (+24 MB). Pinning is process-wide and lasts (glibc cannot go back to the sliding
threshold); it costs a page fault per large block, which the frame loop barely allocates (its frames are
pooled): a 10 s 720p export and a 10 min 320x240 one make the same mmap calls either way.

A streamed CSV import frees blocks of a few hundred KB to a few MB per block of rows (Arrow's buffers, numpy
columns, the file scans'); with the sliding threshold their successors came from the heap, which kept them:
100,000 events, the CLI over a one-row import, 24.3 -> 19.5 MB pinned, same time.
"""

from __future__ import annotations

import ctypes
import platform

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
THRESHOLD = 128 * 1024  # glibc's initial value
_pinned: bool | None = None


def pin_mmap_threshold() -> bool:
    """Pin glibc's mmap threshold at :data:`THRESHOLD` (once per process); return True if it is pinned,
    False where the C library is not glibc (nothing is changed there). Raises nothing."""
    global _pinned
    if _pinned is None:
        _pinned = False
        if platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
            try:
                _pinned = bool(ctypes.CDLL(None).mallopt(M_MMAP_THRESHOLD, THRESHOLD))
            except (OSError, AttributeError):
                _pinned = False
    return _pinned
