"""The 15 diagnostics metrics, per recording, per stage, per kind and across a selection.

Formulas are in docs/metrics.md; the step, wait and stage-span definitions
they rest on are in :mod:`annotate.maps.journey`. Every function returns a
pandas DataFrame (NaN where a metric has nothing to measure, e.g. INT per MOT
with no MOT) and never touches the store.
"""

from __future__ import annotations

from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from ..errors import ValidationError
from ..model import KINDS, Codebook, Event, Kind, Recording, Status
from . import journey
from .frame import NO_RECORDING, events_frame, in_steps, py_round
from .metrics_rows import MOT_I, Rows, nan_round, empty_measure, measure, pairs_of

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


def _recordings(f: pd.DataFrame, recordings: Iterable[Recording] | Mapping[int, Recording] | None) -> list[Recording]:
    """Return every selected recording and any other the events belong to (unknown duration), by id (None last)."""
    recs = dict(recordings) if isinstance(recordings, Mapping) else {r.id: r for r in (recordings or [])}
    used = {None if r == NO_RECORDING else int(r) for r in pd.unique(f["rec"])}
    ids = sorted(set(recs) | used, key=lambda r: (r is None, r if r is not None else 0))
    return [recs.get(rid) or Recording(path="", id=rid, title=f"recording {rid}") for rid in ids]


def _stage_spans(f: pd.DataFrame, book: Codebook, end_s: np.ndarray) -> pd.DataFrame:
    """Return the stage spans of every part (``journey.stage_spans``): part, stage, start, duration; in time order."""
    staged = f[f["stage_c"] != ""].drop_duplicates(["part", "stage_c"])  # each stage's first event per part
    order: dict[str, int] = {}
    for i, name in enumerate(book.stages):
        order.setdefault(name, i)
    rank = [order.get(s, len(order) + int(i)) for s, i in zip(staged["stage_c"], staged.index)]
    spans = pd.DataFrame({"part": staged["part"].to_numpy(), "stage": staged["stage_c"].to_numpy(),
                          "start": staged["start_s"].to_numpy(), "rank": rank})
    spans = spans.sort_values(["part", "start", "rank"], kind="stable").reset_index(drop=True)
    part, start = spans["part"].to_numpy(), spans["start"].to_numpy()
    follows = np.r_[part[1:] == part[:-1], False]
    stop = np.where(follows, np.r_[start[1:], 0.0], np.maximum(end_s[part], start))
    spans["duration"] = py_round(stop - start)
    return spans


def _rows(by: str, f: pd.DataFrame, parts: int, stages: list[str], spans: pd.DataFrame, book: Codebook,
          end_s: np.ndarray) -> Rows:
    """Return the rows of a grouping (see :class:`annotate.maps.metrics_rows.Rows`)."""
    part = f["part"].to_numpy()
    every = np.arange(parts)
    if by == "kind":
        pairs = pd.concat([pairs_of(f, f["kind_i"].to_numpy() == k, f["kind_i"].to_numpy(), part) for k in range(3)])
        table = pd.DataFrame({"row": np.repeat(np.arange(3), parts), "part": np.tile(every, 3),
                              "span": np.tile(end_s, 3), "origin": 0.0})
        return Rows(list(KINDS), f["kind_i"].to_numpy(), pairs, table, [list(book.stages)] * 3, [0, 1, 2],
                    parts > 1, False)
    if by != "stage":
        row = part if by == "recording" else np.zeros(len(f), dtype="int64")
        keys = list(range(parts)) if by == "recording" else [0]
        table = pd.DataFrame({"row": every if by == "recording" else 0, "part": every, "span": end_s, "origin": 0.0})
        return Rows(keys, row, pairs_of(f, None, row, part), table, [list(book.stages)] * len(keys),
                    [MOT_I] * len(keys), by == "selection" and parts > 1, True)
    keys = stages + ([journey.NO_STAGE] if (f["stage_c"] == "").any() else [])
    index = {("" if k == journey.NO_STAGE else k): i for i, k in enumerate(keys)}
    row = pd.Index(list(index)).get_indexer(f["stage_c"]).astype("int64")
    spans = spans.assign(row=[index[s] for s in spans["stage"]])
    table = pd.DataFrame({"row": np.repeat(np.arange(len(keys)), parts), "part": np.tile(every, len(keys))})
    table = table.merge(spans[["row", "part", "start", "duration"]], on=["row", "part"], how="left")
    table = table.rename(columns={"duration": "span", "start": "origin"}).fillna({"span": 0.0, "origin": 0.0})
    spanless = frozenset(range(len(keys))) - set(spans["row"])
    cells = [[k] if k in book.stages else [] for k in keys]
    return Rows(keys, row, pairs_of(f, None, row, part), table, cells, [MOT_I] * len(keys), parts > 1, False, spanless)


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
        "int_per_mot": nan_round(counts[Kind.INTERNAL_INTERACTION] / mots if mots else None, 4),
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
    return metrics_of_frame(events_frame(events), recordings, codebook, by)


