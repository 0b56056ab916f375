"""The 15 diagnostics metrics, each against a value computed by hand (working in the comments)."""

from __future__ import annotations

import math

import pytest

from annotate.errors import ValidationError
from annotate.maps import METRICS, metrics
from annotate.model import Codebook, Event, Kind, Recording, Status

MOT, INT, DEC = Kind.MOMENT_OF_TRUTH, Kind.INTERNAL_INTERACTION, Kind.DECISION_POINT
STAGES = Codebook().stages


def fixture():
    """Recording 1 (300 s, reviewed), recording 2 (120 s, new), recording 3 (60 s, no events).

    1:  5 MOT frontline Awareness +1 | 20 DEC customer Buy-In 0 | 30-40 INT back office Buy-In |
        100 INT system Acquisition | 110 MOT customer Acquisition -2 | 150 DEC customer Care |
        180 MOT frontline Share -1            waits: 15, 10, 60, 10, 40, 30
    2:  10 INT back office Awareness | 40 MOT frontline Awareness +2 | 100 MOT customer Acquisition (unrated)
                                              waits: 30, 60
    """
    recs = [
        Recording(path="one.mp4", title="one", id=1, duration_s=300, status=Status.REVIEWED),
        Recording(path="two.mp4", title="two", id=2, duration_s=120, status=Status.NEW),
        Recording(path="three.mp4", title="three", id=3, duration_s=60, status=Status.NEW),
    ]
    rows = [
        (1, MOT, 5, None, "Greeting", "frontline", "Awareness", 1),
        (1, DEC, 20, None, "Choose product", "customer", "Buy-In", 0),
        (1, INT, 30, 40, "Lookup", "back office", "Buy-In", None),
        (1, INT, 100, None, "Hand-off", "system", "Acquisition", None),
        (1, MOT, 110, None, "Form error", "customer", "Acquisition", -2),
        (1, DEC, 150, None, "Continue", "customer", "Care", None),
        (1, MOT, 180, None, "Confirmation", "frontline", "Share", -1),
        (2, INT, 10, None, "Lookup", "back office", "Awareness", None),
        (2, MOT, 40, None, "Greeting", "frontline", "Awareness", 2),
        (2, MOT, 100, None, "Payment accepted", "customer", "Acquisition", None),
    ]
    events = [Event(kind=k, start_s=s, end_s=e, label=label, actor=a, stage=st, emotion=emo, recording_id=rid)
              for rid, k, s, e, label, a, st, emo in rows]
    return recs, events[::-1]


def row(frame, key, value):
    matches = frame[frame[key] == value]
    assert len(matches) == 1
    return matches.iloc[0]


@pytest.fixture
def by_recording():
    recs, events = fixture()
    return metrics(events, recs, Codebook(), by="recording")


@pytest.fixture
def selection():
    recs, events = fixture()
    return metrics(events, recs[:2], Codebook(), by="selection").iloc[0]


# --- per recording ----------------------------------------------------------------


def test_01_03_counts_per_kind(by_recording):
    one, two = row(by_recording, "recording_id", 1), row(by_recording, "recording_id", 2)
    assert (one.mot_count, one.int_count, one.dec_count, one.events) == (3, 2, 2, 7)
    assert (two.mot_count, two.int_count, two.dec_count) == (2, 1, 0)


def test_04_events_per_minute(by_recording):
    assert row(by_recording, "recording_id", 1).events_per_min == pytest.approx(7 / 5)  # 7 events / 5 min
    assert row(by_recording, "recording_id", 2).events_per_min == pytest.approx(3 / 2)
    assert row(by_recording, "recording_id", 3).events_per_min == 0.0


def test_05_time_to_first_mot(by_recording):
    assert row(by_recording, "recording_id", 1).time_to_first_mot_s == 5
    assert row(by_recording, "recording_id", 2).time_to_first_mot_s == 40
    assert math.isnan(row(by_recording, "recording_id", 3).time_to_first_mot_s)


def test_06_median_wait(by_recording):
    assert row(by_recording, "recording_id", 1).median_wait_s == 22.5  # 10 10 15 | 30 40 60
    assert row(by_recording, "recording_id", 2).median_wait_s == 45  # 30, 60
    assert math.isnan(row(by_recording, "recording_id", 3).median_wait_s)


def test_07_longest_wait_and_where(by_recording):
    one = row(by_recording, "recording_id", 1)
    assert one.longest_wait_s == 60  # from the end of the 30-40 s Lookup to 100 s
    assert one.longest_wait_where == "after step 3 (INT Lookup) at 0:40"
    two = row(by_recording, "recording_id", 2)
    assert (two.longest_wait_s, two.longest_wait_where) == (60, "after step 2 (MOT Greeting) at 0:40")


