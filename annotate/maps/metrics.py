"""The 15 diagnostics metrics, per recording, per stage, per kind and across a selection.

Formulas are in docs/metrics.md; the step, wait and stage-span definitions
they rest on are in :mod:`annotate.maps.journey`. Every function returns a
pandas DataFrame (NaN where a metric has nothing to measure, e.g. INT per MOT
with no MOT) and never touches the store.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from typing import Iterable, Mapping

import pandas as pd

from ..errors import ValidationError
from ..model import KINDS, Codebook, Event, Kind, Recording, Status, parse_kind
from . import journey
from .journey import clock

GROUPINGS = ("recording", "stage", "kind", "selection")
MOT = Kind.MOMENT_OF_TRUTH
STAGE_TIME_PREFIX = "time_in_stage_s:"

# (number, column, what it measures) — the columns of the recording / stage / selection tables
METRICS: list[tuple[int, str, str]] = [
    (1, "mot_count", "Moments of Truth"),
    (2, "int_count", "Internal Interactions"),
    (3, "dec_count", "Decision Points"),
    (4, "events_per_min", "events per minute of recording"),
    (5, "time_to_first_mot_s", "time to the first Moment of Truth"),
    (6, "median_wait_s", "median wait between consecutive events"),
    (7, "longest_wait_s", "longest wait between consecutive events (where: longest_wait_where)"),
    (8, "int_per_mot", "internal interactions behind each Moment of Truth"),
    (9, "handoffs", "actor hand-offs between consecutive events"),
    (10, "mean_emotion_at_mot", "mean emotion at Moments of Truth"),
    (11, "mot_pain_share", "share of rated MOTs that are pain points (also mot_gain_share for gains)"),
    (12, "mot_emotion_change", "emotion change from the first to the last rated MOT"),
    (13, STAGE_TIME_PREFIX + "<stage>", "time spent in each stage (time_in_stage_s in the stage table)"),
    (14, "stages_without_mot", "codebook stages with no MOT (names, and mot_stage_coverage)"),
    (15, "reviewed_share", "share of the row's recordings marked reviewed"),
]


@dataclass
class _Part:
    """One recording's share of a row: its events in the row, waits and hand-offs counted for the row."""

    rec: Recording
    events: list[Event]
    steps: dict[str, int]  # event id -> step number in the whole recording
    waits: list[tuple[float, Event, int]] = field(default_factory=list)  # (wait, event it follows, step)
    handoffs: int = 0
    span_s: float = 0.0  # time the row covers in this recording
    origin_s: float = 0.0  # where "time to first" is measured from
    stage_cells: list[str] = field(default_factory=list)  # codebook stages the coverage is judged over


@dataclass
class _Recording:
    rec: Recording
    ordered: list[Event]
    steps: dict[str, int]
    waits: list[float]
    end_s: float
    spans: list[journey.StageSpan]


def _prepare(
    events: Iterable[Event], recordings: Iterable[Recording] | Mapping[int, Recording] | None, book: Codebook
) -> list[_Recording]:
    """Return every selected recording (and any other the events belong to) with its events in step order."""
    if isinstance(recordings, Mapping):
        recs = dict(recordings)
    else:
        recs = {r.id: r for r in (recordings or [])}
    by_rec: dict = {rid: [] for rid in recs}
    for e in events:
        by_rec.setdefault(e.recording_id, []).append(e)
    out = []
    for rid in sorted(by_rec, key=lambda r: (r is None, r if r is not None else 0)):
        rec = recs.get(rid) or Recording(path="", id=rid, title=f"recording {rid}")
        ordered = journey.steps(by_rec[rid])
        end_s = journey.timeline_end(rec.duration_s, ordered)
        out.append(
            _Recording(rec, ordered, {e.id: i + 1 for i, e in enumerate(ordered)}, journey.waits(ordered), end_s,
                       journey.stage_spans(ordered, book, end_s))
        )
    return out


