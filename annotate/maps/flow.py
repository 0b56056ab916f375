"""The aggregate flow map: a directly-follows graph of activities across recordings.

Each recording is one case; its events in step order are its trace. Nodes are
activities (the event label, grouped by kind; labels that differ only in case
or spacing are one activity) plus a Start and an End node. An edge a -> b
counts how often b directly follows a in a trace; its time is the median of
``start_s(b) - start_s(a)``. Start -> first activity takes the first event's
``start_s``; last activity -> End takes the time from the last event's start
to the end of the recording (only for recordings whose duration is known).

The layout is computed here (layered, top to bottom, no Graphviz): activities
are ordered by where they typically happen (their mean relative position in the
traces); edges against that order loop back on the right, the others give the
layers by longest path; the order within a layer comes from barycentre sweeps. ``flow_dot`` writes the same graph for Graphviz.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Iterable, Mapping

import pandas as pd

from ..errors import ValidationError
from ..model import KINDS, Event, Kind, Recording, fold_name, parse_kind
from . import journey
from .journey import span_text
from .scene import Element, LabelPlacer, Scene, num, text_width, truncate

START, END = "__start__", "__end__"
VIEWS = ("frequency", "time")
NO_LABEL = "(no label)"
TERMINAL_COLOR = "#4D4D4D"
EDGE_COLOR = "#8C8C8C"


@dataclass
class FlowNode:
    """An activity (or Start/End): ``count`` occurrences in ``cases`` recordings."""

    id: str
    kind: Kind | None
    label: str
    count: int = 0
    cases: int = 0
    position: float = 0.0  # mean of step index / (trace length - 1): 0 = at the start of journeys, 1 = at the end

    @property
    def name(self) -> str:
        """Return the node's display name: 'MOT Greeting', 'Start' or 'End'."""
        if self.kind is None:
            return self.label
        return f"{self.kind.short} {self.label}"


@dataclass
class FlowEdge:
    """How often ``target`` directly follows ``source``, and the times between them (seconds)."""

    source: str
    target: str
    count: int = 0
    times: list[float] = field(default_factory=list)

    @property
    def median_s(self) -> float | None:
        """Return the median time between the two activities, or None when no time is known."""
        return round(statistics.median(self.times), 3) if self.times else None


@dataclass
class FlowGraph:
    """A directly-follows graph; ``hidden_*`` say what pruning left out (0 when nothing was)."""

    nodes: dict[str, FlowNode]
    edges: dict[tuple[str, str], FlowEdge]
    cases: int = 0
    events: int = 0
    total_nodes: int = 0  # activities before pruning (Start/End not counted)
    total_edges: int = 0
    hidden_nodes: int = 0
    hidden_edges: int = 0
    hidden_events: int = 0
    top: int | None = None
    top_edges: int | None = None

    @property
    def activities(self) -> list[FlowNode]:
        """Return the activity nodes (not Start/End), most frequent first."""
        return sorted((n for n in self.nodes.values() if n.kind is not None), key=_node_rank)

    @property
    def pruned(self) -> bool:
        return bool(self.hidden_nodes or self.hidden_edges)

    def hidden_note(self) -> str:
        """Return the sentence saying what pruning hid, or '' when nothing was hidden."""
        if not self.pruned:
            return ""
        shown_n = self.total_nodes - self.hidden_nodes
        shown_e = self.total_edges - self.hidden_edges
        return (
            f"Showing {shown_n} of {_plural(self.total_nodes, 'activity', 'activities')} and "
            f"{shown_e} of {_plural(self.total_edges, 'connection', 'connections')}: "
            f"{_plural(self.hidden_nodes, 'activity', 'activities')} ({_plural(self.hidden_events, 'event', 'events')}) "
            f"and {_plural(self.hidden_edges, 'connection', 'connections')} hidden"
        )


def _plural(n: int, one: str, many: str) -> str:
    """Return 'n thing' or 'n things'."""
    return f"{n} {one if n == 1 else many}"


def _node_rank(n: FlowNode) -> tuple:
    kind_order = KINDS.index(n.kind) if n.kind is not None else -1
    return (-n.count, kind_order, n.label.lower())


