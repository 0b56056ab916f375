"""Library page under AppTest: counts in its notices are in proper English."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from streamlit.testing.v1 import AppTest

from annotate.testing import make_clip
from annotate.ui import services

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def test_importing_one_event_says_1_event(data_dir, no_sample, tmp_path):
    from annotate.app.recordings import add_recording

    clip = make_clip(tmp_path / "call.mp4", n_frames=20, fps=Fraction(10), audio=False)
    rec, _ = add_recording(services.store(), services.settings(), clip, title="Call", make_proxy=False)
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["cx_reviewer"] = "Tess"
    at.run()
    at.switch_page("annotate/ui/pages/library.py").run()
    at.file_uploader(key="cx_import_file").set_value(("one.csv", b"kind,start_s,label\nMOT,0.5,x\n", "text/csv")).run()
    at.button(key="cx_import_go").click().run()
    assert not at.exception and not at.error
    assert at.success[0].value == f"Imported 1 event into recording {rec.id}."
