"""What files say about recordings: their name, frame rate and duration, and the order events are written in."""

from __future__ import annotations

from fractions import Fraction
from pathlib import PurePath
from typing import Any, Iterable, Mapping, Sequence

from ..errors import ValidationError
from ..model import Event, Recording, drop_control
from ..timebase import to_fraction


def recording_fps(recording: Recording | None) -> Fraction | None:
    """Return the recording's frame rate as a Fraction, or None when unknown or unreadable."""
    if recording is None or not recording.fps:
        return None
    try:
        fps = to_fraction(recording.fps)
    except ValidationError:
        return None
    return fps if fps > 0 else None


def recording_name(recording: Recording | None) -> str:
    """Return how files name a recording: its title, else its file name (without control characters, which
    no format's reader takes back)."""
    if recording is None:
        return ""
    return recording.title or drop_control(PurePath(recording.path).name)


def duration_limit(recording: Recording) -> float | None:
    """Return the duration to check event times against, or None when the recording's is unknown (0)."""
    return recording.duration_s if recording.duration_s and recording.duration_s > 0 else None


def as_recordings(recordings: Mapping[int, Recording] | Iterable[Recording] | None) -> dict[Any, Recording]:
    """Return recordings keyed by id, from a dict, a list of recordings or None."""
    if recordings is None:
        return {}
    if isinstance(recordings, Mapping):
        return dict(recordings)
    return {r.id: r for r in recordings}


def sort_events(events: Sequence[Event]) -> list[Event]:
    """Return events ordered by recording, start time, end time, id (a stable export order)."""
    return sorted(events, key=lambda e: (e.recording_id if e.recording_id is not None else -1, e.start_s,
                                         -1.0 if e.end_s is None else e.end_s, e.id))
