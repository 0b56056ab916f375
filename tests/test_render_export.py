"""Overlay export, clips and reels: write real files, decode them, look at the pixels and the timestamps.

Expectations come from the clip generator's plan (the parameters the test clips
were made with), never from the code under test.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from annotate.errors import FrameOutOfRangeError, MediaError, RenderError
from annotate.export import ExportOptions, reel_items, render_clip, render_overlay, render_reel
from annotate.media import probe
from annotate.model import Event, Kind
from annotate.render import OverlayOptions, border_px
from annotate.testing import STANDARD_CLIPS, read_stamp
from annotate.testing.decoded import (
    COLOR_TOL, KIND_RGB, band_rows, border_rgb, decode, decoded_audio_seconds, is_colour, picture_diff, stream_facts,
)

# The frame stamp sits along the top, where captions and the flash's name tab go.
NO_CAPTIONS = ExportOptions(overlay=OverlayOptions(captions=False, flash_tab=False))


@pytest.fixture(scope="module")
def clips(media_clip):
    """The foundation's standard test clips (CFR, VFR, rotated, late start, odd size, no audio, HEVC, ...)."""
    return {name: media_clip(name) for name in STANDARD_CLIPS}


# --- the overlay video ---------------------------------------------------------


EVENTS_CFR = [
    Event(Kind.MOMENT_OF_TRUTH, 0.51, label="Form error"),
    Event(Kind.INTERNAL_INTERACTION, 1.02, label="Hand-off"),
    Event(Kind.DECISION_POINT, 1.33, label="Choose delivery"),
]


@pytest.fixture(scope="module")
def cfr_render(clips, tmp_path_factory):
    src, plan = clips["cfr"]
    dst = tmp_path_factory.mktemp("render_out") / "overlay.mp4"
    calls = []
    render_overlay(src, EVENTS_CFR, dst, progress=lambda done, total: calls.append((done, total)))
    return src, plan, dst, calls


def test_border_has_the_kind_colour_on_each_event_first_frame(cfr_render):
    src, plan, dst, _ = cfr_render
    frames = decode(dst, plan.display_height)
    for event in EVENTS_CFR:
        first = plan.index_at(Fraction(str(event.start_s)))
        assert is_colour(frames[first]["rgb"], event.kind), (event.kind, first)
        assert not is_colour(frames[first - 1]["rgb"], event.kind, tol=40)  # the frame before has no flash


def test_frames_far_from_events_equal_the_source(cfr_render):
    src, plan, dst, _ = cfr_render
    out, ref = decode(dst, plan.display_height), decode(src)
    h, w = ref[0]["y"].shape
    strip_top = h - border_px(w, h) - 14  # the timeline strip is always drawn
    first_event, last_event = min(e.start_s for e in EVENTS_CFR), max(e.start_s for e in EVENTS_CFR)
    far = [i for i, t in enumerate(plan.times) if float(t) < first_event - 0.1 or float(t) > last_event + 2.6]
    assert len(far) >= 10
    # Compared as pictures (RGB, each file read with its own colour tags): an untagged SD source is
    # BT.601 and the output BT.709, so their Y planes differ where the colours do not.
    for i in far:
        diff = picture_diff(out[i]["rgb"][:strip_top], ref[i]["rgb"][:strip_top])
        assert diff.mean() < 2.5 and np.percentile(diff, 99) < 16, i
    # ... and a frame in a flash does differ, so the comparison can fail.
    first = plan.index_at(Fraction("0.51"))
    assert picture_diff(out[first]["rgb"][:strip_top], ref[first]["rgb"][:strip_top]).mean() > 5


def test_flash_fades_monotonically(cfr_render):
    src, plan, dst, _ = cfr_render
    frames = decode(dst, plan.display_height)
    first = plan.index_at(Fraction("0.51"))
    red = np.array(KIND_RGB[Kind.MOMENT_OF_TRUTH], float)
    # distance of the top border from red, frame by frame through the 0.8 s fade (24 frames)
    dist = [np.abs(border_rgb(frames[i]["rgb"])[0] - red).sum() for i in range(first, first + 15)]
    assert dist[0] < 3 * COLOR_TOL
    assert all(b >= a - 8 for a, b in zip(dist, dist[1:])), dist  # never returns towards red (codec noise allowed)
    assert dist[-1] > dist[0] + 100
    assert not is_colour(frames[first + 25]["rgb"], Kind.MOMENT_OF_TRUTH, tol=40)  # gone after 0.8 s


