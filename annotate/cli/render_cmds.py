"""Video commands: ``render`` (the overlay video), ``clip`` (a few seconds around a time) and ``reel``
(every matching event's clip, each after a title card)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

from ..export import ENCODERS, X264_PRESETS, ExportOptions, reel_items, render_clip, render_overlay, render_reel
from ..formats import read_events
from ..media import probe
from ..model import KINDS, Event, Recording, parse_kind
from ..timebase import parse_time
from ..wording import plural
from .common import F, AppContext, data_options, open_store, output_file, pass_app, progress_bar
from .common import remember_title, user_errors


def _video_options(fn: F) -> F:
    """Add --strip, --preset, --crf and --encoder."""
    fn = click.option("--encoder", type=click.Choice(ENCODERS), default="libx264", show_default=True,
                      help="H.264 encoder (h264_nvenc needs an NVIDIA GPU).")(fn)
    fn = click.option("--crf", type=click.IntRange(0, 51), default=23, show_default=True,
                      help="Quality: lower is better and bigger.")(fn)
    fn = click.option("--preset", type=click.Choice(X264_PRESETS), default="veryfast", show_default=True,
                      help="Encoder speed: slower presets give smaller files.")(fn)
    fn = click.option("--strip", type=click.Choice(["below", "overlay"]), default="below", show_default=True,
                      help="Timeline strip in a band below the picture (nothing covered), or drawn over its bottom.")(fn)
    return fn


def _transient_recording(video: str) -> Recording:
    """Return an unsaved Recording for a bare video file (probed, not hashed or stored)."""
    info = probe(video)
    path = Path(video).expanduser().resolve()
    return Recording(
        path=str(path), title=path.stem, duration_s=round(info.duration_s, 3), fps=str(info.fps),
        frame_count=info.frame_count, width=info.width, height=info.height,
        start_offset_s=info.start_offset_s, vfr=info.vfr, browser_playable=info.browser_playable,
    )


def _video_of(rec: Recording) -> str:
    """Return the file to read for a stored recording: the original, or its proxy if the original is gone."""
    if Path(rec.path).is_file() or not rec.proxy_path or not Path(rec.proxy_path).is_file():
        return rec.path
    return rec.proxy_path


def _sources(app: AppContext, video: str | None, events_file: str | None, recording_refs: tuple[str, ...]) -> list[tuple[Recording, str, list[Event]]]:
    """Return (recording, video file, events) for the command's inputs: VIDEO with --events, or stored recordings."""
    if recording_refs:
        if events_file:
            raise click.UsageError("use either --events (with VIDEO) or --recording, not both")
        store = open_store(app)
        out = []
        for ref in dict.fromkeys(recording_refs):
            rec = store.find_recording(ref)
            path = video or _video_of(rec)
            remember_title(app.settings, rec.title, path)
            out.append((rec, path, store.list_events(rec.id)))
        if video and len(out) > 1:
            raise click.UsageError("VIDEO names one file; give it with one --recording, or leave it out")
        return out
    if not video:
        raise click.UsageError("give a VIDEO (with --events EVENTS.csv) or --recording ID")
    rec = _transient_recording(video)
    events: list[Event] = []
    if events_file:
        events = read_events(events_file, recording=rec)
    return [(rec, video, events)]


@click.command("render")
@click.argument("video", required=False, type=click.Path(dir_okay=False))
@click.option("--events", "events_file", type=click.Path(dir_okay=False), help="Event file (CSV) for VIDEO.")
@click.option("--recording", "recording_ref", help="Stored recording id or path: render its stored events.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), callback=output_file,
              help="Video to write (.mp4).")
@click.option("--flash-seconds", type=click.FloatRange(min=0.05, max=60), default=0.8, show_default=True,
              help="How long each event's flash takes to fade.")
@click.option("--no-captions", is_flag=True, help="Leave out the captions.")
@click.option("--no-timeline", is_flag=True, help="Leave out the timeline strip.")
@click.option("--no-flash", is_flag=True, help="Leave out the flashes.")
@click.option("--subtitles", is_flag=True, help="Show the recording's transcript as subtitles (with --recording).")
@_video_options
@data_options
@pass_app
def render_cmd(app: AppContext, video: str | None, events_file: str | None, recording_ref: str | None, output: str,
               flash_seconds: float, no_captions: bool, no_timeline: bool, no_flash: bool, subtitles: bool, strip: str,
               preset: str, crf: int, encoder: str) -> None:
    """Write the overlay video: the recording with every event flashed, captioned and on a timeline."""
    with user_errors():
        [(rec, path, events)] = _sources(app, video, events_file, (recording_ref,) if recording_ref else ())
        _check_events(rec, events, events_file, recording_ref)
        options = ExportOptions.make(flash_s=flash_seconds, captions=not no_captions, timeline=not no_timeline,
                                     flash=not no_flash, strip=strip, preset=preset, crf=crf, encoder=encoder,
                                     subtitles=subtitles)
        lines = _subtitles(app, rec) if subtitles else ()
        with progress_bar(f"Rendering {rec.title or Path(path).name}") as bar:
            out = render_overlay(path, events, output, options=options, progress=bar, subtitles=lines)
    click.echo(f"Wrote {out} ({plural(len(events), 'event')})")


