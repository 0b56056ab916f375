"""Kinds, statuses, text limits and name folding: the vocabulary every other part of the model uses."""

from __future__ import annotations

import enum
import re
import uuid
from datetime import datetime, timezone

from ..errors import UnknownKindError, ValidationError
from ..timebase import whole_ms_micros


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
    return now.replace(microsecond=whole_ms_micros(now.microsecond))


def new_event_id() -> str:
    """Return a new event id (32 hex characters, stable across export and import)."""
    return uuid.uuid4().hex
