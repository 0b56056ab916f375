"""Events in columns for the flow map and the metrics: one pandas DataFrame, never an object per event.

:func:`events_frame` turns Event objects (a test's or one recording's few) into
the frame; the store gives the same frame straight from its rows
(:meth:`annotate.store.aggregates.Aggregates.map_tables`, :func:`tables_frame`). :func:`in_steps`
orders it as :func:`annotate.maps.journey.steps` orders each recording (by
``start_s``, ties in the given order) and adds what every map reads:
``step``, ``kind_i`` (index in ``KINDS``), ``end`` (``journey.event_end``),
``stage_c`` / ``actor_c`` (the codebook's spelling, as ``Codebook.stage_of`` /
``actor_of``; only when a codebook is given). Per-value work (folding, spelling, parsing a kind) is done once
per distinct value, not once per row.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from ..model import KINDS, Codebook, Event, parse_kind

# The columns a map frame holds (times in seconds; kind as stored or any spelling parse_kind accepts).
FRAME_COLUMNS = ("recording_id", "kind", "start_s", "end_s", "label", "stage", "actor", "emotion")
MAP_ROW_COLUMNS = ("recording_id", "kind", "start_ms", "end_ms", "label", "stage", "actor", "emotion")  # as stored
FLOW_ROW_COLUMNS = ("recording_id", "kind", "start_ms", "label")  # all the flow map reads
_TEXT = ("kind", "label", "stage", "actor")
NO_RECORDING = -1  # the case of events without a recording (sorted last, as the Event-based code did)


def events_frame(events: Iterable[Event]) -> pd.DataFrame:
    """Return ``events`` as a map frame with :data:`FRAME_COLUMNS`, in the order given."""
    cols: dict[str, list] = {name: [] for name in FRAME_COLUMNS}
    for e in events:
        for name in FRAME_COLUMNS:
            cols[name].append(getattr(e, name))
    return typed_frame(cols)


def typed_frame(cols: dict[str, Sequence]) -> pd.DataFrame:
    """Return a map frame from {column: values}: float times and emotion (NaN for none), recording ids as
    nullable integers, text as categoricals ('' for None): a few distinct values, each stored once."""
    data: dict[str, Any] = {"recording_id": pd.array(cols["recording_id"], dtype="Int64")}
    for name in ("start_s", "end_s", "emotion"):
        data[name] = np.array(cols[name], dtype="float64")  # None becomes NaN
    for name in ("kind", "label", "stage", "actor"):
        values = np.empty(len(cols[name]), dtype=object)
        values[:] = cols[name]
        values[pd.isna(values)] = ""
        data[name] = pd.Categorical(values)
    return pd.DataFrame(data, columns=list(FRAME_COLUMNS), copy=False)


def tables_frame(tables: Iterable[Any], columns: Sequence[str] = MAP_ROW_COLUMNS) -> pd.DataFrame:
    """Return pyarrow Tables of stored ``columns`` (``Aggregates.map_tables``: times in ms) as one map frame, in
    the order given; a column not read is blank (no end, stage, actor or emotion).

    Every column is converted by Arrow and numpy (no Python object per value): text is dictionary-encoded into
    categoricals (null as ""), and ``ms / 1000`` is the double nearest the 3-decimal value, which is what
    ``timebase.seconds_from_ms`` returns.
    """
    import pyarrow as pa

    parts = list(tables)
    read = {name: pa.chunked_array([c for t in parts for c in t.column(name).chunks],
                                   type=pa.string() if name in _TEXT else pa.int64()) for name in columns}
    n = len(read[columns[0]]) if columns else 0
    data: dict[str, Any] = {"recording_id": pd.array(read["recording_id"].to_numpy(), dtype="Int64")}
    data["start_s"] = read["start_ms"].to_numpy().astype("float64") / 1000.0
    for name, out in (("end_ms", "end_s"), ("emotion", "emotion")):
        data[out] = read[name].cast(pa.float64()).to_numpy() / (1000.0 if out == "end_s" else 1.0) if name in read \
            else np.full(n, np.nan)
    for name in _TEXT:
        if name in read:
            coded = read[name].combine_chunks().fill_null("").dictionary_encode()
            words = pd.Index(coded.dictionary.to_pylist(), dtype=object)
            data[name] = pd.Categorical.from_codes(coded.indices.to_numpy(zero_copy_only=False), categories=words)
        else:
            data[name] = pd.Categorical.from_codes(np.zeros(n, dtype="int64"), categories=pd.Index([""], dtype=object))
    return pd.DataFrame(data, columns=list(FRAME_COLUMNS), copy=False)


def by_value(column: pd.Series, convert: Callable[[object], object]) -> np.ndarray:
    """Return ``convert`` applied to each row of ``column`` as an object array, once per distinct value."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes, uniques = column.cat.codes.to_numpy(), column.cat.categories
    else:
        codes, uniques = pd.factorize(column, use_na_sentinel=False)
    mapped = np.empty(len(uniques), dtype=object)
    mapped[:] = [convert(v) for v in uniques]
    return mapped[codes]


