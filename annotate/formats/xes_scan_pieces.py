"""The pieces of an XES log's body (a tag and the text after it) as :mod:`.xes_scan` reads them, a block at a time.

:func:`pieces_of` checks the common tags with RE2 patterns over all pieces at
once and finds their names, keys and values by position; :func:`odd_pieces`
has expat check each other piece (inside a copy of the ``<log>`` tag) and
read its key and value. :func:`attribute_text` reads an attribute value as
expat does.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

OPEN, EMPTY, CLOSE, SKIP = 0, 1, 2, 3  # a start tag, an empty-element tag, an end tag, a comment or the like
ODD_LIMIT = 20_000  # pieces expat checks one by one; past that the tree reader is quicker
_NAME_WIDTH = 16  # names read by position are shorter; longer ones are odd pieces
_KEY_WIDTH = 32  # keys up to this long are told apart by their bytes, longer ones as strings
_MASKS = (np.arange(_KEY_WIDTH)[None, :] < np.arange(_KEY_WIDTH + 1)[:, None]).astype(np.uint8) * np.uint8(255)

_S = "[ \\t\\r\\n]"
_NAME = "[A-Za-z_][A-Za-z0-9_.-]*(?::[A-Za-z_][A-Za-z0-9_.-]*)?"
_REF = "&(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9A-Fa-f]+);"
_BAD = "<&\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x{FFFE}\\x{FFFF}"  # never in a value as it stands
_PLAIN = '"(?:[^"<&\\x00-\\x1f\\x{FFFE}\\x{FFFF}])*"'  # a value expat reads as it stands
_QUOTED = {'"': f'"(?:[^"{_BAD}]|{_REF})*"', "'": f"'(?:[^'{_BAD}]|{_REF})*'"}


def _pair(first: str, second: str | None, quote: str | None) -> str:
    value = _QUOTED[quote] if quote else _PLAIN
    found = f"{_S}+{first}{_S}*={_S}*{value}"
    return found + (f"{_S}+{second}{_S}*={_S}*{value}" if second else "")


def _piece(pair: str) -> str:
    """Return the pattern of a tag with the attributes ``pair`` or none, or an end tag, and the space after it."""
    return f"<(?:{_NAME}(?:{pair})?{_S}*/?|/{_NAME}{_S}*)>{_S}*"


# What nearly every log holds: key then value in double quotes, read as they stand (or no attributes, or an
# end tag); one piece, or a whole block of them at once.
_COMMON = f"^{_piece(_pair('key', 'value', None))}$"
# Then, tried in turn: each order and quote, with entities and white space to decode. Per form: its pattern,
# its quote, and where its key and value start among its quotes (None: no value, read as "").
_PAIRS = [(q, a, b) for q in ('"', "'") for a, b in (("key", "value"), ("value", "key"), ("key", None))]
_FORMS = [(f"^<{_NAME}{_pair(a, b, q)}{_S}*/?>{_S}*$", q, (0, None) if b is None else (0, 2) if a == "key" else (2, 0))
          for q, a, b in _PAIRS]
# A whole block of one form's pieces (and tags without attributes), as a tool writes all its tags one way.
_ALL_FORMS = [f"^(?:{_piece(_pair('key', 'value', None))})*$"] + [f"^(?:{_piece(_pair(a, b, q))})*$"
                                                                  for q, a, b in _PAIRS]
_SPACE = np.zeros(256, dtype=bool)
_SPACE[[9, 10, 13, 32]] = True
_ODD_NAME = re.compile(rb"</?([^\s/>]+)")


class Pieces(NamedTuple):
    """A block's pieces: what each is, its name's code, whether it has a key, and where its key and value are."""

    starts: np.ndarray
    kind: np.ndarray
    name: np.ndarray
    keyed: np.ndarray
    key_at: np.ndarray  # (n, 2) start and end in the file, for the pieces read by position
    value_at: np.ndarray
    form: np.ndarray  # 0: key and value as they stand, -1: an odd piece (which expat reads), else one to decode

    def texts(self, data: bytes, odd: "Odd", rows: np.ndarray) -> tuple[Any, Any]:
        """Return the keys and values of pieces ``rows`` as expat reads them (large_string arrays); None, None if bad."""
        keys = self.read(data, self.key_at, odd.keys, rows)
        values = None if keys is None else self.read(data, self.value_at, odd.values, rows)
        return (None, None) if values is None else (keys, values)

    def read(self, data: bytes, at: np.ndarray, given: dict[int, str], rows: np.ndarray) -> Any:
        """Return the texts at ``at`` (keys or values) of pieces ``rows`` as expat reads them; None if one is bad.

        ``given`` holds those of the odd pieces. A large_string array.
        """
        forms = self.form[rows]
        texts = _slices(data, at[rows])
        from_odd = np.flatnonzero(forms < 0)
        if len(from_odd):
            own = pa.array([given[int(r)] for r in rows[from_odd]], pa.large_string())
            texts = _replaced(texts, from_odd, own)
        coded = np.flatnonzero(forms > 0)
        return _decoded(texts, coded) if len(coded) else texts

    def key_codes(self, data: bytes, raw: np.ndarray, odd: "Odd", rows: np.ndarray) -> tuple[np.ndarray, list[str]] | None:
        """Return the keys of pieces ``rows`` as codes into the list of the distinct keys; None if one is bad."""
        spans = self.key_at[rows]
        width = spans[:, 1] - spans[:, 0]
        if len(rows) and (self.form[rows] == 0).all() and width.max() <= _KEY_WIDTH <= len(raw) - spans[:, 0].max():
            # Keys as they stand and short (nearly always): hashed as fixed-width bytes, no strings made.
            window = np.lib.stride_tricks.sliding_window_view(raw, _KEY_WIDTH)[spans[:, 0]] & _MASKS[width]
            encoded = pc.dictionary_encode(pa.FixedSizeBinaryArray.from_buffers(
                pa.binary(_KEY_WIDTH), len(rows), [None, pa.py_buffer(window)]))
            keys = [bytes(k).rstrip(b"\x00").decode("utf-8") for k in encoded.dictionary.to_pylist()]
            return encoded.indices.to_numpy(zero_copy_only=False), keys
        texts = self.read(data, self.key_at, odd.keys, rows)
        if texts is None:
            return None
        encoded = pc.dictionary_encode(texts)
        return encoded.indices.to_numpy(zero_copy_only=False), encoded.dictionary.to_pylist()


class Odd(NamedTuple):
    """What expat read of a block's odd pieces: per piece index its key (if any) and value."""

    keys: dict[int, str]
    values: dict[int, str]


