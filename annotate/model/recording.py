"""Recordings: a registered video and what its probe found."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .events import clean_text
from .kinds import Status



# --- recordings -------------------------------------------------------------


@dataclass
class Recording:
    """A registered video. ``path`` is the original; ``proxy_path`` a browser-playable copy, if one was made."""

    path: str
    title: str = ""
    id: int | None = None
    duration_s: float = 0.0
    fps: str = ""  # a Fraction as text, e.g. "30000/1001"
    frame_count: int = 0
    width: int = 0
    height: int = 0
    start_offset_s: float = 0.0
    vfr: bool = False
    browser_playable: bool = True
    proxy_path: str | None = None
    content_hash: str = ""
    status: Status = Status.NEW
    info: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    version: int = 1

    def __setattr__(self, name: str, value: Any) -> None:
        # The title is cleaned however it is set (constructor, replace, assignment); the path is not: it
        # names a file, whose name may hold any character. Writers make paths safe for their format.
        object.__setattr__(self, name, clean_text(value) if name == "title" else value)

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["status"] = self.status.value
        for key in ("created_at", "updated_at"):
            out[key] = out[key].isoformat() if out[key] else None
        return out

    @property
    def playable_path(self) -> str:
        """Return the file a browser should play: the proxy if there is one, else the original."""
        return self.proxy_path or self.path
