"""Named settings an admin changes in the app (for now: the thresholds of the suggested moments).

One row per name holding a JSON object, replaced whole. A setting is how the
tool works, not part of any recording's annotation: it is not written to the
change log, and undo never touches it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..model import clean_text, utcnow
from .schema import JSONText, UTCDateTime, metadata

if TYPE_CHECKING:
    from .store import Store

preferences = sa.Table(
    "preferences",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("data", JSONText, nullable=False),
    sa.Column("updated_by", sa.Text, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)


def m14_preferences(conn: Connection) -> None:
    """Migration 14: the preferences table (frozen DDL)."""
    sa.Table(
        "preferences",
        sa.MetaData(),
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("data", JSONText, nullable=False),
        sa.Column("updated_by", sa.Text, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    ).create(conn)


class Preferences:
    """The named settings of one store (``Store.preferences``)."""

    def __init__(self, store: Store):
        self._store = store

    def get(self, name: str) -> dict[str, Any]:
        """Return the setting called ``name`` (an empty dict when nobody set it)."""
        with self._store._read() as conn:
            data = conn.execute(sa.select(preferences.c.data).where(preferences.c.name == name)).scalar()
        return dict(data or {})

    def set(self, name: str, data: Mapping[str, Any], reviewer: str = "") -> None:
        """Replace the setting called ``name`` with ``data`` (a JSON-ready mapping)."""
        self._store._replace_row(preferences, {"name": name},
                                 {"data": dict(data), "updated_by": clean_text(reviewer), "updated_at": utcnow()})
