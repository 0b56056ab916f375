"""``annotate add``: register videos, or every video under a folder, and (with a queue) their proxies and
suggested moments as jobs."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..errors import AnnotateError
from ..model import Recording
from ..wording import plural
from .common import AppContext, data_options, open_store, pass_app, progress_bar

if TYPE_CHECKING:
    from ..store import Store  # start-up time: the store loads SQLAlchemy


@click.command("add")
@click.argument("videos", nargs=-1, required=True, type=click.Path())
@click.option("--title", help="Title for the recording (only with one VIDEO).")
@click.option("--no-proxy", is_flag=True, help="Do not make a browser proxy now.")
@click.option("--wait", is_flag=True, help="With a queue (ANNOTATE_QUEUE): wait until the queued proxies are made.")
@click.option("--reviewer", default="", help="Name stamped in the change log.")
@data_options
@pass_app
def add_cmd(app: AppContext, videos: tuple[str, ...], title: str | None, no_proxy: bool, wait: bool,
            reviewer: str) -> None:
    """Register recordings (a VIDEO may be a folder: every video under it); prints each one's id, path and title."""
    if title and (len(videos) > 1 or Path(videos[0]).is_dir()):
        raise click.UsageError("--title names one recording; add the videos one at a time")
    store, queued = open_store(app), _queue_configured()
    added: list[Recording] = []
    failed = total = 0
    for video in videos:
        if Path(video).is_dir():
            got, bad, seen = _add_folder(app, store, Path(video), reviewer, make_proxy=not (no_proxy or queued))
        else:
            got, bad, seen = _add_file(app, store, video, title, reviewer, not (no_proxy or queued), single=len(videos) == 1)
        added += got
        failed += bad
        total += seen
    if queued:
        _queue_jobs(store, app, [] if no_proxy else added, added, wait)
    if failed:
        raise click.ClickException(f"{failed} of {plural(total, 'video')} could not be added (see above)")


def _queue_configured() -> bool:
    from ..jobs.queue import queue_url

    return bool(os.environ.get("ANNOTATE_QUEUE")) and queue_url() != "inline"


def _add_file(app: AppContext, store: Store, video: str, title: str | None, reviewer: str, make_proxy: bool,
              single: bool) -> tuple[list[Recording], int, int]:
    from ..app.recordings import add_recording  # start-up time

    try:
        with progress_bar(f"Making a browser proxy of {Path(video).name}") as progress:
            rec, created = add_recording(store, app.settings, video, title=title, reviewer=reviewer,
                                         make_proxy=make_proxy, progress=progress)
    except AnnotateError as exc:
        if single:
            raise
        click.echo(f"Error: {exc}", err=True)
        return [], 1, 1
    click.echo(f"{rec.id}\t{rec.path}\t{rec.title}" + ("" if created else "  (already added)"))
    return ([rec] if created else []), 0, 1


def _add_folder(app: AppContext, store: Store, folder: Path, reviewer: str,
                make_proxy: bool) -> tuple[list[Recording], int, int]:
    from ..app.folders import add_folder, candidates

    count = sum(1 for _, media in candidates(folder) if media)
    added: list[Recording] = []
    with click.progressbar(length=max(count, 1), label=f"Adding {plural(count, 'video')} from {folder}",
                           file=sys.stderr) as bar:
        def report(path: Path, outcome: str, rec: Recording | None) -> None:
            bar.update(1)
            if rec is None:
                click.echo(f"Error: {outcome}", err=True)
                return
            if outcome == "added":
                added.append(rec)
            click.echo(f"{rec.id}\t{rec.path}\t{rec.title}" + ("  (already added)" if outcome == "already" else ""))

        result = add_folder(store, app.settings, folder, make_proxy=make_proxy, reviewer=reviewer, on_file=report)
    if result.skipped:
        click.echo(f"({plural(result.skipped, 'other file')} under {folder} skipped: not video)", err=True)
    return added, len(result.refused), count


def _queue_jobs(store: Store, app: AppContext, recs: list[Recording], suggest: list[Recording], wait: bool) -> None:
    """Queue the browser proxies ``recs`` need and the suggested moments of ``suggest``; ``wait`` for the proxies."""
    from ..jobs import queue
    from ..jobs.kinds import submit_analyses, submit_proxy

    queue.use(app.settings)
    for rec in suggest:  # not waited for: the moments are there when a worker has found them
        submit_analyses(store, app.settings, rec.id)
    if suggest:
        click.echo(f"queued the suggested moments, filmstrip and waveform of {plural(len(suggest), 'recording')}: "
                   "see `annotate jobs`", err=True)
    jobs = [submit_proxy(store, app.settings, r.id) for r in recs if not r.browser_playable and not r.proxy_path]
    if not jobs:
        return
    click.echo(f"queued {plural(len(jobs), 'browser proxy', 'browser proxies')}: see `annotate jobs`", err=True)
    if not wait:
        return
    pending = {j.id for j in jobs}
    while pending:
        for job_id in list(pending):
            row = store.jobs.get(job_id)
            if row.finished:
                pending.discard(job_id)
                if row.state == "failed":
                    click.echo(f"Error: {row.label}: {row.error}", err=True)
        time.sleep(0.3)
