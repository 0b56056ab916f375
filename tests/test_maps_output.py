"""Map files: PNG decodes at the requested size and shows the kind colours; HTML and CSV are safe."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from PIL import Image

from annotate.errors import ValidationError
from annotate.maps import build_flow, build_map, metrics, prune, to_png, write_csv, write_flow, write_map
from annotate.testing.journeys import TRICKY, fixture_events, journeys
from annotate.model import Codebook, Kind


def colour_pixels(image: Image.Image, hex_colour: str, tol: int = 12) -> int:
    """Return how many pixels are within ``tol`` of ``hex_colour`` on every channel."""
    rgb = np.asarray(image.convert("RGB")).astype(int)
    target = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(rgb - target) <= tol).all(axis=2).sum())


@pytest.mark.parametrize("size", [(1200, 700), (640, 900), (300, 200)])
def test_map_png_has_the_requested_size_and_the_kind_colours(tmp_path, size):
    rec, events = fixture_events()
    path = write_map(tmp_path / "map.png", events, Codebook(), rec, width=size[0], height=size[1])
    image = Image.open(path)
    image.load()
    assert image.format == "PNG" and image.size == size
    for kind in Kind:
        assert colour_pixels(image, kind.color) > 4, kind


def test_png_markers_add_kind_colour_beyond_the_legend():
    rec, events = fixture_events()
    empty = Image.open(io.BytesIO(to_png(build_map([], Codebook(), rec), 800, 400)))
    full = Image.open(io.BytesIO(to_png(build_map(events, Codebook(), rec), 800, 400)))
    assert empty.size == full.size == (800, 400)
    for kind in Kind:  # the empty map shows each colour only in its legend
        n = sum(1 for e in events if e.kind is kind)
        assert colour_pixels(full, kind.color) > colour_pixels(empty, kind.color) + 10 * n, kind


def test_png_with_one_side_keeps_the_aspect_ratio():
    rec, events = fixture_events()
    scene = build_map(events, Codebook(), rec)
    image = Image.open(io.BytesIO(to_png(scene, width=700)))
    assert image.width == 700
    assert image.height == round(scene.height * 700 / scene.width)


def test_flow_png_has_the_requested_size_and_mot_red(tmp_path):
    recs, events = journeys(5, 20)
    path = write_flow(tmp_path / "flow.png", prune(build_flow(events, recs), top=6), width=900, height=1200)
    image = Image.open(path)
    assert image.size == (900, 1200)
    assert colour_pixels(image, Kind.MOMENT_OF_TRUTH.color) > 100


@pytest.mark.parametrize("width,height", [(0, 100), (100, 10), (20000, 500)])
def test_bad_sizes_are_refused(tmp_path, width, height):
    rec, events = fixture_events()
    with pytest.raises(ValidationError, match="pixels"):
        write_map(tmp_path / "m.png", events, Codebook(), rec, width=width, height=height)
    assert not list(tmp_path.iterdir())


def test_unknown_suffix_is_refused_and_nothing_written(tmp_path):
    rec, events = fixture_events()
    with pytest.raises(ValidationError, match=r"\.svg, \.png, \.html"):
        write_map(tmp_path / "m.pdf", events, Codebook(), rec)
    with pytest.raises(ValidationError, match=r"\.dot"):
        write_flow(tmp_path / "f.gif", build_flow(events, [rec]))
    assert not list(tmp_path.iterdir())


def test_map_html_is_self_contained_escaped_and_has_the_table(tmp_path):
    rec, events = fixture_events()
    events[0] = events[0].replace(expectation="<b>fast</b>")
    text = write_map(tmp_path / "m.html", events, Codebook(), rec).read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert "<svg" in text and "<script" not in text and "<b>fast" not in text
    assert "&lt;b&gt;fast&lt;/b&gt;" in text
    assert "Form &lt;error&gt; &amp; &quot;quotes&quot;" in text or "Form &lt;error&gt; &amp; \"quotes\"" in text
    assert "<title>Process-activity map: #1 Call &lt;1&gt; &amp; co</title>" in text
    assert text.count('class="marker"') == len(events)
    assert "<th>expectation</th>" in text


def test_metrics_csv_is_spreadsheet_safe(tmp_path):
    rec, events = fixture_events()
    events[3] = events[3].replace(stage="=HYPERLINK(1)")
    frame = metrics(events, [rec], Codebook(), by="stage")
    path = write_csv(tmp_path / "m.csv", frame)
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert [r["stage"] for r in rows][-1] == "'=HYPERLINK(1)"
    assert rows[0]["stage"] == "Awareness" and rows[0]["mot_count"] == "1"
    assert TRICKY not in path.read_text(encoding="utf-8")  # labels are not part of the stage table


def test_png_renders_without_any_system_font(monkeypatch):
    """A fresh machine may have no fonts at all: Pillow's bundled font is used instead."""
    from PIL import ImageFont

    from annotate.maps import png

    real = ImageFont.truetype

    def no_system_font(font=None, *args, **kwargs):
        if isinstance(font, str):  # a font looked up by file name: none is installed
            raise OSError("cannot open resource")
        return real(font, *args, **kwargs)  # Pillow's own bundled font, read from memory

    monkeypatch.setattr(ImageFont, "truetype", no_system_font)
    png.font.cache_clear()
    try:
        rec, events = fixture_events()
        scene = build_map(events, Codebook(), rec)
        image = Image.open(io.BytesIO(to_png(scene, 1000, 600)))
        assert image.size == (1000, 600)
        assert "DejaVu" not in str(getattr(png.font(12, False), "path", ""))
        for el in scene.root.iter():
            if el.tag == "text":
                el.text = None
        bare = Image.open(io.BytesIO(to_png(scene, 1000, 600)))
        changed = (np.abs(np.asarray(image, dtype=int) - np.asarray(bare, dtype=int)).max(axis=2) > 60).sum()
        assert changed > 2000  # the text made a visible difference
    finally:
        png.font.cache_clear()


def test_csv_text_cells_follow_the_exports_escaping_rule(tmp_path):
    """Metrics CSV escapes text as the event exports do: a formula start or an apostrophe gets one more '."""
    from annotate.formats.common import unneutralise

    rec, events = fixture_events()
    events[0] = events[0].replace(stage="'quoted")
    events[3] = events[3].replace(stage="@SUM(1)")
    frame = metrics(events, [rec], Codebook(), by="stage")
    path = write_csv(tmp_path / "m.csv", frame)
    stages = [r["stage"] for r in csv.DictReader(path.open(encoding="utf-8"))]
    assert "''quoted" in stages and "'@SUM(1)" in stages
    assert {unneutralise(s) for s in stages} >= {"'quoted", "@SUM(1)"}
