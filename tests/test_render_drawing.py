"""Drawing layer: pure functions on numpy frames and on Y/U/V planes; no files."""

from __future__ import annotations

import numpy as np
import pytest

from annotate.errors import ValidationError
from annotate.model import Event, Kind
from annotate.render import (
    BGRCanvas,
    CaptionAnnotator,
    Color,
    FlashAnnotator,
    Mark,
    Overlay,
    OverlayOptions,
    Patch,
    TimelineAnnotator,
    YUVCanvas,
    border_px,
    render_text,
    strip_band_px,
    text_width,
    title_card,
    wrap_text,
)

KIND_RGB = {Kind.MOMENT_OF_TRUTH: (0xD6, 0x27, 0x28), Kind.INTERNAL_INTERACTION: (0x1F, 0x77, 0xB4), Kind.DECISION_POINT: (0x2C, 0xA0, 0x2C)}
FPS = 30.0


def grey(h=240, w=320, value=128):
    return np.full((h, w, 3), value, np.uint8)


def textured(h=240, w=320, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)


def bt709_rgb(y, u, v):
    """Independent BT.709 limited-range Y'CbCr -> RGB (the textbook matrix)."""
    yy, cb, cr = (y - 16) * 255 / 219, (u - 128) * 255 / 224, (v - 128) * 255 / 224
    r = yy + 1.5748 * cr
    g = yy - 0.1873 * cb - 0.4681 * cr
    b = yy + 1.8556 * cb
    return np.clip(np.round([r, g, b]), 0, 255)


# --- colour ------------------------------------------------------------------


def test_color_from_hex_and_kind_palette():
    assert Color.from_hex("#D62728").rgb == (214, 39, 40)
    assert Color.from_hex("1f77b4").bgr == (180, 119, 31)
    for kind, rgb in KIND_RGB.items():
        assert Color.for_kind(kind).rgb == rgb
    with pytest.raises(ValidationError):
        Color.from_hex("#12345")
    with pytest.raises(ValidationError):
        Color.from_hex("#GGGGGG")


@pytest.mark.parametrize("kind", list(Kind))
def test_yuv709_values_decode_back_to_the_kind_colour(kind):
    y, u, v = Color.for_kind(kind).yuv709
    assert 16 <= y <= 235 and 16 <= u <= 240 and 16 <= v <= 240
    assert np.abs(bt709_rgb(y, u, v) - KIND_RGB[kind]).max() <= 3


# --- flash -------------------------------------------------------------------


@pytest.mark.parametrize("size", [(240, 320), (720, 1280), (1080, 1920), (241, 321)])
def test_border_thickness_is_at_least_8px_and_2_percent(size):
    h, w = size
    assert border_px(w, h) >= max(8, 0.02 * min(w, h))
    frame = grey(h, w)
    mark = Mark(1.0, Kind.MOMENT_OF_TRUTH)
    FlashAnnotator(tint=0).annotate(frame, 1.0, [mark], next_t=1.0 + 1 / FPS)
    t = int(np.ceil(max(8, 0.02 * min(w, h))))
    red = np.array(KIND_RGB[Kind.MOMENT_OF_TRUTH][::-1])
    for edge in (frame[:t, :], frame[-t:, :], frame[:, :t], frame[:, -t:]):
        assert (edge == red).all()
    inner = frame[border_px(w, h) : h - border_px(w, h), border_px(w, h) : w - border_px(w, h)]
    assert (inner == 128).all()  # tint off: nothing inside the border changes


def test_flash_first_frame_is_the_frame_shown_at_start():
    start = 1.01  # between frames at 1.0 and 1.0333
    flash = FlashAnnotator()
    mark = Mark(start, Kind.DECISION_POINT)
    assert flash.alpha(mark, 1.0 - 1 / FPS, 1.0) == 0  # frame before
    assert flash.alpha(mark, 1.0, 1.0 + 1 / FPS) == 1  # shown at 1.01: fully opaque
    assert 0 < flash.alpha(mark, 1.0 + 1 / FPS, 1.0 + 2 / FPS) < 1


