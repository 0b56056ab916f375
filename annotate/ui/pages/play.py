"""Play page (trainers): watch a recording with its events, jump between them, download videos.

Widgets only: the renders are :mod:`annotate.app.playback` plans run as background jobs
(one per file, cached until the recording's events change); the viewer is the
:mod:`annotate.ui.play_view` component (jumping and clip playback happen in the
browser, without a rerun). While a render runs, a small fragment polls it once a
second for the progress bar and reruns the page when the file is ready.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from annotate.app import playback
from annotate.errors import AnnotateError
from annotate.export.options import ExportOptions
from annotate.formats import dumps_events
from annotate.model import KINDS, Kind
from annotate.timebase import format_timecode
from annotate.jobs import board
from annotate.ui import access, common, nav, play_routes, services
from annotate.ui.pages import _comments
from annotate.ui.play_view import play_view, view_data

if TYPE_CHECKING:
    from annotate.config import Settings
    from annotate.model import Event, Recording
    from annotate.store import Store

OVERLAY, ORIGINAL = "Overlay video", "Original + live flashes"
_MODE_HELP = (
    "Overlay video: the flashes, captions and timeline burnt into a new H.264 file (rendered once, kept until "
    "the events change). Original: the recording itself with the flashes drawn live by the browser."
)
ANY_STAGE = "Any stage"


def page() -> None:
    """Render the Play page."""
    access.require("play")
    name = common.reviewer()
    common.sidebar(name)
    st.title("Play")
    with common.guard():
        store = common.store()
        recordings = store.list_recordings()
        if not recordings:
            st.info("No recordings yet. Add one on the Library page, mark its events on the Review page, then play it here.")
            st.page_link(nav.page("library"), label="Go to the Library", icon=":material/video_library:")
            return
        rec = _choose(recordings)
        events = store.list_events(rec.id)
        counts = {k.value: sum(1 for e in events if e.kind == k) for k in KINDS}
        st.html(
            f'<div style="font-size:0.9rem">{common.kind_badges(counts)} &nbsp; '
            f"{common.duration_text(rec.duration_s)} · {common.status_text(rec.status)}</div>"
        )
        _viewer(rec.id)
        _comments.on_play(store, rec, name)
        st.divider()
        _downloads(rec.id)


def _choose(recordings: list[Recording]):
    by_id = {r.id: r for r in recordings}
    wanted = st.query_params.get("rec")
    try:
        current = int(wanted) if wanted is not None else st.session_state.get("cx_rec")
    except ValueError:
        current = None
    if current not in by_id:
        current = recordings[0].id
    ids = list(by_id)
    chosen = st.selectbox(
        "Recording", ids, index=ids.index(current), format_func=lambda i: common.recording_label(by_id[i]),
        key="cx_play_pick",
    )
    if st.query_params.get("rec") != str(chosen):
        st.query_params["rec"] = str(chosen)
    st.session_state["cx_rec"] = chosen
    return by_id[chosen]


def _clip_margins() -> tuple[float, float]:
    return (
        float(st.session_state.get("cx_play_before", playback.CLIP_BEFORE_S)),
        float(st.session_state.get("cx_play_after", playback.CLIP_AFTER_S)),
    )


def _video_url(path: Path) -> str:
    """Return the URL the browser streams ``path`` from (the app's render route, with range requests)."""
    return play_routes.url_for(path)


@st.fragment
def _viewer(rec_id: int) -> None:
    """The video and the event list; reruns alone when the mode or the captions switch changes."""
    store, settings = common.store(), common.settings()
    try:
        rec = store.get_recording(rec_id)
        events = store.list_events(rec_id)
        plan = playback.plan_overlay(store, settings, rec_id)
        play = services.playable(rec)
    except AnnotateError as exc:
        common.show_error(exc)
        return
    browser_ok = play.exists and (rec.browser_playable or rec.proxy_path)
    mode_key = f"cx_play_mode_{rec_id}"
    if mode_key not in st.session_state:
        st.session_state[mode_key] = OVERLAY if (plan.ready or not browser_ok) else ORIGINAL
    c1, c2 = st.columns([3, 2], vertical_alignment="center")
    mode = c1.segmented_control("Show", [OVERLAY, ORIGINAL], key=mode_key, help=_MODE_HELP) or ORIGINAL
    captions = c2.toggle(
        "Captions track", value=(mode == ORIGINAL), key=f"cx_play_captions_{rec_id}_{mode}",
        help="The events as WebVTT captions (also in the video's own captions menu).",
    )
    if mode == OVERLAY and not plan.ready:
        job = board.get(plan.path)
        if job is None or job.state == "done":  # choosing the overlay asks for it; one job however many ask
            job = board.start(plan)
        if job.state == "failed":
            common.show_error(job.error)
            st.button("Try rendering again", key=f"cx_play_retry_{rec_id}", on_click=board.start, args=(plan,))
        elif not job.finished:
            _job_progress(str(plan.path), "Rendering the overlay video")
    status = ""
    if mode == OVERLAY and plan.ready:
        src, offset, live = _video_url(plan.path), 0.0, False
        status = "Overlay video: flashes, captions and timeline are part of the picture."
    elif not browser_ok:
        if mode == ORIGINAL:
            st.warning(
                "A browser cannot play this file as it is. Make a browser proxy on the Library page, "
                "or choose the overlay video (it is rendered from the original)."
            )
        return
    else:
        src, offset, live = services.media_url(rec, play), play.start_offset_s, True
        status = "Original with the flashes drawn live" + (" (the overlay video is being rendered)" if mode == OVERLAY else "")
    seek = _initial_seek(rec_id)
    before, after = _clip_margins()
    vtt = dumps_events(events, {rec.id: rec}, format="vtt", metadata=False).decode("utf-8")
    play_view(
        view_data(
            rec, events, store.get_codebook(), src=src, offset_s=offset, vtt=vtt, live=live, captions=captions,
            clip_before_s=before, clip_after_s=after, status=status, seek=seek,
        ),
        key=f"cx_play_view_{rec_id}",
    )
    st.caption("Click an event to jump to it; **▶ clip** plays the seconds around it and stops.")


def _initial_seek(rec_id: int) -> dict | None:
    """Return a one-time seek from the ``t`` query parameter (links from the Analyse table)."""
    wanted = st.query_params.get("t")
    if wanted is None:
        return st.session_state.get(f"cx_play_seek_{rec_id}")
    try:
        t = max(float(wanted), 0.0)
    except ValueError:
        t = None
    del st.query_params["t"]
    if t is None:
        return None
    nonce = int(st.session_state.get("cx_play_seek_nonce", 0)) + 1
    st.session_state["cx_play_seek_nonce"] = nonce
    seek = {"nonce": nonce, "t": t}
    st.session_state[f"cx_play_seek_{rec_id}"] = seek
    return seek


@st.fragment(run_every=1.0)
def _job_progress(path: str, label: str) -> None:
    """A progress bar for the render writing ``path``; reruns the page once it has finished."""
    job = board.get(path)
    if job is None or job.finished:
        st.rerun(scope="app")
    if job.state == "queued" and board.no_worker():
        st.progress(0.0, text=f"{label}: waiting for a worker (`annotate serve` starts one; "
                              "or run `annotate worker`)…")
    elif job.state == "queued":
        st.progress(0.0, text=f"{label}: waiting for another render to finish…")
    else:
        st.progress(job.fraction, text=f"{label}: {job.done} of {job.total or '…'} frames")


# --- downloads ----------------------------------------------------------------------------------


@st.fragment
def _downloads(rec_id: int) -> None:
    """Downloads: the overlay video, a clip around an event, a highlight reel, the captions."""
    store, settings = common.store(), common.settings()
    try:
        rec = store.get_recording(rec_id)
        events = store.list_events(rec_id)
    except AnnotateError as exc:
        common.show_error(exc)
        return
    st.subheader("Downloads")
    video, clip, reel, text = st.tabs(["Overlay video", "Clip around an event", "Highlight reel", "Captions"])
    with video:
        with common.guard():
            subtitles = store.transcripts.info(rec_id) is not None and st.toggle(
                "Transcript as subtitles", key=f"cx_play_subtitles_{rec_id}",
                help="The line said at each moment, at the bottom of the picture.")
            options = ExportOptions.make(subtitles=True) if subtitles else None
            _render_download(playback.plan_overlay(store, settings, rec_id, options), "overlay", "Render the overlay video")
    with clip:
        _clip_download(store, settings, rec, events)
    with reel:
        _reel_download(store, settings, rec)
    with text:
        st.caption("The events as caption files any video player shows beside the original recording.")
        c1, c2 = st.columns(2)
        for col, fmt in ((c1, "vtt"), (c2, "srt")):
            with common.guard(col):
                data = dumps_events(events, {rec.id: rec}, format=fmt)
                col.download_button(
                    f"Download .{fmt}", data, file_name=f"{playback.safe_stem(rec.title or 'events')}.{fmt}",
                    mime="text/vtt" if fmt == "vtt" else "application/x-subrip", key=f"cx_play_dl_{fmt}",
                    icon=":material/subtitles:",
                )


def _render_download(plan: playback.Plan, what: str, start_label: str) -> None:
    """Offer ``plan``'s file for download when it is written, else a button that starts (and shows) its job."""
    job = board.get(plan.path)
    if plan.ready:
        size = plan.path.stat().st_size
        path = plan.path
        st.download_button(
            f"Download the {common.md_text(plan.label)} ({size / 1e6:.1f} MB)", data=lambda: path.read_bytes(),
            file_name=plan.download_name, mime="video/mp4", key=f"cx_play_dl_{what}", type="primary",
            icon=":material/download:",
        )
        return
    if job is not None and not job.finished:
        _job_progress(str(plan.path), f"Rendering the {common.md_text(plan.label)}")
        return
    if job is not None and job.state == "failed":
        common.show_error(job.error)
    # Started in the click's callback, so the rerun that follows already shows its progress.
    st.button(start_label, key=f"cx_play_start_{what}", icon=":material/movie:", on_click=board.start, args=(plan,))


def _event_text(event: Event) -> str:
    kind = Kind(event.kind)
    return f"{kind.short} {format_timecode(event.start_s)} {event.label or '—'}"


def _clip_download(store: Store, settings: Settings, rec: Recording, events: list[Event]) -> None:
    if not events:
        st.caption("No events on this recording yet.")
        return
    by_id = {e.id: e for e in events}
    ids = list(by_id)
    mots = [e.id for e in events if e.kind == Kind.MOMENT_OF_TRUTH]
    key = f"cx_play_clip_event_{rec.id}"
    if st.session_state.get(key) not in by_id:
        st.session_state[key] = mots[0] if mots else ids[0]
    event_id = st.selectbox("Event", ids, format_func=lambda i: _event_text(by_id[i]), key=key)
    c1, c2, c3 = st.columns(3)
    before = c1.number_input("Seconds before", 0.0, 60.0, playback.CLIP_BEFORE_S, 0.5, key="cx_play_before")
    after = c2.number_input("Seconds after", 0.0, 60.0, playback.CLIP_AFTER_S, 0.5, key="cx_play_after")
    overlay = c3.toggle("With the overlay", value=True, key="cx_play_clip_overlay")
    with common.guard():
        plan = playback.plan_clip(store, settings, event_id, before_s=before, after_s=after, overlay=overlay)
        _render_download(plan, "clip", "Make this clip")


def _reel_download(store: Store, settings: Settings, rec: Recording) -> None:
    codebook = store.get_codebook()
    c1, c2, c3 = st.columns([3, 2, 2])
    kinds = c1.multiselect(
        "Kinds", list(KINDS), default=[Kind.MOMENT_OF_TRUTH], format_func=lambda k: f"{k.short} · {k.title}",
        key="cx_play_reel_kinds",
    )
    stage = c2.selectbox("Stage", [ANY_STAGE, *codebook.stages], key="cx_play_reel_stage")
    scope = c3.radio("From", ["This recording", "Every recording"], key="cx_play_reel_scope")
    ids = [rec.id] if scope == "This recording" else [r.id for r in store.list_recordings()]
    before, after = _clip_margins()
    st.caption(f"Each event gets a title card, then {before:g} s before to {after:g} s after it (the clip margins above).")
    if not kinds:
        st.info("Choose at least one kind for the reel.")
        return
    with common.guard():
        plan = playback.plan_reel(
            store, settings, ids, kinds=kinds, stage=None if stage == ANY_STAGE else stage,
            before_s=before, after_s=after,
        )
        _render_download(plan, "reel", f"Make the {common.md_text(plan.label)}")


if __name__ == "__main__":  # run by st.navigation as a page script
    page()
