"""``annotate suggest`` and the suggest job: computed once, read back, answered, queued when a recording is added."""

from __future__ import annotations

import json
import time

import pytest

from annotate import config
from annotate.cli import main
from annotate.jobs import kinds, queue
from annotate.store import Store
from annotate.testing.suggest_clips import make_scene_clip

CUTS = [20, 50, 90]
KEYS = {"start_s", "end_s", "type", "reason", "suggested_kind", "score"}


@pytest.fixture
def library(tmp_path, monkeypatch):
    for name in ("ANNOTATE_DB", "ANNOTATE_QUEUE"):
        monkeypatch.delenv(name, raising=False)
    data = tmp_path / "data"
    monkeypatch.setenv("ANNOTATE_DATA_DIR", str(data))
    clip = make_scene_clip(tmp_path / "checkout.mp4", n_frames=330, cuts=CUTS, still=(120, 300), fps=30)
    queue.reset()
    yield data, clip
    queue.reset()


def run(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_suggest_json_lists_the_moments_and_reads_them_back_without_analysing_again(library, capsys):
    data, clip = library
    assert run(capsys, "add", str(clip))[0] == 0
    code, out, err = run(capsys, "suggest", "--recording", "1", "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert all(KEYS <= set(r) for r in rows)
    cuts = [r for r in rows if r["type"] == "cut"]
    assert [round(r["start_s"] * 30) for r in cuts] == CUTS and all(r["end_s"] is None for r in cuts)
    (hold,) = [r for r in rows if r["type"] == "hold"]
    assert (hold["start_s"], hold["end_s"], hold["reason"]) == (4.0, 10.0, "screen still for 6 s")
    with Store.open(config.resolve()) as store:
        first = store.suggestions.run(1)["created_at"]
    assert json.loads(run(capsys, "suggest", "--recording", str(clip), "--json")[1]) == rows
    with Store.open(config.resolve()) as store:
        assert store.suggestions.run(1)["created_at"] == first  # read, not computed again
        assert store.event_counts().get(1, {}) in ({}, {"moment_of_truth": 0, "internal_interaction": 0,
                                                        "decision_point": 0})


def test_other_thresholds_find_the_moments_again(library, capsys, monkeypatch):
    _, clip = library
    run(capsys, "add", str(clip))
    assert len([r for r in json.loads(run(capsys, "suggest", "--recording", "1", "--json")[1]) if r["type"] == "hold"]) == 1
    monkeypatch.setenv("ANNOTATE_SUGGEST_HOLD_MIN_S", "7")
    rows = json.loads(run(capsys, "suggest", "--recording", "1", "--json")[1])
    assert [r for r in rows if r["type"] == "hold"] == []


def test_accept_and_dismiss_from_the_command_line(library, capsys):
    _, clip = library
    run(capsys, "add", str(clip))
    code, out, err = run(capsys, "suggest", "--recording", "1", "--reviewer", "ana", "--accept", "1-hold-4000", "--as", "MOT")
    assert code == 0 and "accepted 1-hold-4000 as MOT event" in err
    assert "[accepted]" in next(line for line in out.splitlines() if line.startswith("1-hold-4000"))
    listed = json.loads(run(capsys, "list", "--json")[1])
    assert listed[0]["event_counts"]["moment_of_truth"] == 1
    code, out, _ = run(capsys, "suggest", "--recording", "1", "--reviewer", "ana", "--dismiss", "1-cut-667", "--json")
    assert {r["id"]: r["state"] for r in json.loads(out)}["1-cut-667"] == "dismissed"
    other = json.loads(run(capsys, "suggest", "--recording", "1", "--reviewer", "bo", "--json")[1])
    assert {r["state"] for r in other} == {"open"}


@pytest.mark.parametrize("args, message", [
    (["--recording", "9"], "no recording matches '9'"),
    (["--recording", "1", "--dismiss", "nope"], "no suggestion 'nope'"),
    (["--recording", "1", "--as", "MOT"], "--as names the kind"),
])
def test_bad_requests_are_one_line_errors(library, capsys, args, message):
    _, clip = library
    run(capsys, "add", str(clip))
    code, _, err = run(capsys, "suggest", *args)
    assert code == 2 and message in err and "Traceback" not in err and err.count("Error:") == 1


def test_a_missing_video_file_is_a_one_line_error(library, capsys):
    _, clip = library
    run(capsys, "add", str(clip))
    clip.unlink()
    code, _, err = run(capsys, "suggest", "--recording", "1")
    assert code == 2 and "checkout.mp4" in err and "Traceback" not in err


def test_the_suggest_job_stores_the_moments(library, monkeypatch, capsys):
    _, clip = library
    run(capsys, "add", str(clip))
    monkeypatch.setenv("ANNOTATE_QUEUE", "inline")
    queue.reset()
    store = queue.store()
    job = kinds.submit_suggest(store, queue.settings(), 1)
    deadline = time.monotonic() + 120
    while not store.jobs.get(job.id).finished and time.monotonic() < deadline:
        time.sleep(0.1)
    done = store.jobs.get(job.id)
    assert (done.kind, done.state, done.error) == ("suggest", "done", "")
    assert [s.type for s in store.suggestions.list(1)].count("cut") == len(CUTS)


def test_annotate_add_with_a_queue_queues_the_suggest_and_preview_jobs(library, monkeypatch, capsys):
    _, clip = library
    monkeypatch.setenv("ANNOTATE_QUEUE", "sqlite")
    code, _, err = run(capsys, "add", str(clip))
    assert code == 0 and "queued the suggested moments, filmstrip and waveform of 1 recording" in err
    with Store.open(config.resolve()) as store:
        jobs = store.jobs.list()
        assert sorted((j.kind, j.recording_id, j.state) for j in jobs) == [("preview", 1, "queued"), ("suggest", 1, "queued")]
        assert store.suggestions.run(1) is None  # a worker makes them
