"""Transcript subtitles on the overlay (annotate.render.subtitles): the line said at a frame's time, drawn at
the bottom of the picture on a dark box, nothing drawn between lines, the top of the picture untouched."""

from __future__ import annotations

import numpy as np

from annotate.render.canvas import BGRCanvas
from annotate.render.subtitles import SubtitleAnnotator, lines_from
from annotate.transcripts.lines import Line


def frame(w=640, h=360, value=128):
    return np.full((h, w, 3), value, np.uint8)


def test_the_line_said_is_found_by_time_and_none_between_lines():
    sub = SubtitleAnnotator([(1.0, 2.0, "Ana: hello"), (2.5, 4.0, "Bo: hi"), (3.0, 3.5, "Ana: sorry")])
    assert [sub.line_at(t) for t in (0.5, 1.0, 1.99, 2.0, 2.2, 2.6, 3.2, 3.6, 4.0)] == [
        None, 0, 0, None, None, 1, 2, 1, None]
    assert sub.changes(1.5) and not sub.changes(2.2)


def test_a_subtitle_is_drawn_at_the_bottom_and_only_there():
    sub = SubtitleAnnotator(lines_from([Line(1000, 2000, "the card was charged twice", "Customer")]))
    picture = frame()
    sub.draw(BGRCanvas(picture), 1.5)
    changed = np.flatnonzero((picture != 128).any(axis=(1, 2)))
    assert changed.size and changed.min() > 360 * 0.6 and changed.max() < 360  # rows near the bottom only
    rows = picture[changed]
    assert (rows.max(axis=2) > 230).any() and (rows.min(axis=2) < 60).any()  # white text on a dark box
    untouched = frame()
    sub.draw(BGRCanvas(untouched), 2.5)
    assert (untouched == 128).all()


def test_a_long_line_wraps_within_the_picture():
    text = "word " * 200
    sub = SubtitleAnnotator([(0.0, 5.0, text)])
    patch = sub.patch(0, 320, 240)
    assert patch.width <= 320 and patch.height < 240 / 2
    assert sub.patch(0, 320, 240) is patch  # rasterised once per size


def test_the_overlay_video_carries_the_transcript_as_subtitles(data_dir, no_sample, tmp_path):
    """Rendered through the app's plan (as the Play page and the queue do), decoded and compared with the same
    render without subtitles: only frames inside a line differ, and only in the picture's lower part."""
    import av

    from annotate.app import playback
    from annotate.app.recordings import add_recording
    from annotate.export.options import ExportOptions
    from annotate.testing import make_clip
    from annotate.ui import services

    store, settings = services.store(), services.settings()
    clip = make_clip(tmp_path / "call.mp4", n_frames=50, fps=25, audio=False, width=320, height=240)
    rec, _ = add_recording(store, settings, clip)
    store.transcripts.replace(rec.id, [Line(400, 1200, "I was charged twice", "Customer")])

    def frames(subtitles: bool) -> list[tuple[float, np.ndarray]]:
        options = ExportOptions.make(subtitles=subtitles, flash=False, captions=False, timeline=False)
        plan = playback.plan_overlay(store, settings, rec.id, options)
        out = plan.run(None)
        with av.open(str(out)) as c:
            return [(float(f.time), f.to_ndarray(format="gray")) for f in c.decode(video=0)]

    plain, subbed = frames(False), frames(True)
    assert len(plain) == len(subbed) == 50
    low = int(240 * 0.6)
    for (t, a), (t2, b) in zip(plain, subbed):
        assert t == t2
        diff = np.abs(a.astype(int) - b.astype(int)) > 40  # beyond codec noise
        if 0.4 <= t < 1.2:
            assert diff[low:].mean() > 0.03, t  # a subtitle box and its text, low in the picture
            assert diff[:low].mean() < 0.002, t  # the rest is the same picture
        else:
            assert diff.mean() < 0.002, t  # no subtitle before the line starts or after it ends
