"""``annotate agreement``, ``assign`` and ``assignments`` through the real CLI on a real SQLite data directory."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import uuid

import pytest

from annotate.model import Event, Kind, Recording
from annotate.store import Store

MOT, INT, DEC = Kind.MOMENT_OF_TRUTH, Kind.INTERNAL_INTERACTION, Kind.DECISION_POINT


def annotate(data_dir, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANNOTATE_")}
    return subprocess.run([sys.executable, "-m", "annotate", "--data-dir", str(data_dir), *args],
                          capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture
def data_dir(tmp_path):
    """A data directory holding docs/agreement.md's worked example: recording 1 coded by ana and ben."""
    root = tmp_path / "data"
    root.mkdir()
    with Store(f"sqlite:///{root / 'annotate.sqlite'}") as store:
        rid = store.add_recording(Recording(path="/v/call.mp4", duration_s=10.0, content_hash=uuid.uuid4().hex)).id
        store.add_recording(Recording(path="/v/other.mp4", duration_s=5.0, content_hash=uuid.uuid4().hex))
        for who, rows in {"ana": [(MOT, 1.0, None, "Care", "phone"), (INT, 3.0, 5.0, "Care", "phone"),
                                  (DEC, 8.0, None, "Use", "web"), (MOT, 9.5, None, "Use", "web")],
                          "ben": [(MOT, 1.4, None, "Care", "phone"), (INT, 3.5, 6.2, "Care", "email"),
                                  (DEC, 6.5, None, "Use", "web"), (MOT, 9.8, None, "Buy-In", "web")]}.items():
            for kind, start, end, stage, channel in rows:
                store.add_event(Event(kind, start, rid, end_s=end, stage=stage, channel=channel), reviewer=who)
    return root


