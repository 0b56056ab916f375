"""The event CSV's cells -> Event field values, a whole column at a time, noting each row's first bad cell.

A column of plain cells (the seconds, kinds and ISO times this tool writes)
converts in one step; a column holding anything else (a timecode, a frame
number, a time of day at another offset, ...) converts cell by cell, and
those conversions also say what is wrong with a bad cell. The whole-file
import and the streamed import both use :func:`cell_values`.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Callable, Sequence

from ..errors import ValidationError
from ..model import Kind
from ..timebase import parse_time, seconds_from_ms, time_to_ms
from . import columns as colwise
from .cells import convert_each, parse_iso, unneutralise
from .csv_write import TEXT_FIELDS
from .kinds import KindResolver

# Emotion cells as this tool writes them; anything else goes through validation's parse_emotion.
_EMOTIONS = {"": None, "-2": -2, "-1": -1, "0": 0, "1": 1, "2": 2}
_INF = float("inf")


def cell_values(column: Callable[[str], Any], cols: dict[str, int], resolve: KindResolver,
                fps: Fraction | None = None, frame_times: Sequence[float] | None = None
                ) -> tuple[dict[str, list[Any]], dict[int, ValidationError]]:
    """Return (Event field -> values of every row, row -> the first bad cell's error in field order).

    ``column(name)`` gives the Arrow string column of field ``name`` of ``cols``.
    ``fps`` and ``frame_times`` turn a frame number into a start time (a file
    without start times). A bad row's values are None where a cell was bad.
    """
    bad: dict[int, ValidationError] = {}

    def note(i: int, exc: ValidationError) -> None:
        bad.setdefault(i, exc)  # fields are read in the order a row's cells are checked: the first one counts

    out: dict[str, list[Any]] = {"kind": _kinds(column("kind"), resolve, note)}
    frames: list[list[str]] = []  # read only for a row without a start time

    def from_frame(i: int) -> float:
        if "frame" not in cols:
            return _frame_start("", fps, frame_times)
        if not frames:
            frames.append(column("frame").to_pylist())
        return _frame_start(frames[0][i], fps, frame_times)

    out["start_s"] = _times(column("start") if "start" in cols else None, "start_s", note, from_frame,
                            len(out["kind"]))
    if "end" in cols or "duration" in cols:
        out["end_s"] = _ends(column, cols, out["start_s"], note)
    for name in TEXT_FIELDS:
        if name in cols:
            out[name] = colwise.map_unique(column(name), unneutralise)
    if "emotion" in cols:
        out["emotion"] = colwise.map_unique(
            column("emotion"), lambda c: _EMOTIONS[c] if c in _EMOTIONS else (unneutralise(c).strip() or None))
    for name in ("created_at", "updated_at"):
        if name in cols:
            out[name] = _dates(column(name).to_pylist(), name, note)
    return out, bad


def _kinds(cells: Any, resolve: KindResolver, note: Callable[[int, ValidationError], None]) -> list[Any]:
    def kind(cell: str) -> Kind | ValidationError:
        try:
            return resolve(unneutralise(cell))
        except ValidationError as exc:
            return exc

    kinds = colwise.map_unique(cells, kind)
    if set(map(type, kinds)) - {Kind}:
        for i, value in enumerate(kinds):
            if isinstance(value, ValidationError):
                note(i, value)
                kinds[i] = None
    return kinds


def _times(cells: Any, name: str, note: Callable[[int, ValidationError], None], blank: Callable[[int], Any],
           count: int) -> list[Any]:
    """Return a time column's seconds (``blank(i)`` for an empty cell); a bad cell is noted and gives None."""
    if cells is not None:
        fast = colwise.seconds_column(cells, blank_is_none=False)
        if fast is not None:
            return fast
    texts = cells.to_pylist() if cells is not None else [""] * count
    return convert_each(range(count), lambda i: seconds_cell(name, texts[i]) if texts[i] else blank(i), note)


def _ends(column: Callable[[str], Any], cols: dict[str, int], starts: list[Any],
          note: Callable[[int, ValidationError], None]) -> list[Any]:
    """Return the end of each row: its end cell, else start + its duration cell, else None (a point event)."""
    durations = column("duration") if "duration" in cols else None
    if "end" in cols:
        ends = column("end")
        fast = colwise.seconds_column(ends, blank_is_none=True)
        if fast is not None and (durations is None or not colwise.any_where(ends, "^$", durations, ".")):
            return fast
    elif colwise.all_match(durations, "^$"):
        return [None] * len(starts)
    texts = durations.to_pylist() if durations is not None else None

    def from_duration(i: int) -> float | None:
        if texts is None or not texts[i].strip() or starts[i] is None:
            return None
        return round(starts[i] + seconds_cell("duration_s", texts[i]), 3)

    return _times(column("end") if "end" in cols else None, "end_s", note, from_duration, len(starts))


def seconds_cell(name: str, cell: str) -> float:
    """Return the seconds a time cell gives (``12.5``, ``00:00:12.500``, ...); raises ValidationError naming ``name``."""
    try:
        value = float(cell)
        if 0 <= value < _INF:
            return round(value, 3)
    except ValueError:
        pass
    text = unneutralise(cell).strip()
    if text.startswith("-"):
        raise ValidationError(f"{name} {text} is negative; times count from the first frame at 0")
    try:
        return parse_time(text)
    except ValidationError as exc:
        raise ValidationError(f"{name} {exc}") from None


def _frame_start(cell: str, fps: Fraction | None, frame_times: Sequence[float] | None) -> float:
    """Return the start time of a row without one, from its frame cell; raises ValidationError."""
    text = cell.strip()
    if not text:
        raise ValidationError("start_s is empty; every event needs a start time")
    if not text.isdigit():
        raise ValidationError(f"frame '{text}' is not a frame number (0, 1, 2, ...)")
    index = int(text)
    if frame_times is not None:
        if index >= len(frame_times):
            raise ValidationError(f"frame {index} is past the recording's last frame {len(frame_times) - 1}")
        return seconds_from_ms(time_to_ms(frame_times[index]))
    if fps is None:
        raise ValidationError("a frame number needs the recording's frame rate; give start_s instead")
    return seconds_from_ms(time_to_ms(Fraction(index) / fps))


def _dates(cells: list[str], name: str, note: Callable[[int, ValidationError], None]) -> list[Any]:
    fast = colwise.iso_column(cells)
    return fast if fast is not None else convert_each(cells, lambda cell: parse_iso(name, cell), note)
