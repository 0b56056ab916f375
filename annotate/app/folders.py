"""Bringing a library in: every video under a folder, and a watched inbox in the data directory.

:func:`add_folder` walks a folder (recursively, in name order, hidden files and
folders skipped), takes each file whose first bytes are a media container (the
extension is never trusted), and registers it; a file already in the library (same
content hash) is skipped, a file that cannot be used is refused with one line,
and the rest of the folder goes on. :class:`Inbox` does the same for files dropped
into ``<data dir>/inbox`` while the server runs: a file is taken once its size has
stopped changing, moved into the media folder, and a refused one is moved to
``inbox/refused`` beside a ``.txt`` that says why.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from ..config import Settings
from ..errors import AnnotateError
from ..media.sniff import sniff_container
from ..model import Recording
from .recordings import add_recording
from ..store import Store

INBOX = "inbox"
REFUSED = "refused"


@dataclass
class FolderResult:
    """What :func:`add_folder` did: ids added, paths already there, one line per refusal, files skipped."""

    added: list[int] = field(default_factory=list)
    already: list[Path] = field(default_factory=list)
    refused: list[tuple[Path, str]] = field(default_factory=list)
    skipped: int = 0


def candidates(folder: str | os.PathLike) -> Iterator[tuple[Path, bool]]:
    """Yield (file, looks like media) for every regular file under ``folder``, in name order, hidden ones skipped.

    Raises AnnotateError when ``folder`` is not a directory.
    """
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise AnnotateError(f"{root} is not a folder; give a folder of recordings")
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if name.startswith(".") or path.is_symlink() or not path.is_file():
                continue
            yield path, sniff_container(path) is not None


def add_folder(store: Store, settings: Settings, folder: str | os.PathLike, *, make_proxy: bool = True,
               reviewer: str = "",
               on_file: Callable[[Path, str, Recording | None], None] | None = None) -> FolderResult:
    """Register every video under ``folder``; return what happened.

    ``on_file(path, outcome, recording)`` is called after each media file with
    ``added`` or ``already`` and the recording, or the refusal's message and None. Raises AnnotateError only when
    ``folder`` is not a directory; a bad file is refused and the walk goes on.
    """
    result = FolderResult()
    for path, media_like in candidates(folder):
        if not media_like:
            result.skipped += 1
            continue
        rec = None
        try:
            rec, created = add_recording(store, settings, path, reviewer=reviewer, make_proxy=make_proxy)
        except AnnotateError as exc:
            result.refused.append((path, str(exc)))
            outcome = str(exc)
        else:
            (result.added.append(rec.id) if created else result.already.append(path))
            outcome = "added" if created else "already"
        if on_file is not None:
            on_file(path, outcome, rec)
    return result


class Inbox:
    """Registers the files dropped into ``<data dir>/inbox`` (see the module docstring)."""

    def __init__(self, store: Store, settings: Settings, make_proxy: bool = True,
                 after_add: Callable[[Recording], None] | None = None):
        self.store, self.settings, self.make_proxy = store, settings, make_proxy
        self.after_add = after_add
        self.folder = settings.data_dir / INBOX
        self._sizes: dict[Path, int] = {}

    def scan(self) -> list[tuple[Path, str]]:
        """Take every file whose size is the same as at the last scan; return (file name, outcome) for each."""
        self.folder.mkdir(parents=True, exist_ok=True)
        seen, done = {}, []
        for path in sorted(self.folder.iterdir()):
            if path.name.startswith(".") or not path.is_file() or path.is_symlink():
                continue
            size = path.stat().st_size
            seen[path] = size
            if self._sizes.get(path) == size and size > 0:
                done.append((path, self._take(path)))
                seen.pop(path)
        self._sizes = seen
        return done

    def _take(self, path: Path) -> str:
        media_dir = self.settings.media_dir
        media_dir.mkdir(parents=True, exist_ok=True)
        target = _free_name(media_dir / path.name)
        try:
            if sniff_container(path) is None:
                raise AnnotateError(f"{path.name} is not a video file (its first bytes are no media container)")
            os.replace(path, target)
            rec, created = add_recording(self.store, self.settings, target, make_proxy=self.make_proxy)
        except AnnotateError as exc:
            self._refuse(target if target.exists() else path, path.name, str(exc))
            return str(exc)
        if not created:
            target.unlink(missing_ok=True)  # the library already holds these bytes under another name
            return "already"
        if self.after_add is not None:
            self.after_add(rec)
        return "added"

    def _refuse(self, current: Path, name: str, message: str) -> None:
        refused = self.folder / REFUSED
        refused.mkdir(exist_ok=True)
        moved = _free_name(refused / name)
        os.replace(current, moved)
        (moved.parent / (moved.name + ".txt")).write_text(message + "\n", encoding="utf-8")

    def watch(self, stop: threading.Event, every_s: float = 2.0) -> None:
        """Scan every ``every_s`` seconds until ``stop`` is set (run on a thread by ``annotate worker --inbox``)."""
        while not stop.wait(every_s):
            try:
                self.scan()
            except (AnnotateError, OSError):
                continue  # a file vanished mid-scan or the store was busy: the next scan tries again


def _free_name(path: Path) -> Path:
    """Return ``path``, or ``stem-2.suffix``, ``stem-3.suffix``... whichever does not exist yet."""
    n, candidate = 1, path
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
    return candidate
