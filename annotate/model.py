"""Events, recordings, kinds and the codebook. Plain data and validation, no I/O.

Vocabulary and colours are those of DESIGN.md: a kind is stored as its long
name (``moment_of_truth``) and shown with its short name (MOT) beside its colour.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import gc
import math
import re
import uuid
from dataclasses import dataclass, field
from operator import is_, itemgetter
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping, Sequence

from .errors import UnknownKindError, ValidationError

EMOTION_MIN, EMOTION_MAX = -2, 2
# Characters a text field holds: the cell caps of docs/formats.md (a note or expectation 64 KB, a label or
# another short field 1 KB), so whatever an import's cell caps let through the model keeps.
MAX_FREE_TEXT = 65_536
MAX_SHORT_TEXT = 1_024
FREE_TEXT_FIELDS = ("note", "expectation")


def text_limit(name: str) -> int:
    """Return how many characters the text field ``name`` may hold (MAX_FREE_TEXT or MAX_SHORT_TEXT)."""
    return MAX_FREE_TEXT if name in FREE_TEXT_FIELDS else MAX_SHORT_TEXT


class Kind(str, enum.Enum):
    """The three kinds of event. The value is what is stored."""

    MOMENT_OF_TRUTH = "moment_of_truth"
    INTERNAL_INTERACTION = "internal_interaction"
    DECISION_POINT = "decision_point"

    @property
    def short(self) -> str:
        """Return the short name shown beside the colour: MOT, INT or DEC."""
        return _KIND_INFO[self][0]

    @property
    def title(self) -> str:
        """Return the human name, e.g. 'Moment of Truth'."""
        return _KIND_INFO[self][1]

    @property
    def color(self) -> str:
        """Return the kind's colour as ``#RRGGBB``."""
        return _KIND_INFO[self][2]

    @property
    def marker(self) -> str:
        """Return the marker shape used where colour alone would not do: circle, square, diamond."""
        return _KIND_INFO[self][3]

    @property
    def default_hotkey(self) -> str:
        """Return the default marking key: M, I or D."""
        return _KIND_INFO[self][4]

    def __str__(self) -> str:  # so f-strings and CSV cells hold the stored value
        return self.value


_KIND_INFO = {
    Kind.MOMENT_OF_TRUTH: ("MOT", "Moment of Truth", "#D62728", "circle", "M"),
    Kind.INTERNAL_INTERACTION: ("INT", "Internal Interaction", "#1F77B4", "square", "I"),
    Kind.DECISION_POINT: ("DEC", "Decision Point", "#2CA02C", "diamond", "D"),
}

KINDS: tuple[Kind, ...] = tuple(Kind)


def fold_key(text: str) -> str:
    """Return ``text`` folded for matching identifiers (kind and status names, column headers, mapping
    names): trimmed, case-folded, runs of spaces, ``_`` and ``-`` as one space.

    Names people write (stages, actors, labels) compare with :func:`fold_name`, which keeps ``_`` and ``-``.
    """
    return re.sub(r"[\s_\-]+", " ", str(text).strip().casefold())


_KIND_ALIASES: dict[str, Kind] = {}
for _kind, (_short, _title, _hex, _marker, _key) in _KIND_INFO.items():
    for _alias in (_kind.value, _short, _title, _hex, _hex.lstrip("#"), _marker):
        _KIND_ALIASES[fold_key(_alias)] = _kind
_KIND_ALIASES.update(
    {
        "moment": Kind.MOMENT_OF_TRUTH,
        "mot": Kind.MOMENT_OF_TRUTH,
        "red": Kind.MOMENT_OF_TRUTH,
        "truth": Kind.MOMENT_OF_TRUTH,
        "internal": Kind.INTERNAL_INTERACTION,
        "interaction": Kind.INTERNAL_INTERACTION,
        "blue": Kind.INTERNAL_INTERACTION,
        "decision": Kind.DECISION_POINT,
        "green": Kind.DECISION_POINT,
    }
)


def parse_kind(value: str | Kind) -> Kind:
    """Return the Kind named by ``value``: stored name, short name, title or colour.

    Accepts ``moment_of_truth``, ``MOT``, ``Moment of Truth``, ``red``, ``#D62728``
    and the like, in any case. Raises UnknownKindError otherwise.
    """
    if isinstance(value, Kind):
        return value
    kind = _KIND_ALIASES.get(fold_key(value or ""))
    if kind is None:
        raise UnknownKindError(
            f"unknown kind '{value}'; use one of moment_of_truth (MOT, red), "
            "internal_interaction (INT, blue) or decision_point (DEC, green)"
        )
    return kind