def _same_actor(a: Event, b: Event, book: Codebook) -> bool:
    x, y = book.actor_of(a), book.actor_of(b)
    return not x or not y or x == y


def _whole(r: _Recording, book: Codebook) -> _Part:
    part = _Part(r.rec, r.ordered, r.steps, span_s=r.end_s, stage_cells=list(book.stages))
    part.waits = [(w, r.ordered[i], i + 1) for i, w in enumerate(r.waits)]
    part.handoffs = sum(1 for a, b in zip(r.ordered, r.ordered[1:]) if not _same_actor(a, b, book))
    return part


def _stage_part(r: _Recording, stage: str, book: Codebook) -> _Part:
    spans = [s for s in r.spans if s.stage == stage]
    part = _Part(
        r.rec, [e for e in r.ordered if book.stage_of(e) == stage], r.steps,
        span_s=sum(s.duration_s for s in spans), origin_s=spans[0].start_s if spans else 0.0,
        stage_cells=[stage] if stage in book.stages else [],
    )
    # a pair of consecutive events belongs to the stage of its first event
    for i, (a, b) in enumerate(zip(r.ordered, r.ordered[1:])):
        if book.stage_of(a) == stage:
            part.waits.append((r.waits[i], a, i + 1))
            part.handoffs += not _same_actor(a, b, book)
    return part


def _kind_part(r: _Recording, kind: Kind, book: Codebook) -> _Part:
    sub = [e for e in r.ordered if parse_kind(e.kind) is kind]
    part = _Part(r.rec, sub, r.steps, span_s=r.end_s, stage_cells=list(book.stages))
    gaps = journey.waits(sub)
    part.waits = [(w, sub[i], r.steps[sub[i].id]) for i, w in enumerate(gaps)]
    part.handoffs = sum(1 for a, b in zip(sub, sub[1:]) if not _same_actor(a, b, book))
    return part


def _nan_round(value: float | None, digits: int = 3) -> float:
    return float("nan") if value is None or (isinstance(value, float) and math.isnan(value)) else round(value, digits)


def _focus_facts(parts: list[_Part], focus: Kind) -> tuple[list[float], list[int], list[int]]:
    """Return, over the ``focus`` events of ``parts``: the time to the first one in each part, every
    emotion rated, and each part's change from its first to its last rated emotion."""
    firsts: list[float] = []
    changes: list[int] = []
    rated: list[int] = []
    for p in parts:
        focus_events = [e for e in p.events if parse_kind(e.kind) is focus]
        if focus_events:
            firsts.append(focus_events[0].start_s - p.origin_s)
        scores = [e.emotion for e in focus_events if e.emotion is not None]
        rated += scores
        if scores:
            changes.append(scores[-1] - scores[0])
    return firsts, rated, changes


def _wait_where(parts: list[_Part], longest: tuple, multi: bool) -> str:
    """Return where the ``longest`` wait is: after which step, at what time (with ``multi``, in which recording)."""
    owner = next(p for p in parts if any(w is longest for w in p.waits))
    _, after, step = longest
    where = f"after step {step} ({parse_kind(after.kind).short} {after.label})".replace(" )", ")")
    where += f" at {clock(journey.event_end(after))}"
    return f"#{owner.rec.id} {where}" if multi else where


