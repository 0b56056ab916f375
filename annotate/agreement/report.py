"""The agreement of two codings: event matching per kind and overall, slice kappa, and fields of matched pairs.

:func:`compare` returns an :class:`Agreement`, whose ``to_dict`` is what
``annotate agreement --json`` prints. Coder B is scored against coder A:
precision = matched / B's events, recall = matched / A's events,
F1 = 2 x matched / (A's + B's events), all exact fractions. The formulas and a
worked example are in docs/agreement.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Mapping

import numpy as np
import pandas as pd

from ..model import KINDS
from ..timebase import nearest_ms, seconds_from_ms, seconds_from_ms_array
from .coding import tolerance_ms
from .kappa import Kappa, cohen_kappa, slice_kappa
from .matching import Matches, match_events

FIELDS = ("stage", "channel")


def _ratio(num: int, den: int) -> Fraction | None:
    return None if den == 0 else Fraction(num, den)


def _number(value: Fraction | float | None, places: int = 6) -> float | None:
    return None if value is None else round(float(value), places)


@dataclass(frozen=True)
class MatchStats:
    """Event matching of one kind (or ``all``): counts, B against A, and the matched pairs' start offsets."""

    kind: str
    matched: int
    only_a: int
    only_b: int
    median_offset_s: float | None
    p95_offset_s: float | None

    @property
    def precision(self) -> Fraction | None:
        return _ratio(self.matched, self.matched + self.only_b)

    @property
    def recall(self) -> Fraction | None:
        return _ratio(self.matched, self.matched + self.only_a)

    @property
    def f1(self) -> Fraction | None:
        return _ratio(2 * self.matched, 2 * self.matched + self.only_a + self.only_b)

    def to_dict(self) -> dict[str, object]:
        """Return the figures as JSON-ready values (ratios as floats rounded to 6 places)."""
        return {"kind": self.kind, "matched": self.matched, "only_a": self.only_a, "only_b": self.only_b,
                "precision": _number(self.precision), "recall": _number(self.recall), "f1": _number(self.f1),
                "f1_exact": None if self.f1 is None else str(self.f1),
                "median_offset_s": self.median_offset_s, "p95_offset_s": self.p95_offset_s}


@dataclass(frozen=True)
class Agreement:
    """Everything :func:`compare` measures; ``pairs`` lists the matched (A id, B id, offset s) in A's time
    order (recording, start), ``only_a``/``only_b`` the unmatched ids in each coding's row order."""

    tolerance_s: float
    slice_s: float
    overall: MatchStats
    by_kind: list[MatchStats]
    slices: Kappa
    confusion: dict[str, dict[str, int]]
    fields: dict[str, Kappa]
    pairs: list[tuple[str, str, float]] = field(repr=False)
    only_a: list[str] = field(repr=False)
    only_b: list[str] = field(repr=False)

    def to_dict(self) -> dict[str, object]:
        """Return the report as JSON-ready values."""
        return {"tolerance_s": self.tolerance_s, "slice_s": self.slice_s, "overall": self.overall.to_dict(),
                "by_kind": [s.to_dict() for s in self.by_kind], "slices": self.slices.to_dict(),
                "confusion": self.confusion, "fields": {k: v.to_dict() for k, v in self.fields.items()},
                "pairs": [{"a": a, "b": b, "offset_s": o} for a, b, o in self.pairs],
                "only_a": self.only_a, "only_b": self.only_b}


def _offsets(offset_ms: np.ndarray) -> tuple[float | None, float | None]:
    """Return (median, 95th percentile) of |offset| in seconds (linear interpolation), None for no pairs."""
    if offset_ms.size == 0:
        return None, None
    magnitude = np.abs(offset_ms).astype(np.float64)
    return round(float(np.median(magnitude)) / 1000, 4), round(float(np.percentile(magnitude, 95)) / 1000, 4)


def _stats(kind: str, a_count: int, b_count: int, offsets: np.ndarray) -> MatchStats:
    matched = int(offsets.size)
    median, p95 = _offsets(offsets)
    return MatchStats(kind, matched, a_count - matched, b_count - matched, median, p95)


