"""Saving an uploaded video inside the data directory, named by its content.

An upload is streamed to a temporary file beside its final place while its
hash is computed; the container is recognised from the first bytes (the name
the browser sent is not trusted), the size limit is enforced as the bytes
arrive, and the file ends up as ``media/<content hash>.<container suffix>``.
The same bytes uploaded twice land on the same file, so duplicates are found
by name before anything is registered.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from .. import media

from . import recordings
from ..config import Settings
from ..errors import EmptyMediaError, MediaError, NotAVideoError, UploadTooLargeError
from ..fsutil import inside
from ..media.sniff import sniff_bytes
from ..model import Recording

if TYPE_CHECKING:
    from ..store import Store

_CHUNK = 1 << 20
_HEAD = 4096

SUFFIXES = {
    "mp4": ".mp4",
    "mov": ".mov",
    "webm": ".webm",
    "matroska": ".mkv",
    "avi": ".avi",
    "mpegts": ".ts",
    "mpegps": ".mpg",
    "flv": ".flv",
    "ogg": ".ogv",
    "asf": ".wmv",
}


def _describe(head: bytes) -> str:
    """Return a short guess of what a non-video file is, for the error message."""
    signatures = (
        (b"\x89PNG", "a PNG image"),
        (b"\xff\xd8\xff", "a JPEG image"),
        (b"%PDF", "a PDF document"),
        (b"PK\x03\x04", "a ZIP archive"),
        (b"ID3", "an MP3 audio file"),
    )
    for magic, what in signatures:
        if head.startswith(magic):
            return what
    if head and all(32 <= b < 127 or b in (9, 10, 13) for b in head[:512]):
        return "text"
    return "not a video container"


def save_upload(settings: Settings, name: str, data: BinaryIO, size: int | None = None) -> tuple[Path, bool]:
    """Store the uploaded stream ``data`` under the data directory; return ``(path, already_there)``.

    ``name`` is the file name the browser sent (used only in messages). ``size``,
    when known, is checked against ``settings.max_upload_mb`` before reading.
    Raises UploadTooLargeError (over the limit), EmptyMediaError (no bytes),
    NotAVideoError (the first bytes are no known video container) or the
    MediaError of :func:`annotate.media.probe` (truncated, audio only,
    undecodable), each naming ``name``. The bytes are probed under a temporary
    name and only then renamed into place: nothing is left behind when it raises.
    """
    limit = int(settings.max_upload_mb) * 1024 * 1024
    shown = name or "the upload"
    if size is not None and size > limit:
        raise UploadTooLargeError(_too_large(shown, size, settings.max_upload_mb))
    settings.ensure_dirs()
    digest = hashlib.blake2b(digest_size=20)  # the same identity as annotate.app.recordings.content_hash
    total = 0
    head = b""
    container = None
    fd, tmp_name = tempfile.mkstemp(prefix=".upload.partial.", dir=settings.media_dir)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := data.read(_CHUNK):
                if container is None:
                    head += chunk
                    if len(head) >= _HEAD:
                        container = _sniff(shown, head)
                total += len(chunk)
                if total > limit:
                    raise UploadTooLargeError(_too_large(shown, total, settings.max_upload_mb))
                digest.update(chunk)
                out.write(chunk)
        if total == 0:
            raise EmptyMediaError(f"{shown} is empty (0 bytes); choose the video file again", shown)
        if container is None:
            container = _sniff(shown, head)
        final = inside(settings.media_dir, digest.hexdigest() + SUFFIXES[container])
        if final.exists():
            return final, True  # the same bytes are stored already: no second copy
        _probe(shown, tmp)  # refuse truncated, audio-only or undecodable files before they take a name
        os.replace(tmp, final)  # temp + rename: the final name never holds half a file
        return final, False
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def add_upload(
    store: Store,
    settings: Settings,
    name: str,
    data: BinaryIO,
    size: int | None = None,
    *,
    title: str | None = None,
    reviewer: str = "",
    progress: recordings.Progress | None = None,
    make_proxy: bool = True,
) -> tuple[Recording, bool]:
    """Save the upload (:func:`save_upload`) and register it; return ``(recording, created)``.

    ``make_proxy=False`` leaves the browser proxy to a queued job (the app's Library page).

    When the same content is registered already from another file (added by a
    path on the server), the copy just saved is removed again: one recording,
    one file. Raises what :func:`save_upload` and
    :func:`annotate.app.recordings.add_recording` raise; a copy this call saved is
    removed when registering it fails.
    """
    path, was_there = save_upload(settings, name, data, size)
    try:
        rec, created = recordings.add_recording(store, settings, path, title=title, reviewer=reviewer,
                                                progress=progress, make_proxy=make_proxy)
    except BaseException:
        if not was_there:
            path.unlink(missing_ok=True)
        raise
    if not created and not was_there and Path(rec.path).resolve() != path.resolve():
        path.unlink(missing_ok=True)
    return rec, created


def _probe(name: str, tmp: Path) -> None:
    """Probe the temporary file; re-raise a MediaError naming the user's file, not the temporary one."""
    try:
        media.probe(tmp)
    except MediaError as exc:
        raise exc.shown_as(name) from None


def _sniff(name: str, head: bytes) -> str:
    container = sniff_bytes(head)
    if container is None or container not in SUFFIXES:
        raise NotAVideoError(
            f"{name} is {_describe(head)}, not a video; upload an MP4, MOV, WebM, MKV, AVI or MPEG-TS file", name
        )
    return container


def _too_large(name: str, size: int, limit_mb: int) -> str:
    return (
        f"{name} is {size / 1048576:.0f} MB, over the {limit_mb} MB upload limit; "
        "add it by server path instead or raise ANNOTATE_MAX_UPLOAD_MB"
    )
