"""Suggested moments: screen changes, holds, silences and speech found in a recording, for a reviewer to confirm.

The analysis reads a recording once (:mod:`.video`: one decode at reduced
resolution feeding PySceneDetect's AdaptiveDetector and a stillness measure;
:mod:`.audio`: the audio track at 16 kHz through WebRTC's voice-activity
detector) and returns :class:`~.types.Suggestion` values whose times are
frame-exact on the recording's own clock (first frame = 0, snapped as a mark is).
:mod:`.service` computes and stores them (``Store.suggestions``), the
thresholds live in one dataclass (:mod:`.settings`). Suggestions are never
events: a reviewer accepts one (then it becomes an event) or dismisses it.
See docs/suggestions.md.

Only :mod:`.types` and :mod:`.settings` are light; the analysis modules load
PyAV, OpenCV, PySceneDetect and webrtcvad and are imported on use.
"""
