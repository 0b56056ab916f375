"""Where the flow map's nodes go: a layered top-to-bottom layout (pure Python, deterministic, no Graphviz).

Activities are ordered by where they typically happen (their mean relative position in the traces);
edges against that order loop back on the right, the others give the layers by longest path; the
order within a layer comes from barycentre sweeps.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from .flow import END, START, FlowGraph, FlowNode, node_rank
from .scene import text_width, truncate

NODE_H = 40.0
NODE_GAP = 36.0
LAYER_GAP = 74.0
MARGIN = 30.0
TOP = 64.0
NAME_CHARS = 30

Edge = tuple[str, str]


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
    back: set[Edge]
    width: float
    height: float


def node_lines(node: FlowNode) -> tuple[str, str]:
    """Return a node's two lines of text: its name, then how often it happens."""
    if node.kind is None:
        return node.label, f"{node.count} recordings" if node.count != 1 else "1 recording"
    return f"{node.kind.short} · {truncate(node.label, NAME_CHARS)}", f"{node.count}×  in {node.cases} rec."


def layout(graph: FlowGraph) -> FlowLayout:
    """Return a layered top-to-bottom layout of ``graph`` (pure Python, deterministic)."""
    back, rank = _ranks(graph)
    order = sorted(graph.nodes, key=lambda k: (k != START, k == END, node_rank(graph.nodes[k])))
    layers: dict[int, list[str]] = defaultdict(list)
    for k in order:
        layers[rank[k]].append(k)
    _sweep(graph, layers, rank)
    return _place(graph, layers, rank, back)


def _ranks(graph: FlowGraph) -> tuple[set[Edge], dict[str, int]]:
    """Return the edges that point back up (against journey order) and each node's layer.

    Layers by longest path over the forward edges; journey order is a topological order of them.
    An activity cut off from everything before it (its predecessors were pruned) goes below
    all that happens earlier, so the map still reads in journey order.
    """
    journey_order = sorted(graph.nodes, key=lambda k: (graph.nodes[k].position, node_rank(graph.nodes[k])))
    seq = {k: i for i, k in enumerate(journey_order)}
    back = {(a, b) for (a, b) in graph.edges if a == b or seq[b] < seq[a]}
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
    return back, rank


def _sweep(graph: FlowGraph, layers: dict[int, list[str]], rank: dict[str, int]) -> None:
    """Order each layer by the barycentre of its neighbours: two sweeps down, two up (in place)."""
    n_layers = max(layers) + 1
    neighbours: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for (a, b), e in graph.edges.items():
        if a != b:
            neighbours[a].append((b, e.count))
            neighbours[b].append((a, e.count))
    for sweep in range(4):
        down = sweep % 2 == 0
        for r in range(1, n_layers) if down else range(n_layers - 2, -1, -1):
            pos = {k: i - (len(layer) - 1) / 2 for layer in layers.values() for i, k in enumerate(layer)}

            def bary(k: str) -> float:
                near = [(pos[o], w) for o, w in neighbours[k] if (rank[o] < r if down else rank[o] > r)]
                total = sum(w for _, w in near)
                return sum(p * w for p, w in near) / total if total else pos[k]

            layers[r].sort(key=bary)


def _place(graph: FlowGraph, layers: dict[int, list[str]], rank: dict[str, int], back: set[Edge]) -> FlowLayout:
    """Return the layout with every node's box: layers centred, room beside them for the routed edges."""
    sizes = {}
    for k, n in graph.nodes.items():
        a, b = node_lines(n)
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
    height = TOP + (max(layers) + 1) * (NODE_H + LAYER_GAP) - LAYER_GAP + MARGIN
    return FlowLayout(boxes, rank, back, width, height)
