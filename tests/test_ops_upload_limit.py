"""One upload limit everywhere: the Library's uploader and the Settings page agree; uploads are named by title.

Pages run under Streamlit's AppTest against a SQLite file in a temporary data directory.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from annotate.testing import make_clip

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def run_page(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["cx_reviewer"] = "Tess"
    at.run()
    at.switch_page(f"annotate/ui/pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture
def server_limit():
    """Set Streamlit's server.maxUploadSize for the test (as ``annotate serve`` does on its command line)."""
    before = st_config.get_option("server.maxUploadSize")

    def set_to(mb: int) -> None:
        st_config.set_option("server.maxUploadSize", mb)

    yield set_to
    st_config.set_option("server.maxUploadSize", before)


def shown_limits(at_library: AppTest, at_settings: AppTest) -> tuple[str, int, str]:
    uploader = at_library.file_uploader(key="cx_upload")
    [line] = [m.value for m in at_settings.markdown if m.value.startswith("Upload limit:")]
    return uploader.label, uploader.proto.max_upload_size_mb, line


def test_library_and_settings_show_the_limit_serve_passes(data_dir, no_sample, monkeypatch, server_limit):
    monkeypatch.setenv("ANNOTATE_MAX_UPLOAD_MB", "1234")
    server_limit(1234)
    label, enforced, line = shown_limits(run_page("library"), run_page("settings"))
    assert "up to 1234 MB" in label and enforced == 1234
    assert line == "Upload limit: 1234 MB (ANNOTATE_MAX_UPLOAD_MB)"


def test_without_serve_both_pages_show_streamlits_smaller_limit_and_say_why(data_dir, no_sample, monkeypatch,
                                                                             server_limit):
    monkeypatch.setenv("ANNOTATE_MAX_UPLOAD_MB", "2048")
    server_limit(200)  # Streamlit's default under a bare `streamlit run app.py`
    label, enforced, line = shown_limits(run_page("library"), run_page("settings"))
    assert "up to 200 MB" in label and enforced == 200
    assert line.startswith("Upload limit: 200 MB:") and "2048" in line and "annotate serve" in line


def test_an_upload_is_listed_by_the_users_file_name_not_its_content_hash(data_dir, no_sample, tmp_path):
    video = make_clip(tmp_path / "Kasse Filiale 3.mp4", n_frames=10, fps=Fraction(10), audio=False)
    at = run_page("library")
    at.file_uploader(key="cx_upload").set_value((video.name, video.read_bytes(), "video/mp4")).run()
    at.button(key="cx_add_upload").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    at.run()
    stored = next((data_dir / "media").glob("*.mp4"))
    shown = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    assert "Kasse Filiale 3" in shown and stored.stem not in shown
