"""The suggestion analysis on generated clips with known content: cuts, a hold, speech and silences, exact times."""

from __future__ import annotations

import random
from fractions import Fraction

import numpy as np
import pytest

from annotate.errors import MediaError
from annotate.media import VideoReader, inspect
from annotate.suggest import audio
from annotate.suggest.service import analyse
from annotate.suggest.settings import SuggestSettings
from annotate.testing.suggest_clips import espeak_available, make_scene_clip, speech_track
from annotate.timebase import frame_time_to_start_s

FPS = 30
CUTS = [25]
for _gap in random.Random(15).choices(range(12, 41), k=19):
    CUTS.append(CUTS[-1] + _gap)
N_FRAMES = CUTS[-1] + 40
STILL = (45, 45 + 10 * FPS)  # 10 s of one unchanging picture


@pytest.fixture(scope="module")
def scene_clip(tmp_path_factory):
    path = make_scene_clip(tmp_path_factory.mktemp("suggest") / "scenes.mp4", n_frames=N_FRAMES, cuts=CUTS, fps=FPS)
    return path, analyse(path, SuggestSettings())


@pytest.fixture(scope="module")
def still_clip(tmp_path_factory):
    path = make_scene_clip(tmp_path_factory.mktemp("suggest") / "still.mp4", n_frames=STILL[1] + 45, still=STILL,
                           fps=FPS)
    return path, analyse(path, SuggestSettings())


def _times(path):
    return inspect(path)[1].frame_times


def _index_of(times, start_s):
    """Return the frame a start_s shows: the last frame whose time is <= start_s."""
    return max(i for i, t in enumerate(times) if t <= Fraction(start_s).limit_denominator(10**6))


def test_twenty_hard_cuts_are_found_at_their_first_new_frame(scene_clip):
    path, found = scene_clip
    times = _times(path)
    got = [_index_of(times, s.start_s) for s in found if s.type == "cut"]
    matched = [c for c in CUTS if any(abs(g - c) <= 1 for g in got)]
    true_positives = [g for g in got if any(abs(g - c) <= 1 for c in CUTS)]
    assert len(matched) / len(CUTS) >= 0.95, (got, CUTS)
    assert len(true_positives) / max(len(got), 1) >= 0.95, (got, CUTS)
    assert all(min(abs(g - c) for g in got) <= 1 for c in matched)
    assert got == CUTS  # in fact exact on this clip


def test_a_cut_time_shows_the_new_picture_as_a_mark_would(scene_clip):
    path, found = scene_clip
    times = _times(path)
    cut = next(s for s in found if s.type == "cut")
    frame = CUTS[0]
    assert cut.start_s == frame_time_to_start_s(times[frame]) and cut.end_s is None
    assert cut.reason == "screen changed" and cut.suggested_kind == "decision_point" and 0 < cut.score <= 1
    with VideoReader(path) as reader:
        shown = reader.frame_at(cut.start_s).image.astype(int)
        before = reader.frame(frame - 1).image.astype(int)
        after = reader.frame(frame + 1).image.astype(int)
    assert np.abs(shown - before).mean() > 40  # a different picture from the frame before
    assert np.abs(shown - after).mean() < np.abs(shown - before).mean() / 4  # the one that continues


def test_a_ten_second_still_stretch_is_one_hold_within_two_frames(still_clip):
    path, found = still_clip
    times = _times(path)
    holds = [s for s in found if s.type == "hold"]
    assert len(holds) == 1, holds
    hold = holds[0]
    frame = Fraction(1, FPS)
    assert abs(Fraction(hold.start_s).limit_denominator(10**6) - times[STILL[0]]) <= 2 * frame
    assert abs(Fraction(hold.end_s).limit_denominator(10**6) - times[STILL[1]]) <= 2 * frame
    assert hold.reason == "screen still for 10 s" and hold.suggested_kind == "internal_interaction"
    assert hold.detail["stillness"] > 0.9
    # motion stopping and starting again is no screen change
    assert [s for s in found if s.type == "cut"] == []


def test_steady_motion_is_neither_a_hold_nor_a_cut(scene_clip):
    path, found = scene_clip
    assert [s for s in found if s.type == "hold"] == []
    assert len([s for s in found if s.type == "cut"]) == len(CUTS)


def test_a_longer_hold_scores_higher(tmp_path):
    short = make_scene_clip(tmp_path / "short.mp4", n_frames=260, still=(30, 30 + 6 * FPS), fps=FPS)
    long = make_scene_clip(tmp_path / "long.mp4", n_frames=500, still=(30, 30 + 14 * FPS), fps=FPS)
    (a,), (b,) = ([s for s in analyse(p) if s.type == "hold"] for p in (short, long))
    assert b.score > a.score and b.reason == "screen still for 14 s"


def test_variable_frame_rate_and_a_late_first_timestamp_keep_cut_times_exact(tmp_path):
    rng = random.Random(4)
    steps = [Fraction(1, 30), Fraction(1, 60), Fraction(1, 15), Fraction(1, 10), Fraction(7, 90)]
    times = [Fraction(0)]
    for _ in range(399):
        times.append(times[-1] + rng.choice(steps))
    cuts = [30, 75, 140, 200, 260, 333]
    path = make_scene_clip(tmp_path / "vfr.mp4", n_frames=400, cuts=cuts, frame_times=times,
                           start_offset_s=Fraction(10))
    info, index = inspect(path)
    assert info.vfr and index.start_offset == 10 and index.frame_times == times
    got = [s.start_s for s in analyse(path) if s.type == "cut"]
    assert got == [frame_time_to_start_s(times[c]) for c in cuts]


