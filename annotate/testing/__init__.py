"""Helpers for tests and benchmarks: synthetic clips whose frames say their own index.

Nothing in the application imports this package; it lives inside ``annotate`` so
that the test suite, the ``bench/`` scripts and other helpers' tests share one
generator. See :mod:`annotate.testing.clips` (writing), :mod:`.plan` (what a clip will be),
:mod:`.stamp` (the frame-index stamp), :mod:`.bad_files` and :mod:`.decoded` (reading written videos back).
"""

from .bad_files import make_bad_files, make_clip_audio_only
from .clips import STANDARD_CLIPS, make_clip, make_standard_clip, repeat_clip
from .plan import ClipPlan, plan_clip, planned_frame_times
from .stamp import draw_stamp, read_stamp

__all__ = [
    "STANDARD_CLIPS",
    "make_standard_clip",
    "repeat_clip",
    "ClipPlan", "draw_stamp", "make_bad_files", "make_clip_audio_only", "make_clip", "plan_clip", "planned_frame_times", "read_stamp"]
