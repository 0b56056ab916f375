"""The bundled sample recording: a browser-ready H.264 + AAC file whose events sit where its picture changes.

These tests read the committed files (sample_media/checkout.mp4 and checkout.events.csv); nothing is
re-encoded. The script that made them is imported to check that its timeline still gives the same events.
"""

from __future__ import annotations

import csv
import importlib.util
import sys
from collections import deque
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from annotate.model import DEFAULT_ACTORS, DEFAULT_STAGES, KINDS, Event, validate_event
from annotate.timebase import time_to_ms

SAMPLE = Path(__file__).resolve().parent.parent / "sample_media"
VIDEO = SAMPLE / "checkout.mp4"
EVENTS = SAMPLE / "checkout.events.csv"
COLUMNS = ["kind", "start_s", "end_s", "label", "stage", "channel", "actor", "expectation", "emotion", "note"]

# A pixel has changed when one of its channels moves by more than CHANGED_LEVEL (codec noise on a
# still screen stays far below). BIG is the share of the picture that a page, panel, banner, card or
# message appearing changes; STEADY is more than a moving mouse, caret, spinner or clock changes in
# one frame.
CHANGED_LEVEL = 40
BIG = 0.004
STEADY = 0.001


def _load_script():
    spec = importlib.util.spec_from_file_location("make_sample", SAMPLE / "make_sample.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def _rows() -> list[dict[str, str]]:
    with open(EVENTS, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _event_times() -> list[tuple[str, str]]:
    """Return (test id, time text) for every event start and every duration event's end."""
    out = []
    for row in _rows():
        out.append((f"{row['kind']}-{row['label']}-start", row["start_s"]))
        if row["end_s"]:
            out.append((f"{row['kind']}-{row['label']}-end", row["end_s"]))
    return out


@pytest.fixture(scope="module")
def media():
    """Open the sample; return (container, facts about its streams read from the packets)."""
    with av.open(str(VIDEO)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        vpts, apts_end = [], 0
        for packet in container.demux(video, audio):
            if packet.pts is None:
                continue
            if packet.stream.type == "video":
                vpts.append(packet.pts)
            else:
                apts_end = max(apts_end, packet.pts + packet.duration)
        vpts.sort()
        step = vpts[1] - vpts[0]
        facts = {
            "first_pts": vpts[0],
            "frames": len(vpts),
            "duration": (vpts[-1] + step - vpts[0]) * video.time_base,
            "audio_end": apts_end * audio.time_base,
        }
        video.thread_type = "AUTO"
        yield container, facts


def _frames_up_to(container, first_pts: int, t: Fraction, keep: int = 24) -> list[tuple[Fraction, np.ndarray]]:
    """Return the last ``keep`` frames whose time (from the first frame) is <= t, as (time, VideoFrame)."""
    stream = container.streams.video[0]
    tb = stream.time_base
    container.seek(first_pts + max(int((t - Fraction(7, 10)) / tb), 0), stream=stream, backward=True)
    recent: deque = deque(maxlen=keep)
    for frame in container.decode(stream):
        ft = (frame.pts - first_pts) * tb
        if ft > t:
            break
        recent.append((ft, frame))
    return list(recent)


def _changed(a: np.ndarray, b: np.ndarray) -> float:
    """Return the share of pixels that differ clearly between two BGR frames."""
    diff = np.abs(a.astype(np.int16) - b.astype(np.int16)).max(axis=2)
    return float((diff > CHANGED_LEVEL).mean())


def test_sample_is_browser_ready_h264_aac_720p(media):
    container, facts = media
    video, audio = container.streams.video[0], container.streams.audio[0]
    assert VIDEO.stat().st_size < 8_000_000
    assert video.codec_context.name == "h264"
    assert video.codec_context.pix_fmt == "yuv420p"
    assert (video.codec_context.width, video.codec_context.height) == (1280, 720)
    assert video.average_rate == Fraction(30)
    assert audio.codec_context.name == "aac"
    assert 60 <= facts["duration"] <= 90
    assert facts["frames"] == facts["duration"] * 30
    assert abs(facts["audio_end"] - facts["duration"]) < Fraction(1, 10)
    data = VIDEO.read_bytes()
    assert 0 <= data.find(b"moov") < data.find(b"mdat"), "+faststart puts the index before the media data"


def test_last_frame_decodes_at_the_end(media):
    container, facts = media
    frame_time = 1 / Fraction(30)
    frames = _frames_up_to(container, facts["first_pts"], facts["duration"])
    last_time, last = frames[-1]
    assert last_time == facts["duration"] - frame_time
    picture = last.to_ndarray(format="bgr24")
    assert picture.shape == (720, 1280, 3)
    assert picture.std() > 20  # a drawn screen, not a blank frame


def test_events_file_has_all_kinds_with_valid_fields(media):
    _, facts = media
    with open(EVENTS, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header, rows = reader.fieldnames, list(reader)
    assert header == COLUMNS
    assert len(rows) >= 8
    assert {r["kind"] for r in rows} == {k.value for k in KINDS}
    assert any(r["end_s"] for r in rows), "some events have a duration"
    starts = [Fraction(r["start_s"]) for r in rows]
    assert starts == sorted(starts)
    for row in rows:
        assert len(row["start_s"].partition(".")[2]) <= 3
        event = validate_event(
            Event(kind=row["kind"], start_s=row["start_s"], end_s=row["end_s"] or None, label=row["label"],
                  stage=row["stage"], channel=row["channel"], actor=row["actor"],
                  expectation=row["expectation"], emotion=row["emotion"], note=row["note"]),
            duration_s=float(facts["duration"]),
        )
        assert event.kind.value == row["kind"]
        assert 0 <= event.start_s < facts["duration"]
        assert event.end_s is None or event.start_s < event.end_s <= facts["duration"]
        assert row["stage"] in DEFAULT_STAGES
        assert row["actor"] in DEFAULT_ACTORS
        assert event.emotion is not None and -2 <= event.emotion <= 2
        assert row["label"] and row["expectation"] and row["channel"]


@pytest.mark.parametrize("when", [t for _, t in _event_times()], ids=[i for i, _ in _event_times()])
def test_event_time_is_where_the_picture_changes(media, when):
    container, facts = media
    t = Fraction(when)
    frames = _frames_up_to(container, facts["first_pts"], t)
    at_time, at = frames[-1]
    # start_s is the frame's time rounded up to the millisecond: the frame shown at t starts the change
    assert 0 <= t - at_time < Fraction(1, 1000)
    half_second = [f for ft, f in frames if ft <= t - Fraction(1, 2)][-1]
    at, before, before2, half = (f.to_ndarray(format="bgr24") for f in (at, frames[-2][1], frames[-3][1], half_second))
    assert _changed(at, before) >= BIG, "the picture changes on the event's frame"
    assert _changed(at, half) >= BIG, "the picture differs from half a second earlier"
    assert _changed(before, before2) < STEADY, "the picture was steady just before: the change did not start earlier"


def test_sound_follows_the_timeline(media):
    container, _ = media
    audio = container.streams.audio[0]
    container.seek(0)
    chunks, times = [], []
    for frame in container.decode(audio):
        chunks.append(frame.to_ndarray().mean(axis=0))
        times.append(frame.pts * audio.time_base)
    rate = audio.codec_context.sample_rate
    samples = np.concatenate(chunks)
    start = times[0]

    def rms(t0: Fraction, t1: Fraction) -> float:
        a, b = int((t0 - start) * rate), int((t1 - start) * rate)
        return float(np.sqrt(np.mean(samples[a:b] ** 2)))

    hold = next(r for r in _rows() if r["kind"] == "internal_interaction" and r["label"] == "Hand-off")
    h0, h1 = Fraction(hold["start_s"]), Fraction(hold["end_s"])
    quiet = rms(h0 - Fraction(9, 10), h0 - Fraction(1, 10))  # "starting chat": nothing but room tone
    assert rms(h0 + 1, h1 - 1) > 4 * quiet, "hold music plays during the hold"
    greeting = next(r for r in _rows() if r["label"] == "Greeting")
    g0 = Fraction(greeting["start_s"])
    assert rms(g0 + Fraction(3, 10), g0 + 2) > 4 * quiet, "the agent's voice follows the greeting"


def test_script_timeline_gives_the_committed_events(media):
    _, facts = media
    script = _load_script()
    timeline = script.build_timeline()
    assert script.events_csv_text(script.timeline_events(timeline)) == EVENTS.read_text(encoding="utf-8")
    assert script.FRAME_COUNT == facts["frames"]
    assert script.FPS == Fraction(30)
    for spec, row in zip(timeline.events, _rows()):
        assert Fraction(row["start_s"]) == Fraction(time_to_ms(script.frame_time(spec.start)), 1000)
        if spec.end is not None:
            assert Fraction(row["end_s"]) == Fraction(time_to_ms(script.frame_time(spec.end)), 1000)
