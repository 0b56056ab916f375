"""``annotate suggest``: a recording's suggested moments (computed when missing), and a reviewer's answers to them."""

from __future__ import annotations

import json

import click

from ..timebase import format_timecode
from .common import AppContext, data_options, open_store, pass_app, progress_bar, user_errors


@click.command("suggest")
@click.option("--recording", "recording_ref", required=True, help="Recording id or video path.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of the suggestions.")
@click.option("--recompute", is_flag=True, help="Analyse the recording again even if its suggestions are stored.")
@click.option("--reviewer", default="", help="Whose answers to show (and record with --accept/--dismiss).")
@click.option("--accept", "accept_id", metavar="SUGGESTION_ID", help="Make this suggestion an event.")
@click.option("--as", "as_kind", metavar="KIND", help="With --accept: the event's kind (MOT, INT, DEC) instead of the suggested one.")
@click.option("--dismiss", "dismiss_id", metavar="SUGGESTION_ID", help="Dismiss this suggestion.")
@data_options
@pass_app
def suggest_cmd(app: AppContext, recording_ref: str, as_json: bool, recompute: bool, reviewer: str,
                accept_id: str | None, as_kind: str | None, dismiss_id: str | None) -> None:
    """List a recording's suggested moments (screen changes, holds, silences, speech), finding them first if needed."""
    from ..suggest.service import suggestions_for  # PyAV, OpenCV, PySceneDetect: only when run

    if as_kind and not accept_id:
        raise click.UsageError("--as names the kind of an accepted suggestion; use it with --accept")
    store = open_store(app)
    with user_errors():
        rec = store.find_recording(recording_ref)
        with progress_bar(f"Looking for moments in #{rec.id}") as progress:
            found = suggestions_for(store, rec.id, reviewer, recompute=recompute, progress=progress)
        if accept_id:
            event = store.suggestions.accept(_own(found, accept_id), reviewer, as_kind)
            click.echo(f"accepted {accept_id} as {event.kind.short} event {event.id} at {event.start_s:.3f} s", err=True)
        if dismiss_id:
            store.suggestions.dismiss(_own(found, dismiss_id), reviewer)
            click.echo(f"dismissed {dismiss_id}", err=True)
        if accept_id or dismiss_id:
            found = store.suggestions.list(rec.id, reviewer)
    if as_json:
        click.echo(json.dumps([s.to_json() for s in found], indent=2, ensure_ascii=False))
        return
    if not found:
        click.echo(f"No suggested moments in recording {rec.id}.")
    for s in found:
        end = format_timecode(s.end_s) if s.end_s is not None else " " * 12
        state = "" if s.state == "open" else f"  [{s.state}]"
        click.echo(f"{s.id:<22} {s.type:<7} {format_timecode(s.start_s)}  {end}  {_short(s.suggested_kind)}  "
                   f"{s.score:.2f}  {s.reason}{state}")


def _own(found: list, suggestion_id: str) -> str:
    """Return ``suggestion_id`` when it is one of the recording's suggestions; else raise ClickException."""
    if not any(s.id == suggestion_id for s in found):
        raise click.ClickException(f"no suggestion {suggestion_id!r} in this recording; the list shows their ids")
    return suggestion_id


def _short(kind: str) -> str:
    from ..model import parse_kind

    return parse_kind(kind).short
