"""Safe XML parsing and escaping for the XML formats (ELAN, XES).

Every value the XML writers put into an attribute or element goes through
:func:`attr` or :func:`text`, which drop the characters XML 1.0 allows in no
document (control characters but tab and line breaks, lone surrogates,
U+FFFE, U+FFFF): whatever a title, path or text holds, the file parses.

Files to import come from outside, so a DTD or entity declaration is refused
outright: no billion-laughs expansion, no external entity reading local files,
no DTD fetched from the network. That is what defusedxml guards against; here
the same refusal comes first, from a scan of the raw bytes (in every encoding
expat reads: ASCII-compatible ones, and UTF-16 with or without a BOM), and the
document is then parsed by the standard library's C parser and tree builder,
which is several times quicker than defusedxml's Python-level parser. As a
second guard, the tree builder raises if expat reports a DOCTYPE all the same;
without a DTD no entity can be declared, and the C parser never loads
external entities.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from .common import Problems

_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.I)
_DECLARATION_16 = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.I)
_REFUSAL = ("declares a DTD or entities (<!DOCTYPE/<!ENTITY); event files never need them and they can "
            "read other files: remove the declaration and import again")


class _Refused(Exception):
    """Raised from inside the parser when the document has a DOCTYPE after all."""


class _TreeBuilder(ET.TreeBuilder):
    """The C tree builder, refusing a DOCTYPE (expat calls ``doctype`` when it sees one)."""

    def doctype(self, name: str, pubid: str | None, system: str | None) -> None:
        raise _Refused(name)


def parse_xml(data: bytes | str, problems: Problems) -> ET.Element:
    """Return the root element of ``data``; DTDs and entities are refused.

    Raises (through ``problems``) a FormatError naming the line of a syntax
    error, e.g. a file cut short, or the presence of a DTD/entity declaration.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not data or data.isspace():
        problems.fail(None, "is empty; expected an XML document")
    found = _declaration(data)
    if found is not None:
        problems.fail(found, _REFUSAL)
    try:
        # The C tree builder is many times quicker than the guarded subclass (whose every callback
        # goes through Python); it is only used where the scan above saw every character as it is.
        parser = ET.XMLParser(target=ET.TreeBuilder() if _plain_utf8(data) else _TreeBuilder())
        parser.feed(data)
        return parser.close()
    except ET.ParseError as exc:
        line, column = exc.position
        reason = str(exc).split(":")[0]
        problems.fail(f"line {line}", f"is not well-formed XML ({reason}, column {column}); "
                                      "the file may be cut short or not be UTF-8")
    except _Refused:
        problems.fail(None, _REFUSAL)


_XML_DECL = re.compile(rb"<\?xml[^>]*?\?>")
_UTF8_NAME = re.compile(rb"""encoding\s*=\s*["'](utf-?8|us-ascii|ascii)["']""", re.I)


def _plain_utf8(data: bytes) -> bool:
    """Return True when expat reads ``data`` as UTF-8: no BOM but UTF-8's, no other encoding declared.

    Then the byte scan for ``<!DOCTYPE``/``<!ENTITY`` saw the very characters
    the parser reads, and the second guard (the DOCTYPE callback) adds nothing.
    """
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    if not body.startswith(b"<") or body[1:2] == b"\x00":
        return False  # UTF-16 or UTF-32, leading space, or no markup: the guarded parser decides
    if not body.startswith(b"<?xml"):
        return True
    decl = _XML_DECL.match(body)
    if decl is None:
        return False
    return b"encoding" not in decl.group() or _UTF8_NAME.search(decl.group()) is not None


def _declaration(data: bytes) -> str | None:
    """Return where ``data`` declares a DTD or entity ("line 3", or "" when the line is unknown), else None."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<"):  # UTF-16, with or without a BOM
        encoding = "utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else (
            "utf-16-le" if data[:1] == b"<" else "utf-16-be")
        if _DECLARATION_16.search(data.decode(encoding, "replace")):
            match = _DECLARATION.search(data)
            return _line_of(data, match) if match else ""
    start = data.find(b"<!")  # comments, CDATA and declarations; usually none at all
    match = _DECLARATION.search(data, start) if start >= 0 else None
    return None if match is None else _line_of(data, match)


def _line_of(data: bytes, match: re.Match) -> str:
    return f"line {data.count(NEWLINE, 0, match.start()) + 1}"


NEWLINE = b"\n"


_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_ATTR_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\r": "&#13;", "\n": "&#10;", "\t": "&#9;"}
)

# What XML 1.0 allows in no document, not even as a character reference: control characters but tab and
# line breaks, lone surrogates, U+FFFE and U+FFFF. Writers drop them, as the model drops them from text.
_NOT_XML = "\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff"
_not_xml = re.compile(f"[{_NOT_XML}]")
_TEXT_SPECIAL = re.compile(f"[&<>\r{_NOT_XML}]").search
_ATTR_SPECIAL = re.compile(f'[&<>"\r\n\t{_NOT_XML}]').search


def xml_chars(value: str) -> str:
    """Return ``value`` without the characters XML 1.0 refuses (see ``_NOT_XML``); not escaped."""
    return _not_xml.sub("", value)


def text(value: str) -> str:
    """Return ``value`` escaped for element content (a carriage return survives the round trip).

    Characters XML refuses are dropped, so any text gives well-formed XML.
    """
    return _not_xml.sub("", value).translate(_TEXT_ESCAPES) if _TEXT_SPECIAL(value) else value


def attr(value: str) -> str:
    """Return ``value`` escaped for a double-quoted attribute (line breaks and tabs survive).

    Characters XML refuses are dropped, so any text gives well-formed XML.
    """
    return _not_xml.sub("", value).translate(_ATTR_ESCAPES) if _ATTR_SPECIAL(value) else value


def plain(value: str) -> bool:
    """Return True when ``value`` goes into an attribute or element content as it is (``attr`` leaves it alone)."""
    return _ATTR_SPECIAL(value) is None
