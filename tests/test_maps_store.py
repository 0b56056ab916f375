"""The maps, metrics and Analyse reads in columns against a real store (SQLite, and PostgreSQL when configured):
the same figures as the Event-object code on ``list_events``, filters in SQL keeping exactly what
``filter_events`` keeps, the table paged and sorted over every row."""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pytest

from annotate import maps
from annotate.app import analysis, analysis_library
from annotate.maps.flow import flow_of_frame
from annotate.maps.frame import FLOW_ROW_COLUMNS, events_frame, py_round, tables_frame
from annotate.maps.metrics import metrics_of_frame
from annotate.model import Event, Kind, Recording, utcnow
from annotate.store import Store
from annotate.store.schema import events, imports
from annotate.testing.databases import backend_id, empty_database, server_urls
from annotate.testing.journeys import journeys

MOT, INT, DEC = Kind.MOMENT_OF_TRUTH, Kind.INTERNAL_INTERACTION, Kind.DECISION_POINT


@pytest.fixture(params=server_urls(), ids=backend_id)
def store(request, tmp_path):
    """A store of 5 synthetic journeys (some odd spellings, a deleted event, a deleted recording, a point at 0)."""
    with empty_database(request.param, tmp_path) as url, Store(url) as store:
        recs, events = journeys(5, 30, seed=5)
        ids = {}
        for rec in recs:
            ids[rec.id] = store.add_recording(Recording(path=f"/lib/{rec.path}", title=rec.title, duration_s=rec.duration_s,
                                                        status=rec.status, content_hash=f"h{rec.id}")).id
        odd = {0: dict(stage="  buy-in ", actor="CUSTOMER"), 1: dict(stage="Queue", label="greeting  "),
               2: dict(stage="", actor="", emotion=None), 3: dict(label="Payment  declined", emotion=-2)}
        stored = store.add_events([e.replace(recording_id=ids[e.recording_id], **odd.get(i % 7, {}))
                                   for i, e in enumerate(events)], reviewer="ann")
        store.add_event(Event(kind=DEC, start_s=0.0, recording_id=ids[recs[0].id], label="At zero", reviewer="bob"))
        store.delete_event(stored[4].id)
        gone = store.add_recording(Recording(path="/lib/gone.mp4", title="gone", duration_s=60, content_hash="gone"))
        store.add_event(Event(kind=MOT, start_s=1.0, recording_id=gone.id, label="Hidden"))
        store.delete_recording(gone.id)
        store.import_events([Event(kind=INT, start_s=5.0, recording_id=ids[recs[1].id], label="Imported")])  # done
        _pending_import(store, ids[recs[2].id])
        yield store


def _pending_import(store: Store, recording_id: int) -> None:
    """Leave what a running import shows readers: a pending import and one of its rows (hidden from every read)."""
    now = utcnow()
    with store._write_conn() as conn:
        conn.execute(imports.insert().values(id="p" * 32, reviewer="", state="pending", started_at=now, touched_at=now))
        conn.execute(events.insert().values(id="q" * 32, recording_id=recording_id, kind=MOT.value, start_ms=0,
                                            end_ms=None, label="Pending", stage="", channel="", actor="", expectation="",
                                            emotion=None, note="", reviewer="", created_at=now, updated_at=now,
                                            deleted_at=None, version=1, import_id="p" * 32))


def frame_of(store: Store, where=None):
    return tables_frame(store.aggregates.map_tables(where, chunk_size=17))  # small chunks: several per read


def same_frames(a, b) -> None:
    assert list(a.columns) == list(b.columns)
    for col in a.columns:
        for x, y in zip(a[col].tolist(), b[col].tolist()):
            assert x == y or (isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y)), (col, x, y)
    assert len(a) == len(b)


@pytest.mark.parametrize("by", maps.GROUPINGS)
def test_metrics_from_the_stored_columns_equal_the_event_objects(store, by):
    recs, book = store.list_recordings(), store.get_codebook()
    events = [e for r in recs for e in store.list_events(r.id)]
    assert len(frame_of(store)) == len(events) == store.aggregates.count()
    same_frames(metrics_of_frame(frame_of(store), recs, book, by), maps.metrics(events, recs, book, by))


def test_flow_from_the_stored_columns_equals_the_event_objects(store):
    recs = store.list_recordings()
    events = [e for r in recs for e in store.list_events(r.id)]
    ours = flow_of_frame(frame_of(store), {r.id: r.duration_s for r in recs})
    theirs = maps.build_flow(events, recs)
    assert [(k, n.label, n.count, n.cases, n.position) for k, n in ours.nodes.items()] == \
        [(k, n.label, n.count, n.cases, n.position) for k, n in theirs.nodes.items()]
    assert [(k, e.count, e.median_s) for k, e in ours.edges.items()] == \
        [(k, e.count, e.median_s) for k, e in theirs.edges.items()]
    labels = {n.label for n in ours.nodes.values()}
    assert ours.events == len(events) and "Hidden" not in labels and "Pending" not in labels and "Imported" in labels


FILTERS = [
    {},
    {"kinds": ["MOT"]},
    {"stages": ["Buy-In"]},  # matches the stored "  buy-in " too, as the codebook spells it
    {"stages": [""], "actors": ["customer"]},
    {"text": "GREET"},
    {"text": "payment declined", "kinds": ["MOT", "DEC"]},
    {"emotion": (-2, -1)},
    {"emotion": (0, 2), "blank_emotion": False},
    {"reviewers": ["BOB"]},
    {"recording_ids": [2, 3], "channels": ["phone", ""]},
    {"stages": ["Queue"], "text": "no such label"},
]


