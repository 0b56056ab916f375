"""The aggregate flow map: edge counts and median times against values computed by hand."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from annotate.errors import ValidationError
from annotate.maps import build_flow, build_flow_map, edges_table, flow_dot, nodes_table, prune, to_svg, write_flow
from annotate.maps.flow import END, START
from annotate.maps.flow_layout import layout
from annotate.testing.journeys import journeys
from annotate.model import Event, Kind, Recording

MOT, INT, DEC = Kind.MOMENT_OF_TRUTH, Kind.INTERNAL_INTERACTION, Kind.DECISION_POINT
NS = "{http://www.w3.org/2000/svg}"

G, L, C, P = "MOT Greeting", "INT Lookup", "DEC Choose product", "MOT Payment accepted"

# Three recordings (times in s). Recording 3's duration is unknown, so it gives no time into End.
#   1 (60 s):  Greeting 2, Lookup 10, Choose product 25, Payment accepted 40
#   2 (50 s):  Greeting 1, Choose product 11, Payment accepted 31
#   3 (?):     Greeting 3, Lookup 5, "lookup " 20, Choose product 26, Payment accepted 46
HAND = {
    ("Start", G): (3, 2.0),  # first events at 2, 1, 3 -> median 2
    (G, L): (2, 5.0),  # 8 and 2
    (L, C): (2, 10.5),  # 15 and 6
    (L, L): (1, 15.0),
    (G, C): (1, 10.0),
    (C, P): (3, 20.0),  # 15, 20, 20
    (P, "End"): (3, 19.5),  # 60-40=20 and 50-31=19; recording 3 has no duration
}


def fixture() -> tuple[list[Recording], list[Event]]:
    recs = [Recording(path="a.mp4", id=1, duration_s=60), Recording(path="b.mp4", id=2, duration_s=50),
            Recording(path="c.mp4", id=3, duration_s=0)]
    spec = {
        1: [(MOT, "Greeting", 2), (INT, "Lookup", 10), (DEC, "Choose product", 25), (MOT, "Payment accepted", 40)],
        2: [(MOT, "Greeting", 1), (DEC, "Choose product", 11), (MOT, "Payment accepted", 31)],
        3: [(MOT, "Greeting", 3), (INT, "Lookup", 5), (INT, "lookup ", 20), (DEC, "Choose  product", 26),
            (MOT, "Payment accepted", 46)],
    }
    events = [Event(kind=k, label=label, start_s=t, recording_id=rid) for rid, rows in spec.items() for k, label, t in rows]
    return recs, events[::-1]  # any order in, step order used


def edges_of(graph) -> dict:
    return {(graph.nodes[a].name, graph.nodes[b].name): (e.count, e.median_s) for (a, b), e in graph.edges.items()}


def test_edge_counts_and_median_times_match_hand_computed_values():
    recs, events = fixture()
    graph = build_flow(events, recs)
    assert edges_of(graph) == HAND
    assert graph.cases == 3 and graph.events == 12
    nodes = {n.name: (n.count, n.cases) for n in graph.activities}
    assert nodes == {G: (3, 3), L: (3, 2), C: (3, 3), P: (3, 3)}
    assert graph.nodes[START].count == 3 and graph.nodes[END].count == 3


def test_the_svg_carries_the_same_counts_and_medians(tmp_path):
    recs, events = fixture()
    path = write_flow(tmp_path / "flow.svg", build_flow(events, recs), view="time")
    root = ET.parse(path).getroot()
    edges = [g for g in root.iter(NS + "g") if g.get("class") == "edge"]
    found = {(g.get("data-source"), g.get("data-target")): (int(g.get("data-count")), float(g.get("data-median-s")))
             for g in edges}
    assert found == HAND
    # time view: labels are the median times
    label = {(g.get("data-source"), g.get("data-target")): "".join(g.find(NS + "text").itertext()) for g in edges}
    assert label[(L, C)] == "10.5 s" and label[(C, P)] == "20 s"
    nodes = {g.get("data-label"): g for g in root.iter(NS + "g") if g.get("class") == "node"}
    assert nodes["Greeting"].find(NS + "rect").get("fill") == MOT.color
    assert nodes["Lookup"].find(NS + "rect").get("fill") == INT.color
    assert nodes["Choose product"].find(NS + "rect").get("fill") == DEC.color
    assert "MOT" in "".join(nodes["Payment accepted"].itertext())
    assert "3×  in 2 rec." in "".join(nodes["Lookup"].itertext())  # node text gives the frequency


def test_frequency_view_labels_are_counts():
    recs, events = fixture()
    root = ET.fromstring(to_svg(build_flow_map(build_flow(events, recs), "frequency")))
    labels = {(g.get("data-source"), g.get("data-target")): "".join(g.find(NS + "text").itertext())
              for g in root.iter(NS + "g") if g.get("class") == "edge"}
    assert labels == {k: str(v[0]) for k, v in HAND.items()}
    assert [t for t in root.iter(NS + "text") if t.get("class") == "shown-note"]
    assert not [t for t in root.iter(NS + "text") if t.get("class") == "hidden-note"]


def test_pruning_keeps_the_most_frequent_and_says_what_it_hid(tmp_path):
    recs, events = fixture()
    graph = prune(build_flow(events, recs), top=3)
    # all four occur 3 times: ties go to MOT, then INT, then DEC, then by name
    assert {n.name for n in graph.activities} == {G, P, L}
    assert set(edges_of(graph)) == {("Start", G), (G, L), (L, L), (P, "End")}
    assert (graph.hidden_nodes, graph.hidden_edges, graph.hidden_events) == (1, 3, 3)
    note = graph.hidden_note()
    assert note == ("Showing 3 of 4 activities and 4 of 7 connections: "
                    "1 activity (3 events) and 3 connections hidden")
    root = ET.parse(write_flow(tmp_path / "f.svg", graph)).getroot()
    (shown,) = [t for t in root.iter(NS + "text") if t.get("class") == "hidden-note"]
    assert "".join(shown.itertext()) == note
    assert shown.get("data-hidden-nodes") == "1" and shown.get("data-hidden-edges") == "3"
    assert note in (tmp_path / "f.svg").read_text(encoding="utf-8")
    dot = write_flow(tmp_path / "f.dot", graph).read_text(encoding="utf-8")
    assert "3 connections hidden" in dot
    page = write_flow(tmp_path / "f.html", graph).read_text(encoding="utf-8")
    assert note in page


def test_pruning_connections_only():
    recs, events = fixture()
    graph = prune(build_flow(events, recs), top_edges=3)
    assert len(graph.edges) == 3 and graph.hidden_edges == 4 and graph.hidden_nodes == 0
    assert {v[0] for v in edges_of(graph).values()} == {3}
    assert "4 connections hidden" in graph.hidden_note()
    with pytest.raises(ValidationError):
        prune(graph, top=0)


def test_tables():
    recs, events = fixture()
    graph = build_flow(events, recs)
    edges = edges_table(graph)
    assert edges.iloc[0].tolist()[:3] == ["DEC Choose product", "MOT Payment accepted", 3]
    assert dict(zip(zip(edges["source"], edges["target"]), edges["median_s"])) == {k: v[1] for k, v in HAND.items()}
    nodes = nodes_table(graph)
    assert nodes.values.tolist() == [["MOT", "Greeting", 3, 3], ["MOT", "Payment accepted", 3, 3],
                                     ["INT", "Lookup", 3, 2], ["DEC", "Choose product", 3, 3]]


def test_dot_output_is_escaped_and_complete():
    recs, events = fixture()
    events.append(Event(kind=DEC, label='Say "hi" \\ bye', start_s=59, recording_id=1))
    dot = flow_dot(build_flow(events, recs), "frequency")
    assert dot.startswith("digraph flow {") and dot.rstrip().endswith("}")
    assert 'DEC · Say \\"hi\\" \\\\ bye' in dot
    assert dot.count(" -> ") == 9  # the 7 above plus Payment accepted -> Say, Say -> End
    assert f'fillcolor="{MOT.color}"' in dot and f'fillcolor="{INT.color}"' in dot


def test_html_is_self_contained_and_escaped(tmp_path):
    recs, events = fixture()
    events.append(Event(kind=MOT, label="<img src=x onerror=alert(1)>", start_s=59, recording_id=1))
    text = write_flow(tmp_path / "f.html", build_flow(events, recs)).read_text(encoding="utf-8")
    assert "<img" not in text and "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "<script" not in text and "http://" not in text.replace("http://www.w3.org/2000/svg", "")
    assert text.count("<svg") == 2  # frequency and time views


def test_layout_keeps_nodes_apart_and_journey_order_top_to_bottom():
    recs, events = journeys(30, 40, seed=5)
    graph = build_flow(events, recs)
    lay = layout(graph)
    boxes = list(lay.boxes.values())
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            apart = a.right <= b.left or b.right <= a.left or a.bottom <= b.top or b.bottom <= a.top
            assert apart
    assert lay.boxes[START].y < min(b.y for k, b in lay.boxes.items() if k != START)
    assert lay.boxes[END].y > max(b.y for k, b in lay.boxes.items() if k != END)
    greeting = next(n.id for n in graph.activities if n.label == "Greeting")
    confirmation = next(n.id for n in graph.activities if n.label == "Confirmation")
    assert lay.boxes[greeting].y < lay.boxes[confirmation].y


def test_unknown_view_is_refused():
    recs, events = fixture()
    with pytest.raises(ValidationError, match="frequency or time"):
        build_flow_map(build_flow(events, recs), "speed")


def test_no_events_draws_start_and_end_only():
    graph = build_flow([], [])
    root = ET.fromstring(to_svg(build_flow_map(graph)))
    assert [g.get("data-kind") for g in root.iter(NS + "g") if g.get("class") == "node"] == ["start", "end"]