def _subtitles(app: AppContext, rec: Recording) -> list[tuple[float, float, str]]:
    """Return the subtitle lines of a stored recording's transcript. Raises ClickException without one."""
    from ..render.subtitles import lines_from

    store = open_store(app)
    if rec.id is None or store.transcripts.info(rec.id) is None:
        raise click.ClickException("--subtitles needs a stored recording with a transcript: give --recording ID "
                                   "and import one with `annotate transcript import`")
    return lines_from(store.transcripts.lines(rec.id))


def _check_events(rec: Recording, events: list[Event], events_file: str | None, recording_ref: str | None) -> None:
    """Refuse (ClickException) a render with no event source; warn on stderr when the source holds no events."""
    if not events_file and not recording_ref:
        raise click.ClickException(
            f"nothing to draw on {Path(rec.path).name}: give --events EVENTS.csv, or --recording ID for stored events"
        )
    if not events:
        source = events_file or f"recording {rec.id} ({rec.title})"
        click.echo(f"Note: {source} holds no events; the video gets only the timeline.", err=True)


@click.command("clip")
@click.argument("video", required=False, type=click.Path(dir_okay=False))
@click.option("--at", "at", required=True, help="Time of the clip's centre: seconds (62.5) or a timecode (00:01:02.500).")
@click.option("--before", type=click.FloatRange(min=0), default=3.0, show_default=True, help="Seconds before --at.")
@click.option("--after", type=click.FloatRange(min=0), default=5.0, show_default=True, help="Seconds after --at.")
@click.option("--events", "events_file", type=click.Path(dir_okay=False), help="Event file (CSV) for VIDEO.")
@click.option("--recording", "recording_ref", help="Stored recording id or path (its events are drawn).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), callback=output_file,
              help="Clip to write (.mp4).")
@click.option("--overlay/--no-overlay", default=True, show_default=True, help="Draw flashes, captions and timeline.")
@_video_options
@data_options
@pass_app
def clip_cmd(app: AppContext, video: str | None, at: str, before: float, after: float, events_file: str | None,
             recording_ref: str | None, output: str, overlay: bool, strip: str, preset: str, crf: int,
             encoder: str) -> None:
    """Write a frame-exact clip around one time, with the overlay by default."""
    with user_errors():
        at_s = parse_time(at)
        [(rec, path, events)] = _sources(app, video, events_file, (recording_ref,) if recording_ref else ())
        options = ExportOptions(preset=preset, crf=crf, encoder=encoder, strip=strip)
        with progress_bar(f"Cutting {rec.title or Path(path).name}") as bar:
            out = render_clip(path, at_s, before, after, output, events=events, overlay=overlay, options=options,
                              progress=bar)
    click.echo(f"Wrote {out}")


@click.command("reel")
@click.argument("video", required=False, type=click.Path(dir_okay=False))
@click.option("--events", "events_file", type=click.Path(dir_okay=False), help="Event file (CSV) for VIDEO.")
@click.option("--recording", "recording_refs", multiple=True, help="Stored recording id or path (repeatable).")
@click.option("--kind", "kinds", multiple=True,
              help="Only events of this kind (repeatable): moment_of_truth, MOT, internal_interaction, ... Default: all.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), callback=output_file,
              help="Reel to write (.mp4).")
@click.option("--before", type=click.FloatRange(min=0), default=3.0, show_default=True, help="Seconds before each event.")
@click.option("--after", type=click.FloatRange(min=0), default=5.0, show_default=True, help="Seconds after each event.")
@click.option("--card-seconds", type=click.FloatRange(min=0.1, max=30), default=2.0, show_default=True,
              help="How long each title card shows.")
@click.option("--overlay/--no-overlay", default=True, show_default=True, help="Draw flashes, captions and timeline.")
@_video_options
@data_options
@pass_app
def reel_cmd(app: AppContext, video: str | None, events_file: str | None, recording_refs: tuple[str, ...],
             kinds: tuple[str, ...], output: str, before: float, after: float, card_seconds: float, overlay: bool,
             strip: str, preset: str, crf: int, encoder: str) -> None:
    """Write a highlight reel: every matching event's clip in time order, each after a title card."""
    with user_errors():
        wanted = [parse_kind(k) for k in kinds] or list(KINDS)
        sources = _sources(app, video, events_file, recording_refs)
        items = reel_items([(_with_path(rec, path), events) for rec, path, events in sources], kinds=wanted)
        options = ExportOptions(preset=preset, crf=crf, encoder=encoder, strip=strip)
        with progress_bar(f"Rendering a reel of {plural(len(items), 'clip')}") as bar:
            out = render_reel(items, output, before_s=before, after_s=after, card_s=card_seconds, overlay=overlay,
                              options=options, progress=bar)
    click.echo(f"Wrote {out} ({plural(len(items), 'clip')})")


def _with_path(rec: Recording, path: str) -> Recording:
    """Return ``rec`` reading from ``path`` (a proxy or the VIDEO given on the command line)."""
    return rec if rec.path == path else replace(rec, path=path)
