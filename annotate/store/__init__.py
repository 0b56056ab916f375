"""The event store: the only place in cx-annotate that talks SQL.

``Store(url)`` opens a SQLite file or a PostgreSQL database (running any missing
numbered migrations); see :mod:`annotate.store.store` for the rules every
change follows (one transaction each, change log, versions, soft delete, undo).
"""

from .store import Change, Store

__all__ = ["Change", "Store"]
