"""make_proxy() beyond the frame contract (tests/test_contract_frames.py checks frames, times, pixels and the
browser-ready facts on every standard clip): seeking settings, audio offset, bad sources, needs_proxy."""

from __future__ import annotations

from fractions import Fraction

import av
import pytest

from annotate import errors
from annotate.export import make_proxy
from annotate.media import needs_proxy, probe


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


def test_proxy_seeks_quickly_no_b_frames_keyframes_every_second(proxy_of):
    dst, info, _ = proxy_of("vfr_bframes")
    assert info == probe(dst) and info.browser_playable and not needs_proxy(info)
    with av.open(str(dst)) as c:
        v = c.streams.video[0]
        assert v.codec_context.profile in ("High", "Main", "Constrained Baseline", "Baseline")
        packets = [p for p in c.demux(v) if p.size]
    assert all(p.pts == p.dts for p in packets)  # no B-frames: decode order is presentation order
    keys = [p.pts * v.time_base for p in packets if p.is_keyframe]
    assert keys[0] == 0 and len(keys) >= 2
    frames_between = [sum(1 for p in packets if a <= p.pts * v.time_base < b) for a, b in zip(keys, keys[1:])]
    assert max(frames_between) <= round(info.fps)


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
