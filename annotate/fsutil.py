"""File-system helpers: atomic writes, paths kept inside a root, and cleaning up after killed writers.

Temporary names. :func:`atomic_path` writes beside the final file under
``.<stem>.partial.<pid>-<host>.<8 random chars><suffix>``: the writer's process
id and a 6-hex-digit tag of its host name (:func:`host_tag`). Uploads
(annotate.app.uploads) use ``.upload.partial.<8 random chars>``.

Stale partials. A writer killed with SIGKILL (or a crashed machine) leaves its
temporary file behind. :func:`remove_stale_partials` deletes, in the given
folders only (not below them), regular files whose name matches one of those
patterns exactly and that are stale: written on this host by a process that
is no longer running, or not written to for ``STALE_AFTER_S`` (30 minutes;
live writers append continuously; this covers uploads, which carry no pid,
partials of another host sharing the directory, and a pid reused by another
program). A partial a live process is writing is left alone.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import re
import stat
import tempfile
import time
from pathlib import Path
from typing import Iterable, Iterator

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
    fd, tmp = tempfile.mkstemp(
        prefix=f".{final.stem}.partial.{os.getpid()}-{host_tag()}.", suffix=suffix or final.suffix, dir=final.parent
    )
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


STALE_AFTER_S = 30 * 60
# mkstemp's random part: 8 characters of [a-z0-9_].
_PARTIAL = re.compile(
    r"\.(?P<stem>.+)\.partial\.(?:(?P<pid>[0-9]+)-(?P<host>[0-9a-f]{6})\.)?[a-z0-9_]{8}(?:\.[A-Za-z0-9]{1,8})?"
)
_UPLOAD = re.compile(r"\.upload\.partial\.[a-z0-9_]{8}")


def host_tag() -> str:
    """Return 6 hex digits naming this host (a hash of its host name), as written into partial names."""
    return hashlib.blake2b(socket.gethostname().encode(), digest_size=3).hexdigest()


def partial_writer(name: str) -> tuple[int | None, str | None] | None:
    """Return (pid, host tag) of the writer named in one of our temporary names ((None, None) when the name
    carries none, as uploads' do), or None when ``name`` is not one of ours."""
    if _UPLOAD.fullmatch(name):
        return None, None
    match = _PARTIAL.fullmatch(name)
    if not match:
        return None
    return (int(match["pid"]), match["host"]) if match["pid"] else (None, None)


def pid_running(pid: int) -> bool:
    """Return True when a process with this id exists on this machine (any owner)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OverflowError:
        return False
    return True


def stale_partials(
    folders: Iterable[str | os.PathLike], max_age_s: float = STALE_AFTER_S, stem: str | None = None
) -> list[Path]:
    """Return our stale temporary files directly inside ``folders`` (see the module docstring).

    With ``stem``, only the partials of a final file with that stem (``.<stem>.partial.*``). Missing folders are skipped.
    """
    here = host_tag()
    now = time.time()
    found = []
    for folder in dict.fromkeys(Path(f) for f in folders):
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            writer = partial_writer(entry.name)
            if writer is None or (stem is not None and not entry.name.startswith(f".{stem}.partial.")):
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if not stat.S_ISREG(st.st_mode):
                continue
            old = now - st.st_mtime > max_age_s
            pid, host = writer
            orphan = pid is not None and host == here and not pid_running(pid)
            if old or orphan:
                found.append(Path(entry.path))
    return found


def remove_stale_partials(
    folders: Iterable[str | os.PathLike], max_age_s: float = STALE_AFTER_S, stem: str | None = None
) -> list[Path]:
    """Delete :func:`stale_partials` of ``folders``; return the paths removed (one vanishing meanwhile is skipped)."""
    removed = []
    for path in stale_partials(folders, max_age_s, stem):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed.append(path)
    return removed