def _slices(data: bytes, spans: np.ndarray) -> Any:
    """Return the bytes of ``data`` from each span's start to its end (spans in file order), a large_string array."""
    offsets = np.append(spans.ravel(), spans[-1, 1] if len(spans) else 0)
    texts = pa.Array.from_buffers(pa.large_string(), 2 * len(spans), [None, pa.py_buffer(offsets), pa.py_buffer(data)])
    return texts.take(pa.array(np.arange(0, 2 * len(spans), 2)))  # the others are the gaps between


def _replaced(texts: Any, rows: np.ndarray, new: Any) -> Any:
    """Return ``texts`` with rows ``rows`` replaced by ``new`` (Arrow)."""
    index = np.arange(len(texts))
    index[rows] = len(texts) + np.arange(len(rows))
    return pa.concat_arrays([texts, new]).take(pa.array(index))


def _decoded(texts: Any, rows: np.ndarray) -> Any:
    """Return ``texts`` with rows ``rows`` read as expat reads attribute values; None for a bad reference."""
    marked = pc.match_substring_regex(texts.take(pa.array(rows)), "[&\t\n\r]").to_numpy(zero_copy_only=False)
    rows = rows[marked]
    if not len(rows):
        return texts
    try:
        decoded = [attribute_text(t) for t in texts.take(pa.array(rows)).to_pylist()]
    except ValueError:
        return None
    return _replaced(texts, rows, pa.array(decoded, pa.large_string()))


_ENTITY = re.compile(r"&(?:(amp|lt|gt|quot|apos)|#([0-9]+)|#x([0-9A-Fa-f]+));")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_SPACES = str.maketrans("\t\n\r", "   ")


def _char(match: re.Match) -> str:
    if match.group(1):
        return _NAMED[match.group(1)]
    return _char_of(int(match.group(2)) if match.group(2) else int(match.group(3), 16))


def _char_of(code: int) -> str:
    """Return character ``code``; raises ValueError for one XML refuses."""
    if not (code in (9, 10, 13) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF):
        raise ValueError(f"&#{code}; is no XML character")
    return chr(code)


def attribute_text(raw: str) -> str:
    """Return an attribute value as written (between its quotes) as expat reads it.

    Line ends (CR LF, CR) become one line break and then, like tabs, a space;
    entities and character references are decoded. Raises ValueError for a
    reference to a character XML refuses.
    """
    return _ENTITY.sub(_char, raw.replace("\r\n", "\n").translate(_SPACES))


