"""Agreement between two codings: docs/agreement.md's worked example exactly, the limiting cases, and the
vectorised matcher against the plain nested loop on random and tie-heavy codings."""

from __future__ import annotations

import random
import re
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from annotate.agreement import (
    code_name, coding_from_columns, coding_from_events, cohen_kappa, compare, empty_coding, match_events,
    slice_codes,
)
from annotate.agreement.kappa import slice_counts
from annotate.agreement.reference import match_loop
from annotate.errors import ValidationError
from annotate.model import Event, Kind

MOT, INT, DEC = Kind.MOMENT_OF_TRUTH, Kind.INTERNAL_INTERACTION, Kind.DECISION_POINT
DOC = Path(__file__).resolve().parents[1] / "docs" / "agreement.md"


def ev(kind, start, end=None, stage="", channel="", rec=1, id=None):
    return Event(kind, start, rec, end_s=end, stage=stage, channel=channel, **({"id": id} if id else {}))


def worked_example():
    a = [ev(MOT, 1.0, None, "Care", "phone"), ev(INT, 3.0, 5.0, "Care", "phone"), ev(DEC, 8.0, None, "Use", "web"),
         ev(MOT, 9.5, None, "Use", "web")]
    b = [ev(MOT, 1.4, None, "Care", "phone"), ev(INT, 3.5, 6.2, "Care", "email"), ev(DEC, 6.5, None, "Use", "web"),
         ev(MOT, 9.8, None, "Buy-In", "web")]
    return a, b


def test_the_worked_example_of_the_docs_exactly():
    a, b = worked_example()
    report = compare(coding_from_events(a), coding_from_events(b), 1.0, 1.0, durations_s={1: 10.0})
    o = report.overall
    assert (o.matched, o.only_a, o.only_b) == (3, 1, 1)
    assert o.precision == o.recall == o.f1 == Fraction(3, 4)
    assert (o.median_offset_s, o.p95_offset_s) == (0.4, 0.49)
    kinds = {s.kind: (s.matched, s.only_a, s.only_b, s.f1) for s in report.by_kind}
    assert kinds == {"moment_of_truth": (2, 0, 0, 1), "internal_interaction": (1, 0, 0, 1),
                     "decision_point": (0, 1, 1, 0)}
    k = report.slices
    assert (k.units, k.observed, k.chance, k.kappa) == (10, Fraction(7, 10), Fraction(3, 10), Fraction(4, 7))
    assert report.confusion["none"] == {"none": 3, "INT": 1, "INT+DEC": 1}
    assert report.confusion["DEC"] == {"none": 1}
    stage, channel = report.fields["stage"], report.fields["channel"]
    assert (stage.observed, stage.chance, stage.kappa) == (Fraction(2, 3), Fraction(4, 9), Fraction(2, 5))
    assert (channel.observed, channel.chance, channel.kappa) == (Fraction(2, 3), Fraction(1, 3), Fraction(1, 2))
    assert [(p[0], p[1]) for p in report.pairs] == [(a[0].id, b[0].id), (a[1].id, b[1].id), (a[3].id, b[3].id)]
    assert report.only_a == [a[2].id] and report.only_b == [b[2].id]
    out = report.to_dict()
    assert out["slices"]["kappa"] == 0.571429 and out["slices"]["kappa_exact"] == "4/7"
    assert out["overall"]["f1"] == 0.75


def test_the_docs_state_the_figures_the_test_checks():
    text = DOC.read_text()
    for figure in ("6/8 = **0.75**", "median **0.4 s**", "**0.49 s**", "4/7 = **0.571429**",
                   "κ = (2/3 − 4/9) / (5/9) = **2/5**",
                   "**1/2**", "*p*<sub>o</sub> = 7/10", "30/100 = 3/10"):
        assert figure in text, figure
    assert re.search(r"\| B \| INT \| 3\.5 \| 6\.2 \|", text)


def test_slices_of_the_worked_example_by_name():
    a, b = worked_example()
    counts = slice_counts({1: 10_000}, 1000)
    names_a = [code_name(int(c)) for c in slice_codes(coding_from_events(a), counts, 1000)]
    names_b = [code_name(int(c)) for c in slice_codes(coding_from_events(b), counts, 1000)]
    assert names_a == ["none", "MOT", "none", "INT", "INT", "none", "none", "none", "DEC", "MOT"]
    assert names_b == ["none", "MOT", "none", "INT", "INT", "INT", "INT+DEC", "none", "none", "MOT"]


