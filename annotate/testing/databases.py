"""Test databases: a fresh SQLite file, or a fresh schema on each PostgreSQL server in ANNOTATE_TEST_DB_URLS.

``.ci/run`` starts a throwaway PostgreSQL and exports its URL there, so every suite that takes the
``db_url`` fixture (tests/conftest.py) runs on both databases. Used by the tests only.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa


def server_urls() -> list[str]:
    """Return "sqlite" followed by the PostgreSQL URLs in ANNOTATE_TEST_DB_URLS.

    Raises ValueError for a URL that is not PostgreSQL.
    """
    urls = ["sqlite"]
    for raw in os.environ.get("ANNOTATE_TEST_DB_URLS", "").split(","):
        if raw.strip():
            if sa.make_url(raw.strip()).get_backend_name() != "postgresql":
                raise ValueError(f"ANNOTATE_TEST_DB_URLS holds {raw.strip()!r}; only postgresql URLs are supported")
            urls.append(raw.strip())
    return urls


def backend_id(url: str) -> str:
    """Return the short name a test id uses for ``url`` ("sqlite", "postgresql")."""
    return "sqlite" if url == "sqlite" else sa.make_url(url).get_backend_name()


@contextmanager
def empty_database(server: str, folder: Path) -> Iterator[str]:
    """Yield the URL of an empty database on ``server`` ("sqlite": a new file in ``folder``); drop it after."""
    if server == "sqlite":
        yield f"sqlite:///{folder / 'store.sqlite'}"
        return
    base = sa.make_url(server)
    name = f"annotate_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{name}"')
    try:
        yield base.update_query_dict({"options": f"-csearch_path={name}"}).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{name}" CASCADE')
        admin.dispose()


def raw_rows(url: str, sql: str) -> list[tuple]:
    """Return the rows of ``sql`` read straight from the database at ``url``, not through the Store."""
    u = sa.make_url(url)
    if u.get_backend_name() == "sqlite":
        con = sqlite3.connect(u.database)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()
    engine = sa.create_engine(u)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.exec_driver_sql(sql)]
    finally:
        engine.dispose()
