"""Library page: the recordings with their status and event counts; add one by upload or server path."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from annotate.app import recordings
from annotate.errors import AnnotateError
from annotate.formats import FORMATS
from annotate.app.importing import import_events
from annotate.jobs.kinds import submit_analyses, submit_proxy
from annotate.app.uploads import add_upload
from annotate.ui import access, common, nav
from annotate.ui.pages import _assignments
from annotate.ui.pages._listing import file_label, upload_limit

if TYPE_CHECKING:
    from annotate.config import Settings
    from annotate.store import Store

_NOTICE = "cx_library_notice"

def page() -> None:
    """Render the Library page."""
    access.require("library")
    name = common.reviewer()
    common.sidebar(name)
    st.title("Library")
    with common.guard():
        store = common.store()
        settings = common.settings()
        _notice()
        shown = _assignments.panel(store, name)  # the inbox, my assignments, assigning (admins)
        _recordings(store, settings, name, shown)
        if access.current_user().can("upload"):
            st.divider()
            _add(store, settings, name)
            _import(store, settings, name)


def _recordings(store: Store, settings: Settings, name: str, shown: set[int] | None = None) -> None:
    summaries = store.recording_summaries()
    if shown is not None:  # "assigned to me"
        summaries = [s for s in summaries if s["recording"].id in shown]
    if not summaries:
        st.info("No recordings yet. Add one below: upload a video or give a path on the server.")
        return
    head = st.columns([5, 2, 2, 4, 3, 2], vertical_alignment="center")
    for col, text in zip(head, ("Recording", "Duration", "Status", "Events", "Last change", "")):
        col.caption(text)
    preparing = store.jobs.preparing()
    can_review = nav.can_open("review")  # once per run, not once per row: it reads the account
    for summary in summaries:
        rec = summary["recording"]
        with st.container(border=True):
            cols = st.columns([5, 2, 2, 4, 3, 2], vertical_alignment="center")
            cols[0].markdown(f"**#{rec.id} {common.md_text(rec.title)}**")
            cols[0].caption(common.md_text(file_label(rec, settings)) + (" · proxy" if rec.proxy_path else ""))
            cols[1].write(common.duration_text(rec.duration_s))
            cols[2].write("Preparing" if rec.id in preparing else common.status_text(rec.status))
            cols[3].html(common.kind_badges(summary["event_counts"]))
            cols[4].write(common.when(summary.get("last_change")))
            needs_proxy = not rec.browser_playable and not rec.proxy_path
            if rec.id in preparing:
                cols[5].caption("Making a browser copy…")
            elif needs_proxy:
                if cols[5].button("Make proxy", key=f"cx_proxy_{rec.id}", help="The browser cannot play this file as is"):
                    submit_proxy(store, settings, rec.id)
                    st.rerun()
            elif can_review:
                cols[5].page_link(nav.page("review"), label="Review", icon=":material/rate_review:", query_params={"rec": str(rec.id)})


def _upload_limit(settings: Settings) -> int:
    """Return the upload limit in MB, the one the Settings page shows (see _listing.upload_limit)."""
    return upload_limit(settings)[0]


def _add(store: Store, settings: Settings, name: str) -> None:
    st.subheader("Add a recording")
    upload_tab, path_tab = st.tabs(["Upload", "Path on the server"])
    with upload_tab:
        limit = _upload_limit(settings)
        file = st.file_uploader(
            f"Video file (up to {limit} MB; the content decides, not the name)", key="cx_upload",
            max_upload_size=limit,
        )
        title = st.text_input("Title (optional)", key="cx_upload_title", max_chars=200)
        if st.button("Add upload", key="cx_add_upload", type="primary", disabled=file is None):
            capped = dataclasses.replace(settings, max_upload_mb=limit)
            _register(store, settings, lambda report: add_upload(
                store, capped, file.name, file, getattr(file, "size", None),
                title=title.strip() or Path(file.name).stem, reviewer=name, progress=report, make_proxy=False,
            ))
    with path_tab:
        path = st.text_input("Path of a video file on this server", key="cx_add_path", placeholder="/recordings/call-0412.mp4")
        title = st.text_input("Title (optional)", key="cx_add_path_title", max_chars=200)
        if st.button("Add file", key="cx_add_file", type="primary"):
            if not path.strip():
                st.error("Type the path of a video file on this server first.")
            else:
                _register(store, settings, lambda report: recordings.add_recording(
                    store, settings, Path(path.strip()).expanduser(), title=title.strip() or None, reviewer=name,
                    progress=report, make_proxy=False,
                ))


_AUTO = "from the file name"


def _import(store: Store, settings: Settings, name: str) -> None:
    """Import an event file (any format the app exports, BORIS, ELAN, captions) into a recording."""
    recs = store.list_recordings()
    if not recs:
        return
    st.subheader("Import events")
    by_id = {r.id: r for r in recs}
    c1, c2 = st.columns([3, 2])
    rec_id = c1.selectbox(
        "Into recording", list(by_id), format_func=lambda i: common.recording_label(by_id[i]), key="cx_import_rec"
    )
    fmt = c2.selectbox(
        "Format", [_AUTO, *FORMATS], format_func=lambda f: f if f == _AUTO else f"{FORMATS[f].title} ({f})",
        key="cx_import_format",
    )
    limit = _upload_limit(settings)
    file = st.file_uploader(
        f"Event file (CSV, JSON, WebVTT, SRT, ELAN .eaf, BORIS, XES, event log; up to {limit} MB)",
        key="cx_import_file", max_upload_size=limit,
    )
    mapping = st.text_area(
        "Map names in the file to kinds (optional, one per line)", key="cx_import_map", height=80,
        placeholder="Greets customer=MOT\nChecks system=INT", max_chars=5000,
        help="For BORIS behaviours, ELAN tiers or labels that do not name a kind: NAME=MOT, INT or DEC.",
    )
    st.caption("All or nothing: a file with any problem imports nothing. Importing the same file again adds nothing.")
    if st.button("Import events", key="cx_import_go", type="primary", disabled=file is None):
        lines = [line.strip() for line in mapping.splitlines() if line.strip()]
        try:
            result = import_events(
                store, rec_id, file.getvalue(), file.name, format=None if fmt == _AUTO else fmt, mapping=lines,
                reviewer=name,
            )
        except AnnotateError as exc:
            common.show_error(exc)
            return
        st.session_state[_NOTICE] = (True, _import_summary(result), rec_id)
        st.rerun()


def _import_summary(result) -> str:
    """Return the notice after an import, e.g. ``Imported 1 event into recording 3.`` (counts in proper English)."""
    return result.summary() + "."


def _register(store: Store, settings: Settings, add) -> None:
    """Run ``add(progress)`` (returning ``(recording, created)``); queue its browser proxy when it needs one, and
    its suggested moments, filmstrip and waveform; leave a notice and rerun."""
    bar, report = common.progress_bar("Adding the recording")
    try:
        rec, created = add(report)
        queued = created and not rec.browser_playable and not rec.proxy_path
        if queued:
            submit_proxy(store, settings, rec.id)
        if created:
            submit_analyses(store, settings, rec.id)
    except AnnotateError as exc:
        bar.empty()
        common.show_error(exc)
        return
    bar.empty()
    if created:
        text = f"Added #{rec.id} {common.md_text(rec.title)}" + (
            "; its browser copy is being made (the list says Preparing until it is ready)." if queued else ".")
    else:
        text = f"This video is already in the library as #{rec.id} {common.md_text(rec.title)}."
    st.session_state[_NOTICE] = (created, text, rec.id)
    st.rerun()  # the list above shows the new recording


def _notice() -> None:
    notice = st.session_state.pop(_NOTICE, None)
    if not notice:
        return
    created, text, rec_id = notice
    (st.success if created else st.info)(text)
    if nav.can_open("review"):
        st.page_link(nav.page("review"), label=f"Review #{rec_id}", icon=":material/rate_review:", query_params={"rec": str(rec_id)})


if __name__ == "__main__":  # run by st.navigation as a page script
    page()
