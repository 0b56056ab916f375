"""probe(): every figure equals what the clip was generated with (one suite over all test clips)."""

from __future__ import annotations

import json
from fractions import Fraction

import av
import numpy as np
import pytest

from annotate import errors
from annotate.media import VideoReader, frame_times, inspect, probe
from annotate.media.timeindex import build_time_index
from annotate.testing import STANDARD_CLIPS, make_clip, plan_clip, read_stamp, repeat_clip

CLIPS = sorted(STANDARD_CLIPS)
CODEC_NAMES = {"libx264": "h264", "libx265": "hevc", "mjpeg": "mjpeg", "libvpx-vp9": "vp9"}
AUDIO_NAMES = {"aac": "aac", "pcm_s16le": "pcm_s16le", "libopus": "opus", None: None}


def expected_duration(plan) -> Fraction:
    return plan.stored_times[-1] + plan.last_duration


def expected_playable(plan) -> bool:
    """The documented rule, from the generation parameters."""
    return (
        plan.container == "mp4"
        and plan.codec == "libx264"
        and plan.pix_fmt == "yuv420p"
        and plan.width % 2 == 0
        and plan.height % 2 == 0
        and plan.rotation == 0
        and plan.sample_aspect_ratio == 1
        and plan.start_offset == 0
        and plan.audio_codec in (None, "aac")
    )


@pytest.mark.parametrize("name", CLIPS)
def test_probe_figures_equal_the_generated_clip(media_clip, name):
    path, plan = media_clip(name)
    info = probe(path)
    assert info.frame_count == plan.frame_count
    assert info.duration == expected_duration(plan)
    assert info.duration_s == pytest.approx(float(expected_duration(plan)))
    assert info.vfr is plan.vfr
    assert info.fps == (plan.frame_count / expected_duration(plan) if plan.vfr else plan.fps)
    assert (info.coded_width, info.coded_height) == (plan.width, plan.height)
    assert (info.width, info.height) == (plan.display_width, plan.display_height)
    assert info.rotation == plan.rotation
    assert info.sample_aspect_ratio == plan.sample_aspect_ratio
    assert info.video_codec == CODEC_NAMES[plan.codec]
    assert info.audio_codec == AUDIO_NAMES[plan.audio_codec]
    assert info.has_audio is (plan.audio_codec is not None)
    assert info.start_offset == plan.start_offset
    assert info.start_offset_s == pytest.approx(float(plan.start_offset))
    assert info.container == {"matroska": "matroska", "mpegts": "mpegts", "avi": "avi", "mp4": "mp4"}[plan.container]
    assert info.size_bytes == path.stat().st_size
    assert info.browser_playable is expected_playable(plan)
    assert bool(info.browser_issues) is not expected_playable(plan)


@pytest.mark.parametrize("name", CLIPS)
def test_frame_times_are_the_generated_times(media_clip, name):
    path, plan = media_clip(name)
    times = frame_times(path)
    assert times == list(plan.stored_times)
    assert times[0] == 0 and all(isinstance(t, Fraction) for t in times)


@pytest.mark.parametrize("name", CLIPS)
def test_to_json_has_the_documented_keys(media_clip, name):
    path, plan = media_clip(name)
    data = json.loads(json.dumps(probe(path).to_json()))
    for key in ("duration_s", "fps", "frame_count", "width", "height", "coded_width", "coded_height", "rotation",
                "video_codec", "audio_codec", "has_audio", "start_offset_s", "vfr", "browser_playable"):
        assert key in data
    assert Fraction(data["fps"]) == probe(path).fps
    assert "/" in data["fps"] or plan.fps.denominator == 1 or plan.vfr
    assert data["width"] == plan.display_width and data["height"] == plan.display_height
    assert data["duration_s"] == pytest.approx(float(expected_duration(plan)))


def test_fps_fraction_string_for_ntsc_rate(media_clip):
    path, _ = media_clip("cfr")
    assert probe(path).to_json()["fps"] == "30000/1001"


@pytest.mark.parametrize("name", [n for n in CLIPS if STANDARD_CLIPS[n][0].endswith(".mp4")])
def test_mp4_index_paths_agree_with_a_packet_scan(media_clip, name):
    """The no-I/O path (own box tables), FFmpeg's full index and a demux scan give the same times."""
    path, _ = media_clip(name)
    _, fast = inspect(path)
    assert fast.method == "index"
    for method in ("tables", "entries", "scan"):
        with av.open(str(path)) as c:
            built, first = build_time_index(path, c, c.streams.video[0], method)
        assert built.method == ("scan" if method == "scan" else "index")
        assert (built.pts == fast.pts).all(), method
        assert (built.key_pts == fast.key_pts).all(), method
        assert built.duration == fast.duration and built.fps == fast.fps, method
        assert first.frame is not None


