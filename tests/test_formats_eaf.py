"""ELAN .eaf: exports validate against the EAF 3.0 schema; files in ELAN's layout import."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from annotate.errors import FormatError, ValidationError
from annotate.formats import dumps_events, loads_events, read_events
from annotate.model import Codebook, Kind, validate_event
from annotate.testing.events import make_recording, many_events, tricky_events

DATA = Path(__file__).parent / "data"
etree = pytest.importorskip("lxml.etree")


@pytest.fixture(scope="module")
def schema():
    return etree.XMLSchema(etree.parse(str(DATA / "EAFv3.0.xsd")))


def assert_valid(schema, data: bytes) -> None:
    doc = etree.fromstring(data)
    assert schema.validate(doc), schema.error_log


@pytest.mark.parametrize("events", ["tricky", "many", "none"])
def test_export_validates_against_the_eaf_3_schema(schema, events):
    rec = make_recording()
    evs = {"tricky": tricky_events(rec), "many": many_events(rec, 1000), "none": []}[events]
    assert_valid(schema, dumps_events(evs, [rec], format="eaf", codebook=Codebook()))
    assert_valid(schema, dumps_events(evs, [rec], format="eaf", details=False))


def test_export_layout_tiers_vocabularies_and_media(schema):
    rec = make_recording()
    events = tricky_events(rec)
    root = ET.fromstring(dumps_events(events, [rec], format="eaf", codebook=Codebook()))
    media = root.find("HEADER/MEDIA_DESCRIPTOR")
    assert media.get("MEDIA_URL") == "file:///media/Kass%C3%A9%20checkout.mp4"
    assert media.get("RELATIVE_MEDIA_URL") == "./Kassé checkout.mp4" and media.get("MIME_TYPE") == "video/mp4"
    assert root.find("HEADER").get("TIME_UNITS") == "milliseconds"
    tiers = {t.get("TIER_ID"): t for t in root.findall("TIER")}
    assert set(tiers) == {"MOT", "INT", "DEC", "MOT details", "INT details", "DEC details"}
    slots = {s.get("TIME_SLOT_ID"): int(s.get("TIME_VALUE")) for s in root.iter("TIME_SLOT")}
    assert list(slots.values()) == sorted(slots.values())
    for kind in Kind:
        cv = root.find(f"CONTROLLED_VOCABULARY[@CV_ID='{kind.short} labels']")
        values = [v.text for v in cv.iter("CVE_VALUE")]
        assert values[: len(Codebook().label_texts(kind))] == Codebook().label_texts(kind)
        lt = root.find(f"LINGUISTIC_TYPE[@LINGUISTIC_TYPE_ID='{kind.short} labels']")
        assert lt.get("CONTROLLED_VOCABULARY_REF") == cv.get("CV_ID")
        for ann in tiers[kind.short].iter("ALIGNABLE_ANNOTATION"):
            label = ann.find("ANNOTATION_VALUE").text or ""
            ref = ann.get("CVE_REF")
            entry = cv.find(f"CV_ENTRY_ML[@CVE_ID='{ref}']") if ref else None
            assert (entry is not None and entry.find("CVE_VALUE").text == label) or (not label and not ref)
    wait = next(e for e in events if e.label == "Long wait")
    ann = root.find(f".//ALIGNABLE_ANNOTATION[@ANNOTATION_ID='a{wait.id}']")
    assert (slots[ann.get("TIME_SLOT_REF1")], slots[ann.get("TIME_SLOT_REF2")]) == (2002, 9977)


def test_one_file_per_recording():
    a, b = make_recording(rid=1), make_recording(rid=2, content_hash="b" * 64)
    with pytest.raises(ValidationError, match="one recording"):
        dumps_events(tricky_events(a)[:1] + tricky_events(b)[:1], [a, b], format="eaf")


def test_hand_written_elan_file_is_schema_valid_and_imports_with_a_tier_mapping(schema):
    path = DATA / "elan_store_visit.eaf"
    assert_valid(schema, path.read_bytes())
    rec = make_recording()
    events = read_events(path, recording=rec, mapping=["Moments of Truth=MOT", "Backstage=internal interaction"])
    got = sorted((e.start_s, e.end_s, e.kind.short, e.label) for e in events)
    assert got == [
        (0.52, 2.1, "MOT", "Greeting"),
        (2.1, 3.35, "INT", "Lookup"),
        (3.35, 4.0, "DEC", "Choose channel"),
        (4.87, 6.125, "MOT", "Refund & apology — ça va"),
        (6.125, 7.44, "INT", "Hand-off"),
        (7.44, 8.0, "DEC", ""),
    ]
    assert all(e.recording_id == rec.id for e in events)
    again = read_events(path, recording=rec, mapping=["Moments of Truth=MOT", "Backstage=INT"])
    assert sorted(e.id for e in again) == sorted(e.id for e in events)


def test_tiers_named_after_kinds_need_no_mapping_and_others_are_ignored():
    events = read_events(DATA / "elan_store_visit.eaf", recording=make_recording())
    assert [(e.kind, e.label) for e in events] == [(Kind.DECISION_POINT, "Choose channel"), (Kind.DECISION_POINT, "")]


def test_no_tier_naming_a_kind_is_an_error_listing_the_tiers():
    data = (DATA / "elan_store_visit.eaf").read_bytes().replace(b'TIER_ID="Decision point"', b'TIER_ID="Choices"')
    with pytest.raises(FormatError, match=r"no tier named after a kind \(tiers: Customer speech, Moments of Truth"):
        loads_events(data, format="eaf", recording=make_recording())


def test_time_origin_shifts_and_unaligned_slots_are_reported():
    base = (DATA / "elan_store_visit.eaf").read_bytes()
    shifted = base.replace(b'MIME_TYPE="video/mp4"', b'MIME_TYPE="video/mp4" TIME_ORIGIN="1000"')
    events = loads_events(shifted, format="eaf", recording=make_recording())
    assert [e.start_s for e in events] == [4.35, 8.44]
    unaligned = base.replace(b'TIME_SLOT_REF2="ts9"', b'TIME_SLOT_REF2="ts10"')
    with pytest.raises(FormatError, match="tier Decision point annotation a7: time slot ts10 has no time"):
        loads_events(unaligned, format="eaf", recording=make_recording())


def test_other_time_units_and_other_xml_are_refused():
    frames = (DATA / "elan_store_visit.eaf").read_bytes().replace(b'TIME_UNITS="milliseconds"', b'TIME_UNITS="PAL-frames"')
    with pytest.raises(FormatError, match="PAL-frames time units"):
        loads_events(frames, format="eaf", recording=make_recording())
    with pytest.raises(FormatError, match="not an ELAN .eaf file"):
        loads_events(b"<svg/>", format="eaf", recording=make_recording())


# --- the quick paths (long runs read from the text, whole columns) against the per-event ones ---------

from datetime import timedelta, timezone  # noqa: E402
import random  # noqa: E402

import hashlib  # noqa: E402
import json  # noqa: E402
from pathlib import Path  # noqa: E402
from annotate.formats import eaf_runs  # noqa: E402
from annotate.formats.common import Problems  # noqa: E402
from annotate.testing.events import T0  # noqa: E402


def outcome(fn):
    """Return ``fn()``'s result, or the FormatError message it raised."""
    try:
        return fn()
    except FormatError as exc:
        return f"FormatError: {exc}"


