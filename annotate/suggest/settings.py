"""The thresholds of the analysis, in one dataclass, with their defaults and their environment variables.

Each field can be set by an environment variable ``ANNOTATE_SUGGEST_<FIELD>``
(``ANNOTATE_SUGGEST_CUT_THRESHOLD=20``); the table of defaults is in
docs/suggestions.md. The settings a run used are stored beside its suggestions,
so a change of thresholds makes ``annotate suggest`` compute again.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Mapping

from ..errors import ValidationError

ENV_PREFIX = "ANNOTATE_SUGGEST_"
PREFERENCE = "suggest"  # the name the Settings page saves the thresholds under (Store.preferences)
VERSION = 1  # of the analysis itself: bump when the same thresholds would find other suggestions


@dataclass(frozen=True)
class SuggestSettings:
    """Thresholds of the suggestion analysis (defaults documented in docs/suggestions.md).

    Video: frames are analysed about ``analysis_width`` pixels wide. A cut is a
    frame whose PySceneDetect ContentDetector score (mean HSV change from the
    frame before, 0..255) is at least ``cut_min_change`` and ``cut_ratio`` times
    the average score of the 2 frames on either side (PySceneDetect's
    AdaptiveDetector), at least ``cut_min_gap_frames`` frames after the previous
    cut. A hold is a run of
    frames, at least ``hold_min_s`` long, each differing from the one before by
    less than ``hold_threshold`` (mean absolute grey difference, 0..255) and
    from the run's first frame by less than ``hold_drift``.
    Audio: WebRTC VAD with ``vad_mode`` (0 lenient .. 3 strict) on 10 ms frames;
    speech pauses shorter than ``speech_gap_s`` are bridged, speech shorter
    than ``speech_min_s`` dropped; a gap of at least ``silence_min_s`` between
    two speech segments is a silence. Scores: a hold or silence scores
    0.5 at ``score_half_s`` seconds and more the longer it is.
    """

    analysis_width: int = 160
    cut_min_change: float = 1.5
    cut_ratio: float = 3.0
    cut_min_gap_frames: int = 8
    hold_threshold: float = 0.8
    hold_drift: float = 3.0
    hold_min_s: float = 5.0
    vad_mode: int = 2
    speech_gap_s: float = 0.3
    speech_min_s: float = 0.25
    silence_min_s: float = 3.0
    score_half_s: float = 10.0

    def __post_init__(self) -> None:
        if not 32 <= self.analysis_width <= 1920:
            raise ValidationError(f"analysis_width {self.analysis_width} is outside 32..1920 pixels")
        if self.vad_mode not in (0, 1, 2, 3):
            raise ValidationError(f"vad_mode {self.vad_mode} is not 0, 1, 2 or 3")
        for f in fields(self):
            if getattr(self, f.name) < 0:
                raise ValidationError(f"the suggestion threshold {f.name} is negative; use 0 or more")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> "SuggestSettings":
        """Return the defaults, changed by ``ANNOTATE_SUGGEST_*`` variables, then by ``overrides``.

        Raises ValidationError for a variable that is not a number or out of range.
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            text = env.get(ENV_PREFIX + f.name.upper())
            if text is None or not text.strip():
                continue
            kind = int if f.type in ("int", int) else float
            try:
                values[f.name] = kind(text.strip())
            except ValueError:
                raise ValidationError(f"{ENV_PREFIX}{f.name.upper()}={text!r} is not a number") from None
        return replace(cls(**values), **overrides)

    @classmethod
    def for_store(cls, store: Any, environ: Mapping[str, str] | None = None) -> "SuggestSettings":
        """Return the thresholds in force for ``store``: the defaults, then what an admin saved in Settings
        (``store.preferences``, name :data:`PREFERENCE`), then the ``ANNOTATE_SUGGEST_*`` variables.

        Raises ValidationError as :meth:`from_env`.
        """
        saved = cls.from_dict(store.preferences.get(PREFERENCE))
        return cls.from_env(environ, **{k: v for k, v in asdict(saved).items() if k not in cls.env_names(environ)})

    @classmethod
    def env_names(cls, environ: Mapping[str, str] | None = None) -> set[str]:
        """Return the fields an ``ANNOTATE_SUGGEST_*`` variable sets (they win over the saved thresholds)."""
        env = os.environ if environ is None else environ
        return {f.name for f in fields(cls) if (env.get(ENV_PREFIX + f.name.upper()) or "").strip()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "SuggestSettings":
        """Return settings from a stored dict (unknown keys ignored)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def to_dict(self) -> dict[str, Any]:
        """Return the settings as a JSON-ready dict, with the analysis version."""
        return {**asdict(self), "version": VERSION}

    @property
    def digest(self) -> str:
        """Return a short digest of the settings and the analysis version (a stored run is current when equal)."""
        text = json.dumps(self.to_dict(), sort_keys=True)
        return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()
