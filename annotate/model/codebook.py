"""The codebook: journey stages, channels, actors, labels per kind and marking keys."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from ..errors import ValidationError
from .events import Event, clean_text
from .kinds import KINDS, Kind, parse_kind


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
