"""Reel title cards list an event the way the method describes a Moment of Truth: note, channel and
expectation with the stage and the emotion, wrapped and legible, nothing for an empty field, the short
name beside the kind's colour. Checked through the layout function that decides the lines, and on the
card frame decoded from a real reel.
"""

from __future__ import annotations

import av
import numpy as np
import pytest

from annotate.export import ExportOptions, reel_items, render_reel
from annotate.model import Event, Kind
from annotate.render import MIN_TEXT_PX, CardFields, card_layout, draw_card, text_width
from annotate.testing.clips import make_clip

MOT_RGB = np.array((214, 39, 40))
BACKGROUND = np.array((24, 24, 28))
LONG_NOTE = (
    "The customer typed the postcode three times and the form kept saying it was invalid although it was "
    "right; they gave up and phoned the hotline instead of finishing online, then waited twelve minutes in "
    "the queue and asked twice whether the order had gone through. Supercalifragilisticexpialidocious"
    "postcodeformfieldthatneverends. "
) * 2
EVENT = Event(Kind.MOMENT_OF_TRUTH, 1.0, label="Postcode rejected at checkout", stage="Purchase", emotion=-2,
              note=LONG_NOTE, channel="", expectation="", actor="Agent")


def fields(**changes) -> CardFields:
    return CardFields.of_event(EVENT.replace(**changes), "Checkout recording 3")


@pytest.mark.parametrize("size", [(320, 258), (640, 360), (1280, 720), (240, 180)])
def test_lines_fit_the_width_and_stay_legible(size):
    w, h = size
    layout = card_layout(fields(), w, h)
    assert layout.lines
    for line in layout.lines:
        assert line.size >= MIN_TEXT_PX
        assert layout.left <= line.x and line.right <= layout.right <= w, line.text
        assert text_width(line.text, line.size) <= layout.right - layout.left
        assert layout.top <= line.y and line.y + line.height <= layout.bottom <= h, line.text
    ys = [line.y for line in layout.lines]
    assert ys == sorted(ys) and all(b.y >= a.y + a.height for a, b in zip(layout.lines, layout.lines[1:]))


def test_long_note_wraps_then_ends_with_an_ellipsis():
    layout = card_layout(fields(), 640, 360)
    texts = [line.text for line in layout.lines]
    note = [t for t in texts if t.startswith("Note:")]
    assert len(note) == 1
    start = texts.index(note[0])
    body = texts[start : start + 4]
    assert len(body) > 1  # wrapped onto more lines
    assert any(t.endswith("…") for t in body)  # and cut, not overflowing
    joined = " ".join(texts)
    assert "Stage: Purchase" in joined and "−2 very negative" in joined
    assert "Checkout recording 3" in joined and "00:00:01.000" in joined


def test_empty_fields_make_no_line():
    texts = [line.text for line in card_layout(fields(), 640, 360).lines]
    assert not any(t.startswith(("Channel", "Expectation")) for t in texts)
    bare = [line.text for line in card_layout(fields(note="", stage="", emotion=None), 640, 360).lines]
    assert not any(t.startswith(("Note", "Channel", "Expectation", "Stage", "Emotion")) for t in bare)
    assert len(bare) == 3  # kind, label, recording and time
    full = [line.text for line in card_layout(fields(note="Short.", channel="Phone", expectation="Solved in one call"),
                                              640, 360).lines]
    assert "Note: Short." in full and "Channel: Phone" in full and "Expectation: Solved in one call" in full


def test_short_name_sits_beside_the_kind_colour():
    layout = card_layout(fields(), 640, 360)
    head = layout.lines[0]
    assert head.chip == "MOT" and head.text == "Moment of Truth"
    img = draw_card(layout)[..., ::-1].astype(int)  # RGB
    chip = img[head.y : head.y + head.height, head.x : head.x + 8]
    assert (np.abs(chip - MOT_RGB).max(axis=2) <= 2).mean() > 0.8
    white = (img[head.y : head.y + head.height, head.x : head.x + head.height * 3] > 240).all(axis=2)
    assert white.sum() > 30  # the letters of MOT on the chip


def test_a_tiny_card_cuts_rather_than_overflows():
    layout = card_layout(fields(channel="Phone", expectation="Fixed first time " * 10), 160, 120)
    assert layout.cut
    assert all(line.size >= MIN_TEXT_PX and line.y + line.height <= layout.bottom for line in layout.lines)
    assert layout.lines[-1].text.endswith("…")


def test_reel_card_frame_has_text_where_the_layout_puts_it(tmp_path):
    src = make_clip(tmp_path / "src.mp4", width=320, height=240, fps=30, n_frames=60, audio=False)
    items = reel_items([(src, [EVENT])])
    dst = render_reel(items, tmp_path / "reel.mp4", before_s=0.2, after_s=0.2, card_s=0.5,
                      options=ExportOptions(audio=False))
    with av.open(str(dst)) as c:
        card = next(iter(c.decode(video=0))).to_ndarray(format="rgb24").astype(int)
    h, w = card.shape[:2]
    layout = card_layout(CardFields.of_event(EVENT, "src"), w, h)
    text = (card > 200).all(axis=2)  # white text pixels
    lit = (np.abs(card - BACKGROUND).max(axis=2) > 40)
    for line in layout.lines[1:]:  # every line below the header has white or grey text pixels in its box
        box = lit[line.y : line.y + line.height, line.x : line.right]
        assert box.sum() > 10, line.text
    band = layout.band
    # nothing drawn outside the text box: the margins between it and the kind's colour bands stay background
    assert not lit[:, layout.right + 2 : w - band - 2].any()
    assert not lit[: layout.lines[0].y - 2, band + 2 : w - band - 2].any()
    assert not lit[layout.lines[-1].y + layout.lines[-1].height + 2 :, band + 2 : w - band - 2].any()
    assert text[layout.lines[1].y : layout.lines[1].y + layout.lines[1].height].sum() > 50  # the label
    # the kind's colour bands at both sides
    assert (np.abs(card[:, 2] - MOT_RGB).max(axis=1) <= 16).mean() > 0.9
    assert (np.abs(card[:, w - 3] - MOT_RGB).max(axis=1) <= 16).mean() > 0.9
