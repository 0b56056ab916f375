"""Safe XML parsing and escaping for the XML formats (ELAN, XES).

Files to import come from outside, so a DTD or entity declaration is refused
outright (no billion-laughs expansion, no external entity reading local files).
defusedxml does the parsing when it is installed; otherwise the standard
library parser is used after the same declarations are refused by a scan.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from .common import Problems

try:  # pragma: no cover - which branch runs depends on the environment
    import defusedxml
    import defusedxml.ElementTree as _defused
except ImportError:  # pragma: no cover
    _defused = None

_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.I)
_DECLARATION_16 = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.I)


def parse_xml(data: bytes | str, problems: Problems) -> ET.Element:
    """Return the root element of ``data``; DTDs and entities are refused.

    Raises (through ``problems``) a FormatError naming the line of a syntax
    error, e.g. a file cut short, or the presence of a DTD/entity declaration.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not data.strip():
        problems.fail(None, "is empty; expected an XML document")
    refusal = ("declares a DTD or entities (<!DOCTYPE/<!ENTITY); event files never need them and they can "
               "read other files: remove the declaration and import again")
    if _DECLARATION.search(data) or (data[:2] in (b"\xff\xfe", b"\xfe\xff") and
                                     _DECLARATION_16.search(data.decode("utf-16", "replace"))):
        problems.fail(_line_of(data, _DECLARATION.search(data)), refusal)
    try:
        if _defused is not None:
            return _defused.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
        return ET.fromstring(data)
    except ET.ParseError as exc:
        line, column = exc.position
        reason = str(exc).split(":")[0]
        problems.fail(f"line {line}", f"is not well-formed XML ({reason}, column {column}); "
                                      "the file may be cut short or not be UTF-8")
    except Exception as exc:  # defusedxml's DTDForbidden / EntitiesForbidden / ExternalReferenceForbidden
        if _defused is not None and isinstance(exc, defusedxml.DefusedXmlException):
            problems.fail(None, refusal)
        raise


def _line_of(data: bytes, match: re.Match | None) -> str | None:
    if match is None:
        return None
    return f"line {data.count(NEWLINE, 0, match.start()) + 1}"


NEWLINE = b"\n"


_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_ATTR_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\r": "&#13;", "\n": "&#10;", "\t": "&#9;"}
)


_TEXT_SPECIAL = re.compile(r"[&<>\r]").search
_ATTR_SPECIAL = re.compile(r'[&<>"\r\n\t]').search


def text(value: str) -> str:
    """Return ``value`` escaped for element content (a carriage return survives the round trip)."""
    return value.translate(_TEXT_ESCAPES) if _TEXT_SPECIAL(value) else value


def attr(value: str) -> str:
    """Return ``value`` escaped for a double-quoted attribute (line breaks and tabs survive)."""
    return value.translate(_ATTR_ESCAPES) if _ATTR_SPECIAL(value) else value