def test_agreement_json_gives_the_worked_example(data_dir):
    done = annotate(data_dir, "agreement", "--recording", "1", "--coders", "ana,ben", "--json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["coders"] == {"a": "ana", "b": "ben"} and out["recordings"] == [1]
    assert out["overall"]["f1"] == 0.75 and out["overall"]["f1_exact"] == "3/4"
    assert (out["overall"]["median_offset_s"], out["overall"]["p95_offset_s"]) == (0.4, 0.49)
    assert out["slices"]["kappa_exact"] == "4/7" and out["slices"]["chance_exact"] == "3/10"
    assert out["fields"]["stage"]["kappa_exact"] == "2/5" and out["fields"]["channel"]["kappa_exact"] == "1/2"
    assert len(out["pairs"]) == 3 and len(out["only_a"]) == len(out["only_b"]) == 1


def test_agreement_text_report(data_dir):
    done = annotate(data_dir, "agreement", "--recording", "1", "--coders", "ana,ben", "--tolerance", "2")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "ben against ana on 1 recording (tolerance 2 s, slices 1 s)"
    assert lines[-4].split() == ["all", "4", "0", "0", "1.000", "1.000", "1.000", "0.450", "1.350"]
    assert lines[-3] == "time slices: kappa 0.571 (observed 0.700, chance 0.300, 10 units)"


@pytest.mark.parametrize(("args", "message"), [
    (["--coders", "ana,zed"], "Error: no coder 'zed' on recording 1; the coders there are: ana, ben"),
    (["--coders", "ana"], "does not name two different coders"),
    (["--coders", "ana,ana"], "does not name two different coders"),
    (["--coders", "ana,ben", "--tolerance", "-1"], "the tolerance -1.0 s is not usable"),
    (["--coders", "ana,ben", "--slice", "0"], "the slice 0.0 s is not usable"),
])
def test_agreement_user_errors_are_one_line(data_dir, args, message):
    done = annotate(data_dir, "agreement", "--recording", "1", *args)
    assert done.returncode == 2 and message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_an_unknown_recording_is_one_line(data_dir):
    done = annotate(data_dir, "agreement", "--recording", "42", "--coders", "ana,ben")
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1 and "42" in done.stderr


def test_assign_list_and_move_through_the_workflow(data_dir):
    done = annotate(data_dir, "assign", "--recording", "1", "--recording", "2", "--to", "ana", "--to", "ben")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["recording 1: ana assigned (new)", "recording 1: ben assigned (new)",
                                        "recording 2: ana assigned (new)", "recording 2: ben assigned (new)"]
    assert "already assigned" in annotate(data_dir, "assign", "--recording", "1", "--to", "ana").stdout
    assert annotate(data_dir, "assign", "--recording", "1", "--to", "ana", "--status", "submitted").returncode == 0
    refused = annotate(data_dir, "assign", "--recording", "1", "--to", "ana", "--status", "returned")
    assert refused.returncode == 2 and "needs a note" in refused.stderr
    moved = annotate(data_dir, "assign", "--recording", "1", "--to", "ana", "--status", "returned", "--note", "DEC?")
    assert moved.stdout.strip() == "recording 1: ana returned"
    listed = json.loads(annotate(data_dir, "assignments", "--json").stdout)
    assert [(a["recording"], a["reviewer"], a["status"], a["note"]) for a in listed] == [
        (1, "ana", "returned", "DEC?"), (1, "ben", "new", ""), (2, "ana", "new", ""), (2, "ben", "new", "")]
    text = annotate(data_dir, "assignments", "--reviewer", "ben").stdout.splitlines()
    assert text[-1] == "ben: 0 of 2 submitted or approved, 0 approved"
    with sqlite3.connect(data_dir / "annotate.sqlite") as conn:
        steps = conn.execute("SELECT action, reviewer FROM change_log WHERE entity = 'assignment' ORDER BY id").fetchall()
    assert [a for a, _ in steps] == ["create"] * 4 + ["update", "update"] and steps[0][1].startswith("cli")


def test_assignments_when_there_are_none(data_dir):
    assert annotate(data_dir, "assignments").stdout.startswith("no assignments")
    assert json.loads(annotate(data_dir, "assignments", "--json").stdout) == []


def test_consensus_from_the_cli_with_defaults_and_overrides(data_dir, tmp_path):
    report = json.loads(annotate(data_dir, "agreement", "--recording", "1", "--coders", "ana,ben", "--json").stdout)
    (dec_a,), (dec_b,) = report["only_a"], report["only_b"]
    decisions = tmp_path / "decisions.json"
    decisions.write_text(json.dumps([{"a": report["pairs"][0]["a"], "b": report["pairs"][0]["b"], "action": "merge"},
                                     {"a": None, "b": dec_b, "action": "drop"}]))
    done = annotate(data_dir, "consensus", "--recording", "1", "--coders", "ana,ben", "--decisions", str(decisions),
                    "--as", "lead")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "consensus of ana,ben: the recording's events are now the 4 consensus events"
    with Store(f"sqlite:///{data_dir / 'annotate.sqlite'}") as store:
        live = store.list_events(1)
        assert [(e.kind, e.start_s, e.reviewer) for e in live] == [
            (MOT, 1.2, "lead"), (INT, 3.0, "lead"), (DEC, 8.0, "lead"), (MOT, 9.5, "lead")]
        assert dec_a not in {e.id for e in live}  # a new event in the consensus, A's own kept in A's set
        assert dec_a in {e.id for e in store.consensus.coder_events(1, "ana")}
    again = json.loads(annotate(data_dir, "agreement", "--recording", "1", "--coders", "ana,ben", "--json").stdout)
    assert again["overall"] == report["overall"]  # the coders' sets are unchanged by their consensus


@pytest.mark.parametrize(("content", "message"), [
    ("[{", "--decisions is not JSON"),
    ('{"a": 1}', "must be a JSON list"),
    ('[{"a": "nope", "b": null, "action": "drop"}]', "no matched pair or unmatched event"),
    ('[{"a": null, "b": null, "action": "keep"}]', "no matched pair"),
])
def test_consensus_refuses_bad_decisions_in_one_line(data_dir, tmp_path, content, message):
    decisions = tmp_path / "decisions.json"
    decisions.write_text(content)
    done = annotate(data_dir, "consensus", "--recording", "1", "--coders", "ana,ben", "--decisions", str(decisions))
    assert done.returncode == 2 and message in done.stderr and len(done.stderr.strip().splitlines()) == 1
    with Store(f"sqlite:///{data_dir / 'annotate.sqlite'}") as store:
        assert len(store.list_events(1)) == 8
