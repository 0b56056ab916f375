"""Analysis of events across recordings: load, filter, tabulate and package them for download.

Plain Python (no Streamlit): the Analyse page calls these, and so can a notebook.

- :func:`load_dataset` reads every recording, event and the codebook from a store once;
  :func:`data_signature` is a cheap key that changes whenever any of them does.
- :class:`Filters` and :func:`filter_events` select events (recording, kind, stage, channel,
  actor, reviewer, label text, emotion range); :func:`filter_options` lists the values to offer.
- :func:`events_frame` is the table of events; :func:`events_file`, :func:`csv_bytes`,
  :func:`map_files` and :func:`flow_files` are the downloads.

These work on Event objects, for a selection that fits in memory as objects;
:mod:`annotate.app.analysis_library` does the same for a whole library in SQL and columns.

Blank values are offered and matched as ``""`` (a UI shows them as "(blank)"). Stage and actor
are matched in the codebook's spelling, case-insensitively, as the maps and metrics read them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

import pandas as pd

from .. import maps
from ..errors import ValidationError
from ..formats import dumps_events, get_format
from ..maps.journey import clock, stage_order
from ..maps.output import csv_text
from ..model import EMOTION_MAX, EMOTION_MIN, KINDS, Codebook, Event, Kind, Recording, fold_name, parse_kind

if TYPE_CHECKING:
    from ..store import Store

BLANK = ""
TABLE_COLUMNS = [
    "recording_id", "recording", "kind", "time", "start_s", "end_s", "duration_s", "label", "stage",
    "channel", "actor", "expectation", "emotion", "note", "reviewer", "updated_at", "id",
]


@dataclass(frozen=True)
class Dataset:
    """Everything the Analyse page works on: recordings by id, their events (in time order), the codebook."""

    recordings: dict[int, Recording]
    events: list[Event]
    codebook: Codebook
    signature: str = ""


def data_signature(store: Store) -> str:
    """Return a key that changes whenever a recording, an event or the codebook of ``store`` changes.

    It is the store's URL and the id of its newest change-log entry (every mutation appends one).
    """
    latest = store.history(limit=1)
    return f"{store.url}#{latest[0].id if latest else 0}"


def load_dataset(store: Store) -> Dataset:
    """Return the store's recordings (not deleted), all their events and the codebook."""
    signature = data_signature(store)
    recordings = {r.id: r for r in store.list_recordings()}
    events = [e for e in store.list_events() if e.recording_id in recordings]
    return Dataset(recordings=recordings, events=events, codebook=store.get_codebook(), signature=signature)


