"""The quick reading of ELAN files as :mod:`.eaf_write` lays them out: runs of elements cut from the text.

:func:`parse` returns the document's root element and, for the time slots and
the tiers written as ``eaf_write`` writes them, the values read straight from
the text with one pattern per run (the tree then holds a marker in their
place), so that the import does not build an element per annotation; a file
laid out otherwise is parsed whole.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import FormatError
from . import xmlsafe
from .common import Problems, json_value
from .eaf_write import DETAIL_KEYS

_XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>'
_MARKER = "cx-annotate-run-"
_W = "[ \t\n]*+"  # possessive (*+): what follows a run of these characters is never one of them
_ATTR = '[\x21\x23-\x25\x27-\x3b\x3d-\x7e]*+'  # printable ASCII but " & <: no reference, no normalisation
_END = _W + r"(?=<|\Z)"  # a run's element ends where the next begins or the run does
# Details as this module writes them: JSON with the keys in this order, read without building a dict;
# the groups are the text of each value (see _canonical_details). Strings hold no "&" or "<" (nothing to
# unescape for XML), and no control character: JSON refuses those, and so XML's are refused with them.
_JSON_STRING = r'[^"\\&<\x00-\x1f]*+(?:\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})[^"\\&<\x00-\x1f]*+)*+'
_CANONICAL = r"\{" + ", ".join(
    f'"{key}": ' + {"point": "(true|false)", "emotion": "(-?[0-9]|null)", "created_at": f'(null|"{_JSON_STRING}")',
                    "updated_at": f'(null|"{_JSON_STRING}")'}.get(key, f'"({_JSON_STRING})"') for key in DETAIL_KEYS
) + r"\}"
_RUNS = {  # kind of run -> (pattern of one element, with the values read; the "<" in one)
    "slot": (re.compile(f'<TIME_SLOT TIME_SLOT_ID="({_ATTR})" TIME_VALUE="([0-9]++)"/>{_END}'), 1),
    "align": (re.compile(
        f'<ANNOTATION>{_W}<ALIGNABLE_ANNOTATION ANNOTATION_ID="({_ATTR})" TIME_SLOT_REF1="({_ATTR})" '
        f'TIME_SLOT_REF2="({_ATTR})"(?: CVE_REF="{_ATTR}")?>{_W}<ANNOTATION_VALUE>([^<]*+)</ANNOTATION_VALUE>{_W}'
        f"</ALIGNABLE_ANNOTATION>{_W}</ANNOTATION>{_END}"), 6),
    "ref": (re.compile(
        f'<ANNOTATION>{_W}<REF_ANNOTATION ANNOTATION_ID="{_ATTR}" ANNOTATION_REF="({_ATTR})">{_W}'
        f"<ANNOTATION_VALUE>(?:{_CANONICAL}|([^<]*+))</ANNOTATION_VALUE>{_W}</REF_ANNOTATION>{_W}</ANNOTATION>{_END}"), 6),
}
_TIER_TAG = re.compile(r"<TIER(?:\s[^<>]*)?(?<!/)>")
_REFERENCES = ("&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#13;", "&#10;", "&#9;")
_NOT_XML_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def parse(data: bytes | str, problems: Problems) -> tuple[Any, dict]:
    """Return the root element and the values of the runs read from the text (element -> (kind, rows)).

    Raises (through ``problems``) what ``xmlsafe.parse_xml`` raises: the
    whole file is parsed whenever the quick reading does not apply.
    """
    if isinstance(data, bytes) and data.startswith(_XML_DECLARATION):
        found = _cut(data)
        if found is not None:
            skeleton, runs = found
            try:
                root = xmlsafe.parse_xml(skeleton, Problems(problems.source))
            except FormatError:
                root = None  # reported with the file's own line numbers below
            cut = None if root is None else _placed(root, runs)
            if cut is not None:
                return root, cut
    return xmlsafe.parse_xml(data, problems), {}


def _cut(data: bytes) -> tuple[str, dict[str, tuple[str, list]]] | None:
    """Return the file with its runs replaced by markers, and each marker's (kind, rows); None if none apply."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "]" in text and "]]>" in text:  # looking for one character is the quicker
        return None
    spans = []  # (start, end, kind, rows)
    start = text.find("<TIME_ORDER>")
    if start >= 0:
        start += len("<TIME_ORDER>")
        end = text.find("</TIME_ORDER>", start)
        rows = _run(text, start, end, "slot") if end >= 0 else None
        if rows is not None:
            spans.append((start, end, "slot", rows))
    at = spans[-1][1] if spans else 0
    while (at := text.find("<TIER ", at)) >= 0:
        tag = _TIER_TAG.match(text, at)
        at += 1
        if tag is None:
            continue
        start = tag.end()
        end = text.find("</TIER>", start)
        if end < 0:
            break
        for kind in ("align", "ref"):
            rows = _run(text, start, end, kind)
            if rows is not None:
                spans.append((start, end, kind, rows))
                at = end
                break
    if not spans:
        return None
    pieces, runs, done = [], {}, 0
    for n, (start, end, kind, rows) in enumerate(spans):
        marker = f"{_MARKER}{n}"
        pieces += [text[done:start], f"<{marker}/>"]
        runs[marker] = (kind, rows)
        done = end
    pieces.append(text[done:])
    skeleton = "".join(pieces)
    if skeleton.count(_MARKER) != len(runs):
        return None  # the rest of the file names a marker: it could stand where a run was cut from
    return skeleton, runs


