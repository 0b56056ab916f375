"""Reading a transcript from a WebVTT or SRT file, a line at a time, with bounded memory.

The kind of file is told by its content, never by its name: a file whose first
line is ``WEBVTT`` is WebVTT, one that starts with a cue number or a timing line
is SRT. Each cue gives one :class:`~annotate.transcripts.lines.Line` per speaker
in it (see ``speakers.py``). Any problem stops the reading with ONE FormatError
naming the file and the line: ``call.vtt line 14: '00:01:xx.000' is not a cue time``.
Text is UTF-8 (a BOM is skipped) or UTF-16 with a BOM; a file line is at most MAX_FILE_LINE characters.
"""

from __future__ import annotations

import codecs
import io
import re
from pathlib import Path
from typing import BinaryIO, Iterator

from ..errors import FormatError, ValidationError
from ..formats.captions import parse_timing
from .lines import MAX_LINE_TEXT, Line, checked_line
from .speakers import speaker_parts

MAX_FILE_LINE = 4 * MAX_LINE_TEXT  # characters of one line of the file (markup included)
MAX_CUES = 500_000  # a cue every 0.7 s for 100 hours
_VTT_HEAD = re.compile(r"WEBVTT(?:[ \t].*)?")
_STAMP_LIKE = re.compile(r"\d:\d\d")
_BLOCK_SKIPPED = re.compile(r"(?:NOTE|STYLE|REGION)(?:[ \t].*)?")


def sniff(head: bytes) -> str:
    """Return ``"vtt"`` or ``"srt"`` for the first bytes of a file, or ``""`` when it is neither."""
    text = _decode_head(head)
    if _VTT_HEAD.fullmatch(text.split("\n", 1)[0].rstrip("\r")):
        return "vtt"
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if first.isdigit() or "-->" in first:
        return "srt"
    return ""


