"""Kinds from a file's text: the mapping the user gives, then kind names, short names and aliases."""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

from ..errors import UnknownKindError, ValidationError
from ..model import Codebook, Kind, parse_kind

def norm_key(text: str) -> str:
    """Return ``text`` folded for matching names: lower case, runs of space/_/- as one space."""
    return re.sub(r"[\s_\-]+", " ", str(text).strip().casefold())


def parse_mapping(items: Iterable[str] | Mapping[str, Any] | None) -> dict[str, Kind]:
    """Return a mapping from names in a file (behaviour, tier, label, kind text) to kinds.

    Accepts a dict ``{"Greeting": "MOT"}`` or CLI-style strings ``["Greeting=MOT", ...]``;
    keys match case-insensitively. Raises ValidationError for a malformed item
    or UnknownKindError for a value that is not a kind.
    """
    if not items:
        return {}
    pairs: list[tuple[str, Any]] = []
    if isinstance(items, Mapping):
        pairs = list(items.items())
    else:
        for item in items:
            name, sep, kind = str(item).rpartition("=")
            if not sep or not name.strip() or not kind.strip():
                raise ValidationError(f"mapping '{item}' needs the form NAME=KIND, e.g. 'Greeting=MOT'")
            pairs.append((name, kind))
    return {norm_key(name): parse_kind(kind) for name, kind in pairs}


class KindResolver:
    """Turn the kind text of a file into a Kind: the mapping first, then the kind names and aliases.

    Results are cached, so a file of 100,000 rows with three kind spellings
    parses each spelling once.
    """

    def __init__(self, mapping: Mapping[str, Kind] | Iterable[str] | None = None):
        self.mapping = parse_mapping(mapping)
        self._cache: dict[str, Kind | None] = {}

    def lookup(self, text: str) -> Kind | None:
        """Return the Kind ``text`` names (through the mapping or an alias), or None."""
        try:
            return self._cache[text]
        except KeyError:
            pass
        key = norm_key(text)
        kind = self.mapping.get(key)
        if kind is None and key:
            try:
                kind = parse_kind(text)
            except UnknownKindError:
                kind = None
        self._cache[text] = kind
        return kind

    def __call__(self, text: str) -> Kind:
        """Return the Kind for ``text``; raises UnknownKindError with a short hint."""
        kind = self.lookup(text)
        if kind is None:
            if not str(text).strip():
                raise UnknownKindError("kind is empty; write MOT, INT or DEC")
            raise UnknownKindError(
                f"unknown kind '{text}'; write MOT, INT or DEC, or map it (--map '{text}=MOT')"
            )
        return kind


def label_kinds(codebook: Codebook | None) -> dict[str, Kind]:
    """Return codebook label text (folded) -> kind, for labels that belong to exactly one kind."""
    if codebook is None:
        return {}
    seen: dict[str, Kind | None] = {}
    for kind in Kind:
        for text in codebook.label_texts(kind):
            key = norm_key(text)
            seen[key] = kind if seen.get(key, kind) == kind else None
    return {k: v for k, v in seen.items() if v is not None}
