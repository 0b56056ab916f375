"""Session-wide test media: stamped clips and bad files, generated once per test run.

Fixtures other suites may use:

* ``clip_dir`` - the directory the clips are written to;
* ``media_clip(name)`` - (path, ClipPlan) of ``annotate.testing.STANDARD_CLIPS[name]``, made on first use;
* ``bad_media`` - ``make_bad_files`` output: name -> path;
* ``data_dir`` - a fresh data directory the app's services use (SQLite in it), reset around the test;
* ``no_sample`` - no bundled sample is found, so the app's store starts empty.
"""

from __future__ import annotations

import os

import pytest

from annotate.testing import make_bad_files, make_standard_clip
from annotate.testing.databases import backend_id, empty_database, server_urls


@pytest.fixture(autouse=True)
def inline_jobs(monkeypatch):
    """Renders a page asks for run on the test process's threads (ANNOTATE_QUEUE=inline) unless a test
    chooses a queue: the queue itself is tested with real workers in test_jobs_queue.py."""
    if "ANNOTATE_QUEUE" not in os.environ:
        monkeypatch.setenv("ANNOTATE_QUEUE", "inline")


@pytest.fixture(params=server_urls(), ids=backend_id)
def db_url(request, tmp_path):
    """The URL of an empty database: a new SQLite file, and a new PostgreSQL schema when servers are given
    (ANNOTATE_TEST_DB_URLS). A module may define its own."""
    with empty_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def store(db_url):
    """A Store on :func:`db_url`, closed at the end. A module may define its own."""
    from annotate.store import Store

    opened = Store(db_url)
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def clip_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("clips")


@pytest.fixture(scope="session")
def media_clip(clip_dir):
    made: dict = {}

    def get(name: str):
        if name not in made:
            made[name] = make_standard_clip(clip_dir, name)
        return made[name]

    return get


@pytest.fixture(scope="session")
def bad_media(tmp_path_factory):
    return make_bad_files(tmp_path_factory.mktemp("bad"))


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    from annotate.ui import services

    root = tmp_path / "data"
    monkeypatch.setenv("ANNOTATE_DATA_DIR", str(root))
    monkeypatch.delenv("ANNOTATE_DB", raising=False)
    services.reset()
    yield root
    services.reset()


@pytest.fixture
def no_sample(monkeypatch, tmp_path):
    """Point the sample lookup at an empty folder so the store stays empty."""
    import annotate.app.sample as sample

    empty = tmp_path / "no-sample"
    empty.mkdir()
    monkeypatch.setenv("ANNOTATE_SAMPLE_DIR", str(empty))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sample, "sample_dir", lambda: None)


# --- browser tests ---------------------------------------------------------------------------------


def need_chromium() -> str:
    """Return Debian's chromium (installed when missing and allowed); skip the test when there is none."""
    from annotate.testing.browser import chromium_path

    path = chromium_path()
    if path is None:
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium and apt-get could not install it")
    return path


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium (Playwright) shared by a test module."""
    from playwright.sync_api import sync_playwright

    from annotate.testing.browser import CHROMIUM_ARGS

    executable = need_chromium()
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def browser_store(tmp_path_factory):
    """(base folder, Settings, Store) of a fresh data directory for a browser test module's app."""
    from annotate.config import Settings, sqlite_url
    from annotate.store import Store

    need_chromium()
    base = tmp_path_factory.mktemp("browser")
    data = base / "data"
    settings = Settings(data_dir=data, db_url=sqlite_url(data / "annotate.sqlite")).ensure_dirs()
    return base, settings, Store.open(settings)


# --- the Review page and its command route (helper r) ----------------------------------------------


@pytest.fixture
def review_recording(tmp_path, monkeypatch):
    """Return add(frame_times, **env) -> Recording: a silent clip with those frame times, added to a fresh
    data directory (no sample; ``env`` are extra environment settings read when the store connects).

    The app's services and the review-token registry are reset around the test.
    """
    import annotate.app.sample as sample
    from annotate.app.recordings import add_recording
    from annotate.testing import make_clip
    from annotate.ui import marking, services

    monkeypatch.setenv("ANNOTATE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("ANNOTATE_DB", raising=False)
    monkeypatch.setattr(sample, "sample_dir", lambda: None)

    def add(frame_times, **env: str):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        services.reset()
        marking.REGISTRY.clear()
        clip = make_clip(tmp_path / "clip.mp4", frame_times=frame_times, audio=False)
        recording, _ = add_recording(services.store(), services.settings(), clip)
        return recording

    yield add
    marking.REGISTRY.clear()
    services.reset()


@pytest.fixture
def run_page():
    """Return run(page, reviewer="Tess", **state) -> AppTest: app.py run with that reviewer (None: none
    chosen) and session state, on the Review page (the first one) or switched to ``page``."""
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    app = str(Path(__file__).resolve().parents[1] / "app.py")

    def run(page: str, reviewer: str | None = "Tess", **state):
        at = AppTest.from_file(app, default_timeout=60)
        if reviewer:
            at.session_state["cx_reviewer"] = reviewer
        for key, value in state.items():
            at.session_state[key] = value
        at.run()
        if page != "review":
            at.switch_page(f"annotate/ui/pages/{page}.py").run()
        return at

    return run
