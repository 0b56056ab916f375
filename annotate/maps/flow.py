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

import statistics
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Iterable, Mapping

import pandas as pd

from ..errors import ValidationError
from ..model import KINDS, Event, Kind, Recording, fold_name, parse_kind
from ..wording import plural
from . import journey
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


def activity_key(event: Event) -> tuple[Kind, str]:
    """Return the activity an event belongs to: its kind and its label folded for case and spacing."""
    return parse_kind(event.kind), fold_name(event.label)


ActivityKey = tuple[Kind, str]
_Node = ActivityKey | str  # an activity, or START / END


@dataclass
class _Tally:
    """What the traces say, by activity: spellings, occurrences, cases, summed positions; and the edges."""

    spellings: defaultdict[ActivityKey, defaultdict[str, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    counts: defaultdict[ActivityKey, int] = field(default_factory=lambda: defaultdict(int))
    cases: defaultdict[ActivityKey, set[int | None]] = field(default_factory=lambda: defaultdict(set))
    positions: defaultdict[ActivityKey, float] = field(default_factory=lambda: defaultdict(float))
    edges: dict[tuple[_Node, _Node], FlowEdge] = field(default_factory=dict)
    events: int = 0

    def edge(self, a: _Node, b: _Node) -> FlowEdge:
        """Return the edge a -> b, new (count 0) the first time."""
        if (a, b) not in self.edges:
            self.edges[(a, b)] = FlowEdge(a, b)  # type: ignore[arg-type]  # ids are set in _graph
        return self.edges[(a, b)]

    def add_trace(self, rid: int | None, trace: list[Event], duration: float) -> None:
        """Count one case: its events in step order, the recording's duration (0 when unknown)."""
        self.events += len(trace)
        keys = [activity_key(e) for e in trace]
        for i, (e, key) in enumerate(zip(trace, keys)):
            self.positions[key] += i / (len(trace) - 1) if len(trace) > 1 else 0.5
            self.spellings[key][" ".join(e.label.split()) or NO_LABEL] += 1
            self.counts[key] += 1
            self.cases[key].add(rid)
        first = self.edge(START, keys[0])
        first.count += 1
        first.times.append(trace[0].start_s)
        for (a, ea), (b, eb) in zip(zip(keys, trace), zip(keys[1:], trace[1:])):
            ed = self.edge(a, b)
            ed.count += 1
            ed.times.append(round(eb.start_s - ea.start_s, 3))
        last = self.edge(keys[-1], END)
        last.count += 1
        if duration > 0:
            last.times.append(round(max(duration - trace[-1].start_s, 0.0), 3))


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
    tally = _Tally()
    for rid in sorted(traces, key=lambda r: (r is None, r)):
        tally.add_trace(rid, journey.steps(traces[rid]), durations.get(rid) or 0.0)
    return _graph(tally, len(traces))


def _graph(tally: _Tally, cases: int) -> FlowGraph:
    """Return the graph of a tally over ``cases`` traces: node ids ``kind|folded label``, Start and End."""
    ids: dict[_Node, str] = {START: START, END: END}
    nodes: dict[str, FlowNode] = {
        START: FlowNode(START, None, "Start", cases, cases, -1.0),
        END: FlowNode(END, None, "End", cases, cases, 2.0),
    }
    for key, n in tally.counts.items():
        # the spelling used most often names the activity (first seen wins a tie)
        spelled = max(tally.spellings[key].items(), key=lambda kv: kv[1])[0]
        node_id = f"{key[0].value}|{key[1]}"
        ids[key] = node_id
        nodes[node_id] = FlowNode(node_id, key[0], spelled, n, len(tally.cases[key]), tally.positions[key] / n)
    out_edges = {}
    for (a, b), ed in tally.edges.items():
        ed.source, ed.target = ids[a], ids[b]
        out_edges[(ids[a], ids[b])] = ed
    return FlowGraph(
        nodes=nodes, edges=out_edges, cases=cases, events=tally.events,
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
