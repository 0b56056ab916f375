"""Where each reviewer stopped in each recording, so the player can offer to resume there.

One row per (recording, reviewer), replaced as the player reports its position
(every few seconds while playing, on pause and when the page is left). A
position is not part of the annotation: it is not written to the change log and
undo never touches it. Times are whole milliseconds from the first frame.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..model import clean_text, utcnow
from ..timebase import seconds_from_ms, time_to_ms
from .schema import UTCDateTime, metadata

if TYPE_CHECKING:
    from .store import Store

positions = sa.Table(
    "positions",
    metadata,
    sa.Column("recording_id", sa.Integer, sa.ForeignKey("recordings.id"), primary_key=True),
    sa.Column("reviewer", sa.String(120), primary_key=True),
    sa.Column("t_ms", sa.BigInteger, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)


def m13_positions(conn: Connection) -> None:
    """Migration 13: the positions table (frozen DDL)."""
    md = sa.MetaData()
    sa.Table("recordings", md, sa.Column("id", sa.Integer, primary_key=True))  # for the foreign key only
    sa.Table(
        "positions",
        md,
        sa.Column("recording_id", sa.Integer, sa.ForeignKey("recordings.id"), primary_key=True),
        sa.Column("reviewer", sa.String(120), primary_key=True),
        sa.Column("t_ms", sa.BigInteger, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    ).create(conn)


class Positions:
    """The reviewers' last positions in the recordings of one store (``Store.positions``)."""

    def __init__(self, store: Store):
        self._store = store

    def remember(self, recording_id: int, reviewer: str, t: float) -> None:
        """Store ``t`` seconds as where ``reviewer`` stopped in recording ``recording_id`` (replacing the last)."""
        self._store._replace_row(positions, {"recording_id": int(recording_id), "reviewer": clean_text(reviewer)[:120]},
                                 {"t_ms": time_to_ms(max(float(t), 0.0)), "updated_at": utcnow()})

    def last(self, recording_id: int, reviewer: str) -> float | None:
        """Return where ``reviewer`` stopped in the recording, in seconds, or None if they never played it."""
        with self._store._read() as conn:
            ms = conn.execute(sa.select(positions.c.t_ms).where(
                positions.c.recording_id == int(recording_id), positions.c.reviewer == clean_text(reviewer)[:120])
            ).scalar()
        return None if ms is None else seconds_from_ms(ms)
