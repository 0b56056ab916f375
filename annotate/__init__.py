"""cx-annotate: annotate recorded customer experiences, frame-exact.

The library is layered (see docs/design.md): ``model`` and ``timebase`` have no I/O,
``media`` reads and writes video, ``store`` is the only place that talks SQL,
``formats`` reads and writes event files, and ``cli`` / ``ui`` sit on top.
"""

import os

__version__ = "0.1.0"

# numpy's OpenBLAS starts a thread per core when it loads, and they spin for a while: 0.28 s of CPU on
# every `annotate` start-up and export here (0.70 -> 0.42 s for the export's imports), 5 % of a 10 s 720p
# render. Nothing in cx-annotate does linear algebra big enough to want them. Set before any module of
# ours imports numpy; a user's own setting wins, and numpy loaded before us keeps its threads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