def pieces_of(data: bytes, raw: np.ndarray, starts: np.ndarray, hi: int, scan: Any) -> Pieces | None:
    """Return the pieces starting at ``starts`` (the last ends at ``hi``); None for a name ``scan.code`` refuses."""
    count = len(starts)
    form = _forms(data, starts, hi)
    if form.any() and not _references_ok(data, int(starts[0]) if count else hi, hi):
        return None  # (a block of common pieces only holds no "&")
    key_at, value_at, after = _quoted(data, raw, starts, hi, form)
    close = raw[np.minimum(starts + 1, len(raw) - 1)] == 47
    regular = np.flatnonzero(form >= 0)
    at = (starts + 1 + close)[regular]
    names, length = _names(raw, at)
    form[regular[length < 0]] = -1
    after[regular] = np.maximum(after[regular], at + length)
    kind = np.where(close, CLOSE, np.where(raw[_skip_space(raw, after)] == 47, EMPTY, OPEN)).astype(np.int8)
    keyed = (form >= 0) & (key_at[:, 1] > starts)
    codes = np.full(count, -1, dtype=np.int64)
    if len(regular):
        encoded = pc.dictionary_encode(names)
        words = [bytes(w).rstrip(b"\x00").decode("ascii") for w in encoded.dictionary.to_pylist()]
        known = scan.code(words)
        if known is None:
            return None
        codes[regular] = known[encoded.indices.to_numpy(zero_copy_only=False)]
        codes[form < 0] = -1
    return Pieces(starts, kind, codes, keyed, key_at, value_at, form)


_REFERENCE = re.compile(rb"&#(?:([0-9]+)|x([0-9A-Fa-f]+));")


def _references_ok(data: bytes, lo: int, hi: int) -> bool:
    """Return True when every character reference in ``lo:hi`` is to a character XML allows (expat refuses others).

    Those that are in no key or value read are checked here too: in nested attributes, say.
    """
    if data.find(b"&#", lo, hi) < 0:
        return True
    try:
        for match in _REFERENCE.finditer(data, lo, hi):
            _char_of(int(match.group(1)) if match.group(1) else int(match.group(2), 16))
    except ValueError:
        return False
    return True


def _forms(data: bytes, starts: np.ndarray, hi: int) -> np.ndarray:
    """Return each piece's form: 0 for ``_COMMON``, f for ``_FORMS[f - 1]``, -1 for none (an odd piece)."""
    count = len(starts)
    if not count:
        return np.zeros(0, dtype=np.int64)
    offsets = np.append(starts, hi).astype(np.int64)
    whole = pa.Array.from_buffers(pa.large_string(), 1, [None, pa.py_buffer(offsets[[0, -1]]), pa.py_buffer(data)])
    for f, pattern in enumerate(_ALL_FORMS):  # the usual block: one pass of RE2 over it (a mismatch ends one soon)
        if pc.match_substring_regex(whole, pattern)[0].as_py():
            return np.full(count, f, dtype=np.int64)
    texts = pa.Array.from_buffers(pa.large_string(), count, [None, pa.py_buffer(offsets), pa.py_buffer(data)])
    form = np.where(pc.match_substring_regex(texts, _COMMON).to_numpy(zero_copy_only=False), 0, -1)
    left = np.flatnonzero(form < 0)
    for f, (pattern, _, _) in enumerate(_FORMS, 1):
        if not len(left):
            break
        hit = pc.match_substring_regex(texts.take(pa.array(left)), pattern).to_numpy(zero_copy_only=False)
        form[left[hit]] = f
        left = left[~hit]
    return form