# Outcomes of edited files (the events' digest, or the message), recorded when a second, element-by-element
# reader stood beside the quick one and both agreed on every edit.
OUTCOMES = Path(__file__).parent / "data" / "eaf_edit_outcomes.json"


def digest(result):
    """Return an import's outcome as recorded: the events' count and digest, or the message."""
    if isinstance(result, str):
        return result
    return f"{len(result)} events {hashlib.sha1(repr(result).encode('utf-8', 'surrogatepass')).hexdigest()}"


def recorded(key):
    return json.loads(OUTCOMES.read_text(encoding="utf-8"))[key]


def awkward_events(rec, n=90):
    """Return events in no order, with ties, escapes, missing dates and odd texts among the plain ones."""
    rnd = random.Random(5)
    events = many_events(rec, n) + tricky_events(rec)
    twins = [e.replace(id=f"{i:031x}f", start_s=1.0, end_s=None) for i, e in enumerate(events[:6])]
    odd = [events[0].replace(id="b" * 32, note='quote " back \\ slash\ttab', stage="<&>", created_at=None),
           events[1].replace(id="c" * 32, reviewer="x]]>y", updated_at=T0.replace(tzinfo=None)),
           events[2].replace(id="d" * 32, actor="\u2028 é", created_at=T0.astimezone(timezone(timedelta(hours=2))))]
    out = events + twins + odd
    rnd.shuffle(out)
    return out


