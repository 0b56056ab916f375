"""The aggregate flow map: a directly-follows graph of activities across recordings.

Each recording is one case; its events in step order are its trace. Nodes are
activities (the event label, grouped by kind; labels that differ only in case
or spacing are one activity) plus a Start and an End node. An edge a -> b
counts how often b directly follows a in a trace; its time is the median of
``start_s(b) - start_s(a)``. Start -> first activity takes the first event's
``start_s``; last activity -> End takes the time from the last event's start
to the end of the recording (only for recordings whose duration is known).

This module builds, prunes and tabulates the graph; :mod:`annotate.maps.flow_layout` places it and
:mod:`annotate.maps.flow_draw` draws it (and writes it for Graphviz).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from ..errors import ValidationError
from ..model import KINDS, Event, Kind, Recording, fold_name, parse_kind
from ..wording import plural
from .frame import by_value, events_frame, group_bounds, in_steps, py_round
from .journey import span_text

START, END = "__start__", "__end__"
VIEWS = ("frequency", "time")
NO_LABEL = "(no label)"


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
    median_s: float | None = None  # the median time between the two activities (None when no time is known)


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
        return sorted((n for n in self.nodes.values() if n.kind is not None), key=node_rank)

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
            f"Showing {shown_n} of {plural(self.total_nodes, 'activity', 'activities')} and "
            f"{shown_e} of {plural(self.total_edges, 'connection', 'connections')}: "
            f"{plural(self.hidden_nodes, 'activity', 'activities')} ({plural(self.hidden_events, 'event', 'events')}) "
            f"and {plural(self.hidden_edges, 'connection', 'connections')} hidden"
        )


def node_rank(n: FlowNode) -> tuple[int, int, str]:
    """Return the sort key of a node: most frequent first, then by kind (MOT, INT, DEC), then by name."""
    kind_order = KINDS.index(n.kind) if n.kind is not None else -1
    return (-n.count, kind_order, n.label.lower())


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
    return flow_of_frame(events_frame(events), durations)


def flow_of_frame(frame: pd.DataFrame, durations: Mapping[int, float | None]) -> FlowGraph:
    """Return the directly-follows graph of a map frame (:mod:`annotate.maps.frame`), as :func:`build_flow`.

    ``durations`` maps recording ids to their durations (None or 0: unknown).
    """
    f = in_steps(frame)
    rec, start = f["rec"].to_numpy(), f["start_s"].to_numpy()
    first, stop = group_bounds(rec)
    kind_values = np.array([k.value for k in KINDS], dtype=object)[f["kind_i"].to_numpy()]
    codes, ids = pd.factorize(pd.Series(kind_values, dtype=object) + "|" + by_value(f["label"], fold_name))
    length = np.repeat(stop - first, stop - first)
    step = f["step"].to_numpy() - 1
    positions = np.zeros(len(ids))
    np.add.at(positions, codes, np.where(length > 1, step / np.maximum(length - 1, 1), 0.5))  # in trace order
    counts = np.bincount(codes, minlength=len(ids))
    cases = np.bincount(pd.DataFrame({"rec": rec, "code": codes}).drop_duplicates()["code"], minlength=len(ids))
    spelled = _spellings(codes, by_value(f["label"], lambda v: " ".join(str(v).split()) or NO_LABEL))
    nodes: dict[str, FlowNode] = {
        START: FlowNode(START, None, "Start", len(first), len(first), -1.0),
        END: FlowNode(END, None, "End", len(first), len(first), 2.0),
    }
    for c, node_id in enumerate(ids):
        kind = parse_kind(node_id.split("|", 1)[0])
        nodes[node_id] = FlowNode(node_id, kind, spelled[c], int(counts[c]), int(cases[c]), positions[c] / counts[c])
    names = [START, END, *ids]  # code -2 is START, -1 END (see _edges)
    edges = {}
    for (a, b), count, median in _edges(codes, rec, start, first, stop, durations):
        edges[(names[a + 2], names[b + 2])] = FlowEdge(names[a + 2], names[b + 2], count, median)
    return FlowGraph(nodes=nodes, edges=edges, cases=len(first), events=len(f), total_nodes=len(ids),
                     total_edges=len(edges))


def _spellings(codes: np.ndarray, spelled: np.ndarray) -> list[str]:
    """Return, per node code, the spelling used most often (the first seen wins a tie)."""
    table = pd.DataFrame({"code": codes, "spelled": spelled, "seen": np.arange(len(codes))})
    ranked = table.groupby(["code", "spelled"], sort=False).agg(n=("seen", "size"), seen=("seen", "min")).reset_index()
    ranked = ranked.sort_values(["code", "n", "seen"], ascending=[True, False, True]).drop_duplicates("code")
    return list(ranked["spelled"])


def _edges(codes: np.ndarray, rec: np.ndarray, start: np.ndarray, first: np.ndarray, stop: np.ndarray,
           durations: Mapping[int, float | None]) -> Iterable[tuple[tuple[int, int], int, float | None]]:
    """Yield ((source code, target code), count, median time) per edge in first-seen order; Start is -2, End -1.

    Times: Start -> first takes the first start; a -> b the rounded gap between their starts; last -> End the
    rounded time left to the recording's end, only when its duration is known.
    """
    last = stop - 1
    same = rec[1:] == rec[:-1]
    pairs = np.flatnonzero(same)
    duration = np.array([float(durations.get(int(r)) or 0.0) for r in rec[first]])
    to_end = np.where(duration > 0, py_round(np.maximum(duration - start[last], 0.0)), np.nan)
    occurrences = pd.DataFrame({
        "a": np.concatenate([np.full(len(first), -2), codes[pairs], codes[last]]),
        "b": np.concatenate([codes[first], codes[pairs + 1], np.full(len(last), -1)]),
        "t": np.concatenate([start[first], py_round(start[pairs + 1] - start[pairs]), to_end]),
        "seen": np.concatenate([3 * first, 3 * pairs + 1, 3 * last + 2]),
    }).sort_values("seen", kind="stable")
    grouped = occurrences.groupby(["a", "b"], sort=False)["t"].agg(["size", "median"])
    for (a, b), n, median in zip(grouped.index, grouped["size"], grouped["median"]):
        yield (int(a), int(b)), int(n), None if np.isnan(median) else round(float(median), 3)


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
