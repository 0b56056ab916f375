"""Arrow arrays and scalars built from numpy buffers and string builders, never with ``pyarrow.array``.

``pyarrow.array``, ``pyarrow.scalar`` and ``Array.to_numpy`` (and compute calls
given plain Python values, which go through ``pyarrow.scalar``) import pandas on
first use: 0.3 s of every import's and export's start-up. The column code
(formats.columns) builds its Arrow values here instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np

try:  # optional, as in formats.columns
    import pyarrow as _pa
    import pyarrow.compute as _pc
except ImportError:  # pragma: no cover - exercised only where pyarrow is missing
    _pa = _pc = None


def text_array(values: Any) -> Any:
    """Return a list of str (or an int array, printed in decimal) as an Arrow string array.

    Raises TypeError for a value that is neither str nor None.
    """
    if isinstance(values, np.ndarray):
        return _pc.cast(arrow_of(values), _pa.string())
    joined = _joined(values)
    if joined is not None:
        return joined
    builder = _pa.lib.StringBuilder()  # None (a null), a value that is not str, text UTF-8 cannot hold
    builder.append_values(values)
    return builder.finish()


def _joined(values: Any) -> Any:
    """Return a list of str as an Arrow string array built from their joined UTF-8 bytes (a third of the time
    of a StringBuilder), or None when some value is not a str or not encodable (lone surrogates) or the text
    is 2 GB or more (or ``values`` is not a list or tuple)."""
    if not isinstance(values, (list, tuple)):
        return None
    try:
        text = "".join(values)
        data = text.encode("utf-8")
    except (TypeError, UnicodeEncodeError):
        return None
    if len(data) >= 2**31:
        return None
    count = len(values)
    lengths = map(len, values) if len(data) == len(text) else map(len, map(str.encode, values))  # bytes = chars
    offsets = np.zeros(count + 1, dtype=np.int32)
    np.cumsum(np.fromiter(lengths, dtype=np.int64, count=count), out=offsets[1:])
    return _pa.Array.from_buffers(_pa.string(), count, [None, _pa.py_buffer(offsets), _pa.py_buffer(data)])


def arrow_of(values: np.ndarray) -> Any:
    """Return a 1-D numpy array of numbers or booleans as an Arrow array (no nulls), as ``pyarrow.array`` would."""
    if values.dtype == np.bool_:
        bits = np.packbits(values, bitorder="little")
        return _pa.Array.from_buffers(_pa.bool_(), len(values), [None, _pa.py_buffer(bits)])
    values = np.ascontiguousarray(values)
    return _pa.Array.from_buffers(_pa.from_numpy_dtype(values.dtype), len(values), [None, _pa.py_buffer(values)])


def text_scalar(value: str | None) -> Any:
    """Return ``value`` as an Arrow string scalar (None: a null one)."""
    return _pa.nulls(1, _pa.string())[0] if value is None else text_array([value])[0]


def int_values(array: Any) -> np.ndarray:
    """Return an Arrow signed integer array without nulls as a numpy view of its values (its to_numpy imports
    pandas, 0.3 s); raises ValueError for one with nulls."""
    if array.null_count:
        raise ValueError("a value is missing")
    dtype = np.dtype(f"int{array.type.bit_width}")
    return np.frombuffer(array.buffers()[1], dtype=dtype)[array.offset : array.offset + len(array)]


def bool_values(array: Any) -> np.ndarray:
    """Return an Arrow boolean array without nulls as a numpy bool array; raises ValueError for one with nulls."""
    if array.null_count:
        raise ValueError("a value is missing")
    bits = np.unpackbits(np.frombuffer(array.buffers()[1], dtype=np.uint8), bitorder="little")
    return bits[array.offset : array.offset + len(array)].astype(bool)
