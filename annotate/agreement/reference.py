"""The plain nested-loop matcher: the definition of the matching written as directly as it reads.

For each recording and kind, every pair of A's and B's events whose starts are
within the tolerance is a candidate; candidates are walked in order of
(distance, A's rank, B's rank) and each is taken when neither event is taken
yet. It is the oracle the tests compare :func:`annotate.agreement.matching.match_events`
with, and the baseline of ``bench/agreement.py``; nothing else uses it.
"""

from __future__ import annotations

from collections import defaultdict

import pandas as pd


def _ranked_rows(coding: pd.DataFrame) -> list[tuple]:
    """Return (recording, kind, start_ms, id, row position) of every event, in rank order."""
    rows = zip(coding["recording_id"], coding["kind"], coding["start_ms"], coding["id"].astype(str), range(len(coding)))
    return sorted((int(r), str(k), int(s), i, pos) for r, k, s, i, pos in rows)


def match_loop(a: pd.DataFrame, b: pd.DataFrame, tol_ms: int) -> list[tuple[int, int, int]]:
    """Return the matched pairs as (row in A, row in B, B's start minus A's in ms), in A's rank order."""
    groups_b: dict[tuple, list[tuple[int, tuple]]] = defaultdict(list)
    for rank, row in enumerate(_ranked_rows(b)):
        groups_b[row[:2]].append((rank, row))
    candidates = []
    for rank_a, row_a in enumerate(_ranked_rows(a)):
        for rank_b, row_b in groups_b.get(row_a[:2], ()):
            distance = abs(row_b[2] - row_a[2])
            if distance <= tol_ms:
                candidates.append((distance, rank_a, rank_b, row_a, row_b))
    candidates.sort(key=lambda c: c[:3])
    taken_a, taken_b, pairs = set(), set(), []
    for _distance, rank_a, rank_b, row_a, row_b in candidates:
        if rank_a not in taken_a and rank_b not in taken_b:
            taken_a.add(rank_a)
            taken_b.add(rank_b)
            pairs.append((rank_a, row_a[4], row_b[4], row_b[2] - row_a[2]))
    return [(pa, pb, offset) for _rank, pa, pb, offset in sorted(pairs)]
