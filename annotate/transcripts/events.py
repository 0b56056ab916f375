"""A recording's transcript beside its events, in the shapes the event exports take.

:func:`for_export` reads the transcripts of the recordings being exported once;
each :class:`EventTranscript` then gives what one format needs:

- CSV (and the other tables): :meth:`EventTranscript.said_during` / :meth:`column`,
  the text said while each event lasts (a point event: the line at its time), as
  ``Speaker: text`` parts joined by `` / ``, at most MAX_LINE_TEXT characters;
- JSON: :meth:`EventTranscript.json`, the lines as ``{"start_s", "end_s", "speaker", "text"}``;
- ELAN: :meth:`EventTranscript.eaf_tier`, one ``transcript`` tier of (start ms, end ms, value)
  annotations, or :meth:`eaf_tiers` with one tier per speaker.
"""

from __future__ import annotations

import bisect
import itertools
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from ..model import Event
from ..timebase import nearest_ms
from .lines import MAX_LINE_TEXT, Line

if TYPE_CHECKING:
    from ..store import Store

JOIN = " / "
TIER = "transcript"


def said(line: Line) -> str:
    """Return the line as one text: ``Speaker: text``, or the text alone when no speaker is known."""
    return f"{line.speaker}: {line.text}" if line.speaker else line.text


class EventTranscript:
    """One recording's transcript, its lines in time order, looked up by time."""

    def __init__(self, recording_id: int, lines: Iterable[Line]):
        self.recording_id = recording_id
        self.lines: list[Line] = sorted(lines, key=lambda ln: (ln.start_ms, ln.end_ms))
        self._starts = [ln.start_ms for ln in self.lines]
        self._reach = list(itertools.accumulate((ln.end_ms for ln in self.lines), max))  # latest end so far

    def __len__(self) -> int:
        return len(self.lines)

    def during(self, start_ms: int, end_ms: int | None = None) -> list[Line]:
        """Return the lines that overlap ``start_ms``..``end_ms`` (a point when ``end_ms`` is None), in time order."""
        end = start_ms if end_ms is None else max(end_ms, start_ms)
        last = bisect.bisect_right(self._starts, end)  # lines starting after the end are out
        first = bisect.bisect_left(self._reach, start_ms)  # before it every line ended before the start
        return [ln for ln in self.lines[first:last] if ln.end_ms >= start_ms]

    def said_during(self, start_s: float, end_s: float | None = None) -> str:
        """Return what was said from ``start_s`` to ``end_s`` (or at the point ``start_s``): "" when nothing.

        Cut to MAX_LINE_TEXT characters (ending in "…") so it fits an event file's free-text cell.
        """
        found = self.during(nearest_ms(start_s), None if end_s is None else nearest_ms(end_s))
        text = JOIN.join(said(ln) for ln in found)
        return text if len(text) <= MAX_LINE_TEXT else text[: MAX_LINE_TEXT - 1] + "…"

    def column(self, events: Sequence[Event]) -> list[str]:
        """Return a ``transcript`` cell for each of ``events`` (see :meth:`said_during`)."""
        return [self.said_during(ev.start_s, ev.end_s) for ev in events]

    def json(self) -> list[dict[str, Any]]:
        """Return the lines as JSON-ready dicts (seconds; ``words`` for lines from speech-to-text)."""
        return [ln.to_dict() for ln in self.lines]

    def eaf_tier(self) -> tuple[str, list[tuple[int, int, str]]]:
        """Return (tier id, its annotations as (start ms, end ms, "Speaker: text"))."""
        return TIER, [(ln.start_ms, max(ln.end_ms, ln.start_ms + 1), said(ln)) for ln in self.lines]

    def eaf_tiers(self) -> dict[str, list[tuple[int, int, str]]]:
        """Return {tier id: annotations (start ms, end ms, text)} with one tier per speaker (``transcript - Ana``)."""
        tiers: dict[str, list[tuple[int, int, str]]] = {}
        for ln in self.lines:
            name = f"{TIER} - {ln.speaker}" if ln.speaker else TIER
            tiers.setdefault(name, []).append((ln.start_ms, max(ln.end_ms, ln.start_ms + 1), ln.text))
        return tiers


def for_export(store: Store, recording_ids: Iterable[int]) -> dict[int, EventTranscript]:
    """Return {recording id: its transcript} of those of ``recording_ids`` that have one."""
    counts = store.transcripts.counts()
    return {rid: EventTranscript(rid, store.transcripts.lines(rid)) for rid in dict.fromkeys(recording_ids)
            if rid in counts}
