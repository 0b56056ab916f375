"""Drawing the flow map: a :class:`Scene` of the laid-out graph, and the same graph as Graphviz DOT.

Edges are cubic curves: down to the next layer, down the left when they skip layers, up the right
when they point back, a loop on the right for an activity that follows itself. Edge width and label
follow the view's measure (count or median time).
"""

from __future__ import annotations

from typing import Iterator

from .flow import END, START, FlowEdge, FlowGraph, check_view, edge_text
from .flow_layout import MARGIN, FlowLayout, layout, node_lines
from .journey import span_text
from .scene import Element, LabelPlacer, Scene, num, text_width

TERMINAL_COLOR = "#4D4D4D"
EDGE_COLOR = "#8C8C8C"

Point = tuple[float, float]
Curve = tuple[Point, Point, Point, Point]  # start, first control, second control, end


def build_flow_map(graph: FlowGraph, view: str = "frequency", title: str | None = None) -> Scene:
    """Return the flow map of ``graph`` as a :class:`Scene` in the ``frequency`` or ``time`` view.

    Edge labels show counts (frequency) or median times (time); edge width
    follows the same measure. When ``graph`` was pruned, a note says how many
    activities and connections are hidden. Raises ValidationError for another view.
    """
    check_view(view)
    lay = layout(graph)
    scene = _heading(graph, view, title, lay)
    peak = max([_measure(e, view) for e in graph.edges.values()] + [0.0]) or 1.0
    placer = LabelPlacer()
    for box in lay.boxes.values():
        placer.take((box.left, box.top, box.right, box.bottom))
    edges_g = scene.root.group(class_="edges", fill="none")
    for (a, b), e, curve in _routed_edges(graph, lay):
        _draw_edge(edges_g, graph, a, b, e, curve, view, 1.0 + 5.0 * _measure(e, view) / peak, placer)
    _draw_nodes(scene.root, graph, lay)
    return scene


def _measure(edge: FlowEdge, view: str) -> float:
    """Return what an edge's width shows in ``view``: its count, or its median time (0 when unknown)."""
    return edge.count if view == "frequency" else (edge.median_s or 0.0)


def _heading(graph: FlowGraph, view: str, title: str | None, lay: FlowLayout) -> Scene:
    """Return a new Scene wide enough for its heading, holding the title, what is shown, and the caption."""
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
    return scene


def _routed_edges(graph: FlowGraph, lay: FlowLayout) -> Iterator[tuple[tuple[str, str], FlowEdge, Curve]]:
    """Yield each edge, most frequent first, with its curve; side routes are spaced out as they come."""
    leftmost = min(b.left for b in lay.boxes.values())
    rightmost = max(b.right for b in lay.boxes.values())
    back_i = skip_i = 0
    for (a, b), e in sorted(graph.edges.items(), key=lambda kv: (-kv[1].count, kv[0])):
        ba, bb = lay.boxes[a], lay.boxes[b]
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
        yield (a, b), e, (p0, c1, c2, p1)


def _draw_edge(parent: Element, graph: FlowGraph, a: str, b: str, e: FlowEdge, curve: Curve, view: str,
               sw: float, placer: LabelPlacer) -> None:
    """Add one edge: its curve ``sw`` wide, its arrow head, and its label where the label covers nothing."""
    p0, c1, c2, p1 = curve
    g = parent.group(
        class_="edge", data_source=graph.nodes[a].name, data_target=graph.nodes[b].name,
        data_source_id=a, data_target_id=b, data_count=e.count,
        data_median_s="" if e.median_s is None else e.median_s,
        title=f"{graph.nodes[a].name} → {graph.nodes[b].name}: {e.count}×, median {span_text(e.median_s) or '–'}",
    )
    g.add("path", d=f"M {num(p0[0])} {num(p0[1])} C {num(c1[0])} {num(c1[1])} {num(c2[0])} {num(c2[1])} "
                    f"{num(p1[0])} {num(p1[1])}",
          stroke=EDGE_COLOR, stroke_width=num(sw))
    _arrow(g, p1, c2 if c2 != p1 else c1, 6.0 + sw, EDGE_COLOR)
    text = edge_text(e, view)
    tw = text_width(text, 10) + 8
    # the label goes at the first point along the edge where it covers no node or other label
    for t in (0.5, 0.38, 0.62, 0.28, 0.72, 0.5):
        mx, my = _bezier(curve, t)
        box = (mx - tw / 2, my - 8, mx + tw / 2, my + 7)
        if placer.fits(box):
            break
    placer.take(box)
    g.add("rect", x=num(box[0]), y=num(box[1]), width=num(tw), height=15, rx=3, fill="#FFFFFF",
          fill_opacity=0.9, stroke="#BBBBBB", stroke_width=0.6)
    g.add("text", text, x=num(mx), y=num(my + 3.5), font_size=10, text_anchor="middle", fill="#222222",
          class_="edge-label", data_view=view)


def _draw_nodes(root: Element, graph: FlowGraph, lay: FlowLayout) -> None:
    """Add every node: a rounded box in its kind's colour (Start and End grey pills) with its two lines."""
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
        first, second = node_lines(n)
        g.add("text", first, x=num(box.x), y=num(box.y - 3), font_size=12, font_weight="bold",
              text_anchor="middle", fill="#FFFFFF", class_="node-name")
        g.add("text", second, x=num(box.x), y=num(box.y + 12), font_size=10, text_anchor="middle",
              fill="#FFFFFF", class_="node-count")


def _bezier(curve: Curve, t: float) -> Point:
    """Return the point at ``t`` (0..1) along a cubic curve."""
    p0, c1, c2, p1 = curve
    u = 1 - t
    x, y = (u**3 * p0[i] + 3 * u * u * t * c1[i] + 3 * u * t * t * c2[i] + t**3 * p1[i] for i in (0, 1))
    return x, y


def _arrow(parent: Element, tip: Point, before: Point, size: float, color: str) -> None:
    """Add an arrow head ``size`` long at ``tip``, pointing away from ``before``."""
    dx, dy = tip[0] - before[0], tip[1] - before[1]
    length = (dx * dx + dy * dy) ** 0.5 or 1.0
    ux, uy = dx / length, dy / length
    bx, by = tip[0] - ux * size, tip[1] - uy * size
    pts = [tip, (bx - uy * size * 0.5, by + ux * size * 0.5), (bx + uy * size * 0.5, by - ux * size * 0.5)]
    parent.add("polygon", points=" ".join(f"{num(x)},{num(y)}" for x, y in pts), fill=color, stroke="none")


def _dot_str(text: str) -> str:
    """Return ``text`` as a DOT quoted string."""
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
        first, second = node_lines(n)
        shape = ", shape=ellipse" if n.kind is None else ""
        color = TERMINAL_COLOR if n.kind is None else n.kind.color
        lines.append(f"  {ids[k]} [label={_dot_str(first + chr(10) + second)}, fillcolor={_dot_str(color)}{shape}];")
    peak = max([_measure(e, view) for e in graph.edges.values()] + [0.0]) or 1.0
    for (a, b), e in graph.edges.items():
        lines.append(
            f"  {ids[a]} -> {ids[b]} [label={_dot_str(edge_text(e, view))}, penwidth={1 + 5 * _measure(e, view) / peak:.2f}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"
