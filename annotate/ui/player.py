"""The review player: a Streamlit v2 component (HTML/CSS/JS files, no build step).

The markup, style and script live beside this module (``player.html``,
``player.css``, ``player.js`` and the ``player_*.js`` modules it imports).
Markup and style are passed inline; the script is imported from the app's own
route (:mod:`annotate.ui.scripts`), so the browser fetches it once. Mount it
with a ``key`` so the ``<video>`` element survives reruns; the script is told
about new data without being re-created.

Browser -> server: the trigger ``cmd`` carries the queue of unconfirmed commands
(see :func:`annotate.app.commands.apply_commands`). A clicked event is announced as a
``cx-annotate-select`` window event that :func:`selection_bridge`, mounted in
the edit form's fragment, sends to the server: selecting reruns the form only,
marking reruns the player only.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable

import streamlit as st

from .scripts import inline_text, loader_js

COMPONENT_NAME = "cx_annotate_player"


@lru_cache(maxsize=1)
def _component():
    return st.components.v2.component(
        COMPONENT_NAME, html=inline_text("player.html"), css=inline_text("player.css"), js=loader_js("player.js")
    )


def player(data: dict[str, Any], *, key: str, on_cmd: Callable[[], None]):
    """Mount the player with ``data`` (see :func:`annotate.ui.player_data.player_data`); return its result.

    ``on_cmd`` runs before the (fragment) rerun a key press causes; it reads
    ``st.session_state[key]["cmd"]``.
    """
    return _component()(data=data, key=key, on_cmd_change=on_cmd, height="content")


_SELECT_JS = """
const BRIDGES = new WeakMap();
export default function ({ data, parentElement, setTriggerValue }) {
  let b = BRIDGES.get(parentElement);
  if (!b) {
    b = {};
    b.listener = (e) => {
      if (e.detail && e.detail.rec === b.rec) b.trigger("select", e.detail.id || "");
    };
    window.addEventListener("cx-annotate-select", b.listener);
    BRIDGES.set(parentElement, b);
  }
  b.rec = data.rec;
  b.trigger = setTriggerValue;
  return () => { window.removeEventListener("cx-annotate-select", b.listener); BRIDGES.delete(parentElement); };
}
"""


@lru_cache(maxsize=1)
def _select_component():
    return st.components.v2.component("cx_annotate_select_bridge", js=_SELECT_JS)


def selection_bridge(rec_id: int, *, key: str, on_select: Callable[[], None]):
    """Mount the invisible receiver of the player's selections (place it in the edit form's fragment).

    The player announces a clicked event with a window event; this component
    turns it into the trigger ``select`` so only the fragment it sits in reruns.
    """
    return _select_component()(data={"rec": rec_id}, key=key, on_select_change=on_select, height=0)
