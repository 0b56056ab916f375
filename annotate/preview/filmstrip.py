"""The filmstrip: small thumbnails of a recording at even steps of time, in one JPEG sprite.

A sprite holds up to :data:`MAX_TILES` tiles of :data:`TILE_H` pixels high (the
width follows the picture's display aspect), row by row in :data:`COLUMNS`
columns. The index file beside it (JSON) gives the tile size, the columns and,
for every tile, the frame it shows: its index and its exact time in seconds
from the first frame (the tile was taken at the frame shown at the step's time,
so the time is that frame's, not the step's). The player picks the tile to show
for a time with :func:`tile_at`.
"""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from ..fsutil import atomic_path, atomic_write_text
from ..media import VideoReader

MAX_TILES = 240
MIN_STEP_S = 1.0  # no two tiles closer than this: a short clip gets fewer tiles
TILE_H = 72
COLUMNS = 16
JPEG_QUALITY = 80


@dataclass(frozen=True)
class Filmstrip:
    """The index of a sprite: tile size in pixels, columns, and each tile's frame index and time."""

    tile_w: int
    tile_h: int
    columns: int
    frames: list[int]
    times: list[float]

    def to_dict(self) -> dict:
        """Return the JSON form written beside the sprite (and sent to the player)."""
        return {"tile_w": self.tile_w, "tile_h": self.tile_h, "columns": self.columns,
                "frames": self.frames, "times": self.times}

    def tile_at(self, t: float) -> int:
        """Return the index of the tile to show for time ``t`` (the last tile at or before it)."""
        return max(0, bisect.bisect_right(self.times, t) - 1)


def step_times(duration_s: float) -> list[float]:
    """Return the times the tiles are taken at: 0, then even steps of at least MIN_STEP_S, at most MAX_TILES."""
    if duration_s <= 0:
        return [0.0]
    count = int(min(MAX_TILES, max(1, duration_s // MIN_STEP_S)))
    return [duration_s * i / count for i in range(count)]


def build_filmstrip(path: str | Path, sprite: Path, index: Path,
                    progress: Callable[[int, int], None] | None = None) -> Filmstrip:
    """Write the sprite and its index for the video at ``path`` (both atomically); return the index.

    Raises the MediaError subclasses of :class:`annotate.media.VideoReader`.
    """
    with VideoReader(path) as reader:
        info = reader.info
        tile_h = TILE_H
        tile_w = max(2, round(tile_h * info.width / info.height))  # width, height: as displayed
        picks = sorted({reader.index_at(t) for t in step_times(float(info.duration))})
        tiles, times = [], []
        for n, i in enumerate(picks):
            frame = reader.frame(i)
            tiles.append(cv2.resize(frame.image, (tile_w, tile_h), interpolation=cv2.INTER_AREA))
            times.append(float(frame.time))
            if progress:
                progress(n + 1, len(picks))
    strip = Filmstrip(tile_w, tile_h, min(COLUMNS, len(tiles)), picks, times)
    _write_sprite(sprite, tiles, strip.columns)
    atomic_write_text(index, json.dumps(strip.to_dict()))
    return strip


def _write_sprite(out: Path, tiles: list[np.ndarray], columns: int) -> None:
    """Lay ``tiles`` out row by row, ``columns`` wide, and write them as one JPEG."""
    h, w = tiles[0].shape[:2]
    rows = -(-len(tiles) // columns)
    sheet = np.zeros((rows * h, columns * w, 3), np.uint8)
    for n, tile in enumerate(tiles):
        r, c = divmod(n, columns)
        sheet[r * h:(r + 1) * h, c * w:(c + 1) * w] = tile
    ok, data = cv2.imencode(".jpg", sheet, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    with atomic_path(out) as tmp:
        Path(tmp).write_bytes(data.tobytes())


def read_index(index: Path) -> Filmstrip:
    """Return the filmstrip index written by :func:`build_filmstrip`. Raises FileNotFoundError before it is made."""
    data = json.loads(index.read_text())
    return Filmstrip(data["tile_w"], data["tile_h"], data["columns"], data["frames"], data["times"])