def test_08_int_per_mot(by_recording):
    assert row(by_recording, "recording_id", 1).int_per_mot == pytest.approx(2 / 3, abs=1e-4)
    assert row(by_recording, "recording_id", 2).int_per_mot == 0.5
    assert math.isnan(row(by_recording, "recording_id", 3).int_per_mot)


def test_09_handoffs(by_recording):
    # frontline>customer>back office>system>customer=customer>frontline: 5 changes
    assert row(by_recording, "recording_id", 1).handoffs == 5
    assert row(by_recording, "recording_id", 2).handoffs == 2


def test_09_blank_actor_is_no_handoff():
    recs, events = fixture()
    events = [e.replace(actor="") if e.recording_id == 2 and e.start_s == 40 else e for e in events]
    assert row(metrics(events, recs, by="recording"), "recording_id", 2).handoffs == 0


def test_10_mean_emotion_at_mot(by_recording):
    assert row(by_recording, "recording_id", 1).mean_emotion_at_mot == pytest.approx(-2 / 3, abs=1e-4)  # (1-2-1)/3
    assert row(by_recording, "recording_id", 2).mean_emotion_at_mot == 2  # the unrated MOT does not count


def test_11_pain_and_gain_shares(by_recording):
    one = row(by_recording, "recording_id", 1)
    assert one.mot_pain_share == pytest.approx(2 / 3, abs=1e-4)  # -2 and -1 of three rated
    assert one.mot_gain_share == pytest.approx(1 / 3, abs=1e-4)
    two = row(by_recording, "recording_id", 2)
    assert (two.mot_pain_share, two.mot_gain_share) == (0, 1)


def test_12_emotion_change_first_to_last_mot(by_recording):
    assert row(by_recording, "recording_id", 1).mot_emotion_change == -2  # +1 -> -1
    assert row(by_recording, "recording_id", 2).mot_emotion_change == 0  # one rated MOT


def test_13_time_per_stage(by_recording):
    one = row(by_recording, "recording_id", 1)
    times = {s: one[f"time_in_stage_s:{s}"] for s in STAGES}
    assert times == {"Awareness": 15, "Buy-In": 80, "Acquisition": 50, "Care": 30, "Use": 0, "Share": 120}
    two = row(by_recording, "recording_id", 2)
    assert (two["time_in_stage_s:Awareness"], two["time_in_stage_s:Acquisition"]) == (90, 20)


def test_14_stages_without_mot(by_recording):
    one = row(by_recording, "recording_id", 1)
    assert (one.stages_without_mot, one.stages_without_mot_names) == (3, "Buy-In, Care, Use")
    assert one.mot_stage_coverage == 0.5
    two = row(by_recording, "recording_id", 2)
    assert (two.stages_without_mot, two.stages_without_mot_names) == (4, "Buy-In, Care, Use, Share")
    assert two.mot_stage_coverage == pytest.approx(2 / 6, abs=1e-4)


def test_15_reviewed_share(by_recording):
    assert row(by_recording, "recording_id", 1).reviewed_share == 1
    assert row(by_recording, "recording_id", 2).reviewed_share == 0


def test_every_documented_metric_has_a_column(by_recording):
    assert len(METRICS) == 15
    for _, column, _ in METRICS:
        if column.endswith("<stage>"):
            assert any(c.startswith("time_in_stage_s:") for c in by_recording.columns)
        else:
            assert column in by_recording.columns


# --- across a selection -------------------------------------------------------------


def test_selection_pools_the_recordings(selection):
    s = selection
    assert (s.recordings, s.events, s.mot_count, s.int_count, s.dec_count) == (2, 10, 5, 3, 2)
    assert s.events_per_min == pytest.approx(10 / 7, abs=1e-4)  # 10 events / 420 s
    assert s.time_to_first_mot_s == 22.5  # median of 5 and 40
    assert s.median_wait_s == 30  # 10 10 15 30 | 30 40 60 60
    assert (s.longest_wait_s, s.longest_wait_where) == (60, "#1 after step 3 (INT Lookup) at 0:40")
    assert s.int_per_mot == 0.6
    assert s.handoffs == 7
    assert s.mean_emotion_at_mot == 0  # 1 -2 -1 +2
    assert (s.mot_pain_share, s.mot_gain_share) == (0.5, 0.5)
    assert s.mot_emotion_change == -1  # mean of -2 and 0
    assert s["time_in_stage_s:Awareness"] == 105 and s["time_in_stage_s:Acquisition"] == 70
    assert (s.stages_without_mot, s.stages_without_mot_names) == (3, "Buy-In, Care, Use")
    assert s.mot_stage_coverage == pytest.approx(5 / 12, abs=1e-4)
    assert s.reviewed_share == 0.5


# --- per stage ------------------------------------------------------------------------


