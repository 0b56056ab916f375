"""The kind an imported entry names (a BORIS behaviour, an event-log activity): one rule for the table formats."""

from __future__ import annotations

from ..model import Kind
from .common import KindResolver, norm_key


def kind_for_name(kinds: KindResolver, labels: dict[str, Kind], name: str, given: str) -> Kind | None:
    """Return the kind of an entry called ``name`` whose kind cell (or category) holds ``given``, or None.

    The mapping of ``name`` wins, then ``given`` naming a kind, then ``name``
    naming one, then the codebook's ``labels``.
    """
    return (kinds.mapping.get(norm_key(name)) or (kinds.lookup(given) if given else None) or kinds.lookup(name)
            or labels.get(norm_key(name)))
