"""One line of a transcript, and the rules every stored line follows (times, text length, no control characters)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import ValidationError
from ..model import MAX_FREE_TEXT, MAX_SHORT_TEXT, clean_text
from ..timebase import seconds_from_ms

MAX_LINE_TEXT = MAX_FREE_TEXT  # characters of one line's text, as an event's note
MAX_SPEAKER = MAX_SHORT_TEXT  # characters of a speaker's name, as an event's label
MAX_MS = 100 * 3600 * 1000  # no recording is 100 hours long: a later time is a broken file


@dataclass(frozen=True)
class Line:
    """One line of a transcript: ``start_ms`` <= ``end_ms`` from the first video frame, who said it, what.

    ``words`` is, for a line from speech-to-text, ``((start_ms, end_ms, word), ...)``; empty otherwise.
    """

    start_ms: int
    end_ms: int
    text: str
    speaker: str = ""
    words: tuple[tuple[int, int, str], ...] = field(default=())

    @property
    def start_s(self) -> float:
        return seconds_from_ms(self.start_ms)

    @property
    def end_s(self) -> float:
        return seconds_from_ms(self.end_ms)

    def to_dict(self) -> dict[str, Any]:
        """Return the line as JSON-ready values (seconds with millisecond precision)."""
        out: dict[str, Any] = {"start_s": self.start_s, "end_s": self.end_s, "speaker": self.speaker,
                               "text": self.text}
        if self.words:
            out["words"] = [{"start_s": seconds_from_ms(a), "end_s": seconds_from_ms(b), "word": w}
                            for a, b, w in self.words]
        return out


def checked_line(start_ms: int, end_ms: int, text: str, speaker: str = "",
                 words: tuple[tuple[int, int, str], ...] = ()) -> Line:
    """Return a Line with its text and speaker cleaned (trimmed, no control characters).

    Raises ValidationError for an empty text, a negative or out-of-order time, a time past 100 hours,
    a text over MAX_LINE_TEXT characters or a speaker over MAX_SPEAKER.
    """
    if not 0 <= start_ms <= end_ms:
        raise ValidationError(f"a line's times must run forwards from 0 (got {start_ms} ms to {end_ms} ms)")
    if end_ms > MAX_MS:
        raise ValidationError("a line ends more than 100 hours in: the file's times are broken")
    text, speaker = clean_text(text), clean_text(speaker)
    if not text:
        raise ValidationError("a line has no text")
    if len(text) > MAX_LINE_TEXT:
        raise ValidationError(f"the line's text is {len(text):,} characters long; keep it to {MAX_LINE_TEXT:,}")
    if len(speaker) > MAX_SPEAKER:
        raise ValidationError(f"the speaker's name is {len(speaker):,} characters long; keep it to {MAX_SPEAKER:,}")
    return Line(int(start_ms), int(end_ms), text, speaker, tuple(words))