def test_output_is_browser_ready_h264(cfr_render):
    src, plan, dst, calls = cfr_render
    facts = stream_facts(dst)
    assert facts["codec"] == "h264" and facts["pix_fmt"] == "yuv420p"
    assert facts["tags"] == (1, 1, 1, 1)  # BT.709 primaries, transfer, matrix; limited range
    data = dst.read_bytes()
    assert 0 <= data.find(b"moov") < data.find(b"mdat")  # index first: +faststart
    assert calls and calls[-1] == (plan.frame_count, plan.frame_count)
    assert all(a[0] <= b[0] for a, b in zip(calls, calls[1:]))


def test_interrupted_export_leaves_no_file(clips, tmp_path):
    src, plan = clips["cfr"]
    dst = tmp_path / "out.mp4"

    def stop(done, total):
        if done >= 10:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        render_overlay(src, EVENTS_CFR, dst, progress=stop)
    assert list(tmp_path.iterdir()) == []
    # an earlier export under that name survives an interrupted one
    dst.write_bytes(b"earlier export")
    with pytest.raises(KeyboardInterrupt):
        render_overlay(src, EVENTS_CFR, dst, progress=stop)
    assert dst.read_bytes() == b"earlier export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.mp4"]


def test_bad_input_raises_the_media_error(clips, tmp_path):
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video\n" * 10)
    with pytest.raises(MediaError):
        render_overlay(bad, [], tmp_path / "out.mp4")
    assert not (tmp_path / "out.mp4").exists()
    src, _ = clips["cfr"]
    before = src.read_bytes()
    with pytest.raises(RenderError):
        render_overlay(src, [], src)  # would replace the recording being read
    assert src.read_bytes() == before


def test_unknown_preset_is_a_render_error():
    with pytest.raises(RenderError):
        ExportOptions(preset="warp")


# --- clips ---------------------------------------------------------------------


def expected_window(plan, start: Fraction, end: Fraction) -> tuple[int, int, Fraction]:
    first = plan.index_at(max(start, Fraction(0)))
    stop = next((i for i, t in enumerate(plan.times) if t >= end), plan.frame_count)
    end_t = plan.times[stop] if stop < plan.frame_count else plan.duration
    return first, stop, end_t - plan.times[first]


@pytest.mark.parametrize("name,at,before,after", [
    ("cfr", "1.2", "0.5", "0.7"),
    ("cfr", "2.5", "0.52", "0.2"),  # starts one frame before the keyframe at 2.002 s (B-frames: its dts is earlier)
    ("vfr_bframes", "1.35", "0.6", "0.4"),
    ("cfr", "0.2", "3", "0.5"),  # clamped to the first frame
    ("late_start", "1.9", "0.3", "5"),  # clamped to the last frame
    ("ts_late", "1.0", "0.4", "0.4"),
])
def test_clip_is_frame_exact(clips, tmp_path, name, at, before, after):
    src, plan = clips[name]
    at, before, after = Fraction(at), Fraction(before), Fraction(after)
    dst = render_clip(src, float(at), float(before), float(after), tmp_path / "clip.mp4",
                      events=[Event(Kind.MOMENT_OF_TRUTH, float(at))], options=NO_CAPTIONS)
    first, stop, duration = expected_window(plan, at - before, min(at + after, plan.duration))
    frames = decode(dst, plan.display_height)
    assert [read_stamp(f["rgb"][..., ::-1]) for f in frames] == list(range(first, stop))
    assert [f["t"] for f in frames] == [t - plan.times[first] for t in plan.times[first:stop]]
    assert probe(dst).duration == duration
    shown = plan.index_at(at)
    assert is_colour(frames[shown - first]["rgb"], Kind.MOMENT_OF_TRUTH)
    if plan.audio_codec:
        assert abs(decoded_audio_seconds(dst) - float(duration)) < 0.025


