"""``annotate render``, ``clip`` and ``reel`` from the command line, on a bare video and on stored recordings."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

from annotate.cli import main
from annotate.testing import make_clip, plan_clip, read_stamp

RED = np.array([214, 39, 40])
GREEN = np.array([44, 160, 44])
CLIP = dict(n_frames=90)  # 3 s at 29.97 fps, 320x240, AAC tone


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli_video") / "checkout.mp4"
    return make_clip(path, **CLIP), plan_clip(path, **CLIP)


@pytest.fixture
def events_csv(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("kind,start_s,label\nMOT,0.51,Form error\nDEC,1.52,Zahlung wählen\nINT,2.2,Hand-off\n", encoding="utf-8")
    return path


def frames_rgb(path):
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(c.streams.video[0])]


def top_border(rgb):
    return rgb[2:6, 100:220].reshape(-1, 3).mean(axis=0)


def test_render_video_with_events_csv(video, events_csv, tmp_path, capsys):
    src, plan = video
    out = tmp_path / "overlay.mp4"
    assert main(["render", str(src), "--events", str(events_csv), "-o", str(out), "--no-captions", "--crf", "20"]) == 0
    frames = frames_rgb(out)
    assert len(frames) == plan.frame_count
    assert np.abs(top_border(frames[plan.index_at(Fraction("0.51"))]) - RED).max() < 14
    assert np.abs(top_border(frames[plan.index_at(Fraction("1.52"))]) - GREEN).max() < 14
    assert read_stamp(frames[5][..., ::-1]) == 5  # before any flash (their name tabs cover the stamp)
    between = plan.index_at(Fraction("1.4"))  # after the MOT's flash, before the DEC's
    assert read_stamp(frames[between][..., ::-1]) == between
    assert "3 events" in capsys.readouterr().out


def test_render_stored_recording(video, events_csv, tmp_path, capsys):
    src, plan = video
    data = tmp_path / "data"
    assert main(["--data-dir", str(data), "add", str(src), "--no-proxy"]) == 0
    rec_id = capsys.readouterr().out.split()[0]
    assert main(["--data-dir", str(data), "import", str(events_csv), "--recording", rec_id]) == 0
    out = tmp_path / "stored.mp4"
    assert main(["--data-dir", str(data), "render", "--recording", rec_id, "-o", str(out), "--no-timeline"]) == 0
    frames = frames_rgb(out)
    assert len(frames) == plan.frame_count
    assert np.abs(top_border(frames[plan.index_at(Fraction("0.51"))]) - RED).max() < 14
    # a reel of the stored MOTs: one card (2 s at 30 fps) and one clip
    reel = tmp_path / "reel.mp4"
    assert main(["--data-dir", str(data), "reel", "--recording", rec_id, "--kind", "moment_of_truth",
                 "--before", "0.5", "--after", "0.5", "-o", str(reel)]) == 0
    first = plan.index_at(Fraction("0.01"))
    stop = next(i for i, t in enumerate(plan.times) if t >= Fraction("1.01"))
    assert len(frames_rgb(reel)) == 60 + stop - first


@pytest.mark.parametrize("strip, extra_rows", [("below", 16), ("overlay", 0)])
def test_render_puts_the_strip_below_the_picture_unless_asked_to_overlay(video, events_csv, tmp_path, strip, extra_rows):
    src, plan = video
    out = tmp_path / f"{strip}.mp4"
    assert main(["render", str(src), "--events", str(events_csv), "-o", str(out), "--strip", strip]) == 0
    with av.open(str(out)) as c:
        assert (c.streams.video[0].width, c.streams.video[0].height) == (320, 240 + extra_rows)
    frames = frames_rgb(out)
    assert read_stamp(frames[5][:240, :, ::-1]) == 5  # the picture itself is where it was


def test_clip_with_timecode(video, events_csv, tmp_path):
    src, plan = video
    out = tmp_path / "clip.mp4"
    assert main(["clip", str(src), "--events", str(events_csv), "--at", "00:00:01.520", "--before", "0.5",
                 "--after", "0.5", "-o", str(out), "--no-overlay"]) == 0
    frames = frames_rgb(out)
    first = plan.index_at(Fraction("1.02"))
    assert read_stamp(frames[0][..., ::-1]) == first
    assert np.abs(top_border(frames[plan.index_at(Fraction("1.52")) - first]) - GREEN).max() > 40  # no overlay


@pytest.mark.parametrize("args,message", [
    (["clip", "{src}", "--at", "99", "-o", "{out}"], "outside"),
    (["reel", "{src}", "--events", "{csv}", "--kind", "purple", "-o", "{out}"], "unknown kind"),
    (["render", "{tmp}/missing.mp4", "-o", "{out}"], "does not exist"),
    (["render", "{src}", "--events", "{csv}", "--recording", "1", "-o", "{out}"], "either"),
])
def test_user_errors_are_one_line_and_write_nothing(video, events_csv, tmp_path, capsys, args, message):
    src, _ = video
    out = tmp_path / "out.mp4"
    argv = [a.format(src=src, out=out, csv=events_csv, tmp=tmp_path) for a in args]
    assert main(["--data-dir", str(tmp_path / "data"), *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and "Traceback" not in err
    assert not out.exists()
