"""Cells: spreadsheet safety, times and dates as text, and JSON values; the same rule for every format."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any, Callable, Sequence

from ..errors import ValidationError
from ..timebase import clock_parts, seconds_and_ms, whole_ms_micros

# A spreadsheet runs a cell that starts with one of these as a formula (or DDE command).
FORMULA_START = frozenset("=+-@\t\r")
ESCAPED_START = FORMULA_START | {"'"}


def neutralise(text: str) -> str:
    """Return ``text`` safe to open in a spreadsheet: prefixed with ``'`` if it starts like a formula.

    Text that already starts with an apostrophe is prefixed too, so that
    :func:`unneutralise` gives back exactly the original text for every input.
    Only text cells go through this; numbers written by the exporter are numbers.
    """
    if text and text[0] in ESCAPED_START:
        return "'" + text
    return text


def csv_cell_writer(delimiter: str, neutralise: bool = True) -> Callable[[str], str]:
    """Return the function that writes one text cell: neutralised (unless not asked), quoted as csv.QUOTE_MINIMAL would.

    Blank (or None) gives the empty cell.
    """
    needs_quote = re.compile(f'[{re.escape(delimiter)}"\r\n]').search
    escaped = ESCAPED_START if neutralise else ()

    def write(value: str) -> str:
        if not value:
            return ""
        if value[0] in escaped:
            value = "'" + value
        if needs_quote(value):
            return '"' + value.replace('"', '""') + '"'
        return value

    return write


def unneutralise(cell: str) -> str:
    """Return ``cell`` with the apostrophe added by :func:`neutralise` removed (exactly that one)."""
    if len(cell) > 1 and cell[0] == "'" and cell[1] in ESCAPED_START:
        return cell[1:]
    return cell


# --- times and dates ------------------------------------------------------------


def ms_str(ms: int) -> str:
    """Return milliseconds as seconds text with three decimals: 1234 -> ``"1.234"``."""
    seconds, rest = seconds_and_ms(ms)
    return f"{seconds}.{rest:03d}"


def ms_timecode(ms: int, sep: str = ".") -> str:
    """Return ``HH:MM:SS.mmm`` (or with ``sep=","`` the SRT form) for ``ms`` >= 0 milliseconds."""
    h, m, s, rest = clock_parts(ms)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{rest:03d}"


def iso_utc(value: datetime | None) -> str:
    """Return ``value`` as ISO 8601 UTC text ending in ``Z`` (milliseconds, or microseconds if set).

    A naive datetime is taken to be UTC already. None gives ``""``.
    """
    if value is None:
        return ""
    if value.tzinfo is timezone.utc:  # the usual case: no conversion; isoformat() without a timespec is quickest
        text = value.isoformat()  # ...T12:30:00+00:00, or ...T12:30:00.250000+00:00
        micro = value.microsecond
        if not micro:
            return text[:-6] + ".000Z"
        return text[:-9] + "Z" if whole_ms_micros(micro) == micro else text[:-6] + "Z"
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    spec = "milliseconds" if whole_ms_micros(value.microsecond) == value.microsecond else "microseconds"
    return value.isoformat(timespec=spec) + "Z"


class TextCells(dict):
    """Memo of how text values are written as cells: ``cells[value]`` is ``write(value)``.

    Labels, stages, channels and actors repeat from row to row, so each distinct
    one is escaped once. Long texts (notes) are written each time, not kept.
    """

    def __init__(self, write: Callable[[str], str], keep_up_to: int = 80):
        super().__init__()
        self.write = write
        self.keep_up_to = keep_up_to

    def __missing__(self, value: str) -> str:
        cell = self.write(value)
        if value is None or (type(value) is str and len(value) <= self.keep_up_to):
            self[value] = cell
        return cell


_scan_json = json.JSONDecoder().scan_once


def json_value(text: str) -> Any:
    """Return ``json.loads(text)``; raises ValueError (JSONDecodeError) as it does, also for absurd nesting.

    Text that is exactly one JSON value (no surrounding whitespace), as this
    tool writes it, goes straight to json's C scanner; any other text, and
    every error, goes through ``json.loads`` itself.
    """
    try:
        try:
            value, end = _scan_json(text, 0)
        except (StopIteration, ValueError):
            return json.loads(text)
        if end != len(text):
            return json.loads(text)
        return value
    except RecursionError:  # a hostile file: report it like any other bad JSON
        raise ValueError("JSON nested too deeply") from None


def parse_iso(name: str, text: str) -> datetime | None:
    """Return the timezone-aware UTC datetime in ISO 8601 ``text`` (blank gives None).

    A time without an offset is taken as UTC. Raises ValidationError naming ``name``.
    """
    text = text.strip()
    if not text:
        return None
    raw = text[:-1] + "+00:00" if text[-1] in "Zz" else text
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise ValidationError(
            f"{name} '{text}' is not an ISO 8601 date-time such as 2024-05-01T12:30:00Z"
        ) from None
    zone = value.tzinfo
    if zone is timezone.utc:  # the usual case ("Z" or +00:00): nothing to convert
        return value
    if zone is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def convert_each(values: Sequence[Any], convert: Callable[[Any], Any],
                 note: Callable[[int, ValidationError], None]) -> list[Any]:
    """Return ``[convert(v) for v in values]``, None for each value it refuses, whose error goes to ``note(i, error)``."""
    out: list[Any] = []
    for i, value in enumerate(values):
        try:
            out.append(convert(value))
        except ValidationError as exc:
            note(i, exc)
            out.append(None)
    return out