@pytest.mark.parametrize("details", [True, False])
def test_export_of_awkward_events_is_valid_in_any_order_and_reads_back(schema, details):
    rec = make_recording()
    events = awkward_events(rec)
    opts = {"details": details, "date": T0, "point_length_s": 0.5}
    data = dumps_events(events, [rec], format="eaf", **opts)
    assert data == dumps_events(list(reversed(events)), [rec], format="eaf", **opts)
    assert data.count(b"<ALIGNABLE_ANNOTATION ") == len(events)
    assert_valid(schema, data)
    longer = make_recording(duration_s=60.0)  # without details a point's annotation may run past the end
    back = {e.id: e for e in loads_events(data, format="eaf", recording=longer)}
    assert sorted(back) == sorted(e.id for e in events)
    fields = ("kind", "start_s", "label") + (("end_s", "stage", "note", "reviewer", "actor") if details else ())
    for e in (validate_event(e, rec.duration_s) for e in events):  # as validation cleans them
        assert [getattr(back[e.id], f) for f in fields] == [getattr(e, f) for f in fields], e.id


def exported(rec, n=90) -> bytes:
    """Return an export of events that the quick import takes all the way (a field at a time)."""
    events = [e.replace(id=f"{i:031x}a") for i, e in enumerate(many_events(rec, n) + tricky_events(rec))]
    events += [e.replace(id=f"{i:031x}e", note=f'"{e.note}" \\ \u00e9') for i, e in enumerate(events[:9])]
    return dumps_events(events, [rec], format="eaf", codebook=Codebook(), date=T0)


def test_our_files_read_back():
    rec = make_recording()
    got = loads_events(exported(rec), format="eaf", recording=rec)
    assert len(got) == 90 + len(tricky_events(rec)) + 9
    assert digest(got) == recorded("as written")


def test_our_files_are_read_without_building_the_annotations():
    rec = make_recording()
    root, runs = eaf_runs.parse(exported(rec), Problems("x.eaf"))
    kinds = sorted(kind for kind, _ in runs.values())
    assert kinds == ["align"] * 3 + ["ref"] * 3 + ["slot"]
    assert all(len(elem) == 1 for elem in runs)  # the marker stands in for the run
    # the details as written are read from the text, not as JSON
    assert any(type(value) is tuple for kind, rows in runs.values() if kind == "ref" for _, value in rows)


