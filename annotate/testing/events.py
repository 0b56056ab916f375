"""Event sets the format tests share: a recording like the store holds, events with every awkward value,
many random ones, and what each format carries. Used by the tests only.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from fractions import Fraction

from ..model import Codebook, Event, Kind, Recording, validate_event
from ..timebase import floor_ms, seconds_from_ms, time_to_ms

FPS = Fraction(30000, 1001)
FRAMES = 300
LAST_FRAME_S = seconds_from_ms(time_to_ms(Fraction(FRAMES - 1) / FPS))  # 9.977: the last frame, rounded up to ms
T0 = datetime(2024, 5, 1, 12, 30, 0, 123000, tzinfo=timezone.utc)

FORMULA_TEXTS = ["=1+1", "@SUM(A1:A2)", "+1", "-1", "-5% discount", "'quoted", "'=already", "''"]


def make_recording(rid: int = 7, **kw) -> Recording:
    """Return a 300-frame 29.97 fps recording like the store would hold."""
    values = dict(
        path="/media/Kassé checkout.mp4",
        title="Checkout, web (Zoë)",
        id=rid,
        duration_s=round(FRAMES / float(FPS), 3),
        fps="30000/1001",
        frame_count=FRAMES,
        width=320,
        height=240,
        content_hash="c0ffee" * 10 + "abcd",
    )
    values.update(kw)
    return Recording(**values)


def tricky_events(recording: Recording) -> list[Event]:
    """Return validated events with every awkward value the formats must carry."""
    rid = recording.id
    raw = [
        Event(Kind.MOMENT_OF_TRUTH, 0.0, rid, label="Café ☕ — naïve 日本語", stage="Awareness", emotion=2,
              created_at=T0, updated_at=T0),
        Event(Kind.INTERNAL_INTERACTION, 0.0, rid, end_s=1.5, label='He said "hi", then left',
              stage="Buy-In, phase 2", channel="Phone", actor="back office", expectation="a, b; c",
              emotion=-2, note="line one\nline two\r\nline three", reviewer="Zoë",
              created_at=T0 + timedelta(microseconds=456789), updated_at=T0 + timedelta(hours=1)),
        Event(Kind.DECISION_POINT, LAST_FRAME_S, rid, label="Choose delivery", emotion=0, reviewer="ann",
              created_at=T0),
        Event(Kind.MOMENT_OF_TRUTH, 2.002, rid, end_s=LAST_FRAME_S, label="Long wait", note="=HYPERLINK(\"x\")",
              expectation="-2 minutes", actor="customer"),
        Event(Kind.INTERNAL_INTERACTION, 3.0, rid, end_s=3.0, label="zero length", channel="@Chat"),
    ]
    for i, text in enumerate(FORMULA_TEXTS):
        raw.append(Event(list(Kind)[i % 3], 4.0 + i * 0.033, rid, label=text, stage=text, note=text, reviewer=text,
                         emotion=-1 if i % 2 else None))
    return [validate_event(e, recording.duration_s) for e in raw]


def many_events(recording: Recording, n: int = 1000, seed: int = 3) -> list[Event]:
    """Return ``n`` random validated events on ``recording`` (labels from the codebook and free text)."""
    rnd = random.Random(seed)
    book = Codebook()
    limit = floor_ms(recording.duration_s)
    out = []
    for i in range(n):
        kind = list(Kind)[rnd.randrange(3)]
        start = rnd.randrange(0, limit)
        end = None if rnd.random() < 0.5 else min(limit, start + rnd.randrange(0, 4000))
        labels = book.label_texts(kind) + [f"free text {i}", "Ünïcode, \"quoted\"", "=cmd|' /C calc'!A0"]
        out.append(validate_event(Event(
            kind, seconds_from_ms(start), recording.id, end_s=None if end is None else seconds_from_ms(end),
            label=rnd.choice(labels), stage=rnd.choice(book.stages), channel=rnd.choice(book.channels),
            actor=rnd.choice(book.actors), emotion=rnd.choice([None, -2, -1, 0, 1, 2]),
            note=rnd.choice(["", "multi\nline", "x, y"]), reviewer=rnd.choice(["ann", "bob"]),
            created_at=T0 + timedelta(seconds=i), updated_at=T0 + timedelta(seconds=i, milliseconds=5),
        ), recording.duration_s))
    return out


def comparable(event: Event, *fields: str) -> dict:
    """Return the named fields of ``event`` (all carried fields when none are named)."""
    data = event.to_dict()
    data.pop("version")
    return {k: data[k] for k in fields} if fields else data


# --- tests of the shared helpers ------------------------------------------------------


# Fields each format carries through an export and an import.
ALL = ("id", "kind", "start_s", "end_s", "label", "stage", "channel", "actor", "expectation", "emotion", "note",
       "reviewer", "created_at", "updated_at", "recording_id")
NO_DATES = ALL[:-3] + ("recording_id",)
CARRIED = {
    "csv": ALL,
    "json": ALL,
    "vtt": ALL,
    "eaf": ALL,
    "srt": ("kind", "start_s", "end_s", "label", "recording_id"),
    "boris": ("kind", "start_s", "end_s", "label", "actor", "stage", "channel", "note", "recording_id"),
    "xes": NO_DATES,
    "eventlog": NO_DATES,
}
