"""Recognise a file's container from its first bytes, never from its name.

Uploads arrive with whatever extension the browser or the user gave them, so
the decision "is this a video, and what kind" starts from magic bytes.
"""

from __future__ import annotations

import os
from pathlib import Path

_HEAD = 4096
_MP4_BOXES = {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot", b"uuid"}
_QT_BRANDS = {b"qt  "}


def _head(path: str | os.PathLike, n: int = _HEAD) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(n)


def sniff_container(path: str | os.PathLike) -> str | None:
    """Return the container type of ``path`` from its magic bytes, or None if not a known one.

    Values: ``"mp4"`` (ISO-BMFF: mp4, m4v, 3gp), ``"mov"`` (QuickTime brand),
    ``"webm"``, ``"matroska"``, ``"avi"``, ``"mpegts"`` (188- or 192-byte packets),
    ``"mpegps"``, ``"flv"``, ``"ogg"``, ``"asf"`` (wmv). Unreadable files give None.
    """
    try:
        head = _head(path)
    except OSError:
        return None
    return sniff_bytes(head)


def sniff_bytes(head: bytes) -> str | None:
    """Return the container type of data starting with ``head`` (see :func:`sniff_container`)."""
    if len(head) >= 12 and head[4:8] in _MP4_BOXES:
        if head[4:8] == b"ftyp":
            return "mov" if head[8:12] in _QT_BRANDS else "mp4"
        return "mov"  # old QuickTime files start with moov/mdat/wide directly
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm" if b"webm" in head[:64] else "matroska"
    if head[:4] == b"RIFF" and head[8:12] in (b"AVI ", b"AVIX"):
        return "avi"
    for step, first in ((188, 0), (192, 4)):
        if len(head) > first + 2 * step and all(head[first + k * step] == 0x47 for k in range(3)):
            return "mpegts"
    if head[:4] == b"\x00\x00\x01\xba":
        return "mpegps"
    if head[:3] == b"FLV":
        return "flv"
    if head[:4] == b"OggS":
        return "ogg"
    if head[:8] == b"\x30\x26\xb2\x75\x8e\x66\xcf\x11":
        return "asf"
    return None


def describe_non_video(path: str | os.PathLike) -> str | None:
    """Return what a file that is not a video container looks like ("a PNG image", "text"), or None."""
    try:
        head = _head(Path(path), 512)
    except OSError:
        return None
    signatures = (
        (b"\x89PNG\r\n\x1a\n", "a PNG image"),
        (b"\xff\xd8\xff", "a JPEG image"),
        (b"GIF8", "a GIF image"),
        (b"%PDF", "a PDF document"),
        (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
        (b"ID3", "an MP3 audio file"),
        (b"fLaC", "a FLAC audio file"),
    )
    for magic, what in signatures:
        if head.startswith(magic):
            return what
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "a WAV audio file"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "a WebP image"
    if head and all(32 <= b < 127 or b in (9, 10, 13) for b in head.rstrip(b"\0")):
        return "text"
    return None