def objects(values: np.ndarray, index: pd.Index) -> pd.Series:
    """Return an object array as a Series of that dtype (pandas would otherwise convert text to its string type)."""
    return pd.Series(values, index=index, dtype=object, copy=False)


def py_round(values: np.ndarray, digits: int = 3) -> np.ndarray:
    """Return ``values`` rounded as Python's ``round`` does, element by element.

    numpy's ``round`` (scale, round to integer, unscale) gives the same double
    except where the scaled value lies within a rounding error of a half; those
    few are rounded by Python's ``round``.
    """
    x = np.asarray(values, dtype="float64")
    with np.errstate(invalid="ignore", over="ignore"):
        scaled = x * 10.0**digits
        out = np.round(scaled) / 10.0**digits
        near_half = np.abs(np.abs(scaled - np.floor(scaled)) - 0.5) < 1e-6 * np.maximum(1.0, np.abs(scaled) * 1e-9)
    near_half |= ~np.isfinite(scaled) | (np.abs(scaled) > 2.0**52)
    for i in np.flatnonzero(near_half):
        out[i] = round(float(x[i]), digits)
    return out


def in_steps(frame: pd.DataFrame, book: Codebook | None = None) -> pd.DataFrame:
    """Return the frame sorted by recording (None last) then start (ties in the given order), with
    ``rec`` (recording id, NO_RECORDING for none), ``seen`` (place in the given order), ``step`` (1-based per recording), ``kind_i``,
    ``end``, and with a ``book`` ``stage_c`` and ``actor_c``, added; the index is 0..n-1."""
    rec = frame["recording_id"].astype("Int64").fillna(NO_RECORDING).to_numpy(dtype="int64")
    none_last = np.where(rec == NO_RECORDING, 1, 0)
    order = np.lexsort((np.arange(len(frame)), frame["start_s"].to_numpy(), rec, none_last))
    out = frame.iloc[order].reset_index(drop=True)
    out["rec"] = rec[order]
    out["seen"] = order  # the row's place in the given order
    out["step"] = out.groupby("rec", sort=False).cumcount().to_numpy() + 1
    out["kind_i"] = by_value(out["kind"], lambda k: KINDS.index(parse_kind(k))).astype("int64")
    start, end = out["start_s"].to_numpy(), out["end_s"].to_numpy()
    out["end"] = np.where(np.isnan(end), start, np.maximum(end, start))
    if book is None:
        return out
    out["stage_c"] = objects(by_value(out["stage"], lambda v: book.stage_of(Event(kind=KINDS[0], start_s=0, stage=v))), out.index)
    out["actor_c"] = objects(by_value(out["actor"], lambda v: book.actor_of(Event(kind=KINDS[0], start_s=0, actor=v))), out.index)
    return out


def group_bounds(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (first row, one past the last row) of each run of equal ``keys`` (keys sorted into runs)."""
    if len(keys) == 0:
        return np.zeros(0, dtype="int64"), np.zeros(0, dtype="int64")
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    return starts, np.r_[starts[1:], len(keys)]