def test_long_mp4_is_probed_from_its_index(tmp_path):
    """A long recording is probed without reading its media data (timing lives in bench/probe.py)."""
    short = make_clip(tmp_path / "short.mp4", width=160, height=120, fps=30, n_frames=30, gop=30)
    long = repeat_clip(short, tmp_path / "long.mp4", 200)
    info, index = inspect(long)
    assert index.method == "index"
    assert info.frame_count == 30 * 200
    assert info.duration == Fraction(200)
    assert info.fps == 30 and not info.vfr
    assert len(index.key_pts) == 200


@pytest.mark.parametrize("suffix", [".mp4", ".ts"])  # the index path and the packet scan
def test_a_clip_shorter_than_the_decoders_delay_is_probed(tmp_path, suffix):
    """Two frames of H.264 with B-frames: the decoder gives its first picture only when drained at the end."""
    path = make_clip(tmp_path / f"two{suffix}", n_frames=2, audio=False)
    plan = plan_clip(path, n_frames=2, audio=False)
    info = probe(path)
    assert info.frame_count == 2
    assert info.duration == expected_duration(plan)
    assert frame_times(path) == list(plan.stored_times)
    with VideoReader(path) as reader:
        assert [read_stamp(f.image) for f in reader.frames()] == [0, 1]


BAD = {
    "empty": errors.EmptyMediaError,
    "truncated": errors.TruncatedMediaError,
    "truncated_faststart": errors.TruncatedMediaError,
    "truncated_mkv": errors.TruncatedMediaError,
    "truncated_webm": errors.TruncatedMediaError,
    "text": errors.NotAVideoError,
    "png": errors.NotAVideoError,
    "audio_only": errors.NoVideoStreamError,
    "undecodable": errors.UndecodableMediaError,
    "missing": errors.MediaNotFoundError,
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_files_raise_their_media_error(bad_media, name):
    path = bad_media[name]
    with pytest.raises(BAD[name]) as caught:
        probe(path)
    message = str(caught.value)
    assert isinstance(caught.value, errors.MediaError)
    assert "\n" not in message and path.name in message
    assert caught.value.path == str(path)
    with pytest.raises(BAD[name]):
        VideoReader(path)


def test_messages_say_what_to_do(bad_media):
    with pytest.raises(errors.NoVideoStreamError, match=r"has no video stream \(audio only\); add a video file"):
        probe(bad_media["audio_only"])
    with pytest.raises(errors.NotAVideoError, match="PNG image"):
        probe(bad_media["png"])


def test_a_directory_is_not_a_video(tmp_path):
    with pytest.raises(errors.MediaNotFoundError, match="not a file"):
        probe(tmp_path)


def test_plan_rejects_what_cannot_be_written(tmp_path):
    with pytest.raises(ValueError):
        plan_clip(tmp_path / "x.avi", start_offset_s=1)
    with pytest.raises(ValueError):
        plan_clip(tmp_path / "x.mp4", rotation=45)
    with pytest.raises(ValueError):
        plan_clip(tmp_path / "x.xyz")


@pytest.mark.parametrize("suffix", [".mp4", ".ts", ".mkv"])
def test_a_file_cut_mid_gop_starts_at_its_first_decodable_frame(tmp_path, suffix):
    """Frames before the first keyframe cannot be shown: time 0 is the first frame a decoder outputs."""
    src = make_clip(tmp_path / "whole.mp4", n_frames=90, gop=30, audio=False)
    cut = tmp_path / f"cut{suffix}"
    with av.open(str(src)) as inp, av.open(str(cut), "w") as out:
        stream = out.add_stream_from_template(inp.streams.video[0])
        for k, packet in enumerate(inp.demux(video=0)):
            if k >= 5 and packet.size:  # drop the keyframe and a few frames after it
                packet.stream = stream
                out.mux(packet)
    info = probe(cut)
    assert info.frame_count == 60
    with VideoReader(cut) as reader:
        first = reader.frame_at(0)
        assert first.index == 0 and first.time == 0
        assert read_stamp(first.image) == 30
        assert [read_stamp(f.image) for f in reader.frames()] == list(range(30, 90))
        assert reader.frame_at(info.duration).index == 59


def test_matroska_whose_audio_outlasts_the_picture_is_not_cut_short(tmp_path):
    """The header's length covers the longest stream: audio running on after the last frame is no truncation."""
    path = tmp_path / "long_audio.mkv"
    with av.open(str(path), "w") as out:
        v = out.add_stream("libx264", rate=10)
        v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
        a = out.add_stream("aac", rate=48000, layout="mono")
        for i in range(10):  # 1 s of picture
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 20, np.uint8), format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, 10)
            for packet in v.encode(frame):
                out.mux(packet)
        for packet in v.encode():
            out.mux(packet)
        for start in range(0, 48000 * 4, 1024):  # 4 s of sound
            samples = np.zeros((1, 1024), np.float32)
            frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
            frame.sample_rate, frame.pts, frame.time_base = 48000, start, Fraction(1, 48000)
            for packet in a.encode(frame):
                out.mux(packet)
        for packet in a.encode():
            out.mux(packet)
    info = probe(path)
    assert info.frame_count == 10 and info.duration == 1
