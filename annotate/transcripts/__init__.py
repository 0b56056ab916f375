"""Transcripts of recordings: what was said, by whom, when.

A transcript is a list of :class:`~annotate.transcripts.lines.Line` (start and
end in whole milliseconds from the recording's first video frame, a speaker
name, the text). ``cues.py`` reads WebVTT and SRT files as meeting and call
systems export them (speaker names from VTT voice tags and ``Name: text``
prefixes), ``write.py`` writes them back (VTT, SRT, JSON), ``events.py`` puts a
transcript beside the events in the event exports, and ``asr.py`` transcribes a
recording's audio offline with faster-whisper. The lines are stored by
``annotate.store.transcripts``.
"""

from .lines import MAX_LINE_TEXT, MAX_SPEAKER, Line

__all__ = ["Line", "MAX_LINE_TEXT", "MAX_SPEAKER"]
