"""A large event CSV is imported a block of rows at a time: bounded memory, all or nothing, same ids and messages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from annotate.errors import FormatError
from annotate.formats import csv_format, csv_stream
from annotate.app.importing import import_events
from annotate.model import Recording
from annotate.store import Store

ROOT = Path(__file__).resolve().parents[1]
MB = 2**20
KINDS = ("MOT", "INT", "DEC")


def rows_csv(count: int, ids: bool = False, repeat_every: int = 0) -> str:
    """Return a CSV of ``count`` rows like the benchmark's (ids of the file when ``ids``; every ``repeat_every``-th row a copy)."""
    head = "event_id,kind,start_s,end_s,label,stage,actor,note\r\n" if ids else "kind,start_s,end_s,label,stage,actor,note\r\n"
    lines = [head]
    for i in range(count):
        j = i - 1 if repeat_every and i and i % repeat_every == 0 else i
        start = j % 3_000_000 / 1000
        end = "" if j % 2 else f"{start + 1.5:.3f}"
        note = "" if j % 5 else '"a note, with a comma"'
        lead = f"{i:032x}," if ids else ""
        lines.append(f"{lead}{KINDS[j % 3]},{start:.3f},{end},label {j % 40},stage {j % 7},customer,{note}\r\n")
    return "".join(lines)


@pytest.fixture
def small_blocks(monkeypatch):
    """Stream every file of 64 KB or more in 64 KB blocks (a few thousand rows each)."""
    monkeypatch.setattr(csv_stream, "STREAM_MIN_BYTES", 64 * 1024)
    monkeypatch.setattr(csv_stream, "BLOCK_BYTES", 64 * 1024)


@pytest.fixture
def store(tmp_path):
    with Store(f"sqlite:///{tmp_path / 'a.sqlite'}") as s:
        s.add_recording(Recording(path="/v/a.mp4", title="a"))
        yield s


def table_counts(store) -> tuple[int, int]:
    """Return how many rows the events and change_log tables hold, hidden ones included."""
    with store._engine.connect() as conn:
        return (conn.execute(sa.text("SELECT count(*) FROM events")).scalar(),
                conn.execute(sa.text("SELECT count(*) FROM change_log WHERE entity = 'event'")).scalar())


def test_streamed_import_stores_what_the_whole_file_import_stores(tmp_path, monkeypatch, small_blocks):
    data = rows_csv(20_000, repeat_every=997).encode()  # copies across blocks: their derived ids count on
    found = {}
    for name, streamed in (("whole", False), ("stream", True)):
        if not streamed:
            monkeypatch.setattr(csv_stream, "STREAM_MIN_BYTES", 1 << 40)
        else:
            monkeypatch.setattr(csv_stream, "STREAM_MIN_BYTES", 64 * 1024)
            monkeypatch.setattr(csv_format, "loads", lambda *a, **k: pytest.fail("read whole"))
        with Store(f"sqlite:///{tmp_path / (name + '.sqlite')}") as s:
            s.add_recording(Recording(path="/v/a.mp4", title="a"))
            result = import_events(s, 1, data, "rows.csv", reviewer="ann")
            assert (result.added, result.skipped) == (20_000, 0)
            events = [(e.id, e.kind, e.start_s, e.end_s, e.label, e.note, e.reviewer) for e in s.list_events(1)]
            logged = [(c.action, c.entity, c.recording_id, c.after) for c in s.history() if c.entity != "recording"]
            assert logged == [("create", "import", 1, {"events": 20_000})]  # one change of the import
            found[name] = (sorted(events), logged)
            assert s.get_recording(1).status.value == "in_review"
            again = import_events(s, 1, data, "rows.csv")
            assert (again.added, again.skipped) == (0, 20_000)
            assert again.summary() == "Imported 0 events into recording 1 (20000 already present)"
    assert found["stream"] == found["whole"]