def test_clip_without_overlay_and_out_of_range(clips, tmp_path):
    src, plan = clips["cfr"]
    dst = render_clip(src, 1.0, 0.2, 0.2, tmp_path / "plain.mp4", events=EVENTS_CFR, overlay=False)
    out, ref = decode(dst), decode(src)
    assert out[0]["rgb"].shape == ref[0]["rgb"].shape  # no timeline, no band
    first = plan.index_at(Fraction("0.8"))
    assert picture_diff(out[0]["rgb"], ref[first]["rgb"]).mean() < 2.5
    with pytest.raises(FrameOutOfRangeError):
        render_clip(src, 99.0, 1, 1, tmp_path / "late.mp4")
    assert not (tmp_path / "late.mp4").exists()


# --- reels ---------------------------------------------------------------------


def test_reel_is_cards_and_clips_back_to_back(clips, tmp_path):
    cfr, cfr_plan = clips["cfr"]
    silent, silent_plan = clips["no_audio"]
    rot, rot_plan = clips["rotated"]  # upright 240x320: fitted into the first video's 320x240 as 180x240 at x=70
    events_cfr = [Event(Kind.DECISION_POINT, 0.4, label="Skip"), Event(Kind.MOMENT_OF_TRUTH, 2.0, label="Form error"),
                  Event(Kind.MOMENT_OF_TRUTH, 1.0, label="Greeting")]
    events_silent = [Event(Kind.MOMENT_OF_TRUTH, 0.5, label="Payment")]
    events_rot = [Event(Kind.MOMENT_OF_TRUTH, 1.5, label="Confirmation")]
    items = reel_items([(cfr, events_cfr), (silent, events_silent), (rot, events_rot)], kinds=["MOT"])
    assert [(Path(i.source).name, i.event.start_s) for i in items] == [
        ("cfr.mp4", 1.0), ("cfr.mp4", 2.0), ("no_audio.mp4", 0.5), ("rotated.mp4", 1.5)]
    before, after, card = Fraction("0.5"), Fraction("0.5"), Fraction(1)
    dst = render_reel(items, tmp_path / "reel.mp4", before_s=0.5, after_s=0.5, card_s=1.0, options=NO_CAPTIONS)

    windows = []
    for item, plan in zip(items, (cfr_plan, cfr_plan, silent_plan, rot_plan)):
        at = Fraction(str(item.event.start_s))
        windows.append(expected_window(plan, at - before, min(at + after, plan.duration)))
    total = sum(card + w[2] for w in windows)
    info = probe(dst)
    assert info.duration == total
    assert (info.width, info.height) == (320, 240 + band_rows(240))  # the strip's band below every clip
    assert abs(decoded_audio_seconds(dst) - float(total)) < 0.025  # silence under cards and the silent clip
    frames = decode(dst, 240)
    assert len(frames) == sum(30 + (w[1] - w[0]) for w in windows)
    k, offset = 0, Fraction(0)
    for item, (first, stop, duration) in zip(items, windows):
        card_frame = frames[k]["rgb"]
        assert np.abs(card_frame[120, 3].astype(int) - KIND_RGB[Kind.MOMENT_OF_TRUTH]).max() <= COLOR_TOL
        assert frames[k]["t"] == offset
        k += 30
        picture = (slice(None), slice(70, 250)) if item.source == str(rot) else (slice(None), slice(None))
        stamps = [read_stamp(np.ascontiguousarray(f["rgb"][picture][..., ::-1])) for f in frames[k : k + stop - first]]
        assert stamps == list(range(first, stop))
        assert frames[k]["t"] == offset + card
        k += stop - first
        offset += card + duration


def test_empty_reel_is_an_error(tmp_path):
    with pytest.raises(RenderError):
        render_reel([], tmp_path / "reel.mp4")
    assert not (tmp_path / "reel.mp4").exists()