@pytest.mark.parametrize("chosen", FILTERS, ids=lambda f: ",".join(f) or "none")
def test_filters_in_sql_keep_what_filter_events_keeps(store, chosen):
    library = analysis_library.load_library(store)
    filters = analysis.Filters.make(**chosen)
    expected = analysis.filter_events(store.list_events(), filters, library.codebook)
    kept = analysis_library.selection_frame(store, analysis_library.where_of(library, filters))
    key = lambda rows: sorted((int(r), round(float(s), 3), str(lab)) for r, s, lab in rows)  # noqa: E731
    assert key(zip(kept["recording_id"], kept["start_s"], kept["label"])) == \
        key((e.recording_id, e.start_s, e.label) for e in expected)
    assert store.aggregates.count(analysis_library.where_of(library, filters)) == len(expected)
    recs = [r for r in library.recordings.values() if r.id in {e.recording_id for e in expected}]
    same_frames(analysis_library.metrics_of(library, kept, "stage"), maps.metrics(expected, recs, library.codebook, "stage"))


def test_filter_options_come_from_group_by_in_codebook_spelling(store):
    library = analysis_library.load_library(store)
    options = library.options()
    assert options["stages"][:2] == ["Awareness", "Buy-In"] and "Queue" in options["stages"] and options["stages"][-1] == ""
    assert "  buy-in " not in options["stages"] and options["reviewers"] == ["ann", "bob", ""]  # the import has no reviewer
    assert library.total == len(store.list_events())


def test_table_pages_are_sorted_over_every_kept_row(store):
    library = analysis_library.load_library(store)
    where = analysis_library.where_of(library, analysis.Filters.make(kinds=["MOT", "INT"]))
    events = analysis.filter_events(store.list_events(), analysis.Filters.make(kinds=["MOT", "INT"]))
    pages = [analysis_library.table_page(store, library, where, "Label", True, n, rows=20) for n in (1, 2, 3, 4, 5, 6)]
    labels = [lab for p in pages for lab in p["label"]]
    assert labels == sorted((e.label for e in events), reverse=True)
    first = analysis_library.table_page(store, library, where, "Recording and time", False, 1, rows=1000)
    assert list(first.columns) == analysis.TABLE_COLUMNS
    by_time = sorted(events, key=lambda e: (e.recording_id, e.start_s))
    assert [(r, s) for r, s in zip(first["recording_id"], first["start_s"])] == [(e.recording_id, e.start_s) for e in by_time]
    reference = analysis.events_frame(by_time, library.recordings, library.codebook)
    for col in ("recording", "kind", "time", "stage", "actor", "duration_s", "emotion", "id"):
        assert first[col].astype(object).fillna(-99).tolist() == reference[col].astype(object).fillna(-99).tolist(), col
    assert first["updated_at"].tolist() == reference["updated_at"].tolist()


def test_python_rounding_is_kept_exactly():
    values = np.array([2.675, 1.0005, 0.0005, -0.0015, 1e15 + 0.5, 123.4565, float("nan")] + [k / 2000 for k in range(-3000, 3000)])
    got = py_round(values)
    for v, g in zip(values.tolist(), got.tolist()):
        assert g == round(v, 3) or (math.isnan(g) and math.isnan(v)), v


@pytest.mark.parametrize("server", [*server_urls(), "memory"], ids=lambda s: "memory" if s == "memory" else backend_id(s))
def test_map_tables_carry_nulls_set_later_and_ties_in_list_order(server, tmp_path):
    """Ends and emotions NULL in the first rows and set later, and runs of equal starts across table ends, come
    as ``list_events`` gives them: through ADBC on a file, SQLAlchemy in memory and on PostgreSQL."""
    with empty_database("sqlite" if server == "memory" else server, tmp_path) as url, \
            Store("sqlite://" if server == "memory" else url) as store:
        recs = [store.add_recording(Recording(path=f"/lib/{n}.mp4", title=f"r{n}", duration_s=60.0,
                                              content_hash=f"h{n}")) for n in (1, 2)]
        store.add_events([Event(kind=(MOT, INT, DEC)[i % 3], start_s=0.5 * (i // 3), recording_id=rec.id,
                                end_s=None if i < 12 else i + 0.25, emotion=None if i < 14 else i % 5 - 2,
                                label=f"e{i}", stage="" if i < 9 else "Queue") for rec in recs for i in range(30)])
        with store._write_conn() as conn:  # odd events created first: ties in created_at order, not as stored
            conn.execute(events.update().where(events.c.label.in_([f"e{i}" for i in range(1, 30, 2)]))
                         .values(created_at=utcnow() - timedelta(hours=1)))
        tables = list(store.aggregates.map_tables(chunk_size=4))
        assert [t.num_rows for t in tables] == [4] * 15
        assert tables[0].column("end_ms").null_count == 4 and tables[0].column("emotion").null_count == 4
        assert str(tables[0].schema.field("emotion").type) == "int64" and tables[0].column("stage").null_count == 0
        expected = [e for r in recs for e in store.list_events(r.id)]
        same_frames(tables_frame(tables), events_frame(expected))
        assert tables_frame(store.aggregates.map_tables(chunk_size=7)).equals(tables_frame(tables))
        flow = store.aggregates.map_tables(columns=FLOW_ROW_COLUMNS, chunk_size=5)
        assert tables_frame(flow, FLOW_ROW_COLUMNS)["label"].tolist() == [e.label for e in expected]
        assert list(next(store.aggregates.map_tables(columns=FLOW_ROW_COLUMNS)).column_names) == list(FLOW_ROW_COLUMNS)
        with pytest.raises(ValueError):
            next(store.aggregates.map_tables(columns=("note",)))
        with pytest.raises(ValueError):
            next(store.aggregates.map_tables(chunk_size=0))
