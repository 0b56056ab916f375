"""Cells of whole Arrow string columns, by Arrow's kernels: exactly what the value-by-value writers give each value.

:func:`text_cells` is ``cells.csv_cell_writer`` (spreadsheet-safe, quoted as
csv.QUOTE_MINIMAL would) of every value; :func:`stamp_cells` is
``cells.iso_utc`` of every stored ISO stamp, as the store reads it back
(``schema.UTCDateTime``). Neither makes a Python object per value.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import numpy as np

from .arrays import arrow_of, text_array, text_scalar
from .cells import ESCAPED_START, iso_utc

try:  # optional, as in formats.columns
    import pyarrow as _pa
    import pyarrow.compute as _pc
except ImportError:  # pragma: no cover - exercised only where pyarrow is missing
    _pa = _pc = None

_CLASS = {"\t": "\\t", "\r": "\\r", "\n": "\\n", "-": "\\-", "'": "'"}
_RISKY = "^[" + "".join(_CLASS.get(c, c) for c in sorted(ESCAPED_START)) + "]"
# A stamp as UTCDateTime stores it (UTC, microseconds): whole milliseconds, or not.
_MS_STAMP = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}000\+00:00$"
_US_STAMP = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}\+00:00$"


def _where(mask: Any, then: Any, other: Any) -> Any:
    return _pc.if_else(mask, then, other) if _pc.any(mask).as_py() else other


def text_cells(array: Any, delimiter: str) -> Any:
    """Return the cell ``csv_cell_writer(delimiter)`` writes of each value of a string array (null: ``""``).

    Labels, stages, actors and the like repeat: when under half the values
    are distinct, each distinct one is written once (a third of the time).
    """
    array = _pc.fill_null(array, text_scalar(""))
    encoded = _pc.dictionary_encode(array)
    if len(encoded.dictionary) * 2 < len(array):
        return _written(encoded.dictionary, delimiter).take(encoded.indices)
    return _written(array, delimiter)


def _written(array: Any, delimiter: str) -> Any:
    """Return :func:`text_cells` of a string array without nulls."""
    blank = text_scalar("")
    risky = _pc.match_substring_regex(array, _RISKY)
    array = _where(risky, _pc.binary_join_element_wise(text_scalar("'"), array, blank), array)
    special = "[" + "".join(_CLASS.get(c, c) for c in (delimiter, '"', "\r", "\n")) + "]"
    quoted = _pc.match_substring_regex(array, special)
    if not _pc.any(quoted).as_py():
        return array
    quote = text_scalar('"')
    doubled = _pc.replace_substring(array, '"', '""')
    return _pc.if_else(quoted, _pc.binary_join_element_wise(quote, doubled, quote, blank), array)


def stamp_cells(array: Any) -> Any:
    """Return the ISO 8601 cell (``iso_utc``) of each stamp as stored (ISO text; null: ``""``), each distinct
    stamp once. Raises ValueError for text that is no ISO 8601 time, as reading it back would."""
    encoded = _pc.dictionary_encode(array, null_encoding="encode")
    distinct = encoded.dictionary
    whole = _pc.match_substring_regex(distinct, _MS_STAMP)
    micro = _pc.match_substring_regex(distinct, _US_STAMP)
    zone = text_scalar("Z")
    cells = _pc.if_else(whole, _pc.utf8_slice_codeunits(distinct, 0, 23), _pc.utf8_slice_codeunits(distinct, 0, 26))
    cells = _pc.binary_join_element_wise(cells, zone, text_scalar(""))
    plain = _pc.fill_null(_pc.or_(whole, micro), arrow_of(np.zeros(1, bool))[0])
    if not _pc.all(plain).as_py():  # another shape (an offset, no fraction, NULL): read back and written one by one
        others = [iso_utc(None if t is None else datetime.fromisoformat(t).astimezone(timezone.utc))
                  for t, ok in zip(distinct.to_pylist(), plain.to_pylist()) if not ok]
        cells = _pc.replace_with_mask(cells, _pc.invert(plain), text_array(others))
    return cells.take(encoded.indices)

