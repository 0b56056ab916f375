"""Reading a text file: decoding (UTF-8, BOM, UTF-16), the longest cell a CSV may hold, and where rows start."""

from __future__ import annotations

import codecs
import csv
import io
from itertools import islice
from typing import Sequence

import numpy as np

from ..model import MAX_FREE_TEXT, MAX_SHORT_TEXT
from . import columns as colwise
from .problems import Problems

BOM = "\ufeff"


def decode_text(data: bytes | str, problems: Problems) -> str:
    """Return ``data`` as text: UTF-8 with or without a BOM, or UTF-16 with a BOM.

    Raises (through ``problems``) a FormatError naming the line of the first
    byte that is not UTF-8, or for a file holding NUL bytes (not a text file).
    """
    if isinstance(data, str):
        text = data[1:] if data.startswith(BOM) else data
    elif data.startswith(codecs.BOM_UTF8):
        text = _decode(data[3:], "utf-8", problems, 3)
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _decode(data, "utf-16", problems, 0)
    else:
        text = _decode(data, "utf-8", problems, 0)
    nul = text.find("\x00")
    if nul >= 0:
        problems.fail(f"line {text.count(chr(10), 0, nul) + 1}", "holds NUL bytes: this is not a text file")
    return text


def _decode(data: bytes, encoding: str, problems: Problems, skipped: int) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start : exc.start + 1].hex().upper()
        problems.fail(
            f"line {line}",
            f"is not {encoding.upper()} text (byte 0x{bad}); save the file as UTF-8 "
            "(in Excel: 'CSV UTF-8') and import it again",
        )


# --- cell limits ----------------------------------------------------------------

# The longest cell an import reads (docs/formats.md): free text, and a label or any other short field.
FREE_TEXT_CELL = MAX_FREE_TEXT
SHORT_CELL = MAX_SHORT_TEXT


def utf8_body(data: bytes | str) -> bytes | memoryview | None:
    """Return a text file's bytes as UTF-8 without a BOM (UTF-16 with a BOM re-encoded); None if not decodable.

    A UTF-8 file's own bytes are returned (a view past the BOM), not a copy.
    """
    try:
        if isinstance(data, str):
            return data.lstrip(BOM).encode("utf-8")
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return data.decode("utf-16").encode("utf-8")
    except UnicodeError:
        return None
    return memoryview(data)[3:] if data.startswith(codecs.BOM_UTF8) else data


def refuse_long_cells(body: bytes, delimiter: str, problems: Problems, limits: Sequence[tuple[str, int]],
                      rest: tuple[str, int]) -> None:
    """Raise (through ``problems``) a FormatError naming the first CSV cell longer than its column allows.

    ``limits[i]`` is (name in messages, most characters) for column i, ``rest``
    for cells right of them; a header cell holds at most SHORT_CELL. Reads
    ``body`` a chunk at a time, before anything builds cells from it.
    """
    limits = [*limits, rest]
    caps = np.array([cap for _, cap in limits], dtype=np.int64)
    for lines, cols, starts, ends in colwise.long_cells(body, delimiter, SHORT_CELL):
        index = np.minimum(cols, len(limits) - 1)
        cap = np.where(lines == 1, SHORT_CELL, caps[index])
        for i in np.flatnonzero(ends - starts > cap):  # bytes first: a character takes 1 to 4
            chars = colwise.cell_chars(body, int(starts[i]), int(ends[i]))
            if chars > cap[i]:
                name = "header name" if lines[i] == 1 else limits[int(index[i])][0]
                article = "an" if name[0] in "aeiou" else "a"
                problems.fail(f"line {int(lines[i])}", f"the {name} is {chars:,} characters; {article} {name} holds "
                                                        f"at most {int(cap[i]):,} (see docs/formats.md); shorten it")


class CsvLines:
    """The line each row of a CSV text starts on, counted on first use (by reading the text again).

    A cell may hold line breaks, so a row's line is not its index; files are read
    with ``list.extend(reader)`` and the lines are only counted when a message needs one.
    """

    def __init__(self, text: str, delimiter: str, count: int):
        self._args = (text, delimiter, count)
        self._starts: list[int] | None = None

    def _count(self) -> list[int]:
        if self._starts is None:
            text, delimiter, count = self._args
            reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
            starts, prev = [], 0
            for _ in islice(reader, count):
                starts.append(prev + 1)
                prev = reader.line_num
            starts.append(prev + 1)  # where the row after the last one read starts
            self._starts = starts
        return self._starts

    def place(self, index: int) -> str:
        """Return ``"line N"`` for the row at ``index``."""
        return f"line {self._count()[index]}"

    def after_last(self) -> int:
        """Return the line after the last row read."""
        return self._count()[-1]
