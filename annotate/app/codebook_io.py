"""The codebook as text the Settings page edits and as a JSON file; no user interface here.

Form layout: one entry per line; a label line may end with ``| key`` to give
that label its own marking key (``Form error | f``).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Mapping

from ..errors import ValidationError
from ..model import KINDS, Codebook, parse_kind

MAX_CODEBOOK_BYTES = 1_000_000


def dumps(book: Codebook) -> str:
    """Return the codebook as pretty JSON text (the layout :func:`loads` reads)."""
    return json.dumps(book.to_dict(), indent=2, ensure_ascii=False) + "\n"


def loads(data: bytes | str) -> Codebook:
    """Return the codebook in JSON ``data``; raises ValidationError naming what is wrong."""
    if isinstance(data, bytes):
        if len(data) > MAX_CODEBOOK_BYTES:
            raise ValidationError("that codebook file is over 1 MB; a codebook is a short JSON file")
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError("the codebook file is not UTF-8 text; export it again as JSON") from None
    try:
        parsed = json.loads(data)
    except json.JSONDecodeError as exc:
        raise ValidationError(f"the codebook file is not valid JSON (line {exc.lineno}: {exc.msg})") from None
    return Codebook.from_dict(parsed)


def fingerprint(book: Codebook) -> str:
    """Return a short digest that changes whenever the codebook does."""
    return hashlib.sha1(json.dumps(book.to_dict(), sort_keys=True).encode()).hexdigest()[:12]


def to_form(book: Codebook) -> dict[str, Any]:
    """Return the codebook as the Settings form's texts: lists one per line, labels as ``text | key``."""
    return {
        "stages": "\n".join(book.stages),
        "channels": "\n".join(book.channels),
        "actors": "\n".join(book.actors),
        "labels": {
            k.value: "\n".join(f"{c.text} | {c.hotkey}" if c.hotkey else c.text for c in book.labels.get(k, []))
            for k in KINDS
        },
        "hotkeys": {k.value: book.hotkeys.get(k, k.default_hotkey) for k in KINDS},
    }


def _lines(text: str) -> list[str]:
    return [line.strip() for line in str(text or "").splitlines() if line.strip()]


def from_form(
    stages: str, channels: str, actors: str, labels: Mapping[str, str], hotkeys: Mapping[str, str]
) -> Codebook:
    """Return the validated codebook the Settings form describes; raises ValidationError."""
    label_data: dict[str, list[dict[str, Any]]] = {}
    for key, text in labels.items():
        kind = parse_kind(key)
        items = []
        for line in _lines(text):
            name, sep, hotkey = line.rpartition("|") if "|" in line else (line, "", "")
            items.append({"text": name.strip(), "hotkey": hotkey.strip() or None} if sep else {"text": line})
        label_data[kind.value] = items
    keys = {}
    for key, value in hotkeys.items():
        value = str(value or "").strip()
        if not value:
            raise ValidationError(f"the {parse_kind(key).short} marking key is empty; give it one key such as M")
        keys[parse_kind(key).value] = value
    return Codebook.from_dict(
        {
            "stages": _lines(stages),
            "channels": _lines(channels),
            "actors": _lines(actors),
            "labels": label_data,
            "hotkeys": keys,
        }
    )


def redact_url(url: str) -> str:
    """Return a database URL with any password replaced by ``***``."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", str(url))