def test_by_stage_awareness():
    recs, events = fixture()
    frame = metrics(events, recs[:2], Codebook(), by="stage")
    assert frame["stage"].tolist() == STAGES
    a = row(frame, "stage", "Awareness")
    assert (a.events, a.mot_count, a.int_count, a.dec_count) == (3, 2, 1, 0)
    assert a.time_in_stage_s == 105  # 15 + 90
    assert a.events_per_min == pytest.approx(3 / 1.75, abs=1e-4)
    assert a.time_to_first_mot_s == 15  # from each stage's start: 0 and 30
    assert a.median_wait_s == 30  # waits after Awareness events: 15 | 30, 60
    assert (a.longest_wait_s, a.longest_wait_where) == (60, "#2 after step 2 (MOT Greeting) at 0:40")
    assert a.int_per_mot == 0.5
    assert a.handoffs == 3
    assert a.mean_emotion_at_mot == 1.5
    assert (a.mot_pain_share, a.mot_gain_share, a.mot_emotion_change) == (0, 1, 0)
    assert (a.stages_without_mot, a.mot_stage_coverage) == (0, 1)
    assert a.reviewed_share == 0.5


def test_by_stage_without_mot_and_empty_stage():
    recs, events = fixture()
    frame = metrics(events, recs[:2], Codebook(), by="stage")
    b = row(frame, "stage", "Buy-In")
    assert (b.events, b.mot_count, b.int_count, b.dec_count, b.time_in_stage_s) == (2, 0, 1, 1, 80)
    assert math.isnan(b.time_to_first_mot_s) and math.isnan(b.int_per_mot) and math.isnan(b.mean_emotion_at_mot)
    assert (b.median_wait_s, b.longest_wait_s) == (35, 60)
    assert b.handoffs == 2
    assert (b.stages_without_mot, b.stages_without_mot_names, b.mot_stage_coverage) == (1, "Buy-In", 0)
    assert b.reviewed_share == 1  # only recording 1 has Buy-In events
    u = row(frame, "stage", "Use")
    assert (u.events, u.handoffs, u.time_in_stage_s, u.stages_without_mot) == (0, 0, 0, 1)
    assert math.isnan(u.events_per_min) and math.isnan(u.reviewed_share)


def test_by_stage_lists_unstaged_events_last():
    recs, events = fixture()
    events = [e.replace(stage="") if e.label == "Continue" else e for e in events]
    frame = metrics(events, recs, by="stage")
    assert frame["stage"].tolist()[-1] == "(no stage)"
    assert row(frame, "stage", "(no stage)").dec_count == 1


# --- per kind -------------------------------------------------------------------------


def test_by_kind():
    recs, events = fixture()
    frame = metrics(events, recs[:2], Codebook(), by="kind")
    assert frame["kind"].tolist() == ["MOT", "INT", "DEC"]
    m, i, d = (row(frame, "kind", k) for k in ("MOT", "INT", "DEC"))
    assert (m["count"], i["count"], d["count"]) == (5, 3, 2)
    assert (m.share_of_events, i.share_of_events) == (0.5, 0.3)
    assert m.events_per_min == pytest.approx(5 / 7, abs=1e-4)
    assert (m.time_to_first_s, i.time_to_first_s, d.time_to_first_s) == (22.5, 20, 20)
    # waits between consecutive MOTs: 105, 70 (rec 1) and 60 (rec 2)
    assert (m.median_wait_s, m.longest_wait_s) == (70, 105)
    assert m.longest_wait_where == "#1 after step 1 (MOT Greeting) at 0:05"
    assert (i.median_wait_s, d.median_wait_s) == (60, 130)
    assert (m.per_mot, i.per_mot, d.per_mot) == (1, 0.6, 0.4)
    assert (m.handoffs, i.handoffs, d.handoffs) == (3, 1, 0)
    assert (m.mean_emotion, m.pain_share, m.gain_share, m.emotion_change) == (0, 0.5, 0.5, -1)
    assert (d.mean_emotion, d.pain_share, d.gain_share) == (0, 0, 0)
    assert math.isnan(i.mean_emotion)
    assert (m.stages_without, i.stages_without, d.stages_without) == (3, 3, 4)
    assert i.stages_without_names == "Care, Use, Share"
    assert (i.stage_coverage, d.stage_coverage) == (0.25, pytest.approx(2 / 12, abs=1e-4))
    assert (m.reviewed_share, d.reviewed_share) == (0.5, 1)


def test_unknown_grouping_is_refused():
    recs, events = fixture()
    with pytest.raises(ValidationError, match="recording, stage, kind or selection"):
        metrics(events, recs, by="actor")


def test_empty_selection_gives_empty_tables():
    assert len(metrics([], [], by="recording")) == 0
    sel = metrics([], [], by="selection").iloc[0]
    assert sel.events == 0 and math.isnan(sel.events_per_min)
