"""Transcripts exported with the events (`annotate export`, real files read back): a ``transcript`` column in
the CSV, the lines in the JSON's recording entry, a ``transcript`` tier in the ELAN file; files of recordings
without a transcript are as before (no column), and the CSV still imports."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from annotate.cli import cli
from annotate.config import Settings, sqlite_url
from annotate.model import Event, Kind, Recording
from annotate.store import Store
from annotate.transcripts.lines import Line


@pytest.fixture
def library(tmp_path):
    data = tmp_path / "data"
    settings = Settings(data_dir=data, db_url=sqlite_url(data / "annotate.sqlite")).ensure_dirs()
    store = Store.open(settings)
    from fractions import Fraction

    recs = [store.add_recording(Recording(path=f"/v/{n}.mp4", title=n, duration_s=30.0, fps=Fraction(25),
                                          frame_count=750, width=320, height=240, content_hash=n * 10), reviewer="t")
            for n in ("call", "quiet")]
    store.add_events([Event(kind=Kind.MOMENT_OF_TRUTH, start_s=1.0, recording_id=recs[0].id),
                      Event(kind=Kind.DECISION_POINT, start_s=2.0, end_s=5.0, recording_id=recs[0].id),
                      Event(kind=Kind.INTERNAL_INTERACTION, start_s=3.0, recording_id=recs[1].id)], reviewer="t")
    store.transcripts.replace(recs[0].id, [Line(500, 1500, "Hello, =SUM(A1)", "Ana"),
                                           Line(4000, 6000, "I'll take <it>", "Bo")], source="t.vtt")
    return data, recs


def export(data: Path, out: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--data-dir", str(data), "export", "-o", str(out), *args],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out.read_bytes().decode("utf-8-sig")


def test_the_csv_gets_a_transcript_column_spreadsheet_safe_and_still_imports(library, tmp_path):
    data, (call, quiet) = library
    rows = list(csv.DictReader(io.StringIO(export(data, tmp_path / "all.csv"))))
    said = {(r["recording_id"], r["kind_short"]): r["transcript"] for r in rows}
    assert said[(str(call.id), "MOT")] == "Ana: Hello, =SUM(A1)"
    assert said[(str(call.id), "DEC")] == "Bo: I'll take <it>"
    assert said[(str(quiet.id), "INT")] == ""
    only_quiet = export(data, tmp_path / "quiet.csv", "--recording", str(quiet.id))
    assert "transcript" not in only_quiet.splitlines()[0]  # no transcript: the columns as they always were
    result = CliRunner().invoke(cli, ["--data-dir", str(data), "import", str(tmp_path / "all.csv"),
                                      "--recording", str(call.id)], catch_exceptions=False)
    assert result.exit_code == 0, result.output  # the same ids: nothing added, nothing refused
    assert len(Store(sqlite_url(data / "annotate.sqlite")).list_events(call.id)) == 2


def test_the_json_holds_each_recordings_transcript(library, tmp_path):
    data, (call, quiet) = library
    doc = json.loads(export(data, tmp_path / "all.json"))
    by_id = {r["id"]: r for r in doc["recordings"]}
    assert [ln["text"] for ln in by_id[call.id]["transcript"]] == ["Hello, =SUM(A1)", "I'll take <it>"]
    assert by_id[call.id]["transcript"][1]["speaker"] == "Bo" and by_id[call.id]["transcript"][1]["start_s"] == 4.0
    assert "transcript" not in by_id[quiet.id]


def test_the_eaf_has_a_transcript_tier_that_elan_parsers_read(library, tmp_path):
    from lxml import etree

    data, (call, _) = library
    text = export(data, tmp_path / "call.eaf", "--recording", str(call.id))
    root = etree.fromstring(text.encode())
    slots = {s.get("TIME_SLOT_ID"): int(s.get("TIME_VALUE")) for s in root.iter("TIME_SLOT")}
    tier = root.find("TIER[@TIER_ID='transcript']")
    got = [(slots[a.get("TIME_SLOT_REF1")], slots[a.get("TIME_SLOT_REF2")], a.findtext("ANNOTATION_VALUE"))
           for a in tier.iter("ALIGNABLE_ANNOTATION")]
    assert got == [(500, 1500, "Ana: Hello, =SUM(A1)"), (4000, 6000, "Bo: I'll take <it>")]
    assert root.find("LINGUISTIC_TYPE[@LINGUISTIC_TYPE_ID='transcript']").get("TIME_ALIGNABLE") == "true"
    ids = [a.get("ANNOTATION_ID") for a in root.iter("ALIGNABLE_ANNOTATION")]
    assert len(ids) == len(set(ids))


def test_the_json_holds_each_recordings_comment_thread(library, tmp_path):
    data, (call, quiet) = library
    store = Store(sqlite_url(data / "annotate.sqlite"))
    store.comments.add(call.id, "listen here @bo", "Ana", at_s=4.0)
    doc = json.loads(export(data, tmp_path / "all.json"))
    by_id = {r["id"]: r for r in doc["recordings"]}
    [comment] = by_id[call.id]["comments"]
    assert (comment["author"], comment["text"], comment["at_s"], comment["mentions"]) == ("Ana", "listen here @bo",
                                                                                          4.0, ["bo"])
    assert "comments" not in by_id[quiet.id]
