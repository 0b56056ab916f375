"""Cohen's kappa: of two coders' codes for the same units, and over time slices of recordings.

:func:`cohen_kappa` takes two equal-length arrays of category codes (the units
are slices of time, or matched pairs of events) and returns the observed
agreement p_o, the chance agreement p_e and kappa = (p_o - p_e) / (1 - p_e),
computed exactly (``fractions.Fraction``) from the integer counts.

:func:`slice_codes` cuts each recording into slices of ``slice_ms`` (slice k is
[k*L, (k+1)*L) ms) and gives each coder's code of each slice: the set of kinds
of that coder's events covering it, as a bit mask (0 is "none"). A duration
event covers every slice it overlaps (start < slice end and end > slice start);
a point event covers the slice its start falls in. As in BORIS, a slice covered
by two kinds has the combined code (MOT+INT) as a category of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Mapping

import numpy as np
import pandas as pd

from ..model import KINDS


@dataclass(frozen=True)
class Kappa:
    """Cohen's kappa of ``units`` coded by both coders (``kappa`` None when p_e is 1: nothing to compare)."""

    units: int
    observed: Fraction | None
    chance: Fraction | None
    kappa: Fraction | None

    def to_dict(self) -> dict[str, object]:
        """Return the figures as floats (rounded to 6 places) and exact fractions ("p/q")."""
        out: dict[str, object] = {"units": self.units}
        for name in ("observed", "chance", "kappa"):
            value = getattr(self, name)
            out[name] = None if value is None else round(float(value), 6)
            out[name + "_exact"] = None if value is None else str(value)
        return out


def cohen_kappa(codes_a: np.ndarray, codes_b: np.ndarray) -> Kappa:
    """Return Cohen's kappa of two equal-length arrays of non-negative integer category codes.

    p_o = agreeing units / n; p_e = sum over categories of (A's count x B's
    count) / n^2. With no units every figure is None; with p_e = 1 (both coders
    used one and the same category throughout) kappa is None. Raises ValueError
    for arrays of different lengths.
    """
    a = np.asarray(codes_a, dtype=np.int64)
    b = np.asarray(codes_b, dtype=np.int64)
    if a.shape != b.shape:
        raise ValueError(f"the coders have {a.size} and {b.size} units; kappa needs the same units")
    n = int(a.size)
    if n == 0:
        return Kappa(0, None, None, None)
    size = int(max(a.max(), b.max())) + 1
    agree = int(np.count_nonzero(a == b))
    count_a = np.bincount(a, minlength=size).astype(object)
    count_b = np.bincount(b, minlength=size).astype(object)
    observed = Fraction(agree, n)
    chance = Fraction(int((count_a * count_b).sum()), n * n)
    kappa = None if chance == 1 else (observed - chance) / (1 - chance)
    return Kappa(n, observed, chance, kappa)


KIND_BITS = {kind.value: 1 << i for i, kind in enumerate(KINDS)}


def code_name(code: int) -> str:
    """Return the name of a slice code: ``none``, ``MOT``, ``MOT+INT``, ..."""
    names = [kind.short for kind in KINDS if code & KIND_BITS[kind.value]]
    return "+".join(names) or "none"


def slice_counts(durations_ms: Mapping[int, int], slice_ms: int) -> dict[int, int]:
    """Return {recording: number of slices}: ceil(duration / slice), at least 1."""
    return {rid: max(1, -(-int(ms) // slice_ms)) for rid, ms in durations_ms.items()}


def slice_codes(coding: pd.DataFrame, counts: Mapping[int, int], slice_ms: int) -> np.ndarray:
    """Return the code of every slice of the recordings in ``counts`` (in that order, slices in time order).

    Events of other recordings are left out; an event reaching past the last
    slice covers up to the last slice.
    """
    rids = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
    sizes = np.fromiter(counts.values(), dtype=np.int64, count=len(counts))
    first = np.cumsum(sizes) - sizes
    total = int(sizes.sum())
    place = pd.Series(np.arange(rids.size), index=rids)
    rows = coding[coding["recording_id"].isin(rids)]
    where = place.loc[rows["recording_id"].to_numpy(np.int64)].to_numpy() if len(rows) else np.zeros(0, np.int64)
    last = sizes[where] - 1
    start = rows["start_ms"].to_numpy(np.int64)
    end = rows["end_ms"].to_numpy(np.int64)
    point = rows["point"].to_numpy(bool)
    k0 = np.minimum(start // slice_ms, last)
    k1 = np.minimum(np.where(point, k0, (end - 1) // slice_ms), last)
    codes = np.zeros(total, np.int64)
    for value, bit in KIND_BITS.items():  # three kinds: a loop over kinds, not events
        mine = (rows["kind"] == value).to_numpy()
        base = first[where[mine]]
        diff = (np.bincount(base + k0[mine], minlength=total + 1)
                - np.bincount(base + k1[mine] + 1, minlength=total + 1))
        codes |= np.where(np.cumsum(diff)[:total] > 0, bit, 0)
    return codes


def slice_kappa(a: pd.DataFrame, b: pd.DataFrame, durations_ms: Mapping[int, int],
                slice_ms: int) -> tuple[Kappa, dict[str, dict[str, int]]]:
    """Return (kappa over every slice of the recordings in ``durations_ms``, the confusion table).

    The table is {A's code name: {B's code name: slices}} for the codes that occur.
    """
    counts = slice_counts(durations_ms, slice_ms)
    codes_a, codes_b = slice_codes(a, counts, slice_ms), slice_codes(b, counts, slice_ms)
    table = pd.crosstab(codes_a, codes_b) if codes_a.size else pd.DataFrame()
    confusion = {code_name(int(ra)): {code_name(int(cb)): int(n) for cb, n in row.items() if n}
                 for ra, row in table.iterrows()}
    return cohen_kappa(codes_a, codes_b), confusion

