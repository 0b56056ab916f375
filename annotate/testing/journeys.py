"""Plausible synthetic journeys for benchmarks, demos and tests of the maps, and one small hand-made
journey (:func:`fixture_events`) whose waits the map tests know. No I/O.

A journey walks the codebook's stages in order; in each stage it emits a few
events drawn from a small set of activities, mostly along a main path with
some detours, so flow maps look like real ones (a spine plus variants).
"""

from __future__ import annotations

import random

from ..model import Codebook, Event, Kind, Recording, Status

# (kind, label, actor) per step of the main path; detours pick another entry of the same stage
_PATH = {
    "Awareness": [(Kind.MOMENT_OF_TRUTH, "Greeting", "frontline"), (Kind.DECISION_POINT, "Choose channel", "customer")],
    "Buy-In": [(Kind.INTERNAL_INTERACTION, "Lookup", "system"), (Kind.MOMENT_OF_TRUTH, "Long wait", "customer")],
    "Acquisition": [(Kind.DECISION_POINT, "Choose product", "customer"), (Kind.MOMENT_OF_TRUTH, "Form error", "customer"),
                    (Kind.INTERNAL_INTERACTION, "Hand-off", "frontline")],
    "Care": [(Kind.INTERNAL_INTERACTION, "Escalation", "back office"), (Kind.INTERNAL_INTERACTION, "Back-office step", "back office"),
             (Kind.MOMENT_OF_TRUTH, "Payment accepted", "system")],
    "Use": [(Kind.DECISION_POINT, "Choose delivery", "customer"), (Kind.MOMENT_OF_TRUTH, "Problem resolved", "frontline")],
    "Share": [(Kind.MOMENT_OF_TRUTH, "Confirmation", "frontline"), (Kind.DECISION_POINT, "Continue", "customer")],
}


def journeys(
    recordings: int, events_per_recording: int, seed: int = 7, codebook: Codebook | None = None
) -> tuple[list[Recording], list[Event]]:
    """Return ``recordings`` recordings (ids 1..n) and exactly ``events_per_recording`` events on each."""
    rnd = random.Random(seed)
    book = codebook or Codebook()
    stages = [s for s in book.stages if s in _PATH] or list(_PATH)
    recs: list[Recording] = []
    events: list[Event] = []
    for rid in range(1, recordings + 1):
        t = round(rnd.uniform(1, 8), 3)
        per_stage = [events_per_recording // len(stages)] * len(stages)
        for i in range(events_per_recording - sum(per_stage)):
            per_stage[i % len(stages)] += 1
        for stage, n in zip(stages, per_stage):
            path = _PATH[stage]
            for i in range(n):
                kind, label, actor = path[i % len(path)] if rnd.random() < 0.8 else rnd.choice(path)
                emotion = rnd.choice([None, -2, -1, 0, 0, 1, 2]) if kind is Kind.MOMENT_OF_TRUTH else None
                end = round(t + rnd.uniform(5, 40), 3) if rnd.random() < 0.1 else None
                events.append(Event(kind=kind, start_s=t, end_s=end, recording_id=rid, label=label, stage=stage,
                                    actor=actor, emotion=emotion, channel="Phone"))
                t = round((end or t) + rnd.choice([2, 4, 6, 9, 15, 25, 45, 90]) * rnd.uniform(0.5, 1.5), 3)
        recs.append(Recording(path=f"synthetic-{rid}.mp4", title=f"Synthetic journey {rid}", id=rid,
                              duration_s=round(t + 5, 3), status="reviewed" if rid % 3 else "new"))
    return recs, events


# A label with every character HTML, SVG and CSV must escape
TRICKY = 'Form <error> & "quotes" \'x\''


def fixture_events() -> tuple[Recording, list[Event]]:
    """Return one recording and its seven events; waits 15, 10, 60, 10, 40, 30 s (step 3 ends at 40 s)."""
    mot, int_, dec = Kind.MOMENT_OF_TRUTH, Kind.INTERNAL_INTERACTION, Kind.DECISION_POINT
    rec = Recording(path="/v/call.mp4", title="Call <1> & co", id=1, duration_s=300.0, status=Status.REVIEWED)
    spec = [
        (mot, 5, None, "Greeting", "frontline", "Awareness", 1),
        (dec, 20, None, "Choose product", "customer", "Buy-In", 0),
        (int_, 30, 40, "Lookup", "back office", "Buy-In", None),
        (int_, 100, None, "Hand-off", "system", "Acquisition", None),
        (mot, 110, None, TRICKY, "customer", "Acquisition", -2),
        (dec, 150, None, "Continue", "customer", "Care", None),
        (mot, 180, None, "Confirmation", "frontline", "Share", -1),
    ]
    events = [
        Event(kind=k, start_s=s, end_s=e, label=label, actor=actor, stage=stage, emotion=emo, recording_id=1,
              id=f"{i:032x}")
        for i, (k, s, e, label, actor, stage, emo) in enumerate(spec, start=1)
    ]
    return rec, events
