"""The model: events, recordings, kinds and the codebook. Plain data and validation, no I/O.

Vocabulary and colours are those of docs/design.md: a kind is stored as its long
name (``moment_of_truth``) and shown with its short name (MOT) beside its colour.
The parts live in their own modules (kinds, events, recording, codebook); every name
is imported from here.
"""

from __future__ import annotations

from .codebook import (
    CUSTOMER_FACING_ACTORS, DEFAULT_ACTORS, DEFAULT_CHANNELS, DEFAULT_LABELS, DEFAULT_STAGES, CodeLabel, Codebook,
    fold_name,
)
from .events import Event, clean_text, columns_valid, drop_control, parse_emotion, validate_columns, validate_event
from .kinds import (
    EMOTION_MAX, EMOTION_MIN, FREE_TEXT_FIELDS, KINDS, MAX_FREE_TEXT, MAX_SHORT_TEXT, Kind, Status, fold_key,
    new_event_id, parse_kind, parse_status, text_limit, utcnow,
)
from .recording import Recording

__all__ = [
    "CUSTOMER_FACING_ACTORS", "DEFAULT_ACTORS", "DEFAULT_CHANNELS", "DEFAULT_LABELS", "DEFAULT_STAGES", "CodeLabel",
    "Codebook", "EMOTION_MAX", "EMOTION_MIN", "Event", "FREE_TEXT_FIELDS", "KINDS", "Kind", "MAX_FREE_TEXT",
    "MAX_SHORT_TEXT", "Recording", "Status", "clean_text", "columns_valid", "drop_control", "fold_key", "fold_name",
    "new_event_id", "parse_emotion", "parse_kind", "parse_status", "text_limit", "utcnow", "validate_columns",
    "validate_event",
]