# --- filtering ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """Which events to keep. ``None`` (or an empty set) for a field means "any value".

    ``recording_ids``/``kinds``/``stages``/``channels``/``actors``/``reviewers`` are sets of
    allowed values (``""`` stands for a blank field); ``text`` must occur in the label
    (case-insensitive); ``emotion`` is an inclusive (low, high) range within -2..2, and
    ``blank_emotion`` says whether events without an emotion pass when a range is set.
    """

    recording_ids: frozenset[int] | None = None
    kinds: frozenset[Kind] | None = None
    stages: frozenset[str] | None = None
    channels: frozenset[str] | None = None
    actors: frozenset[str] | None = None
    reviewers: frozenset[str] | None = None
    text: str = ""
    emotion: tuple[int, int] | None = None
    blank_emotion: bool = True

    @classmethod
    def make(
        cls,
        *,
        recording_ids: Iterable[int] | None = None,
        kinds: Iterable[Kind | str] | None = None,
        stages: Iterable[str] | None = None,
        channels: Iterable[str] | None = None,
        actors: Iterable[str] | None = None,
        reviewers: Iterable[str] | None = None,
        text: str = "",
        emotion: tuple[int, int] | None = None,
        blank_emotion: bool = True,
    ) -> "Filters":
        """Return Filters from plain values (empty selections mean "any").

        Raises UnknownKindError for an unknown kind and ValidationError for an emotion range
        outside -2..2 or whose low end is above its high end.
        """

        def as_set(values: Iterable[Any] | None, convert: Callable[[Any], Any] = str) -> frozenset | None:
            chosen = frozenset(convert(v) for v in (values or ()))
            return chosen or None

        if emotion is not None:
            lo, hi = int(emotion[0]), int(emotion[1])
            if not EMOTION_MIN <= lo <= hi <= EMOTION_MAX:
                raise ValidationError(
                    f"emotion range {emotion[0]}..{emotion[1]} is not within -2..2 (low to high); pick a range in -2..2"
                )
            emotion = None if (lo, hi) == (EMOTION_MIN, EMOTION_MAX) and blank_emotion else (lo, hi)
        return cls(
            recording_ids=as_set(recording_ids, int),
            kinds=as_set(kinds, parse_kind),
            stages=as_set(stages, fold_name),
            channels=as_set(channels, fold_name),
            actors=as_set(actors, fold_name),
            reviewers=as_set(reviewers, fold_name),
            text=fold_name(text),
            emotion=emotion,
            blank_emotion=blank_emotion,
        )

    @property
    def active(self) -> bool:
        """Return True when the filters leave anything out."""
        return any(
            v is not None
            for v in (self.recording_ids, self.kinds, self.stages, self.channels, self.actors, self.reviewers, self.emotion)
        ) or bool(self.text)


def filter_events(events: Iterable[Event], filters: Filters, codebook: Codebook | None = None) -> list[Event]:
    """Return the events that pass every filter, in the order given."""
    book = codebook or Codebook()
    f = filters
    out = []
    for e in events:
        if f.recording_ids is not None and e.recording_id not in f.recording_ids:
            continue
        if f.kinds is not None and parse_kind(e.kind) not in f.kinds:
            continue
        if f.stages is not None and fold_name(book.stage_of(e)) not in f.stages:
            continue
        if f.channels is not None and fold_name(e.channel) not in f.channels:
            continue
        if f.actors is not None and fold_name(book.actor_of(e)) not in f.actors:
            continue
        if f.reviewers is not None and fold_name(e.reviewer) not in f.reviewers:
            continue
        if f.text and f.text not in fold_name(e.label):
            continue
        if f.emotion is not None:
            if e.emotion is None:
                if not f.blank_emotion:
                    continue
            elif not f.emotion[0] <= e.emotion <= f.emotion[1]:
                continue
        out.append(e)
    return out


def _ordered_values(values: Iterable[str], first: Sequence[str] = ()) -> list[str]:
    """Return ``first`` (those used) then the other values sorted, then ``""`` if a blank was seen."""
    seen: dict[str, str] = {}
    blank = False
    for v in values:
        text = " ".join(str(v or "").split())
        if not text:
            blank = True
        else:
            seen.setdefault(fold_name(text), text)
    ordered = [name for name in first if fold_name(name) in seen]
    known = {fold_name(name) for name in ordered}
    ordered += sorted((v for k, v in seen.items() if k not in known), key=str.casefold)
    return ordered + ([BLANK] if blank else [])


def filter_options(dataset: Dataset) -> dict[str, list]:
    """Return the values each filter can offer, from the events themselves.

    Keys: ``recordings`` (ids, by id), ``kinds`` (all three), ``stages`` (codebook order, then
    others), ``channels`` (codebook order, then others), ``actors`` (codebook order, then others),
    ``reviewers`` (sorted); each list ends with ``""`` when some event leaves that field blank.
    """
    book, events = dataset.codebook, dataset.events
    return {
        "recordings": sorted(dataset.recordings),
        "kinds": list(KINDS),
        "stages": _ordered_values((book.stage_of(e) for e in events), stage_order(book, events)),
        "channels": _ordered_values((e.channel for e in events), book.channels),
        "actors": _ordered_values((book.actor_of(e) for e in events), book.actors),
        "reviewers": _ordered_values(e.reviewer for e in events),
    }


# --- the table -----------------------------------------------------------------------------------


def events_frame(
    events: Iterable[Event], recordings: Mapping[int, Recording] | None = None, codebook: Codebook | None = None
) -> pd.DataFrame:
    """Return one row per event with :data:`TABLE_COLUMNS`: kind as MOT/INT/DEC, ``time`` as m:ss.mmm,
    stage and actor in the codebook's spelling, emotion as a nullable integer, ``updated_at`` in UTC."""
    book = codebook or Codebook()
    recs = recordings or {}
    rows = []
    for e in events:
        rec = recs.get(e.recording_id)
        rows.append(
            {
                "recording_id": e.recording_id,
                "recording": (rec.title if rec is not None else "") or "",
                "kind": parse_kind(e.kind).short,
                "time": clock(e.start_s, ms=True),
                "start_s": e.start_s,
                "end_s": e.end_s,
                "duration_s": e.duration_s,
                "label": e.label,
                "stage": book.stage_of(e),
                "channel": e.channel,
                "actor": book.actor_of(e),
                "expectation": e.expectation,
                "emotion": e.emotion,
                "note": e.note,
                "reviewer": e.reviewer,
                "updated_at": e.updated_at,
                "id": e.id,
            }
        )
    frame = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    frame["recording_id"] = frame["recording_id"].astype("Int64")
    frame["emotion"] = frame["emotion"].astype("Int64")
    for col in ("start_s", "end_s", "duration_s"):
        frame[col] = frame[col].astype("float64")
    frame["updated_at"] = pd.to_datetime(frame["updated_at"], utc=True)
    return frame


