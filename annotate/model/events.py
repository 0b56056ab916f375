"""Events: the dataclass, text cleaning, and validation one event or whole columns at a time."""

from __future__ import annotations

import dataclasses
import gc
import math
import re
from dataclasses import dataclass, field
from operator import is_, itemgetter
from datetime import datetime
from typing import Any, Mapping

from ..errors import ValidationError
from .kinds import EMOTION_MAX, EMOTION_MIN, Kind, MAX_SHORT_TEXT, new_event_id, parse_kind, text_limit


# --- events -----------------------------------------------------------------


@dataclass
class Event:
    """One timestamped event on a recording.

    ``start_s``/``end_s`` are seconds from the recording's first video frame with
    millisecond precision; ``end_s`` is None for a point event.
    """

    kind: Kind
    start_s: float
    recording_id: int | None = None
    end_s: float | None = None
    label: str = ""
    stage: str = ""
    channel: str = ""
    actor: str = ""
    expectation: str = ""
    emotion: int | None = None
    note: str = ""
    reviewer: str = ""
    id: str = field(default_factory=new_event_id)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    version: int = 1

    TEXT_FIELDS = ("label", "stage", "channel", "actor", "expectation", "note", "reviewer")

    @property
    def duration_s(self) -> float | None:
        """Return end_s - start_s, or None for a point event."""
        return None if self.end_s is None else round(self.end_s - self.start_s, 3)

    def to_dict(self) -> dict[str, Any]:
        """Return the event as plain JSON-able values (kind as its stored name, times ISO 8601)."""
        out = dataclasses.asdict(self)
        out["kind"] = self.kind.value
        for key in ("created_at", "updated_at"):
            out[key] = out[key].isoformat() if out[key] else None
        return out

    def replace(self, **changes: Any) -> "Event":
        """Return a copy with ``changes`` applied (not validated)."""
        return dataclasses.replace(self, **changes)


# Characters no text keeps: control characters other than tab and line breaks (they break CSV, captions
# and XML), lone surrogates (no UTF-8 file can hold one) and U+FFFE/U+FFFF (which XML refuses).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_find_control = _CONTROL.search
_TEXT_FIELDS = Event.TEXT_FIELDS
_text_values = itemgetter(*_TEXT_FIELDS)
_INF = float("inf")