def spaced_coding(rec_count=3, per=12, gap=4.0):
    """Events at least ``gap`` s apart within each kind, a mix of points and durations."""
    kinds = [MOT, INT, DEC]
    return [ev(kinds[i % 3], 2.0 + i * gap, (2.0 + i * gap + 1.5) if i % 2 else None, "Care", "phone", rec=r)
            for r in range(1, rec_count + 1) for i in range(per)]


def test_identical_codings_agree_completely():
    events = spaced_coding()
    a = coding_from_events(events)
    report = compare(a, coding_from_events(events), durations_s={1: 60.0, 2: 60.0, 3: 60.0})
    assert report.overall.f1 == 1 and report.overall.matched == len(events)
    assert all(s.f1 == 1 for s in report.by_kind)
    assert report.slices.kappa == 1 and report.slices.chance > 0
    assert report.overall.median_offset_s == 0.0 and report.overall.p95_offset_s == 0.0


def test_codings_that_never_overlap_score_zero():
    a = coding_from_events([ev(MOT, t) for t in (1.0, 20.0, 40.0)] + [ev(INT, 5.0, 8.0)])
    b = coding_from_events([ev(MOT, t) for t in (10.0, 30.0)] + [ev(DEC, 5.0, 8.0)])  # same time, other kind
    report = compare(a, b, 1.0, durations_s={1: 50.0})
    assert report.overall.matched == 0 and report.overall.f1 == 0
    assert (report.overall.only_a, report.overall.only_b) == (4, 3)
    assert report.overall.median_offset_s is None
    # Same code only where neither coded anything: 42 of 50 slices; chance (44*45 + 3*2) / 2500
    assert report.slices.observed == Fraction(42, 50) and report.slices.chance == Fraction(1986, 2500)
    assert report.slices.kappa == Fraction(2100 - 1986, 2500 - 1986)
    assert report.fields["stage"].units == 0 and report.fields["stage"].kappa is None


@pytest.mark.parametrize(("shift", "f1"), [(0.999, 1), (-1.0, 1), (1.0, 1), (1.001, 0), (-1.2, 0), (0.5, 1)])
def test_a_shift_within_the_tolerance_keeps_f1_and_beyond_it_drops_it(shift, f1):
    events = spaced_coding()
    shifted = [e.replace(start_s=round(e.start_s + shift, 3),
                         end_s=None if e.end_s is None else round(e.end_s + shift, 3)) for e in events]
    report = compare(coding_from_events(events), coding_from_events(shifted), tolerance_s=1.0)
    assert report.overall.f1 == f1
    if f1:
        assert report.overall.median_offset_s == abs(shift)


def test_kappa_by_hand_with_chance_above_zero():
    # 8 units. A: x x x x y y z z ; B: x x x y y y z x
    a = np.array([0, 0, 0, 0, 1, 1, 2, 2])
    b = np.array([0, 0, 0, 1, 1, 1, 2, 0])
    k = cohen_kappa(a, b)
    # agree at units 0,1,2,4,5,6 -> 6/8; A counts x4 y2 z2, B counts x4 y3 z1 -> (16 + 6 + 2) / 64 = 24/64
    assert k.observed == Fraction(6, 8) and k.chance == Fraction(24, 64)
    assert k.kappa == (Fraction(6, 8) - Fraction(24, 64)) / (1 - Fraction(24, 64)) == Fraction(3, 5)


def test_kappa_with_one_category_throughout_is_undefined_not_one():
    k = cohen_kappa(np.zeros(5, int), np.zeros(5, int))
    assert (k.observed, k.chance, k.kappa) == (1, 1, None)
    assert cohen_kappa(np.zeros(0, int), np.zeros(0, int)).units == 0
    with pytest.raises(ValueError):
        cohen_kappa(np.zeros(2, int), np.zeros(3, int))


def test_closest_pair_first_not_first_come():
    # A's first MOT is 0.6 s from B's only MOT, A's second 0.2 s: the closer one is matched.
    a = [ev(MOT, 10.0, id="a1"), ev(MOT, 10.8, id="a2")]
    b = [ev(MOT, 10.6, id="b1")]
    report = compare(coding_from_events(a), coding_from_events(b))
    assert report.pairs == [("a2", "b1", -0.2)] and report.only_a == ["a1"]


