"""Who is speaking in a cue: WebVTT voice tags (``<v Ana Lima>``), and ``Ana Lima: text`` / ``[Ana]`` prefixes.

Meeting and call systems mark speakers these ways: Teams writes voice tags,
Zoom and most call recorders put the name before a colon, subtitle editors use
``- Name: text`` for two speakers in one cue. A cue with several speakers gives
one (speaker, text) part for each; the other markup (``<c>``, ``<b>``, timestamp
tags, character references) is removed from the text.
"""

from __future__ import annotations

import html
import re

_VOICE = re.compile(r"<v(?:\.[^\s>]*)?(?:[ \t]+([^>]*))?>")
_TAG = re.compile(r"</?[A-Za-z][^>]*>|<\d[^>]*>")  # WebVTT: text is escaped, so every tag is markup
_SRT_TAG = re.compile(r"</?(?:[ibu]|font)(?:\s[^>]*)?>|\{\\[^}]*\}", re.I)  # SRT: <i> <b> <u> <font>, {\an8}
# "Ana Lima: text", "- Ana: text", "[Ana] text", ">> AGENT: text": a name of at most six words, starting with a
# letter, then a colon and a space (so "10:30 tomorrow" and "https://..." are not names); "[music]" alone is text.
_PREFIX = re.compile(r"^\s*(?:-\s*|>>\s*)?(?:\[([^\]\n]{1,60})\]:?\s+(?=\S)"
                     r"|([^\W\d_][\w.'’()@-]*(?: [\w.'’()@-]+){0,5}):(?:\s+|$))(.*)$", re.S)

def speaker_parts(lines: list[str], voice_tags: bool) -> list[tuple[str, str]]:
    """Return the (speaker, text) parts of a cue's text lines, in order; parts without text are left out.

    ``voice_tags`` reads WebVTT voice spans (and removes WebVTT markup); without it
    (SRT) only the name prefixes count, SRT's own tags (``<i>``, ``<font>``, ``{\\an8}``) are removed and
    the rest is text as it stands (``<angle>``, ``&amp;``). A line
    without a speaker of its own continues the part before it.
    """
    spans = _voice_spans("\n".join(lines)) if voice_tags else [("", "\n".join(lines))]
    markup = _TAG if voice_tags else _SRT_TAG
    parts: list[tuple[str, list[str]]] = []
    for voice, chunk in spans:
        current: tuple[str, list[str]] = (voice, [])
        parts.append(current)
        for raw in chunk.split("\n"):
            text = markup.sub("", raw)
            text = (html.unescape(text) if voice_tags else text).strip()
            named = None if voice else _PREFIX.match(text)
            if named:
                current = ((named.group(1) or named.group(2)).strip(), [])
                parts.append(current)
                text = named.group(3).strip()
            if text:
                current[1].append(text)
    return [(speaker, " ".join(texts)) for speaker, texts in parts if texts]


def _voice_spans(text: str) -> list[tuple[str, str]]:
    """Return the (voice name, text) spans of a WebVTT cue text: the text before the first tag has no voice."""
    spans, name, at = [], "", 0
    for match in _VOICE.finditer(text):
        spans.append((name, text[at:match.start()]))
        name, at = html.unescape(match.group(1) or "").strip(), match.end()
    spans.append((name, text[at:]))
    return spans
