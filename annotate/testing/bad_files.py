"""Files no reader should accept (empty, cut short, not a video, audio only, undecodable), for error tests."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from .clips import make_clip


def make_bad_files(directory: str | Path) -> dict[str, Path]:
    """Write files no reader should accept and return them by name.

    Names: ``empty`` (0 bytes), ``truncated`` (an mp4 cut in the middle of its
    media data, index at the end so it is lost), ``truncated_faststart`` (index
    first, media data cut), ``truncated_mkv`` / ``truncated_webm`` (a finished
    Matroska/WebM file with audio, cut in half: its header still declares the
    whole length), ``text`` (text named .mp4), ``png`` (a PNG named
    .mp4), ``audio_only`` (an AAC tone, no video, in .mp4), ``undecodable``
    (a valid mp4 whose H.264 packets are random bytes), ``missing`` (a path
    that does not exist).
    """
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}

    out["empty"] = d / "empty.mp4"
    out["empty"].write_bytes(b"")

    good = make_clip(d / "_good.mp4", n_frames=30, audio=False)
    fast = _faststart_copy(good, d / "_fast.mp4")
    out["truncated"] = _cut(good, d / "truncated.mp4", index_lost=True)
    out["truncated_faststart"] = _cut(fast, d / "truncated_faststart.mp4", index_lost=False)
    for suffix, codec in ((".mkv", "libx264"), (".webm", "libvpx-vp9")):
        whole = make_clip(d / f"_whole{suffix}", n_frames=60, fps=Fraction(20), codec=codec)
        cut = whole.read_bytes()
        out[f"truncated_{suffix[1:]}"] = d / f"truncated{suffix}"
        out[f"truncated_{suffix[1:]}"].write_bytes(cut[: len(cut) // 2])
        whole.unlink()

    out["text"] = d / "notes.mp4"
    out["text"].write_text("This is a meeting note, not a video.\n" * 20)

    out["png"] = d / "picture.mp4"
    ok, png = cv2.imencode(".png", np.full((64, 64, 3), 200, np.uint8))
    out["png"].write_bytes(png.tobytes())

    out["audio_only"] = make_clip_audio_only(d / "audio_only.mp4")

    out["undecodable"] = _scrambled(good, d / "undecodable.mp4")

    out["missing"] = d / "does_not_exist.mp4"
    for tmp in (good, fast):
        tmp.unlink()
    return out


def _faststart_copy(src: Path, dst: Path) -> Path:
    """Copy ``src``'s video packets into ``dst`` with the index first; return ``dst``."""
    with av.open(str(src)) as inp, av.open(str(dst), "w", options={"movflags": "+faststart"}) as out:
        s = out.add_stream_from_template(inp.streams.video[0])
        for p in inp.demux(inp.streams.video[0]):
            if p.dts is None:
                continue
            p.stream = s
            out.mux(p)
    return dst


def _cut(src: Path, dst: Path, index_lost: bool) -> Path:
    """Write ``src`` cut in the middle of its media data to ``dst`` (``index_lost``: the index is after the media
    data, and cut away with it); return ``dst``."""
    data = src.read_bytes()
    mdat = data.find(b"mdat")
    if index_lost:
        moov = data.find(b"moov")
        assert 0 < mdat < moov, "expected the index (moov) after the media data"
        dst.write_bytes(data[: mdat + (moov - mdat) // 2])
    else:
        dst.write_bytes(data[: mdat + (len(data) - mdat) // 2])
    return dst


def _scrambled(src: Path, dst: Path) -> Path:
    """Write ``src`` with every video packet's bytes replaced by random ones (timing kept) to ``dst``; return it."""
    rng = np.random.default_rng(7)
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        s = out.add_stream_from_template(inp.streams.video[0])
        for p in inp.demux(inp.streams.video[0]):
            if p.dts is None:
                continue
            junk = av.Packet(rng.integers(0, 256, size=max(64, p.size), dtype=np.uint8).tobytes())
            junk.pts, junk.dts, junk.time_base, junk.stream = p.pts, p.dts, p.time_base, s
            junk.is_keyframe = p.is_keyframe
            out.mux(junk)
    return dst


def make_clip_audio_only(path: str | Path, seconds: float = 1.0) -> Path:
    """Write an AAC tone with no video stream to ``path`` and return the path."""
    path = Path(path)
    rate = 48000
    with av.open(str(path), "w", format="mp4") as out:
        s = out.add_stream("aac", rate=rate, layout="mono")
        n = int(seconds * rate)
        for start in range(0, n, 1024):
            k = np.arange(start, start + 1024)
            wave = (0.2 * np.sin(2 * np.pi * 440 * k / rate)).astype(np.float32)
            frame = av.AudioFrame.from_ndarray(wave.reshape(1, -1), format="fltp", layout="mono")
            frame.sample_rate, frame.pts, frame.time_base = rate, start, Fraction(1, rate)
            for p in s.encode(frame):
                out.mux(p)
        for p in s.encode():
            out.mux(p)
    return path