def test_equal_distances_break_ties_by_rank_deterministically():
    a = [ev(MOT, 5.0, id="a1")]
    b = [ev(MOT, 4.5, id="b2"), ev(MOT, 5.5, id="b1")]
    for order in (b, b[::-1]):
        report = compare(coding_from_events(a), coding_from_events(order))
        assert report.pairs == [("a1", "b2", -0.5)]  # B ranks by start first: 4.5 before 5.5


def test_a_recording_and_kind_never_match_across():
    a = coding_from_events([ev(MOT, 1.0, rec=1), ev(INT, 3.0, rec=1)])
    b = coding_from_events([ev(MOT, 1.0, rec=2), ev(DEC, 3.0, rec=1)])
    assert len(match_events(a, b, 1000)) == 0


def random_codings(seed, recs, per, jitter_ms, grid_ms=1):
    rnd = random.Random(seed)
    kinds = [MOT, INT, DEC]
    a, b = [], []
    for rec in range(1, recs + 1):
        for i in range(per):
            kind, start = rnd.choice(kinds), rnd.randrange(0, 60_000 // grid_ms) * grid_ms
            a.append(ev(kind, start / 1000, rec=rec, id=f"a{rec}-{i}"))
            if rnd.random() < 0.8:
                moved = max(0, start + rnd.randrange(-jitter_ms // grid_ms, jitter_ms // grid_ms + 1) * grid_ms)
                b.append(ev(kind if rnd.random() < 0.9 else rnd.choice(kinds), moved / 1000, rec=rec,
                            id=f"b{rec}-{i}"))
    return coding_from_events(a), coding_from_events(b)


@pytest.mark.parametrize("grid_ms", [1, 500])  # 500: many equal distances, the tie-break decides
@pytest.mark.parametrize("seed", range(6))
def test_the_vectorised_matching_is_the_nested_loop_matching(seed, grid_ms):
    a, b = random_codings(seed, recs=4, per=40, jitter_ms=2500, grid_ms=grid_ms)
    for tol in (0, 500, 1000, 2000):
        m = match_events(a, b, tol)
        assert list(zip(m.a.tolist(), m.b.tolist(), m.offset_ms.tolist())) == match_loop(a, b, tol)


def test_empty_codings_and_bad_settings():
    report = compare(empty_coding(), empty_coding())
    assert report.overall.f1 is None and report.slices.units == 0
    a = coding_from_events([ev(MOT, 1.0)])
    report = compare(a, empty_coding(), durations_s={1: 3.0})
    assert report.overall.recall == 0 and report.overall.precision is None and report.slices.units == 3
    for bad in ({"tolerance_s": -1}, {"slice_s": 0}, {"tolerance_s": float("nan")}, {"slice_s": 0.0001}):
        with pytest.raises(ValidationError):
            compare(a, a, **bad)
    with pytest.raises(ValidationError, match="recording_id"):
        coding_from_columns({"kind": [], "start_s": []})


def test_slices_run_to_the_duration_and_clamp_events_at_its_end():
    a = coding_from_events([ev(MOT, 10.0), ev(INT, 8.5, 12.0)])  # a point at the very end; an event past it
    codes = slice_codes(a, slice_counts({1: 10_000}, 1000), 1000)
    assert [code_name(int(c)) for c in codes[-3:]] == ["none", "INT", "MOT+INT"]
    assert slice_counts({1: 10_001, 2: 0}, 1000) == {1: 11, 2: 1}


def test_a_chain_of_equal_distances_takes_many_rounds_and_still_equals_the_loop():
    # A at 0, 0.9, 1.8, ... and B halfway between: every candidate is 0.45 s away, each pair pre-empts the next.
    n = 3 * 20
    rec = [i // 20 + 1 for i in range(n)]
    kinds = ["moment_of_truth"] * n
    a = coding_from_columns({"id": [f"a{i:03d}" for i in range(n)], "recording_id": rec, "kind": kinds,
                             "start_s": [round((i % 20) * 0.9, 3) for i in range(n)]})
    b = coding_from_columns({"id": [f"b{i:03d}" for i in range(n)], "recording_id": rec, "kind": kinds,
                             "start_s": [round((i % 20) * 0.9 + 0.45, 3) for i in range(n)]})
    m = match_events(a, b, 1000)
    assert len(m) == n and set(m.offset_ms.tolist()) == {450}
    assert list(zip(m.a.tolist(), m.b.tolist(), m.offset_ms.tolist())) == match_loop(a, b, 1000)
