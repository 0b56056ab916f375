"""sniff_container(): the container from magic bytes, whatever the file is called."""

from __future__ import annotations

import shutil

import pytest

from annotate.media import sniff_container
from annotate.media.sniff import describe_non_video, sniff_bytes
from annotate.testing import STANDARD_CLIPS

EXPECTED = {".mp4": "mp4", ".mkv": "matroska", ".avi": "avi", ".ts": "mpegts"}


@pytest.mark.parametrize("name", sorted(STANDARD_CLIPS))
def test_sniffs_each_clip(media_clip, name):
    path, _ = media_clip(name)
    assert sniff_container(path) == EXPECTED[path.suffix]


@pytest.mark.parametrize("name", ["mkv_anamorphic", "mjpeg", "ts_late"])
def test_the_extension_is_not_trusted(media_clip, tmp_path, name):
    path, _ = media_clip(name)
    renamed = tmp_path / f"{name}.mp4"
    shutil.copy(path, renamed)
    assert sniff_container(renamed) == EXPECTED[path.suffix]


def test_non_videos(bad_media, tmp_path):
    assert sniff_container(bad_media["text"]) is None
    assert sniff_container(bad_media["png"]) is None
    assert sniff_container(bad_media["empty"]) is None
    assert sniff_container(bad_media["missing"]) is None
    assert describe_non_video(bad_media["png"]) == "a PNG image"
    assert describe_non_video(bad_media["text"]) == "text"


def test_known_signatures():
    assert sniff_bytes(b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00") == "mov"
    assert sniff_bytes(b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm") == "webm"
    assert sniff_bytes(b"RIFF\x00\x00\x00\x00AVI LIST") == "avi"
    assert sniff_bytes(b"FLV\x01") == "flv"
    assert sniff_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt ") is None
