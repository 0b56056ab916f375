"""The Library's team widgets: my assignments, progress per recording and per reviewer, assigning and moving
codings (admins), and the inbox of @mentions.

Widgets only; the store does the work (``Store.assignments``, ``Store.comments``) and
:mod:`annotate.app.team` the counting. User text is shown as text (common.md_text).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from annotate.app import team
from annotate.store.assignments import MOVES
from annotate.timebase import format_timecode
from annotate.ui import access, common, nav

if TYPE_CHECKING:
    from annotate.store import Store

MINE, ALL = "Assigned to me", "All recordings"
STATUS_TEXT = {"new": "New", "in_review": "In review", "submitted": "Submitted", "approved": "Approved",
               "returned": "Returned"}


def panel(store: Store, name: str) -> set[int] | None:
    """Draw the inbox badge, my assignments and (for admins) the assigning tools; return the ids of the
    recordings the list below shows (None: all of them)."""
    user = access.current_user()
    _inbox(store, team.inbox_names(user.login if access.accounts_on() else "", name))
    rows = store.assignments.list()
    mine = [a for a in rows if name and a.reviewer == name]
    shown: set[int] | None = None
    if mine:
        view = st.segmented_control("Show", [MINE, ALL], default=MINE, key="cx_lib_view") or MINE
        if view == MINE:
            _mine(store, name, mine)
            shown = {a.recording_id for a in mine}
    if rows:
        _progress(rows)
    if user.can("assign"):
        _assign(store, name)
        if rows:
            _move(store, name, rows)
    return shown


def _mine(store: Store, name: str, mine: list) -> None:
    """My assignments, each with its status, the lead's note, and the next step I may take."""
    st.subheader("Assigned to me")
    for a in mine:
        cols = st.columns([4, 2, 4, 2], vertical_alignment="center")
        rec = store.get_recording(a.recording_id)
        cols[0].markdown(f"**#{rec.id} {common.md_text(rec.title)}**")
        cols[1].markdown(f"**{STATUS_TEXT[a.status]}**")
        if a.note:
            cols[2].caption("Note: " + common.md_text(a.note))
        if "submitted" in MOVES[a.status] and a.status != "submitted":
            if cols[3].button("Submit", key=f"cx_submit_{a.id}", icon=":material/send:"):
                with common.guard():
                    store.assignments.move(a.recording_id, a.reviewer, "submitted", name)
                    st.rerun()
        elif nav.can_open("review"):
            cols[3].page_link(nav.page("review"), label="Review", query_params={"rec": str(rec.id)})


def _progress(rows: list) -> None:
    """Progress tables: per recording and per reviewer, the codings in each status."""
    with st.expander("Progress", expanded=False):
        left, right = st.columns(2)
        left.caption("Per recording")
        left.dataframe(team.progress(rows, "recording"), hide_index=True, key="cx_progress_rec")
        right.caption("Per reviewer")
        right.dataframe(team.progress(rows, "reviewer"), hide_index=True, key="cx_progress_reviewer")


def _people(store: Store) -> list[str] | None:
    """Return the logins one may assign (None when the store has no accounts: names are typed)."""
    users = [u for u in store.accounts.all() if not u.disabled]
    return [u.login for u in users] if users else None


def _assign(store: Store, name: str) -> None:
    """Assign recordings to reviewers: several of each at once (all to all)."""
    recs = store.list_recordings()
    if not recs:
        return
    by_id = {r.id: r for r in recs}
    with st.expander("Assign recordings", expanded=False):
        chosen = st.multiselect("Recordings", list(by_id), format_func=lambda i: common.recording_label(by_id[i]),
                                key="cx_assign_recs")
        people = _people(store)
        if people is None:
            typed = st.text_input("Reviewers (names, comma separated)", key="cx_assign_names", max_chars=500)
            who = [n.strip() for n in typed.split(",") if n.strip()]
        else:
            who = st.multiselect("Reviewers", people, key="cx_assign_people")
        st.caption("Two or more reviewers on one recording code it blind: each sees only their own events "
                   "until they submit.")
        if st.button("Assign", key="cx_assign_go", type="primary", disabled=not chosen or not who):
            with common.guard():
                made = store.assignments.assign(chosen, who, name or "lead")
                st.toast(f"{sum(1 for _, new in made if new)} new assignment(s)")
                st.rerun()


def _move(store: Store, name: str, rows: list) -> None:
    """Move one coding on: submit it, approve it, or return it with a note."""
    by_id = {a.id: a for a in rows}
    with st.expander("Move a coding (submit, approve, return)", expanded=False):
        pick = st.selectbox("Coding", list(by_id), key="cx_move_pick", format_func=lambda i: (
            f"#{by_id[i].recording_id} · {by_id[i].reviewer} · {STATUS_TEXT[by_id[i].status]}"))
        a = by_id[pick]
        target = st.selectbox("Move to", list(MOVES[a.status]), key=f"cx_move_to_{a.id}_{a.version}",
                              format_func=STATUS_TEXT.get)
        note = st.text_input("Note (needed to return it)", key=f"cx_move_note_{a.id}_{a.version}", max_chars=2000)
        if st.button("Move", key="cx_move_go", type="primary"):
            with common.guard():
                store.assignments.move(a.recording_id, a.reviewer, target, name or "lead", note=note)
                st.rerun()


def _inbox(store: Store, names: list[str]) -> None:
    """The inbox badge: the count of unread mentions, with the list and "Mark read"."""
    if not names:
        return
    unread = store.comments.inbox(names)
    label = f"Inbox ({len(unread)} unread)" if unread else "Inbox"
    with st.expander(label, expanded=False, icon=":material/inbox:"):
        if not unread:
            st.caption("No unread mentions.")
            return
        for c in unread:
            at = "" if c.at_s is None else f" at {format_timecode(c.at_s)}"
            st.markdown(f"**{common.md_text(c.author)}** on #{c.recording_id}{at}: {common.md_text(c.text)}")
            if nav.can_open("review"):
                params = {"rec": str(c.recording_id), **({"t": f"{c.at_s:.3f}"} if c.at_s is not None else {})}
                st.page_link(nav.page("review"), label=f"Open #{c.recording_id}", query_params=params)
        if st.button("Mark read", key="cx_inbox_read"):
            store.comments.mark_read(names, [c.id for c in unread])
            st.rerun()
