"""The measurements behind the metrics, in columns: a grouping's rows measured without an object per event.

:mod:`annotate.maps.metrics` defines the metrics and lays out the tables; this
module measures them. A grouping (by recording, stage, kind or the selection)
is a :class:`Rows`: every event belongs to one row; every pair of consecutive
events that is measured (a wait, a possible hand-off) belongs to one row; and
each row is made of *parts*, one per recording, each with the time it spans,
the point "time to first" counts from and the codebook stages its coverage is
judged over. :func:`measure` returns, per row, the dict the tables read
(``counts``, ``events``, ``events_per_min``, ... ``reviewed_share``). Per-event
work is numpy/pandas; Python loops run per row, per part or per distinct value.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..model import KINDS, Kind
from .frame import py_round
from .journey import clock


@dataclass
class Rows:
    """A grouping: ``keys`` in order; ``event_row`` per event (index into keys); the measured pairs; the parts.

    ``pairs`` columns: row, part (recording position), a (index of the pair's first event), wait, handoff.
    ``parts`` columns: row, part, span, origin (sorted by row then part); ``spanless`` marks rows whose
    parts span nothing at all (their span is the integer 0, as a sum of no stage spans is).
    """

    keys: list[Any]
    event_row: np.ndarray
    pairs: pd.DataFrame
    parts: pd.DataFrame
    cells: list[list[str]]  # per row: the codebook stages each of its parts is judged over
    focus: list[int]  # per row: the kind index the MOT-centred metrics look at
    multi: bool
    all_recordings: bool
    spanless: frozenset[int] = frozenset()


MOT_I = KINDS.index(Kind.MOMENT_OF_TRUTH)


def nan_round(value: float | None, digits: int = 3) -> float:
    """Return ``value`` rounded to ``digits``, or NaN when there is nothing to measure (None or NaN)."""
    return float("nan") if value is None or (isinstance(value, float) and math.isnan(value)) else round(value, digits)


def pairs_of(f: pd.DataFrame, mask: np.ndarray | None, row_of_a: np.ndarray, part_of: np.ndarray) -> pd.DataFrame:
    """Return the consecutive pairs (within a recording) of the events ``mask`` keeps, as ``Rows.pairs``.

    ``row_of_a`` gives each event's row (the pair's row is its first event's); ``part_of`` its part.
    """
    idx = np.arange(len(f)) if mask is None else np.flatnonzero(mask)
    rec = f["rec"].to_numpy()[idx]
    a, b = idx[:-1][rec[1:] == rec[:-1]], idx[1:][rec[1:] == rec[:-1]]
    start, end, actor = f["start_s"].to_numpy(), f["end"].to_numpy(), f["actor_c"].to_numpy()
    x, y = actor[a], actor[b]
    return pd.DataFrame({
        "row": row_of_a[a], "part": part_of[a], "a": a,
        "wait": py_round(np.maximum(0.0, start[b] - end[a])),
        "handoff": (x != "") & (y != "") & (x != y),
    })


def _wheres(f: pd.DataFrame, pairs: pd.DataFrame, at: pd.Series, rids: list[int | None], multi: bool) -> dict[int, str]:
    """Return {row: where its longest wait is} for the pairs at ``at`` (row -> pair position): after which step
    (kind, label), at what time; with ``multi`` in which recording."""
    a = pairs["a"].to_numpy()[at.to_numpy(dtype="int64")]
    parts = pairs["part"].to_numpy()[at.to_numpy(dtype="int64")]
    facts = zip(f["kind_i"].to_numpy()[a].tolist(), f["step"].to_numpy()[a].tolist(), f["label"].take(a).tolist(),
                f["end"].to_numpy()[a].tolist(), parts.tolist())
    out = {}
    for row, (kind, step, label, end, part) in zip(at.index.tolist(), facts):
        where = f"after step {step} ({KINDS[kind].short} {label})".replace(" )", ")") + f" at {clock(end)}"
        out[row] = f"#{rids[part]} {where}" if multi else where
    return out


def _per_part_focus(ev: pd.DataFrame, rows: Rows) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (the focus events of each row, their rated ones): events whose kind is their row's focus."""
    focus = np.asarray(rows.focus)[ev["row"].to_numpy()]
    fe = ev[ev["kind_i"].to_numpy() == focus]
    return fe, fe[fe["emotion"].notna()]


def measure(f: pd.DataFrame, rows: Rows, rids: list[int | None], reviewed: np.ndarray) -> list[dict]:
    """Return the measurements of every row of ``rows`` over the stepped frame ``f`` (see the module docstring).

    ``rids`` are the parts' recording ids in order, ``reviewed`` whether each is marked reviewed.
    """
    n_rows = len(rows.keys)
    ev = pd.DataFrame({"row": rows.event_row, "part": f["part"].to_numpy(), "kind_i": f["kind_i"].to_numpy(),
                       "start_s": f["start_s"].to_numpy(), "emotion": f["emotion"].to_numpy(),
                       "stage_c": f["stage_c"]}, index=f.index)
    counts = np.bincount(ev["row"] * 3 + ev["kind_i"], minlength=n_rows * 3).reshape(n_rows, 3)
    spans = np.zeros(n_rows)
    np.add.at(spans, rows.parts["row"].to_numpy(), rows.parts["span"].to_numpy())  # in part order, as sum() adds
    fe, rated = _per_part_focus(ev, rows)
    origin = rows.parts.set_index(["row", "part"])["origin"]
    first = fe.groupby(["row", "part"], sort=True)["start_s"].first()
    firsts = (first - origin.reindex(first.index).to_numpy()).groupby(level=0).agg(list)
    emo = rated.groupby("row")["emotion"].agg(["size", "sum"]).reindex(range(n_rows))
    pain = (rated["emotion"] <= -1).groupby(rated["row"]).sum().reindex(range(n_rows), fill_value=0)
    gain = (rated["emotion"] >= 1).groupby(rated["row"]).sum().reindex(range(n_rows), fill_value=0)
    ends = rated.groupby(["row", "part"], sort=True)["emotion"].agg(["first", "last"])
    changes = (ends["last"] - ends["first"]).groupby(level=0).agg(["size", "sum"]).reindex(range(n_rows))
    pairs = rows.pairs.sort_values(["row", "part", "a"], kind="stable").reset_index(drop=True)
    by_row = pairs.groupby("row")
    wait_median, handoffs = by_row["wait"].median(), by_row["handoff"].sum()
    longest = by_row["wait"].idxmax()
    wheres = _wheres(f, pairs, longest, rids, rows.multi)
    waits = pairs["wait"].to_numpy()
    firsts_of, longest_of, median_of, handoffs_of = firsts.to_dict(), longest.to_dict(), wait_median.to_dict(), handoffs.to_dict()
    emo_n, emo_sum = emo["size"].fillna(0).astype("int64").tolist(), emo["sum"].tolist()
    change_n, change_sum = changes["size"].fillna(0).astype("int64").tolist(), changes["sum"].tolist()
    pains, gains = pain.astype("int64").tolist(), gain.astype("int64").tolist()
    covered = fe.drop_duplicates(["row", "part", "stage_c"]).groupby(["row", "stage_c"]).size().to_dict()
    covered_in: dict[int, dict[str, int]] = {}
    for (row, stage), n in covered.items():
        covered_in.setdefault(row, {})[stage] = n
    parts_of = rows.parts.groupby("row")["part"].agg(list)
    with_events = ev.drop_duplicates(["row", "part"]).groupby("row")["part"].agg(list)
    out = []
    for r in range(n_rows):
        rated_n = emo_n[r]
        span = 0 if r in rows.spanless else float(spans[r])
        m: dict[str, Any] = {"counts": {k: int(counts[r, i]) for i, k in enumerate(KINDS)}}
        m["events"] = int(counts[r].sum())
        m["events_per_min"] = nan_round(m["events"] / (span / 60.0) if span > 0 else None, 4)
        m["time_to_first_s"] = nan_round(statistics.median(firsts_of[r]) if r in firsts_of else None)
        if r in longest_of:
            at = int(longest_of[r])
            m["median_wait_s"] = nan_round(float(median_of[r]))
            m["longest_wait_s"] = nan_round(float(waits[at]))
            m["longest_wait_where"] = wheres[r]
        else:
            m.update(median_wait_s=float("nan"), longest_wait_s=float("nan"), longest_wait_where="")
        m["handoffs"] = int(handoffs_of.get(r, 0))
        m["mean_emotion"] = nan_round(float(emo_sum[r]) / rated_n if rated_n else None, 4)
        m["pain_share"] = nan_round(pains[r] / rated_n if rated_n else None, 4)
        m["gain_share"] = nan_round(gains[r] / rated_n if rated_n else None, 4)
        n_changes = change_n[r]
        m["emotion_change"] = nan_round(float(change_sum[r]) / n_changes if n_changes else None, 4)
        m["span_s"] = round(span, 3)
        mine = parts_of.get(r, [])
        m.update(_coverage(rows.cells[r], len(mine), covered_in.get(r, {})))
        counted = mine if rows.all_recordings else with_events.get(r, [])
        m["reviewed_share"] = nan_round(sum(bool(reviewed[p]) for p in counted) / len(counted) if counted else None, 4)
        out.append(m)
    return out


def _coverage(cells: list[str], parts: int, covered: dict[str, int]) -> dict[str, Any]:
    """Return the stage-coverage measurements of a row: ``parts`` parts, each judged over the stages ``cells``,
    ``covered[stage]`` of them with a focus event in that stage."""
    total = parts * len(cells)
    hits = sum(covered.get(s, 0) for s in cells) if parts else 0
    without = [s for s in dict.fromkeys(cells) if not covered.get(s)] if parts else []
    return {"stages_without": len(without), "stages_without_names": ", ".join(without),
            "stage_coverage": nan_round(hits / total if total else None, 4)}


def empty_measure() -> dict[str, Any]:
    """Return the measurements of a row with nothing in it (for a table's column names)."""
    m = {"counts": {k: 0 for k in KINDS}, "events": 0, "span_s": 0, "handoffs": 0, "longest_wait_where": "",
         "stages_without": 0, "stages_without_names": ""}
    for name in ("events_per_min", "time_to_first_s", "median_wait_s", "longest_wait_s", "mean_emotion",
                 "pain_share", "gain_share", "emotion_change", "stage_coverage", "reviewed_share"):
        m[name] = float("nan")
    return m

