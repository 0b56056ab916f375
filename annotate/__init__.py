"""cx-annotate: annotate recorded customer experiences, frame-exact.

The library is layered (see DESIGN.md): ``model`` and ``timebase`` have no I/O,
``media`` reads and writes video, ``store`` is the only place that talks SQL,
``formats`` reads and writes event files, and ``cli`` / ``ui`` sit on top.
"""

__version__ = "0.1.0"
