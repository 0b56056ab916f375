"""Tests of the helpers every format uses (the shared event sets are in annotate.testing.events)."""

from __future__ import annotations

from datetime import timedelta, timezone

import pytest

from annotate.errors import FormatError, UnknownKindError, ValidationError
from annotate.formats import FORMATS, detect_format, format_for_path, get_format, parse_mapping
from annotate.formats.common import (
    EventIds,
    KindResolver,
    Problems,
    decode_text,
    iso_utc,
    neutralise,
    parse_iso,
    unneutralise,
)
from annotate.model import Kind
from annotate.testing.events import FORMULA_TEXTS, T0, make_recording, tricky_events


@pytest.mark.parametrize("text", FORMULA_TEXTS + ["plain", "", "'", "a'b", "\tx", "\rx", "'\tx", "-", "''=x"])
def test_neutralise_round_trips_and_is_safe(text):
    cell = neutralise(text)
    assert unneutralise(cell) == text
    assert not cell or cell[0] not in "=+-@\t\r"


def test_unneutralise_keeps_a_hand_written_apostrophe():
    assert unneutralise("'quoted") == "'quoted"
    assert unneutralise("'=1+1") == "=1+1"


def test_problems_message_is_one_line_and_lists_all():
    problems = Problems("events.csv")
    for line in range(2, 9):
        problems.add(f"line {line}", "bad\nvalue")
    err = problems.error()
    assert "\n" not in str(err)
    assert str(err).startswith("events.csv line 2: bad value; events.csv line 3")
    assert "and 4 more problems" in str(err)
    assert len(err.problems) == 7 and err.problems[-1] == "events.csv line 8: bad value"


def test_decode_text_accepts_boms_and_rejects_latin1_with_line():
    problems = Problems("f.csv")
    assert decode_text("\ufeffa,b".encode("utf-8"), problems) == "a,b"
    assert decode_text("a,é".encode("utf-16"), problems) == "a,é"
    with pytest.raises(FormatError, match=r"f.csv line 2: is not UTF-8 text \(byte 0xE9\)"):
        decode_text("a\nb,é\n".encode("latin-1"), Problems("f.csv"))
    with pytest.raises(FormatError, match="NUL"):
        decode_text(b"a\x00b", Problems("f.csv"))


def test_iso_round_trip_keeps_microseconds_and_utc():
    for value in (T0, T0 + timedelta(microseconds=1), T0.astimezone(timezone(timedelta(hours=2)))):
        text = iso_utc(value)
        assert text.endswith("Z")
        assert parse_iso("created_at", text) == value
    assert parse_iso("x", "2024-05-01 12:30:00").tzinfo == timezone.utc
    with pytest.raises(ValidationError, match="created_at 'yesterday'"):
        parse_iso("created_at", "yesterday")


def test_event_ids_keep_file_ids_and_derive_stable_ones():
    rec = make_recording()
    ids = EventIds(rec)
    hex_id = "0123456789abcdef0123456789abcdef"
    assert ids.from_file(hex_id.upper()) == hex_id
    assert ids.from_file("01234567-89ab-cdef-0123-456789abcdef") == hex_id
    assert ids.from_file("a7") == EventIds(rec).from_file("a7") != hex_id
    first = ids.derived(Kind.DECISION_POINT, 1.0, None, "x")
    again = ids.derived(Kind.DECISION_POINT, 1.0, None, "x")  # identical twin in the same file
    assert first != again
    assert EventIds(rec).derived(Kind.DECISION_POINT, 1.0, None, "x") == first
    other = EventIds(make_recording(rid=8, content_hash="other"))
    assert other.derived(Kind.DECISION_POINT, 1.0, None, "x") != first


def test_kind_resolver_uses_mapping_then_aliases():
    kinds = KindResolver(["purple=DEC", "Greeting = moment of truth"])
    assert kinds("Purple") is Kind.DECISION_POINT
    assert kinds("greeting") is Kind.MOMENT_OF_TRUTH
    assert kinds("red") is Kind.MOMENT_OF_TRUTH
    with pytest.raises(UnknownKindError, match="unknown kind 'orange'"):
        kinds("orange")
    with pytest.raises(ValidationError, match="NAME=KIND"):
        parse_mapping(["no-equals-sign"])


def test_registry_names_suffixes_and_detection():
    assert get_format("CSV") is FORMATS["csv"]
    assert format_for_path("x/out.csv").name == "csv"
    with pytest.raises(FormatError, match="unknown format 'xlsx'"):
        get_format("xlsx")
    with pytest.raises(FormatError, match="cannot tell the format of 'notes.txt'"):
        format_for_path("notes.txt")
    for fmt in FORMATS.values():
        for suffix in fmt.suffixes:
            assert detect_format(f"a{suffix}").name == fmt.name


