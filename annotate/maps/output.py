"""Writing maps and metrics to files: SVG, PNG, HTML, DOT and CSV, picked by the file's suffix.

Every file is written atomically (temp file + rename). HTML pages are
self-contained (inline SVG and CSS, no scripts, nothing fetched) and escape
every user-written text.
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Iterable

import pandas as pd

from ..errors import ValidationError
from ..formats.common import neutralise
from ..fsutil import atomic_write_bytes, atomic_write_text
from ..model import Codebook, Event, Recording
from . import flow as flowmod
from .flow_draw import build_flow_map, flow_dot
from .png import check_size, to_png
from .scene import Scene
from .svg import to_svg
from .activity import activity_table
from .swimlane import WAIT_THRESHOLD_S, build_map

MAP_FORMATS = ("svg", "png", "html")
FLOW_FORMATS = ("svg", "png", "dot", "html")


def output_format(path: str | os.PathLike, allowed: Iterable[str], fmt: str | None = None) -> str:
    """Return the output format: ``fmt`` if given, else the file's suffix, checked against ``allowed``.

    Raises ValidationError naming the formats that are allowed.
    """
    allowed = tuple(allowed)
    chosen = (fmt or Path(path).suffix.lstrip(".")).lower()
    if chosen not in allowed:
        names = ", ".join("." + a for a in allowed)
        what = f"format '{chosen}'" if chosen else f"'{Path(path).name}' has no suffix, so its format"
        raise ValidationError(f"{what} is not supported here; name the output file with one of {names}")
    return chosen


def write_map(
    path: str | os.PathLike,
    events: Iterable[Event],
    codebook: Codebook | None = None,
    recording: Recording | None = None,
    *,
    fmt: str | None = None,
    width: int | None = None,
    height: int | None = None,
    wait_threshold_s: float = WAIT_THRESHOLD_S,
) -> Path:
    """Write the process-activity map of one recording as SVG, PNG or HTML; return the path.

    A PNG is exactly ``width`` x ``height`` pixels when both are given. Raises
    ValidationError for an unknown format, a bad size or a negative threshold.
    """
    kind = output_format(path, MAP_FORMATS, fmt)
    check_size(width, height)
    if wait_threshold_s < 0:
        raise ValidationError(f"wait threshold {wait_threshold_s} s is negative; give 0 or more seconds")
    events = list(events)
    scene = build_map(events, codebook, recording, wait_threshold_s=wait_threshold_s, width=width, height=height)
    if kind == "png":
        return atomic_write_bytes(path, to_png(scene, width, height))
    if kind == "svg":
        return atomic_write_text(path, to_svg(scene, width, height))
    table = activity_table(events, codebook)
    body = _figure(scene) + "<h2>Process-activity table</h2>\n" + _table(table.drop(columns=["event_id"]))
    return atomic_write_text(path, page(scene.title, body))


def write_flow(
    path: str | os.PathLike,
    graph: flowmod.FlowGraph,
    *,
    fmt: str | None = None,
    view: str = "frequency",
    width: int | None = None,
    height: int | None = None,
    title: str | None = None,
) -> Path:
    """Write a (possibly pruned) flow graph as SVG, PNG, DOT or HTML in ``view``; return the path.

    The HTML page holds both views (a switch, no script) and the edge and
    activity tables. Raises ValidationError for an unknown format, view or size.
    """
    kind = output_format(path, FLOW_FORMATS, fmt)
    flowmod.check_view(view)
    check_size(width, height)
    if kind == "dot":
        return atomic_write_text(path, flow_dot(graph, view))
    scene = build_flow_map(graph, view, title=title)
    if kind == "png":
        return atomic_write_bytes(path, to_png(scene, width, height))
    if kind == "svg":
        return atomic_write_text(path, to_svg(scene, width, height))
    return atomic_write_text(path, flow_html(graph, view, title=title))


def flow_html(graph: flowmod.FlowGraph, view: str = "frequency", title: str | None = None) -> str:
    """Return a self-contained HTML page with both views of the flow map (``view`` shown first) and its tables."""
    flowmod.check_view(view)
    scenes = {v: build_flow_map(graph, v, title=title) for v in flowmod.VIEWS}
    switch = "".join(
        f'<input type="radio" name="view" id="view-{v}"{" checked" if v == view else ""}>'
        f'<label for="view-{v}">{v.capitalize()}</label>\n'
        for v in flowmod.VIEWS
    )
    views = "".join(f'<div class="view view-{v}">{_figure(scenes[v])}</div>\n' for v in flowmod.VIEWS)
    note = graph.hidden_note()
    body = (
        switch
        + views
        + (f'<p class="hidden-note">{html.escape(note)}</p>\n' if note else "")
        + "<h2>Connections</h2>\n"
        + _table(flowmod.edges_table(graph))
        + "<h2>Activities</h2>\n"
        + _table(flowmod.nodes_table(graph))
    )
    return page(scenes[view].title, body)


_CSS = """
body{font-family:"DejaVu Sans",Verdana,Arial,sans-serif;margin:24px;color:#222}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}
figure{margin:0;overflow-x:auto;border:1px solid #ddd}
figure svg{display:block;max-width:none}
table{border-collapse:collapse;font-size:12px}th,td{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f4f4f4}
input[type=radio]{margin-left:12px}
.view{display:none}
#view-frequency:checked~.view-frequency,#view-time:checked~.view-time{display:block}
.hidden-note{color:#B35806;font-weight:bold}
"""


def page(title: str, body: str) -> str:
    """Return a standalone HTML page: escaped ``title`` as heading, then ``body`` (already HTML)."""
    t = html.escape(title)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{t}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<h1>{t}</h1>\n{body}</body>\n</html>\n"
    )


def _figure(scene: Scene) -> str:
    return f"<figure>\n{to_svg(scene, declaration=False)}</figure>\n"


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, escape=True, na_rep="", border=0) + "\n"


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy whose text cells cannot run as spreadsheet formulas (see :func:`annotate.formats.common.neutralise`)."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(lambda v: neutralise(v) if isinstance(v, str) else v)
    return out


def csv_text(frame: pd.DataFrame) -> str:
    """Return ``frame`` as CSV text: spreadsheet-safe text cells, empty cells for NaN, ``\\n`` line ends."""
    return spreadsheet_safe(frame).to_csv(index=False, lineterminator="\n")


def write_csv(path: str | os.PathLike, frame: pd.DataFrame) -> Path:
    """Write ``frame`` as UTF-8 :func:`csv_text` atomically; return the path."""
    return atomic_write_text(path, csv_text(frame))
