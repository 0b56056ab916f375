"""Process-activity maps, the aggregate flow map and the diagnostics metrics (no store, no UI).

- :func:`build_map` / :func:`activity_table`: one recording as a swimlane chart and its table.
- :func:`build_flow`, :func:`prune`, :func:`build_flow_map`, :func:`flow_dot`: the directly-follows
  graph across recordings, with its own layout (no Graphviz needed).
- :func:`metrics`: the 15 diagnostics metrics as a DataFrame (see docs/metrics.md).
- :func:`write_map`, :func:`write_flow`, :func:`write_csv`: files by suffix (SVG, PNG, HTML, DOT, CSV).
- :func:`to_svg`, :func:`to_png`: render any :class:`Scene` (PNG with Pillow only).
"""

from .flow import FlowEdge, FlowGraph, FlowNode, build_flow, edges_table, nodes_table, prune
from .flow_draw import build_flow_map, flow_dot
from .metrics import GROUPINGS, METRICS, metrics
from .output import FLOW_FORMATS, MAP_FORMATS, flow_html, write_csv, write_flow, write_map
from .png import to_png
from .scene import Scene
from .svg import to_svg
from .activity import activity_table
from .swimlane import WAIT_THRESHOLD_S, build_map

__all__ = [
    "FLOW_FORMATS", "GROUPINGS", "MAP_FORMATS", "METRICS", "WAIT_THRESHOLD_S",
    "FlowEdge", "FlowGraph", "FlowNode", "Scene",
    "activity_table", "build_flow", "build_flow_map", "build_map", "edges_table", "flow_dot", "flow_html",
    "metrics", "nodes_table", "prune", "to_png", "to_svg", "write_csv", "write_flow", "write_map",
]