# --- downloads -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Download:
    """A file to offer: its bytes, name and media type."""

    data: bytes
    file_name: str
    mime: str


def events_file(
    events: Sequence[Event], dataset: Dataset, fmt: str, stem: str = "events"
) -> Download:
    """Return ``events`` as a file in format ``fmt`` (csv, json, vtt, srt, eaf, boris, xes, eventlog).

    Raises FormatError for an unknown format.
    """
    f = get_format(fmt)
    used = {e.recording_id for e in events}
    recs = {rid: r for rid, r in dataset.recordings.items() if rid in used}
    data = dumps_events(events, recs, format=f, codebook=dataset.codebook)
    return Download(data, f"{stem}{f.suffix}", f.media_type)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """Return ``frame`` as the UTF-8 CSV :func:`annotate.maps.write_csv` writes (spreadsheet-safe text)."""
    return csv_text(frame).encode("utf-8")


def metrics_table(dataset: Dataset, events: Sequence[Event], by: str = "recording") -> pd.DataFrame:
    """Return the diagnostics metrics of ``events`` grouped ``by`` recording, stage, kind or selection.

    The recordings measured are those the events belong to. Raises ValidationError for another ``by``.
    """
    used = {e.recording_id for e in events}
    recs = [r for rid, r in dataset.recordings.items() if rid in used]
    return maps.metrics(events, recs, dataset.codebook, by=by)


@dataclass(frozen=True)
class Picture:
    """A map as SVG text and a PNG renderer (PNG is slower, so it is made on demand)."""

    scene: maps.Scene
    svg: str

    def png(self, width: int | None = None, height: int | None = None) -> bytes:
        """Return the map as PNG bytes (the scene's own size unless ``width``/``height`` are given)."""
        return maps.to_png(self.scene, width, height)


def map_files(dataset: Dataset, recording_id: int, events: Sequence[Event]) -> tuple[Picture, pd.DataFrame]:
    """Return the process-activity map of one recording's ``events`` and its activity table.

    Only the given events of that recording are drawn (so filters apply to the map too).
    Raises ValidationError when the recording is not in the dataset.
    """
    rec = dataset.recordings.get(recording_id)
    if rec is None:
        raise ValidationError(f"recording {recording_id} is not in the library; pick another recording")
    mine = [e for e in events if e.recording_id == recording_id]
    scene = maps.build_map(mine, dataset.codebook, rec)
    return Picture(scene, maps.to_svg(scene)), maps.activity_table(mine, dataset.codebook)


@dataclass(frozen=True)
class Flow:
    """The flow map of a selection: the (pruned) graph, its picture and the note on what it hides."""

    graph: maps.FlowGraph
    picture: Picture
    note: str
    dot: str


def flow_files(dataset: Dataset, events: Sequence[Event], *, top: int | None = None, view: str = "frequency") -> Flow:
    """Return the directly-follows flow map of ``events`` keeping the ``top`` most frequent activities.

    ``top`` None keeps every activity. Raises ValidationError for ``top`` below 1 or an unknown view.
    """
    used = {e.recording_id for e in events}
    recs = {rid: r for rid, r in dataset.recordings.items() if rid in used}
    return flow_picture(maps.build_flow(events, recs), top=top, view=view)


def flow_picture(graph: maps.FlowGraph, *, top: int | None = None, view: str = "frequency") -> Flow:
    """Return the flow map of an unpruned ``graph`` keeping the ``top`` most frequent activities (None: all).

    Raises ValidationError for ``top`` below 1 or an unknown view.
    """
    if top is not None and top < graph.total_nodes:
        graph = maps.prune(graph, top=top)
    elif top is not None and top < 1:
        maps.prune(graph, top=top)  # raises the ValidationError
    scene = maps.build_flow_map(graph, view)
    return Flow(graph, Picture(scene, maps.to_svg(scene)), graph.hidden_note(), maps.flow_dot(graph, view))