def _clean_text(name: str, value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = str(value)
    limit = text_limit(name)
    if len(text) > limit:
        raise ValidationError(f"{name} is {len(text)} characters long; keep it to {limit:,}")
    return clean_text(text)


def drop_control(value: Any) -> str:
    """Return ``value`` as text without the characters no text keeps (see ``_CONTROL``), not trimmed.

    For paths and file names in exports; None gives "".
    """
    text = "" if value is None else value if type(value) is str else str(value)
    return text if _find_control(text) is None else _CONTROL.sub("", text)


def clean_text(value: Any) -> str:
    """Return ``value`` as text fit for every export: trimmed, without the characters ``_CONTROL`` matches.

    None (and NaN) give "". Unlike event text, no length limit applies: names
    read back from the store or from a file name are never refused.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = str(value)
    if _find_control(text) is None:  # the usual case: nothing to substitute
        return text.strip()
    return _CONTROL.sub("", text).strip()


def parse_emotion(value: Any) -> int | None:
    """Return emotion as an int in -2..2, or None for blank; raises ValidationError otherwise."""
    if value is None:
        return None
    if type(value) is int and EMOTION_MIN <= value <= EMOTION_MAX:  # not bool: True is no emotion
        return value
    if isinstance(value, str) and not value.strip():
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    try:
        number = float(str(value).strip().replace("+", "").replace("−", "-"))
    except ValueError:
        raise ValidationError(f"emotion '{value}' is not a number; use -2, -1, 0, 1 or 2") from None
    if math.isnan(number):  # "nan" parses as a float but is no number
        raise ValidationError(f"emotion '{value}' is not a number; use -2, -1, 0, 1 or 2")
    if math.isinf(number) or number != int(number) or not EMOTION_MIN <= number <= EMOTION_MAX:
        raise ValidationError(f"emotion {value} is outside -2..2; use -2, -1, 0, 1 or 2")
    return int(number)


def validate_event(event: Event, duration_s: float | None = None) -> Event:
    """Return a cleaned copy of ``event``: kind parsed, times rounded to ms, text trimmed.

    ``duration_s`` is the recording's duration; when given, times must lie
    within 0..duration_s. Raises ValidationError (UnknownKindError for a kind)
    naming the field that is wrong and how to fix it.
    """
    # Imports call this once per event, so the usual case (a Kind, float times,
    # plain text without control characters) skips the general conversions.
    values = event.__dict__
    kind = values["kind"]
    if type(kind) is not Kind:
        kind = parse_kind(kind)
    start = values["start_s"]
    if type(start) is float and 0 <= start < _INF:
        start = round(start, 3)
    else:
        start = _check_time("start_s", start)
    end = values["end_s"]
    if end is None or end == "":
        end = None
    elif type(end) is float and 0 <= end < _INF:
        end = round(end, 3)
    else:
        end = _check_time("end_s", end)
    if end is not None and end < start:
        raise ValidationError(f"end_s {end} is before start_s {start}; an event ends after it starts")
    if duration_s is not None:
        limit = round(float(duration_s), 3)
        if start > limit or (end is not None and end > limit):
            name, value = ("start_s", start) if start > limit else ("end_s", end)
            raise ValidationError(
                f"{name} {value} s is outside the recording (0 to {limit} s); check the time or the recording"
            )
    texts = _text_values(values)
    try:
        joined = "".join(texts)
    except TypeError:  # a value that is not text (None, a number): converted below
        joined = None
    # Plain text without control characters that needs no trimming stays as it is (strip
    # returns the very same str then); anything else goes through _clean_text.
    if joined is not None and len(joined) <= MAX_SHORT_TEXT and _find_control(joined) is None and all(
        map(is_, map(str.strip, texts), texts)
    ):
        cleaned = None
    else:
        cleaned = [_clean_text(name, value) for name, value in zip(_TEXT_FIELDS, texts)]
    emotion = values["emotion"]
    if emotion is not None and not (type(emotion) is int and EMOTION_MIN <= emotion <= EMOTION_MAX):
        emotion = parse_emotion(emotion)
    if type(event) is Event:
        copy = object.__new__(Event)  # what dataclasses.replace makes, without calling __init__ again
        copy.__dict__ = fields = values.copy()
        fields["kind"] = kind
        fields["start_s"] = start
        fields["end_s"] = end
        fields["emotion"] = emotion
        if cleaned is not None:
            fields.update(zip(_TEXT_FIELDS, cleaned))
        return copy
    # a subclass may do more in __init__: let dataclasses copy it
    texts_changed = {} if cleaned is None else dict(zip(_TEXT_FIELDS, cleaned))
    return dataclasses.replace(event, kind=kind, start_s=start, end_s=end, emotion=emotion, **texts_changed)


_EVENT_FIELDS = tuple(f.name for f in dataclasses.fields(Event))
_TIME_LIMIT = 1e9  # seconds; below it a float that numpy finds rounded to ms is what round(x, 3) returns


def validate_columns(columns: Mapping[str, Any], duration_s: float | None = None) -> list[Event] | None:
    """Return the Events built from ``columns`` when each is valid as it stands, else None.

    ``columns`` maps Event field names to equal-length sequences (missing
    fields take their defaults; ``kind`` and ``start_s`` are required). The
    result is exactly what :func:`validate_event` returns for each event, but
    checked a whole column at a time; so it is only given when every value is
    already in the form validate_event keeps (a Kind, float times rounded to
    ms within 0..duration_s, ``end_s`` None or >= ``start_s``, plain trimmed
    text without control characters, emotion None or an int in -2..2).
    Returns None otherwise: validate each event then, for the conversions or
    the exact message. Never raises for bad values.
    """
    if not columns_valid(columns, duration_s):
        return None
    count = len(columns["kind"])
    defaults = Event(Kind.MOMENT_OF_TRUTH, 0.0)
    cols = []
    for name in _EVENT_FIELDS:
        values = columns.get(name)
        if values is None:
            if name == "id":
                values = [new_event_id() for _ in range(count)]
            else:
                values = [getattr(defaults, name)] * count
        elif len(values) != count:
            raise ValueError(f"column {name} has {len(values)} values, not {count}")
        cols.append(values)
    # The collector would walk the young objects again and again while 100,000 events are made; none can be garbage.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return list(map(Event, *cols))
    finally:
        if collecting:
            gc.enable()


def columns_valid(columns: Mapping[str, Any], duration_s: float | None = None) -> bool:
    """Return True when every value of ``columns`` is valid as it stands (what :func:`validate_columns` checks).

    ``columns`` maps Event field names to equal-length sequences (``kind`` and
    ``start_s`` required). True means :func:`validate_event` would keep each
    event's values unchanged; False means some value needs converting or is
    wrong (validate each event then). Never raises for bad values.
    """
    import numpy as np  # numpy is only needed here; the rest of the model stays plain Python

    kinds, starts = columns["kind"], columns["start_s"]
    count = len(kinds)
    if set(map(type, kinds)) - {Kind} or set(map(type, starts)) - {float}:
        return False
    start = np.fromiter(starts, dtype=np.float64, count=count)
    if count and not (start.min() >= 0 and start.max() < _TIME_LIMIT):  # also false for NaN
        return False
    if not (np.round(start, 3) == start).all():
        return False
    ends = columns.get("end_s")
    end = None
    if ends is not None:
        ends = list(ends)
        if set(map(type, ends)) - {float, type(None)}:
            return False
        end = np.array(ends, dtype=np.float64)  # None -> NaN; a NaN in the column is rejected below
        missing = np.isnan(end)
        if int(missing.sum()) != ends.count(None):
            return False
        present = end[~missing]
        if present.size and not (present.min() >= 0 and present.max() < _TIME_LIMIT):
            return False
        if not (np.round(present, 3) == present).all() or (end[~missing] < start[~missing]).any():
            return False
    if duration_s is not None and count:
        limit = round(float(duration_s), 3)
        if start.max() > limit or (end is not None and np.nanmax(end, initial=0.0) > limit):
            return False
    for name in _TEXT_FIELDS:
        texts = columns.get(name)
        if texts is None:
            continue
        if set(map(type, texts)) - {str}:
            return False
        distinct = set(texts)  # columns of labels, stages, ... repeat a few values
        joined = "".join(distinct)
        if _find_control(joined) is not None or (distinct and max(map(len, distinct)) > text_limit(name)):
            return False
        if not all(map(is_, map(str.strip, distinct), distinct)):
            return False
    emotions = columns.get("emotion")
    if emotions is not None and (set(map(type, emotions)) - {int, type(None)} or
                                 set(emotions) - {None, -2, -1, 0, 1, 2}):
        return False
    return True


def _check_time(name: str, value: Any) -> float:
    if type(value) is float and 0 <= value < _INF:
        return round(value, 3)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{name} '{value}' is not a number of seconds") from None
    if math.isnan(number) or math.isinf(number):
        raise ValidationError(f"{name} '{value}' is not a finite number of seconds")
    if number < 0:
        raise ValidationError(f"{name} {value} is negative; times count from the first frame at 0")
    return round(number, 3)