def _decode_head(head: bytes) -> str:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return head[: len(head) // 2 * 2].decode("utf-16", errors="ignore").lstrip("\ufeff")
    return head.decode("utf-8", errors="ignore").lstrip("\ufeff")


def read_file(path: str | Path, name: str | None = None) -> Iterator[Line]:
    """Yield the lines of the transcript file at ``path``, in the file's order.

    ``name`` is how messages name the file (default: its name). Raises FormatError
    (one line, with the file's line number) for a file that is not WebVTT or SRT
    or has a bad cue, and FormatError when the file cannot be read.
    """
    shown = name or Path(path).name
    try:
        handle = open(path, "rb")
    except OSError as exc:
        raise FormatError(f"{shown}: cannot be read ({exc.strerror or exc})") from None
    with handle:
        yield from read_stream(handle, shown)


def read_stream(raw: BinaryIO, name: str) -> Iterator[Line]:
    """Yield the lines of a transcript read from the binary stream ``raw`` (see :func:`read_file`)."""
    head = raw.read(4096)
    kind = sniff(head)
    if not kind:
        if not head.strip():
            raise FormatError(f"{name}: the file is empty; export the transcript again")
        raise FormatError(f"{name} line 1: this is neither WebVTT (which starts with 'WEBVTT') nor SRT "
                          "(which starts with a cue number or a timing line); export the transcript as .vtt or .srt")
    raw.seek(0)
    utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    source = io.TextIOWrapper(raw, encoding="utf-16", newline=None) if utf16 else raw
    reader = _Cues(source, name, kind == "vtt")
    yield from reader.lines()


class _Cues:
    """The cue blocks of one text stream, read a file line at a time."""

    def __init__(self, source: BinaryIO | io.TextIOBase, name: str, vtt: bool):
        """Read ``source``: UTF-8 bytes (decoded a line at a time, so an error names its line) or text."""
        self.source, self.name, self.vtt = source, name, vtt
        self.number = 0  # the file's line number of the line read last
        self.cues = 0

    def fail(self, message: str, number: int | None = None) -> FormatError:
        """Return the one-line FormatError of the file's line ``number`` (default: the last read)."""
        return FormatError(f"{self.name} line {number or self.number}: {message}; nothing was imported: "
                           "fix the file and import it again")

    def _next(self) -> str | None:
        """Return the file's next line without its line ending, or None at the end."""
        try:
            data = self.source.readline(4 * MAX_FILE_LINE + 1)
        except UnicodeDecodeError:  # UTF-16 text read through a decoder: the line is the next one, near enough
            raise self.fail("is not UTF-16 text; save the file as UTF-8 and import it again", self.number + 1) from None
        if not data:
            return None
        self.number += 1
        if len(data) > 4 * MAX_FILE_LINE:
            raise self.fail(f"the line is longer than {MAX_FILE_LINE:,} characters: this is not a transcript")
        if isinstance(data, bytes):
            try:
                data = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                bad = data[exc.start:exc.start + 1].hex().upper()
                raise self.fail(f"is not UTF-8 text (byte 0x{bad}); save the file as UTF-8 and import it again") from None
        line = data.lstrip("\ufeff") if self.number == 1 else data
        line = line.rstrip("\r\n")
        if len(line) > MAX_FILE_LINE:
            raise self.fail(f"the line is longer than {MAX_FILE_LINE:,} characters: this is not a transcript")
        if "\x00" in line:
            raise self.fail("holds NUL bytes: this is not a text file")
        return line

    def lines(self) -> Iterator[Line]:
        """Yield every cue's lines; raises FormatError at the first problem."""
        if self.vtt:
            self._skip_block()  # the header block: WEBVTT and any header lines up to the first blank line
        block, found = self._block(), 0
        while block is not None:
            first, rows = block
            for line in self._cue(first, rows):
                found += 1
                yield line
            block = self._block()
        if not found:
            raise FormatError(f"{self.name}: the file holds no cues with text; nothing was imported")

    def _skip_block(self) -> None:
        while (line := self._next()) is not None and line.strip():
            pass

    def _block(self) -> tuple[int, list[str]] | None:
        """Return (line number of its first line, its lines) of the next block, or None at the end."""
        line = self._next()
        while line is not None and not line.strip():
            line = self._next()
        if line is None:
            return None
        first, rows, size = self.number, [line], len(line)
        while (line := self._next()) is not None and line.strip():
            rows.append(line)
            size += len(line)
            if size > MAX_FILE_LINE:
                raise self.fail(f"the cue is longer than {MAX_FILE_LINE:,} characters", first)
        return first, rows

    def _cue(self, first: int, rows: list[str]) -> Iterator[Line]:
        """Yield the lines of the cue block ``rows`` that starts on the file's line ``first``."""
        if self.vtt and _BLOCK_SKIPPED.fullmatch(rows[0].strip()) and "-->" not in rows[0]:
            return
        at = 0 if "-->" in rows[0] else 1  # a cue id (SRT: its number) comes before the timing line
        if at >= len(rows) or "-->" not in rows[at]:
            if _STAMP_LIKE.search(rows[0]):  # a timing line gone wrong rather than a cue id
                raise self.fail(f"'{rows[0].strip()[:80]}' is not a cue timing ('00:00:01.000 --> 00:00:04.000')", first)
            what = "a cue number or id must be followed by its timing line ('00:00:01.000 --> 00:00:04.000')"
            raise self.fail(what, first + min(at, len(rows) - 1))
        try:
            start, end, _settings = parse_timing(rows[at])
        except ValidationError as exc:
            raise self.fail(str(exc), first + at) from None
        self.cues += 1
        if self.cues > MAX_CUES:
            raise self.fail(f"the file holds more than {MAX_CUES:,} cues: split it", first)
        # A cue that runs into the next without a blank line between: the rest starts a new block.
        text, rest = rows[at + 1:], []
        for i, row in enumerate(text):
            if "-->" in row:
                cut = i - 1 if i > 0 and text[i - 1].strip().isdigit() else i
                text, rest = text[:cut], text[cut:]
                break
        for speaker, said in speaker_parts(text, self.vtt):
            try:
                yield checked_line(start, end, said, speaker)
            except ValidationError as exc:
                raise self.fail(str(exc), first) from None
        if rest:
            yield from self._cue(first + at + 1 + len(text), rest)
