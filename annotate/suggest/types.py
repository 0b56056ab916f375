"""What a suggestion is: a type, a frame-exact time (and end), a reason, a suggested kind, a score. No I/O.

Times are a mark's: seconds from the first frame, snapped to a frame and
rounded up to the millisecond (:func:`annotate.timebase.frame_time_to_start_s`),
so the frame shown at ``start_s`` is the frame the analysis found.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..timebase import nearest_ms

CUT, HOLD, SILENCE, SPEECH = "cut", "hold", "silence", "speech"
TYPES = (CUT, HOLD, SILENCE, SPEECH)
OPEN, ACCEPTED, DISMISSED = "open", "accepted", "dismissed"
STATES = (OPEN, ACCEPTED, DISMISSED)


@dataclass
class Suggestion:
    """One suggested moment.

    ``type`` is one of :data:`TYPES`; ``end_s`` is None for a point (a cut);
    ``suggested_kind`` a stored kind value (``moment_of_truth`` ...); ``score``
    0..1, higher is stronger; ``detail`` what the analysis measured (frame
    index, mean difference, ...). ``id``, ``state`` and ``event_id`` are set
    once stored (``state`` is per reviewer: open, accepted or dismissed).
    """

    type: str
    start_s: float
    end_s: float | None
    reason: str
    suggested_kind: str
    score: float
    detail: dict[str, Any] = field(default_factory=dict)
    recording_id: int | None = None
    id: str | None = None
    state: str = OPEN
    event_id: str | None = None

    @property
    def key(self) -> str:
        """Return the suggestion's identity within its recording: type and start in ms (``cut-12345``)."""
        return f"{self.type}-{nearest_ms(self.start_s)}"

    def to_json(self) -> dict[str, Any]:
        """Return the JSON-ready dict ``annotate suggest --json`` prints."""
        return {
            "id": self.id, "recording_id": self.recording_id, "type": self.type, "start_s": self.start_s,
            "end_s": self.end_s, "reason": self.reason, "suggested_kind": self.suggested_kind,
            "score": round(float(self.score), 4), "state": self.state, "event_id": self.event_id,
            "detail": self.detail,
        }


def seconds_text(seconds: float) -> str:
    """Return a duration for a reason: ``9 s`` below a minute, ``2 min 5 s`` above."""
    whole = int(round(seconds))
    if whole < 60:
        return f"{whole} s"
    minutes, rest = divmod(whole, 60)
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"


def length_score(seconds: float, half_at: float) -> float:
    """Return a score in 0..1 that grows with ``seconds``: 0.5 at ``half_at`` seconds, towards 1 for longer."""
    return float(seconds / (seconds + half_at)) if seconds > 0 else 0.0
