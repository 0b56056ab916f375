"""Rejected uploads leave nothing under the data directory and name the user's file."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from annotate.config import Settings
from annotate.errors import MediaError
from annotate.testing import make_bad_files, make_clip, make_clip_audio_only
from annotate.app.uploads import save_upload


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("upload_src")
    good = make_clip(d / "good.mp4", n_frames=30, audio=False).read_bytes()
    audio = make_clip_audio_only(d / "tone.mp4").read_bytes()
    rng = __import__("random").Random(3)
    noise = bytes(rng.randrange(256) for _ in range(20000))
    undecodable = make_bad_files(d / "bad")["undecodable"].read_bytes()
    return {"good": good, "undecodable": undecodable, "truncated": good[: len(good) // 2], "audio_only": audio, "random": noise}


@pytest.fixture
def settings(tmp_path):
    s = Settings(data_dir=tmp_path / "data", db_url="sqlite://")
    s.ensure_dirs()
    return s


@pytest.mark.parametrize(
    "kind, filename",
    [("truncated", "Call 0412 half.mp4"), ("audio_only", "only sound.mp4"), ("random", "garbage clip.mp4"),
     ("undecodable", "broken codec.mp4")],
)
def test_rejected_upload_leaves_nothing_and_names_the_file(settings, clips, kind, filename):
    data = clips[kind]
    before = _files(settings.data_dir)
    with pytest.raises(MediaError) as info:
        save_upload(settings, filename, io.BytesIO(data), len(data))
    message = str(info.value)
    assert filename in message
    assert "\n" not in message
    assert ".upload.partial" not in message
    assert _files(settings.data_dir) == before


def test_error_does_not_name_the_content_hash(settings, clips):
    import hashlib

    data = clips["truncated"]
    digest = hashlib.blake2b(data, digest_size=20).hexdigest()
    with pytest.raises(MediaError) as info:
        save_upload(settings, "half.mp4", io.BytesIO(data), len(data))
    assert digest not in str(info.value)
    assert "half.mp4" in str(info.value)


def test_duplicate_upload_leaves_one_copy(settings, clips):
    data = clips["good"]
    before = _files(settings.data_dir)
    first, again = save_upload(settings, "a.mp4", io.BytesIO(data), len(data))
    assert not again and first.is_file()
    after_first = _files(settings.data_dir)
    assert after_first - before == {first}
    second, again = save_upload(settings, "copy of a.mp4", io.BytesIO(data), len(data))
    assert again and second == first
    assert _files(settings.data_dir) == after_first


def test_upload_of_a_file_added_by_server_path_keeps_no_second_copy(settings, clips, tmp_path):
    from annotate.app.recordings import add_recording
    from annotate.store import Store
    from annotate.app.uploads import add_upload

    store = Store.open(settings)
    try:
        original = tmp_path / "server" / "call 0412.mp4"
        original.parent.mkdir()
        original.write_bytes(clips["good"])
        first, created = add_recording(store, settings, original, title="Call 0412")
        assert created
        before = _files(settings.data_dir)
        again, created = add_upload(store, settings, "call copy.mp4", io.BytesIO(clips["good"]), len(clips["good"]))
        assert not created and again.id == first.id and again.path == str(original.resolve())
        assert _files(settings.data_dir) == before  # the uploaded copy is gone again
        assert len(store.list_recordings()) == 1
    finally:
        store.close()


def test_new_upload_is_registered_under_its_content_name(settings, clips):
    from annotate.store import Store
    from annotate.app.uploads import add_upload

    store = Store.open(settings)
    try:
        rec, created = add_upload(store, settings, "call.mp4", io.BytesIO(clips["good"]), len(clips["good"]), title="Call")
        assert created and rec.title == "Call"
        assert Path(rec.path).parent == settings.media_dir.resolve() and Path(rec.path).is_file()
    finally:
        store.close()
