"""Small helpers for the words of user messages, shared by the library, the CLI and the UI."""

from __future__ import annotations


def plural(n: int, word: str, many: str | None = None) -> str:
    """Return ``"1 event"`` / ``"2 events"``: the count with ``word`` or its plural (``many``, default word + s)."""
    return f"{n} {word if n == 1 else (many or word + 's')}"
