"""Problems found in one file, collected and raised as one FormatError naming every bad line or element."""

from __future__ import annotations

from pathlib import PurePath
from typing import NoReturn

from ..errors import FormatError

SHOWN_PROBLEMS = 3


def one_line(text: object, limit: int = 240) -> str:
    """Return ``text`` on one line (whitespace runs collapsed), cut to ``limit`` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class Problems:
    """Collect every problem found in one file, then raise a single FormatError for all of them.

    Each problem reads ``"<source> <where>: <what>"``, e.g.
    ``"events.csv line 7: unknown kind 'purple'"``.
    """

    def __init__(self, source: str):
        self.source = source
        self.items: list[str] = []

    def line(self, where: str | None, message: object) -> str:
        """Return how one problem reads: ``"<source> <where>: <what>"`` (``where`` None: the whole file)."""
        prefix = f"{self.source} {where}" if where else self.source
        return f"{prefix}: {one_line(message)}"

    def add(self, where: str | None, message: object) -> None:
        """Record one problem; ``where`` is e.g. ``"line 7"`` or None for the whole file."""
        self.items.append(self.line(where, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def error(self) -> FormatError:
        """Return the FormatError naming the first problems (all of them in ``.problems``)."""
        shown = self.items[:SHOWN_PROBLEMS]
        message = "; ".join(shown)
        rest = len(self.items) - len(shown)
        if rest > 0:
            message += f"; and {rest} more problem{'s' if rest > 1 else ''}"
        message += "; nothing was imported: fix the file and import it again"
        return FormatError(message, self.items)

    def raise_if_any(self) -> None:
        """Raise the collected problems as one FormatError, if there are any."""
        if self.items:
            raise self.error()

    def fail(self, where: str | None, message: object) -> NoReturn:
        """Record one last problem and raise everything collected so far."""
        self.add(where, message)
        raise self.error()


def source_name(path: object | None, default: str) -> str:
    """Return the file name used in messages: the last part of ``path`` or ``default``."""
    if path is None:
        return default
    name = PurePath(str(path)).name
    return name or default
