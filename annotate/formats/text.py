"""Reading a text file: decoding (UTF-8, BOM, UTF-16), the longest cell a CSV may hold, and where rows start."""

from __future__ import annotations

import codecs
import csv
import io
from itertools import islice
from typing import Iterator, Sequence

import numpy as np

from ..model import MAX_FREE_TEXT, MAX_SHORT_TEXT
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
    if not rows_longer_than(body, SHORT_CELL):
        return  # no row, so no cell, is longer than the smallest cap: nothing to find
    limits = [*limits, rest]
    caps = np.array([cap for _, cap in limits], dtype=np.int64)
    for lines, cols, starts, ends in long_cells(body, delimiter, SHORT_CELL):
        index = np.minimum(cols, len(limits) - 1)
        cap = np.where(lines == 1, SHORT_CELL, caps[index])
        for i in np.flatnonzero(ends - starts > cap):  # bytes first: a character takes 1 to 4
            chars = cell_chars(body, int(starts[i]), int(ends[i]))
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


# --- cells too long to read -------------------------------------------------------


def rows_longer_than(body: bytes, shortest: int, chunk: int = 1 << 21) -> bool:
    """Return True unless every CSV row of ``body`` is at most ``shortest`` bytes (line end included).

    A row ends at a line feed outside quotes (by quote parity, line feeds and
    quotes only: quick). A cell never outgrows its row, whatever the quotes
    mean, so False proves that no cell is longer than ``shortest``.
    """
    size, quotes, prev = len(body), 0, -1  # prev: the last row end so far
    for base in range(0, size, chunk):
        view = np.frombuffer(body, dtype=np.uint8, count=min(chunk, size - base), offset=base)
        feeds, qpos = np.flatnonzero(view == 10), np.flatnonzero(view == 34)
        ends = base + feeds[((np.searchsorted(qpos, feeds) + quotes) & 1) == 0]
        if len(ends) and max(int(ends[0]) - prev, int(np.diff(ends).max(initial=0))) > shortest:
            return True
        prev = int(ends[-1]) if len(ends) else prev
        if base + len(view) - 1 - prev > shortest:  # the row still open is already too long
            return True
        quotes += len(qpos)
    return False


def long_cells(body: bytes, delimiter: str, shortest: int, chunk: int = 1 << 21) -> Iterator[tuple[np.ndarray, ...]]:
    """Yield arrays (line, column, start, end) of the cells of a CSV body longer than ``shortest`` bytes, in order.

    ``line`` is the line the cell's row starts on (1 for the first), ``column``
    the cell's index in its row and ``body[start:end]`` its bytes (quotes
    included). Separators and line feeds inside quotes do not split cells. The
    file is read ``chunk`` bytes at a time, so memory stays a few times ``chunk``
    whatever the file holds (a 50 MB cell included).
    """
    sep, size = ord(delimiter), len(body)
    quoting = quotes_are_plain(body, delimiter, chunk)  # else quotes are text, and only csv.reader's limit holds
    quotes = feeds_before = 0
    prev, column, row_line = -1, 0, 1  # the last cell boundary, the column and row line of the cell after it
    for base in range(0, size, chunk):
        view = np.frombuffer(body, dtype=np.uint8, count=min(chunk, size - base), offset=base)
        qpos, feeds = np.flatnonzero(view == 34) if quoting else _NONE, np.flatnonzero(view == 10)
        cand = np.flatnonzero((view == sep) | (view == 10))
        bounds = cand[((np.searchsorted(qpos, cand) + quotes) & 1) == 0]
        if len(bounds):
            newline = view[bounds] == 10
            index = np.arange(len(bounds))
            last_nl = np.maximum.accumulate(np.where(newline, index, -1))
            before = np.concatenate(([-1], last_nl[:-1]))  # the last line feed boundary before each cell's end
            starts = np.concatenate(([prev + 1], base + bounds[:-1] + 1))
            ends = base + bounds
            long = np.flatnonzero(ends - starts > shortest)
            if len(long):
                b = before[long]
                lines = np.where(b >= 0, feeds_before + np.searchsorted(feeds, bounds[b], side="right") + 1, row_line)
                yield lines, np.where(b >= 0, long - b - 1, column + long), starts[long], ends[long]
            prev = int(ends[-1])
            if newline.any():
                j = int(last_nl[-1])
                column = len(bounds) - 1 - j
                row_line = feeds_before + int(np.searchsorted(feeds, bounds[j], side="right")) + 1
            else:
                column += len(bounds)
        quotes += len(qpos)
        feeds_before += len(feeds)
    if size - (prev + 1) > shortest:  # the last cell, without a line end after it
        yield np.array([row_line]), np.array([column]), np.array([prev + 1]), np.array([size])


_NONE = np.zeros(0, dtype=np.int64)


def quotes_are_plain(body: bytes, delimiter: str, chunk: int = 1 << 21) -> bool:
    """Return True when every quote of a CSV body opens or closes a quoted cell or doubles a quote inside one.

    Then quote parity tells which separators split cells, as csv.reader splits
    them; a quote in the middle of an unquoted cell (``5" screen``) is text.
    """
    whole = np.frombuffer(body, dtype=np.uint8)
    size, ends = len(whole), np.array([ord(delimiter), 10, 13], dtype=np.uint8)
    seen = 0
    for base in range(0, size, chunk):
        at = base + np.flatnonzero(whole[base : base + chunk] == 34)
        if not len(at):
            continue
        before = np.where(at > 0, whole[np.maximum(at - 1, 0)], 10)
        after = np.where(at < size - 1, whole[np.minimum(at + 1, size - 1)], 10)
        opens = ((seen + np.arange(len(at))) & 1) == 0
        good = np.where(opens, np.isin(before, ends) | (before == 34), np.isin(after, ends) | (after == 34))
        if not good.all():
            return False
        seen += len(at)
    return seen % 2 == 0


def cell_chars(body: bytes, start: int, end: int, chunk: int = 1 << 22) -> int:
    """Return how many characters the CSV cell ``body[start:end]`` (UTF-8, quoted or not) holds once read."""
    chars = quotes = 0
    for base in range(start, end, chunk):
        view = np.frombuffer(body, dtype=np.uint8, count=min(chunk, end - base), offset=base)
        chars += int(np.count_nonzero((view & 0xC0) != 0x80))  # not a UTF-8 continuation byte
        quotes += int(np.count_nonzero(view == 34))
    if end > start and body[end - 1] == 13:  # the CR of a CRLF line end
        chars -= 1
    return chars - (quotes // 2 + 1 if quotes else 0)  # the surrounding quotes, one of each doubled quote
