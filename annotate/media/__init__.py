"""Exact media access: probe, frame-exact reader, browser proxy, container sniffing.

Times are Fractions of a second measured from the first video frame (= 0);
frames come out upright as BGR uint8. Bad files raise the MediaError subclasses
of :mod:`annotate.errors`.
"""

from .probe import VideoInfo, frame_times, inspect, probe
from .proxy import make_proxy, needs_proxy
from .reader import Frame, VideoReader
from .sniff import sniff_container
from .timeindex import TimeIndex

__all__ = [
    "Frame",
    "TimeIndex",
    "VideoInfo",
    "VideoReader",
    "frame_times",
    "inspect",
    "make_proxy",
    "needs_proxy",
    "probe",
    "sniff_container",
]
