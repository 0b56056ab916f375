"""Video over 8192 pixels on a side is refused at probe time, by the CLI and by the upload path, naming the file."""

from __future__ import annotations

import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from annotate import config
from annotate.errors import VideoTooLargeError
from annotate.media import probe
from annotate.testing import make_clip

ROOT = Path(__file__).resolve().parents[1]


def cli(*args) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANNOTATE_")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-m", "annotate", *map(str, args)], capture_output=True, text=True,
                          timeout=300, env=env)


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("wide")
    make = lambda name, w, h, codec="libx264": make_clip(  # noqa: E731
        d / name, width=w, height=h, n_frames=3, fps=Fraction(10), codec=codec, audio=False)
    return {
        "wide": make("wide.mp4", 8200, 16),  # real H.264 that a browser would be asked to play
        "tall": make("tall.mp4", 16, 8200),
        "mjpeg": make("wide.avi", 8200, 16, "mjpeg"),
        "edge": make("edge.mp4", 8192, 16),  # exactly the limit: accepted
    }


@pytest.mark.parametrize("name,size", [("wide", "8200x16"), ("tall", "16x8200"), ("mjpeg", "8200x16")])
def test_probe_refuses_video_over_8192_on_a_side(clips, name, size):
    path = clips[name]
    with pytest.raises(VideoTooLargeError) as caught:
        probe(path)
    text = str(caught.value)
    assert text.startswith(f"{path.name} is {size}; cx-annotate takes video up to 8192 pixels on a side; scale it down")
    assert "add it again" in text and "\n" not in text


def test_video_of_exactly_8192_is_accepted(clips):
    info = probe(clips["edge"])
    assert (info.width, info.height) == (8192, 16)


def test_cli_info_and_add_refuse_it_in_one_line_and_store_nothing(clips, tmp_path):
    for args in (["info", clips["wide"]], ["--data-dir", tmp_path / "data", "add", clips["wide"]]):
        proc = cli(*args)
        assert proc.returncode == 2 and proc.stdout == ""
        err = proc.stderr.strip()
        assert err.startswith("Error: wide.mp4 is 8200x16;") and "\n" not in err
    assert "wide" not in cli("--data-dir", tmp_path / "data", "list").stdout


def test_an_upload_of_it_is_refused_naming_the_users_file_and_leaves_nothing(clips, tmp_path):
    from annotate.app.uploads import save_upload

    settings = config.resolve(tmp_path / "data")
    with open(clips["wide"], "rb") as fh, pytest.raises(VideoTooLargeError, match=r"^panorama\.mp4 is 8200x16;"):
        save_upload(settings, "panorama.mp4", fh)
    assert list(settings.media_dir.iterdir()) == []
