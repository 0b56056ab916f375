"""Registering recordings: probe, hash, proxy, store. Shared by the CLI and the app.

This is the one place that turns a file on disk into a stored
:class:`~annotate.model.Recording`; it knows the media layer and the store but
no user interface.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from .. import media
from ..config import Settings
from ..errors import DuplicateError, MediaNotFoundError
from ..model import Recording

if TYPE_CHECKING:
    from ..store import Store

Progress = Callable[[int, int], None]

_HASH_CHUNK = 1 << 20


def content_hash(path: str | os.PathLike) -> str:
    """Return the BLAKE2b-160 hex digest of the file's bytes (the recording's identity).

    Raises MediaNotFoundError when the file does not exist.
    """
    p = Path(path)
    if not p.is_file():
        raise MediaNotFoundError(f"{p} does not exist or is not a file; check the path", p)
    digest = hashlib.blake2b(digest_size=20)
    with open(p, "rb") as fh:
        while chunk := fh.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def recording_from_file(path: str | os.PathLike, title: str | None = None) -> Recording:
    """Return an unsaved Recording describing the video at ``path``.

    Raises the MediaError subclasses of :func:`annotate.media.probe` for bad files.
    """
    p = Path(path).expanduser().resolve()
    info = media.probe(p)
    return Recording(
        path=str(p),
        title=title or p.stem.replace("_", " ").replace("-", " ").strip() or p.name,
        duration_s=round(float(info.duration_s), 3),
        fps=str(info.fps),
        frame_count=info.frame_count,
        width=info.width,
        height=info.height,
        start_offset_s=float(info.start_offset_s),
        vfr=bool(info.vfr),
        browser_playable=bool(info.browser_playable),
        content_hash=content_hash(p),
        info=info.to_json(),
    )


def add_recording(
    store: Store,
    settings: Settings,
    path: str | os.PathLike,
    *,
    title: str | None = None,
    reviewer: str = "",
    make_proxy: bool = True,
    progress: Progress | None = None,
) -> tuple[Recording, bool]:
    """Register the video at ``path``; return ``(recording, created)``.

    A file already registered (same content) is not added twice: the stored
    recording is returned with ``created`` False. When a browser cannot play
    the file, a proxy is made under the data directory first (``progress`` is
    called with frames done and total). Raises MediaError for bad files.
    """
    rec = recording_from_file(path, title)
    existing = _find_by_hash(store, rec.content_hash)
    if existing is not None:
        return existing, False
    if make_proxy and not rec.browser_playable:
        rec.proxy_path = str(ensure_proxy(settings, rec, progress=progress))
    try:
        return store.add_recording(rec, reviewer=reviewer), True
    except DuplicateError:
        # Another process registered the same file between our check and the insert.
        return _find_by_hash(store, rec.content_hash), False


def ensure_proxy(settings: Settings, rec: Recording, progress: Progress | None = None) -> Path:
    """Return the path of ``rec``'s browser proxy, making it if it is missing.

    Proxies live in the data directory, named by content hash, so the same
    video is converted once however often it is added.
    """
    settings.ensure_dirs()
    target = settings.proxy_dir / f"{rec.content_hash}.mp4"
    if not target.exists():
        from ..export.proxy import make_proxy  # the encoder stack loads only when a proxy is made

        make_proxy(rec.path, target, progress=progress)
    return target


def _find_by_hash(store: Store, digest: str) -> Recording | None:
    for rec in store.list_recordings():
        if rec.content_hash == digest:
            return rec
    return None
