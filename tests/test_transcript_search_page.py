"""Analyse's transcript search (AppTest on the real page, transcripts in a real SQLite store): a word is
found across recordings with a link to Review at the line's start; user text stays text; nothing found is
one line."""

from __future__ import annotations

from annotate.testing import make_clip
from annotate.transcripts.lines import Line
from annotate.ui import services


def test_a_word_is_found_across_recordings_with_links_to_review(data_dir, no_sample, run_page, tmp_path):
    from annotate.app.recordings import add_recording

    store = services.store()
    a, _ = add_recording(store, services.settings(), make_clip(tmp_path / "a.mp4", n_frames=60, audio=False),
                         title="First call")
    b, _ = add_recording(store, services.settings(), make_clip(tmp_path / "b.mp4", n_frames=61, audio=False),
                         title="Second call")
    store.transcripts.replace(a.id, [Line(0, 900, "my *refund* please", "Customer"), Line(1000, 1500, "sure", "Agent")])
    store.transcripts.replace(b.id, [Line(500, 1800, "where is the refund?", "Customer")])
    at = run_page("analyse")
    at.text_input(key="cx_transcript_search").input("refund").run()
    assert not at.exception
    [frame] = [d for d in at.dataframe if "speaker" in d.value.columns]
    rows = frame.value.to_dict("records")
    assert [(r["recording"], r["time"], r["line"]) for r in rows] == [
        (f"#{a.id} First call", "00:00:00.000", "my *refund* please"),
        (f"#{b.id} Second call", "00:00:00.500", "where is the refund?")]
    assert rows[1]["review"] == f"/review?rec={b.id}&t=0.500"
    at.text_input(key="cx_transcript_search").input("invoice").run()
    assert not [d for d in at.dataframe if "speaker" in d.value.columns]
    assert any("no transcript line holds" in e.value for e in at.error)
