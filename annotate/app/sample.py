"""The bundled sample recording and its events, loaded into an empty store on first run."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import Settings
from ..formats import read_events
from ..model import Recording
from .recordings import add_recording

if TYPE_CHECKING:
    from ..store import Store

SAMPLE_VIDEO = "checkout.mp4"
SAMPLE_EVENTS = "checkout.events.csv"
SAMPLE_TITLE = "Web checkout with chat hand-off (sample)"


def sample_dir() -> Path | None:
    """Return the folder holding the sample media, or None when it cannot be found.

    Looked up in ``ANNOTATE_SAMPLE_DIR``, beside the package (a source checkout)
    and in the working directory.
    """
    candidates = []
    if os.environ.get("ANNOTATE_SAMPLE_DIR"):
        candidates.append(Path(os.environ["ANNOTATE_SAMPLE_DIR"]))
    candidates += [Path(__file__).resolve().parent.parent / "sample_media", Path.cwd() / "sample_media"]
    for folder in candidates:
        if (folder / SAMPLE_VIDEO).is_file():
            return folder
    return None


def ensure_sample(store: Store, settings: Settings, reviewer: str = "sample") -> Recording | None:
    """Load the sample recording and its events when the store holds no recording yet.

    Returns the sample Recording when it was loaded now, None when the store
    already had recordings (the user's library is never touched) or no sample
    is available.
    """
    if store.list_recordings():
        return None
    folder = sample_dir()
    if folder is None:
        return None
    rec, created = add_recording(store, settings, folder / SAMPLE_VIDEO, title=SAMPLE_TITLE, reviewer=reviewer)
    events_file = folder / SAMPLE_EVENTS
    if created and events_file.is_file():
        store.add_events(read_events(events_file, recording=rec), reviewer=reviewer)
    return rec
