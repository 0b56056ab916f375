"""Exact media access (reading only): probe, frame-exact reader, streaming reader, container sniffing.

Times are Fractions of a second measured from the first video frame (= 0);
frames come out upright as BGR uint8. Bad files raise the MediaError subclasses
of :mod:`annotate.errors`.

Writing (exports and the browser proxy) is :mod:`annotate.export`'s job. The
reader, sniffing and time-index names load their module on first use (PEP 562),
so probing a file does not pay for OpenCV.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Loaded now: the function `probe` shares its name with its module, and must win over it.
from .probe import VideoInfo, frame_times, inspect, needs_proxy, probe

_WHERE = {
    "Frame": "reader", "VideoReader": "reader",
    "StreamReader": "stream",
    "sniff_container": "sniff",
    "TimeIndex": "timeindex",
}

__all__ = sorted([*_WHERE, "VideoInfo", "frame_times", "inspect", "needs_proxy", "probe"])

if TYPE_CHECKING:  # for type checkers and editors; at run time __getattr__ loads them
    from .reader import Frame, VideoReader
    from .stream import StreamReader
    from .sniff import sniff_container
    from .timeindex import TimeIndex


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_WHERE})
