"""CSV export streamed from the store in chunks of columns: the same bytes as the whole-file writer, any chunk size."""

from __future__ import annotations

import subprocess
import sys

import pytest

from annotate.formats import dumps_events, write_event_tables
from annotate.model import Event, Kind, Recording
from annotate.store import Store


@pytest.fixture
def store(tmp_path):
    with Store(f"sqlite:///{tmp_path / 'a.sqlite'}") as store:
        recs = [store.add_recording(Recording(path=f"/v/{n}.mp4", title=t, duration_s=600.0, fps="30000/1001",
                                              content_hash=f"{n:040x}"))
                for n, t in ((1, "=cmd|' /C calc'!A0"), (2, 'call, "two"'))]
        kinds = list(Kind)
        for rec in recs:
            store.add_events([Event(kind=kinds[i % 3], start_s=i * 0.7 + 0.0015 * (i % 4), recording_id=rec.id,
                                    end_s=(i * 0.7 + 2.5) if i % 5 == 0 else None, label=f"label {i}",
                                    note="line one\nline two" if i % 7 == 0 else "", emotion=(i % 5) - 2,
                                    stage="Care", reviewer="Ann, \"the\" reviewer")
                              for i in range(23)], reviewer="t")
        yield store, recs


@pytest.mark.parametrize("chunk", [1, 7, 23, 50_000])
def test_streamed_csv_is_the_whole_file_csv(store, tmp_path, chunk):
    store, recs = store
    out = tmp_path / "all.csv"
    tables = (t for rec in recs for t in store.event_columns([rec.id], chunk_size=chunk))
    write_event_tables(out, tables, {r.id: r for r in recs})
    events = [e for rec in recs for e in store.list_events(rec.id)]
    assert out.read_bytes() == dumps_events(events, {r.id: r for r in recs}, format="csv")
    assert len(out.read_bytes().splitlines()) > 46


def test_a_failed_streamed_export_leaves_nothing(store, tmp_path):
    store, recs = store
    out = tmp_path / "all.csv"

    def tables():
        yield next(store.event_columns([recs[0].id], chunk_size=5))
        raise OSError("disk full")

    with pytest.raises(OSError):
        write_event_tables(out, tables(), {r.id: r for r in recs})
    assert list(tmp_path.glob("*.csv")) == [] and not [p for p in tmp_path.iterdir() if "partial" in p.name]


def test_cli_export_streams_csv_with_the_same_bytes(store, tmp_path):
    store, recs = store
    url = store.url
    out = tmp_path / "cli.csv"
    done = subprocess.run([sys.executable, "-m", "annotate", "--db", url, "--data-dir", str(tmp_path / "d"), "export",
                           "-o", str(out), "--recording", "2", "--recording", "1"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "Wrote 46 events from 2 recordings" in done.stdout
    events = [e for rid in (2, 1) for e in store.list_events(rid)]
    assert out.read_bytes() == dumps_events(events, {r.id: r for r in recs}, format="csv")
