"""Show an SVG the maps layer drew, inline, fitted to the width, with zoom, pan and full screen.

``st.html`` sanitises with an HTML-only profile and drops ``<svg>`` whole, so the
maps go through this tiny v2 component instead: the browser parses the SVG as
XML and inserts the element, keeping its ``<title>`` tooltips and classes. The
SVG comes from :mod:`annotate.maps`, which escapes every user text; scripts,
``foreignObject``, ``<a>`` and ``on*`` / ``javascript:`` attributes are still
removed before it is shown.

The map opens fitted to the box's width (the whole journey at once); the
buttons (or Ctrl + wheel) zoom, dragging pans, and "Full screen" shows it alone.
``links`` maps an event id to a URL: each element of that event
(``data-event-id``) becomes a link, so the map leads back to the evidence.
The style and script are ``svg_view.css`` and ``svg_view.js``, loaded as the
player's are (:mod:`annotate.ui.scripts`).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Mapping

import streamlit as st

from .scripts import inline_text, loader_js


@lru_cache(maxsize=1)
def _component():
    return st.components.v2.component(
        "cx_annotate_svg_view", css=inline_text("svg_view.css"), js=loader_js("svg_view.js")
    )


def svg_view(svg: str, *, key: str, label: str = "", links: Mapping[str, str] | None = None) -> None:
    """Show ``svg`` (an SVG document as text) fitted to the width; ``label`` is its accessible name.

    ``links`` maps event ids to URLs: the map's elements of those events become links.
    """
    links = dict(links or {})
    sig = hashlib.sha1((svg + repr(sorted(links.items()))).encode("utf-8")).hexdigest()[:16]
    _component()(data={"svg": svg, "sig": sig, "label": label, "links": links}, key=key, height="content")