def _run(text: str, start: int, end: int, kind: str) -> list[tuple] | None:
    """Return the values of the elements in ``text[start:end]`` if it is a run of ``kind`` elements, else None."""
    pattern, marks = _RUNS[kind]
    first = text.find("<", start, end)
    if first < 0 or text[start:first].strip(" \t\n") or text.find("\r", start, end) >= 0:
        return None
    rows = pattern.findall(text, first, end)
    # Every "<" of the run is in a match and matches end where the next begins: the matches are the run.
    if not rows or len(rows) * marks != text.count("<", start, end):
        return None
    if text.find("\ufffe", start, end) >= 0 or text.find("\uffff", start, end) >= 0:
        return None
    if kind == "align":
        labels = "".join({row[3] for row in rows})
        if _NOT_XML_TEXT.search(labels) or ("&" in labels and not _escapes_known(labels)):
            return None
        if "&" in labels:
            rows = [(aid, ref1, ref2, _unescape(label)) for aid, ref1, ref2, label in rows]
    elif kind == "ref":
        values = [(row[0], row[1:-1]) for row in rows if row[2]]  # the usual case: all details as written
        if len(values) == len(rows):
            return values
        values = []
        for ref, *fields, text in rows:
            if fields[1]:  # the details as written: no escapes, no control characters
                values.append((ref, tuple(fields)))
                continue
            if "&" in text:
                if not _escapes_known(text):
                    return None
                text = _unescape(text)
            try:
                value = json_value(text)
            except ValueError:
                # JSON holds no control characters, but text that is not JSON may
                if _NOT_XML_TEXT.search(text):
                    return None
                continue
            if isinstance(value, dict):
                values.append((ref, value))
        rows = values
    return rows


def _escapes_known(text: str) -> bool:
    """Return True when each ``&`` in ``text`` starts one of ``_REFERENCES``."""
    return text.count("&") == sum(text.count(ref) for ref in _REFERENCES)


def _unescape(text: str) -> str:
    """Return element text with its references (one of ``_REFERENCES`` at every ``&``) replaced."""
    if "&" not in text:
        return text
    for ref, char in zip(_REFERENCES[1:], "<>\"'\r\n\t"):
        text = text.replace(ref, char)
    return text.replace("&amp;", "&")


def _placed(root, runs: dict[str, tuple[str, list]]) -> dict | None:
    """Return element -> (kind, rows) for the runs whose markers are where they were cut from, else None."""
    order = root.find("TIME_ORDER")
    cut = {}
    for elem in ([order] if order is not None else []) + root.findall("TIER"):
        if len(elem) != 1 or elem.text is not None:
            continue
        marker = elem[0]
        found = runs.get(marker.tag)
        if found is None or marker.tail is not None or marker.attrib or len(marker):
            continue
        if (found[0] == "slot") != (elem is order):
            return None
        cut[elem] = found
    return cut if len(cut) == len(runs) else None
