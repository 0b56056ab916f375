"""Show an SVG the maps layer drew, inline and scrollable, as a tiny v2 component.

``st.html`` sanitises with an HTML-only profile and drops ``<svg>`` whole, so the
maps go through this component instead: the browser parses the SVG as XML and
inserts the element, keeping its ``<title>`` tooltips and classes. The SVG comes
from :mod:`annotate.maps`, which escapes every user text; scripts and ``on*``
attributes are still removed before it is shown.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

import streamlit as st

_CSS = """
.cx-map { overflow: auto; max-height: 75vh; border: 1px solid var(--st-border-color, #ddd); border-radius: 4px;
  background: #fff; }
.cx-map svg { display: block; max-width: none; height: auto; }
.cx-map-err { color: #b00020; font-size: 14px; }
"""

_JS = """
export default function ({ data, parentElement }) {
  let box = parentElement.querySelector('.cx-map');
  if (!box) {
    box = document.createElement('div');
    box.className = 'cx-map';
    parentElement.appendChild(box);
  }
  if (box.dataset.sig === data.sig) return;
  box.dataset.sig = data.sig;
  const doc = new DOMParser().parseFromString(data.svg, 'image/svg+xml');
  const svg = doc.documentElement;
  if (!svg || svg.nodeName !== 'svg') {
    box.replaceChildren(Object.assign(document.createElement('p'), { className: 'cx-map-err', textContent: 'This map could not be shown; download it as SVG or PNG instead.' }));
    return;
  }
  for (const s of svg.querySelectorAll('script, foreignObject')) s.remove();
  for (const node of [svg, ...svg.querySelectorAll('*')]) {
    for (const a of [...node.attributes]) if (/^on/i.test(a.name) || /^\\s*javascript:/i.test(a.value)) node.removeAttribute(a.name);
  }
  if (data.label) svg.setAttribute('aria-label', data.label);
  box.replaceChildren(document.importNode(svg, true));
}
"""


@lru_cache(maxsize=1)
def _component():
    return st.components.v2.component("cx_annotate_svg_view", css=_CSS, js=_JS)


def svg_view(svg: str, *, key: str, label: str = "") -> None:
    """Show ``svg`` (an SVG document as text) in a scrolling box; ``label`` is its accessible name."""
    sig = hashlib.sha1(svg.encode("utf-8")).hexdigest()[:16]
    _component()(data={"svg": svg, "sig": sig, "label": label}, key=key, height="content")
