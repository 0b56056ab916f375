"""`annotate export` of every recording: one read of the store in recording order, the same bytes as the whole-file writer."""

from __future__ import annotations

import subprocess
import sys

from annotate.formats import dumps_events
from annotate.model import Event, Kind, Recording
from annotate.store import Store


def test_cli_export_of_every_recording_is_the_whole_file_csv(tmp_path):
    with Store(f"sqlite:///{tmp_path / 'a.sqlite'}") as store:
        recs = [store.add_recording(Recording(path=f"/v/{n}.mp4", title=f"call {n}", duration_s=600.0,
                                              fps="25", content_hash=f"{n:040x}")) for n in range(5)]
        for n, rec in enumerate(recs):  # the same times in each recording: the order must come from the recording
            store.import_events([Event(kind=list(Kind)[i % 3], start_s=float(i % 6), recording_id=rec.id,
                                       end_s=None if i % 2 else 9.25, label=f"{n}/{i}", note="a, b" if i % 4 else "")
                                 for i in range(12 + n)], reviewer="t")
        gone = store.add_event(Event(kind=Kind.MOMENT_OF_TRUTH, start_s=1.0, recording_id=recs[1].id, label="gone"))
        store.delete_event(gone.id)
        store.delete_recording(recs[3].id)
        out = tmp_path / "all.csv"
        done = subprocess.run([sys.executable, "-m", "annotate", "--db", store.url, "--data-dir", str(tmp_path / "d"),
                               "export", "-o", str(out)], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        live = store.list_recordings()
        events = [e for r in live for e in store.list_events(r.id)]
        assert f"Wrote {len(events)} events from 4 recordings" in done.stdout and len(events) == 12 + 13 + 14 + 16
        assert out.read_bytes() == dumps_events(events, {r.id: r for r in live}, format="csv")