def _measure(parts: list[_Part], focus: Kind, book: Codebook, multi: bool, all_recordings: bool = True) -> dict:
    """Return the metrics of a row made of ``parts``; MOT-centred metrics look at ``focus`` events.

    ``all_recordings``: the reviewed share counts every part's recording, not
    only those with events in the row.
    """
    events = [e for p in parts for e in p.events]
    kinds = [parse_kind(e.kind) for e in events]
    counts = {k: kinds.count(k) for k in KINDS}
    span = sum(p.span_s for p in parts)

    firsts, rated, changes = _focus_facts(parts, focus)
    pooled = [w for p in parts for w in p.waits]
    longest = max(pooled, key=lambda t: t[0], default=None)  # first of equal waits wins
    where = "" if longest is None else _wait_where(parts, longest, multi)
    cells = [(p, s) for p in parts for s in p.stage_cells]
    covered = [
        (p, s) for p, s in cells if any(parse_kind(e.kind) is focus and book.stage_of(e) == s for e in p.events)
    ]
    covered_stages = {s for _, s in covered}
    without = [s for s in dict.fromkeys(s for _, s in cells) if s not in covered_stages]
    counted = parts if all_recordings else [p for p in parts if p.events]

    return {
        "counts": counts,
        "events": len(events),
        "events_per_min": _nan_round(len(events) / (span / 60.0) if span > 0 else None, 4),
        "time_to_first_s": _nan_round(statistics.median(firsts) if firsts else None),
        "median_wait_s": _nan_round(statistics.median(w for w, _, _ in pooled) if pooled else None),
        "longest_wait_s": _nan_round(longest[0] if longest else None),
        "longest_wait_where": where,
        "handoffs": sum(p.handoffs for p in parts),
        "mean_emotion": _nan_round(statistics.fmean(rated) if rated else None, 4),
        "pain_share": _nan_round(sum(1 for v in rated if v <= -1) / len(rated) if rated else None, 4),
        "gain_share": _nan_round(sum(1 for v in rated if v >= 1) / len(rated) if rated else None, 4),
        "emotion_change": _nan_round(statistics.fmean(changes) if changes else None, 4),
        "span_s": round(span, 3),
        "stages_without": len(without),
        "stages_without_names": ", ".join(without),
        "stage_coverage": _nan_round(len(covered) / len(cells) if cells else None, 4),
        "reviewed_share": _nan_round(
            sum(1 for p in counted if _status(p.rec) is Status.REVIEWED) / len(counted) if counted else None, 4
        ),
    }


def _status(rec: Recording) -> Status:
    try:
        return Status(str(rec.status))
    except ValueError:
        return Status.NEW


def _standard(m: dict, stage_times: dict[str, float] | None) -> dict:
    counts = m["counts"]
    mots = counts[MOT]
    row = {
        "events": m["events"],
        "mot_count": mots,
        "int_count": counts[Kind.INTERNAL_INTERACTION],
        "dec_count": counts[Kind.DECISION_POINT],
        "events_per_min": m["events_per_min"],
        "time_to_first_mot_s": m["time_to_first_s"],
        "median_wait_s": m["median_wait_s"],
        "longest_wait_s": m["longest_wait_s"],
        "longest_wait_where": m["longest_wait_where"],
        "int_per_mot": _nan_round(counts[Kind.INTERNAL_INTERACTION] / mots if mots else None, 4),
        "handoffs": m["handoffs"],
        "mean_emotion_at_mot": m["mean_emotion"],
        "mot_pain_share": m["pain_share"],
        "mot_gain_share": m["gain_share"],
        "mot_emotion_change": m["emotion_change"],
    }
    if stage_times is None:
        row["time_in_stage_s"] = m["span_s"]
    else:
        row.update({STAGE_TIME_PREFIX + s: round(t, 3) for s, t in stage_times.items()})
    row.update(
        {
            "stages_without_mot": m["stages_without"],
            "stages_without_mot_names": m["stages_without_names"],
            "mot_stage_coverage": m["stage_coverage"],
            "reviewed_share": m["reviewed_share"],
        }
    )
    return row


def _stage_times(recs: list[_Recording], stages: list[str]) -> dict[str, float]:
    times = {s: 0.0 for s in stages}
    for r in recs:
        for span in r.spans:
            times[span.stage] = times.get(span.stage, 0.0) + span.duration_s
    return times


