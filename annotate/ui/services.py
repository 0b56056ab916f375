"""Process-wide resources the pages and the media routes share: the store, frame times, frame readers.

Plain Python (no Streamlit): the ASGI routes in :mod:`annotate.ui.routes` run
outside any script run and use the same caches as the pages. Everything here is
keyed by the settings or by a file's path, size and modification time, so a
test that points ``ANNOTATE_DATA_DIR`` elsewhere gets fresh objects.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import config
from ..config import Settings
from ..model import Recording
from ..timebase import Number

if TYPE_CHECKING:
    from ..media.reader import Frame
    from ..store import Store

_LOCK = threading.Lock()
_SEED_LOCK = threading.Lock()
_STORES: dict[str, Store] = {}
_SEEDED: set[str] = set()
_TIMES: "OrderedDict[tuple, list[Fraction]]" = OrderedDict()
_OFFSETS: "OrderedDict[tuple, float]" = OrderedDict()
_READERS: "OrderedDict[tuple, tuple[threading.Lock, Any]]" = OrderedDict()
_MAX_TIMES, _MAX_READERS = 16, 4


_MAX_ID = 2**63 - 1  # the largest integer the database stores


def recording_id(text: str) -> int:
    """Return the recording id a URL names; raises NotFoundError for anything no recording can have.

    Digits only, at most 2**63 - 1: anything else is answered like an unknown recording.
    """
    from ..errors import NotFoundError

    if not (text.isascii() and text.isdigit()) or int(text) > _MAX_ID:
        shown = text if len(text) <= 24 else text[:24] + "…"
        raise NotFoundError(f"no recording '{shown}'; recording ids are whole numbers")
    return int(text)


def settings() -> Settings:
    """Return the settings from the environment (``ANNOTATE_DATA_DIR``, ``ANNOTATE_DB``), directories made."""
    return config.resolve().ensure_dirs()


def store(current: Settings | None = None) -> Store:
    """Return the Store of ``current`` settings (default: :func:`settings`), opened once per database URL.

    The first time a data directory's store is opened in this process, the
    stale partial files of killed writers are removed from it
    (:func:`annotate.fsutil.remove_stale_partials`) and an empty store gets the
    bundled sample recording (:func:`annotate.app.sample.ensure_sample`).
    """
    current = current or settings()
    with _LOCK:
        opened = _STORES.get(current.db_url)
        if opened is None:
            from ..fsutil import remove_stale_partials
            from ..store import Store

            opened = Store.open(current)
            _STORES[current.db_url] = opened
            remove_stale_partials(current.own_dirs)  # what runs killed earlier left half-written
    if current.db_url not in _SEEDED:
        with _SEED_LOCK:  # the first page and the first media request may arrive together
            if current.db_url not in _SEEDED:
                from ..app.sample import ensure_sample

                ensure_sample(opened, current)
                _SEEDED.add(current.db_url)
    return opened


def _file_key(path: str | os.PathLike) -> tuple:
    p = Path(path)
    st = p.stat()
    return (str(p.resolve()), st.st_size, st.st_mtime_ns)


def frame_times(path: str | os.PathLike) -> list[Fraction]:
    """Return the frame times (first frame = 0) of the video at ``path``, cached per file version.

    Raises the MediaError subclasses of :func:`annotate.media.frame_times`.
    """
    key = _file_key(path)
    with _LOCK:
        if key in _TIMES:
            _TIMES.move_to_end(key)
            return _TIMES[key]
    from ..media import frame_times as read_times

    times = list(read_times(path))
    with _LOCK:
        _TIMES[key] = times
        while len(_TIMES) > _MAX_TIMES:
            _TIMES.popitem(last=False)
    return times


def start_offset(path: str | os.PathLike) -> float:
    """Return the first frame's presentation time (seconds) of the file at ``path``, cached per file version."""
    key = _file_key(path)
    with _LOCK:
        if key in _OFFSETS:
            return _OFFSETS[key]
    from ..media import probe

    offset = float(probe(path).start_offset)
    with _LOCK:
        _OFFSETS[key] = offset
        while len(_OFFSETS) > 64:
            _OFFSETS.popitem(last=False)
    return offset


@dataclass(frozen=True)
class Playable:
    """The file the browser plays for a recording and where its first frame sits on its own timeline."""

    path: Path
    start_offset_s: float
    is_proxy: bool
    version: str  # changes when the file changes, for cache-busting URLs

    @property
    def exists(self) -> bool:
        return self.path.is_file()


def playable(rec: Recording) -> Playable:
    """Return the :class:`Playable` of ``rec``: its proxy if it has one, else the original.

    Raises the MediaError subclasses of probing when a proxy cannot be read.
    """
    path = Path(rec.playable_path)
    is_proxy = bool(rec.proxy_path)
    if is_proxy:  # a proxy should start at 0; trust what its container says
        offset = start_offset(path) if path.is_file() else 0.0
    else:
        offset = float(rec.start_offset_s)
    try:
        st = path.stat()
        version = f"{st.st_size:x}{st.st_mtime_ns % 0xFFFFFF:x}"
    except OSError:
        version = "missing"
    return Playable(path=path, start_offset_s=offset, is_proxy=is_proxy, version=version)


def media_url(rec: Recording, play: Playable) -> str:
    """Return the URL the player loads the video from (served by :mod:`annotate.ui.routes`)."""
    return f"/cx/media/{rec.id}?v={play.version}"


def frames_url(rec: Recording, play: Playable) -> str:
    """Return the URL of the played file's frame times (JSON)."""
    return f"/cx/frames/{rec.id}?v={play.version}"


def commands_url(rec: Recording) -> str:
    """Return the URL the Review player posts its commands to (served by :mod:`annotate.ui.routes`)."""
    return f"/cx/commands/{rec.id}"


def _reader(path: str | os.PathLike) -> tuple[threading.Lock, Any]:
    key = _file_key(path)
    with _LOCK:
        entry = _READERS.get(key)
        if entry is not None:
            _READERS.move_to_end(key)
            return entry
    from ..media import VideoReader

    entry = (threading.Lock(), VideoReader(path))
    with _LOCK:
        _READERS[key] = entry
        while len(_READERS) > _MAX_READERS:
            _, (lock, old) = _READERS.popitem(last=False)
            close = getattr(old, "close", None)
            if close is not None:
                with lock:
                    close()
    return entry


def frame_at(path: str | os.PathLike, t: Number) -> Frame:
    """Return the library's Frame shown at ``t`` seconds (from the first frame) of the video at ``path``.

    One reader per file is kept open (it keeps its decoder position, so stepping
    frame by frame is fast) and used by one thread at a time.
    """
    lock, reader = _reader(path)
    with lock:
        return reader.frame_at(t)


def reset() -> None:
    """Close every cached store and reader, and the job queue's (tests that switch data directories call this)."""
    with _LOCK:
        for opened in _STORES.values():
            close = getattr(opened, "close", None)
            if close:
                close()
        _STORES.clear()
        _SEEDED.clear()
        _TIMES.clear()
        _OFFSETS.clear()
        for lock, reader in _READERS.values():
            close = getattr(reader, "close", None)
            if close:
                with lock:
                    close()
        _READERS.clear()
    from ..jobs import queue  # the queue's own store and settings follow the data directory too

    queue.reset()