class Status(str, enum.Enum):
    """A recording's review status."""

    NEW = "new"
    IN_REVIEW = "in_review"
    REVIEWED = "reviewed"

    def __str__(self) -> str:
        return self.value

    @property
    def title(self) -> str:
        return {"new": "New", "in_review": "In review", "reviewed": "Reviewed"}[self.value]


def parse_status(value: str | Status) -> Status:
    """Return the Status named by ``value``; raises ValidationError for anything else."""
    if isinstance(value, Status):
        return value
    key = fold_key(value).replace(" ", "_")
    try:
        return Status(key)
    except ValueError:
        raise ValidationError(f"unknown status '{value}'; use new, in_review or reviewed") from None


def utcnow() -> datetime:
    """Return the current time, timezone-aware UTC, truncated to milliseconds."""
    now = datetime.now(timezone.utc)
    return now.replace(microsecond=(now.microsecond // 1000) * 1000)


def new_event_id() -> str:
    """Return a new event id (32 hex characters, stable across export and import)."""
    return uuid.uuid4().hex


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


# --- recordings -------------------------------------------------------------


@dataclass
class Recording:
    """A registered video. ``path`` is the original; ``proxy_path`` a browser-playable copy, if one was made."""

    path: str
    title: str = ""
    id: int | None = None
    duration_s: float = 0.0
    fps: str = ""  # a Fraction as text, e.g. "30000/1001"
    frame_count: int = 0
    width: int = 0
    height: int = 0
    start_offset_s: float = 0.0
    vfr: bool = False
    browser_playable: bool = True
    proxy_path: str | None = None
    content_hash: str = ""
    status: Status = Status.NEW
    info: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    version: int = 1

    def __setattr__(self, name: str, value: Any) -> None:
        # The title is cleaned however it is set (constructor, replace, assignment); the path is not: it
        # names a file, whose name may hold any character. Writers make paths safe for their format.
        object.__setattr__(self, name, clean_text(value) if name == "title" else value)

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["status"] = self.status.value
        for key in ("created_at", "updated_at"):
            out[key] = out[key].isoformat() if out[key] else None
        return out

    @property
    def playable_path(self) -> str:
        """Return the file a browser should play: the proxy if there is one, else the original."""
        return self.proxy_path or self.path


# --- codebook ---------------------------------------------------------------

DEFAULT_STAGES = ["Awareness", "Buy-In", "Acquisition", "Care", "Use", "Share"]
DEFAULT_CHANNELS = ["Web", "App", "Phone", "Chat", "Email", "In store", "Social", "Mail"]
DEFAULT_ACTORS = ["customer", "frontline", "back office", "system"]
CUSTOMER_FACING_ACTORS = ("customer", "frontline")
DEFAULT_LABELS = {
    Kind.MOMENT_OF_TRUTH: [
        "Greeting",
        "Form error",
        "Payment accepted",
        "Problem resolved",
        "Confirmation",
        "Long wait",
    ],
    Kind.INTERNAL_INTERACTION: ["Hand-off", "Lookup", "Escalation", "Back-office step", "Hold"],
    Kind.DECISION_POINT: ["Choose product", "Choose delivery", "Choose channel", "Abandon", "Continue"],
}


@dataclass
class CodeLabel:
    """A suggested label for one kind, with an optional hotkey."""

    text: str
    hotkey: str | None = None

    def __post_init__(self) -> None:
        self.text = clean_text(self.text)


@dataclass
class Codebook:
    """The project's vocabulary: journey stages (in order), channels, actors, labels per kind, hotkeys."""

    stages: list[str] = field(default_factory=lambda: list(DEFAULT_STAGES))
    channels: list[str] = field(default_factory=lambda: list(DEFAULT_CHANNELS))
    actors: list[str] = field(default_factory=lambda: list(DEFAULT_ACTORS))
    labels: dict[Kind, list[CodeLabel]] = field(
        default_factory=lambda: {k: [CodeLabel(t) for t in v] for k, v in DEFAULT_LABELS.items()}
    )
    hotkeys: dict[Kind, str] = field(default_factory=lambda: {k: k.default_hotkey for k in KINDS})

    def __post_init__(self) -> None:
        for name in ("stages", "channels", "actors"):
            setattr(self, name, [clean_text(v) for v in getattr(self, name)])

    def to_dict(self) -> dict[str, Any]:
        """Return the codebook as JSON-able data (the layout ``from_dict`` reads)."""
        return {
            "stages": list(self.stages),
            "channels": list(self.channels),
            "actors": list(self.actors),
            "labels": {
                k.value: [{"text": c.text, "hotkey": c.hotkey} for c in self.labels.get(k, [])]
                for k in KINDS
            },
            "hotkeys": {k.value: self.hotkeys.get(k, k.default_hotkey) for k in KINDS},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Codebook":
        """Return a validated Codebook from ``to_dict`` data; missing parts take the defaults.

        Raises ValidationError for a malformed or inconsistent codebook.
        """
        if not isinstance(data, Mapping):
            raise ValidationError("a codebook is a JSON object with stages, channels, actors, labels and hotkeys")
        default = cls()
        book = cls(
            stages=_str_list(data, "stages", default.stages),
            channels=_str_list(data, "channels", default.channels),
            actors=_str_list(data, "actors", default.actors),
        )
        labels = data.get("labels")
        if labels is not None:
            if not isinstance(labels, Mapping):
                raise ValidationError("codebook labels must map each kind to a list of labels")
            book.labels = {k: [] for k in KINDS}
            for key, items in labels.items():
                kind = parse_kind(key)
                if not isinstance(items, list):
                    raise ValidationError(f"codebook labels for {kind.short} must be a list")
                for item in items:
                    if isinstance(item, str):
                        book.labels[kind].append(CodeLabel(item))
                    elif isinstance(item, Mapping) and clean_text(item.get("text")):
                        hk = item.get("hotkey")
                        book.labels[kind].append(CodeLabel(item["text"], str(hk) if hk else None))
                    else:
                        raise ValidationError(f"codebook label {item!r} for {kind.short} has no text")
        hotkeys = data.get("hotkeys")
        if hotkeys is not None:
            if not isinstance(hotkeys, Mapping):
                raise ValidationError("codebook hotkeys must map each kind to one key")
            for key, value in hotkeys.items():
                book.hotkeys[parse_kind(key)] = str(value)
        book.validate()
        return book

    def validate(self) -> None:
        """Raise ValidationError if the codebook is inconsistent (empty lists, clashing hotkeys)."""
        for name in ("stages", "actors"):
            values = getattr(self, name)
            if not values:
                raise ValidationError(f"the codebook needs at least one entry in {name}")
            if len({fold_name(v) for v in values}) != len(values):  # stage_of/actor_of could not tell them apart
                raise ValidationError(f"the codebook lists a value twice in {name}; remove the duplicate")
        used: dict[str, str] = {}
        reserved = set(" ,.jklz?")

        def claim(key: str | None, owner: str) -> None:
            if not key:
                return
            if len(key) != 1 or not key.isprintable():
                raise ValidationError(f"hotkey '{key}' for {owner} must be a single printable character")
            low = key.lower()
            if low in reserved:
                raise ValidationError(f"hotkey '{key}' for {owner} is taken by the player; pick another key")
            if low in used:
                raise ValidationError(f"hotkey '{key}' is used by both {used[low]} and {owner}; give each its own key")
            used[low] = owner

        for kind in KINDS:
            claim(self.hotkeys.get(kind), kind.short)
        for kind in KINDS:
            for label in self.labels.get(kind, []):
                claim(label.hotkey, f"{kind.short} '{label.text}'")

    def label_texts(self, kind: Kind) -> list[str]:
        """Return the suggested label texts for ``kind``."""
        return [c.text for c in self.labels.get(kind, [])]

    def stage_of(self, event: Event) -> str:
        """Return the event's stage in this codebook's spelling (matched by :func:`fold_name`; '' when blank)."""
        return _spelling(event.stage, self.stages)

    def actor_of(self, event: Event) -> str:
        """Return the event's actor in this codebook's spelling (matched by :func:`fold_name`; '' when blank)."""
        return _spelling(event.actor, self.actors)


def fold_name(value: Any) -> str:
    """Return ``value`` folded for comparing names (stages, actors, channels, labels, reviewers):
    runs of whitespace as one space, trimmed, case-folded. None gives ""."""
    return " ".join(str(value or "").split()).casefold()


def _spelling(value: str, names: Sequence[str]) -> str:
    """Return the entry of ``names`` that ``value`` folds to (see :func:`fold_name`), or the value trimmed."""
    text = (value or "").strip()
    return _by_fold(tuple(names)).get(fold_name(text), text)


@functools.lru_cache(maxsize=64)
def _by_fold(names: tuple[str, ...]) -> dict[str, str]:
    """Return folded name -> the first of ``names`` with that fold (cached: maps ask once per event)."""
    out: dict[str, str] = {}
    for name in names:
        out.setdefault(fold_name(name), name)
    return out


def _str_list(data: Mapping[str, Any], key: str, default: Iterable[str]) -> list[str]:
    value = data.get(key)
    if value is None:
        return list(default)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError(f"codebook {key} must be a list of non-empty names")
    names = [clean_text(v) for v in value]
    if not all(names):
        raise ValidationError(f"codebook {key} must be a list of non-empty names")
    return names