def metrics(
    events: Iterable[Event],
    recordings: Iterable[Recording] | Mapping[int, Recording] | None = None,
    codebook: Codebook | None = None,
    by: str = "recording",
) -> pd.DataFrame:
    """Return the diagnostics metrics as a DataFrame, one row per recording, stage, kind, or for the selection.

    ``recordings`` are the selected recordings (a recording with no events
    still gets a row); events of a recording not listed are measured with an
    unknown duration. ``by`` is ``recording``, ``stage`` (codebook stages in
    order, then others, then ``(no stage)`` if any event lacks one), ``kind``
    (MOT, INT, DEC: the formulas applied to that kind's events alone, with
    the MOT-centred metrics looking at that kind) or ``selection`` (one row).
    Raises ValidationError for another ``by``.
    """
    if by not in GROUPINGS:
        raise ValidationError(f"unknown grouping '{by}'; use recording, stage, kind or selection")
    book = codebook or Codebook()
    events = list(events)
    recs = _prepare(events, recordings, book)
    stages = journey.stage_order(book, events)
    rows_of = {"recording": _by_recording, "selection": _by_selection, "stage": _by_stage, "kind": _by_kind}
    return rows_of[by](recs, events, stages, book)


def _by_recording(recs: list[_Recording], events: list[Event], stages: list[str], book: Codebook) -> pd.DataFrame:
    """Return one row per recording, with the time in each stage."""
    rows = []
    for r in recs:
        m = _measure([_whole(r, book)], MOT, book, multi=False)
        row = {"recording_id": r.rec.id, "title": r.rec.title or r.rec.path, "duration_s": r.end_s}
        row.update(_standard(m, _stage_times([r], stages)))
        rows.append(row)
    columns = ["recording_id", "title", "duration_s"] + list(_standard(_measure([], MOT, book, False), {s: 0 for s in stages}))
    return pd.DataFrame(rows, columns=columns)


def _by_selection(recs: list[_Recording], events: list[Event], stages: list[str], book: Codebook) -> pd.DataFrame:
    """Return one row for all the recordings together."""
    m = _measure([_whole(r, book) for r in recs], MOT, book, multi=len(recs) > 1)
    row = {"recordings": len(recs), "duration_s": round(sum(r.end_s for r in recs), 3)}
    row.update(_standard(m, _stage_times(recs, stages)))
    return pd.DataFrame([row])


def _by_stage(recs: list[_Recording], events: list[Event], stages: list[str], book: Codebook) -> pd.DataFrame:
    """Return one row per stage (then ``(no stage)`` when an event has none)."""
    rows = []
    blank = any(not book.stage_of(e) for e in events)
    for stage in stages + ([journey.NO_STAGE] if blank else []):
        key = "" if stage == journey.NO_STAGE else stage
        parts = [_stage_part(r, key, book) for r in recs]
        m = _measure(parts, MOT, book, multi=len(recs) > 1, all_recordings=False)
        row = {"stage": stage}
        row.update(_standard(m, None))
        rows.append(row)
    columns = ["stage"] + list(_standard(_measure([], MOT, book, False), None))
    return pd.DataFrame(rows, columns=columns)


def _by_kind(recs: list[_Recording], events: list[Event], stages: list[str], book: Codebook) -> pd.DataFrame:
    """Return one row per kind: the formulas applied to that kind's events, centred on that kind."""
    total_mots = sum(1 for e in events if parse_kind(e.kind) is MOT)
    rows = []
    for kind in KINDS:
        parts = [_kind_part(r, kind, book) for r in recs]
        m = _measure(parts, kind, book, multi=len(recs) > 1, all_recordings=False)
        count = m["counts"][kind]
        rows.append(
            {
                "kind": kind.short,
                "kind_name": kind.title,
                "count": count,
                "share_of_events": _nan_round(count / len(events) if events else None, 4),
                **{k: m[k] for k in ("events_per_min", "time_to_first_s", "median_wait_s", "longest_wait_s",
                                     "longest_wait_where")},
                "per_mot": _nan_round(count / total_mots if total_mots else None, 4),
                **{k: m[k] for k in ("handoffs", "mean_emotion", "pain_share", "gain_share", "emotion_change",
                                     "stages_without", "stages_without_names", "stage_coverage", "reviewed_share")},
            }
        )
    return pd.DataFrame(rows)