def _quoted(data: bytes, raw: np.ndarray, starts: np.ndarray, hi: int, form: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return where each piece's key and value start and end ((n, 2); its start where it has none) and where its
    last quote ends.

    Only for the pieces of a form: in those, every quote of the form's kind encloses a key or value.
    """
    key_at = np.repeat(starts[:, None], 2, axis=1)
    value_at = key_at.copy()
    after = starts.copy()
    lo = int(starts[0]) if len(starts) else hi
    present = set(np.unique(form).tolist()) if form.any() else {0}
    for quote in ('"', "'"):
        forms = [(f, at) for f, at in _quote_forms(quote) if f in present]
        if not forms or data.find(quote.encode(), lo, hi) < 0:
            continue
        marks = np.flatnonzero(raw[lo:hi] == ord(quote)) + lo
        first = np.searchsorted(marks, starts)
        among = np.diff(np.append(first, len(marks)))
        quoted = among > 0
        for f, (where_key, where_value) in forms:
            rows = np.flatnonzero(quoted if present == {0} else (form == f) & quoted)
            at = first[rows]
            key_at[rows, 0], key_at[rows, 1] = marks[at + where_key] + 1, marks[at + where_key + 1]
            if where_value is not None:
                value_at[rows, 0], value_at[rows, 1] = marks[at + where_value] + 1, marks[at + where_value + 1]
            after[rows] = marks[at + among[rows] - 1] + 1
    return key_at, value_at, after


def _quote_forms(quote: str) -> list[tuple[int, tuple[int, int | None]]]:
    """Return the forms quoted with ``quote`` (by number, 0 being ``_COMMON``) and where their key and value are."""
    found = [(0, (0, 2))] if quote == '"' else []
    return found + [(f, at) for f, (_, q, at) in enumerate(_FORMS, 1) if q == quote]


def _names(raw: np.ndarray, at: np.ndarray) -> tuple[Any, np.ndarray]:
    """Return the names starting at ``at`` (a fixed-size binary array, zero-padded) and their lengths (-1: too long)."""
    room = len(raw) - _NAME_WIDTH
    if room < 0:
        return pa.array([b""] * len(at), pa.binary(_NAME_WIDTH)), np.full(len(at), -1, dtype=np.int64)
    window = np.lib.stride_tricks.sliding_window_view(raw, _NAME_WIDTH)[np.minimum(at, room)]
    term = (window <= 32) | (window == 47) | (window == 62)
    length = term.argmax(axis=1)
    length[~term[np.arange(len(at)), length] | (at > room)] = -1  # none within reach, or the file's last bytes: odd
    window &= _MASKS[np.maximum(length, 0), :_NAME_WIDTH]
    return pa.FixedSizeBinaryArray.from_buffers(pa.binary(_NAME_WIDTH), len(at), [None, pa.py_buffer(window)]), length


def _skip_space(raw: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Return where the first byte at or after each of ``at`` that is not white space is."""
    at = at.copy()
    left = np.arange(len(at))
    while len(left):
        left = left[_SPACE[raw[np.minimum(at[left], len(raw) - 1)]] & (at[left] < len(raw) - 1)]
        at[left] += 1
    return at


def odd_pieces(data: bytes, starts: np.ndarray, hi: int, found: Pieces, scan: Any) -> Odd | None:
    """Have expat read the odd pieces of ``found`` (setting their kind and name); None if one is not read so."""
    odd = Odd({}, {})
    pieces = np.flatnonzero(found.form < 0)
    scan.odd += len(pieces)
    if scan.odd > ODD_LIMIT:
        return None
    root_name = _ODD_NAME.match(scan.root).group(1)
    close_root = b"</" + root_name + b">"
    for i in pieces.tolist():
        piece = data[starts[i] : starts[i + 1] if i + 1 < len(starts) else hi]
        if b"xmlns" in piece:
            return None  # a namespace declared below <log>: the scan does not follow its scope
        named = _ODD_NAME.match(piece)
        if piece.startswith((b"<!", b"<?")):
            element, kind = _parsed(scan.root + piece + close_root), SKIP
            if element is None or len(element):
                return None
            continue_name = None
        elif named is None:
            return None
        elif piece.startswith(b"</"):
            element, kind = _parsed(scan.root + b"<" + named.group(1) + b">" + piece + close_root), CLOSE
            continue_name = named.group(1)
        else:
            element, kind = _parsed(scan.root + piece + b"</" + named.group(1) + b">" + close_root), OPEN
            if element is None:
                element, kind = _parsed(scan.root + piece + close_root), EMPTY
            continue_name = named.group(1)
        if element is None:
            return None
        found.kind[i] = kind
        if continue_name is not None:
            code = scan.code([continue_name.decode("utf-8")])
            if code is None:
                return None
            found.name[i] = code[0]
        if kind in (OPEN, EMPTY) and element[0].get("key") is not None:
            found.keyed[i] = True
            odd.keys[i], odd.values[i] = element[0].get("key"), element[0].get("value", "")
    return odd


def _parsed(document: bytes) -> Any:
    """Return the root element of ``document``, or None when expat finds it not well-formed."""
    try:
        return ET.fromstring(document)
    except ET.ParseError:
        return None
