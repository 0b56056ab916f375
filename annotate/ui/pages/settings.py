"""Settings page: edit, import and export the codebook; show where the data lives."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from annotate.app import codebook_io
from annotate.errors import AnnotateError
from annotate.model import KINDS
from annotate.app.serverinfo import server_info
from annotate.ui import access, common
from annotate.ui.pages import _suggest_settings
from annotate.ui.pages._listing import upload_limit

if TYPE_CHECKING:
    from annotate.store import Store


def page() -> None:
    """Render the Settings page."""
    access.require("library")
    name = common.reviewer()
    common.sidebar(name)
    st.title("Settings")
    with common.guard():
        store = common.store()
        settings = common.settings()
        notice = st.session_state.pop("cx_settings_notice", None)
        if notice:
            st.success(notice)
        if access.current_user().can("codebook"):
            _codebook(store, name)
        else:
            st.info("Only an admin can change the codebook.", icon=":material/lock:")
        st.divider()
        if access.current_user().can("settings"):
            _suggest_settings.section(store, name)
            st.divider()
            _server(store, settings)


def _server(store: Store, settings) -> None:
    """Who is signed in, the database, the data directory's disk, the queue and its jobs."""
    info = server_info(store, settings)
    st.subheader("Server")
    if access.accounts_on():
        user = access.current_user()
        st.markdown(f"Signed in as **{common.md_text(user.display_name)}** ({common.md_text(user.login)}), "
                    f"roles: {', '.join(sorted(user.roles))}")
    st.text(f"Database: {codebook_io.redact_url(info.database)} ({info.database_version})")
    st.text(f"Data directory: {info.data_dir}")  # plain text: a path may hold any character
    st.text(f"Free space: {info.free_bytes / 1e9:.1f} GB of {info.total_bytes / 1e9:.1f} GB")
    workers = ", ".join(info.workers) if info.workers else "none seen in the last minute"
    st.text(f"Queue: {info.queue}; workers: {workers}")
    jobs = info.jobs
    st.text(f"Jobs: {jobs['queued']} waiting, {jobs['running']} running, {jobs['failed']} failed, {jobs['done']} done")
    st.markdown(f"Upload limit: {upload_limit(settings)[1]}")


def _codebook(store: Store, name: str) -> None:
    st.subheader("Codebook")
    st.caption(
        "The project's vocabulary: journey stages (in order), channels, actors, suggested labels per kind and "
        "the marking keys. One entry per line; a label may carry its own key as `Label | key`."
    )
    book = store.get_codebook()
    form = codebook_io.to_form(book)
    with st.form(f"cx_codebook_{codebook_io.fingerprint(book)}"):
        c1, c2, c3 = st.columns(3)
        stages = c1.text_area("Stages (in journey order)", form["stages"], height=180)
        channels = c2.text_area("Channels", form["channels"], height=180)
        actors = c3.text_area("Actors", form["actors"], height=180)
        cols = st.columns(3)
        labels, keys = {}, {}
        for col, kind in zip(cols, KINDS):
            with col:
                st.html(common.kind_badge(kind) + f" {kind.title}")
                keys[kind.value] = st.text_input(f"{kind.short} key", form["hotkeys"][kind.value], max_chars=1)
                labels[kind.value] = st.text_area(f"{kind.short} labels", form["labels"][kind.value], height=160)
        saved = st.form_submit_button("Save codebook", type="primary")
    if saved:
        try:
            new = codebook_io.from_form(stages, channels, actors, labels, keys)
            store.set_codebook(new, reviewer=name)
        except AnnotateError as exc:
            common.show_error(exc)
        else:
            st.session_state["cx_settings_notice"] = "Codebook saved."
            st.rerun()
    left, right = st.columns(2)
    with left:
        st.download_button(
            "Export codebook (JSON)", codebook_io.dumps(book), file_name="codebook.json", mime="application/json",
            icon=":material/download:",
        )
    with right:
        upload = st.file_uploader("Import a codebook (JSON)", type=["json"], key="cx_codebook_upload", max_upload_size=1)
        if upload is not None and st.button("Replace the codebook with this file", key="cx_codebook_import"):
            try:
                new = codebook_io.loads(upload.getvalue())
                store.set_codebook(new, reviewer=name)
            except AnnotateError as exc:
                common.show_error(exc)
            else:
                st.session_state["cx_settings_notice"] = f"Codebook imported from {common.md_text(upload.name)}."
                st.rerun()


if __name__ == "__main__":  # run by st.navigation as a page script
    page()
