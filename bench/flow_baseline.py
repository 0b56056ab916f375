"""Baseline for bench/scale.py: a plain pandas directly-follows count and median times over a store's live events.

What an analyst would write by hand: one ``pandas.read_sql`` of the live events
(imports done, nothing deleted), sorted by recording and start, each event paired
with the next in its recording; the pairs counted and their median gap per
(activity, next activity), and the median wait per recording. Prints the number
of pairs and of recordings so the work cannot be skipped.

    .venv/bin/python bench/flow_baseline.py library.sqlite
"""

from __future__ import annotations

import sqlite3
import sys

import pandas as pd

SQL = (
    "SELECT e.recording_id, e.kind, e.start_ms, e.end_ms, e.label FROM events e JOIN recordings r "
    "ON e.recording_id = r.id WHERE e.deleted_at IS NULL AND r.deleted_at IS NULL AND (e.import_id IS NULL "
    "OR e.import_id IN (SELECT id FROM imports WHERE state = 'done')) "
    "ORDER BY e.recording_id, e.start_ms, e.created_at, e.id"
)


def main(path: str) -> None:
    with sqlite3.connect(path) as conn:
        frame = pd.read_sql(SQL, conn)
    frame["activity"] = frame["kind"] + "|" + frame["label"].str.strip().str.lower()
    nxt = frame.shift(-1)
    same = frame["recording_id"] == nxt["recording_id"]
    pairs = pd.DataFrame({"a": frame["activity"][same], "b": nxt["activity"][same],
                          "gap": (nxt["start_ms"][same] - frame["start_ms"][same]) / 1000.0,
                          "wait": ((nxt["start_ms"][same] - frame["end_ms"].fillna(frame["start_ms"])[same]) / 1000.0).clip(lower=0),
                          "recording_id": frame["recording_id"][same]})
    edges = pairs.groupby(["a", "b"])["gap"].agg(["size", "median"])
    waits = pairs.groupby("recording_id")["wait"].agg(["median", "max"])
    print(len(pairs), len(edges), len(waits))


if __name__ == "__main__":
    main(sys.argv[1])
