"""The Analyse page at library scale: filters run in SQL, the table a page at a time, maps and metrics from columns.

Plain Python (no Streamlit). :func:`load_library` reads what the filters offer
with GROUP BYs (no event is read); :func:`where_of` turns :class:`Filters` (folded
names, codebook spellings) into the exact stored values to keep
(:class:`annotate.store.aggregates.EventWhere`), so the database does the
filtering; :func:`selection_frame` reads the kept events as one frame of columns
(:mod:`annotate.maps.frame`) that :func:`flow_graph` and :func:`metrics_of` measure;
:func:`table_page` reads one sorted page of the table. Only a download, or the
map of one recording, makes Event objects (:func:`selected_events`).
The results match :mod:`annotate.app.analysis` on the same events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from .. import maps
from ..maps.flow import flow_of_frame
from ..maps.frame import tables_frame
from ..maps.journey import clock
from ..maps.metrics import metrics_of_frame
from ..model import KINDS, Event, fold_name, parse_kind
from ..store.aggregates import DISTINCT_COLUMNS, EventWhere
from .analysis import TABLE_COLUMNS, Dataset, Filters, _ordered_values, data_signature, filter_events

if TYPE_CHECKING:
    from ..store import Store

# The table's sorts: what the page offers -> annotate.store.aggregates.PAGE_SORTS
SORTS = {"Recording and time": "recording", "Kind": "kind", "Label": "label", "Stage": "stage",
         "Emotion": "emotion", "Last change": "updated"}


@dataclass(frozen=True)
class Library(Dataset):
    """A :class:`Dataset` without its events: ``values`` maps each text column to {stored value: live events}
    and ``total`` counts the live events."""

    values: dict[str, dict[str, int]] = field(default_factory=dict)
    total: int = 0

    def options(self) -> dict[str, list]:
        """Return the values each filter can offer, as :func:`annotate.app.analysis.filter_options` does."""
        book, v = self.codebook, self.values

        def spelled(column: str, spell) -> list[str]:
            return [spell(Event(kind=KINDS[0], start_s=0, **{column: raw})) for raw in v.get(column, {})]

        return {
            "recordings": sorted(self.recordings),
            "kinds": list(KINDS),
            "stages": _ordered_values(spelled("stage", book.stage_of), book.stages),
            "channels": _ordered_values(v.get("channel", {}), book.channels),
            "actors": _ordered_values(spelled("actor", book.actor_of), book.actors),
            "reviewers": _ordered_values(v.get("reviewer", {})),
        }


def load_library(store: Store) -> Library:
    """Return the store's live recordings, codebook, each text column's stored values and the live event count."""
    signature = data_signature(store)
    recordings = {r.id: r for r in store.list_recordings()}
    values = store.aggregates.distinct(["label"])  # many values: alone
    values.update(store.aggregates.distinct([c for c in DISTINCT_COLUMNS if c != "label"]))
    return Library(recordings=recordings, events=[], codebook=store.get_codebook(), signature=signature,
                   values=values, total=sum(values["label"].values()))


def where_of(library: Library, filters: Filters) -> EventWhere:
    """Return the stored values ``filters`` keep, column by column (matched as :func:`filter_events` matches)."""
    book, f, v = library.codebook, filters, library.values

    def keep(column: str, wanted: frozenset[str] | None, spell=None) -> tuple[str, ...] | None:
        if wanted is None:
            return None
        if spell is None:
            return tuple(raw for raw in v.get(column, {}) if fold_name(raw) in wanted)
        return tuple(raw for raw in v.get(column, {})
                     if fold_name(spell(Event(kind=KINDS[0], start_s=0, **{column: raw}))) in wanted)

    return EventWhere(
        recording_ids=None if f.recording_ids is None else tuple(sorted(f.recording_ids)),
        kinds=None if f.kinds is None else tuple(sorted(k.value for k in f.kinds)),
        labels=tuple(raw for raw in v.get("label", {}) if f.text in fold_name(raw)) if f.text else None,
        stages=keep("stage", f.stages, book.stage_of), channels=keep("channel", f.channels),
        actors=keep("actor", f.actors, book.actor_of), reviewers=keep("reviewer", f.reviewers),
        emotion=f.emotion, blank_emotion=f.blank_emotion,
    )


def selection_frame(store: Store, where: EventWhere) -> pd.DataFrame:
    """Return the events ``where`` keeps as a map frame (:mod:`annotate.maps.frame`), read in columns."""
    return tables_frame(store.aggregates.map_tables(where))


def table_page(store: Store, library: Library, where: EventWhere, sort: str = "Recording and time",
               descending: bool = False, page: int = 1, rows: int = 1000) -> pd.DataFrame:
    """Return page ``page`` (from 1) of ``rows`` rows of the events table, sorted over every kept event,
    with the columns and types of :func:`annotate.app.analysis.events_frame`. Raises KeyError for an unknown sort."""
    cols = store.aggregates.page(where, SORTS[sort], descending, (max(int(page), 1) - 1) * rows, rows)
    book = library.codebook
    start, end = cols["start_s"], cols["end_s"]
    frame = pd.DataFrame({
        "recording_id": pd.array(cols["recording_id"], dtype="Int64"),
        "recording": cols["title"],
        "kind": [parse_kind(k).short for k in cols["kind"]],
        "time": [clock(s, ms=True) for s in start],
        "start_s": pd.array(start, dtype="float64"),
        "end_s": pd.array([float("nan") if e is None else e for e in end], dtype="float64"),
        "duration_s": pd.array([float("nan") if e is None else round(e - s, 3) for s, e in zip(start, end)],
                               dtype="float64"),
        "label": cols["label"],
        "stage": [book.stage_of(Event(kind=KINDS[0], start_s=0, stage=s)) for s in cols["stage"]],
        "channel": cols["channel"],
        "actor": [book.actor_of(Event(kind=KINDS[0], start_s=0, actor=a)) for a in cols["actor"]],
        "expectation": cols["expectation"],
        "emotion": pd.array(cols["emotion"], dtype="Int64"),
        "note": cols["note"], "reviewer": cols["reviewer"],
        "updated_at": pd.to_datetime(pd.Series(cols["updated_at"], dtype=object), utc=True),
        "id": cols["id"],
    }, columns=TABLE_COLUMNS)
    return frame


def selected_events(store: Store, library: Library, filters: Filters, recording_id: int | None = None) -> list[Event]:
    """Return the Event objects ``filters`` keep (of one recording, or of all): for a download or one map."""
    events = store.list_events(recording_id)
    return [e for e in filter_events(events, filters, library.codebook) if e.recording_id in library.recordings]


def _durations(library: Library, frame: pd.DataFrame) -> dict[int, float | None]:
    used = set(pd.unique(frame["recording_id"].dropna()).tolist())
    return {rid: r.duration_s for rid, r in library.recordings.items() if rid in used}


def flow_graph(library: Library, frame: pd.DataFrame) -> maps.FlowGraph:
    """Return the unpruned flow graph of the kept events (durations from the recordings they belong to)."""
    return flow_of_frame(frame, _durations(library, frame))


def metrics_of(library: Library, frame: pd.DataFrame, by: str = "recording") -> pd.DataFrame:
    """Return the metrics of the kept events grouped ``by``, over the recordings they belong to
    (as ``analysis.metrics_table``). Raises ValidationError for another ``by``."""
    used = _durations(library, frame)
    recs = [r for rid, r in library.recordings.items() if rid in used]
    return metrics_of_frame(frame, recs, library.codebook, by=by)
