"""What each kind of job makes, from parameters that travel as JSON.

A job's parameters name what to make (a recording, an event, a selection) and the
export options; the worker rebuilds the render plan from them and the store, so
the file it writes is the one the page asked for (a plan's file name is a digest of
the events' version: if events changed meanwhile, the newer file is made). A
``transcribe`` job runs speech to text on a recording (annotate.transcripts.asr)
and stores the result as its transcript.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from ..config import Settings
from ..errors import ValidationError
from ..export import ExportOptions
from ..store import Store

Progress = Callable[[int, int], None]
KINDS = ("proxy", "preview", "overlay", "clip", "reel", "suggest", "transcribe")


def plan(kind: str, store: Store, settings: Settings, params: dict[str, Any]) -> Any:
    """Return the render plan (annotate.app.playback.Plan) of a render job.

    Raises ValidationError for an unknown kind, and what the plan functions raise
    (NotFoundError for a recording or event that is gone, RenderError).
    """
    from ..app import playback

    options = ExportOptions.from_dict(params["options"]) if params.get("options") else None
    if kind == "overlay":
        return playback.plan_overlay(store, settings, params["recording_id"], options)
    if kind == "clip":
        return playback.plan_clip(store, settings, params["event_id"], before_s=params["before_s"],
                                  after_s=params["after_s"], overlay=params["overlay"], options=options)
    if kind == "reel":
        return playback.plan_reel(store, settings, params["recording_ids"], kinds=params.get("kinds"),
                                  stage=params.get("stage"), before_s=params["before_s"],
                                  after_s=params["after_s"], options=options)
    raise ValidationError(f"unknown job kind {kind!r}: use one of {', '.join(KINDS)}")


def proxy_target(settings: Settings, store: Store, recording_id: int) -> Path:
    """Return where the browser proxy of a recording goes."""
    return settings.proxy_dir / f"{store.get_recording(recording_id).content_hash}.mp4"


def run(kind: str, store: Store, settings: Settings, params: dict[str, Any], progress: Progress) -> Path | None:
    """Make what the job asks for; return the file written (the existing one when it is already there).

    A ``suggest`` job writes no file (None): it stores the recording's suggested
    moments (annotate.suggest), unless they are stored already with the current thresholds.
    """
    if kind == "suggest":
        from ..suggest.service import suggestions_for

        suggestions_for(store, params["recording_id"], progress=progress)
        return None
    if kind == "proxy":
        from ..app.recordings import ensure_proxy

        rec = store.get_recording(params["recording_id"])
        target = ensure_proxy(settings, rec, progress)
        if rec.proxy_path != str(target):
            store.update_recording(rec.id, reviewer="queue", proxy_path=str(target))
        return target
    if kind == "preview":
        from ..preview import build_preview

        rec = store.get_recording(params["recording_id"])
        return build_preview(settings, rec.path, rec.content_hash, progress)
    if kind == "transcribe":
        from ..transcripts.asr import transcribe_recording

        return transcribe_recording(store, settings, params["recording_id"], progress)
    return plan(kind, store, settings, params).run(progress)


def submit_transcribe(store: Store, settings: Settings, recording_id: int) -> Any:
    """Queue speech to text of a recording; return its job row (one job per recording at a time)."""
    from . import queue

    rec = store.get_recording(recording_id)
    return queue.submit("transcribe", {"recording_id": rec.id}, f"transcript:{rec.id}",
                        f"transcript of #{rec.id}", rec.id)


def submit_proxy(store: Store, settings: Settings, recording_id: int) -> Any:
    """Queue the browser proxy of a recording; return its job row (annotate.store.jobs.JobRecord)."""
    from . import queue

    target = proxy_target(settings, store, recording_id)
    return queue.submit("proxy", {"recording_id": recording_id}, str(target),
                        f"browser copy of #{recording_id}", recording_id)


def preview_target(settings: Settings, store: Store, recording_id: int) -> Path:
    """Return the file that says a recording's filmstrip and peaks are made (the filmstrip's index)."""
    from ..preview import preview_paths

    return preview_paths(settings, store.get_recording(recording_id).content_hash)["index"]


def submit_preview(store: Store, settings: Settings, recording_id: int) -> Any:
    """Queue the filmstrip and audio peaks of a recording; return its job row."""
    from . import queue

    target = preview_target(settings, store, recording_id)
    return queue.submit("preview", {"recording_id": recording_id}, str(target),
                        f"filmstrip and waveform of #{recording_id}", recording_id)


def suggest_target(recording_id: int) -> str:
    """Return the job output that names a recording's suggestions (one active suggest job per recording)."""
    return f"suggestions of #{recording_id}"


def submit_suggest(store: Store, settings: Settings, recording_id: int) -> Any:
    """Queue the analysis that finds a recording's suggested moments; return its job row."""
    from . import queue

    return queue.submit("suggest", {"recording_id": recording_id}, suggest_target(recording_id),
                        f"suggested moments of #{recording_id}", recording_id)


def submit_analyses(store: Store, settings: Settings, recording_id: int) -> list[Any]:
    """Queue what a newly added recording gets for its reviewers: its suggested moments, its filmstrip and
    waveform; return the job rows."""
    return [submit_suggest(store, settings, recording_id), submit_preview(store, settings, recording_id)]
