"""The model and the timebase: kinds, validation, codebook, exact time."""

from fractions import Fraction

import pytest

from annotate.errors import UnknownKindError, ValidationError
from annotate.model import KINDS, Codebook, CodeLabel, Event, Kind, fold_key, fold_name, parse_emotion, parse_kind, validate_event
from annotate.timebase import format_timecode, frame_index, parse_time, time_to_ms, to_fraction


@pytest.mark.parametrize(
    "text, kind",
    [
        ("moment_of_truth", Kind.MOMENT_OF_TRUTH),
        ("MOT", Kind.MOMENT_OF_TRUTH),
        ("Moment of Truth", Kind.MOMENT_OF_TRUTH),
        ("red", Kind.MOMENT_OF_TRUTH),
        ("INT", Kind.INTERNAL_INTERACTION),
        ("internal-interaction", Kind.INTERNAL_INTERACTION),
        ("#1f77b4", Kind.INTERNAL_INTERACTION),
        ("dec", Kind.DECISION_POINT),
        (" Decision point ", Kind.DECISION_POINT),
        ("green", Kind.DECISION_POINT),
    ],
)
def test_parse_kind_aliases(text, kind):
    assert parse_kind(text) is kind


def test_unknown_kind_message_names_the_choices():
    with pytest.raises(UnknownKindError, match="unknown kind 'purple'.*moment_of_truth"):
        parse_kind("purple")


def test_kinds_follow_design_palette_and_short_names():
    assert [(k.value, k.short, k.color) for k in KINDS] == [
        ("moment_of_truth", "MOT", "#D62728"),
        ("internal_interaction", "INT", "#1F77B4"),
        ("decision_point", "DEC", "#2CA02C"),
    ]
    assert len({k.marker for k in KINDS}) == 3


def test_validate_event_rounds_and_checks():
    ev = validate_event(Event(kind="MOT", start_s=1.23456, end_s="2.5", emotion="-2", label="  x\x00y "))
    assert ev.kind is Kind.MOMENT_OF_TRUTH and ev.start_s == 1.235 and ev.end_s == 2.5
    assert ev.emotion == -2 and ev.label == "xy"


@pytest.mark.parametrize(
    "event, duration, message",
    [
        (Event(kind="MOT", start_s=-1), None, "negative"),
        (Event(kind="MOT", start_s=5, end_s=4), None, "before start_s"),
        (Event(kind="MOT", start_s=11), 10.0, "outside the recording"),
        (Event(kind="MOT", start_s=1, end_s=10.5), 10.0, "outside the recording"),
        (Event(kind="MOT", start_s=1, emotion=3), None, "outside -2..2"),
        (Event(kind="MOT", start_s=1, emotion=1.5), None, "outside -2..2"),
        (Event(kind="MOT", start_s="soon"), None, "not a number"),
        (Event(kind="blue-ish", start_s=1), None, "unknown kind"),
    ],
)
def test_validate_event_rejects(event, duration, message):
    with pytest.raises(ValidationError, match=message):
        validate_event(event, duration)


def test_event_at_last_frame_time_is_inside():
    assert validate_event(Event(kind="DEC", start_s=10.0), 10.0).start_s == 10.0


def test_emotion_blank_is_none():
    assert parse_emotion("") is None and parse_emotion(None) is None and parse_emotion("+1") == 1


def test_codebook_defaults_and_round_trip():
    book = Codebook()
    assert book.stages == ["Awareness", "Buy-In", "Acquisition", "Care", "Use", "Share"]
    assert {k: book.hotkeys[k] for k in KINDS} == {
        Kind.MOMENT_OF_TRUTH: "M", Kind.INTERNAL_INTERACTION: "I", Kind.DECISION_POINT: "D"}
    book.labels[Kind.DECISION_POINT].append(CodeLabel("Pay later", "p"))
    assert Codebook.from_dict(book.to_dict()) == book


@pytest.mark.parametrize(
    "data, message",
    [
        ({"hotkeys": {"MOT": "I"}}, "used by both"),
        ({"hotkeys": {"MOT": " "}}, "taken by the player"),
        ({"stages": []}, "at least one"),
        ({"actors": ["a", "A"]}, "twice"),
        ({"labels": {"MOT": [{"hotkey": "x"}]}}, "has no text"),
        ([], "JSON object"),
    ],
)
def test_codebook_rejects(data, message):
    with pytest.raises(ValidationError, match=message):
        Codebook.from_dict(data)


def test_time_to_ms_rounds_frame_times_up_so_the_frame_is_kept():
    fps = Fraction(30000, 1001)
    for index in range(0, 3000, 7):
        t = index / fps
        ms = time_to_ms(t)
        assert frame_index(Fraction(ms, 1000), fps=fps) == index
        assert frame_index(ms / 1000, fps=fps) == index


def test_frame_index_with_vfr_times():
    times = [Fraction(0), Fraction(1, 30), Fraction(1, 10), Fraction(1, 2)]
    assert [frame_index(t, times) for t in (0, 0.0333, 0.034, 0.099, 0.1, 0.49, 0.5, 9)] == [0, 0, 1, 1, 2, 2, 3, 3]


def test_timecodes():
    assert format_timecode(3725.5) == "01:02:05.500"
    assert parse_time("01:02:05.500") == 3725.5 and parse_time("02:05,25") == 125.25 and parse_time("7") == 7.0
    with pytest.raises(ValidationError):
        parse_time("1:xx")
    assert to_fraction("30000/1001") == Fraction(30000, 1001) and to_fraction(29.97) == Fraction(2997, 100)


def test_fold_name_collapses_whitespace_and_case():
    assert fold_name("  Back   Office ") == "back office"
    assert fold_name("STRASSE") == fold_name("straße")
    assert fold_name(None) == ""
    assert fold_name("Care") != fold_name("Car e")


def test_codebook_spells_stage_and_actor_its_own_way():
    book = Codebook(stages=["Buy-In", "Care"], actors=["Back office", "customer"])
    event = Event(kind=Kind.MOMENT_OF_TRUTH, start_s=1.0, stage="  buy-in ", actor="BACK  OFFICE")
    assert book.stage_of(event) == "Buy-In"
    assert book.actor_of(event) == "Back office"
    other = Event(kind=Kind.MOMENT_OF_TRUTH, start_s=1.0, stage=" Elsewhere ", actor="")
    assert book.stage_of(other) == "Elsewhere"
    assert book.actor_of(other) == ""


def test_fold_key_treats_spaces_underscores_and_dashes_alike():
    assert fold_key(" Moment_of-Truth ") == fold_key("moment of  truth") == "moment of truth"
    assert fold_key("Start (s)") == "start (s)"
    assert fold_name("Buy-In") != fold_name("buy in")  # names keep their dashes


def test_codebook_refuses_two_names_that_fold_alike():
    with pytest.raises(ValidationError, match="twice in stages"):
        Codebook.from_dict({"stages": ["Buy In", "buy  in"]})
