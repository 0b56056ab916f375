"""The frame contract: every way a frame is read or written, over every standard clip.

Ways: the reader (``VideoReader.frames``, ``frame_at`` and ``step``), the browser
proxy (``make_proxy``), the overlay video (``render_overlay``) and a clip
(``render_clip``). For each way and each clip of ``STANDARD_CLIPS`` (CFR, VFR with
and without B-frames, rotation, a late start, odd size in 4:4:4, no audio, HEVC,
MJPEG in AVI, anamorphic Matroska, MPEG-TS with a late start) the suite checks the
frame count, each frame's timestamp and the pixels (written files are decoded):
the stamp of the source frame expected there, and the picture itself against the
reader's frame under the one size rule (an odd side's last column or row cropped,
never a rescale). Expectations come from the clip's plan, never from the code
under test.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

from annotate.export import ExportOptions, make_proxy, render_clip, render_overlay
from annotate.media import VideoReader, probe
from annotate.model import Event, Kind
from annotate.render import OverlayOptions
from annotate.testing import STANDARD_CLIPS, read_stamp
from annotate.testing.decoded import decode, decoded_audio_seconds, is_colour, stream_facts

CLIPS = sorted(STANDARD_CLIPS)
WRITERS = ["proxy", "overlay", "clip"]
WAYS = ["reader", *WRITERS]
# The frame stamp sits along the top, where captions and the flash's name tab go.
NO_CAPTIONS = ExportOptions(overlay=OverlayOptions(captions=False, flash_tab=False))
CLIP_BEFORE, CLIP_AFTER = Fraction("0.4"), Fraction("0.5")
FLASH_S = 0.8


@dataclass
class Observed:
    """What one way gave for one clip: the source frames expected (indices, times from the way's first frame),
    the frames seen (times, RGB pictures), the file written (None for the reader) and its progress calls."""

    indices: list[int]
    times: list[Fraction]
    seen_times: list[Fraction]
    pictures: list[np.ndarray]
    path: Path | None = None
    progress: list[tuple[int, int]] | None = None
    event: Event | None = None


def event_for(plan) -> Event:
    """One event just after the middle frame (also where the clip is cut)."""
    return Event(Kind.DECISION_POINT, float(plan.stored_times[len(plan.stored_times) // 2]) + 0.001, label="Pick")


def clip_span(plan) -> tuple[Fraction, int, int]:
    """Return (at, first, stop) of the test clip: at = the event time to the millisecond (as render_clip rounds
    it), frames from the one shown at at - before to the last one before at + after (by the stored times)."""
    at = Fraction(str(round(event_for(plan).start_s, 3)))
    duration = plan.stored_times[-1] + plan.last_duration
    first = plan.stored_index_at(max(at - CLIP_BEFORE, Fraction(0)))
    end = min(at + CLIP_AFTER, duration)
    stop = next((i for i, t in enumerate(plan.stored_times) if t >= end), plan.frame_count)
    return at, first, max(stop, first + 1)


def observe(way: str, src: Path, plan, out: Path) -> Observed:
    everything = list(range(plan.frame_count))
    if way == "reader":
        with VideoReader(src) as reader:
            frames = list(reader.frames())
        return Observed(everything, list(plan.stored_times), [f.time for f in frames],
                        [f.image[..., ::-1] for f in frames])
    calls: list[tuple[int, int]] = []
    record = lambda done, total: calls.append((done, total))  # noqa: E731
    event = event_for(plan)
    dst = out / f"{plan.path.stem}.{way}.mp4"
    display_h = plan.display_height
    if way == "proxy":
        make_proxy(src, dst, progress=record)
        display_h = None  # no timeline band
        indices = everything
    elif way == "overlay":
        render_overlay(src, [event], dst, options=NO_CAPTIONS, progress=record)
        indices = everything
    else:
        at, first, stop = clip_span(plan)
        render_clip(src, float(at), float(CLIP_BEFORE), float(CLIP_AFTER), dst, events=[event], options=NO_CAPTIONS,
                    progress=record)
        indices = list(range(first, stop))
    times = [plan.stored_times[i] - plan.stored_times[indices[0]] for i in indices]
    frames = decode(dst, display_h)
    return Observed(indices, times, [f["t"] for f in frames], [f["rgb"] for f in frames], dst, calls, event)


@pytest.fixture(scope="session")
def observed(media_clip, tmp_path_factory):
    out = tmp_path_factory.mktemp("contract")
    made: dict = {}

    def get(way: str, name: str) -> tuple[Path, object, Observed]:
        if (way, name) not in made:
            src, plan = media_clip(name)
            made[way, name] = (src, plan, observe(way, src, plan, out))
        return made[way, name]

    return get


def even_display(plan) -> tuple[int, int]:
    """The one size rule: the display size with an odd side's last column or row cropped."""
    return plan.display_width - plan.display_width % 2, plan.display_height - plan.display_height % 2


# --- count, times, pixels: every way ---------------------------------------------------------------


@pytest.mark.parametrize("name", CLIPS)
@pytest.mark.parametrize("way", WAYS)
def test_every_frame_at_its_time(observed, way, name):
    _, plan, seen = observed(way, name)
    assert len(seen.seen_times) == len(seen.indices)
    assert seen.seen_times == seen.times  # first at 0, VFR stays VFR, a late start is taken off
    if plan.container in ("mp4", "mov", "avi") and way != "clip":  # (Matroska stores whole ms: the plan rounded)
        assert seen.seen_times == list(plan.times)


@pytest.mark.parametrize("name", CLIPS)
@pytest.mark.parametrize("way", WAYS)
def test_every_frame_shows_its_source_picture(observed, way, name):
    _, plan, seen = observed(way, name)
    stamps = [read_stamp(np.ascontiguousarray(p[..., ::-1])) for p in seen.pictures]
    assert stamps == seen.indices  # upright, in order, none dropped or repeated
    expected = (plan.display_width, plan.display_height) if way == "reader" else even_display(plan)
    assert {(p.shape[1], p.shape[0]) for p in seen.pictures} == {expected}


def geometry_diff(a: np.ndarray, b: np.ndarray) -> tuple[float, np.ndarray]:
    """Return (the mean level offset, |grey difference| with that offset taken off) of two RGB pictures: the
    offset is colour (the colour tests bound it), the rest is where the pixels are."""
    signed = np.asarray(cv2.cvtColor(np.ascontiguousarray(a), cv2.COLOR_RGB2GRAY), int) - np.asarray(
        cv2.cvtColor(np.ascontiguousarray(b), cv2.COLOR_RGB2GRAY), int)
    offset = float(signed.mean())
    return offset, np.abs(signed - offset)


@pytest.mark.parametrize("name", CLIPS)
@pytest.mark.parametrize("way", WRITERS)
def test_written_pictures_are_the_readers_cropped_never_rescaled(observed, way, name):
    """Pixel for pixel the reader's frame (its odd side's last column/row cropped), away from any flash."""
    src, plan, seen = observed(way, name)
    reader_seen = observed("reader", name)[2]
    w, h = even_display(plan)
    flashed = (seen.event.start_s - 0.05, seen.event.start_s + FLASH_S + 0.1)
    checked = 0
    for k, index in enumerate(seen.indices):
        t = float(plan.stored_times[index])
        if way != "proxy" and flashed[0] <= t <= flashed[1]:
            continue
        full = reader_seen.pictures[index]
        offset, crop = geometry_diff(seen.pictures[k], full[:h, :w])
        # codec noise alone is about 2.7 at crf 23; one pixel off adds 3.3 (measured on these clips)
        assert abs(offset) < 4 and crop.mean() < 3.2 and np.percentile(crop, 99) < 24, (index, offset, crop.mean())
        if (w, h) != (full.shape[1], full.shape[0]):
            rescaled = cv2.resize(np.ascontiguousarray(full), (w, h), interpolation=cv2.INTER_AREA)
            assert crop.mean() < geometry_diff(seen.pictures[k], rescaled)[1].mean(), index  # cropped, not rescaled
        checked += 1
    assert checked >= 3


# --- the reader's random access ----------------------------------------------------------------------


def random_times(plan, n: int = 50, seed: int = 11) -> list:
    """Seeded times over the whole clip, as floats and Fractions, plus the exact ends and frame times."""
    rng = random.Random(seed)
    duration = plan.stored_times[-1] + plan.last_duration
    times: list = [0, duration, plan.stored_times[-1], plan.stored_times[len(plan.stored_times) // 2]]
    while len(times) < n:
        u = rng.random()
        times.append(u * float(duration) if len(times) % 2 else Fraction(u).limit_denominator(10**6) * duration)
    return times


@pytest.mark.parametrize("name", CLIPS)
def test_reader_frame_at_returns_the_frame_shown(media_clip, name):
    path, plan = media_clip(name)
    with VideoReader(path) as reader:
        for t in random_times(plan):
            exact = Fraction(t).limit_denominator(10**6) if isinstance(t, float) else Fraction(t)
            expected = plan.stored_index_at(exact)
            frame = reader.frame_at(t)
            assert frame.index == expected and read_stamp(frame.image) == expected, f"t={t}"
            assert frame.time == plan.stored_times[expected] and frame.time <= exact
            assert frame.image.shape == (plan.display_height, plan.display_width, 3)
            assert frame.image.dtype == np.uint8
        start, end = plan.stored_times[7], plan.stored_times[20] + Fraction(1, 10**6)
        assert [f.index for f in reader.frames(start, end)] == list(range(7, 21))


@pytest.mark.parametrize("name", CLIPS)
def test_reader_steps_forward_and_back(media_clip, name):
    path, plan = media_clip(name)
    rng = random.Random(3)
    with VideoReader(path) as reader:
        assert reader.step(+1).index == 0  # before any read, +1 is the first frame
        position = rng.randrange(5, plan.frame_count - 8)
        reader.frame(position)
        for delta in (1, 1, 1, -1, -1, -1, -1, -1, 4, -2, 1):
            frame = reader.step(delta)
            position += delta
            assert frame.index == position and read_stamp(frame.image) == position
            assert frame.time == plan.stored_times[position]


@pytest.mark.parametrize("name", CLIPS)
def test_proxy_frame_at_shows_the_sources_picture(observed, name):
    """Random access into the proxy lands on the same frame as into the source."""
    src, plan, seen = observed("proxy", name)
    rng = random.Random(17)
    duration = plan.stored_times[-1] + plan.last_duration
    with VideoReader(src) as original, VideoReader(seen.path) as proxy:
        for _ in range(30):
            t = Fraction(rng.random()).limit_denominator(10**6) * duration
            expected = plan.stored_index_at(t)
            p = proxy.frame_at(t)
            assert p.index == expected and read_stamp(p.image) == expected
            assert read_stamp(original.frame_at(t).image) == expected


# --- what every written file is ----------------------------------------------------------------------


@pytest.mark.parametrize("name", CLIPS)
@pytest.mark.parametrize("way", WRITERS)
def test_written_files_are_browser_ready(observed, way, name):
    src, plan, seen = observed(way, name)
    info, facts = probe(seen.path), stream_facts(seen.path)
    assert facts["codec"] == "h264" and facts["pix_fmt"] == "yuv420p"
    assert facts["tags"] == (1, 1, 1, 1)  # BT.709 primaries, transfer, matrix; limited range
    assert info.rotation == 0 and info.sample_aspect_ratio == 1 and info.start_offset == 0
    assert info.browser_playable, info.browser_issues
    data = seen.path.read_bytes()
    assert 0 <= data.find(b"moov") < data.find(b"mdat")  # index first: +faststart
    ends = [*plan.stored_times, plan.stored_times[-1] + plan.last_duration]  # frame i lasts to ends[i + 1]
    assert info.duration == ends[seen.indices[-1] + 1] - ends[seen.indices[0]]
    assert info.frame_count == len(seen.indices)
    assert seen.progress and seen.progress[-1] == (len(seen.indices), len(seen.indices))
    assert [d for d, _ in seen.progress] == sorted(d for d, _ in seen.progress)


@pytest.mark.parametrize("name", CLIPS)
@pytest.mark.parametrize("way", WRITERS)
def test_written_audio_covers_the_video(observed, way, name):
    src, plan, seen = observed(way, name)
    facts = stream_facts(seen.path)
    if plan.audio_codec is None:
        assert facts["audio_codec"] is None
        return
    assert facts["audio_codec"] == "aac"
    if way == "clip":
        expected = float(probe(seen.path).duration)  # cut to the clip's frames
    else:
        expected = float(stream_facts(src)["audio_duration"] or Fraction(decoded_audio_seconds(src)))
    assert abs(decoded_audio_seconds(seen.path) - expected) < 0.025  # one AAC frame


@pytest.mark.parametrize("name", CLIPS)
@pytest.mark.parametrize("way", ["overlay", "clip"])
def test_the_event_flashes_on_its_picture(observed, way, name):
    """The event sits on the frame shown at its time, also when the source's clock starts late."""
    _, plan, seen = observed(way, name)
    shown = plan.stored_index_at(Fraction(str(seen.event.start_s)))
    assert is_colour(seen.pictures[seen.indices.index(shown)], seen.event.kind)
    assert not is_colour(seen.pictures[seen.indices.index(shown) - 1], seen.event.kind, tol=40)