@pytest.mark.parametrize("name", ["", "sha:abc\x1fmoment_of_truth\x1f1500\x1f\x1fGreeting", "Zoë ☕ " * 50])
def test_fast_uuid5_equals_the_standard_one(name):
    import uuid

    from annotate.formats.common import EVENT_ID_NAMESPACE, uuid5_hex

    assert uuid5_hex(name) == uuid.uuid5(EVENT_ID_NAMESPACE, name).hex


@pytest.mark.parametrize("names", [["a", "", "Zoë ☕ " * 50, "sha:abc\x1fdecision_point\x1f1\x1f\x1fx"],
                                   ["with\x00nul", "", "\x00", "plain"], []])
def test_many_uuid5_at_once_equal_the_standard_ones(names):
    # All names are encoded in one step unless one holds the NUL that separates them: both give each name's id.
    import uuid

    from annotate.formats.common import EVENT_ID_NAMESPACE, uuid5_hex_many

    assert uuid5_hex_many(names) == [uuid.uuid5(EVENT_ID_NAMESPACE, n).hex for n in names]


@pytest.mark.parametrize("fmt", ["json", "vtt", "eaf"])
def test_absurdly_nested_json_is_a_format_error_or_ignored_never_a_crash(fmt):
    """JSON nested 100,000 deep (a hostile file) must not escape as RecursionError."""
    from annotate.formats import dumps_events, loads_events

    rec = make_recording()
    text = dumps_events(tricky_events(rec), [rec], format=fmt).decode("utf-8")
    deep = '{"x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    if fmt == "json":
        text = deep
    elif fmt == "vtt":
        start = text.index("NOTE cx-annotate")
        end = text.index("\n", start)
        text = text[:start] + text[start:end].split("{", 1)[0] + deep + text[end:]
    else:
        start = text.index('<ANNOTATION_VALUE>{"id"')
        end = text.index("</ANNOTATION_VALUE>", start)
        text = text[:start] + "<ANNOTATION_VALUE>" + deep + text[end:]
    if fmt == "json":  # the whole file: refused with a one-line message
        with pytest.raises(FormatError, match="too deeply") as info:
            loads_events(text.encode("utf-8"), format=fmt, recording=rec)
        assert "\n" not in str(info.value)
        return
    try:  # refused with a one-line message, or (in a details field) the details ignored: both fine
        events = loads_events(text.encode("utf-8"), format=fmt, recording=rec)
    except FormatError as exc:
        assert "\n" not in str(exc) and "too deeply" in str(exc), str(exc)
    else:
        assert len(events) == len(tricky_events(rec))  # every event read, the nested details dropped


def test_timebase_array_helpers_give_what_the_scalar_conversions_give():
    from fractions import Fraction

    import numpy as np

    from annotate import timebase as tb

    ms = np.array([0, 1, 999, 1000, 33_367, 3_599_999, 3_600_000, 360_000_123, 2**40 + 7], dtype=np.int64)
    assert tb.seconds_from_ms_array(ms).tolist() == [tb.seconds_from_ms(int(m)) for m in ms]
    assert tb.nearest_ms_array(tb.seconds_from_ms_array(ms)).tolist() == ms.tolist()
    parts = tb.clock_parts(ms)
    assert [tuple(int(p[i]) for p in parts) for i in range(len(ms))] == [tb.clock_parts(int(m)) for m in ms]
    assert tb.clock_ms(*parts).tolist() == ms.tolist() and tb.clock_parts(3_723_004) == (1, 2, 3, 4)
    assert tb.format_timecode(3723.004) == "01:02:03.004" and tb.seconds_and_ms(62_005) == (62, 5)
    fps = Fraction(30000, 1001)
    frames = tb.frames_at_ms(ms, fps)
    assert frames.tolist() == [tb.frame_index(Fraction(int(m), 1000), fps=fps) for m in ms]
    assert tb.frames_at_ms(1001, fps) == 30 and tb.frames_at_ms(1000, fps) == 29  # frame 30 starts at 1001 ms
    assert tb.whole_ms_micros(123_456) == 123_000 and tb.ms_and_micros(123_456) == (123, 456)
    assert tb.floor_ms(1.005) == 1004 and tb.nearest_ms(1.005) == 1005  # 1.005 * 1000 is 1004.999...: cut
