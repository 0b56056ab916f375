"""CSV-like tables read row by row (BORIS tables, event logs): the text split into rows of cells."""

from __future__ import annotations

import csv
import io

from .common import CsvLines, Problems


def split_rows(text: str, delimiter: str, problems: Problems) -> tuple[list[list[str]], CsvLines]:
    """Return the rows of cells of a CSV ``text`` and the lines they start on (for messages).

    Raises FormatError (through ``problems``) naming the line where the text
    cannot be split into cells, e.g. a quoted cell cut short.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    raw: list[list[str]] = []
    try:
        raw.extend(reader)
    except csv.Error as exc:
        problems.fail(f"line {CsvLines(text, delimiter, len(raw)).after_last()}",
                      f"cannot be split into cells ({exc}); the file may be cut short")
    return raw, CsvLines(text, delimiter, len(raw))