def test_flash_fades_linearly_to_nothing_over_flash_s():
    flash = FlashAnnotator(flash_s=0.8)
    mark = Mark(2.0, Kind.INTERNAL_INTERACTION)
    times = [2.0 + k / FPS for k in range(40)]
    alphas = [flash.alpha(mark, t, t + 1 / FPS) for t in times]
    assert alphas[0] == 1
    assert all(a >= b for a, b in zip(alphas, alphas[1:]))
    assert alphas[12] == pytest.approx(1 - 12 / FPS / 0.8)
    assert alphas[24] == 0 and alphas[-1] == 0  # 24 frames = 0.8 s


def test_drawn_border_fades_monotonically():
    mark = Mark(0.5, Kind.MOMENT_OF_TRUTH)
    red = np.array(KIND_RGB[Kind.MOMENT_OF_TRUTH][::-1], float)
    distances = []
    for k in range(30):
        t = 0.5 + k / FPS
        frame = FlashAnnotator().annotate(grey(), t, [mark], next_t=t + 1 / FPS)
        distances.append(np.abs(frame[2, 160].astype(float) - red).sum())
    assert distances[0] == 0
    assert all(a <= b for a, b in zip(distances, distances[1:]))
    assert distances[-1] == np.abs(np.array([128, 128, 128]) - red).sum()  # gone


def test_tint_shifts_the_picture_towards_the_kind_colour_and_fades():
    mark = Mark(0.0, Kind.INTERNAL_INTERACTION)
    levels = []
    for t in (0.0, 0.3, 0.6, 0.9):
        frame = FlashAnnotator().annotate(grey(), t, [mark], next_t=t + 1 / FPS)
        levels.append(int(np.abs(frame[120, 160].astype(int) - 128).sum()))  # inside the border
    blue = np.array(KIND_RGB[Kind.INTERNAL_INTERACTION][::-1])
    assert levels[0] >= 0.1 * np.abs(blue - 128).sum()
    assert levels[0] >= levels[1] >= levels[2] >= levels[3] == 0


def test_duration_event_keeps_a_thin_border_for_its_span():
    mark = Mark(1.0, Kind.INTERNAL_INTERACTION, end_s=3.0)
    blue = np.array(KIND_RGB[Kind.INTERNAL_INTERACTION][::-1])
    for t, expected in ((2.0, True), (2.99, True), (3.1, False)):
        frame = FlashAnnotator(tint=0).annotate(grey(), t, [mark], next_t=t + 1 / FPS)
        assert (frame[0, 100] == blue).all() == expected
        assert (frame[5, 100] == 128).all()  # thin: well under the flash border's 8 px


def test_nothing_is_drawn_before_an_event():
    overlay = Overlay([Event(Kind.MOMENT_OF_TRUTH, 2.0, label="Greeting")], 10.0, OverlayOptions(timeline=False))
    frame = textured()
    out = overlay.annotate(frame.copy(), 1.5, 1.5 + 1 / FPS)
    assert (out == frame).all()


# --- caption -----------------------------------------------------------------


def test_caption_shows_short_name_chip_and_label_for_its_time():
    cap = CaptionAnnotator(caption_s=2.5)
    mark = Mark(1.0, Kind.DECISION_POINT, label="Choose delivery")
    frame = cap.annotate(grey(), 1.0, [mark], next_t=1.0 + 1 / FPS)
    changed = np.argwhere((frame != 128).any(axis=2))
    assert changed.size and changed[:, 0].max() < 120  # a box near the top
    green = np.array(KIND_RGB[Kind.DECISION_POINT][::-1])
    assert ((frame == green).all(axis=2)).sum() > 100  # the kind chip
    assert ((frame == 255).all(axis=2)).sum() > 20  # white text
    assert (cap.annotate(grey(), 3.6, [mark], next_t=3.6 + 1 / FPS) == 128).all()  # gone after 2.5 s


