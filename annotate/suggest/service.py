"""Analyse a recording and keep its suggestions: the entry points the CLI, the job and the pages use.

:func:`analyse` turns a video file into :class:`~.types.Suggestion` values
(times snapped as a mark is snapped); :func:`compute` analyses a stored
recording and replaces its stored suggestions; :func:`suggestions_for` returns
the stored ones, computing them first when there are none yet or the
thresholds changed.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from typing import TYPE_CHECKING, Callable

from ..model import Kind
from ..timebase import floor_ms, frame_time_to_start_s, seconds_from_ms
from .settings import SuggestSettings
from .types import CUT, HOLD, SILENCE, SPEECH, Suggestion, length_score, seconds_text

if TYPE_CHECKING:
    from ..media.timeindex import TimeIndex
    from ..store import Store

Progress = Callable[[int, int], None]

# What a reviewer most likely marks there (docs/suggestions.md says why).
KIND_OF = {
    CUT: Kind.DECISION_POINT.value,  # a new page or screen: the customer (or staff) chose a path
    HOLD: Kind.INTERNAL_INTERACTION.value,  # the customer waits while the organisation works
    SILENCE: Kind.INTERNAL_INTERACTION.value,  # on hold, a look-up, a hand-off
    SPEECH: Kind.MOMENT_OF_TRUTH.value,  # a customer-facing exchange
}
SPEECH_WEIGHT = 0.6  # speech is everywhere in a call: its segments score below holds and silences


class _Clock:
    """Snaps analysis times to the recording's frames, as a mark is snapped (nearest frame, ms rounded up).

    Works on the TimeIndex's timestamps directly (no list of every frame's time:
    an hour at 30 fps would be 108,000 Fractions).
    """

    def __init__(self, index: TimeIndex):
        self.index = index
        self.end = seconds_from_ms(floor_ms(index.duration))  # the last time an event may have

    def at_frame(self, i: int | None) -> float:
        """Return the start_s of frame ``i`` (None: the end of the video)."""
        if i is None or i >= self.index.frame_count:
            return self.end
        return min(frame_time_to_start_s(self.index.time_of(i)), self.end)

    def at_time(self, t: float) -> tuple[int, float]:
        """Return (frame index, start_s) of the frame nearest ``t`` seconds (a tie goes to the earlier)."""
        ft = Fraction(t).limit_denominator(1_000_000)
        i = self.index.index_at(ft)
        if i + 1 < self.index.frame_count and self.index.time_of(i + 1) - ft < ft - self.index.time_of(i):
            i += 1
        return i, self.at_frame(i)


def _change_score(change: float) -> float:
    """Return a cut's score from its change (0..255): 0.25 for a small dialog, 0.6 for a new page, 1 from 60 up."""
    return min(1.0, math.log1p(change) / math.log1p(60.0))


def _picture_suggestions(clock: _Clock, cuts, holds, settings: SuggestSettings) -> list[Suggestion]:
    out = [Suggestion(CUT, clock.at_frame(c.index), None, "screen changed", KIND_OF[CUT],
                      _change_score(c.change), {"frame": c.index, "change": round(c.change, 2)})
           for c in cuts]
    for h in holds:
        start, end = clock.at_frame(h.first), clock.at_frame(h.end)
        stillness = max(0.0, 1.0 - h.mean_change / settings.hold_threshold) if settings.hold_threshold else 1.0
        out.append(Suggestion(
            HOLD, start, end, f"screen still for {seconds_text(end - start)}", KIND_OF[HOLD],
            length_score(end - start, settings.score_half_s),
            {"frame": h.first, "end_frame": h.end, "mean_change": round(h.mean_change, 3),
             "stillness": round(stillness, 3)}))
    return out


def _sound_suggestions(clock: _Clock, speech, silences, settings: SuggestSettings) -> list[Suggestion]:
    out = []
    for kind, segments in ((SPEECH, speech), (SILENCE, silences)):
        for a, b in segments:
            (fa, start), (fb, end) = clock.at_time(a), clock.at_time(b)
            if b >= float(clock.index.duration) - 1e-6:
                fb, end = None, clock.end
            if end <= start:
                continue
            score = length_score(end - start, settings.score_half_s) * (SPEECH_WEIGHT if kind == SPEECH else 1.0)
            out.append(Suggestion(kind, start, end, f"{kind} {seconds_text(end - start)}", KIND_OF[kind], score,
                                  {"frame": fa, "end_frame": fb, "from_s": round(a, 3), "to_s": round(b, 3)}))
    return out


def analyse(path: os.PathLike | str, settings: SuggestSettings | None = None,
            progress: Progress | None = None) -> list[Suggestion]:
    """Return the suggestions found in the video at ``path``, in time order.

    Raises the MediaError subclasses of :func:`annotate.media.inspect` for a bad file.
    """
    from ..media import inspect
    from . import audio, video

    settings = settings or SuggestSettings.from_env()
    info, index = inspect(path)
    clock = _Clock(index)
    with ThreadPoolExecutor(1, thread_name_prefix="cx-suggest-audio") as pool:  # the sound beside the picture
        sound = pool.submit(audio.speech_and_silences, info.path, index.start_offset, index.duration,
                            settings) if info.has_audio else None
        cuts, holds = video.scan_video(info.path, index, info.coded_width, info.coded_height, settings, progress)
        found = _picture_suggestions(clock, cuts, holds, settings)
        segments = sound.result() if sound is not None else None
    if segments is not None:
        found += _sound_suggestions(clock, *segments, settings)
    found.sort(key=lambda s: (s.start_s, s.type))
    return found


def compute(store: Store, recording_id: int, settings: SuggestSettings | None = None,
            progress: Progress | None = None) -> list[Suggestion]:
    """Analyse stored recording ``recording_id`` and replace its stored suggestions; return them as stored.

    Raises NotFoundError for an unknown recording and MediaError for a file that is gone or bad.
    """
    settings = settings or SuggestSettings.for_store(store)
    rec = store.get_recording(recording_id)
    found = analyse(rec.path, settings, progress)
    return store.suggestions.replace(rec.id, found, settings.to_dict(), settings.digest)


def suggestions_for(store: Store, recording_id: int, reviewer: str = "", settings: SuggestSettings | None = None,
                    recompute: bool = False, progress: Progress | None = None) -> list[Suggestion]:
    """Return the stored suggestions of a recording with ``reviewer``'s states, computing them when missing.

    They are computed again when ``recompute`` or when they were found with other
    thresholds. Raises as :func:`compute`.
    """
    settings = settings or SuggestSettings.for_store(store)
    run = store.suggestions.run(recording_id)
    if recompute or run is None or run["digest"] != settings.digest:
        compute(store, recording_id, settings, progress)
    return store.suggestions.list(recording_id, reviewer)
