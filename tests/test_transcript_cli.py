"""``annotate transcript import|export|search`` and ``annotate transcribe``, run for real through ``main``."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import pytest

from annotate import config
from annotate.cli import main
from annotate.model import Recording
from annotate.store import Store
from annotate.transcripts.cues import read_file


def run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def data(tmp_path, monkeypatch):
    """Return (data dir, ids of two recordings stored there)."""
    monkeypatch.delenv("ANNOTATE_DB", raising=False)
    root = tmp_path / "data"
    with Store.open(config.resolve(root)) as store:
        ids = [store.add_recording(Recording(path=f"/videos/{n}.mp4", title=n, duration_s=300.0,
                                             content_hash=uuid.uuid4().hex)).id for n in ("first", "second")]
    return root, ids


VTT = "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n<v Ana>Your order is on hold.</v>\n\n" \
      "00:00:04.000 --> 00:00:05.500\n<v Customer>Why?</v>\n"
SRT = "1\n00:01:00,250 --> 00:01:02,000\nAgent: The hold ends today.\n\n2\n00:01:03,000 --> 00:01:04,000\nCustomer: Good.\n"


def test_import_export_and_search_across_recordings(tmp_path, capsys, data):
    root, (first, second) = data
    (tmp_path / "a.vtt").write_text(VTT, encoding="utf-8")
    (tmp_path / "b.srt").write_text(SRT, encoding="utf-8")
    code, out, err = run(capsys, "--data-dir", root, "transcript", "import", tmp_path / "a.vtt", "--recording", first)
    assert (code, err) == (0, "") and "Imported 2 lines (2 speakers)" in out
    assert run(capsys, "--data-dir", root, "transcript", "import", tmp_path / "b.srt", "--recording", second)[0] == 0

    code, out, _ = run(capsys, "--data-dir", root, "transcript", "search", "HOLD", "--json")
    assert code == 0
    assert [(h["recording"], h["start_s"], h["speaker"], h["text"]) for h in json.loads(out)] == [
        (first, 1.0, "Ana", "Your order is on hold."), (second, 60.25, "Agent", "The hold ends today.")]
    code, out, _ = run(capsys, "--data-dir", root, "transcript", "search", "hold")
    assert out.splitlines() == [f"#{first}  00:00:01.000  Ana: Your order is on hold.",
                                f"#{second}  00:01:00.250  Agent: The hold ends today."]

    for suffix in ("vtt", "srt"):
        target = tmp_path / f"out.{suffix}"
        code, out, _ = run(capsys, "--data-dir", root, "transcript", "export", "--recording", second, "-o", target)
        assert code == 0 and "Wrote 2 lines" in out
        assert [(ln.start_ms, ln.end_ms, ln.speaker, ln.text) for ln in read_file(target)] == [
            (60250, 62000, "Agent", "The hold ends today."), (63000, 64000, "Customer", "Good.")]
    run(capsys, "--data-dir", root, "transcript", "export", "--recording", first, "-o", tmp_path / "out.json")
    exported = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert exported["recording"] == first and exported["source"] == "a.vtt"
    assert exported["lines"][1] == {"start_s": 4.0, "end_s": 5.5, "speaker": "Customer", "text": "Why?"}


def test_bad_input_gives_one_line_and_keeps_what_is_stored(tmp_path, capsys, data):
    root, (first, _) = data
    (tmp_path / "a.vtt").write_text(VTT, encoding="utf-8")
    run(capsys, "--data-dir", root, "transcript", "import", tmp_path / "a.vtt", "--recording", first)
    (tmp_path / "bad.vtt").write_text("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nok\n\n00:00:03.000 -> 4\nx\n",
                                      encoding="utf-8")
    code, out, err = run(capsys, "--data-dir", root, "transcript", "import", tmp_path / "bad.vtt", "--recording", first)
    assert code == 2 and out == ""
    assert err.startswith("Error: bad.vtt line 6: ") and err.count("\n") == 1
    code, out, _ = run(capsys, "--data-dir", root, "transcript", "search", "hold")
    assert out.startswith(f"#{first}")  # the transcript before the bad import is still there

    cases = [
        (["transcript", "import", tmp_path / "a.vtt", "--recording", "77"], "no recording matches '77'"),
        (["transcript", "export", "--recording", first, "-o", tmp_path / "t.txt"], "name the file .vtt, .srt or .json"),
        (["transcript", "export", "--recording", 2, "-o", tmp_path / "t.vtt"], "recording 2 has no transcript"),
        (["transcript", "export", "--recording", first, "-o", tmp_path / "nowhere" / "t.vtt"], "does not exist"),
    ]
    for args, expected in cases:
        code, _, err = run(capsys, "--data-dir", root, *args)
        assert code == 2 and expected in err and err.count("\n") == 1, (args, err)
    assert not (tmp_path / "t.vtt").exists() and not (tmp_path / "t.txt").exists()


def test_transcribe_without_the_extra_says_how_to_install_it(tmp_path, data):
    root, (first, _) = data
    # A child Python in which faster-whisper cannot be imported (None in sys.modules blocks the import).
    probe = ("import sys; sys.modules['faster_whisper'] = None; from annotate.cli import main; "
             f"sys.exit(main(['--data-dir', {str(root)!r}, 'transcribe', '--recording', '{first}']))")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr == "Error: speech to text is not installed: pip install 'cx-annotate[asr]'\n"
