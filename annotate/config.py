"""Where data lives: the data directory and the database URL.

Precedence: an explicit argument (``--data-dir`` / ``--db``), then the
environment (``ANNOTATE_DATA_DIR`` / ``ANNOTATE_DB``), then the defaults
(``./annotate-data`` and a SQLite file inside it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .errors import AnnotateError

DEFAULT_DATA_DIR = "annotate-data"
DB_FILENAME = "annotate.sqlite"
DEFAULT_MAX_UPLOAD_MB = 2048


@dataclass(frozen=True)
class Settings:
    """Resolved locations. ``media_dir`` holds uploads, ``proxy_dir`` browser proxies, ``render_dir`` exports."""

    data_dir: Path
    db_url: str
    max_upload_mb: int = DEFAULT_MAX_UPLOAD_MB

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @property
    def proxy_dir(self) -> Path:
        return self.data_dir / "proxies"

    @property
    def render_dir(self) -> Path:
        return self.data_dir / "renders"

    @property
    def own_dirs(self) -> tuple[Path, ...]:
        """The folders cx-annotate writes into: the data directory, media, proxies, renders."""
        return (self.data_dir, self.media_dir, self.proxy_dir, self.render_dir)

    def ensure_dirs(self) -> "Settings":
        """Create the data directory and its sub-directories; return self.

        Raises AnnotateError when a directory cannot be created (read-only or missing parent).
        """
        for d in self.own_dirs:
            try:
                d.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise AnnotateError(
                    f"cannot create the data directory {d}: {exc.strerror}; choose another with --data-dir"
                ) from None
        return self


def sqlite_url(path: str | os.PathLike) -> str:
    """Return the SQLAlchemy URL of a SQLite file at ``path``."""
    return f"sqlite:///{Path(path).resolve()}"


def resolve(data_dir: str | os.PathLike | None = None, db: str | None = None) -> Settings:
    """Return Settings from the arguments, the environment and the defaults (see module docstring)."""
    root = Path(data_dir or os.environ.get("ANNOTATE_DATA_DIR") or DEFAULT_DATA_DIR).expanduser().resolve()
    url = db or os.environ.get("ANNOTATE_DB") or sqlite_url(root / DB_FILENAME)
    try:
        max_mb = int(os.environ.get("ANNOTATE_MAX_UPLOAD_MB", DEFAULT_MAX_UPLOAD_MB))
    except ValueError:
        max_mb = DEFAULT_MAX_UPLOAD_MB
    return Settings(data_dir=root, db_url=url, max_upload_mb=max_mb)
