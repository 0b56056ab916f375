"""The Settings page's section for the thresholds of the suggested moments (admins only)."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import TYPE_CHECKING

import streamlit as st

from annotate.errors import AnnotateError
from annotate.suggest.settings import ENV_PREFIX, PREFERENCE, SuggestSettings
from annotate.ui import common

if TYPE_CHECKING:
    from annotate.store import Store

_HELP = {
    "analysis_width": "pixels wide the frames are analysed at",
    "cut_min_change": "least change (0..255) a frame must show to be a screen change",
    "cut_ratio": "how many times its neighbours' change a screen change must be",
    "cut_min_gap_frames": "frames between two screen changes at least",
    "hold_threshold": "most change (0..255) between frames of a still screen",
    "hold_drift": "most change (0..255) from the first frame of a still screen",
    "hold_min_s": "seconds a screen must stay still to be suggested",
    "vad_mode": "voice detection: 0 lenient to 3 strict",
    "speech_gap_s": "pauses in speech shorter than this are bridged (s)",
    "speech_min_s": "speech shorter than this is dropped (s)",
    "silence_min_s": "seconds of silence between speech to be suggested",
    "score_half_s": "seconds at which a hold or silence scores 0.5",
}


def section(store: Store, name: str) -> None:
    """Show the thresholds in force and let an admin save new ones (``ANNOTATE_SUGGEST_*`` variables win)."""
    st.subheader("Suggested moments")
    st.caption("The thresholds the analysis finds screen changes, still screens, speech and silences with "
               "(see docs/suggestions.md). A recording is analysed again with new thresholds the next time its "
               "suggestions are asked for.")
    try:
        current = SuggestSettings.for_store(store)
    except AnnotateError as exc:
        common.show_error(exc)
        return
    pinned = SuggestSettings.env_names()
    with st.form("cx_suggest_settings"):
        cols = st.columns(3)
        values = {}
        for n, f in enumerate(fields(SuggestSettings)):
            value = getattr(current, f.name)
            whole = isinstance(value, int)
            help_text = _HELP.get(f.name, "")
            if f.name in pinned:
                help_text += f" (set by {ENV_PREFIX}{f.name.upper()} on the server)"
            values[f.name] = cols[n % 3].number_input(
                f.name.replace("_", " "), value=value, min_value=0 if whole else 0.0, step=1 if whole else 0.1,
                disabled=f.name in pinned, help=help_text, key=f"cx_suggest_{f.name}")
        if st.form_submit_button("Save thresholds"):
            _save(store, name, {k: v for k, v in values.items() if k not in pinned})


def _save(store: Store, name: str, values: dict) -> None:
    try:
        checked = SuggestSettings.from_dict({**asdict(SuggestSettings()), **values})
    except AnnotateError as exc:
        common.show_error(exc)
        return
    store.preferences.set(PREFERENCE, {k: asdict(checked)[k] for k in values}, reviewer=name)
    st.session_state["cx_settings_notice"] = "Saved the thresholds of the suggested moments."
    st.rerun()
