"""Event matching: pair two coders' events one-to-one, per recording and kind, closest starts first.

Two events are *candidates* when they are on the same recording, of the same
kind, and their starts are at most the tolerance apart (whole milliseconds,
inclusive). The matching is the greedy one: candidates in order of (distance,
A's event, B's event), where an event's place is its rank by (recording, kind,
start, id); each candidate is taken when neither of its events is taken yet.

It is computed on columns, without a Python loop per event: the candidates
come from one ``searchsorted`` over sorted keys, and the greedy walk is done in
rounds that each take every *locally dominant* candidate (the first in the
order among all candidates of its A event and of its B event). With a strict
order the rounds take exactly the candidates the sequential greedy walk takes
(the globally first candidate is always dominant, and a dominant one can never
be pre-empted), usually in a few rounds; a chain of equal distances where each
pair pre-empts the next takes one round per link (at most the events of one
recording and kind, as recordings go through the rounds side by side).
``annotate.agreement.reference.match_loop`` is the plain nested loop it is
tested and benchmarked against.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Matches:
    """The matched pairs: row positions in coding A and in coding B, and B's start minus A's (ms)."""

    a: np.ndarray
    b: np.ndarray
    offset_ms: np.ndarray

    def __len__(self) -> int:
        return int(self.a.size)


def _ranked(a: pd.DataFrame, b: pd.DataFrame, tol_ms: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return (A's order, B's order, A's keys, B's keys): rows by (recording, kind, start, id), and keys that
    keep different (recording, kind) groups more than the tolerance apart."""
    groups = pd.concat([a[["recording_id", "kind"]], b[["recording_id", "kind"]]], ignore_index=True)
    code = groups.groupby(["recording_id", "kind"], sort=True).ngroup().to_numpy(np.int64)
    starts = np.concatenate([a["start_ms"].to_numpy(np.int64), b["start_ms"].to_numpy(np.int64)])
    span = (int(starts.max()) if starts.size else 0) + 2 * tol_ms + 1
    if starts.size and int(code.max()) * span >= 2**62:
        raise ValueError("too many recordings and kinds at these times to match in one call; match fewer at once")
    keys = code * span + starts
    ka, kb = keys[: len(a)], keys[len(a):]
    ids = np.concatenate([a["id"].astype(str).to_numpy(), b["id"].astype(str).to_numpy()])
    order_a = np.lexsort((ids[: len(a)], ka))
    order_b = np.lexsort((ids[len(a):], kb))
    return order_a, order_b, ka[order_a], kb[order_b]


def _candidates(ka: np.ndarray, kb: np.ndarray, tol_ms: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (A rank, B rank, distance) of every candidate pair, in greedy order (keys sorted)."""
    lo = np.searchsorted(kb, ka - tol_ms, side="left")
    hi = np.searchsorted(kb, ka + tol_ms, side="right")
    counts = hi - lo
    total = int(counts.sum())
    ia = np.repeat(np.arange(ka.size), counts)
    first = np.repeat(np.cumsum(counts) - counts, counts)
    ib = np.repeat(lo, counts) + (np.arange(total) - first)
    dist = np.abs(kb[ib] - ka[ia])
    order = np.lexsort((ib, ia, dist))
    return ia[order], ib[order], dist[order]


def _greedy(ia: np.ndarray, ib: np.ndarray, na: int, nb: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the (A rank, B rank) pairs the greedy walk over the ordered candidates takes (in rounds)."""
    taken_a, taken_b = np.zeros(na, bool), np.zeros(nb, bool)
    out_a, out_b = [], []
    while ia.size:
        dominant = np.zeros(ia.size, bool)
        first_of_a = np.unique(ia, return_index=True)[1]
        first_of_b = np.unique(ib, return_index=True)[1]
        dominant[np.intersect1d(first_of_a, first_of_b, assume_unique=True)] = True
        out_a.append(ia[dominant])
        out_b.append(ib[dominant])
        taken_a[ia[dominant]] = True
        taken_b[ib[dominant]] = True
        keep = ~(taken_a[ia] | taken_b[ib])
        ia, ib = ia[keep], ib[keep]
    if not out_a:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(out_a), np.concatenate(out_b)


def match_events(a: pd.DataFrame, b: pd.DataFrame, tol_ms: int) -> Matches:
    """Return the one-to-one matching of coding ``b`` against coding ``a`` (see the module docstring).

    ``a`` and ``b`` are codings (annotate.agreement.coding); ``tol_ms`` is the
    tolerance in whole milliseconds. Pairs come in the order of A's rows by
    (recording, kind, start, id).
    """
    order_a, order_b, ka, kb = _ranked(a, b, tol_ms)
    ia, ib, _dist = _candidates(ka, kb, tol_ms)
    ra, rb = _greedy(ia, ib, len(a), len(b))
    by_a = np.argsort(ra, kind="stable")
    ra, rb = ra[by_a], rb[by_a]
    rows_a, rows_b = order_a[ra], order_b[rb]
    offset = b["start_ms"].to_numpy(np.int64)[rows_b] - a["start_ms"].to_numpy(np.int64)[rows_a]
    return Matches(rows_a.astype(np.int64), rows_b.astype(np.int64), offset.astype(np.int64))
