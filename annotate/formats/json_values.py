"""JSON event objects -> Event field values, a whole field at a time, noting each object's first bad value.

Values as this tool writes them (kind text, float seconds, text, an int
emotion, ISO times at UTC) convert a field at a time; any other value (a
timecode string, a number as text, an offset time, ...) converts on its own,
and that conversion also says what is wrong with a bad one.
"""

from __future__ import annotations

from itertools import repeat
from typing import Any, Callable

from ..errors import ValidationError
from ..model import Kind
from ..timebase import parse_time
from . import columns as colwise
from .cells import convert_each, parse_iso
from .kinds import KindResolver

EVENT_TEXT = ("label", "stage", "channel", "actor", "expectation", "note", "reviewer")
_ABSENT = object()

Note = Callable[[int, ValidationError], None]


def item_values(items: list[dict[str, Any]], kinds: KindResolver) -> tuple[dict[str, list[Any]], dict[int, ValidationError]]:
    """Return (Event field -> values of every object, object index -> the first bad value's error in field order).

    A bad object's values are None where a value was bad.
    """
    bad: dict[int, ValidationError] = {}

    def note(i: int, exc: ValidationError) -> None:
        bad.setdefault(i, exc)  # fields are read in the order an object's values are checked: the first one counts

    def get(key: str, default: Any = None) -> list[Any]:
        return list(map(dict.get, items, repeat(key, len(items)), repeat(default, len(items))))

    out: dict[str, list[Any]] = {"kind": _kinds(get("kind", ""), kinds, note)}
    starts = _either(get("start_s", _ABSENT), lambda: get("start", _ABSENT))
    out["start_s"] = _times(starts, "start_s", note, none_ok=False)
    ends = [None if e == "" else e for e in _either(get("end_s", _ABSENT), lambda: get("end"))]
    out["end_s"] = _times(ends, "end_s", note, none_ok=True)
    for name in EVENT_TEXT:
        out[name] = _texts(get(name), name, note)
    out["emotion"] = _emotions(get("emotion"), note)
    for name in ("created_at", "updated_at"):
        out[name] = _dates(get(name), name, note)
    return out, bad


def _either(values: list[Any], other: Callable[[], list[Any]]) -> list[Any]:
    """Return ``values`` with each absent one taken from ``other()`` (the field's other name)."""
    if not any(v is _ABSENT for v in values):
        return values
    return [o if v is _ABSENT else v for v, o in zip(values, other())]


def _kinds(texts: list[Any], kinds: KindResolver, note: Note) -> list[Any]:
    found: dict[str, Any] = {}
    out: list[Any] = []
    for i, text in enumerate(texts):
        key = text if type(text) is str else str(text)
        kind = found.get(key)
        if kind is None:
            try:
                kind = found[key] = kinds(key)
            except ValidationError as exc:
                kind = found[key] = exc
        if type(kind) is not Kind:
            note(i, kind)
            kind = None
        out.append(kind)
    return out


def _times(values: list[Any], name: str, note: Note, none_ok: bool) -> list[Any]:
    """Return times as seconds rounded to ms (None stays None where ``none_ok``); bad ones are noted and give None."""
    plain = {float, type(None)} if none_ok else {float}
    if set(map(type, values)) <= plain and not any(v is not None and v < 0 for v in values):
        return [None if v is None else round(v, 3) for v in values]
    return convert_each(values, lambda value: None if value is None and none_ok else time_value(name, value), note)


def time_value(name: str, value: Any) -> float:
    """Return one JSON time (seconds, or a timecode string) as seconds; raises ValidationError naming ``name``."""
    if value is _ABSENT:
        raise ValidationError("start_s is missing; every event needs a start time")
    if isinstance(value, bool):
        raise ValidationError(f"{name} {value} is not a number of seconds")
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValidationError(f"{name} {value} is negative; times count from the first frame at 0")
        return round(float(value), 3)
    if isinstance(value, str):
        try:
            return parse_time(value)
        except ValidationError as exc:
            raise ValidationError(f"{name} {exc}") from None
    raise ValidationError(f"{name} {value!r} is not a number of seconds")


def _texts(values: list[Any], name: str, note: Note) -> list[Any]:
    if set(map(type, values)) == {str}:
        return values
    out: list[Any] = []
    for i, value in enumerate(values):
        if value is not None and not isinstance(value, (str, int, float)):
            note(i, ValidationError(f"{name} must be text, not {type(value).__name__}"))
        out.append("" if value is None else value if type(value) is str else str(value))
    return out


def _emotions(values: list[Any], note: Note) -> list[Any]:
    if set(map(type, values)) <= {int, type(None)}:
        return values
    for i, emotion in enumerate(values):
        if emotion is not None and type(emotion) is not int and (
            isinstance(emotion, bool) or not isinstance(emotion, (int, float, str))
        ):
            note(i, ValidationError(f"emotion {emotion!r} is not a number; use -2, -1, 0, 1 or 2"))
    return values


def _dates(values: list[Any], name: str, note: Note) -> list[Any]:
    texts = [v if type(v) is str else str(v or "") for v in values]
    fast = colwise.iso_column(texts)
    return fast if fast is not None else convert_each(texts, lambda text: parse_iso(name, text), note)