def test_caption_scales_with_the_frame():
    mark = Mark(0.0, Kind.MOMENT_OF_TRUTH, label="Form error")
    small = CaptionAnnotator().patch(mark.kind, mark.label, 320, 240)
    large = CaptionAnnotator().patch(mark.kind, mark.label, 1920, 1080)
    assert large.height >= 4 * small.height * 0.8
    assert large.width > 3 * small.width


def test_unicode_labels_render_as_glyphs_not_question_marks():
    box = render_text("\U000F0000", 24)[..., 3]  # a private-use character no font has: the missing-glyph box
    for ch in "ÜéñЗж":
        drawn = render_text(ch, 24)[..., 3]
        assert drawn.any() and not (drawn.shape == box.shape and np.array_equal(drawn, box)), ch
    cyr = render_text("Заказ", 24)[..., 3]
    qm = render_text("?????", 24)[..., 3]
    assert cyr.shape[0] == qm.shape[0]
    assert cyr.any() and not np.array_equal(cyr, qm)
    # Each distinct letter draws differently (no shared "missing glyph" box).
    shapes = {render_text(ch, 24)[..., 3].tobytes() for ch in "Заказ"}
    assert len(shapes) == 4  # З, а, к, з


def test_long_labels_are_shortened_to_fit():
    mark = Mark(0.0, Kind.MOMENT_OF_TRUTH, label="A very long label " * 20)
    patch = CaptionAnnotator().patch(mark.kind, mark.label, 320, 240)
    assert patch.width <= 320


# --- timeline ----------------------------------------------------------------


def test_timeline_markers_have_distinct_shapes_and_the_playhead_moves():
    events = [Mark(2.0, Kind.MOMENT_OF_TRUTH), Mark(5.0, Kind.INTERNAL_INTERACTION), Mark(8.0, Kind.DECISION_POINT)]
    tl = TimelineAnnotator(events, 10.0)
    h, w = 720, 1280
    x0, y0, x1, y1 = tl.geometry(w, h)
    assert y1 <= h - border_px(w, h) and y1 - y0 >= 12
    frame = tl.annotate(grey(h, w), 0.0)
    mid = (y0 + y1) // 2
    profiles = []
    for m in events:
        x = tl.x_of(m.start_s, w, h)
        color = np.array(KIND_RGB[m.kind][::-1])
        assert np.abs(frame[mid, x].astype(int) - color).max() <= 2
        box = frame[y0:y1, x - 20 : x + 21]
        mask = (np.abs(box.astype(int) - color).max(axis=2) <= 40)
        profiles.append(mask.sum(axis=0)[mask.sum(axis=0) > 0])
    # circle, square and diamond: column heights differ in shape
    square = profiles[1]
    assert square.max() - np.median(square) <= 1  # flat top
    diamond = profiles[2]
    assert diamond.max() - diamond.min() >= diamond.max() * 0.6  # tapers to points
    circle = profiles[0]
    assert 0.2 * circle.max() <= circle.max() - circle.min() <= 0.9 * circle.max()

    def playhead_x(t):
        f = tl.annotate(grey(h, w), t)
        cols = np.flatnonzero((f[y0 + 1, x0:x1] == 255).all(axis=1))
        return x0 + cols.mean()

    assert playhead_x(1.0) < playhead_x(4.0) < playhead_x(9.0)


def test_each_element_can_be_switched_off():
    events = [Event(Kind.MOMENT_OF_TRUTH, 1.0, label="Greeting")]
    frame = textured()
    off = Overlay(events, 5.0, OverlayOptions(flash=False, captions=False, timeline=False))
    assert (off.annotate(frame.copy(), 1.0, 1.0 + 1 / FPS) == frame).all()
    only_timeline = Overlay(events, 5.0, OverlayOptions(flash=False, captions=False))
    out = only_timeline.annotate(frame.copy(), 1.0, 1.0 + 1 / FPS)
    changed = np.argwhere((out != frame).any(axis=2))
    assert changed[:, 0].min() >= 240 - border_px(320, 240) - 14  # only the bottom strip
    with pytest.raises(ValidationError):
        OverlayOptions(flash_s=0)


