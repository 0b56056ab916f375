"""The per-recording process-activity map: read the SVG that was written and check what it shows."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import pandas as pd
import pytest

from annotate.maps import activity_table, build_map, to_svg, write_map
from annotate.testing.journeys import TRICKY, fixture_events, journeys
from annotate.model import Codebook, Kind, Recording

MOT, INT, DEC = Kind.MOMENT_OF_TRUTH, Kind.INTERNAL_INTERACTION, Kind.DECISION_POINT
NS = "{http://www.w3.org/2000/svg}"
SHAPE_TAG = {"circle": "circle", "square": "rect", "diamond": "polygon"}

def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg.encode("utf-8"))


def by_class(root: ET.Element, name: str) -> list[ET.Element]:
    return [el for el in root.iter() if name in (el.get("class") or "").split()]


def centre(marker: ET.Element) -> tuple[float, float]:
    """Return the centre of a circle, square or diamond marker."""
    if marker.get("cx") is not None:
        return float(marker.get("cx")), float(marker.get("cy"))
    if marker.get("width") is not None:
        return (float(marker.get("x")) + float(marker.get("width")) / 2,
                float(marker.get("y")) + float(marker.get("height")) / 2)
    pts = [tuple(map(float, p.split(","))) for p in marker.get("points").split()]
    return sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts)


def written_svg(tmp_path, events, rec, **kwargs) -> ET.Element:
    path = write_map(tmp_path / "map.svg", events, Codebook(), rec, **kwargs)
    return ET.parse(path).getroot()


def test_one_marker_per_event_with_kind_colour_and_shape(tmp_path):
    rec, events = fixture_events()
    root = written_svg(tmp_path, list(reversed(events)), rec)  # given out of order on purpose
    markers = by_class(root, "marker")
    assert len(markers) == len(events)
    by_id = {m.get("data-event-id"): m for m in markers}
    assert set(by_id) == {e.id for e in events}
    for e in events:
        m = by_id[e.id]
        assert m.get("data-kind") == e.kind.value
        assert m.get("fill").upper() == e.kind.color
        assert m.tag == NS + SHAPE_TAG[e.kind.marker]
        if e.kind is DEC:
            assert len(m.get("points").split()) == 4
    # step numbers follow time, whatever order the events came in
    steps = {m.get("data-event-id"): int(m.get("data-step")) for m in markers}
    assert [steps[e.id] for e in events] == list(range(1, 8))
    # markers sit left to right in time order
    xs = []
    for e in events:
        m = by_id[e.id]
        xs.append(centre(m)[0])
    assert xs == sorted(xs)


def test_stage_bands_follow_codebook_order_and_span_to_the_next_stage(tmp_path):
    rec, events = fixture_events()
    root = written_svg(tmp_path, events, rec)
    bands = by_class(root, "stage-band")
    names = [b.get("data-stage") for b in bands]
    book = Codebook()
    assert names == [s for s in book.stages if s != "Use"]  # Use has no event, so no band
    assert names == sorted(names, key=book.stages.index)
    spans = [(float(b.get("data-start-s")), float(b.get("data-end-s"))) for b in bands]
    assert spans == [(5, 20), (20, 100), (100, 150), (150, 180), (180, 300)]
    lefts = [float(b.find(NS + "rect").get("x")) for b in bands]
    assert lefts == sorted(lefts) and len(set(lefts)) == len(lefts)


def test_wait_labels_only_where_the_gap_exceeds_the_threshold(tmp_path):
    rec, events = fixture_events()
    root = written_svg(tmp_path, events, rec)
    waits = {int(w.get("data-after-step")): float(w.get("data-wait-s")) for w in by_class(root, "wait")}
    assert waits == {3: 60.0, 5: 40.0}  # 30 s after step 6 equals the threshold: not labelled
    texts = ["".join(w.itertext()) for w in by_class(root, "wait")]
    assert any("1:00" in t for t in texts) and any("40 s" in t for t in texts)

    root = written_svg(tmp_path, events, rec, wait_threshold_s=45)
    assert [int(w.get("data-after-step")) for w in by_class(root, "wait")] == [3]
    root = written_svg(tmp_path, events, rec, wait_threshold_s=5)
    assert [int(w.get("data-after-step")) for w in by_class(root, "wait")] == [1, 2, 3, 4, 5, 6]


def test_lanes_in_codebook_order_with_a_line_of_visibility(tmp_path):
    rec, events = fixture_events()
    root = written_svg(tmp_path, events, rec)
    assert [t.get("data-actor") for t in by_class(root, "lane-name")] == ["customer", "frontline", "back office", "system"]
    lines = by_class(root, "line-of-visibility")
    assert len(lines) == 1 and lines[0].get("stroke-dasharray")
    y_line = float(lines[0].get("y1"))
    markers = {m.get("data-event-id"): m for m in by_class(root, "marker")}
    lane_y = {}
    for e in events:
        y = centre(markers[e.id])[1]
        lane_y.setdefault(e.actor, set()).add(y)
        assert (y < y_line) == (e.actor in ("customer", "frontline")), e.actor
    assert all(len(ys) == 1 for ys in lane_y.values())  # one lane, one height
    order = sorted(lane_y, key=lambda a: lane_y[a].pop())
    assert order == ["customer", "frontline", "back office", "system"]


def test_a_line_of_visibility_at_each_change_of_side():
    rec, events = fixture_events()
    book = Codebook(actors=["system", "customer", "frontline", "back office"])
    root = parse(to_svg(build_map(events, book, rec)))
    assert [t.get("data-actor") for t in by_class(root, "lane-name")] == ["system", "customer", "frontline", "back office"]
    assert len(by_class(root, "line-of-visibility")) == 2


def test_unknown_actor_gets_its_own_lane_and_blank_actor_a_last_lane():
    rec, events = fixture_events()
    events[1] = events[1].replace(actor="Partner")
    events[3] = events[3].replace(actor="")
    root = parse(to_svg(build_map(events, Codebook(), rec)))
    lanes = [t.get("data-actor") for t in by_class(root, "lane-name")]
    assert lanes == ["customer", "frontline", "back office", "system", "Partner", "(no actor)"]


def test_user_text_is_escaped_and_the_svg_parses():
    rec, events = fixture_events()
    events[0] = events[0].replace(label='<script>alert("x")</script>', expectation="a & b < c")
    svg = to_svg(build_map(events, Codebook(), rec))
    root = parse(svg)
    assert not [el for el in root.iter() if el.tag.endswith("script")]
    assert "<script>" not in svg
    titles = ["".join(t.itertext()) for t in root.iter(NS + "title")]
    assert any('<script>alert("x")</script>' in t and "expectation: a & b < c" in t for t in titles)
    assert any(TRICKY in t for t in titles)
    assert "Call <1> & co" in "".join(by_class(root, "map-title")[0].itertext())


def test_emotion_strip_marks_pain_points_and_gains():
    rec, events = fixture_events()
    root = parse(to_svg(build_map(events, Codebook(), rec)))
    pains = {p.get("data-event-id"): int(p.get("data-emotion")) for p in by_class(root, "pain")}
    gains = {g.get("data-event-id"): int(g.get("data-emotion")) for g in by_class(root, "gain")}
    assert pains == {events[4].id: -2, events[6].id: -1}
    assert gains == {events[0].id: 1}
    assert [n.get("data-event-id") for n in by_class(root, "neutral")] == [events[1].id]
    # lower emotion sits lower in the strip
    y = {p.get("data-event-id"): max(float(v.split(",")[1]) for v in p.get("points").split())
         for p in by_class(root, "pain") + by_class(root, "gain")}
    assert y[events[4].id] > y[events[6].id] > y[events[0].id]


def test_connector_joins_every_event_in_time_order():
    rec, events = fixture_events()
    root = parse(to_svg(build_map(list(reversed(events)), Codebook(), rec)))
    (connector,) = by_class(root, "connector")
    xs = [float(p.split(",")[0]) for p in connector.get("points").split()]
    assert len(xs) == len(events) and xs == sorted(xs)


def test_readable_at_500_events_labels_thin_out_markers_stay():
    recs, events = journeys(1, 500, seed=3)
    root = parse(to_svg(build_map(events, Codebook(), recs[0])))
    markers = by_class(root, "marker")
    labels = by_class(root, "label")
    assert len(markers) == 500
    assert len({m.get("data-event-id") for m in markers}) == 500
    assert 10 < len(labels) < 500
    # the labels kept are spread over the whole timeline, not bunched at the start
    steps = sorted(int(t.get("data-step")) for t in labels)
    assert steps[0] < 50 and steps[-1] > 450


def test_empty_recording_still_draws_lanes_and_says_so():
    rec = Recording(path="/v/empty.mp4", id=9, duration_s=60)
    root = parse(to_svg(build_map([], Codebook(), rec)))
    assert by_class(root, "marker") == []
    assert len(by_class(root, "lane-name")) == 4
    assert by_class(root, "empty-note")


def test_activity_table_hand_computed():
    rec, events = fixture_events()
    table = activity_table(list(reversed(events)), Codebook())
    assert list(table.columns) == ["step", "time", "start_s", "to_next_s", "wait_s", "kind", "actor", "stage",
                                   "label", "expectation", "emotion", "event_id"]
    assert table["step"].tolist() == [1, 2, 3, 4, 5, 6, 7]
    assert table["time"].tolist()[:3] == ["0:05.000", "0:20.000", "0:30.000"]
    assert table["to_next_s"].tolist()[:-1] == [15, 10, 70, 10, 40, 30]
    assert math.isnan(table["to_next_s"].iloc[-1])
    assert table["wait_s"].tolist()[:-1] == [15, 10, 60, 10, 40, 30]
    assert table["kind"].tolist() == ["MOT", "DEC", "INT", "INT", "MOT", "DEC", "MOT"]
    assert table["label"].iloc[4] == TRICKY
    assert table["emotion"].iloc[0] == 1 and pd.isna(table["emotion"].iloc[2])
    assert table["event_id"].tolist() == [e.id for e in events]


def test_stage_names_match_the_codebook_whatever_their_case():
    rec, events = fixture_events()
    events = [e.replace(stage=e.stage.upper()) for e in events]
    root = parse(to_svg(build_map(events, Codebook(), rec)))
    assert [b.get("data-stage") for b in by_class(root, "stage-band")] == ["Awareness", "Buy-In", "Acquisition",
                                                                          "Care", "Share"]


@pytest.mark.parametrize("width", [480, 2400])
def test_layout_uses_the_requested_width(width):
    rec, events = fixture_events()
    scene = build_map(events, Codebook(), rec, width=width, height=700)
    root = parse(to_svg(scene))
    assert float(root.get("width")) == width and float(root.get("height")) == 700
    xs = [float(m.get("cx")) for m in by_class(root, "marker") if m.get("cx")]
    assert max(xs) < width
