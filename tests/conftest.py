"""Session-wide test media: stamped clips and bad files, generated once per test run.

Fixtures other suites may use:

* ``clip_dir`` - the directory the clips are written to;
* ``media_clip(name)`` - (path, ClipPlan) of ``annotate.testing.STANDARD_CLIPS[name]``, made on first use;
* ``bad_media`` - ``make_bad_files`` output: name -> path;
* ``data_dir`` - a fresh data directory the app's services use (SQLite in it), reset around the test;
* ``no_sample`` - no bundled sample is found, so the app's store starts empty.
"""

from __future__ import annotations

import pytest

from annotate.testing.clips import make_bad_files, make_standard_clip


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
    import annotate.sample as sample

    empty = tmp_path / "no-sample"
    empty.mkdir()
    monkeypatch.setenv("ANNOTATE_SAMPLE_DIR", str(empty))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sample, "sample_dir", lambda: None)
