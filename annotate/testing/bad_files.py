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
    data = good.read_bytes()
    mdat = data.find(b"mdat")
    moov = data.find(b"moov")
    assert 0 < mdat < moov, "expected the index (moov) after the media data"
    out["truncated"] = d / "truncated.mp4"
    out["truncated"].write_bytes(data[: mdat + (moov - mdat) // 2])

    fast = d / "_fast.mp4"
    with av.open(str(good)) as src, av.open(str(fast), "w", options={"movflags": "+faststart"}) as dst:
        s = dst.add_stream_from_template(src.streams.video[0])
        for p in src.demux(src.streams.video[0]):
            if p.dts is None:
                continue
            p.stream = s
            dst.mux(p)
    fdata = fast.read_bytes()
    fmdat = fdata.find(b"mdat")
    out["truncated_faststart"] = d / "truncated_faststart.mp4"
    out["truncated_faststart"].write_bytes(fdata[: fmdat + (len(fdata) - fmdat) // 2])

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

    out["undecodable"] = d / "undecodable.mp4"
    rng = np.random.default_rng(7)
    with av.open(str(good)) as src, av.open(str(out["undecodable"]), "w") as dst:
        s = dst.add_stream_from_template(src.streams.video[0])
        for p in src.demux(src.streams.video[0]):
            if p.dts is None:
                continue
            junk = av.Packet(rng.integers(0, 256, size=max(64, p.size), dtype=np.uint8).tobytes())
            junk.pts, junk.dts, junk.time_base, junk.stream = p.pts, p.dts, p.time_base, s
            junk.is_keyframe = p.is_keyframe
            dst.mux(junk)

    out["missing"] = d / "does_not_exist.mp4"
    for tmp in (good, fast):
        tmp.unlink()
    return out


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
