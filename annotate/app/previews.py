"""A recording's filmstrip and waveform for the Review player: there, on the queue, or failed.

The files are made once per content by the ``preview`` job (:mod:`annotate.preview`);
:func:`preview_state` is what a page asks on every run: it queues the job the first
time a recording is opened without them, and never queues again after a failure
(the failure is shown instead, until the reviewer asks again).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import Settings
from ..model import Recording
from ..store import Store


@dataclass(frozen=True)
class PreviewState:
    """``ready``: the files are there; else ``queued`` (a job is making them) or ``error`` (its one-line failure)."""

    ready: bool
    queued: bool = False
    error: str | None = None


def preview_state(store: Store, settings: Settings, rec: Recording, *, queue_missing: bool = True) -> PreviewState:
    """Return whether ``rec``'s filmstrip and peaks are there; queue their job when they are not (once)."""
    from ..jobs import board
    from ..jobs.kinds import preview_target, submit_preview

    target = preview_target(settings, store, rec.id)
    if target.is_file():
        return PreviewState(True)
    job = board.get(target)
    if job is not None and job.state == "failed":
        return PreviewState(False, error=job.error)
    if (job is None or job.finished) and queue_missing:
        job = submit_preview(store, settings, rec.id)
    return PreviewState(False, queued=job is not None and not job.finished)
