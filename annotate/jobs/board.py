"""The renders the pages ask for, as jobs: start one for a plan, and find the job writing a file.

A thin layer over :mod:`.queue` for callers that hold a render plan
(:class:`annotate.app.playback.Plan`): the plan's file is the job's output, so however
many sessions ask for one file, one job makes it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..store.jobs import JobRecord
from . import queue

if TYPE_CHECKING:
    from ..app.playback import Plan


def start(plan: Plan) -> JobRecord:
    """Return the job making ``plan``'s file: the active one, or a new queued one (a failed one is retried)."""
    return queue.submit(plan.kind, plan.params, str(plan.path), plan.label, plan.recording_id)


def get(path: str | Path) -> JobRecord | None:
    """Return the newest job that writes ``path``, or None."""
    return queue.records().latest_for(str(path))


def no_worker() -> bool:
    """Return True when jobs wait on a queue that no worker has reported on in the last minute."""
    return queue.queue_url() != "inline" and not queue.records().workers_seen()