EDITS = {
    "as written": lambda d: d,
    "CRLF line ends": lambda d: d.replace(b"\n", b"\r\n"),
    "tabs for spaces": lambda d: d.replace(b"    ", b"\t"),
    "comment in a tier": lambda d: d.replace(b"<ANNOTATION>", b"<!-- <ANNOTATION> --><ANNOTATION>", 5),
    "CDATA value": lambda d: d.replace(b"<ANNOTATION_VALUE>Greeting<", b"<ANNOTATION_VALUE><![CDATA[Gr<ee>]]><", 1),
    "marker-like element": lambda d: d.replace(b"</HEADER>", b"<cx-annotate-run-0/></HEADER>"),
    "marker-like in a tier": lambda d: d.replace(b'TIER_ID="DEC details">', b'TIER_ID="DEC details"><cx-annotate-run-3/>'),
    "references": lambda d: d.replace(b"<ANNOTATION_VALUE>Greeting<", b"<ANNOTATION_VALUE>&quot;G&#13;&apos;&#10;&#9;<", 2),
    "escaped references": lambda d: d.replace(b"<ANNOTATION_VALUE>Greeting<", b"<ANNOTATION_VALUE>&amp;lt;&amp;amp;<", 2),
    "commented-out tier, marker in its place": lambda d: d.replace(
        b"<TIER ", b'<!-- <TIER TIER_ID="MOT"><ANNOTATION><ALIGNABLE_ANNOTATION ANNOTATION_ID="a1" TIME_SLOT_REF1="ts1" '
                   b'TIME_SLOT_REF2="ts2"><ANNOTATION_VALUE>old</ANNOTATION_VALUE></ALIGNABLE_ANNOTATION></ANNOTATION></TIER> '
                   b'--><TIER TIER_ID="MOT"><cx-annotate-run-1/></TIER><TIER ', 1),
    "hex reference": lambda d: d.replace(b"<ANNOTATION_VALUE>Greeting<", b"<ANNOTATION_VALUE>&#x41;<", 1),
    "unknown entity": lambda d: d.replace(b"<ANNOTATION_VALUE>Greeting<", b"<ANNOTATION_VALUE>&nbsp;<", 1),
    "bare ampersand": lambda d: d.replace(b"<ANNOTATION_VALUE>Greeting<", b"<ANNOTATION_VALUE>a & b<", 1),
    "control character": lambda d: d.replace(b"<ANNOTATION_VALUE>Greeting<", b"<ANNOTATION_VALUE>a\x01b<", 1),
    "control in details": lambda d: d.replace(b', "note": "', b', "note": "\x02', 1),
    "U+FFFE": lambda d: d.replace(b"<ANNOTATION_VALUE>Greeting<", "<ANNOTATION_VALUE>a\ufffe<".encode(), 1),
    "]]> in text": lambda d: d.replace(b"<ANNOTATION_VALUE>Greeting<", b"<ANNOTATION_VALUE>a]]>b<", 1),
    "not UTF-8": lambda d: d.replace(b"<ANNOTATION_VALUE>Greeting<", b"<ANNOTATION_VALUE>caf\xe9<", 1),
    "DOCTYPE": lambda d: d.replace(b"<TIME_ORDER>", b'<!DOCTYPE x [<!ENTITY e "x">]><TIME_ORDER>'),
    "DOCTYPE in a tier": lambda d: d.replace(b"<ANNOTATION>", b"<!DOCTYPE x><ANNOTATION>", 1),
    "cut short": lambda d: d[: len(d) // 2],
    "unclosed tier": lambda d: d.replace(b"</TIER>", b"", 1),
    "tier with a > in an attribute": lambda d: d.replace(b'TIER_ID="MOT"', b'TIER_ID="MOT" X="a>b"'),
    "nested tier": lambda d: d.replace(b'<TIER LINGUISTIC_TYPE_REF="MOT labels" TIER_ID="MOT"',
                                       b'<TIER TIER_ID="outer"><TIER LINGUISTIC_TYPE_REF="MOT labels" TIER_ID="MOT"', 1)
                             .replace(b"</TIER>", b"</TIER></TIER>", 1),
    "second time order": lambda d: d.replace(b"</HEADER>", b'</HEADER><TIME_ORDER><TIME_SLOT TIME_SLOT_ID="ts1" '
                                                           b'TIME_VALUE="5"/></TIME_ORDER>'),
    "time order in the header": lambda d: d.replace(b"<HEADER ", b'<HEADER><TIME_ORDER><TIME_SLOT TIME_SLOT_ID="ts1" '
                                                                  b'TIME_VALUE="5"/></TIME_ORDER><X ', 1)
                                          .replace(b"</HEADER>", b"</X></HEADER>", 1),
    "bad time value": lambda d: d.replace(b'TIME_VALUE="', b'TIME_VALUE="-1', 1),
    "unaligned slot": lambda d: d.replace(b' TIME_VALUE="', b' X="', 3),
    "undefined slot": lambda d: d.replace(b'TIME_SLOT_REF2="ts', b'TIME_SLOT_REF2="tz', 2),
    "ends before it starts": lambda d: d.replace(b'TIME_SLOT_REF1="ts', b'TIME_SLOT_REF1="ts9', 3),
    "huge time": lambda d: d.replace(b'TIME_VALUE="', b'TIME_VALUE="99999999999999999999', 1),
    "id used twice": lambda d: d.replace(b"</TIER>", d[d.index(b"        <ANNOTATION>"):d.index(b"</ANNOTATION>") + 14]
                                         + b"</TIER>", 1),
    "ELAN ids": lambda d: d.replace(b'ANNOTATION_ID="a', b'ANNOTATION_ID="x').replace(b'ANNOTATION_REF="a', b'ANNOTATION_REF="x'),
    "empty ids": lambda d: d.replace(b'ANNOTATION_ID="a', b'ANNOTATION_ID="" Y="a'),
    "attribute reference": lambda d: d.replace(b'ANNOTATION_ID="a', b'ANNOTATION_ID="&amp;a', 3),
    "details in another order": lambda d: d.replace(b'"point": true, "stage": ', b'"stage": ').replace(
        b', "emotion": ', b', "point": true, "emotion": '),
    "details partly in another order": lambda d: d.replace(b'"point": true, "stage": ', b'"stage": ', 3).replace(
        b', "emotion": ', b', "point": true, "emotion": ', 3),
    "details with other values": lambda d: d.replace(b'"emotion": 2', b'"emotion": 2.0', 1)
                                          .replace(b'"point": true', b'"point": "yes"', 2)
                                          .replace(b'"reviewer": "', b'"reviewer": 7, "x": "', 2)
                                          .replace(b'"created_at": "', b'"created_at": "bad', 1),
    "details with an escaped date": lambda d: d.replace(b'"created_at": "2', b'"created_at": "\\u0032', 5),
    "details escaped": lambda d: d.replace(b'"note": "', b'"note": "\\u00e9\\"\\ud800', 3),
    "details not JSON": lambda d: d.replace(b'{"id": ', b'{"id" ', 3).replace(b'"point": true', b"'point': 1", 1),
    "details JSON but no object": lambda d: d.replace(b'<ANNOTATION_VALUE>{"id": ', b'<ANNOTATION_VALUE>["', 2),
    "details of unknown annotations": lambda d: d.replace(b'ANNOTATION_REF="a', b'ANNOTATION_REF="q'),
    "no details tiers": lambda d: d.replace(b"PARENT_REF=", b"X="),
    "time origin": lambda d: d.replace(b'MIME_TYPE="video/mp4"', b'MIME_TYPE="video/mp4" TIME_ORIGIN="-700"'),
    "empty value element": lambda d: d.replace(b"<ANNOTATION_VALUE>Greeting</ANNOTATION_VALUE>", b"<ANNOTATION_VALUE/>", 1),
    "other declaration": lambda d: d.replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"', 1),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_edited_files_read_or_fail_as_recorded(edit):
    assert edit_outcome(edit) == recorded(f"edit {edit}")


def edit_outcome(edit):
    rec = make_recording()
    base = exported(rec)
    data = EDITS[edit](base)
    assert (data == base) == (edit == "as written")
    return digest(outcome(lambda: loads_events(data, format="eaf", recording=rec, mapping=["outer=MOT"])))


def test_many_events_with_a_lone_surrogate_export_as_few_do():
    rec = make_recording()
    events = [e.replace(note="a\ud800b", stage="c\ud800") for e in many_events(rec, 100)]
    data = dumps_events(events, [rec], format="eaf", date=T0)
    root = ET.fromstring(data)
    assert len(root.findall(".//ALIGNABLE_ANNOTATION")) == 100
    back = loads_events(data, format="eaf", recording=rec)
    assert {(e.note, e.stage) for e in back} == {("ab", "c")}
