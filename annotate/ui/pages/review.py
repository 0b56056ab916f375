"""Review page: play a recording, mark events with the keyboard, describe and fine-tune them.

Widgets only; the actions are :mod:`annotate.app.review` functions, the player's data
:mod:`annotate.ui.player_data`. The player and
the edit form are separate fragments: a key press reruns the player only (the
mark is stored and listed), a click on an event reruns the form only, and
frame-by-frame fine-tuning is a fragment nested in the form. The recording shown
is the one in the URL (``/review?rec=ID``), so a reload stays on it; ``&t=SECONDS``
shows that frame once (a shared link, an event on the Analyse page's map). The player posts
its commands to the command route (:mod:`annotate.ui.marking`) and shows the
stored list it answers without waiting for a rerun; a key press reruns the
player's fragment only when that route cannot be reached.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import cv2
import streamlit as st

from annotate.app import review
from annotate.errors import AnnotateError
from annotate.model import MAX_FREE_TEXT, Status
from annotate.app.review_session import ReviewSession
from annotate.timebase import format_timecode, frame_time_to_start_s, step_frame
from annotate.ui import access, common, nav, services
from annotate.ui import marking as review_marking
from annotate.ui.pages import _comments
from annotate.ui.player import player, selection_bridge
from annotate.ui.player_data import around_player, player_data

if TYPE_CHECKING:
    from annotate.model import Codebook, Event, Recording
    from annotate.store import Store

_EMOTIONS = [None, -2, -1, 0, 1, 2]
_EMOTION_TEXT = {None: "—", -2: "−2 very negative", -1: "−1 negative", 0: "0 neutral", 1: "+1 positive", 2: "+2 very positive"}
_PREVIEW_WIDTH = 480


def page() -> None:
    """Render the Review page."""
    access.require("review")
    name = common.reviewer()
    common.sidebar(name)
    st.title("Review")
    with common.guard():
        store = common.store()
        recordings = store.list_recordings()
        if not recordings:
            st.info("The library is empty. Add a recording on the Library page.")
            st.page_link(nav.page("library"), label="Go to the Library", icon=":material/video_library:")
            return
        rec = _choose(recordings)
        if not name:
            name = common.ask_reviewer()
            if not name:
                return
        _seek_from_link(rec, name)
        _header(store, rec, name)
        if not rec.browser_playable and not rec.proxy_path:
            st.warning("A browser cannot play this file as it is; make a browser proxy first (the times stay the same).")
            common.browser_copy(store, common.settings(), rec)
            return
        _player(rec.id, name)
        _editor(rec.id, name)
        _comments.on_review(store, rec, _session(rec.id, name))


def _choose(recordings: list[Recording]):
    by_id = {r.id: r for r in recordings}
    ids = list(by_id)
    try:
        wanted = int(st.query_params.get("rec", ""))
    except ValueError:
        wanted = None
    if wanted not in by_id:
        wanted = st.session_state.get("cx_review_pick")
    if wanted not in by_id:
        wanted = ids[0]  # the first recording: the sample on a first run
    st.session_state["cx_review_pick"] = wanted  # the URL decides (a link from the Library, a reload)
    st.query_params["rec"] = str(wanted)

    def picked() -> None:
        st.query_params["rec"] = str(st.session_state["cx_review_pick"])

    chosen = st.selectbox(
        "Recording", ids, format_func=lambda i: common.recording_label(by_id[i]), key="cx_review_pick",
        on_change=picked,
    )
    return by_id[chosen]


def _seek_from_link(rec: Recording, name: str) -> None:
    """Show the frame at ``?t=SECONDS`` once (a shared link, an event on the Analyse page's map)."""
    wanted = st.query_params.get("t")
    if wanted is None:
        return
    del st.query_params["t"]  # once: the URL keeps ``rec``, a reload stays where the reviewer is
    try:
        t = float(wanted)
    except ValueError:
        return
    if math.isfinite(t):
        _session(rec.id, name).seek(min(max(t, 0.0), float(rec.duration_s or 0.0)))


def _header(store: Store, rec: Recording, name: str) -> None:
    _session(rec.id, name).shown_status = rec.status
    cols = st.columns([5, 2, 2])
    info = f"{common.duration_text(rec.duration_s)} · {rec.fps} fps · {rec.frame_count} frames"
    if rec.vfr:
        info += " · variable frame rate"
    if rec.proxy_path:
        info += " · playing a browser proxy"
    cols[0].caption(info)
    cols[1].markdown(f"Status: **{common.status_text(rec.status)}**")
    with cols[2]:
        if rec.status != Status.REVIEWED:
            if st.button("Mark reviewed", key="cx_mark_reviewed", icon=":material/task_alt:"):
                with common.guard():
                    review.set_status(store, rec.id, Status.REVIEWED, name)
                    st.rerun()
        elif st.button("Reopen review", key="cx_reopen"):
            with common.guard():
                review.set_status(store, rec.id, Status.IN_REVIEW, name)
                st.rerun()


def _session(rec_id: int, name: str) -> ReviewSession:
    key = f"cx_session_{rec_id}"
    session = st.session_state.get(key)
    if session is None:
        session = ReviewSession(recording_id=rec_id, reviewer=name)
        st.session_state[key] = session
    session.reviewer = name
    return session


@st.fragment
def _player(rec_id: int, name: str) -> None:
    """The player. Its commands go to the command route; when that fails, a key press reruns this fragment only."""
    store = common.store()
    try:
        rec = store.get_recording(rec_id)
        play = services.playable(rec)
    except AnnotateError as exc:
        common.show_error(exc)
        return
    if not play.exists:
        common.show_error(f"The video file {play.path} is missing; add the recording again on the Library page.")
        return
    session = _session(rec_id, name)
    key = f"cx_player_{rec_id}"

    def on_cmd() -> None:  # the trigger path; the player posts to the command route when it can
        review_marking.apply_for(store, rec, session, (st.session_state.get(key) or {}).get("cmd"))

    codebook = store.get_codebook()
    commands = {"url": services.commands_url(rec), "token": review_marking.register(session)}
    errors = session.take_messages()
    data = player_data(
        rec,
        session.snapshot(store),  # the list and its token read together: the route may be storing a mark now
        codebook,
        session,
        src=services.media_url(rec, play),
        frames_url=services.frames_url(rec, play),
        start_offset_s=play.start_offset_s,
        errors=errors,
        commands=commands,
        **around_player(store, services.settings(), rec, session.reviewer),
    )
    # The player takes the keys back after the form was used (saved, deleted, applied): bring it back into view too.
    common.scroll_into_view(session.blur_nonce, key=f"cx_player_anchor_{rec_id}")
    player(data, key=key, on_cmd=on_cmd)
    for message in errors:
        common.show_error(message)
    if session.shown_status is not None and rec.status != session.shown_status:
        st.rerun(scope="app")  # the first mark moved it from new to in review: redraw the header once


@st.fragment
def _editor(rec_id: int, name: str) -> None:
    """The edit form of the selected event; selecting an event in the player reruns this fragment only."""
    store = common.store()
    session = _session(rec_id, name)
    bridge_key, scroll_key = f"cx_select_{rec_id}", f"cx_form_scroll_{rec_id}"

    def on_select() -> None:
        chosen = (st.session_state.get(bridge_key) or {}).get("select")
        review.select(store, session, chosen)
        if chosen:  # Enter after a mark, a click on an event: bring the form into view
            st.session_state[scroll_key] = st.session_state.get(scroll_key, 0) + 1

    selection_bridge(rec_id, key=bridge_key, on_select=on_select)
    if session.player_stale:  # an edit changed what the player shows
        session.player_stale = False
        st.rerun(scope="app")
    for message in session.take_messages():
        common.show_error(message)
    event = review.select(store, session, session.selected)
    if event is None:
        st.caption(
            "Click an event in the list or on the timeline (or press **Enter** after marking) to describe it. "
            "Press **?** over the player for the keys."
        )
        return
    common.scroll_into_view(st.session_state.get(scroll_key, 0), key=f"{scroll_key}_anchor")
    codebook = store.get_codebook()
    left, right = st.columns([3, 2], gap="large")
    with left:
        title = f"{event.kind.short} at {format_timecode(event.start_s)}"
        if event.end_s is not None:
            title += f" – {format_timecode(event.end_s)}"
        st.markdown(
            common.kind_badge(event.kind) + f" **{title}**  ·  by {common.md_text(event.reviewer or '—')}",
            unsafe_allow_html=True,
        )
        _details_form(store, codebook, session, event)
        c1, c2 = st.columns(2)
        c1.button(
            "Delete event", key=f"cx_del_{event.id}", icon=":material/delete:",
            on_click=_delete, args=(store, session, event.id),
        )
        c2.button("Undo my last change", key=f"cx_undo_{event.id}", on_click=_undo, args=(store, session))
    with right:
        _finetune(rec_id, event.id)


def _details_form(store: Store, codebook: Codebook, session: ReviewSession, event: Event) -> None:
    prefix = f"cx_ed_{event.id}_{event.version}"
    labels = codebook.label_texts(event.kind)
    if event.label and event.label not in labels:
        labels = [event.label, *labels]
    with st.form(prefix, border=False):
        st.selectbox(
            "Label", labels, index=labels.index(event.label) if event.label in labels else None,
            accept_new_options=True, placeholder="Pick a suggestion or type a new label", key=f"{prefix}_label",
        )
        c1, c2, c3 = st.columns(3)
        _choice(c1, "Stage", codebook.stages, event.stage, f"{prefix}_stage", free=False)
        _choice(c2, "Channel", codebook.channels, event.channel, f"{prefix}_channel")
        _choice(c3, "Actor", codebook.actors, event.actor, f"{prefix}_actor")
        st.text_input("What the customer expected", value=event.expectation, key=f"{prefix}_expectation", max_chars=MAX_FREE_TEXT)
        st.select_slider(
            "Emotion", _EMOTIONS, value=event.emotion, format_func=lambda v: _EMOTION_TEXT[v], key=f"{prefix}_emotion"
        )
        st.text_area("Note", value=event.note, key=f"{prefix}_note", height=80, max_chars=MAX_FREE_TEXT)
        st.form_submit_button(
            "Save details", type="primary", on_click=_save, args=(store, session, event.id, event.version, prefix)
        )


def _choice(where, label: str, options: list[str], value: str, key: str, free: bool = True) -> None:
    opts = list(options)
    if value and value not in opts:
        opts = [value, *opts]
    where.selectbox(
        label, opts, index=opts.index(value) if value in opts else None, accept_new_options=free,
        placeholder="—", key=key,
    )


def _save(store: Store, session: ReviewSession, event_id: str, version: int, prefix: str) -> None:
    fields = {name: st.session_state.get(f"{prefix}_{name}") for name in review.EDITABLE_FIELDS}
    try:
        review.save_details(store, event_id, version, session.reviewer, **fields)
    except AnnotateError as exc:
        session.messages.append(str(exc))
    session.blur_nonce += 1  # the player takes the keys back
    session.player_stale = True


def _delete(store: Store, session: ReviewSession, event_id: str) -> None:
    try:
        review.delete(store, event_id, session.reviewer)
        session.selected = None
    except AnnotateError as exc:
        session.messages.append(str(exc))
    session.blur_nonce += 1
    session.player_stale = True


def _undo(store: Store, session: ReviewSession) -> None:
    try:
        st.toast(common.md_text(review.undo_for(store, session)))
        review.select(store, session, session.selected)
    except AnnotateError as exc:
        session.messages.append(str(exc))
    session.blur_nonce += 1
    session.player_stale = True


@st.fragment
def _finetune(rec_id: int, event_id: str) -> None:
    store = common.store()
    try:
        rec = store.get_recording(rec_id)
        event = store.get_event(event_id)
        times = services.frame_times(rec.path)
    except AnnotateError as exc:
        common.show_error(exc)
        return
    st.markdown("**Fine-tune the time**")
    which = "start"
    if event.end_s is not None:
        which = st.segmented_control(
            "Move", ["start", "end"], default="start", key=f"cx_ft_which_{event_id}", label_visibility="collapsed"
        ) or "start"
    at = event.start_s if which == "start" else event.end_s
    state_key = f"cx_ft_{event_id}_{event.version}_{which}"
    if state_key not in st.session_state:
        st.session_state[state_key] = step_frame(at, 0, times)[0]
    cols = st.columns(4)
    for col, (label, steps) in zip(cols, (("−10", -10), ("−1", -1), ("+1", 1), ("+10", 10))):
        if col.button(label, key=f"{state_key}_{steps}", help=f"{steps:+d} frames", width="stretch"):
            st.session_state[state_key] = min(max(st.session_state[state_key] + steps, 0), len(times) - 1)
    index = st.session_state[state_key]
    frame_time = times[index]
    try:
        frame = services.frame_at(rec.path, frame_time)
        image = frame.image
        h, w = image.shape[:2]
        if w > _PREVIEW_WIDTH:
            image = cv2.resize(image, (_PREVIEW_WIDTH, round(h * _PREVIEW_WIDTH / w)), interpolation=cv2.INTER_AREA)
        st.image(
            image, channels="BGR",
            caption=f"frame {index + 1} of {len(times)} · {format_timecode(frame_time_to_start_s(frame_time))}",
        )
    except AnnotateError as exc:
        common.show_error(exc)
    moved = frame_time_to_start_s(frame_time) != at
    if st.button(f"Apply to {which}", key=f"{state_key}_apply", type="primary", disabled=not moved):
        session = _session(rec_id, st.session_state.get(common.REVIEWER_KEY, ""))
        try:
            updated = review.retime(store, event_id, event.version, session.reviewer, frame_time=frame_time, which=which)
        except AnnotateError as exc:
            common.show_error(exc)
            return
        session.seek(updated.start_s if which == "start" else updated.end_s)
        session.blur_nonce += 1
        st.rerun(scope="app")


if __name__ == "__main__":  # run by st.navigation as a page script
    page()
