"""Foundation commands: info, add, list, import, export, serve.

These load with the CLI, so the media, recordings, importing and formats layers (PyAV, pyarrow) and the
model (20 ms of dataclasses and patterns) are imported inside the command that uses them: `annotate --help`
must stay under 0.3 s (bench/startup.py). Those are the only imports inside functions here.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..errors import NotFoundError
from ..wording import plural
from .common import AppContext, data_options, open_store, output_file, pass_app

if TYPE_CHECKING:
    from ..model import Recording
    from ..store import Store

# Rows per chunk of a streamed CSV export (Arrow tables: Store.event_tables). The peak grows with it (500,000
# events: 129 MB at 5,000 rows, 151 MB at 10,000, 171 MB at 20,000) and the CPU time barely falls past it
# (5.5 s, 5.1 s, 5.2 s).
EXPORT_ROWS = 5000


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


@click.command("info")
@click.argument("video", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@data_options
def info_cmd(video: str, as_json: bool) -> None:
    """Show what a video holds: duration, exact frame rate, size, rotation, codecs."""
    from ..media import probe  # start-up time (see the module docstring)

    info = probe(video).to_json()
    if as_json:
        _echo_json(info)
        return
    width = max(len(k) for k in info)
    for key, value in info.items():
        click.echo(f"{key:<{width}}  {value}")


@click.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@data_options
@pass_app
def list_cmd(app: AppContext, as_json: bool) -> None:
    """List the recordings with their status and event counts per kind."""
    from ..model import KINDS  # start-up time
    rows = []
    store = open_store(app)
    preparing = store.jobs.preparing()
    for summary in store.recording_summaries():
        rec = summary["recording"]
        rows.append(
            {
                "id": rec.id,
                "path": rec.path,
                "title": rec.title,
                "duration_s": rec.duration_s,
                "status": "preparing" if rec.id in preparing else rec.status.value,
                "event_counts": {k.value: summary["event_counts"].get(k.value, 0) for k in KINDS},
                "last_change": summary.get("last_change"),
            }
        )
    if as_json:
        _echo_json(rows)
        return
    if not rows:
        click.echo("No recordings yet; add one with: annotate add VIDEO")
        return
    for row in rows:
        counts = "  ".join(f"{k.short} {row['event_counts'][k.value]}" for k in KINDS)
        click.echo(f"{row['id']:>4}  {row['status']:<9}  {row['duration_s']:>8.3f} s  {counts}  {row['title']}")


@click.command("import")
@click.argument("events_file", type=click.Path(dir_okay=False, exists=True))
@click.option("--recording", "recording_ref", required=True, help="Recording id or video path (a new path is added first).")
@click.option("--format", "fmt", help="File format (default: from the suffix).")
@click.option("--map", "mappings", multiple=True, metavar="NAME=KIND", help="Map a behaviour/tier/label to a kind.")
@click.option("--reviewer", default="", help="Name stamped on imported events without one.")
@data_options
@pass_app
def import_cmd(app: AppContext, events_file: str, recording_ref: str, fmt: str | None, mappings: tuple[str, ...], reviewer: str) -> None:
    """Import events into a recording: all of the file or nothing."""
    # Arrow's default allocator (mimalloc) keeps the blocks a streamed CSV frees for reuse: ~10 MB more peak for a
    # 100,000-event file than the C library's, which hands them back; same time. Before pyarrow loads; the user's
    # setting wins.
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    from ..app.importing import import_events  # start-up time
    from ..heap import pin_mmap_threshold

    pin_mmap_threshold()  # the large blocks it frees go back to the system, not into a heap that keeps them

    store = open_store(app)
    rec = _recording_for(app, store, recording_ref)
    mapping = _parse_mappings(mappings)
    try:
        data = Path(events_file).read_bytes()
    except OSError as exc:
        raise click.ClickException(f"cannot read {events_file}: {exc.strerror or exc}") from None
    result = import_events(store, rec.id, data, Path(events_file).name, format=fmt, mapping=mapping, reviewer=reviewer)
    click.echo(result.summary())


TRANSCRIPT_FORMATS = ("csv", "json", "eaf")  # the event formats that carry a recording's transcript


def _transcripts(store, fmt: str, recs) -> dict:
    """Return ``{"transcripts": ...}`` for the formats that carry transcripts (CSV, JSON, ELAN) when any of
    ``recs`` has one, and the JSON's ``{"comments": ...}`` when any has comments; else nothing (so a file
    without them is as it always was)."""
    if fmt not in TRANSCRIPT_FORMATS:
        return {}
    from ..transcripts.events import for_export

    found = for_export(store, [r.id for r in recs])
    extra: dict = {"transcripts": found} if found else {}
    if fmt == "json":  # the comment threads too (few: read whole)
        threads = {r.id: [c.to_dict() for c in store.comments.thread(r.id)] for r in recs}
        extra.update({"comments": threads} if any(threads.values()) else {})
    return extra


@click.command("export")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), callback=output_file,
              help="File to write.")
@click.option("--recording", "recording_refs", multiple=True, help="Recording id or path (repeatable; default all).")
@click.option("--format", "fmt", help="File format (default: from the suffix).")
@data_options
@pass_app
def export_cmd(app: AppContext, output: str, recording_refs: tuple[str, ...], fmt: str | None) -> None:
    """Export events (CSV by default) of some or all recordings."""
    from ..formats import format_for_path, get_format, write_event_tables, write_events  # start-up time
    from ..formats.columns import no_gc

    store = open_store(app)
    recs = [store.find_recording(ref) for ref in recording_refs] or store.list_recordings()
    chosen = get_format(fmt) if fmt else format_for_path(output)
    if chosen.name == "csv":  # streamed from the store in chunks of columns: memory stays flat with the count
        count = [0]

        def tables():
            # Every recording: one read in recording order; named ones: in the order given.
            reads = [store.event_tables(by_recording=True, chunk_size=EXPORT_ROWS)] if not recording_refs else \
                (store.event_tables([rec.id], chunk_size=EXPORT_ROWS) for rec in recs)
            for read in reads:
                for table in read:
                    count[0] += table.num_rows
                    yield table

        with no_gc():  # the read makes millions of objects, none in cycles: no collector passes over them
            write_event_tables(output, tables(), {r.id: r for r in recs}, **_transcripts(store, chosen.name, recs))
        total = count[0]
    else:
        events = [e for rec in recs for e in store.list_events(rec.id)]
        write_events(output, events, {r.id: r for r in recs}, format=chosen, codebook=store.get_codebook(),
                     **_transcripts(store, chosen.name, recs))
        total = len(events)
    click.echo(f"Wrote {plural(total, 'event')} from {plural(len(recs), 'recording')} to {output}")


def _recording_for(app: AppContext, store: Store, ref: str) -> Recording:
    """Return the recording ``ref`` names; a path not yet registered is added first.

    Raises NotFoundError when ``ref`` is neither a stored recording nor a file.
    """
    try:
        return store.find_recording(ref)
    except NotFoundError:
        if not Path(ref).is_file():
            raise
    from ..app.recordings import add_recording  # start-up time (PyAV): only for a new path

    rec, _ = add_recording(store, app.settings, ref)
    return rec


def _parse_mappings(pairs: tuple[str, ...]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        name, sep, kind = pair.rpartition("=")
        if not sep or not name.strip() or not kind.strip():
            raise click.BadParameter(f"'{pair}' is not NAME=KIND, e.g. --map \"Greets=MOT\"", param_hint="--map")
        mapping[name.strip()] = kind.strip()
    return mapping
