"""Shared by pages: a plain list of recordings with their event counts, the upload limit, a recording's file name."""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from annotate.ui import common

if TYPE_CHECKING:
    from annotate.config import Settings
    from annotate.model import Recording
    from annotate.store import Store


def recordings_table(store: Store) -> None:
    """Show every recording: id, title, duration, status and event counts per kind (coloured, short names)."""
    summaries = store.recording_summaries()
    if not summaries:
        st.info("No recordings yet. Add one on the Library page.")
        return
    rows = []
    for summary in summaries:
        rec = summary["recording"]
        rows.append(
            "<tr>"
            f"<td>#{rec.id}</td><td>{html.escape(rec.title)}</td>"
            f"<td>{html.escape(common.duration_text(rec.duration_s))}</td>"
            f"<td>{html.escape(common.status_text(rec.status))}</td>"
            f"<td>{common.kind_badges(summary['event_counts'])}</td>"
            "</tr>"
        )
    st.html(
        '<table style="width:100%;border-collapse:collapse">'
        "<thead><tr><th align=left>Id</th><th align=left>Title</th><th align=left>Duration</th>"
        "<th align=left>Status</th><th align=left>Events</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def upload_limit(settings: Settings) -> tuple[int, str]:
    """Return (the upload limit in MB, one line saying where it comes from), the same for every page.

    Streamlit refuses request bodies over its ``server.maxUploadSize``, so the limit is the smaller of that and
    ANNOTATE_MAX_UPLOAD_MB. ``annotate serve`` sets the first to the second; ``streamlit run app.py`` does not.
    """
    wanted = max(1, int(settings.max_upload_mb))
    server = max(1, int(st.get_option("server.maxUploadSize")))
    if server >= wanted:
        return wanted, f"{wanted} MB (ANNOTATE_MAX_UPLOAD_MB)"
    return server, (
        f"{server} MB: ANNOTATE_MAX_UPLOAD_MB asks for {wanted} MB but Streamlit's server.maxUploadSize is {server} MB; "
        "start the app with annotate serve to use the full limit"
    )


def file_label(rec: Recording, settings: Settings) -> str:
    """Return the caption of a recording's file: "uploaded" for an upload (its file is named by a content hash the
    user never gave; the title, the user's file name by default, names it), else the file name."""
    path = Path(rec.path)
    try:
        uploaded = path.resolve().parent == settings.media_dir.resolve()
    except OSError:
        uploaded = False
    return "uploaded" if uploaded else path.name
