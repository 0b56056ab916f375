"""The frame rate a video's timestamps were written at: the simplest plausible rate that hits every one."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

# Rates a camera or screen recorder writes; tried when the container's own rate does not fit.
COMMON_RATES = [Fraction(r) for r in ("24000/1001", "24", "25", "30000/1001", "30", "48", "50", "60000/1001", "60",
                                       "15", "20", "10", "12", "120", "90", "100", "144", "240", "5", "1")]


def nominal_rate(stream, pts: np.ndarray, tb: Fraction, tolerance: float) -> Fraction:
    """Return the simplest plausible frame rate whose frame times match every timestamp within ``tolerance`` ticks."""
    rel = (pts - pts[0]).astype(np.float64)
    k = np.arange(rel.size, dtype=np.float64)
    own = (getattr(stream, name, None) for name in ("average_rate", "base_rate", "guessed_rate"))
    # Simplest first (stable: the container's own rates lead among equals), so the first that fits is the
    # answer and an hour's timestamps are usually compared with one rate, not twenty.
    candidates = sorted([Fraction(rate) for rate in own if rate] + COMMON_RATES, key=lambda rate: rate.denominator)
    error: dict[Fraction, float] = {}
    # A rate that hits every timestamp exactly wins; else the simplest within tolerance
    # (60 rather than the average 180000/2999 of millisecond-rounded times).
    for limit in (1e-6, tolerance + 1e-9):
        for rate in candidates:
            if rate not in error:
                error[rate] = float(np.max(np.abs(rel - k * float(1 / (rate * tb)))))
            if error[rate] <= limit:
                return rate
    return Fraction(rel.size - 1) / (Fraction(int(rel[-1])) * tb)
