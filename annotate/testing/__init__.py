"""Helpers for tests and benchmarks: synthetic clips whose frames say their own index.

Nothing in the application imports this package; it lives inside ``annotate`` so
that the test suite, the ``bench/`` scripts and other helpers' tests share one
generator. See :mod:`annotate.testing.clips`.
"""

from .clips import (
    STANDARD_CLIPS,
    ClipPlan,
    draw_stamp,
    make_bad_files,
    make_clip,
    make_standard_clip,
    plan_clip,
    planned_frame_times,
    read_stamp,
    repeat_clip,
)

__all__ = [
    "STANDARD_CLIPS",
    "make_standard_clip",
    "repeat_clip",
    "ClipPlan", "draw_stamp", "make_bad_files", "make_clip", "plan_clip", "planned_frame_times", "read_stamp"]
