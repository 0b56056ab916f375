"""File-system helpers: atomic writes and paths kept inside a root."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator

from .errors import AnnotateError


@contextlib.contextmanager
def atomic_path(final: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``final``; on success rename it onto ``final``.

    The temporary file keeps ``final``'s suffix (or ``suffix``) so that muxers
    that pick a format from the name still work. If the block raises (or the
    process is interrupted) the temporary file is removed and ``final`` is left
    untouched: a reader never sees a half-written file under the final name.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{final.stem}.partial.", suffix=suffix or final.suffix, dir=final.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    # mkstemp makes owner-only files; exports and proxies are ordinary user files.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp_path, 0o666 & ~umask)
    try:
        yield tmp_path
        os.replace(tmp_path, final)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


def atomic_write_bytes(final: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``final`` atomically; return the final path."""
    with atomic_path(final) as tmp:
        tmp.write_bytes(data)
    return Path(final)


def atomic_write_text(final: str | os.PathLike, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``final`` atomically (newlines as given); return the final path."""
    with atomic_path(final) as tmp:
        with open(tmp, "w", encoding=encoding, newline="") as fh:
            fh.write(text)
    return Path(final)


def inside(root: str | os.PathLike, candidate: str | os.PathLike) -> Path:
    """Return ``candidate`` resolved, if it lies inside ``root``; raise AnnotateError otherwise."""
    base = Path(root).resolve()
    path = (base / candidate).resolve()
    if path != base and base not in path.parents:
        raise AnnotateError(f"'{candidate}' points outside the data directory {base}; use a plain file name")
    return path
