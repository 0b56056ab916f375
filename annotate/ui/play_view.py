"""The trainers' viewer on the Play page: a Streamlit v2 component (HTML/CSS/JS files, no build step).

A ``<video>`` with the browser's own controls; the events' WebVTT captions as a text
track; the event list as buttons that set the video's ``currentTime`` to the event
(and a "clip" button beside each that plays from a few seconds before to a few after
and pauses); optionally the flashes drawn live over the original (border and tint in
the kind's colour, fading as the overlay video's do). Everything happens in the
browser: clicking an event never reruns the script. Mount it with a ``key`` so the
video element survives reruns; user text is only put in the page with textContent.
The markup, style and script are ``play_view.html``, ``.css`` and ``.js``, loaded
as the player's are (:mod:`annotate.ui.scripts`).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Sequence

import streamlit as st

from ..errors import ValidationError
from ..model import Codebook, Event, Recording
from ..timebase import to_fraction
from .player_data import event_row, flash_style, kinds_info
from .scripts import inline_text, loader_js

COMPONENT_NAME = "cx_annotate_play_view"


@lru_cache(maxsize=1)
def _component():
    return st.components.v2.component(
        COMPONENT_NAME, html=inline_text("play_view.html"), css=inline_text("play_view.css"), js=loader_js("play_view.js")
    )


def view_data(
    recording: Recording,
    events: Sequence[Event],
    codebook: Codebook,
    *,
    src: str,
    offset_s: float,
    vtt: str,
    live: bool,
    captions: bool,
    clip_before_s: float,
    clip_after_s: float,
    status: str = "",
    seek: dict | None = None,
) -> dict[str, Any]:
    """Return the JSON-able data the viewer is mounted with.

    ``src`` is the video URL and ``offset_s`` its first frame's time on its own timeline
    (0 for a rendered overlay video); ``live`` draws the flashes over it; ``captions``
    shows the WebVTT track ``vtt``; ``seek`` is ``{"nonce", "t"}`` to move to ``t`` once.
    """
    try:
        fps_value = float(to_fraction(recording.fps or "30"))
    except ValidationError:
        fps_value = 30.0
    return {
        "rec": recording.id,
        "src": src,
        "offset": float(offset_s),
        "duration": float(recording.duration_s or 0.0),
        "fps": fps_value,
        "events": [event_row(e)[:6] for e in sorted(events, key=lambda e: e.start_s)],  # without the reviewer
        "kinds": kinds_info(codebook),
        "flash": flash_style(),
        "live": bool(live),
        "vtt": vtt,
        "captions": bool(captions),
        "clip": {"before": float(clip_before_s), "after": float(clip_after_s)},
        "status": status,
        "seek": seek,
    }


def play_view(data: dict[str, Any], *, key: str):
    """Mount the viewer with ``data`` (see :func:`view_data`)."""
    return _component()(data=data, key=key, height="content")
