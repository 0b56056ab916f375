"""The test-clip generator itself: stamps survive codecs, plans match files."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

from annotate.testing import draw_stamp, make_clip, plan_clip, read_stamp


@pytest.mark.parametrize("index", [0, 1, 2, 1000, 2**20 - 1])
@pytest.mark.parametrize("size", [(240, 320), (320, 240), (241, 321), (720, 1280)])
def test_stamp_round_trip(index, size):
    image = np.full((*size, 3), 90, np.uint8)
    assert read_stamp(draw_stamp(image, index)) == index


def test_unreadable_pictures_are_refused():
    with pytest.raises(ValueError):
        read_stamp(np.full((240, 320, 3), 128, np.uint8))
    stamped = draw_stamp(np.zeros((240, 320, 3), np.uint8), 5)
    with pytest.raises(ValueError):
        read_stamp(np.ascontiguousarray(np.rot90(stamped)))  # sideways is not upright
    with pytest.raises(ValueError):
        draw_stamp(stamped, 2**20)


def test_rotated_clip_stores_the_picture_turned_back(tmp_path):
    path = make_clip(tmp_path / "r.mp4", n_frames=4, rotation=270, audio=False)
    with av.open(str(path)) as c:
        frame = next(c.decode(video=0))
        assert (frame.width, frame.height) == (320, 240)
        assert frame.rotation == 90  # PyAV counts counter-clockwise: 270 clockwise
        coded = frame.to_ndarray(format="bgr24")
    upright = np.ascontiguousarray(np.rot90(coded, k=-3))
    assert read_stamp(upright) == 0


def test_planned_vfr_times_are_written_exactly(tmp_path):
    times = [Fraction(0), Fraction(1, 30), Fraction(1, 10), Fraction(1, 3), Fraction(7, 20)]
    path = make_clip(tmp_path / "v.mkv", frame_times=times, audio=False, bframes=False)
    plan = plan_clip(path, frame_times=times)
    with av.open(str(path)) as c:
        pts = sorted(f.pts for f in c.decode(video=0))
        tb = c.streams.video[0].time_base
    assert [p * tb for p in pts] == list(plan.stored_times)
    assert plan.vfr and plan.duration == Fraction(7, 20) + Fraction(1, 60)
