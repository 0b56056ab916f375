"""make_proxy(): a browser-playable H.264 mp4 whose every frame sits at the original's time."""

from __future__ import annotations

import random
from fractions import Fraction

import av
import pytest

from annotate import errors
from annotate.export import make_proxy
from annotate.media import VideoReader, inspect, needs_proxy, probe
from annotate.media.mp4box import top_level_boxes
from annotate.testing import STANDARD_CLIPS, read_stamp

CLIPS = sorted(STANDARD_CLIPS)


@pytest.fixture(scope="session")
def proxy_of(media_clip, tmp_path_factory):
    out = tmp_path_factory.mktemp("proxies")
    made: dict = {}

    def get(name: str):
        if name not in made:
            path, plan = media_clip(name)
            calls: list = []
            dst = out / f"{name}.proxy.mp4"
            info = make_proxy(path, dst, progress=lambda done, total: calls.append((done, total)))
            made[name] = (dst, info, calls)
        return made[name]

    return get


@pytest.mark.parametrize("name", CLIPS)
def test_proxy_is_browser_playable_h264(proxy_of, media_clip, name):
    src, plan = media_clip(name)
    dst, info, _ = proxy_of(name)
    assert info == probe(dst)
    assert info.video_codec == "h264" and info.pix_fmt == "yuv420p" and info.container == "mp4"
    assert info.width % 2 == 0 and info.height % 2 == 0
    assert (info.width, info.height) == (plan.display_width - plan.display_width % 2,
                                         plan.display_height - plan.display_height % 2)
    assert info.rotation == 0 and info.sample_aspect_ratio == 1 and info.start_offset == 0
    assert info.browser_playable and not needs_proxy(info)
    boxes = [kind for kind, _, _ in top_level_boxes(dst).boxes]
    assert boxes.index(b"moov") < boxes.index(b"mdat")  # +faststart
    with av.open(str(dst)) as c:
        assert c.streams.video[0].codec_context.profile in ("High", "Main", "Constrained Baseline", "Baseline")
    assert info.has_audio == (plan.audio_codec is not None)
    if info.has_audio:
        assert info.audio_codec == "aac"


@pytest.mark.parametrize("name", CLIPS)
def test_proxy_keeps_every_frame_time(proxy_of, media_clip, name):
    src, plan = media_clip(name)
    dst, info, _ = proxy_of(name)
    src_info, src_index = inspect(src)
    _, dst_index = inspect(dst)
    assert dst_index.frame_times == src_index.frame_times == list(plan.stored_times)
    assert info.duration == src_info.duration
    assert info.frame_count == src_info.frame_count
    assert info.vfr == src_info.vfr and info.fps == src_info.fps


@pytest.mark.parametrize("name", CLIPS)
def test_frame_at_in_proxy_shows_the_same_picture(proxy_of, media_clip, name):
    src, plan = media_clip(name)
    dst, _, _ = proxy_of(name)
    rng = random.Random(17)
    duration = plan.stored_times[-1] + plan.last_duration
    with VideoReader(src) as original, VideoReader(dst) as proxy:
        for _ in range(50):
            t = Fraction(rng.random()).limit_denominator(10**6) * duration
            expected = plan.stored_index_at(t)
            p = proxy.frame_at(t)
            assert p.index == expected and read_stamp(p.image) == expected
            assert read_stamp(original.frame_at(t).image) == expected


@pytest.mark.parametrize("name", CLIPS)
def test_progress_reaches_the_total(proxy_of, media_clip, name):
    _, plan = media_clip(name)
    _, _, calls = proxy_of(name)
    assert calls and calls[-1] == (plan.frame_count, plan.frame_count)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def audio_packet_times(path) -> list[Fraction]:
    with av.open(str(path)) as c:
        audio = c.streams.audio[0]
        return [p.pts * audio.time_base for p in c.demux(audio) if p.size]


def test_proxy_audio_follows_the_video_start(proxy_of, media_clip):
    """The late-start clip's tone starts with its first frame; in the proxy both start at 0: every audio
    packet (the AAC encoder's priming packet before it included) moves by exactly the video's start offset."""
    src, plan = media_clip("late_start")
    dst, info, _ = proxy_of("late_start")
    source, proxy = audio_packet_times(src), audio_packet_times(dst)
    assert proxy == [t - plan.start_offset for t in source]
    assert -Fraction(2048, 48000) <= proxy[0] < Fraction(1, 20)  # the priming: about one AAC frame
    with av.open(str(dst)) as c:
        audio = c.streams.audio[0]
        packets = [p for p in c.demux(audio) if p.size]
        end = (packets[-1].pts + packets[-1].duration) * audio.time_base
    assert abs(end - info.duration) < Fraction(1, 10)


def test_a_bad_source_leaves_no_file(bad_media, tmp_path):
    dst = tmp_path / "out.mp4"
    with pytest.raises(errors.UndecodableMediaError):
        make_proxy(bad_media["undecodable"], dst)
    assert not dst.exists()
    assert list(tmp_path.iterdir()) == []


def test_needs_proxy_follows_browser_issues(media_clip):
    assert not needs_proxy(probe(media_clip("cfr")[0]))
    for name in ("hevc", "mjpeg", "odd_size", "rotated", "late_start", "mkv_anamorphic"):
        info = probe(media_clip(name)[0])
        assert needs_proxy(info) and info.browser_issues
