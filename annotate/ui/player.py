"""The review player: a Streamlit v2 component (inline HTML/CSS/JS, no build step).

The markup, style and script live beside this module (``player.html``,
``player.css``, ``player.js``). Markup and style are passed inline; the script,
which would otherwise travel with every rerun, is a one-line inline module that
imports ``player.js`` from the app's own route (:mod:`annotate.ui.routes`), so
the browser fetches it once. Mount it with a ``key`` so the ``<video>`` element
survives reruns; the script is told about new data without being re-created.

Browser -> server: the trigger ``cmd`` carries the queue of unconfirmed commands
(see :func:`annotate.commands.apply_commands`). A clicked event is announced as a
``cx-annotate-select`` window event that :func:`selection_bridge`, mounted in
the edit form's fragment, sends to the server: selecting reruns the form only,
marking reruns the player only.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import streamlit as st

_HERE = Path(__file__).resolve().parent
COMPONENT_NAME = "cx_annotate_player"


def _compact(text: str) -> str:
    """Return source without comment-only lines and indentation: it is sent with every rerun."""
    lines = (line.strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("//"))


PLAYER_JS = _HERE / "player.js"


def player_js_version() -> str:
    """Return a digest of player.js, put in its URL so a changed script is fetched again."""
    return hashlib.sha1(PLAYER_JS.read_bytes()).hexdigest()[:12]


def _loader_js() -> str:
    # A blob-URL module cannot resolve "/cx/...", so the origin is spelled out.
    return (
        "export default async function (component) {\n"
        f"  const mod = await import(window.location.origin + '/cx/static/player.js?v={player_js_version()}');\n"
        "  return mod.default(component);\n"
        "}\n"
    )


@lru_cache(maxsize=1)
def _component():
    read = lambda name: _compact((_HERE / name).read_text(encoding="utf-8"))  # noqa: E731
    return st.components.v2.component(
        COMPONENT_NAME, html=read("player.html"), css=read("player.css"), js=_loader_js()
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