def activity_key(event: Event) -> tuple[Kind, str]:
    """Return the activity an event belongs to: its kind and its label folded for case and spacing."""
    return parse_kind(event.kind), fold_name(event.label)


def build_flow(
    events: Iterable[Event],
    recordings: Iterable[Recording] | Mapping[int, Recording] | None = None,
) -> FlowGraph:
    """Return the directly-follows graph of ``events``, one case per ``recording_id``.

    ``recordings`` (optional) supply durations for the edges into End. Events
    without a recording_id form one case together.
    """
    if isinstance(recordings, Mapping):
        durations = {rid: r.duration_s for rid, r in recordings.items()}
    else:
        durations = {r.id: r.duration_s for r in (recordings or [])}
    traces: dict[int | None, list[Event]] = defaultdict(list)
    for e in events:
        traces[e.recording_id].append(e)

    spellings: dict[tuple[Kind, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    counts: dict[tuple[Kind, str], int] = defaultdict(int)
    cases: dict[tuple[Kind, str], set] = defaultdict(set)
    positions: dict[tuple[Kind, str], float] = defaultdict(float)
    edges: dict[tuple, FlowEdge] = {}
    n_events = 0

    def edge(a, b) -> FlowEdge:
        if (a, b) not in edges:
            edges[(a, b)] = FlowEdge(a, b)
        return edges[(a, b)]

    for rid in sorted(traces, key=lambda r: (r is None, r)):
        trace = journey.steps(traces[rid])
        n_events += len(trace)
        keys = [activity_key(e) for e in trace]
        for i, (e, key) in enumerate(zip(trace, keys)):
            positions[key] += i / (len(trace) - 1) if len(trace) > 1 else 0.5
            spellings[key][" ".join(e.label.split()) or NO_LABEL] += 1
            counts[key] += 1
            cases[key].add(rid)
        first = edge(START, keys[0])
        first.count += 1
        first.times.append(trace[0].start_s)
        for (a, ea), (b, eb) in zip(zip(keys, trace), zip(keys[1:], trace[1:])):
            ed = edge(a, b)
            ed.count += 1
            ed.times.append(round(eb.start_s - ea.start_s, 3))
        last = edge(keys[-1], END)
        last.count += 1
        duration = durations.get(rid) or 0.0
        if duration > 0:
            last.times.append(round(max(duration - trace[-1].start_s, 0.0), 3))

    ids: dict = {START: START, END: END}
    nodes: dict[str, FlowNode] = {
        START: FlowNode(START, None, "Start", len(traces), len(traces), -1.0),
        END: FlowNode(END, None, "End", len(traces), len(traces), 2.0),
    }
    for key, n in counts.items():
        # the spelling used most often names the activity (first seen wins a tie)
        spelled = max(spellings[key].items(), key=lambda kv: kv[1])[0]
        node_id = f"{key[0].value}|{key[1]}"
        ids[key] = node_id
        nodes[node_id] = FlowNode(node_id, key[0], spelled, n, len(cases[key]), positions[key] / n)
    out_edges = {}
    for (a, b), ed in edges.items():
        ed.source, ed.target = ids[a], ids[b]
        out_edges[(ids[a], ids[b])] = ed
    return FlowGraph(
        nodes=nodes, edges=out_edges, cases=len(traces), events=n_events,
        total_nodes=len(nodes) - 2, total_edges=len(out_edges),
    )


def prune(graph: FlowGraph, top: int | None = None, top_edges: int | None = None) -> FlowGraph:
    """Return a copy keeping the ``top`` most frequent activities and ``top_edges`` most frequent connections.

    Start and End always stay; a connection touching a hidden activity is
    hidden too. Ties are broken by kind (MOT, INT, DEC) then name, so the
    result is stable. The copy records how much it hid (see ``hidden_note``).
    Raises ValidationError when ``top`` or ``top_edges`` is below 1.
    """
    for name, value in (("top", top), ("top_edges", top_edges)):
        if value is not None and value < 1:
            raise ValidationError(f"{name} {value} keeps nothing; give 1 or more, or leave it out to show everything")
    keep = {START, END}
    activities = graph.activities
    keep.update(n.id for n in (activities if top is None else activities[:top]))
    nodes = {k: n for k, n in graph.nodes.items() if k in keep}
    edges = {k: e for k, e in graph.edges.items() if k[0] in keep and k[1] in keep}
    if top_edges is not None and len(edges) > top_edges:
        ranked = sorted(edges.items(), key=lambda kv: (-kv[1].count, graph.nodes[kv[0][0]].name, graph.nodes[kv[0][1]].name))
        edges = dict(ranked[:top_edges])
    hidden = [n for n in activities if n.id not in keep]
    return replace(
        graph, nodes=nodes, edges=edges,
        hidden_nodes=graph.hidden_nodes + len(hidden),
        hidden_edges=graph.total_edges - len(edges),
        hidden_events=graph.hidden_events + sum(n.count for n in hidden),
        top=top, top_edges=top_edges,
    )


def edges_table(graph: FlowGraph) -> pd.DataFrame:
    """Return the edges as a DataFrame: source, target, count, median_s; most frequent first."""
    rows = [
        {"source": graph.nodes[a].name, "target": graph.nodes[b].name, "count": e.count, "median_s": e.median_s}
        for (a, b), e in graph.edges.items()
    ]
    frame = pd.DataFrame(rows, columns=["source", "target", "count", "median_s"])
    frame["median_s"] = frame["median_s"].astype("float64")
    return frame.sort_values(["count", "source", "target"], ascending=[False, True, True], kind="stable").reset_index(drop=True)


def nodes_table(graph: FlowGraph) -> pd.DataFrame:
    """Return the activities as a DataFrame: kind (MOT/INT/DEC), label, count, cases; most frequent first."""
    rows = [{"kind": n.kind.short, "label": n.label, "count": n.count, "cases": n.cases} for n in graph.activities]
    return pd.DataFrame(rows, columns=["kind", "label", "count", "cases"])


def check_view(view: str) -> str:
    """Return ``view`` if it is 'frequency' or 'time'; raise ValidationError otherwise."""
    if view not in VIEWS:
        raise ValidationError(f"unknown view '{view}'; use frequency or time")
    return view


def edge_text(edge: FlowEdge, view: str) -> str:
    """Return an edge's label in a view: its count, or its median time ('–' when unknown)."""
    if view == "time":
        return span_text(edge.median_s) if edge.median_s is not None else "–"
    return str(edge.count)


# --- layout -----------------------------------------------------------------

NODE_H = 40.0
NODE_GAP = 36.0
LAYER_GAP = 74.0
MARGIN = 30.0
TOP = 64.0
NAME_CHARS = 30


@dataclass
class Box:
    """A node's place: centre (x, y) and size."""

    x: float
    y: float
    w: float
    h: float

    @property
    def top(self) -> float:
        return self.y - self.h / 2

    @property
    def bottom(self) -> float:
        return self.y + self.h / 2

    @property
    def right(self) -> float:
        return self.x + self.w / 2

    @property
    def left(self) -> float:
        return self.x - self.w / 2


@dataclass
class FlowLayout:
    """Node boxes, each node's layer, the edges that point back up, and the drawing's size."""

    boxes: dict[str, Box]
    rank: dict[str, int]
    back: set
    width: float
    height: float


def _node_lines(node: FlowNode) -> tuple[str, str]:
    if node.kind is None:
        return node.label, f"{node.count} recordings" if node.count != 1 else "1 recording"
    return f"{node.kind.short} · {truncate(node.label, NAME_CHARS)}", f"{node.count}×  in {node.cases} rec."


def layout(graph: FlowGraph) -> FlowLayout:
    """Return a layered top-to-bottom layout of ``graph`` (pure Python, deterministic)."""
    order = sorted(graph.nodes, key=lambda k: (k != START, k == END, _node_rank(graph.nodes[k])))

    # journey order: where an activity typically happens; edges against it point back up
    seq = {k: i for i, k in enumerate(sorted(graph.nodes, key=lambda k: (graph.nodes[k].position, _node_rank(graph.nodes[k]))))}
    back = {(a, b) for (a, b) in graph.edges if a == b or seq[b] < seq[a]}

    # Layers by longest path over the forward edges; journey order is a topological order of them.
    # An activity cut off from everything before it (its predecessors were pruned) goes below
    # all that happens earlier, so the map still reads in journey order.
    preds: dict[str, list[str]] = defaultdict(list)
    for a, b in graph.edges:
        if (a, b) not in back:
            preds[b].append(a)
    rank: dict[str, int] = {}
    deepest = 0
    for k in sorted(graph.nodes, key=seq.__getitem__):
        if k == START:
            rank[k] = 0
            continue
        if k == END:
            continue
        rank[k] = max((rank[p] + 1 for p in preds[k]), default=deepest + 1)
        deepest = max(deepest, rank[k])
    rank[END] = deepest + 1

    layers: dict[int, list[str]] = defaultdict(list)
    for k in order:
        layers[rank[k]].append(k)
    n_layers = max(layers) + 1
    neighbours: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for (a, b), e in graph.edges.items():
        if a != b:
            neighbours[a].append((b, e.count))
            neighbours[b].append((a, e.count))

    def positions() -> dict[str, float]:
        return {k: i - (len(layer) - 1) / 2 for layer in layers.values() for i, k in enumerate(layer)}

    for sweep in range(4):
        sequence = range(1, n_layers) if sweep % 2 == 0 else range(n_layers - 2, -1, -1)
        for r in sequence:
            pos = positions()
            def bary(k: str) -> float:
                near = [(pos[o], w) for o, w in neighbours[k] if (rank[o] < r if sweep % 2 == 0 else rank[o] > r)]
                total = sum(w for _, w in near)
                return sum(p * w for p, w in near) / total if total else pos[k]
            layers[r].sort(key=bary)

    sizes = {}
    for k, n in graph.nodes.items():
        a, b = _node_lines(n)
        sizes[k] = max(text_width(a, 12), text_width(b, 10), 60.0) + 24
    loops = {a for (a, b) in graph.edges if a == b}
    room = {k: sizes[k] + (48.0 if k in loops else 0.0) for k in graph.nodes}  # a self-loop needs room on the right
    layer_w = {r: sum(room[k] for k in ks) + NODE_GAP * (len(ks) - 1) for r, ks in layers.items()}
    inner = max(layer_w.values())
    skips = sum(1 for (a, b) in graph.edges if a != b and (a, b) not in back and rank[b] - rank[a] > 1)
    # room beside the layers: edges skipping layers run down the left, edges looping back up the right
    left = MARGIN + (30.0 + 8.0 * min(skips, 12) if skips else 0.0)
    right = MARGIN + 40.0 + 8.0 * min(len(back), 12)
    width = max(left + inner + right, 560.0)
    centre = left + inner / 2
    boxes = {}
    for r, ks in layers.items():
        x = centre - layer_w[r] / 2
        y = TOP + NODE_H / 2 + r * (NODE_H + LAYER_GAP)
        for k in ks:
            boxes[k] = Box(x + sizes[k] / 2, y, sizes[k], NODE_H)
            x += room[k] + NODE_GAP
    height = TOP + n_layers * (NODE_H + LAYER_GAP) - LAYER_GAP + MARGIN
    return FlowLayout(boxes, rank, back, width, height)


# --- drawing ----------------------------------------------------------------


def _bezier(p0, c1, c2, p1, t: float) -> tuple[float, float]:
    u = 1 - t
    return tuple(u**3 * p0[i] + 3 * u * u * t * c1[i] + 3 * u * t * t * c2[i] + t**3 * p1[i] for i in (0, 1))  # type: ignore[return-value]


def _arrow(parent: Element, tip, before, size: float, color: str) -> None:
    dx, dy = tip[0] - before[0], tip[1] - before[1]
    length = (dx * dx + dy * dy) ** 0.5 or 1.0
    ux, uy = dx / length, dy / length
    bx, by = tip[0] - ux * size, tip[1] - uy * size
    pts = [tip, (bx - uy * size * 0.5, by + ux * size * 0.5), (bx + uy * size * 0.5, by - ux * size * 0.5)]
    parent.add("polygon", points=" ".join(f"{num(x)},{num(y)}" for x, y in pts), fill=color, stroke="none")


def build_flow_map(graph: FlowGraph, view: str = "frequency", title: str | None = None) -> Scene:
    """Return the flow map of ``graph`` as a :class:`Scene` in the ``frequency`` or ``time`` view.

    Edge labels show counts (frequency) or median times (time); edge width
    follows the same measure. When ``graph`` was pruned, a note says how many
    activities and connections are hidden. Raises ValidationError for another view.
    """
    check_view(view)
    lay = layout(graph)
    heading = title or f"Flow of {graph.cases} recording{'s' if graph.cases != 1 else ''}, {graph.events} events"
    caption = (
        "edge labels: how often one activity directly follows another"
        if view == "frequency"
        else "edge labels: median time from one activity's start to the next's"
    )
    note = graph.hidden_note()
    status = note or f"All {graph.total_nodes} activities and {graph.total_edges} connections shown; {caption}"
    wide = max(text_width(f"{heading} ({view} view)", 15), text_width(status, 11)) + 2 * MARGIN
    scene = Scene(max(lay.width, wide), lay.height)
    scene.title = f"{heading} ({view} view)"
    root = scene.root
    root.add("text", scene.title, x=MARGIN, y=22, font_size=15, font_weight="bold", fill="#222222", class_="map-title")
    root.add("text", status,
             x=MARGIN, y=40, font_size=11, fill="#B35806" if note else "#555555",
             class_="hidden-note" if note else "shown-note",
             data_hidden_nodes=graph.hidden_nodes, data_hidden_edges=graph.hidden_edges)
    if note:
        root.add("text", caption, x=MARGIN, y=54, font_size=10, fill="#555555")
    scene.description = note or caption

    values = [e.count if view == "frequency" else (e.median_s or 0.0) for e in graph.edges.values()]
    peak = max(values + [0.0]) or 1.0
    placer = LabelPlacer()
    for box in lay.boxes.values():
        placer.take((box.left, box.top, box.right, box.bottom))
    edges_g = root.group(class_="edges", fill="none")
    leftmost = min(b.left for b in lay.boxes.values())
    rightmost = max(b.right for b in lay.boxes.values())
    back_i = skip_i = 0
    for (a, b), e in sorted(graph.edges.items(), key=lambda kv: (-kv[1].count, kv[0])):
        ba, bb = lay.boxes[a], lay.boxes[b]
        measure = e.count if view == "frequency" else (e.median_s or 0.0)
        sw = 1.0 + 5.0 * measure / peak
        if a == b:
            p0, p1 = (ba.right, ba.y - 8), (ba.right, ba.y + 8)
            c1, c2 = (ba.right + 44, ba.y - 34), (ba.right + 44, ba.y + 34)
        elif (a, b) in lay.back or lay.rank[b] <= lay.rank[a]:
            back_i += 1
            out = rightmost + 24.0 + 8.0 * (back_i % 12)
            p0, p1 = (ba.right, ba.y), (bb.right, bb.y)
            c1, c2 = (out, ba.y), (out, bb.y)
        elif lay.rank[b] - lay.rank[a] > 1:
            skip_i += 1
            out = leftmost - 24.0 - 8.0 * (skip_i % 12)
            p0, p1 = (ba.left, ba.y), (bb.left, bb.y)
            c1, c2 = (out, ba.y), (out, bb.y)
        else:
            p0, p1 = (ba.x, ba.bottom), (bb.x, bb.top)
            dy = (p1[1] - p0[1]) * 0.5
            c1, c2 = (p0[0], p0[1] + dy), (p1[0], p1[1] - dy)
        g = edges_g.group(
            class_="edge", data_source=graph.nodes[a].name, data_target=graph.nodes[b].name,
            data_source_id=a, data_target_id=b, data_count=e.count,
            data_median_s="" if e.median_s is None else e.median_s,
            title=f"{graph.nodes[a].name} → {graph.nodes[b].name}: {e.count}×, median {span_text(e.median_s) or '–'}",
        )
        g.add("path", d=f"M {num(p0[0])} {num(p0[1])} C {num(c1[0])} {num(c1[1])} {num(c2[0])} {num(c2[1])} {num(p1[0])} {num(p1[1])}",
              stroke=EDGE_COLOR, stroke_width=num(sw))
        _arrow(g, p1, c2 if c2 != p1 else c1, 6.0 + sw, EDGE_COLOR)
        text = edge_text(e, view)
        tw = text_width(text, 10) + 8
        # the label goes at the first point along the edge where it covers no node or other label
        for t in (0.5, 0.38, 0.62, 0.28, 0.72, 0.5):
            mx, my = _bezier(p0, c1, c2, p1, t)
            box = (mx - tw / 2, my - 8, mx + tw / 2, my + 7)
            if placer.fits(box):
                break
        placer.take(box)
        g.add("rect", x=num(box[0]), y=num(box[1]), width=num(tw), height=15, rx=3, fill="#FFFFFF",
              fill_opacity=0.9, stroke="#BBBBBB", stroke_width=0.6)
        g.add("text", text, x=num(mx), y=num(my + 3.5), font_size=10, text_anchor="middle", fill="#222222",
              class_="edge-label", data_view=view)

    nodes_g = root.group(class_="nodes")
    for k, n in graph.nodes.items():
        box = lay.boxes[k]
        kind = n.kind
        color = TERMINAL_COLOR if kind is None else kind.color
        g = nodes_g.group(
            class_="node", data_node_id=k, data_kind="start" if k == START else "end" if k == END else kind.value,
            data_label=n.label, data_count=n.count, title=f"{n.name}: {n.count} times in {n.cases} recordings",
        )
        g.add("rect", x=num(box.x - box.w / 2), y=num(box.top), width=num(box.w), height=num(box.h),
              rx=num(box.h / 2 if kind is None else 6), fill=color, stroke="#FFFFFF", stroke_width=1.5)
        first, second = _node_lines(n)
        g.add("text", first, x=num(box.x), y=num(box.y - 3), font_size=12, font_weight="bold",
              text_anchor="middle", fill="#FFFFFF", class_="node-name")
        g.add("text", second, x=num(box.x), y=num(box.y + 12), font_size=10, text_anchor="middle",
              fill="#FFFFFF", class_="node-count")
    return scene


def _dot_str(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "") + '"'


def flow_dot(graph: FlowGraph, view: str = "frequency") -> str:
    """Return the flow map as Graphviz DOT text (labels escaped for DOT's quoted strings)."""
    check_view(view)
    ids = {k: f"n{i}" for i, k in enumerate(graph.nodes)}
    label = f"Flow of {graph.cases} recordings, {graph.events} events ({view} view)"
    if graph.pruned:
        label += "\n" + graph.hidden_note()
    lines = [
        "digraph flow {",
        f"  graph [rankdir=TB, labelloc=t, fontname=Helvetica, label={_dot_str(label)}];",
        '  node [shape=box, style="rounded,filled", fontname=Helvetica, fontcolor=white, color=white];',
        "  edge [fontname=Helvetica, fontsize=10];",
    ]
    for k, n in graph.nodes.items():
        first, second = _node_lines(n)
        shape = ", shape=ellipse" if n.kind is None else ""
        color = TERMINAL_COLOR if n.kind is None else n.kind.color
        lines.append(f"  {ids[k]} [label={_dot_str(first + chr(10) + second)}, fillcolor={_dot_str(color)}{shape}];")
    values = [e.count if view == "frequency" else (e.median_s or 0.0) for e in graph.edges.values()]
    peak = max(values + [0.0]) or 1.0
    for (a, b), e in graph.edges.items():
        measure = e.count if view == "frequency" else (e.median_s or 0.0)
        lines.append(
            f"  {ids[a]} -> {ids[b]} [label={_dot_str(edge_text(e, view))}, penwidth={1 + 5 * measure / peak:.2f}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"
