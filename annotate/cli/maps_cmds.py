"""Map commands: ``map`` (one recording's process-activity map), ``flow`` (the flow map of many)
and ``metrics`` (the 15 diagnostics metrics as CSV)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from ..maps import FLOW_FORMATS, GROUPINGS, MAP_FORMATS, WAIT_THRESHOLD_S, prune, write_csv, write_flow, write_map
from ..maps.flow import VIEWS, flow_of_frame
from ..maps.metrics import metrics_of_frame
from ..model import Recording
from ..wording import plural
from .common import F, AppContext, data_options, open_store, output_file, pass_app, user_errors

if TYPE_CHECKING:
    import pandas as pd

    from ..store import Store


def _selection(store: Store, refs: tuple[str, ...], flow: bool = False) -> tuple[list[Recording], pd.DataFrame]:
    """Return (recordings, their events as a map frame): the named recordings, or all of them when none is named.

    The events are read in columns (``store.aggregates``), never one object each; for the ``flow`` map only the
    columns it reads. Raises NotFoundError for a reference that names no recording.
    """
    from ..maps.frame import FLOW_ROW_COLUMNS, MAP_ROW_COLUMNS, tables_frame
    from ..store.aggregates import EventWhere

    named = [store.find_recording(ref) for ref in dict.fromkeys(refs)]
    recs = named or store.list_recordings()
    where = EventWhere(recording_ids=tuple(r.id for r in named)) if named else None
    columns = FLOW_ROW_COLUMNS if flow else MAP_ROW_COLUMNS
    return recs, tables_frame(store.aggregates.map_tables(where, columns), columns)


_size = [
    click.option("--width", type=click.IntRange(16, 16000), help="Width in pixels (PNG exactly this size)."),
    click.option("--height", type=click.IntRange(16, 16000), help="Height in pixels (PNG exactly this size)."),
]


def _with_size(fn: F) -> F:
    """Add --width and --height."""
    for option in reversed(_size):
        fn = option(fn)
    return fn


@click.command("map")
@click.option("--recording", "recording_ref", required=True, help="Recording id or video path.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), callback=output_file,
              help=f"Output file: {', '.join('.' + f for f in MAP_FORMATS)}.")
@_with_size
@click.option("--wait-threshold", type=click.FloatRange(min=0), default=WAIT_THRESHOLD_S, show_default=True,
              help="Label waits longer than this many seconds.")
@data_options
@pass_app
def map_cmd(app: AppContext, recording_ref: str, output: str, width: int | None, height: int | None, wait_threshold: float) -> None:
    """Draw one recording's process-activity map (swimlanes by actor, stages, waits, emotion)."""
    with user_errors():
        store = open_store(app)
        rec = store.find_recording(recording_ref)
        events = store.list_events(rec.id)
        path = write_map(output, events, store.get_codebook(), rec, width=width, height=height,
                         wait_threshold_s=wait_threshold)
    click.echo(f"Wrote the map of recording {rec.id} ({plural(len(events), 'event')}) to {path}")


@click.command("flow")
@click.option("--recording", "recording_refs", multiple=True, help="Recording id or path (repeatable; default all).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), callback=output_file,
              help=f"Output file: {', '.join('.' + f for f in FLOW_FORMATS)}.")
@click.option("--view", type=click.Choice(VIEWS), default="frequency", show_default=True,
              help="Edge labels: counts (frequency) or median times (time).")
@click.option("--top", type=click.IntRange(min=1), help="Keep only the N most frequent activities.")
@click.option("--top-edges", type=click.IntRange(min=1), help="Keep only the N most frequent connections.")
@_with_size
@data_options
@pass_app
def flow_cmd(app: AppContext, recording_refs: tuple[str, ...], output: str, view: str, top: int | None, top_edges: int | None,
             width: int | None, height: int | None) -> None:
    """Draw the flow map (which activity directly follows which) across recordings."""
    with user_errors():
        recs, frame = _selection(open_store(app), recording_refs, flow=True)
        if frame.empty:
            raise click.ClickException("the selected recordings have no events yet; annotate some first")
        graph = prune(flow_of_frame(frame, {r.id: r.duration_s for r in recs}), top, top_edges)
        path = write_flow(output, graph, view=view, width=width, height=height)
    click.echo(f"Wrote the flow map of {plural(graph.cases, 'recording')} ({plural(graph.events, 'event')}) to {path}")
    if graph.pruned:
        click.echo(graph.hidden_note())


@click.command("metrics")
@click.option("--recording", "recording_refs", multiple=True, help="Recording id or path (repeatable; default all).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), callback=output_file, help="CSV file to write (default: print a table).")
@click.option("--by", type=click.Choice(GROUPINGS), default="recording", show_default=True,
              help="One row per recording, stage or kind, or one for the whole selection.")
@data_options
@pass_app
def metrics_cmd(app: AppContext, recording_refs: tuple[str, ...], output: str | None, by: str) -> None:
    """Compute the 15 diagnostics metrics (see docs/metrics.md) per recording, stage or kind."""
    with user_errors():
        store = open_store(app)
        recs, events = _selection(store, recording_refs)
        frame = metrics_of_frame(events, recs, store.get_codebook(), by=by)
        if output is None:
            click.echo(frame.to_string(index=False) if len(frame) else "No recordings selected.")
            return
        if not output.lower().endswith(".csv"):
            raise click.ClickException(f"'{output}' does not end in .csv; metrics are written as CSV")
        path = write_csv(output, frame)
    click.echo(f"Wrote {plural(len(frame), 'row')} of metrics by {by} to {path}")
