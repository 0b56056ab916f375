"""The comment thread of a recording, on the Review and Play pages: list (time, author, a button that seeks the
player there), add one at a time or on the selected event; ``@name`` puts it in that person's inbox.

Widgets only; the store keeps the thread (``Store.comments``). User text is shown as text (common.md_text).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import streamlit as st

from annotate.errors import AnnotateError
from annotate.model import MAX_FREE_TEXT
from annotate.timebase import format_timecode, parse_time
from annotate.ui import common

if TYPE_CHECKING:
    from annotate.app.review_session import ReviewSession
    from annotate.model import Recording
    from annotate.store import Store

AT_TIME, ON_EVENT, WHOLE = "At a time", "On the selected event", "On the recording"


def on_review(store: Store, rec: Recording, session: ReviewSession) -> None:
    """The thread on the Review page: seeking moves the player (the session's seek), the current time is where
    the reviewer's player last was, and the selected event may be commented on."""
    thread(store, rec, session.reviewer, seek=session.seek, now_s=store.positions.last(rec.id, session.reviewer),
           event_id=session.selected)


def on_play(store: Store, rec: Recording, name: str) -> None:
    """The thread on the Play page: seeking moves the viewer (the page's one-time seek)."""
    def seek(t: float) -> None:
        nonce = int(st.session_state.get("cx_play_seek_nonce", 0)) + 1
        st.session_state["cx_play_seek_nonce"] = nonce
        st.session_state[f"cx_play_seek_{rec.id}"] = {"nonce": nonce, "t": float(t)}

    shown = st.session_state.get(f"cx_play_seek_{rec.id}") or {}
    thread(store, rec, name, seek=seek, now_s=shown.get("t"), event_id=None)


def thread(store: Store, rec: Recording, name: str, *, seek: Callable[[float], None], now_s: float | None,
           event_id: str | None) -> None:
    """Draw the recording's comments and the form to add one (only once the person has a name)."""
    comments = store.comments.thread(rec.id)
    hidden = _blind_authors(store, rec, name)
    if hidden:  # coding blind: the other coders' comments could tell what they marked
        comments = [c for c in comments if c.author not in hidden]
    st.subheader(f"Comments ({len(comments)})" if comments else "Comments")
    if hidden:
        st.caption("While you code this recording blind, the other coders' comments are hidden until you submit.")
    for c in comments:
        cols = st.columns([1, 8], vertical_alignment="center")
        if c.at_s is not None:
            cols[0].button(format_timecode(c.at_s), key=f"cx_comment_seek_{c.id}", icon=":material/play_arrow:",
                           on_click=seek, args=(c.at_s,), help="Show this moment in the player")
        where = " · on an event" if c.event_id else ""
        cols[1].markdown(f"**{common.md_text(c.author)}** · {common.when(c.created_at)}{where}  \n"
                         f"{common.md_text(c.text)}")
    if name:
        _add(store, rec, name, now_s, event_id)


def _blind_authors(store: Store, rec: Recording, name: str) -> set[str]:
    """Return the other coders of ``rec`` whose comments ``name`` may not see yet (none once they submitted)."""
    if not name or store.assignments.may_see_others(rec.id, name):
        return set()
    return {a.reviewer for a in store.assignments.list(rec.id)} - {str(name)}


def _add(store: Store, rec: Recording, name: str, now_s: float | None, event_id: str | None) -> None:
    """The form to add a comment at a time (the current one by default), on the selected event, or on the whole."""
    places = [AT_TIME, *([ON_EVENT] if event_id else []), WHOLE]
    with st.form(f"cx_comment_form_{rec.id}", clear_on_submit=True, border=False):
        text = st.text_area("Add a comment (@name tells that person)", key=f"cx_comment_text_{rec.id}",
                            max_chars=MAX_FREE_TEXT, height=68)
        c1, c2 = st.columns([2, 1])
        place = c1.radio("Where", places, horizontal=True, key=f"cx_comment_where_{rec.id}")
        at = c2.text_input("Time", value=format_timecode(now_s or 0.0), key=f"cx_comment_at_{rec.id}",
                           help="m:ss.s or seconds; the player's current time")
        go = st.form_submit_button("Add comment", icon=":material/add_comment:")
    if not go:
        return
    try:
        if place == ON_EVENT:
            store.comments.add(rec.id, text, name, event_id=event_id)
        else:
            store.comments.add(rec.id, text, name, at_s=parse_time(at) if place == AT_TIME else None)
    except AnnotateError as exc:
        common.show_error(exc)
        return
    st.rerun()