def test_no_audio_track_gives_no_sound_suggestions_and_no_error(still_clip):
    path, found = still_clip
    assert not inspect(path)[0].has_audio
    assert {s.type for s in found} == {"hold"}


@pytest.fixture(scope="module")
def speech_clip(tmp_path_factory):
    if not espeak_available():
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)")
    samples, rate, spans = speech_track([1.5, "the order was placed yesterday", 4.0,
                                         "can you check the delivery status please", 3.5, "thank you very much", 1.0])
    n = int(samples.size / rate * FPS)
    path = make_scene_clip(tmp_path_factory.mktemp("speech") / "call.mp4", n_frames=n, fps=FPS, width=160,
                           height=120, audio=samples, audio_rate=rate, start_offset_s=Fraction(7, 3))
    return path, spans, analyse(path)


def test_speech_segments_are_found_within_a_tenth_of_a_second(speech_clip):
    path, spans, found = speech_clip
    speech = [(s.start_s, s.end_s) for s in found if s.type == "speech"]
    assert len(speech) == len(spans), speech
    for (a, b), (x, y) in zip(speech, spans):
        assert abs(a - x) <= 0.1 and abs(b - y) <= 0.1, (speech, spans)


def test_long_silences_between_speech_are_found_within_a_tenth_of_a_second(speech_clip):
    path, spans, found = speech_clip
    silences = [s for s in found if s.type == "silence"]
    expected = [(b, c) for (_, b), (c, _) in zip(spans, spans[1:])]
    assert [s.reason for s in silences] == ["silence 4 s", "silence 4 s"]  # 3.5 s rounds to 4
    for s, (x, y) in zip(silences, expected, strict=True):
        assert abs(s.start_s - x) <= 0.1 and abs(s.end_s - y) <= 0.1
        assert s.suggested_kind == "internal_interaction"
    assert silences[0].score > silences[1].score  # the longer silence is the stronger suggestion


def test_a_short_pause_is_not_a_silence(speech_clip):
    path, spans, _ = speech_clip
    stricter = analyse(path, SuggestSettings(silence_min_s=3.8))
    assert [round(s.end_s - s.start_s) for s in stricter if s.type == "silence"] == [4]


def test_silence_alone_is_no_speech_and_no_silence(tmp_path):
    quiet = np.zeros(22050 * 6, dtype=np.int16)
    path = make_scene_clip(tmp_path / "quiet.mp4", n_frames=180, fps=FPS, width=160, height=120, audio=quiet)
    assert inspect(path)[0].has_audio
    assert [s for s in analyse(path) if s.type in ("speech", "silence")] == []
    assert audio.speech_runs(path, 2)[1] == []


def test_a_damaged_file_raises_a_media_error(bad_media):
    with pytest.raises(MediaError):
        analyse(bad_media["truncated"])


def test_thresholds_come_from_the_environment_and_bad_values_are_refused(monkeypatch):
    from annotate.errors import ValidationError

    monkeypatch.setenv("ANNOTATE_SUGGEST_HOLD_MIN_S", "8")
    monkeypatch.setenv("ANNOTATE_SUGGEST_ANALYSIS_WIDTH", "128")
    settings = SuggestSettings.from_env()
    assert settings.hold_min_s == 8.0 and settings.analysis_width == 128
    assert settings.digest != SuggestSettings().digest
    monkeypatch.setenv("ANNOTATE_SUGGEST_CUT_MIN_CHANGE", "lots")
    with pytest.raises(ValidationError, match="ANNOTATE_SUGGEST_CUT_MIN_CHANGE"):
        SuggestSettings.from_env()


def test_memory_does_not_grow_with_the_recordings_length(tmp_path):
    import tracemalloc

    from annotate.testing.clips import repeat_clip

    noise = (np.random.default_rng(3).normal(0, 3000, 22050 * 10)).astype(np.int16)  # audio to decode all along
    short = make_scene_clip(tmp_path / "ten.mp4", n_frames=300, cuts=[100, 200], fps=FPS, width=160, height=90,
                            audio=noise)
    long = repeat_clip(short, tmp_path / "eighty.mp4", 8)
    peaks = []
    for path in (short, long):
        analyse(path)  # imports and first-use caches out of the way
        runs = []
        for _ in range(3):  # the peak depends on how many pictures wait in the queue then (up to 6 x 100 kB here)
            tracemalloc.start()
            found = analyse(path)
            runs.append(tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
            assert len([s for s in found if s.type == "cut"]) >= 2
        peaks.append(min(runs))
    # what grows is the time index the probe reads (about 100-200 bytes a frame at its peak), never a picture:
    # keeping even the grey one (14.4 kB here) would grow 20 times the bound
    assert (peaks[1] - peaks[0]) / (7 * 300) < 14_400 / 20, peaks
