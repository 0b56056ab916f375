"""Baseline page for bench/scale.py: the Analyse page's job done the plain Streamlit + pandas way.

One ``pandas.read_sql`` of every live event (with its recording's title), cached
with ``st.cache_data``; filters as widgets applied in pandas; the first 1,000
rows as a table; per-recording counts and median waits, and the directly-follows
pairs with their counts and median gaps, as tables. Run it with
``CX_BENCH_DB=library.sqlite streamlit run bench/analyse_plain_page.py`` or
through bench/analyse_page.py (AppTest).
"""

from __future__ import annotations

import os
import sqlite3

import pandas as pd
import streamlit as st

SQL = (
    "SELECT e.*, r.title FROM events e JOIN recordings r ON e.recording_id = r.id WHERE e.deleted_at IS NULL "
    "AND r.deleted_at IS NULL AND (e.import_id IS NULL OR e.import_id IN (SELECT id FROM imports WHERE state = 'done')) "
    "ORDER BY e.recording_id, e.start_ms, e.created_at, e.id"
)


@st.cache_data
def load(path: str) -> pd.DataFrame:
    with sqlite3.connect(path) as conn:
        return pd.read_sql(SQL, conn)


def main(path: str) -> None:
    st.title("Analyse (plain pandas)")
    frame = load(path)
    c1, c2, c3 = st.columns(3)
    kinds = c1.multiselect("Kinds", sorted(frame["kind"].unique()))
    stages = c2.multiselect("Stages", sorted(frame["stage"].unique()))
    text = c3.text_input("Label contains")
    kept = frame
    if kinds:
        kept = kept[kept["kind"].isin(kinds)]
    if stages:
        kept = kept[kept["stage"].isin(stages)]
    if text:
        kept = kept[kept["label"].str.contains(text, case=False, regex=False)]
    st.markdown(f"**{len(kept)}** of {len(frame)} events")
    table, flow, numbers = st.tabs(["Events", "Flow", "Metrics"])
    table.dataframe(kept.head(1000), hide_index=True)
    nxt = kept.shift(-1)
    same = kept["recording_id"] == nxt["recording_id"]
    act = kept["kind"] + "|" + kept["label"].str.lower()
    pairs = pd.DataFrame({"a": act[same], "b": (nxt["kind"] + "|" + nxt["label"].str.lower())[same],
                          "gap": (nxt["start_ms"] - kept["start_ms"])[same] / 1000.0,
                          "wait": ((nxt["start_ms"] - kept["end_ms"].fillna(kept["start_ms"]))[same] / 1000.0).clip(lower=0),
                          "recording_id": kept["recording_id"][same]})
    flow.dataframe(pairs.groupby(["a", "b"])["gap"].agg(["size", "median"]).reset_index())
    per_rec = kept.groupby(["recording_id", "kind"]).size().unstack(fill_value=0)
    per_rec["median_wait_s"] = pairs.groupby("recording_id")["wait"].median()
    numbers.dataframe(per_rec)


main(os.environ["CX_BENCH_DB"])
