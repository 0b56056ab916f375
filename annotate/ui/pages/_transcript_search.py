"""The Analyse page's search across every recording's transcript: the lines holding the words, each a link
to Review at the line's start."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from annotate.timebase import format_timecode
from annotate.ui import common

if TYPE_CHECKING:
    from annotate.store import Store

LIMIT = 200


def section(store: Store) -> None:
    """Show a search box and the transcript lines it finds (at most LIMIT), newest recording first."""
    text = st.text_input("Search the transcripts of every recording", key="cx_transcript_search",
                         placeholder="a word or a phrase")
    whole = st.checkbox("Whole words only", key="cx_transcript_whole")
    if not text.strip():
        st.caption("Import transcripts with `annotate transcript import`, or make them with `annotate transcribe`.")
        return
    hits = store.transcripts.search(text, whole_words=whole, limit=LIMIT + 1)
    more = len(hits) > LIMIT
    hits = hits[:LIMIT]
    st.markdown(f"**{len(hits)}{'+' if more else ''}** line{'' if len(hits) == 1 else 's'} found"
                + (f" (the first {LIMIT} shown)" if more else ""))
    rows = [{"recording": f"#{h.recording_id} {h.title}", "time": format_timecode(h.line.start_s),
             "speaker": h.line.speaker, "line": h.line.text,
             "review": f"/review?rec={h.recording_id}&t={h.line.start_s:.3f}"} for h in hits]
    if rows:
        st.dataframe(rows, hide_index=True, use_container_width=True, column_config={
            "review": st.column_config.LinkColumn("open", display_text="Review at this line")})
    else:
        common.show_error(f"no transcript line holds '{text.strip()}'", icon=":material/search_off:")
