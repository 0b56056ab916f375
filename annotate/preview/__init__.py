"""What a reviewer scrubs by: a recording's filmstrip (thumbnails in one sprite image) and its audio peaks.

Both are computed once per recording (the ``preview`` job, :func:`build_preview`) into
``<data dir>/previews/<content hash>.*`` and served in pieces at the zoom level the
player shows (:func:`annotate.preview.peaks.read_peaks`, :func:`annotate.preview.filmstrip.read_index`).
Times are seconds from the first video frame, as everywhere: a thumbnail's time is
the exact time of the frame it shows, a peak bucket starts at ``i * step``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..config import Settings
from .filmstrip import Filmstrip, build_filmstrip, read_index
from .peaks import PEAKS_PER_S, Peaks, build_peaks, read_peaks

__all__ = ["Filmstrip", "PEAKS_PER_S", "Peaks", "build_filmstrip", "build_peaks", "build_preview",
           "preview_paths", "read_index", "read_peaks"]


def preview_paths(settings: Settings, content_hash: str) -> dict[str, Path]:
    """Return where the preview files of a recording with ``content_hash`` live (sprite, index, peaks)."""
    base = settings.data_dir / "previews"
    return {"sprite": base / f"{content_hash}.strip.jpg", "index": base / f"{content_hash}.strip.json",
            "peaks": base / f"{content_hash}.peaks"}


def build_preview(settings: Settings, path: str | Path, content_hash: str,
                  progress: Callable[[int, int], None] | None = None) -> Path:
    """Write the filmstrip and the peaks of the video at ``path``; return the index file.

    Files already there are kept (a preview depends only on the content). Raises
    the MediaError subclasses of :mod:`annotate.media` for an unreadable file.
    """
    paths = preview_paths(settings, content_hash)
    paths["index"].parent.mkdir(parents=True, exist_ok=True)
    if not paths["peaks"].exists():
        build_peaks(path, paths["peaks"])
    if not paths["index"].exists():
        build_filmstrip(path, paths["sprite"], paths["index"], progress=progress)
    return paths["index"]
