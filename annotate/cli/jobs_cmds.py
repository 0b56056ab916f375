"""``annotate worker`` and ``annotate jobs``: the queue's workers, and what they are doing."""

from __future__ import annotations

import json
import logging
import os

import click

from ..jobs import queue, worker
from .common import AppContext, data_options, pass_app


@click.command("worker")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Jobs this process runs at once.")
@click.option("--queue", "queue_url", help="The queue: sqlite (a file in the data directory) or redis://HOST:PORT/DB."
              " Default: ANNOTATE_QUEUE, else sqlite.")
@click.option("--inbox", is_flag=True, help="Also add the videos dropped into the data directory's inbox folder.")
@click.option("--parent-pid", type=int, hidden=True, help="Stop when this process is gone (annotate serve).")
@data_options
@pass_app
def worker_cmd(app: AppContext, workers: int, queue_url: str | None, inbox: bool, parent_pid: int | None) -> None:
    """Run queued jobs (proxies, overlays, clips, reels) until stopped; start one on every machine that helps."""
    if queue_url:
        os.environ["ANNOTATE_QUEUE"] = queue_url
    if app.data_dir:
        os.environ["ANNOTATE_DATA_DIR"] = str(app.data_dir)
    if app.db:
        os.environ["ANNOTATE_DB"] = app.db
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("huey").setLevel(logging.WARNING)
    click.echo(f"cx-annotate worker: {workers} at once, queue {queue.queue_url()}", err=True)
    worker.run_worker(workers, parent_pid=parent_pid, inbox=inbox)


@click.command("jobs")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.option("--state", "states", multiple=True, type=click.Choice(["queued", "running", "done", "failed"]),
              help="Only jobs in this state; repeat for several.")
@data_options
@pass_app
def jobs_cmd(app: AppContext, as_json: bool, states: tuple[str, ...]) -> None:
    """List the jobs on the queue: id, kind, recording, state, progress, worker and error."""
    found = app.store().jobs.list(states or None)
    if as_json:
        click.echo(json.dumps([j.to_dict() for j in found], indent=2, ensure_ascii=False))
        return
    if not found:
        click.echo("no jobs")
        return
    for j in found:
        rec = f"#{j.recording_id}" if j.recording_id is not None else "-"
        line = f"{j.id[:8]}  {j.kind:<7} {rec:<6} {j.state:<8} {j.fraction:>4.0%}  {j.worker or '-'}"
        click.echo(line + (f"  {j.error}" if j.error else ""))
