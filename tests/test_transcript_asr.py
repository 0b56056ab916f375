"""Speech to text, offline: phrases spoken by espeak-ng into a generated clip at known times come back in the
recording's transcript, each word within 0.5 s of when it is heard (``annotate transcribe``, inline queue).

The clip's first video frame comes 1.5 s after its audio starts, so the transcript's times must be shifted
to count from that frame, as every time of a recording does (a transcript that ignored it is 1.5 s off)."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest

from annotate import config
from annotate.cli import main
from annotate.store import Store
from annotate.testing.speech import make_speech_clip

pytest.importorskip("faster_whisper", reason="faster-whisper is not installed: pip install -e '.[asr]'")

PHRASES = [(2.0, "thank you for calling"), (7.0, "your refund is approved"), (13.5, "the payment failed again"),
           (20.0, "please call me tomorrow")]  # seconds of the audio track
VIDEO_START = Fraction(3, 2)
TOLERANCE_S = 0.5


def words_of(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


@pytest.fixture(scope="module")
def speech_clip(tmp_path_factory):
    folder = tmp_path_factory.mktemp("speech")
    path = folder / "call.mp4"
    return path, make_speech_clip(path, PHRASES, duration_s=25.0, video_start_s=VIDEO_START)


def test_spoken_words_come_back_at_their_times(tmp_path, capsys, speech_clip, monkeypatch):
    monkeypatch.delenv("ANNOTATE_DB", raising=False)
    monkeypatch.delenv("ANNOTATE_WHISPER_MODEL", raising=False)  # the bundled tiny.en model
    path, spoken = speech_clip
    root = tmp_path / "data"
    assert main(["--data-dir", str(root), "add", str(path)]) == 0
    assert main(["--data-dir", str(root), "transcribe", "--recording", "1"]) == 0
    out = capsys.readouterr().out
    assert "Transcribed recording 1" in out

    with Store.open(config.resolve(root)) as store:
        lines = list(store.transcripts.lines(1))
        info = store.transcripts.info(1)
        assert store.get_recording(1).start_offset_s == 1.5
        job = store.jobs.list()[0]
    assert info.source == "speech-to-text (tiny.en)" and job.kind == "transcribe" and job.state == "done"
    heard = [(w.lower().strip(".,!?"), a / 1000, b / 1000) for ln in lines for a, b, w in ln.words]
    found, expected = 0, 0
    for phrase in spoken:
        window = [(w, a, b) for w, a, b in heard
                  if phrase.start_s - TOLERANCE_S <= a and b <= phrase.end_s + TOLERANCE_S]
        said = [w for w, _, _ in window]
        expected += len(words_of(phrase.text))
        found += sum(1 for w in words_of(phrase.text) if w in said)
        first = words_of(phrase.text)[0]
        assert said and said[0] == first, (phrase, window)
        assert abs(window[0][1] - phrase.start_s) <= TOLERANCE_S, (phrase, window)
        assert window[-1][2] <= phrase.end_s + TOLERANCE_S
    # Every word heard lies inside one of the phrases (nothing is made up in the silences) ...
    assert all(any(p.start_s - TOLERANCE_S <= a and b <= p.end_s + TOLERANCE_S for p in spoken) for _, a, b in heard)
    # ... and nearly every spoken word is heard (tiny.en mishears about one word in twelve).
    assert found >= 0.8 * expected, heard
    # The lines break at the silences: no line runs from one phrase into the next.
    assert all(any(p.start_s - TOLERANCE_S <= ln.start_s and ln.end_s <= p.end_s + TOLERANCE_S for p in spoken)
               for ln in lines)
    assert len(PHRASES) <= len(lines) <= 2 * len(PHRASES)


def test_a_wrong_model_folder_is_one_line(tmp_path, capsys, monkeypatch, speech_clip):
    monkeypatch.delenv("ANNOTATE_DB", raising=False)
    monkeypatch.setenv("ANNOTATE_WHISPER_MODEL", str(tmp_path))
    root = tmp_path / "data"
    assert main(["--data-dir", str(root), "add", str(speech_clip[0])]) == 0
    capsys.readouterr()
    assert main(["--data-dir", str(root), "transcribe", "--recording", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"Error: ANNOTATE_WHISPER_MODEL={tmp_path} is not a CTranslate2 Whisper model folder")
    assert err.count("\n") == 1