def test_with_a_band_the_strip_fills_it_and_leaves_the_picture_alone():
    events = [Event(Kind.MOMENT_OF_TRUTH, 1.0, label="Greeting")]
    h, w = 240, 320
    band = strip_band_px(w, h)
    assert band % 2 == 0 and (h + band) % 16 == 0 and band >= 16
    picture = textured(h, w)
    frame = np.concatenate([picture, np.zeros((band, w, 3), np.uint8)])
    out = Overlay(events, 5.0, OverlayOptions(flash=False, captions=False)).annotate(frame, 3.0, 3.0 + 1 / FPS, band)
    assert (out[:h] == picture).all()  # every picture row, the bottom ones included
    ground = (np.abs(out[h:].astype(int) - (30, 28, 28)).max(axis=2) <= 2).mean()
    assert ground > 0.6  # the strip's dark ground fills the band
    red = (np.abs(out[h:].astype(int) - np.array(KIND_RGB[Kind.MOMENT_OF_TRUTH][::-1])).max(axis=2) <= 30)
    assert red.any() and abs(np.argwhere(red)[:, 1].mean() / w - 1.0 / 5.0) < 0.05  # the MOT marker at 1 s of 5
    # flash and captions stay on the picture: its edges, not the band's
    flash = Overlay(events, 5.0, OverlayOptions(captions=False, tint=0)).annotate(frame.copy(), 1.0, 1.0 + 1 / FPS, band)
    t = border_px(w, h)
    assert (flash[h - t : h - 1, w // 2] == KIND_RGB[Kind.MOMENT_OF_TRUTH][::-1]).all()
    assert (flash[h:] == out[h:]).sum() > 0.6 * out[h:].size


def test_yuv_and_bgr_canvases_agree_with_a_band():
    events = [Event(Kind.DECISION_POINT, 1.0, label="Pick")]
    h, w = 240, 320
    band = strip_band_px(w, h)
    yuv = _yuv_canvas(h + band, w, y=100)
    Overlay(events, 4.0).draw(yuv, 1.0, 1.0 + 1 / FPS, band)
    assert (yuv.y[:h][h // 2, w // 2] != 100) and (yuv.y[h:] != 100).any()
    rows = yuv.rows(h, h + band)
    assert rows.height == band and rows.y.base is not None  # a view onto the frame's planes
    with pytest.raises(ValueError):
        yuv.rows(1, 5)


@pytest.mark.parametrize("width", [60, 120, 400])
def test_wrap_text_fits_the_width_and_cuts_with_an_ellipsis(width):
    text = "A customer waited twelve minutes on the hotline queue. Antidisestablishmentarianism " * 3
    lines = wrap_text(text, 14, width)
    assert len(lines) > 1 and all(text_width(line, 14) <= width for line in lines)
    assert " ".join(lines).replace(" ", "") == text.replace(" ", "")  # nothing lost when not cut
    cut = wrap_text(text, 14, width, max_lines=2)
    assert len(cut) == 2 and cut[-1].endswith("…") and all(text_width(line, 14) <= width for line in cut)
    assert wrap_text("   ", 14, width) == [] and wrap_text("short", 14, width, 3) == ["short"]


# --- the planes --------------------------------------------------------------


def _yuv_canvas(h, w, y=128, u=128, v=128):
    return YUVCanvas(np.full((h, w), y, np.uint8), np.full((h // 2, w // 2), u, np.uint8), np.full((h // 2, w // 2), v, np.uint8))


@pytest.mark.parametrize("kind", list(Kind))
def test_yuv_canvas_draws_the_kind_colour_in_bt709(kind):
    canvas = _yuv_canvas(240, 320)
    FlashAnnotator(tint=0).draw(canvas, 0.0, [Mark(0.0, kind)], 1 / FPS)
    rgb = bt709_rgb(float(canvas.y[3, 100]), float(canvas.u[1, 50]), float(canvas.v[1, 50]))
    assert np.abs(rgb - KIND_RGB[kind]).max() <= 3
    assert canvas.y[120, 160] == 128 and canvas.u[60, 80] == 128


def test_yuv_and_bgr_canvases_agree_on_a_full_overlay():
    events = [Event(Kind.MOMENT_OF_TRUTH, 1.0, label="Form error"), Event(Kind.DECISION_POINT, 1.2, end_s=2.0, label="Pay")]
    overlay = Overlay(events, 4.0)
    h, w = 240, 320
    bgr = overlay.annotate(grey(h, w), 1.25, 1.25 + 1 / FPS)
    canvas = _yuv_canvas(h, w, *Color(128, 128, 128).yuv709)
    overlay.draw(canvas, 1.25, 1.25 + 1 / FPS)
    u = np.repeat(np.repeat(canvas.u, 2, 0), 2, 1).astype(float)
    v = np.repeat(np.repeat(canvas.v, 2, 0), 2, 1).astype(float)
    rgb = bt709_rgb(canvas.y.astype(float), u, v).transpose(1, 2, 0)
    diff = np.abs(rgb - bgr[..., ::-1].astype(float))
    # Chroma is shared by 2x2 pixels, so edges of text differ; the bulk matches.
    assert np.median(diff) <= 2
    assert (diff.max(axis=2) <= 12).mean() > 0.95


def test_patch_blend_respects_alpha():
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., :3] = (255, 0, 0)
    rgba[:2, :, 3] = 255  # top half opaque red, bottom transparent
    frame = grey(10, 10)
    BGRCanvas(frame).blend(Patch(rgba), 2, 2)
    assert (frame[2:4, 2:6] == (0, 0, 255)).all()
    assert (frame[4:6, 2:6] == 128).all()
    assert (frame[:2] == 128).all()


def test_title_card_names_kind_label_recording_and_time():
    card = title_card(Kind.MOMENT_OF_TRUTH, "Form error", "Checkout 3", 12.345, 640, 360)
    assert card.shape == (360, 640, 3)
    red = np.array(KIND_RGB[Kind.MOMENT_OF_TRUTH][::-1])
    assert (card[:, :10] == red).all() and (card[:, -10:] == red).all()
    other = title_card(Kind.MOMENT_OF_TRUTH, "Form error", "Checkout 3", 13.0, 640, 360)
    assert not np.array_equal(card, other)  # the time is written on it


def test_flash_names_its_kind_when_captions_are_off():
    events = [Event(Kind.INTERNAL_INTERACTION, 1.0, label="Hand-off")]
    h, w = 240, 320
    t = border_px(w, h)

    def top_right(options):
        frame = Overlay(events, 5.0, options).annotate(grey(h, w), 1.0, 1.0 + 1 / FPS)
        return frame[t : 4 * t, w // 2 : w - t]

    tab = top_right(OverlayOptions(captions=False, timeline=False, tint=0))
    assert ((tab == 255).all(axis=2)).sum() > 20  # white letters of "INT"
    assert ((tab == np.array(KIND_RGB[Kind.INTERNAL_INTERACTION][::-1])).all(axis=2)).sum() > 100
    plain = top_right(OverlayOptions(captions=False, timeline=False, tint=0, flash_tab=False))
    assert (plain == 128).all()


def test_the_browser_draws_the_flash_with_the_overlay_s_own_numbers():
    from annotate.render import flash
    from annotate.ui.player_data import flash_style

    style = flash_style()
    assert style == flash.browser_style()
    shown, caption = FlashAnnotator(), CaptionAnnotator()
    assert (style["seconds"], style["tint"]) == (shown.flash_s, shown.tint)
    assert (style["caption_s"], style["caption_rows"]) == (caption.caption_s, caption.max_rows)
    for w, h in ((320, 240), (1920, 1080), (641, 359), (100, 100), (3840, 2160)):
        # The rules as flash.js applies them to the played video's size.
        border = flash.even_up(max(style["border_min_px"], style["border_share"] * min(w, h)))
        assert border == border_px(w, h)
        assert max(style["span_min_px"], flash.even_up(border * style["span_share"])) == flash.span_px(border)
        assert max(style["font_min_px"], round(style["font_share"] * min(w, h))) == CaptionAnnotator.font_px(w, h)
