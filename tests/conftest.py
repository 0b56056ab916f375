"""Session-wide test media: stamped clips and bad files, generated once per test run.

Fixtures other suites may use:

* ``clip_dir`` - the directory the clips are written to;
* ``media_clip(name)`` - (path, ClipPlan) of ``annotate.testing.STANDARD_CLIPS[name]``, made on first use;
* ``bad_media`` - ``make_bad_files`` output: name -> path.
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
