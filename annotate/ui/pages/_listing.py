"""A plain list of recordings with their event counts, shared by the placeholder pages."""

from __future__ import annotations

import html

import streamlit as st

from annotate.ui import common


def recordings_table(store) -> None:
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