def metrics_of_frame(
    frame: pd.DataFrame,
    recordings: Iterable[Recording] | Mapping[int, Recording] | None = None,
    codebook: Codebook | None = None,
    by: str = "recording",
) -> pd.DataFrame:
    """Return :func:`metrics` of the events in a map frame (:mod:`annotate.maps.frame`). Raises as metrics."""
    if by not in GROUPINGS:
        raise ValidationError(f"unknown grouping '{by}'; use recording, stage, kind or selection")
    book = codebook or Codebook()
    f = in_steps(frame, book)
    recs = _recordings(f, recordings)
    f["part"] = pd.Index([NO_RECORDING if r.id is None else r.id for r in recs]).get_indexer(f["rec"])
    last = f.groupby("part")["end"].max()
    end_s = np.array([round(max(float(r.duration_s or 0.0), float(last.get(i, 0.0))), 3) for i, r in enumerate(recs)])
    seen = f.loc[f["stage_c"] != ""].sort_values("seen")["stage_c"]
    stages = list(dict.fromkeys([*book.stages, *pd.unique(seen)]))
    spans = _stage_spans(f, book, end_s)
    rows = _rows(by, f, len(recs), stages, spans, book, end_s)
    measured = measure(f, rows, [r.id for r in recs], np.array([_status(r) is Status.REVIEWED for r in recs], bool))
    return _TABLES[by](recs, measured, stages, spans, end_s)


def _times(spans: Iterable[tuple[str, float]], stages: list[str]) -> dict[str, float]:
    """Return the time in each stage summed over (stage, duration) ``spans`` in order, every stage of ``stages`` included."""
    times = {s: 0.0 for s in stages}
    for stage, d in spans:
        times[stage] = times.get(stage, 0.0) + d
    return times


def _by_recording(recs: list[Recording], measured: list[dict], stages: list[str], spans: pd.DataFrame,
                  end_s: np.ndarray) -> pd.DataFrame:
    """Return one row per recording, with the time in each stage."""
    rows = []
    of_part: dict[int, list[tuple[str, float]]] = {}
    for part, stage, d in zip(spans["part"].tolist(), spans["stage"].tolist(), spans["duration"].tolist()):
        of_part.setdefault(part, []).append((stage, d))
    for i, (rec, m) in enumerate(zip(recs, measured)):
        row = {"recording_id": rec.id, "title": rec.title or rec.path, "duration_s": float(end_s[i])}
        row.update(_standard(m, _times(of_part.get(i, []), stages)))
        rows.append(row)
    columns = ["recording_id", "title", "duration_s"] + list(_standard(empty_measure(), {s: 0 for s in stages}))
    return pd.DataFrame(rows, columns=columns)


def _by_selection(recs: list[Recording], measured: list[dict], stages: list[str], spans: pd.DataFrame,
                  end_s: np.ndarray) -> pd.DataFrame:
    """Return one row for all the recordings together."""
    row = {"recordings": len(recs), "duration_s": round(sum(end_s.tolist()), 3)}
    row.update(_standard(measured[0], _times(zip(spans["stage"].tolist(), spans["duration"].tolist()), stages)))
    return pd.DataFrame([row])


def _by_stage(recs: list[Recording], measured: list[dict], stages: list[str], spans: pd.DataFrame,
              end_s: np.ndarray) -> pd.DataFrame:
    """Return one row per stage (then ``(no stage)`` when an event has none)."""
    keys = stages + [journey.NO_STAGE] * (len(measured) - len(stages))
    rows = [{"stage": stage, **_standard(m, None)} for stage, m in zip(keys, measured)]
    return pd.DataFrame(rows, columns=["stage"] + list(_standard(empty_measure(), None)))


def _by_kind(recs: list[Recording], measured: list[dict], stages: list[str], spans: pd.DataFrame,
             end_s: np.ndarray) -> pd.DataFrame:
    """Return one row per kind: the formulas applied to that kind's events, centred on that kind."""
    total_mots = measured[MOT_I]["counts"][MOT]
    total = sum(m["events"] for m in measured)  # every event is in its kind's row
    rows = []
    for kind, m in zip(KINDS, measured):
        count = m["counts"][kind]
        rows.append(
            {
                "kind": kind.short,
                "kind_name": kind.title,
                "count": count,
                "share_of_events": nan_round(count / total if total else None, 4),
                **{k: m[k] for k in ("events_per_min", "time_to_first_s", "median_wait_s", "longest_wait_s",
                                     "longest_wait_where")},
                "per_mot": nan_round(count / total_mots if total_mots else None, 4),
                **{k: m[k] for k in ("handoffs", "mean_emotion", "pain_share", "gain_share", "emotion_change",
                                     "stages_without", "stages_without_names", "stage_coverage", "reviewed_share")},
            }
        )
    return pd.DataFrame(rows)


_TABLES = {"recording": _by_recording, "selection": _by_selection, "stage": _by_stage, "kind": _by_kind}
