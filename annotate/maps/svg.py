"""Serialise a :class:`~annotate.maps.scene.Scene` as standalone SVG text.

Every attribute value and text node is XML-escaped here, in one place, so a
label holding ``<``, ``&`` or quotes can never break the file or inject markup.
"""

from __future__ import annotations

import re
from typing import Any

from .scene import FONT_FAMILY, Element, Scene, num

# Characters XML 1.0 forbids even when escaped (controls, lone surrogates, U+FFFE/FFFF).
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: Any) -> str:
    """Return ``value`` as text safe inside an XML element (``& < >`` escaped, forbidden characters dropped)."""
    text = _INVALID_XML.sub("", str(value))
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def xml_attr(value: Any) -> str:
    """Return ``value`` as a double-quoted XML attribute value (quotes and newlines escaped too)."""
    if isinstance(value, float):
        value = num(value)
    text = xml_text(value).replace('"', "&quot;").replace("'", "&apos;")
    return '"' + text.replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;") + '"'


def to_svg(scene: Scene, width: float | None = None, height: float | None = None, declaration: bool = True) -> str:
    """Return the SVG document for ``scene``.

    ``width``/``height`` set the displayed size (the drawing is scaled into it,
    keeping its aspect ratio); by default the scene's own size. Set
    ``declaration=False`` to inline the SVG in HTML.
    """
    w = scene.width if width is None else width
    h = scene.height if height is None else height
    out: list[str] = []
    if declaration:
        out.append('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.append(
        f'<svg xmlns="http://www.w3.org/2000/svg" width={xml_attr(num(w))} height={xml_attr(num(h))} '
        f'viewBox="0 0 {num(scene.width)} {num(scene.height)}" font-family={xml_attr(FONT_FAMILY)}>\n'
    )
    if scene.title:
        out.append(f"<title>{xml_text(scene.title)}</title>\n")
    if scene.description:
        out.append(f"<desc>{xml_text(scene.description)}</desc>\n")
    out.append(f'<rect x="0" y="0" width="{num(scene.width)}" height="{num(scene.height)}" fill={xml_attr(scene.background)}/>\n')
    _write(scene.root, out)
    out.append("</svg>\n")
    return "".join(out)


def _write(el: Element, out: list[str]) -> None:
    attrs = "".join(f" {k}={xml_attr(v)}" for k, v in el.attrs.items() if v is not None)
    if el.text is None and el.title is None and not el.children:
        out.append(f"<{el.tag}{attrs}/>\n")
        return
    out.append(f"<{el.tag}{attrs}>")
    if el.title is not None:
        out.append(f"<title>{xml_text(el.title)}</title>")
    if el.text is not None:
        out.append(xml_text(el.text))
    if el.children:
        out.append("\n")
        for child in el.children:
            _write(child, out)
    out.append(f"</{el.tag}>\n")
