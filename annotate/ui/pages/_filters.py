"""The Analyse page's filter widgets: which recordings, kinds, stages, ... the maps and tables show."""

from __future__ import annotations

import streamlit as st

from annotate.app.analysis import Filters
from annotate.app.analysis_library import Library
from annotate.model import EMOTION_MAX, EMOTION_MIN
from annotate.ui import common

BLANK_TEXT = "(blank)"
_FILTER_KEYS = (
    "cx_an_recs", "cx_an_kinds", "cx_an_stages", "cx_an_channels", "cx_an_actors", "cx_an_reviewers",
    "cx_an_text", "cx_an_emotion", "cx_an_blank_emotion",
)


def _shown(value: str) -> str:
    return value if value else BLANK_TEXT


def _clear_filters() -> None:
    for key in _FILTER_KEYS:
        st.session_state.pop(key, None)


def filter_widgets(dataset: Library) -> Filters:
    """Draw the filter widgets (offering the library's stored values); return the Filters they describe."""
    options = dataset.options()
    recs = dataset.recordings
    for key, name in (("cx_an_stages", "stages"), ("cx_an_channels", "channels"), ("cx_an_actors", "actors"),
                      ("cx_an_reviewers", "reviewers")):
        if key in st.session_state:  # values that vanished (an edit elsewhere) would make the widget fail
            st.session_state[key] = [v for v in st.session_state[key] if v in options[name]]
    if "cx_an_recs" in st.session_state:
        st.session_state["cx_an_recs"] = [r for r in st.session_state["cx_an_recs"] if r in recs]
    with st.container(border=True):
        c1, c2, c3, c4 = st.columns([3, 2, 2, 2])
        rec_ids = c1.multiselect(
            "Recordings", options["recordings"], format_func=lambda i: common.recording_label(recs[i]),
            placeholder="All recordings", key="cx_an_recs",
        )
        kinds = c2.multiselect(
            "Kinds", options["kinds"], format_func=lambda k: f"{k.short} · {k.title}", placeholder="All kinds",
            key="cx_an_kinds",
        )
        stages = c3.multiselect("Stages", options["stages"], format_func=_shown, placeholder="All stages", key="cx_an_stages")
        channels = c4.multiselect(
            "Channels", options["channels"], format_func=_shown, placeholder="All channels", key="cx_an_channels"
        )
        c5, c6, c7, c8 = st.columns([2, 2, 3, 2], vertical_alignment="bottom")
        actors = c5.multiselect("Actors", options["actors"], format_func=_shown, placeholder="All actors", key="cx_an_actors")
        reviewers = c6.multiselect(
            "Reviewers", options["reviewers"], format_func=_shown, placeholder="All reviewers", key="cx_an_reviewers"
        )
        text = c7.text_input("Label contains", key="cx_an_text", max_chars=200, placeholder="e.g. payment")
        emotion = c8.select_slider(
            "Emotion", options=list(range(EMOTION_MIN, EMOTION_MAX + 1)), value=(EMOTION_MIN, EMOTION_MAX),
            format_func=lambda v: f"{v:+d}" if v else "0", key="cx_an_emotion",
        )
        c9, c10 = st.columns([4, 1])
        blank_emotion = c9.checkbox("Include events without an emotion", value=True, key="cx_an_blank_emotion")
        c10.button("Clear filters", key="cx_an_clear", on_click=_clear_filters, icon=":material/filter_alt_off:")
    return Filters.make(
        recording_ids=rec_ids, kinds=kinds, stages=stages, channels=channels, actors=actors, reviewers=reviewers,
        text=text, emotion=tuple(emotion), blank_emotion=blank_emotion,
    )