def test_a_streamed_import_is_logged_as_one_import_change_that_undo_reverts(store, small_blocks):
    data = rows_csv(5_000).encode()
    import_events(store, 1, data, "rows.csv", reviewer="ann")
    assert table_counts(store) == (5_000, 0)  # no change-log row per event: one for the import
    logged = [c for c in store.history() if c.entity == "import"]
    assert [(c.action, c.recording_id, c.after, c.reviewer) for c in logged] == [("create", 1, {"events": 5_000}, "ann")]
    some = store.list_events(1)[123]
    assert [c.id for c in store.history(event_id=some.id)] == [logged[0].id]
    change = store.undo()  # the whole import, as before
    assert change.action == "undo" and store.list_events(1) == []


def test_a_bad_row_in_the_last_block_stores_nothing_and_names_its_line(store, small_blocks):
    text = rows_csv(12_000) + "purple,1.0,,x,y,z,\r\n"
    with pytest.raises(FormatError, match=r"^rows\.csv line 12002: unknown kind 'purple'"):
        import_events(store, 1, text.encode(), "rows.csv")
    assert table_counts(store) == (0, 0)
    assert store.list_events(1) == [] and store.get_recording(1).status.value == "new"


def test_a_bad_time_after_the_first_block_names_its_line(store, small_blocks):
    lines = rows_csv(12_000).splitlines(keepends=True)
    lines[9_001] = "MOT,-3.0,,x,y,z,\r\n"  # line 9002 of the file, blocks after the first
    with pytest.raises(FormatError, match=r"line 9002: start_s -3.0 is negative"):
        import_events(store, 1, "".join(lines).encode(), "rows.csv")
    assert table_counts(store) == (0, 0)


def test_an_id_used_again_in_a_later_block_stores_nothing(store, small_blocks):
    lines = rows_csv(12_000, ids=True).splitlines(keepends=True)
    lines[11_000] = f"{0:032x}" + lines[11_000][32:]  # the id of line 2
    with pytest.raises(FormatError, match=rf"line 11001: event id {0:032x} is used again \(first at line 2\)"):
        import_events(store, 1, "".join(lines).encode(), "rows.csv")
    assert table_counts(store) == (0, 0)


def test_file_ids_are_kept_across_blocks(store, small_blocks):
    data = rows_csv(12_000, ids=True).encode()
    assert import_events(store, 1, data, "rows.csv").added == 12_000
    assert store.get_event(f"{11_999:032x}").label == f"label {11_999 % 40}"


# The child prints its own peak RSS (VmHWM) when the command is done, whatever it did.
CHILD = """
import runpy, sys
sys.argv = ["annotate", *sys.argv[1:]]
try:
    runpy.run_module("annotate", run_name="__main__")
except SystemExit:
    pass
finally:
    peak = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0].split()[1]
    sys.stderr.write(f"\\nVMHWM {int(peak) * 1024}\\n")
"""


def child_peak(tmp_path: Path, file: Path, name: str) -> tuple[int, str]:
    """Return (peak RSS bytes, output) of ``annotate import file`` into a fresh database, run in a child process."""
    url = f"sqlite:///{tmp_path / (name + '.sqlite')}"
    with Store(url) as s:
        s.add_recording(Recording(path="/v/a.mp4", title="a"))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.run([sys.executable, "-c", CHILD, "import", str(file), "--recording", "1", "--db", url],
                       capture_output=True, text=True, env=env, timeout=600)
    peak = int(p.stderr.rsplit("VMHWM ", 1)[1].split()[0])
    return peak, p.stdout + p.stderr


def test_peak_memory_of_a_300k_row_import_is_bounded_by_the_file_not_the_rows(tmp_path):
    # Both files stream (over 4 MB), so the difference is what the rows cost, without the libraries the
    # streamed path loads (pandas, pyarrow: a constant, which a one-row file would not load).
    small, big = tmp_path / "small.csv", tmp_path / "rows.csv"
    small.write_text(rows_csv(100_000), newline="")
    big.write_text(rows_csv(300_000), newline="")
    base, _ = child_peak(tmp_path, small, "small")
    peak, out = child_peak(tmp_path, big, "big")
    assert "Imported 300000 events into recording 1" in out
    grown = big.stat().st_size - small.stat().st_size
    assert peak - base < 2 * grown + 30 * MB, f"peak {peak / MB:.0f} MB, 100k rows {base / MB:.0f} MB, {grown / MB:.0f} MB more file"
    assert peak < 2 * big.stat().st_size + 300 * MB, f"peak {peak / MB:.0f} MB"