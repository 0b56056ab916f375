"""Writing a transcript: WebVTT (speakers as voice tags), SRT (``Speaker: text``) or JSON, streamed to a file.

The file is written to a temporary name beside the target and renamed into
place (``annotate.fsutil.atomic_path``), so a reader never sees half a file.
What :mod:`annotate.transcripts.cues` reads back from a file written here is the
same lines: times to the millisecond, speakers and text.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable, TextIO

from ..errors import ValidationError
from ..formats.captions import cue_label_lines, timing
from ..fsutil import atomic_path
from .lines import Line

FORMATS = ("vtt", "srt", "json")


def format_of(path: str | Path, fmt: str | None = None) -> str:
    """Return the format to write (``vtt``, ``srt`` or ``json``): ``fmt``, else the file's suffix.

    Raises ValidationError for any other.
    """
    chosen = (fmt or Path(path).suffix.lstrip(".")).lower()
    if chosen not in FORMATS:
        raise ValidationError(f"cannot write a transcript as {chosen or 'a file without a suffix'!r}: "
                              "name the file .vtt, .srt or .json")
    return chosen


def write_file(path: str | Path, lines: Iterable[Line], fmt: str | None = None,
               about: dict[str, Any] | None = None) -> int:
    """Write ``lines`` to ``path`` atomically in ``fmt`` (default: from the suffix); return how many were written.

    ``about`` (JSON only) is put beside the lines, e.g. ``{"recording": 3}``.
    Raises ValidationError for an unknown format.
    """
    chosen = format_of(path, fmt)
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as out:
        return {"vtt": _vtt, "srt": _srt, "json": _json}[chosen](out, lines, about or {})


def _escape(text: str) -> str:
    """Return ``text`` as WebVTT cue text: ``&``, ``<`` and ``>`` as character references."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _vtt(out: TextIO, lines: Iterable[Line], about: dict[str, Any]) -> int:
    out.write("WEBVTT\n")
    count = 0
    for count, line in enumerate(lines, 1):
        text = "\n".join(_escape(t) for t in cue_label_lines(line.text))
        voice = f"<v {_escape(line.speaker)}>" if line.speaker else ""
        out.write(f"\n{count}\n{timing(line.start_ms, line.end_ms, '.')}\n{voice}{text}\n")
    return count


def _srt(out: TextIO, lines: Iterable[Line], about: dict[str, Any]) -> int:
    count = 0
    for count, line in enumerate(lines, 1):
        text = "\n".join(cue_label_lines(line.text))
        said = f"{line.speaker}: {text}" if line.speaker else text
        out.write(f"{'' if count == 1 else chr(10)}{count}\n{timing(line.start_ms, line.end_ms, ',')}\n{said}\n")
    return count


def _json(out: TextIO, lines: Iterable[Line], about: dict[str, Any]) -> int:
    head = json.dumps(about, ensure_ascii=False)[1:-1]
    out.write("{" + (head + ", " if head else "") + '"lines": [')
    count = 0
    for count, line in enumerate(lines, 1):
        out.write(("\n  " if count == 1 else ",\n  ") + json.dumps(line.to_dict(), ensure_ascii=False))
    out.write("\n]}\n" if count else "]}\n")
    return count