def match_stats(a: pd.DataFrame, b: pd.DataFrame, matches: Matches) -> tuple[MatchStats, list[MatchStats]]:
    """Return (overall stats, stats per kind in KINDS order) of a matching of ``b`` against ``a``."""
    kinds_a = a["kind"].to_numpy()
    kinds_b = b["kind"].to_numpy()
    matched_kind = kinds_a[matches.a] if len(matches) else np.zeros(0, object)
    per_kind = [
        _stats(kind.value, int(np.count_nonzero(kinds_a == kind.value)), int(np.count_nonzero(kinds_b == kind.value)),
               matches.offset_ms[matched_kind == kind.value])
        for kind in KINDS  # a loop over three kinds
    ]
    return _stats("all", len(a), len(b), matches.offset_ms), per_kind


def field_agreement(a: pd.DataFrame, b: pd.DataFrame, matches: Matches, name: str) -> Kappa:
    """Return Cohen's kappa of field ``name`` over the matched pairs (a blank value is a category too)."""
    values_a = a[name].to_numpy()[matches.a]
    values_b = b[name].to_numpy()[matches.b]
    codes, _ = pd.factorize(np.concatenate([values_a, values_b]))
    return cohen_kappa(codes[: len(matches)], codes[len(matches):])


def durations_from(a: pd.DataFrame, b: pd.DataFrame, durations_s: Mapping[int, float | None] | None) -> dict[int, int]:
    """Return {recording: duration ms} for the slices: the given durations, or (for a recording with none, or
    0) the last end of any event of either coder on it; every recording with events is included."""
    ends = pd.concat([a[["recording_id", "end_ms"]], b[["recording_id", "end_ms"]]])
    last = ends.groupby("recording_id")["end_ms"].max().to_dict()
    out = {int(rid): int(ms) for rid, ms in last.items()}
    for rid, seconds in (durations_s or {}).items():
        given = 0 if seconds is None else nearest_ms(float(seconds))
        out[int(rid)] = max(given, 1) if given else max(out.get(int(rid), 0), 1)
    return dict(sorted(out.items()))


def compare(a: pd.DataFrame, b: pd.DataFrame, tolerance_s: float = 1.0, slice_s: float = 1.0,
            durations_s: Mapping[int, float | None] | None = None, fields: tuple[str, ...] = FIELDS) -> Agreement:
    """Return the agreement of coding ``b`` with coding ``a`` (codings: annotate.agreement.coding).

    ``durations_s`` gives each recording's length for the slices (see
    :func:`durations_from`). Raises ValidationError for a negative tolerance or
    a slice that is not positive.
    """
    tol, slice_ms = tolerance_ms(tolerance_s), tolerance_ms(slice_s, "slice")
    matches = match_events(a, b, tol)
    overall, by_kind = match_stats(a, b, matches)
    kappa, confusion = slice_kappa(a, b, durations_from(a, b, durations_s), slice_ms)
    ids_a, ids_b = a["id"].astype(str).to_numpy(), b["id"].astype(str).to_numpy()
    starts, rids = a["start_ms"].to_numpy()[matches.a], a["recording_id"].to_numpy()[matches.a]
    in_time = np.lexsort((ids_a[matches.a], starts, rids))
    pa, pb, po = matches.a[in_time], matches.b[in_time], matches.offset_ms[in_time]
    pairs = list(zip(ids_a[pa].tolist(), ids_b[pb].tolist(), seconds_from_ms_array(po).tolist()))
    left_a = np.ones(len(a), bool)
    left_a[matches.a] = False
    left_b = np.ones(len(b), bool)
    left_b[matches.b] = False
    return Agreement(seconds_from_ms(tol), seconds_from_ms(slice_ms), overall, by_kind, kappa, confusion,
                     {name: field_agreement(a, b, matches, name) for name in fields}, pairs,
                     ids_a[left_a].tolist(), ids_b[left_b].tolist())
