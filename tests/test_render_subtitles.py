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
