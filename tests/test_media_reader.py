"""VideoReader beyond the frame contract (tests/test_contract_frames.py checks frame_at, steps and iteration
on every standard clip): range errors, threading and skipping, decoder position, memory."""

from __future__ import annotations

import random
import tracemalloc
from fractions import Fraction

import cv2
import numpy as np
import pytest

from annotate import errors
from annotate.media import VideoReader
from annotate.testing import make_clip, read_stamp


def test_times_outside_the_recording_are_refused(media_clip):
    path, plan = media_clip("cfr")
    with VideoReader(path) as reader:
        duration = reader.info.duration
        assert reader.frame_at(duration).index == plan.frame_count - 1
        for bad in (-0.001, duration + Fraction(1, 1000), float(duration) + 0.01):
            with pytest.raises(errors.FrameOutOfRangeError):
                reader.frame_at(bad)
        for index in (-1, plan.frame_count):
            with pytest.raises(errors.FrameOutOfRangeError):
                reader.frame(index)
        reader.frame(plan.frame_count - 1)
        with pytest.raises(errors.FrameOutOfRangeError):
            reader.step(+1)


@pytest.mark.parametrize("thread_type", ["AUTO", "SLICE", "FRAME", "NONE"])
@pytest.mark.parametrize("skip_nonref", [True, False])
@pytest.mark.parametrize("name", ["cfr", "vfr_bframes", "hevc"])
def test_exact_with_every_threading_and_skipping(media_clip, name, thread_type, skip_nonref):
    """Skipping non-reference frames on the way must never change which frame arrives (or its pixels' stamp)."""
    path, plan = media_clip(name)
    rng = random.Random(5)
    with VideoReader(path, thread_type=thread_type, skip_nonref=skip_nonref) as reader:
        for _ in range(40):
            index = rng.randrange(plan.frame_count)
            reader.clear_cache()
            frame = reader.frame(index)
            assert read_stamp(frame.image) == index
            if index + 1 < plan.frame_count:
                assert read_stamp(reader.step(+1).image) == index + 1


def test_forward_steps_keep_the_decoder_position(media_clip):
    path, plan = media_clip("cfr")
    with VideoReader(path) as reader:
        reader.frame(3)
        seeks = reader.seeks
        for i in range(4, 40):
            reader.clear_cache()
            assert read_stamp(reader.frame(i).image) == i
        assert reader.seeks == seeks  # every frame came from decoding onward, none from a new seek


def test_the_same_frame_is_identical_however_it_is_reached(media_clip):
    path, plan = media_clip("cfr")
    with VideoReader(path) as reader:
        sequential = {f.index: f.image.copy() for f in reader.frames() if f.index in (20, 45, 70)}
        for index, image in sequential.items():
            reader.clear_cache()
            reader.frame(plan.frame_count - 1)  # move away so that reaching it takes a seek
            reader.clear_cache()
            assert np.array_equal(reader.frame(index).image, image)


def test_rotated_frames_come_out_upright(media_clip):
    path, plan = media_clip("rotated")
    with VideoReader(path) as reader:
        frame = reader.frame(12)
    # OpenCV applies the display matrix itself: an independent check of our convention.
    cap = cv2.VideoCapture(str(path))
    for _ in range(13):
        ok, image = cap.read()
    cap.release()
    assert ok and image.shape == frame.image.shape
    assert read_stamp(image) == 12 == read_stamp(frame.image)
    assert np.abs(image.astype(int) - frame.image.astype(int)).mean() < 3


def test_memory_does_not_grow_while_iterating(tmp_path):
    """Iterating 300 frames holds a few pictures at a time, not all of them."""
    path = make_clip(tmp_path / "long.mp4", n_frames=300, audio=False)
    frame_bytes = 240 * 320 * 3
    with VideoReader(path) as reader:
        tracemalloc.start()
        count = 0
        for frame in reader.frames():
            count += frame.index == read_stamp(frame.image)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert count == 300
        assert peak < 20 * frame_bytes  # all 300 would be 60x


def test_random_access_memory_is_bounded(tmp_path):
    """frame(i) over 300 frames keeps a bounded cache of returned pictures (24 MB), not all of them."""
    path = make_clip(tmp_path / "long.mp4", n_frames=300, audio=False)
    frame_bytes = 240 * 320 * 3
    with VideoReader(path) as reader:
        tracemalloc.start()
        count = sum(read_stamp(reader.frame(i).image) == i for i in range(300))
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert count == 300
    assert 300 * frame_bytes > 2 * 30 * 2**20 and peak < 30 * 2**20
