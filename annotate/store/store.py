"""The event store: recordings, events, the codebook and an append-only change log.

SQLAlchemy Core over SQLite (a file in the data directory, WAL journal, foreign
keys on, a busy timeout so the app and the CLI can share the file) or
PostgreSQL, with the same code and portable types (see ``schema.py``).

Rules every mutation follows:
- it is ONE committed transaction, and appends its change-log row(s) in it;
  every row written by one transaction shares a ``txn`` id, so undo reverts a
  whole user action (an import of 40 events, or an event plus the status change
  it caused) at once;
- a row is changed only by ``UPDATE ... WHERE id = :id AND version = :seen``
  (compare-and-set), and every change bumps ``version``: of two writers that
  loaded the same version exactly one wins, the other gets a ConflictError;
- nothing is ever removed: delete sets ``deleted_at`` and undo clears it.

The one exception to the first rule is an import (:meth:`Store.import_events`,
``store.bulk``; see batches.py): a long import is many short transactions of
rows tagged with its id (``imports`` table, migration 4), all hidden from every
read until its last short transaction marks it done, and removed if it fails
(or its process died), so it stays one all-or-nothing change to readers and to
undo. It is logged as one change-log row per recording, not one per event.

The jobs live in their own modules, combined here into the one class:
base.py (engine, transactions, row look-ups), recordings.py, events.py,
undo.py (history and undo), batches.py (imports) and columns.py (reads in
columns and counts).

On SQLite a write transaction starts with ``BEGIN IMMEDIATE`` (it takes the
write lock before reading) so a read-then-write can never fail half-way with
"database is locked"; on PostgreSQL the rows read before a write are locked with
``SELECT ... FOR UPDATE``.
"""

from __future__ import annotations

import sqlalchemy as sa

from ..model import Codebook
from .batches import IMPORT_BATCH, STALE_IMPORT_S, BatchesMixin, ImportBatches
from .accounts import Accounts
from .assignments import Assignments
from .comments import Comments
from .consensus import Consensus
from .aggregates import Aggregates
from .columns import ColumnsMixin
from .jobs import JobRecords
from .positions import Positions
from .preferences import Preferences
from .rows import Change
from .schema import CODEBOOK_ID, codebook
from .suggestions import Suggestions
from .transcripts import Transcripts

__all__ = ["Change", "IMPORT_BATCH", "STALE_IMPORT_S", "ImportBatches", "Store"]


class Store(ColumnsMixin, BatchesMixin):
    """Recordings, events, codebook and change log in one SQL database (see the module docstring)."""

    @property
    def accounts(self) -> Accounts:
        """Return the store's user accounts (annotate.store.accounts)."""
        return Accounts(self)

    @property
    def assignments(self) -> Assignments:
        """Return the store's assignments of recordings to reviewers (annotate.store.assignments)."""
        return Assignments(self)

    @property
    def consensus(self) -> Consensus:
        """Return the store's consensus sets and coders' sets (annotate.store.consensus)."""
        return Consensus(self)

    @property
    def comments(self) -> Comments:
        """Return the store's comments on events and moments, and the inboxes of @mentions (annotate.store.comments)."""
        return Comments(self)

    @property
    def aggregates(self) -> Aggregates:
        """Return the store's library-scale reads: filtered in SQL, in columns, counts (annotate.store.aggregates)."""
        return Aggregates(self)

    @property
    def jobs(self) -> JobRecords:
        """Return the store's job rows (annotate.store.jobs)."""
        return JobRecords(self)

    @property
    def positions(self) -> Positions:
        """Return where the reviewers stopped in the recordings (annotate.store.positions)."""
        return Positions(self)

    @property
    def preferences(self) -> Preferences:
        """Return the named settings admins change in the app (annotate.store.preferences)."""
        return Preferences(self)

    @property
    def suggestions(self) -> Suggestions:
        """Return the store's suggested moments (annotate.store.suggestions)."""
        return Suggestions(self)

    @property
    def transcripts(self) -> Transcripts:
        """Return the store's transcripts of recordings (annotate.store.transcripts)."""
        return Transcripts(self)

    def get_codebook(self) -> Codebook:
        """Return the stored codebook (the defaults until someone sets one)."""
        with self._read() as conn:
            data = conn.execute(sa.select(codebook.c.data).where(codebook.c.id == CODEBOOK_ID)).scalar()
        return Codebook() if data is None else Codebook.from_dict(data)

    def set_codebook(self, book: Codebook, reviewer: str = "") -> Codebook:
        """Replace the codebook; return it as stored. Raises ValidationError for an inconsistent codebook."""
        data = Codebook.from_dict(book.to_dict()).to_dict()  # validates
        with self._write(reviewer) as tx:
            row = tx.conn.execute(sa.select(codebook).where(codebook.c.id == CODEBOOK_ID).with_for_update()).first()
            if row is None:  # only if someone removed the seeded row by hand
                tx.conn.execute(codebook.insert().values(id=CODEBOOK_ID, data=data, updated_at=tx.now, version=1))
                tx.log("update", "codebook", CODEBOOK_ID, None, None, {"codebook": data, "version": 1})
                return Codebook.from_dict(data)
            if row.data == data:
                return Codebook.from_dict(data)
            self._cas(tx, codebook, "codebook", CODEBOOK_ID, row.version, {"data": data})
            tx.log("update", "codebook", CODEBOOK_ID, None, {"codebook": row.data, "version": row.version},
                   {"codebook": data, "version": row.version + 1})
            return Codebook.from_dict(data)
