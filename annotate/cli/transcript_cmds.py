"""``annotate transcript import|export|search`` and ``annotate transcribe``: the transcripts of recordings."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from .common import AppContext, data_options, output_file, pass_app, user_errors


@click.group("transcript")
def transcript_cmd() -> None:
    """Import, export and search the transcripts of recordings (WebVTT, SRT, with speakers)."""


@transcript_cmd.command("import")
@click.argument("transcript_file", metavar="FILE.vtt|FILE.srt", type=click.Path(exists=True, dir_okay=False))
@click.option("--recording", "recording_ref", required=True, help="Recording id or video path.")
@click.option("--reviewer", default="", help="Who imports it (kept in the change log).")
@data_options
@pass_app
def import_cmd(app: AppContext, transcript_file: str, recording_ref: str, reviewer: str) -> None:
    """Make a WebVTT or SRT file the recording's transcript, replacing the one it had (undo puts it back)."""
    from ..transcripts.cues import read_file

    store = app.store()
    with user_errors():
        rec = store.find_recording(recording_ref)
        before = store.transcripts.info(rec.id)
        info = store.transcripts.replace(rec.id, read_file(transcript_file), Path(transcript_file).name, reviewer)
    speakers = store.transcripts.speakers(rec.id)
    replaced = f", replacing {before.lines} from {before.source or 'before'}" if before else ""
    click.echo(f"Imported {info.lines} lines ({len(speakers)} speakers) into the transcript of recording "
               f"{rec.id}{replaced}")


@transcript_cmd.command("export")
@click.option("--recording", "recording_ref", required=True, help="Recording id or video path.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), callback=output_file,
              help="The file to write: .vtt, .srt or .json.")
@click.option("--format", "fmt", type=click.Choice(["vtt", "srt", "json"]), help="Format (default: from the suffix).")
@data_options
@pass_app
def export_cmd(app: AppContext, recording_ref: str, output: str, fmt: str | None) -> None:
    """Write a recording's transcript as WebVTT (speakers as voice tags), SRT or JSON."""
    from ..transcripts.write import format_of, write_file

    store = app.store()
    with user_errors():
        chosen = format_of(output, fmt)
        rec = store.find_recording(recording_ref)
        info = store.transcripts.info(rec.id)
        if info is None:
            raise click.ClickException(f"recording {rec.id} has no transcript: import one with "
                                       f"`annotate transcript import FILE.vtt --recording {rec.id}`")
        about = {"recording": rec.id, "title": rec.title, "source": info.source}
        count = write_file(output, store.transcripts.lines(rec.id), chosen, about)
    click.echo(f"Wrote {count} lines of recording {rec.id}'s transcript to {output}")


@transcript_cmd.command("search")
@click.argument("text")
@click.option("--words", "whole_words", is_flag=True, help="Whole words only ('hold' does not find 'holding').")
@click.option("--recording", "recording_refs", multiple=True, help="Only this recording (id or path; repeatable).")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1, 100_000), help="Most lines shown.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@data_options
@pass_app
def search_cmd(app: AppContext, text: str, whole_words: bool, recording_refs: tuple[str, ...], limit: int,
               as_json: bool) -> None:
    """Find TEXT (any case) in every recording's transcript: recording, time, speaker and line."""
    from ..timebase import format_timecode

    store = app.store()
    with user_errors():
        ids = [store.find_recording(ref).id for ref in recording_refs] or None
        hits = store.transcripts.search(text, whole_words=whole_words, recording_ids=ids, limit=limit)
    if as_json:
        click.echo(json.dumps([h.to_dict() for h in hits], indent=2, ensure_ascii=False))
        return
    if not hits:
        click.echo(f"'{text}' is in no transcript")
        return
    for hit in hits:
        who = f"{hit.line.speaker}: " if hit.line.speaker else ""
        click.echo(f"#{hit.recording_id}  {format_timecode(hit.line.start_s)}  {who}{hit.line.text}")


@click.command("transcribe")
@click.option("--recording", "recording_ref", required=True, help="Recording id or video path.")
@click.option("--wait", is_flag=True, help="Wait until the transcript is made (always, with ANNOTATE_QUEUE=inline).")
@data_options
@pass_app
def transcribe_cmd(app: AppContext, recording_ref: str, wait: bool) -> None:
    """Transcribe a recording's speech offline (faster-whisper) into its transcript, as a queued job."""
    from ..jobs import queue
    from ..jobs.kinds import submit_transcribe
    from ..transcripts.asr import check_installed

    store = app.store()
    with user_errors():
        check_installed()
        rec = store.find_recording(recording_ref)
        queue.use(app.settings)
        job = submit_transcribe(store, app.settings, rec.id)
        inline = queue.queue_url() == "inline"
        if inline and job.state == "queued":  # queued before by a process that is gone: run it here (claim is CAS)
            queue.enqueue(job.id)
    if not (wait or inline):
        click.echo(f"queued job {job.id[:8]}: the {job.label}; a worker makes it (`annotate worker`), "
                   "see `annotate jobs`")
        return
    if not inline:
        click.echo(f"waiting for a worker to make the {job.label} (`annotate worker`)...", err=True)
    while not (job := store.jobs.get(job.id)).finished:
        time.sleep(0.3)
    if job.state == "failed":
        raise click.ClickException(f"{job.label}: {job.error}")
    info = store.transcripts.info(rec.id)
    click.echo(f"Transcribed recording {rec.id}: {info.lines if info else 0} lines "
               f"(see `annotate transcript export --recording {rec.id} -o FILE.vtt`)")
    if inline:
        queue.reset()  # the inline queue's threads end with the command
